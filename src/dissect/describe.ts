/**
 * The packet layer tree for the packet detail view: for every layer the
 * decoder found, its fields with name, value and exact byte range (frame
 * offsets) so the hex view can highlight them. One packet at a time, so it
 * allocates freely; it re-reads the bytes at each layer's start (from
 * DecodedPacket.layerIds/layerStart) and shows only fields that were captured.
 *
 * Text taken from the packet (HTTP lines, DNS names) is returned as plain
 * strings with control and non-ASCII bytes escaped as \xNN: the UI shows it
 * as text, never as HTML.
 */
import type { FieldNode, LayerNode } from '../api.js';
import { u16be, u32be, u32le } from '../capture/bytes.js';
import { ipv4ToString, ipv6ToString, macToString } from './addr.js';
import type { DissectConfig } from './config.js';
import { DecodedPacket } from './decoded.js';
import { decodePacket } from './decoder.js';
import { dnsTypeName, parseDnsMessage, RCODE_NAMES, readName } from './dns-message.js';
import {
  L_ARP, L_DATA, L_DNS, L_ETH, L_GENEVE, L_HTTP, L_ICMP, L_ICMPV6, L_IPV4, L_IPV6, L_LLC, L_NULL, L_SLL, L_SLL2,
  L_TCP, L_UDP, L_VLAN, L_VXLAN, LAYER_NAMES, L_GRE, L_ERSPAN, L_WG,
} from './layers.js';

/** Decodes `bytes` (one whole captured frame) and describes its layers. */
export function describePacket(bytes: Uint8Array, linkType: number, cfg: DissectConfig): LayerNode[] {
  const p = new DecodedPacket();
  decodePacket(p, bytes, 0, bytes.length, linkType, cfg);
  return describeDecoded(bytes, p);
}

/**
 * Describes a packet already decoded from `bytes` at offset 0 (the shape the
 * packet browser's registerLayerDescriber expects).
 */
export function describeDecoded(bytes: Uint8Array, p: DecodedPacket): LayerNode[] {
  const out: LayerNode[] = [];
  const frameEnd = bytes.length;
  for (let k = 0; k < p.layerCount; k++) {
    const id = p.layerIds[k]!;
    const start = p.layerStart[k]!;
    const nextStart = k + 1 < p.layerCount ? p.layerStart[k + 1]! : frameEnd;
    const d = new Describer(bytes, start, frameEnd);
    const node = describeLayer(d, id, start, nextStart, p, k);
    const layer = LAYER_NAMES[id] ?? 'data';
    const filterName = LAYER_FILTERS[layer];
    // No field filters where ours would not select this packet as tshark's would: an 802.1ad service tag
    // (tshark's ieee8021ad.*), DNS quoted inside an ICMP error (dns.* read the packet's own DNS).
    const noFields = (id === L_VLAN && node.title.startsWith('IEEE 802.1ad')) || (id === L_DNS && p.dnsNet < 0);
    if (!noFields) withFilters(layer, d.fields, '');
    out.push({ layer, title: node.title, start, length: Math.max(0, Math.min(node.length, frameEnd - start)), fields: d.fields, ...(filterName ? { filter: filterName } : {}) });
  }
  return out;
}

// ------------------------------------------------------------------ display filters of tree rows

/** A layer's protocol as a display filter names it (docs/filter.md). */
const LAYER_FILTERS: Record<string, string> = {
  eth: 'eth', vlan: 'vlan', sll: 'sll', sll2: 'sll', null: 'null', llc: 'llc', ipv4: 'ip', ipv6: 'ipv6', arp: 'arp', icmp: 'icmp', icmpv6: 'icmpv6',
  udp: 'udp', tcp: 'tcp', vxlan: 'vxlan', geneve: 'geneve', gre: 'gre', erspan: 'erspan', wg: 'wg', http: 'http', dns: 'dns',
};

type ValueForm = 'num' | 'paren' | 'flag' | 'addr' | 'str';
/** Field rows (`Parent > Name` inside a layer) and the display-filter field they show, with how to read the shown value back. */
const FIELD_FILTERS: Record<string, Record<string, [string, ValueForm]>> = {
  eth: { Destination: ['eth.dst', 'addr'], Source: ['eth.src', 'addr'], Type: ['eth.type', 'paren'] },
  vlan: { 'Priority (PCP)': ['vlan.priority', 'num'], 'VLAN ID': ['vlan.id', 'num'], Type: ['vlan.etype', 'paren'] },
  sll: { 'Packet type': ['sll.pkttype', 'paren'] },
  sll2: { 'Interface index': ['sll.ifindex', 'num'], 'Packet type': ['sll.pkttype', 'paren'] },
  ipv4: {
    'Header length': ['ip.hdr_len', 'num'], 'Differentiated services > DSCP': ['ip.dsfield.dscp', 'num'], 'Total length': ['ip.len', 'num'],
    Identification: ['ip.id', 'num'], "Flags > Don't fragment": ['ip.flags.df', 'flag'], 'Flags > More fragments': ['ip.flags.mf', 'flag'],
    'Fragment offset': ['ip.frag_offset', 'num'], 'Time to live': ['ip.ttl', 'num'], Protocol: ['ip.proto', 'paren'],
    'Source address': ['ip.src', 'addr'], 'Destination address': ['ip.dst', 'addr'],
  },
  ipv6: {
    'Flow label': ['ipv6.flow', 'num'], 'Payload length': ['ipv6.plen', 'num'], 'Next header': ['ipv6.nxt', 'paren'], 'Hop limit': ['ipv6.hlim', 'num'],
    'Source address': ['ipv6.src', 'addr'], 'Destination address': ['ipv6.dst', 'addr'],
  },
  arp: {
    Opcode: ['arp.opcode', 'paren'], 'Sender MAC address': ['arp.src.hw_mac', 'addr'], 'Sender IP address': ['arp.src.proto_ipv4', 'addr'],
    'Target MAC address': ['arp.dst.hw_mac', 'addr'], 'Target IP address': ['arp.dst.proto_ipv4', 'addr'],
  },
  icmp: { Type: ['icmp.type', 'num'], Code: ['icmp.code', 'num'] },
  icmpv6: { Type: ['icmpv6.type', 'num'], Code: ['icmpv6.code', 'num'] },
  udp: { 'Source port': ['udp.srcport', 'num'], 'Destination port': ['udp.dstport', 'num'], Length: ['udp.length', 'num'] },
  tcp: {
    'Source port': ['tcp.srcport', 'num'], 'Destination port': ['tcp.dstport', 'num'], 'Sequence number (raw)': ['tcp.seq_raw', 'num'],
    'Acknowledgment number (raw)': ['tcp.ack_raw', 'num'], 'Header length': ['tcp.hdr_len', 'num'], Flags: ['tcp.flags', 'num'],
    'Flags > Congestion window reduced (CWR)': ['tcp.flags.cwr', 'flag'],
    'Flags > ECN-Echo (ECE)': ['tcp.flags.ece', 'flag'], 'Flags > Urgent (URG)': ['tcp.flags.urg', 'flag'],
    'Flags > Acknowledgment (ACK)': ['tcp.flags.ack', 'flag'], 'Flags > Push (PSH)': ['tcp.flags.push', 'flag'],
    'Flags > Reset (RST)': ['tcp.flags.reset', 'flag'], 'Flags > Syn (SYN)': ['tcp.flags.syn', 'flag'], 'Flags > Fin (FIN)': ['tcp.flags.fin', 'flag'],
    Window: ['tcp.window_size_value', 'num'], 'Options > Maximum segment size': ['tcp.options.mss_val', 'num'],
    'Options > Window scale': ['tcp.options.wscale.shift', 'num'],
  },
  vxlan: { 'VXLAN network identifier (VNI)': ['vxlan.vni', 'num'] },
  geneve: { 'Virtual network identifier (VNI)': ['geneve.vni', 'num'] },
  gre: { 'Protocol type': ['gre.proto', 'paren'] },
  http: {
    Host: ['http.host', 'str'], 'User-Agent': ['http.user_agent', 'str'], Server: ['http.server', 'str'], 'Content-Type': ['http.content_type', 'str'],
    Location: ['http.location', 'str'], 'X-Forwarded-For': ['http.x_forwarded_for', 'str'],
  },
  dns: { 'Transaction ID': ['dns.id', 'num'], 'Answer RRs': ['dns.count.answers', 'num'] },
};

/** A text as a display-filter string literal (quotes and backslashes escaped). */
export function filterString(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The value a row shows, as a filter literal; null when it cannot be read back exactly. */
function filterValue(v: string, form: ValueForm): string | null {
  switch (form) {
    case 'num': return /^(0x[0-9a-f]+|\d+)(?![.\w:])/i.exec(v)?.[1] ?? null;
    case 'paren': return /\((0x[0-9a-f]+|\d+)\)$/i.exec(v)?.[1] ?? (/^(0x[0-9a-f]+|\d+)$/i.test(v) ? v : null);
    case 'flag': return /^(Set|Yes)$/.test(v) ? '1' : /^(Not set|No)$/.test(v) ? '0' : null;
    case 'addr': return /^[0-9a-f:.]+$/i.test(v) ? v : null;
    // Shown text with escapes (control or non-ASCII bytes) is not the bytes: no filter rather than a wrong one.
    case 'str': return /^[\x20-\x7e]*$/.test(v) && !v.includes('\\') ? filterString(v) : null;
  }
}

/** Sets `filter` on the rows of one layer whose field has a display-filter name ("Apply as filter"). */
function withFilters(layer: string, fields: FieldNode[], parent: string): void {
  const table = FIELD_FILTERS[layer];
  for (const f of fields) {
    const path = parent ? `${parent} > ${f.name}` : f.name;
    const def = table?.[path];
    let text: string | null = null;
    if (def) {
      const v = filterValue(f.value, def[1]);
      // Not an ethertype but an 802.3 length; an IPv4 total length of 0 (BIG TCP/GSO) reads as the frame's.
      const skip = v === null || ((def[0] === 'eth.type' || def[0] === 'vlan.etype') && Number(v) < 1536) || (def[0] === 'ip.len' && v === '0');
      if (!skip) text = `${def[0]} == ${v}`;
    } else if (layer === 'http' && (f.name === 'Request line' || f.name === 'Status line')) {
      const m = /^(\S+) (\S+) HTTP\/\d\.\d$/.exec(f.value);
      const r = /^HTTP\/\d\.\d (\d{3})\b/.exec(f.value);
      if (m && /^[\x21-\x7e]+$/.test(m[2]!) && !m[2]!.includes('\\')) text = `http.request.method == ${filterString(m[1]!)} && http.request.uri == ${filterString(m[2]!)}`;
      else if (r) text = `http.response.code == ${r[1]}`;
    } else if (layer === 'dns' && (parent === 'Queries' || parent === 'Answers') && /^[\x21-\x7e]+$/.test(f.name) && !f.name.includes('\\')) {
      text = `${parent === 'Queries' ? 'dns.qry.name' : 'dns.resp.name'} == ${filterString(f.name)}`;
    } else if (layer === 'dns' && path === 'Flags > Response') {
      text = `dns.flags.response == ${f.value.endsWith('response') ? 1 : 0}`;
    }
    if (text !== null) f.filter = text;
    if (f.children) withFilters(layer, f.children, path);
  }
}

/** Collects fields, keeping only those whose bytes were captured. */
class Describer {
  readonly fields: FieldNode[] = [];
  constructor(readonly b: Uint8Array, readonly at: number, readonly end: number) {}

  has(rel: number, len: number): boolean {
    return this.at + rel + len <= this.end;
  }
  u8(rel: number): number { return this.b[this.at + rel]!; }
  u16(rel: number): number { return u16be(this.b, this.at + rel); }
  u32(rel: number): number { return u32be(this.b, this.at + rel); }

  /** Adds a field at `at+rel` when its bytes are present; returns it (or null). */
  add(rel: number, len: number, name: string, value: (d: this) => string, into: FieldNode[] = this.fields): FieldNode | null {
    if (!this.has(rel, len)) return null;
    const f: FieldNode = { name, value: value(this), start: this.at + rel, length: len };
    into.push(f);
    return f;
  }
}

interface LayerHead { title: string; length: number }

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}

/** Bytes as text, escaping what is not printable ASCII (\xNN), so it can only ever be shown as text. */
export function escapeText(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : c === 0x5c ? '\\\\' : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

function bit(v: number, mask: number): string {
  return (v & mask) !== 0 ? 'Set' : 'Not set';
}

const ETHERTYPES: Record<number, string> = {
  0x0800: 'IPv4', 0x0806: 'ARP', 0x8035: 'RARP', 0x8100: '802.1Q', 0x88a8: '802.1ad', 0x9100: 'QinQ (0x9100)', 0x86dd: 'IPv6',
  0x6558: 'Transparent Ethernet bridging', 0x88be: 'ERSPAN', 0x22eb: 'ERSPAN type III', 0x880b: 'PPP', 0x8909: 'Cisco MetaData',
};
function etherType(t: number): string {
  return `${ETHERTYPES[t] ?? 'Unknown'} (${hex(t, 4)})`;
}
const IP_PROTOCOLS: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 43: 'IPv6 Routing', 44: 'IPv6 Fragment',
  47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 59: 'IPv6 No Next Header', 60: 'IPv6 Destination Options', 132: 'SCTP',
};
function ipProtocol(n: number): string {
  return `${IP_PROTOCOLS[n] ?? 'Unknown'} (${n})`;
}

function describeLayer(d: Describer, id: number, start: number, nextStart: number, p: DecodedPacket, k: number): LayerHead {
  switch (id) {
    case L_ETH: return ethernet(d);
    case L_VLAN: return vlan(d);
    case L_SLL: return sll(d);
    case L_SLL2: return sll2(d);
    case L_NULL: return loopback(d);
    case L_IPV4: return ipv4(d);
    case L_IPV6: return ipv6(d);
    case L_ARP: return arp(d);
    case L_ICMP: return icmp(d, 'Internet Control Message Protocol', payloadEndOf(p, start, d.end));
    case L_ICMPV6: return icmp(d, 'Internet Control Message Protocol v6', payloadEndOf(p, start, d.end));
    case L_UDP: return udp(d);
    case L_TCP: return tcp(d);
    case L_VXLAN: return vxlan(d);
    case L_GENEVE: return geneve(d);
    case L_GRE: return gre(d);
    case L_ERSPAN: return erspanLayer(d, k > 0 ? p.layerStart[k - 1]! : start);
    case L_WG: return wireguard(d);
    case L_HTTP: return http(d, appEnd(p, start, d.end));
    case L_DNS: return dns(d, p, start, appEnd(p, start, d.end));
    case L_LLC: return { title: 'IEEE 802.3 frame with an LLC header (not decoded)', length: nextStart - start };
    case L_DATA:
    default: {
      const end = k + 1 < p.layerCount ? nextStart : appEnd(p, start, d.end);
      d.add(0, Math.max(0, end - start), 'Data', () => `${end - start} bytes`);
      return { title: `Data (${Math.max(0, end - start)} bytes)`, length: end - start };
    }
  }
}

/** End of the transport payload that starts at `start` (the IP/UDP lengths exclude Ethernet padding). */
function appEnd(p: DecodedPacket, start: number, frameEnd: number): number {
  for (let i = p.netCount - 1; i >= 0; i--) {
    const s = p.payloadStart[i]!;
    if (s <= start && start <= s + p.payloadLength[i]! && p.l4Present[i]) return s + p.payloadLength[i]!;
  }
  return frameEnd;
}

/** End of the IP payload holding an ICMP header at `start`. */
function payloadEndOf(p: DecodedPacket, start: number, frameEnd: number): number {
  for (let i = p.netCount - 1; i >= 0; i--) {
    const ip = p.ipStart[i]!;
    if (ip < start && p.ipLength[i]! > 0) return Math.min(frameEnd, ip + p.ipLength[i]!);
  }
  return frameEnd;
}

// ------------------------------------------------------------------ link

function ethernet(d: Describer): LayerHead {
  d.add(0, 6, 'Destination', (x) => macToString(x.b, x.at));
  d.add(6, 6, 'Source', (x) => macToString(x.b, x.at + 6));
  const t = d.has(12, 2) ? d.u16(12) : -1;
  if (t >= 0 && t <= 1500) d.add(12, 2, 'Length', () => String(t));
  else d.add(12, 2, 'Type', () => etherType(t));
  const title = d.has(0, 12) ? `Ethernet II, Src: ${macToString(d.b, d.at + 6)}, Dst: ${macToString(d.b, d.at)}` : 'Ethernet II';
  return { title, length: 14 };
}

/** The tag control information after the TPID: PCP(3) DEI(1) VID(12), then the inner type. */
function vlan(d: Describer): LayerHead {
  if (d.has(0, 2)) {
    const tci = d.u16(0);
    d.add(0, 2, 'Priority (PCP)', () => String(tci >> 13));
    d.add(0, 2, 'Drop eligible (DEI)', () => String((tci >> 12) & 1));
    d.add(0, 2, 'VLAN ID', () => String(tci & 0x0fff));
  }
  d.add(2, 2, 'Type', (x) => etherType(x.u16(2)));
  // The tag protocol identifier is the type field just before the tag: 0x88a8 (or 0x9100) is a service tag.
  const tpid = d.at >= 2 ? u16be(d.b, d.at - 2) : 0x8100;
  const name = tpid === 0x88a8 || tpid === 0x9100 ? 'IEEE 802.1ad service tag' : '802.1Q Virtual LAN';
  return { title: d.has(0, 2) ? `${name}, PRI: ${d.u16(0) >> 13}, DEI: ${(d.u16(0) >> 12) & 1}, ID: ${d.u16(0) & 0xfff}` : name, length: 4 };
}

const SLL_PACKET_TYPES: Record<number, string> = {
  0: 'Unicast to us', 1: 'Broadcast', 2: 'Multicast', 3: 'Unicast to another host', 4: 'Sent by us',
};

function sll(d: Describer): LayerHead {
  d.add(0, 2, 'Packet type', (x) => `${SLL_PACKET_TYPES[x.u16(0)] ?? 'Unknown'} (${x.u16(0)})`);
  d.add(2, 2, 'Link-layer address type', (x) => String(x.u16(2)));
  d.add(4, 2, 'Link-layer address length', (x) => String(x.u16(4)));
  const alen = d.has(4, 2) ? Math.min(8, d.u16(4)) : 0;
  if (alen > 0) d.add(6, alen, 'Source', (x) => (alen === 6 ? macToString(x.b, x.at + 6) : escapeHex(x.b, x.at + 6, alen)));
  d.add(14, 2, 'Protocol', (x) => etherType(x.u16(14)));
  return { title: 'Linux cooked capture v1', length: 16 };
}

function sll2(d: Describer): LayerHead {
  d.add(0, 2, 'Protocol', (x) => etherType(x.u16(0)));
  d.add(2, 2, 'Reserved', (x) => hex(x.u16(2), 4));
  d.add(4, 4, 'Interface index', (x) => String(x.u32(4)));
  d.add(8, 2, 'Link-layer address type', (x) => String(x.u16(8)));
  d.add(10, 1, 'Packet type', (x) => `${SLL_PACKET_TYPES[x.u8(10)] ?? 'Unknown'} (${x.u8(10)})`);
  d.add(11, 1, 'Link-layer address length', (x) => String(x.u8(11)));
  const alen = d.has(11, 1) ? Math.min(8, d.u8(11)) : 0;
  if (alen > 0) d.add(12, alen, 'Source', (x) => (alen === 6 ? macToString(x.b, x.at + 12) : escapeHex(x.b, x.at + 12, alen)));
  return { title: 'Linux cooked capture v2', length: 20 };
}

function escapeHex(b: Uint8Array, at: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len; i++) parts.push(b[at + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

function loopback(d: Describer): LayerHead {
  d.add(0, 4, 'Family', (x) => {
    const le = x.b[x.at]! | (x.b[x.at + 1]! << 8) | (x.b[x.at + 2]! << 16) | (x.b[x.at + 3]! << 24);
    const v = le > 0xffff || le < 0 ? x.u32(0) : le;
    const name = v === 2 ? 'IPv4' : v === 10 || v === 24 || v === 28 || v === 30 ? 'IPv6' : 'Unknown';
    return `${name} (${v})`;
  });
  return { title: 'Null/Loopback', length: 4 };
}

// ------------------------------------------------------------------ network

function ipv4(d: Describer): LayerHead {
  const ihl = d.has(0, 1) ? (d.u8(0) & 0x0f) * 4 : 20;
  d.add(0, 1, 'Version', (x) => String(x.u8(0) >> 4));
  d.add(0, 1, 'Header length', (x) => `${(x.u8(0) & 0x0f) * 4} bytes (${x.u8(0) & 0x0f})`);
  const tos = d.add(1, 1, 'Differentiated services', (x) => hex(x.u8(1), 2));
  if (tos) {
    tos.children = [];
    d.add(1, 1, 'DSCP', (x) => String(x.u8(1) >> 2), tos.children);
    d.add(1, 1, 'ECN', (x) => String(x.u8(1) & 3), tos.children);
  }
  d.add(2, 2, 'Total length', (x) => String(x.u16(2)));
  d.add(4, 2, 'Identification', (x) => `${hex(x.u16(4), 4)} (${x.u16(4)})`);
  const flags = d.add(6, 1, 'Flags', (x) => hex(x.u8(6) >> 5, 1));
  if (flags) {
    flags.children = [];
    d.add(6, 1, 'Reserved bit', (x) => bit(x.u8(6), 0x80), flags.children);
    d.add(6, 1, "Don't fragment", (x) => bit(x.u8(6), 0x40), flags.children);
    d.add(6, 1, 'More fragments', (x) => bit(x.u8(6), 0x20), flags.children);
  }
  d.add(6, 2, 'Fragment offset', (x) => `${(x.u16(6) & 0x1fff) * 8} bytes (${x.u16(6) & 0x1fff})`);
  d.add(8, 1, 'Time to live', (x) => String(x.u8(8)));
  d.add(9, 1, 'Protocol', (x) => ipProtocol(x.u8(9)));
  d.add(10, 2, 'Header checksum', (x) => hex(x.u16(10), 4));
  d.add(12, 4, 'Source address', (x) => ipv4ToString(x.u32(12)));
  d.add(16, 4, 'Destination address', (x) => ipv4ToString(x.u32(16)));
  if (ihl > 20) d.add(20, ihl - 20, 'Options', () => `${ihl - 20} bytes`);
  const title = d.has(12, 8) ? `Internet Protocol Version 4, Src: ${ipv4ToString(d.u32(12))}, Dst: ${ipv4ToString(d.u32(16))}` : 'Internet Protocol Version 4';
  return { title, length: ihl };
}

function addr6(d: Describer, rel: number): string {
  return ipv6ToString([d.u32(rel), d.u32(rel + 4), d.u32(rel + 8), d.u32(rel + 12)]);
}

const EXT_NAMES: Record<number, string> = {
  0: 'Hop-by-Hop Options', 43: 'Routing', 44: 'Fragment', 60: 'Destination Options', 51: 'Authentication', 135: 'Mobility',
};

function ipv6(d: Describer): LayerHead {
  d.add(0, 1, 'Version', (x) => String(x.u8(0) >> 4));
  d.add(0, 2, 'Traffic class', (x) => hex((x.u16(0) >> 4) & 0xff, 2));
  d.add(1, 3, 'Flow label', (x) => hex(x.u32(0) & 0xfffff, 5));
  d.add(4, 2, 'Payload length', (x) => String(x.u16(4)));
  d.add(6, 1, 'Next header', (x) => ipProtocol(x.u8(6)));
  d.add(7, 1, 'Hop limit', (x) => String(x.u8(7)));
  d.add(8, 16, 'Source address', (x) => addr6(x, 8));
  d.add(24, 16, 'Destination address', (x) => addr6(x, 24));
  let length = 40;
  if (d.has(0, 40)) {
    let next = d.u8(6);
    let q = 40;
    for (let n = 0; n < 16 && EXT_NAMES[next] !== undefined && d.has(q, 2); n++) {
      const len = next === 44 ? 8 : next === 51 ? (d.u8(q + 1) + 2) * 4 : (d.u8(q + 1) + 1) * 8;
      const kind = next;
      const h = d.add(q, Math.min(len, d.end - d.at - q), `IPv6 ${EXT_NAMES[kind]} header`, () => `${len} bytes`);
      if (!h) break;
      h.children = [];
      const base = q;
      d.add(base, 1, 'Next header', (x) => ipProtocol(x.u8(base)), h.children);
      if (kind === 44) {
        d.add(base + 2, 2, 'Fragment offset', (x) => `${(x.u16(base + 2) >> 3) * 8} bytes (${x.u16(base + 2) >> 3})`, h.children);
        d.add(base + 3, 1, 'More fragments', (x) => ((x.u8(base + 3) & 1) ? 'Yes' : 'No'), h.children);
        d.add(base + 4, 4, 'Identification', (x) => hex(x.u32(base + 4), 8), h.children);
      } else {
        d.add(base + 1, 1, 'Length', () => `${len} bytes`, h.children);
        if (kind === 43) {
          d.add(base + 2, 1, 'Routing type', (x) => String(x.u8(base + 2)), h.children);
          d.add(base + 3, 1, 'Segments left', (x) => String(x.u8(base + 3)), h.children);
        }
      }
      next = d.u8(q);
      q += len;
      length = q;
      if (kind === 44 && d.has(base + 2, 2) && (d.u16(base + 2) >> 3) !== 0) break;
    }
  }
  const title = d.has(8, 32) ? `Internet Protocol Version 6, Src: ${addr6(d, 8)}, Dst: ${addr6(d, 24)}` : 'Internet Protocol Version 6';
  return { title, length };
}

const ARP_OPS: Record<number, string> = { 1: 'request', 2: 'reply', 3: 'reverse request', 4: 'reverse reply' };

function arp(d: Describer): LayerHead {
  d.add(0, 2, 'Hardware type', (x) => String(x.u16(0)));
  d.add(2, 2, 'Protocol type', (x) => etherType(x.u16(2)));
  d.add(4, 1, 'Hardware size', (x) => String(x.u8(4)));
  d.add(5, 1, 'Protocol size', (x) => String(x.u8(5)));
  d.add(6, 2, 'Opcode', (x) => `${ARP_OPS[x.u16(6)] ?? 'unknown'} (${x.u16(6)})`);
  const hl = d.has(4, 1) ? d.u8(4) : 0;
  const pl = d.has(5, 1) ? d.u8(5) : 0;
  const hw = (rel: number) => (x: Describer) => (hl === 6 ? macToString(x.b, x.at + rel) : escapeHex(x.b, x.at + rel, hl));
  const pr = (rel: number) => (x: Describer) => (pl === 4 ? ipv4ToString(x.u32(rel)) : escapeHex(x.b, x.at + rel, pl));
  if (hl > 0) d.add(8, hl, 'Sender MAC address', hw(8));
  if (pl > 0) d.add(8 + hl, pl, 'Sender IP address', pr(8 + hl));
  if (hl > 0) d.add(8 + hl + pl, hl, 'Target MAC address', hw(8 + hl + pl));
  if (pl > 0) d.add(8 + 2 * hl + pl, pl, 'Target IP address', pr(8 + 2 * hl + pl));
  const op = d.has(6, 2) ? ARP_OPS[d.u16(6)] : undefined;
  return { title: `Address Resolution Protocol${op ? ` (${op})` : ''}`, length: 8 + 2 * (hl + pl) };
}

function icmp(d: Describer, title: string, end: number): LayerHead {
  d.add(0, 1, 'Type', (x) => String(x.u8(0)));
  d.add(1, 1, 'Code', (x) => String(x.u8(1)));
  d.add(2, 2, 'Checksum', (x) => hex(x.u16(2), 4));
  const type = d.has(0, 1) ? d.u8(0) : -1;
  const echo = title.endsWith('v6') ? type === 128 || type === 129 : type === 0 || type === 8;
  if (echo) {
    d.add(4, 2, 'Identifier', (x) => `${x.u16(4)} (${hex(x.u16(4), 4)})`);
    d.add(6, 2, 'Sequence number', (x) => `${x.u16(6)} (${hex(x.u16(6), 4)})`);
  } else {
    d.add(4, 4, 'Rest of header', (x) => hex(x.u32(4), 8));
  }
  return { title, length: Math.max(4, end - d.at) };
}

// ------------------------------------------------------------------ transport

function udp(d: Describer): LayerHead {
  d.add(0, 2, 'Source port', (x) => String(x.u16(0)));
  d.add(2, 2, 'Destination port', (x) => String(x.u16(2)));
  d.add(4, 2, 'Length', (x) => String(x.u16(4)));
  d.add(6, 2, 'Checksum', (x) => hex(x.u16(6), 4));
  const title = d.has(0, 4) ? `User Datagram Protocol, Src Port: ${d.u16(0)}, Dst Port: ${d.u16(2)}` : 'User Datagram Protocol';
  return { title, length: 8 };
}

const TCP_FLAGS: Array<[number, string]> = [
  [0x100, 'Accurate ECN (NS)'], [0x080, 'Congestion window reduced (CWR)'], [0x040, 'ECN-Echo (ECE)'], [0x020, 'Urgent (URG)'],
  [0x010, 'Acknowledgment (ACK)'], [0x008, 'Push (PSH)'], [0x004, 'Reset (RST)'], [0x002, 'Syn (SYN)'], [0x001, 'Fin (FIN)'],
];
const TCP_FLAG_SHORT: Array<[number, string]> = [[0x002, 'SYN'], [0x010, 'ACK'], [0x001, 'FIN'], [0x004, 'RST'], [0x008, 'PSH'], [0x020, 'URG'], [0x040, 'ECE'], [0x080, 'CWR'], [0x100, 'NS']];

function tcp(d: Describer): LayerHead {
  d.add(0, 2, 'Source port', (x) => String(x.u16(0)));
  d.add(2, 2, 'Destination port', (x) => String(x.u16(2)));
  d.add(4, 4, 'Sequence number (raw)', (x) => String(x.u32(4)));
  d.add(8, 4, 'Acknowledgment number (raw)', (x) => String(x.u32(8)));
  const doff = d.has(12, 1) ? (d.u8(12) >> 4) * 4 : 20;
  d.add(12, 1, 'Header length', () => `${doff} bytes (${doff / 4})`);
  if (d.has(12, 2)) {
    const flags = ((d.u8(12) & 1) << 8) | d.u8(13);
    const names = TCP_FLAG_SHORT.filter(([m]) => flags & m).map(([, n]) => n).join(', ');
    const f = d.add(12, 2, 'Flags', () => `${hex(flags, 4)} (${names || 'none'})`)!;
    f.children = TCP_FLAGS.map(([m, n]) => ({ name: n, value: bit(flags, m), start: d.at + (m === 0x100 ? 12 : 13), length: 1 }));
  }
  d.add(14, 2, 'Window', (x) => String(x.u16(14)));
  d.add(16, 2, 'Checksum', (x) => hex(x.u16(16), 4));
  d.add(18, 2, 'Urgent pointer', (x) => String(x.u16(18)));
  if (doff > 20 && d.has(20, 1)) {
    const opts = d.add(20, Math.min(doff - 20, d.end - d.at - 20), 'Options', () => `${doff - 20} bytes`)!;
    opts.children = tcpOptions(d, 20, doff);
  }
  const title = d.has(0, 4) ? `Transmission Control Protocol, Src Port: ${d.u16(0)}, Dst Port: ${d.u16(2)}` : 'Transmission Control Protocol';
  return { title, length: doff };
}

function tcpOptions(d: Describer, from: number, to: number): FieldNode[] {
  const out: FieldNode[] = [];
  let q = from;
  for (let n = 0; q < to && n < 40 && d.has(q, 1); n++) {
    const kind = d.u8(q);
    if (kind === 0) { d.add(q, 1, 'End of option list', () => '', out); break; }
    if (kind === 1) { d.add(q, 1, 'No-operation (NOP)', () => '', out); q++; continue; }
    if (!d.has(q + 1, 1)) break;
    const len = d.u8(q + 1);
    if (len < 2 || q + len > to || !d.has(q, len)) {
      d.add(q, Math.min(to - q, d.end - d.at - q), 'Malformed option', () => `kind ${kind}, length ${len}`, out);
      break;
    }
    const at = q;
    if (kind === 2 && len === 4) d.add(at, 4, 'Maximum segment size', (x) => `${x.u16(at + 2)} bytes`, out);
    else if (kind === 3 && len === 3) d.add(at, 3, 'Window scale', (x) => `${x.u8(at + 2)} (multiply by ${2 ** x.u8(at + 2)})`, out);
    else if (kind === 4) d.add(at, len, 'SACK permitted', () => '', out);
    else if (kind === 5) {
      const f = d.add(at, len, 'SACK', () => `${(len - 2) >> 3} blocks`, out)!;
      f.children = [];
      for (let e = at + 2; e + 8 <= at + len; e += 8) {
        const edge = e;
        d.add(edge, 8, 'Block', (x) => `${x.u32(edge)}-${x.u32(edge + 4)}`, f.children);
      }
    } else if (kind === 8 && len === 10) {
      d.add(at, 10, 'Timestamps', (x) => `TSval ${x.u32(at + 2)}, TSecr ${x.u32(at + 6)}`, out);
    } else d.add(at, len, `Option ${kind}`, () => `${len} bytes`, out);
    q += len;
  }
  return out;
}

// ------------------------------------------------------------------ tunnels

function vxlan(d: Describer): LayerHead {
  const f = d.add(0, 2, 'Flags', (x) => hex(x.u16(0), 4));
  if (f) {
    f.children = [];
    d.add(0, 1, 'VNI present (I)', (x) => bit(x.u8(0), 0x08), f.children);
  }
  d.add(2, 2, 'Group policy ID', (x) => String(x.u16(2)));
  d.add(4, 3, 'VXLAN network identifier (VNI)', (x) => String((x.u8(4) << 16) | (x.u8(5) << 8) | x.u8(6)));
  d.add(7, 1, 'Reserved', (x) => String(x.u8(7)));
  return { title: 'Virtual eXtensible Local Area Network', length: 8 };
}

function geneve(d: Describer): LayerHead {
  d.add(0, 1, 'Version', (x) => String(x.u8(0) >> 6));
  const optLen = d.has(0, 1) ? (d.u8(0) & 0x3f) * 4 : 0;
  d.add(0, 1, 'Options length', () => `${optLen} bytes`);
  const f = d.add(1, 1, 'Flags', (x) => hex(x.u8(1), 2));
  if (f) {
    f.children = [];
    d.add(1, 1, 'Operations, Administration and Management frame (O)', (x) => bit(x.u8(1), 0x80), f.children);
    d.add(1, 1, 'Critical options present (C)', (x) => bit(x.u8(1), 0x40), f.children);
  }
  d.add(2, 2, 'Protocol type', (x) => etherType(x.u16(2)).replace('Unknown (0x6558)', 'Transparent Ethernet bridging (0x6558)'));
  d.add(4, 3, 'Virtual network identifier (VNI)', (x) => String((x.u8(4) << 16) | (x.u8(5) << 8) | x.u8(6)));
  d.add(7, 1, 'Reserved', (x) => String(x.u8(7)));
  if (optLen > 0 && d.has(8, 4)) {
    const opts = d.add(8, Math.min(optLen, d.end - d.at - 8), 'Options', () => `${optLen} bytes`)!;
    opts.children = [];
    let q = 8;
    for (let n = 0; q + 4 <= 8 + optLen && n < 64 && d.has(q, 4); n++) {
      const len = 4 + (d.u8(q + 3) & 0x1f) * 4;
      if (q + len > 8 + optLen) break;
      const at = q;
      const o = d.add(at, Math.min(len, d.end - d.at - at), `Option class ${hex(d.u16(at), 4)} type ${hex(d.u8(at + 2), 2)}`, () => `${len - 4} bytes of data`, opts.children);
      if (o) {
        o.children = [];
        d.add(at, 2, 'Class', (x) => hex(x.u16(at), 4), o.children);
        d.add(at + 2, 1, 'Type', (x) => `${hex(x.u8(at + 2), 2)}${x.u8(at + 2) & 0x80 ? ' (critical)' : ''}`, o.children);
        d.add(at + 3, 1, 'Length', () => `${len} bytes`, o.children);
        if (len > 4) d.add(at + 4, len - 4, 'Data', (x) => escapeHex(x.b, x.at + at + 4, len - 4).replace(/:/g, ''), o.children);
      }
      q += len;
    }
  }
  return { title: 'Generic Network Virtualization Encapsulation', length: 8 + optLen };
}

/** GRE (RFC 2784/2890) and enhanced GRE of PPTP (version 1): flags, protocol, the optional fields present. */
function gre(d: Describer): LayerHead {
  if (!d.has(0, 2)) return { title: 'Generic Routing Encapsulation', length: 4 };
  const f0 = d.u8(0), f1 = d.u8(1), version = f1 & 7;
  const f = d.add(0, 2, 'Flags and version', (x) => hex(x.u16(0), 4))!;
  f.children = [];
  d.add(0, 2, 'Checksum present (C)', (x) => bit(x.u16(0), 0x8000), f.children);
  d.add(0, 2, 'Routing present (R)', (x) => bit(x.u16(0), 0x4000), f.children);
  d.add(0, 2, 'Key present (K)', (x) => bit(x.u16(0), 0x2000), f.children);
  d.add(0, 2, 'Sequence number present (S)', (x) => bit(x.u16(0), 0x1000), f.children);
  if (version === 1) d.add(0, 2, 'Acknowledgment present (A)', (x) => bit(x.u16(0), 0x0080), f.children);
  d.add(0, 2, 'Version', () => (version === 1 ? '1 (enhanced GRE, PPTP)' : String(version)), f.children);
  d.add(2, 2, 'Protocol type', (x) => etherType(x.u16(2)));
  let q = 4;
  if (version === 0) {
    if ((f0 & 0xc0) !== 0) { d.add(q, 2, 'Checksum', (x) => hex(x.u16(4), 4)); q += 4; }
    if ((f0 & 0x20) !== 0) {
      const at = q;
      const nvgre = d.has(2, 2) && d.u16(2) === 0x6558;
      // NVGRE: the key is the virtual subnet id (24 bits) and a flow id (8 bits).
      d.add(at, 4, 'Key', (x) => (nvgre
        ? `NVGRE VSID ${x.u32(at) >>> 8}, flow id ${x.u8(at + 3)} (${hex(x.u32(at), 8)})` : `${x.u32(at)} (${hex(x.u32(at), 8)})`));
      q += 4;
    }
    if ((f0 & 0x10) !== 0) { const at = q; d.add(at, 4, 'Sequence number', (x) => String(x.u32(at))); q += 4; }
  } else if (version === 1) {
    d.add(4, 2, 'Payload length', (x) => String(x.u16(4)));
    d.add(6, 2, 'Call id', (x) => String(x.u16(6)));
    q = 8;
    if ((f0 & 0x10) !== 0) { const at = q; d.add(at, 4, 'Sequence number', (x) => String(x.u32(at))); q += 4; }
    if ((f1 & 0x80) !== 0) { const at = q; d.add(at, 4, 'Acknowledgment number', (x) => String(x.u32(at))); q += 4; }
  }
  return { title: version === 1 ? 'Generic Routing Encapsulation (enhanced, PPTP)' : 'Generic Routing Encapsulation', length: q };
}

/** ERSPAN after its GRE header at `greAt`: type I (no header), II (8 bytes) or III (12, +8 platform subheader). */
function erspanLayer(d: Describer, greAt: number): LayerHead {
  const b = d.b;
  const proto = greAt + 4 <= d.end ? u16be(b, greAt + 2) : 0;
  const seq = greAt < d.end && (b[greAt]! & 0x10) !== 0;
  if (proto === 0x88be && !seq) return { title: 'Encapsulated Remote Switch Port Analyzer, type I (no header)', length: 0 };
  const type3 = proto === 0x22eb;
  d.add(0, 2, 'Version', (x) => `${x.u8(0) >> 4} (type ${type3 ? 'III' : 'II'})`);
  d.add(0, 2, 'VLAN', (x) => String(x.u16(0) & 0x0fff));
  d.add(2, 1, 'Class of service', (x) => String(x.u8(2) >> 5));
  d.add(2, 1, 'Truncated (T)', (x) => bit(x.u8(2), 0x04));
  d.add(2, 2, 'Session id', (x) => String(x.u16(2) & 0x03ff));
  if (!type3) {
    d.add(4, 4, 'Index', (x) => String(x.u32(4) & 0xfffff));
    return { title: 'Encapsulated Remote Switch Port Analyzer, type II', length: 8 };
  }
  d.add(4, 4, 'Timestamp', (x) => String(x.u32(4)));
  d.add(8, 2, 'Security group tag', (x) => String(x.u16(8)));
  d.add(10, 2, 'Frame type', (x) => { const ft = (x.u16(10) >> 9) & 0x1f; return ft === 0 ? '0 (Ethernet)' : ft === 2 ? '2 (IP)' : String(ft); });
  d.add(10, 2, 'Hardware id', (x) => String((x.u16(10) >> 3) & 0x3f));
  d.add(10, 2, 'Timestamp granularity', (x) => String((x.u16(10) >> 1) & 3));
  const platform = d.has(10, 2) && (d.u16(10) & 1) !== 0;
  if (platform) d.add(12, 8, 'Platform-specific subheader', (x) => escapeHex(x.b, x.at + 12, 8).replace(/:/g, ''));
  return { title: 'Encapsulated Remote Switch Port Analyzer, type III', length: platform ? 20 : 12 };
}

/** WireGuard message: type, indexes, counter; the rest is keys, MACs or ciphertext (never decoded). */
function wireguard(d: Describer): LayerHead {
  const type = d.has(0, 1) ? d.u8(0) : 0;
  const name = type === 1 ? 'Handshake Initiation' : type === 2 ? 'Handshake Response' : type === 3 ? 'Cookie Reply' : 'Transport Data';
  d.add(0, 1, 'Type', () => `${type} (${name})`);
  d.add(1, 3, 'Reserved', (x) => escapeHex(x.b, x.at + 1, 3).replace(/:/g, ''));
  const le = (x: Describer, rel: number): string => hex(u32le(x.b, x.at + rel), 8);
  if (type === 1 || type === 2) d.add(4, 4, 'Sender index', (x) => le(x, 4));
  if (type === 2) d.add(8, 4, 'Receiver index', (x) => le(x, 8));
  if (type === 3 || type === 4) d.add(4, 4, 'Receiver index', (x) => le(x, 4));
  if (type === 4) d.add(8, 8, 'Counter', (x) => String(u32le(x.b, x.at + 12) * 4294967296 + u32le(x.b, x.at + 8)));
  const length = type === 1 ? 148 : type === 2 ? 92 : type === 3 ? 64 : 16;
  if (type !== 4) d.add(type === 2 ? 12 : 8, length - (type === 2 ? 12 : 8), 'Keys and MACs (encrypted)', () => `${length - (type === 2 ? 12 : 8)} bytes`);
  return { title: `WireGuard Protocol, ${name}`, length };
}

// ------------------------------------------------------------------ application

/** HTTP/1.x: the start line and each header line, up to the empty line (at most 100 lines). */
function http(d: Describer, end: number): LayerHead {
  let q = d.at;
  let first = true;
  let title = 'Hypertext Transfer Protocol';
  for (let n = 0; n < 100 && q < end; n++) {
    let e = q;
    while (e < end && d.b[e] !== 0x0a) e++;
    const lineEnd = e < end ? e + 1 : e;
    let textEnd = e;
    if (textEnd > q && d.b[textEnd - 1] === 0x0d) textEnd--;
    if (textEnd === q) {
      d.fields.push({ name: 'End of headers', value: '', start: q, length: lineEnd - q });
      q = lineEnd;
      break;
    }
    const text = escapeText(d.b, q, textEnd);
    if (first) {
      const isResponse = text.startsWith('HTTP/');
      d.fields.push({ name: isResponse ? 'Status line' : 'Request line', value: text, start: q, length: lineEnd - q });
      title = `Hypertext Transfer Protocol, ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`;
      first = false;
    } else {
      const colon = text.indexOf(':');
      const name = colon > 0 ? text.slice(0, colon) : 'Header';
      const value = colon > 0 ? text.slice(colon + 1).trim() : text;
      d.fields.push({ name, value, start: q, length: lineEnd - q });
    }
    q = lineEnd;
  }
  if (q < end) d.fields.push({ name: 'Body', value: `${end - q} bytes`, start: q, length: end - q });
  return { title, length: end - d.at };
}

const DNS_OPCODES: Record<number, string> = { 0: 'Standard query', 1: 'Inverse query', 2: 'Status', 4: 'Notify', 5: 'Update' };

function dns(d: Describer, p: DecodedPacket, start: number, end: number): LayerHead {
  // Over TCP a 2-byte length precedes the message (RFC 1035 §4.2.2).
  let net = -1;
  for (let i = p.netCount - 1; i >= 0; i--) if (p.payloadStart[i] === start) { net = i; break; }
  const overTcp = net >= 0 && p.ipProto[net] === 6;
  let m = 0;
  if (overTcp) {
    d.add(0, 2, 'Length', (x) => String(x.u16(0)));
    m = 2;
  }
  const ms = d.at + m;
  d.add(m, 2, 'Transaction ID', (x) => hex(x.u16(m), 4));
  const flagsField = d.add(m + 2, 2, 'Flags', (x) => hex(x.u16(m + 2), 4));
  if (flagsField) {
    const fl = d.u16(m + 2);
    flagsField.children = [
      { name: 'Response', value: fl & 0x8000 ? 'Message is a response' : 'Message is a query', start: ms + 2, length: 1 },
      { name: 'Opcode', value: `${DNS_OPCODES[(fl >> 11) & 0xf] ?? 'Unknown'} (${(fl >> 11) & 0xf})`, start: ms + 2, length: 1 },
      { name: 'Truncated', value: fl & 0x0200 ? 'Yes' : 'No', start: ms + 2, length: 1 },
      { name: 'Recursion desired', value: fl & 0x0100 ? 'Yes' : 'No', start: ms + 2, length: 1 },
      { name: 'Reply code', value: `${RCODE_NAMES[fl & 0xf] ?? 'Unknown'} (${fl & 0xf})`, start: ms + 3, length: 1 },
    ];
  }
  d.add(m + 4, 2, 'Questions', (x) => String(x.u16(m + 4)));
  d.add(m + 6, 2, 'Answer RRs', (x) => String(x.u16(m + 6)));
  d.add(m + 8, 2, 'Authority RRs', (x) => String(x.u16(m + 8)));
  d.add(m + 10, 2, 'Additional RRs', (x) => String(x.u16(m + 10)));
  const msgEnd = end;
  const msg = d.has(m, 12) ? parseDnsMessage(d.b, ms, msgEnd - ms) : null;
  if (msg) {
    // Walk again for byte ranges (parseDnsMessage gives values, not offsets).
    let q = ms + 12;
    if (msg.questions.length) {
      const qs: FieldNode = { name: 'Queries', value: String(msg.questions.length), start: q, length: 0, children: [] };
      for (const question of msg.questions) {
        const { next } = readName(d.b, ms, msgEnd, q);
        qs.children!.push({ name: question.name, value: `type ${dnsTypeName(question.type)}, class ${question.class === 1 ? 'IN' : question.class}`, start: q, length: next + 4 - q });
        q = next + 4;
      }
      qs.length = q - qs.start;
      d.fields.push(qs);
    }
    if (msg.answers.length) {
      const as: FieldNode = { name: 'Answers', value: String(msg.answers.length), start: q, length: 0, children: [] };
      for (const a of msg.answers) {
        const { next } = readName(d.b, ms, msgEnd, q);
        const rdlen = u16be(d.b, next + 8);
        as.children!.push({ name: a.name, value: `type ${dnsTypeName(a.type)}, TTL ${a.ttl}, ${a.data}`, start: q, length: next + 10 + rdlen - q });
        q = next + 10 + rdlen;
      }
      as.length = q - as.start;
      d.fields.push(as);
    }
    if (msg.error) d.fields.push({ name: 'Malformed', value: msg.error, start: q, length: Math.max(0, msgEnd - q) });
  }
  const what = msg ? `${msg.isResponse ? 'response' : 'query'} ${hex(msg.id, 4)}${msg.questions[0] ? ` ${dnsTypeName(msg.questions[0].type)} ${msg.questions[0].name}` : ''}` : '';
  return { title: `Domain Name System${what ? ` (${what})` : ''}`, length: end - d.at };
}
