/**
 * The fields a filter can name: Wireshark's names and meanings (each
 * occurrence in the packet, outer before inner, ICMP-quoted headers included
 * as tshark shows them) read from the reused DecodedPacket or straight from
 * the frame's bytes at the offsets the decoder recorded; and OverlayScope's
 * own (k8s.*, capture.*, overlay.*) from the session's facts.
 *
 * Values are pushed into an `Occ`: one number per occurrence for numbers,
 * booleans, IPv4 addresses (uint32) and MAC addresses (48-bit); four numbers
 * for an IPv6 address (big-endian words); one string for strings and byte
 * fields (one char a byte).
 */
import { u16be, u32be } from '../capture/bytes.js';
import { ipToString } from '../dissect/addr.js';
import {
  L_ARP, L_DNS, L_ERSPAN, L_ETH, L_GENEVE, L_GRE, L_HTTP, L_ICMP, L_ICMPV6, L_IPV4, L_IPV6, L_LLC, L_NULL, L_SLL, L_SLL2,
  L_TCP, L_UDP, L_VLAN, L_VXLAN, L_WG, TUNNEL_GENEVE, TUNNEL_NAMES, TUNNEL_VXLAN,
} from '../dissect/layers.js';
import type { EndpointFacts, FilterInput } from './input.js';
import {
  TcpOrderError, TCP_A_ACK_LOST_PACKET, TCP_A_DUPLICATE_ACK, TCP_A_FAST_RETRANSMISSION, TCP_A_KEEP_ALIVE, TCP_A_KEEP_ALIVE_ACK,
  TCP_A_LOST_PACKET, TCP_A_OUT_OF_ORDER, TCP_A_RETRANSMISSION, TCP_A_REUSED_PORTS, TCP_A_SPURIOUS_RETRANSMISSION, TCP_A_WINDOW_FULL,
  TCP_A_WINDOW_UPDATE, TCP_A_ZERO_WINDOW, TCP_A_ZERO_WINDOW_PROBE, TCP_A_ZERO_WINDOW_PROBE_ACK, type TcpOccurrences,
} from './tcp-analysis.js';
import { utf8Latin1 } from './lexer.js';

/** 'none': a label (Wireshark's FT_NONE, such as tcp.analysis.flags): tested for presence, never compared. */
export type FieldType = 'uint' | 'int' | 'float' | 'bool' | 'ipv4' | 'ipv6' | 'mac' | 'string' | 'bytes' | 'proto' | 'none';

export class Occ {
  n = 0;
  readonly nums: number[] = [];
  readonly strs: string[] = [];
  /** Words written to `nums` (its entries past this are stale: read nums[k] for k < n, or n * 4 for IPv6). */
  private w = 0;
  // Overwritten in place, not truncated: setting an array's length on every packet showed in the filter pass's profile.
  clear(): this { this.n = 0; this.w = 0; if (this.strs.length) this.strs.length = 0; return this; }
  num(v: number): void { this.nums[this.w++] = v; this.n++; }
  /** One more word of the occurrence being written (an IPv6 address's), without counting an occurrence. */
  word(v: number): void { this.nums[this.w++] = v; }
  str(v: string): void { this.strs.push(v); this.n++; }
  /** Text that may hold non-ASCII characters: pushed as its UTF-8 bytes (as filter strings are). */
  text(v: string): void { this.str(/[^\x00-\x7f]/.test(v) ? utf8Latin1(v) : v); }
  ip6(w: ArrayLike<number>, at: number): void {
    const o = this.nums;
    o[this.w++] = w[at]! >>> 0; o[this.w++] = w[at + 1]! >>> 0; o[this.w++] = w[at + 2]! >>> 0; o[this.w++] = w[at + 3]! >>> 0;
    this.n++;
  }
}

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Largest value of an unsigned field (literals above it are refused, as Wireshark does). */
  max?: number;
  /** Pushes every occurrence in the packet. For 'proto': each occurrence's bytes (latin1). */
  get(x: FilterInput, out: Occ): void;
  /** For 'proto' fields: whether the protocol is present (cheaper than get). */
  present?(x: FilterInput): boolean;
  /** One line for docs/filter.md and the UI. */
  doc: string;
  /** OverlayScope's own field (not in Wireshark). */
  ours?: boolean;
  /** Reads the TCP sequence analysis (FilterInput.tcp): the capture's packets must be fed in order from its first. */
  tcpAnalysis?: boolean;
}

const FIELDS = new Map<string, FieldDef>();
function def(name: string, type: FieldType, doc: string, get: FieldDef['get'], extra: Partial<FieldDef> = {}): void {
  FIELDS.set(name, { name, type, doc, get, ...extra });
}

export function fieldDef(name: string): FieldDef | undefined { return FIELDS.get(name); }
export function fieldNames(): string[] { return [...FIELDS.keys()]; }
export function allFields(): FieldDef[] { return [...FIELDS.values()]; }

/** Wireshark fields we know but cannot give Wireshark's value for; naming one is an error that says so. */
export const UNSUPPORTED_FIELDS: Record<string, string> = {
  'tcp.stream': 'tshark numbers TCP conversations in its own order',
  'udp.stream': 'tshark numbers UDP conversations in its own order',
  'frame.time': 'absolute times are not comparable yet; use frame.time_relative',
  'frame.time_epoch': 'absolute times are not comparable yet; use frame.time_relative',
};

// ------------------------------------------------------------------ helpers

function layerStarts(x: FilterInput, layer: number, out: number[]): number[] {
  out.length = 0;
  const p = x.p;
  for (let k = 0; k < p.layerCount; k++) if (p.layerIds[k] === layer) out.push(x.base + p.layerStart[k]!);
  return out;
}
const scratch: number[] = [];

function end(x: FilterInput): number { return x.base + x.caplen; }

/** Levels of IP version v (4 or 6). */
function eachLevel(x: FilterInput, v: number, fn: (i: number) => void): void {
  const p = x.p;
  for (let i = 0; i < p.netCount; i++) if (p.ipVersion[i] === v) fn(i);
}

/** Frame offset of level i's transport header: the first layer starting after its IP header. */
function l4Start(x: FilterInput, i: number, layer: number): number {
  const p = x.p;
  const ip = p.ipStart[i]!;
  for (let k = 0; k < p.layerCount; k++) {
    if (p.layerStart[k]! > ip && p.layerIds[k] === layer) return x.base + p.layerStart[k]!;
  }
  return -1;
}

type LevelFn = (x: FilterInput, i: number, o: Occ) => void;
/*
 * Field getters made once, looping over the levels themselves: a getter
 * written as `(x, o) => l4(x, 6, (i) => ...)` would make a closure per packet
 * (garbage the filter pass of the 2 M-packet bench file paid for).
 */
/** Each level of IP version v. */
function levelsf(v: number, fn: LevelFn): (x: FilterInput, o: Occ) => void {
  return (x, o) => { const p = x.p; for (let i = 0; i < p.netCount; i++) if (p.ipVersion[i] === v) fn(x, i, o); };
}
/** Each level whose transport `proto` (6, 17) was decoded. */
function l4f(proto: number, fn: LevelFn): (x: FilterInput, o: Occ) => void {
  return (x, o) => { const p = x.p; for (let i = 0; i < p.netCount; i++) if (p.l4Present[i] === 1 && p.ipProto[i] === proto) fn(x, i, o); };
}
/** Each level with an ICMP (1) or ICMPv6 (58) header. */
function icmpf(proto: number, fn: LevelFn): (x: FilterInput, o: Occ) => void {
  return (x, o) => { const p = x.p; for (let i = 0; i < p.netCount; i++) if (p.ipProto[i] === proto && p.icmpType[i]! >= 0) fn(x, i, o); };
}


function mac(b: Uint8Array, at: number): number {
  return (b[at]! * 2 ** 40) + (b[at + 1]! * 2 ** 32) + (((b[at + 2]! << 24) | (b[at + 3]! << 16) | (b[at + 4]! << 8) | b[at + 5]!) >>> 0);
}

function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  const stop = Math.min(e, b.length);
  for (let k = s; k < stop; k++) out += String.fromCharCode(b[k]!);
  return out;
}

function ipText(x: FilterInput, i: number, src: boolean): string {
  return ipToString(x.p.ipVersion[i]!, src ? x.p.ipSrc : x.p.ipDst, i * 4);
}

// ------------------------------------------------------------------ frame

def('frame', 'proto', 'every frame; its bytes', (x, o) => o.str(latin1(x.b, x.base, end(x))), { present: () => true });
def('frame.number', 'uint', 'frame number in its capture (1-based)', (x, o) => o.num(x.frameNumber));
def('frame.len', 'uint', 'frame length on the wire', (x, o) => o.num(x.frameLen));
def('frame.cap_len', 'uint', 'bytes captured', (x, o) => o.num(x.frameCapLen));
def('frame.time_relative', 'float', 'seconds since the capture\'s first packet', (x, o) => { if (x.timeMs !== null) o.num(x.timeRelative); });
def('frame.interface_id', 'uint', 'pcapng interface id', (x, o) => { if (x.hasInterface) o.num(x.interfaceId); });

// ------------------------------------------------------------------ link

function protoField(name: string, layer: number, doc: string): void {
  def(name, 'proto', doc, (x, o) => {
    for (const s of layerStarts(x, layer, scratch)) o.str(latin1(x.b, s, end(x)));
  }, { present: (x) => x.p.has(layer) });
}

protoField('eth', L_ETH, 'Ethernet header (each one: outer, inside tunnels)');
const ethMacs = (x: FilterInput, o: Occ, which: 0 | 6 | -1): void => {
  for (const s of layerStarts(x, L_ETH, scratch)) {
    if (s + 14 > end(x)) continue;
    if (which === -1) { o.num(mac(x.b, s + 6)); o.num(mac(x.b, s)); } else o.num(mac(x.b, s + which));
  }
};
def('eth.src', 'mac', 'Ethernet source', (x, o) => ethMacs(x, o, 6));
def('eth.dst', 'mac', 'Ethernet destination', (x, o) => ethMacs(x, o, 0));
def('eth.addr', 'mac', 'Ethernet source or destination', (x, o) => ethMacs(x, o, -1));
def('eth.type', 'uint', 'ethertype (not for 802.3 length frames)', (x, o) => {
  for (const s of layerStarts(x, L_ETH, scratch)) {
    if (s + 14 > end(x)) continue;
    const t = u16be(x.b, s + 12);
    if (t >= 1536) o.num(t);
  }
}, { max: 0xffff });

protoField('vlan', L_VLAN, '802.1Q/802.1ad tag');
def('vlan.id', 'uint', 'VLAN id of each tag', (x, o) => {
  for (const s of layerStarts(x, L_VLAN, scratch)) if (s + 4 <= end(x)) o.num(u16be(x.b, s) & 0xfff);
}, { max: 0xfff });
def('vlan.priority', 'uint', 'VLAN priority (PCP)', (x, o) => {
  for (const s of layerStarts(x, L_VLAN, scratch)) if (s + 4 <= end(x)) o.num(x.b[s]! >> 5);
}, { max: 7 });
def('vlan.etype', 'uint', 'ethertype after the tag', (x, o) => {
  for (const s of layerStarts(x, L_VLAN, scratch)) if (s + 4 <= end(x)) { const t = u16be(x.b, s + 2); if (t >= 1536) o.num(t); }
}, { max: 0xffff });

def('sll', 'proto', 'Linux cooked header, v1 or v2', (x, o) => {
  for (const s of layerStarts(x, L_SLL, scratch)) o.str(latin1(x.b, s, end(x)));
  for (const s of layerStarts(x, L_SLL2, scratch)) o.str(latin1(x.b, s, end(x)));
}, { present: (x) => x.p.has(L_SLL) || x.p.has(L_SLL2) });
def('sll.ifindex', 'uint', 'interface index (SLL2)', (x, o) => {
  for (const s of layerStarts(x, L_SLL2, scratch)) if (s + 20 <= end(x)) o.num(u32be(x.b, s + 4));
}, { max: 0xffffffff });
def('sll.pkttype', 'uint', 'packet type (0 to us, 4 outgoing, ...)', (x, o) => {
  for (const s of layerStarts(x, L_SLL, scratch)) if (s + 16 <= end(x)) o.num(u16be(x.b, s));
  for (const s of layerStarts(x, L_SLL2, scratch)) if (s + 20 <= end(x)) o.num(x.b[s + 10]!);
}, { max: 0xffff });
protoField('null', L_NULL, 'BSD loopback header');
protoField('llc', L_LLC, '802.2 LLC');

// ------------------------------------------------------------------ IPv4, IPv6, ARP

def('ip', 'proto', 'IPv4 header (each one: outer, inner, ICMP-quoted)', (x, o) => {
  eachLevel(x, 4, (i) => o.str(latin1(x.b, x.base + x.p.ipStart[i]!, Math.min(end(x), x.base + x.p.ipStart[i]! + x.p.ipLength[i]!))));
}, { present: (x) => x.p.has(L_IPV4) });
const v4 = (name: string, doc: string, fn: (x: FilterInput, i: number, o: Occ) => void, type: FieldType = 'uint', max?: number): void =>
  def(name, type, doc, levelsf(4, fn), max !== undefined ? { max } : {});
v4('ip.src', 'IPv4 source', (x, i, o) => o.num(x.p.ipSrc[i * 4]! >>> 0), 'ipv4');
v4('ip.dst', 'IPv4 destination', (x, i, o) => o.num(x.p.ipDst[i * 4]! >>> 0), 'ipv4');
v4('ip.addr', 'IPv4 source or destination', (x, i, o) => { o.num(x.p.ipSrc[i * 4]! >>> 0); o.num(x.p.ipDst[i * 4]! >>> 0); }, 'ipv4');
v4('ip.proto', 'protocol of the payload', (x, i, o) => o.num(x.p.ipProto[i]!), 'uint', 255);
v4('ip.ttl', 'time to live', (x, i, o) => o.num(x.p.ipTtl[i]!), 'uint', 255);
v4('ip.id', 'identification', (x, i, o) => o.num(x.p.ipId[i]!), 'uint', 0xffff);
// tshark shows a BIG TCP/GSO packet's total length 0 as the length the frame gives it, as the decoder does.
v4('ip.len', 'total length (the frame\'s for a BIG TCP/GSO length of 0)', (x, i, o) => o.num(x.p.ipLength[i]!), 'uint', 0xffff);
v4('ip.hdr_len', 'header length in bytes', (x, i, o) => o.num((x.b[x.base + x.p.ipStart[i]!]! & 15) * 4), 'uint', 60);
v4('ip.dsfield.dscp', 'DSCP', (x, i, o) => o.num(x.b[x.base + x.p.ipStart[i]! + 1]! >> 2), 'uint', 63);
v4('ip.flags.df', "don't fragment", (x, i, o) => o.num((x.b[x.base + x.p.ipStart[i]! + 6]! >> 6) & 1), 'bool');
v4('ip.flags.mf', 'more fragments', (x, i, o) => o.num((x.b[x.base + x.p.ipStart[i]! + 6]! >> 5) & 1), 'bool');
v4('ip.frag_offset', 'fragment offset in bytes', (x, i, o) => o.num((u16be(x.b, x.base + x.p.ipStart[i]! + 6) & 0x1fff) * 8), 'uint', 0xffff);

def('ipv6', 'proto', 'IPv6 header (each one)', (x, o) => {
  eachLevel(x, 6, (i) => o.str(latin1(x.b, x.base + x.p.ipStart[i]!, end(x))));
}, { present: (x) => x.p.has(L_IPV6) });
const v6 = (name: string, doc: string, fn: (x: FilterInput, i: number, o: Occ) => void, type: FieldType = 'uint', max?: number): void =>
  def(name, type, doc, levelsf(6, fn), max !== undefined ? { max } : {});
v6('ipv6.src', 'IPv6 source', (x, i, o) => o.ip6(x.p.ipSrc, i * 4), 'ipv6');
v6('ipv6.dst', 'IPv6 destination', (x, i, o) => o.ip6(x.p.ipDst, i * 4), 'ipv6');
v6('ipv6.addr', 'IPv6 source or destination', (x, i, o) => { o.ip6(x.p.ipSrc, i * 4); o.ip6(x.p.ipDst, i * 4); }, 'ipv6');
v6('ipv6.nxt', 'next header (of the fixed header)', (x, i, o) => o.num(x.b[x.base + x.p.ipStart[i]! + 6]!), 'uint', 255);
v6('ipv6.hlim', 'hop limit', (x, i, o) => o.num(x.b[x.base + x.p.ipStart[i]! + 7]!), 'uint', 255);
v6('ipv6.plen', 'payload length', (x, i, o) => o.num(u16be(x.b, x.base + x.p.ipStart[i]! + 4)), 'uint', 0xffff);
v6('ipv6.flow', 'flow label', (x, i, o) => o.num(u32be(x.b, x.base + x.p.ipStart[i]!) & 0xfffff), 'uint', 0xfffff);

protoField('arp', L_ARP, 'ARP (and RARP)');
const arp = (name: string, doc: string, type: FieldType, fn: (b: Uint8Array, s: number, o: Occ) => void, max?: number): void =>
  def(name, type, doc, (x, o) => {
    for (const s of layerStarts(x, L_ARP, scratch)) {
      if (s + 8 > end(x)) continue;
      const ipv4Ether = x.b[s + 4] === 6 && x.b[s + 5] === 4 && s + 28 <= end(x);
      if (name === 'arp.opcode' || ipv4Ether) fn(x.b, s, o);
    }
  }, max !== undefined ? { max } : {});
arp('arp.opcode', 'ARP opcode (1 request, 2 reply)', 'uint', (b, s, o) => o.num(u16be(b, s + 6)), 0xffff);
arp('arp.src.hw_mac', 'sender MAC', 'mac', (b, s, o) => o.num(mac(b, s + 8)));
arp('arp.src.proto_ipv4', 'sender IPv4', 'ipv4', (b, s, o) => o.num(u32be(b, s + 14)));
arp('arp.dst.hw_mac', 'target MAC', 'mac', (b, s, o) => o.num(mac(b, s + 18)));
arp('arp.dst.proto_ipv4', 'target IPv4', 'ipv4', (b, s, o) => o.num(u32be(b, s + 24)));

// ------------------------------------------------------------------ ICMP, UDP, TCP

protoField('icmp', L_ICMP, 'ICMP');
def('icmp.type', 'uint', 'ICMP type', icmpf(1, (x, i, o) => o.num(x.p.icmpType[i]!)), { max: 255 });
def('icmp.code', 'uint', 'ICMP code', icmpf(1, (x, i, o) => o.num(x.p.icmpCode[i]!)), { max: 255 });
protoField('icmpv6', L_ICMPV6, 'ICMPv6');
def('icmpv6.type', 'uint', 'ICMPv6 type', icmpf(58, (x, i, o) => o.num(x.p.icmpType[i]!)), { max: 255 });
def('icmpv6.code', 'uint', 'ICMPv6 code', icmpf(58, (x, i, o) => o.num(x.p.icmpCode[i]!)), { max: 255 });

def('udp', 'proto', 'UDP (each header)', l4f(17, (x, i, o) => {
  const s = l4Start(x, i, L_UDP);
  if (s >= 0) o.str(latin1(x.b, s, x.base + x.p.payloadStart[i]! + x.p.payloadLength[i]!));
}), { present: (x) => x.p.has(L_UDP) });
def('udp.srcport', 'uint', 'UDP source port', l4f(17, (x, i, o) => o.num(x.p.srcPort[i]!)), { max: 0xffff });
def('udp.dstport', 'uint', 'UDP destination port', l4f(17, (x, i, o) => o.num(x.p.dstPort[i]!)), { max: 0xffff });
def('udp.port', 'uint', 'UDP source or destination port', l4f(17, (x, i, o) => { o.num(x.p.srcPort[i]!); o.num(x.p.dstPort[i]!); }), { max: 0xffff });
def('udp.length', 'uint', 'UDP length (header field)', l4f(17, (x, i, o) => {
  const s = x.base + x.p.payloadStart[i]! - 8;
  o.num(u16be(x.b, s + 4));
}), { max: 0xffff });

def('tcp', 'proto', 'TCP (each header)', l4f(6, (x, i, o) => {
  const s = l4Start(x, i, L_TCP);
  if (s >= 0) o.str(latin1(x.b, s, x.base + x.p.payloadStart[i]! + x.p.payloadLength[i]!));
}), { present: (x) => x.p.has(L_TCP) });
def('tcp.srcport', 'uint', 'TCP source port', l4f(6, (x, i, o) => o.num(x.p.srcPort[i]!)), { max: 0xffff });
def('tcp.dstport', 'uint', 'TCP destination port', l4f(6, (x, i, o) => o.num(x.p.dstPort[i]!)), { max: 0xffff });
def('tcp.port', 'uint', 'TCP source or destination port', l4f(6, (x, i, o) => { o.num(x.p.srcPort[i]!); o.num(x.p.dstPort[i]!); }), { max: 0xffff });
def('tcp.seq_raw', 'uint', 'sequence number as on the wire', l4f(6, (x, i, o) => o.num(x.p.tcpSeq[i]!)), { max: 0xffffffff });
def('tcp.ack_raw', 'uint', 'acknowledgement number as on the wire', l4f(6, (x, i, o) => o.num(x.p.tcpAck[i]!)), { max: 0xffffffff });
def('tcp.len', 'uint', 'TCP payload length (from the IP length)', l4f(6, (x, i, o) => o.num(x.p.payloadWireLength[i]!)), { max: 0xffffffff });
def('tcp.window_size_value', 'uint', 'window field (unscaled)', l4f(6, (x, i, o) => o.num(x.p.tcpWindow[i]!)), { max: 0xffff });
def('tcp.hdr_len', 'uint', 'header length in bytes', l4f(6, (x, i, o) => {
  const s = l4Start(x, i, L_TCP);
  if (s >= 0) o.num((x.b[s + 12]! >> 4) * 4);
}), { max: 60 });
def('tcp.flags', 'uint', 'flags (12 bits)', l4f(6, (x, i, o) => {
  const s = l4Start(x, i, L_TCP);
  if (s >= 0) o.num(u16be(x.b, s + 12) & 0xfff);
}), { max: 0xfff });
const FLAG_BITS: Array<[string, number, string]> = [
  ['fin', 0x001, 'FIN'], ['syn', 0x002, 'SYN'], ['reset', 0x004, 'RST'], ['push', 0x008, 'PSH'], ['ack', 0x010, 'ACK'],
  ['urg', 0x020, 'URG'], ['ece', 0x040, 'ECE'], ['cwr', 0x080, 'CWR'], ['ns', 0x100, 'NS (accurate ECN)'],
];
for (const [n, bit, label] of FLAG_BITS) {
  def(`tcp.flags.${n}`, 'bool', `${label} flag`, l4f(6, (x, i, o) => o.num((x.p.tcpFlags[i]! & bit) !== 0 ? 1 : 0)));
}
// Relative numbers and analysis flags (tcp-analysis.ts): state over the capture's packets before this one.
function tcpState(x: FilterInput): TcpOccurrences {
  if (!x.tcp) throw new TcpOrderError('the relative TCP numbers and TCP analysis are not available in this scan (it does not read the capture in order from its first packet)');
  return x.tcp;
}
const stateful = { tcpAnalysis: true };
def('tcp.seq', 'uint', 'sequence number relative to the first of its direction (Wireshark\'s default; raw in an ICMP quote)', (x, o) => {
  const a = tcpState(x); for (let k = 0; k < a.count; k++) o.num(a.seq[k]!);
}, { ...stateful, max: 0xffffffff });
def('tcp.ack', 'uint', 'acknowledgement number relative to the other direction\'s first (raw without the ACK flag)', (x, o) => {
  const a = tcpState(x); for (let k = 0; k < a.count; k++) o.num(a.ack[k]!);
}, { ...stateful, max: 0xffffffff });
def('tcp.nxtseq', 'uint', 'relative sequence number after this segment (seq + len, +1 for SYN or FIN)', (x, o) => {
  const a = tcpState(x); for (let k = 0; k < a.count; k++) if (!Number.isNaN(a.nxtseq[k]!)) o.num(a.nxtseq[k]!);
}, { ...stateful, max: 0xffffffff });
/** `twice`: tshark adds the item and an expert item of the same name (count() sees both). */
const analysis = (name: string, mask: number, doc: string, twice = false): void => def(name, 'none', doc, (x, o) => {
  const a = tcpState(x);
  for (let k = 0; k < a.count; k++) if (a.flags[k]! & mask) { o.num(1); if (twice) o.num(1); }
}, stateful);
analysis('tcp.analysis.flags', 0xffff, 'any TCP analysis flag (retransmission, window update, duplicate ACK, ...)');
analysis('tcp.analysis.retransmission', TCP_A_RETRANSMISSION | TCP_A_FAST_RETRANSMISSION | TCP_A_SPURIOUS_RETRANSMISSION,
  'a retransmission (fast and spurious ones included, as tshark flags them)');
analysis('tcp.analysis.fast_retransmission', TCP_A_FAST_RETRANSMISSION, 'a fast retransmission (after 2+ duplicate ACKs, within 20 ms)');
analysis('tcp.analysis.spurious_retransmission', TCP_A_SPURIOUS_RETRANSMISSION, 'data the other side had already acknowledged');
analysis('tcp.analysis.out_of_order', TCP_A_OUT_OF_ORDER, 'below the next expected sequence number, within the handshake RTT (3 ms without one)');
analysis('tcp.analysis.lost_segment', TCP_A_LOST_PACKET, 'previous segment not captured');
analysis('tcp.analysis.ack_lost_segment', TCP_A_ACK_LOST_PACKET, 'acknowledges a segment not captured');
analysis('tcp.analysis.window_update', TCP_A_WINDOW_UPDATE, 'window update');
analysis('tcp.analysis.window_full', TCP_A_WINDOW_FULL, 'fills the receive window');
analysis('tcp.analysis.keep_alive', TCP_A_KEEP_ALIVE, 'keep-alive');
analysis('tcp.analysis.keep_alive_ack', TCP_A_KEEP_ALIVE_ACK, 'keep-alive ACK');
analysis('tcp.analysis.duplicate_ack', TCP_A_DUPLICATE_ACK, 'duplicate ACK', true);
analysis('tcp.analysis.zero_window', TCP_A_ZERO_WINDOW, 'zero window');
analysis('tcp.analysis.zero_window_probe', TCP_A_ZERO_WINDOW_PROBE, 'zero window probe');
analysis('tcp.analysis.zero_window_probe_ack', TCP_A_ZERO_WINDOW_PROBE_ACK, 'zero window probe ACK');
analysis('tcp.analysis.reused_ports', TCP_A_REUSED_PORTS, 'a SYN on a 4-tuple already seen');
def('tcp.options.mss_val', 'uint', 'MSS option value', l4f(6, (x, i, o) => { if (x.p.tcpMss[i]! >= 0) o.num(x.p.tcpMss[i]!); }), { max: 0xffff });
def('tcp.options.wscale.shift', 'uint', 'window scale option shift', l4f(6, (x, i, o) => { if (x.p.tcpWscale[i]! >= 0) o.num(x.p.tcpWscale[i]!); }), { max: 255 });

// ------------------------------------------------------------------ tunnels

const tunnels = (x: FilterInput, type: number, fn: (t: number) => void): void => {
  for (let t = 0; t < x.p.tunnelCount; t++) if (x.p.tunnelType[t] === type) fn(t);
};
protoField('vxlan', L_VXLAN, 'VXLAN header');
def('vxlan.vni', 'uint', 'VXLAN network identifier', (x, o) => tunnels(x, TUNNEL_VXLAN, (t) => o.num(x.p.tunnelVni[t]!)), { max: 0xffffff });
protoField('geneve', L_GENEVE, 'Geneve header');
def('geneve.vni', 'uint', 'Geneve virtual network identifier', (x, o) => tunnels(x, TUNNEL_GENEVE, (t) => o.num(x.p.tunnelVni[t]!)), { max: 0xffffff });
protoField('gre', L_GRE, 'GRE header (NVGRE, PPTP included)');
def('gre.proto', 'uint', 'GRE protocol type', (x, o) => {
  for (const s of layerStarts(x, L_GRE, scratch)) if (s + 4 <= end(x)) o.num(u16be(x.b, s + 2));
}, { max: 0xffff });
protoField('erspan', L_ERSPAN, 'ERSPAN header');
protoField('wg', L_WG, 'WireGuard message');
def('wg.type', 'uint', 'WireGuard message type', (x, o) => { if (x.p.wgType > 0) o.num(x.p.wgType); }, { max: 255 });
def('wg.sender', 'uint', 'WireGuard sender index', (x, o) => { if (x.p.wgSender >= 0) o.num(x.p.wgSender); }, { max: 0xffffffff });
def('wg.receiver', 'uint', 'WireGuard receiver index', (x, o) => { if (x.p.wgReceiver >= 0) o.num(x.p.wgReceiver); }, { max: 0xffffffff });

// ------------------------------------------------------------------ HTTP, DNS

def('http', 'proto', 'HTTP/1.x message (its first segment)', (x, o) => {
  const p = x.p;
  if (p.httpNet >= 0) o.str(latin1(x.b, x.base + p.payloadStart[p.httpNet]!, x.base + p.payloadStart[p.httpNet]! + p.payloadLength[p.httpNet]!));
}, { present: (x) => x.p.has(L_HTTP) });
def('http.request', 'bool', 'an HTTP request (presence)', (x, o) => { if (x.p.httpKind === 1) o.num(1); });
def('http.response', 'bool', 'an HTTP response (presence)', (x, o) => { if (x.p.httpKind === 2) o.num(1); });
const httpStr = (name: string, doc: string, fn: (x: FilterInput) => string | null): void =>
  def(name, 'string', doc, (x, o) => { const v = fn(x); if (v !== null) o.str(v); });
httpStr('http.request.method', 'request method', (x) => (x.p.httpKind === 1 ? x.httpHead()?.method ?? null : null));
httpStr('http.request.uri', 'request target', (x) => (x.p.httpKind === 1 ? x.httpHead()?.uri ?? null : null));
httpStr('http.request.version', 'request HTTP version', (x) => (x.p.httpKind === 1 ? x.httpHead()?.version ?? null : null));
httpStr('http.response.version', 'response HTTP version', (x) => (x.p.httpKind === 2 ? x.httpHead()?.version ?? null : null));
httpStr('http.response.phrase', 'response reason phrase', (x) => (x.p.httpKind === 2 ? x.httpHead()?.phrase ?? null : null));
def('http.response.code', 'uint', 'response status code', (x, o) => {
  if (x.p.httpKind !== 2) return;
  const c = x.httpHead()?.code;
  if (c !== null && c !== undefined) o.num(c);
}, { max: 999 });
const header = (name: string, h: string): void => def(name, 'string', `${h} header`, (x, o) => {
  if (x.p.httpKind === 0) return;
  for (const [k, v] of x.httpHead()?.headers ?? []) if (k === h) o.str(v);
});
header('http.host', 'host');
header('http.user_agent', 'user-agent');
header('http.server', 'server');
header('http.content_type', 'content-type');
header('http.location', 'location');
header('http.x_forwarded_for', 'x-forwarded-for');

protoField('dns', L_DNS, 'DNS message');
def('dns.id', 'uint', 'transaction id', (x, o) => { if (x.p.dnsNet >= 0) o.num(x.p.dnsId); }, { max: 0xffff });
def('dns.flags.response', 'bool', 'a response', (x, o) => { if (x.p.dnsNet >= 0) o.num(x.p.dnsIsResponse); });
def('dns.qry.name', 'string', 'query name', (x, o) => { for (const q of x.dnsMessage()?.questions ?? []) o.str(q.name === '' ? '<Root>' : q.name); });
def('dns.qry.type', 'uint', 'query type', (x, o) => { for (const q of x.dnsMessage()?.questions ?? []) o.num(q.type); }, { max: 0xffff });
def('dns.resp.name', 'string', 'answer owner name', (x, o) => { for (const a of x.dnsMessage()?.answers ?? []) o.str(a.name === '' ? '<Root>' : a.name); });
def('dns.resp.ttl', 'uint', 'answer TTL', (x, o) => { for (const a of x.dnsMessage()?.answers ?? []) o.num(a.ttl); }, { max: 0xffffffff });
def('dns.count.answers', 'uint', 'answer count (header)', (x, o) => {
  const m = x.dnsMessage();
  if (m) o.num(m.answers.length);
}, { max: 0xffff });
def('dns.a', 'ipv4', 'A record address', (x, o) => {
  for (const a of x.dnsMessage()?.answers ?? []) if (a.type === 1) { const v = parseV4(a.data); if (v !== null) o.num(v); }
});
def('dns.aaaa', 'ipv6', 'AAAA record address', (x, o) => {
  for (const a of x.dnsMessage()?.answers ?? []) if (a.type === 28) { const w = parseV6(a.data); if (w) o.ip6(w, 0); }
});

// ------------------------------------------------------------------ OverlayScope's own

const ours = { ours: true };
def('capture.point', 'string', 'capture point name (file, interface, node NIC, ...)', (x, o) => {
  const v = x.facts.capturePoint?.(x);
  if (v) o.text(v);
}, ours);
def('capture.host', 'string', 'host (shared kernel clock) of the capture point', (x, o) => {
  const v = x.facts.captureHost?.(x);
  if (v) o.text(v);
}, ours);
def('capture.index', 'uint', 'the capture\'s number in the session (0-based)', (x, o) => o.num(x.capture), ours);
def('overlay.depth', 'uint', 'tunnels around the innermost network level (0 none)', (x, o) => {
  const i = x.p.innermostNet();
  o.num(i >= 0 ? x.p.netDepth[i]! : 0);
}, ours);
def('overlay.tunnel', 'string', 'each tunnel as "node1 → node2" (node names from the facts, else addresses)', (x, o) => {
  for (let t = 0; t < x.p.tunnelCount; t++) {
    const i = x.p.tunnelNet[t]!;
    const s = ipText(x, i, true), d = ipText(x, i, false);
    o.text(`${x.facts.nodeName?.(s) ?? s} → ${x.facts.nodeName?.(d) ?? d}`);
  }
}, ours);
def('overlay.type', 'string', 'each tunnel\'s type (vxlan, geneve, ipip, gre, nvgre, erspan, wireguard)', (x, o) => {
  for (let t = 0; t < x.p.tunnelCount; t++) o.text(TUNNEL_NAMES[x.p.tunnelType[t]!]!);
}, ours);
def('overlay.vni', 'uint', 'each tunnel\'s identifier (VNI, GRE key, VSID, session, index)', (x, o) => {
  for (let t = 0; t < x.p.tunnelCount; t++) o.num(x.p.tunnelVni[t]! >>> 0);
}, { ...ours, max: 0xffffffff });
def('journey', 'uint', 'id of the request journey the packet is part of', (x, o) => {
  const j = x.facts.journey?.(x) ?? -1;
  if (j >= 0) o.num(j);
}, ours);
def('nat.translated', 'bool', 'the packet is one side of a seen translation (DNAT/SNAT)', (x, o) => {
  if (x.facts.translated) o.num(x.facts.translated(x) ? 1 : 0);
}, ours);

def('flow.id', 'uint', 'the id of the packet\'s (innermost) flow, as the flow table numbers it', (x, o) => { const f = x.facts.flow?.(x); if (f) o.num(f.id); }, ours);
def('flow.packets', 'uint', 'packets of the packet\'s (innermost) flow, both directions', (x, o) => { const f = x.facts.flow?.(x); if (f) o.num(f.packets); }, ours);
def('flow.bytes', 'uint', 'bytes (frame lengths) of the packet\'s (innermost) flow, both directions', (x, o) => { const f = x.facts.flow?.(x); if (f) o.num(f.bytes); }, ours);
def('flow.duration', 'float', 'seconds from the first to the last packet of the packet\'s (innermost) flow', (x, o) => { const f = x.facts.flow?.(x); if (f) o.num(f.duration); }, ours);

type Side = 'any' | 'src' | 'dst';
/** Each endpoint of each (unquoted) network level, once per address and port. */
function endpoints(x: FilterInput, side: Side, pick: (e: EndpointFacts) => string | string[] | null, o: Occ): void {
  const f = x.facts.endpoint;
  if (!f) return;
  const p = x.p;
  const seen = new Set<string>();
  for (let i = 0; i < p.netCount; i++) {
    if (p.netQuoted[i]) continue;
    for (const src of side === 'any' ? [true, false] : [side === 'src']) {
      const ip = ipText(x, i, src);
      const port = p.l4Present[i] ? (src ? p.srcPort[i]! : p.dstPort[i]!) : null;
      const e = f(ip, port, x.timeMs);
      const v = e ? pick(e) : null;
      for (const name of v === null ? [] : typeof v === 'string' ? [v] : v) {
        if (!seen.has(name)) { seen.add(name); o.text(name); }
      }
    }
  }
}
const K8S: Array<[string, (e: EndpointFacts) => string | string[] | null]> = [
  ['pod', (e) => e.pod], ['namespace', (e) => e.namespace], ['node', (e) => e.node], ['service', (e) => e.service],
];
for (const [n, pick] of K8S) {
  def(`k8s.${n}`, 'string', `the ${n} of any endpoint (time-aware, from cluster metadata)`, (x, o) => endpoints(x, 'any', pick, o), ours);
  def(`k8s.src.${n}`, 'string', `the ${n} of a source`, (x, o) => endpoints(x, 'src', pick, o), ours);
  def(`k8s.dst.${n}`, 'string', `the ${n} of a destination`, (x, o) => endpoints(x, 'dst', pick, o), ours);
}

// ------------------------------------------------------------------ address literals

export function parseV4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((v) => v > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** An IPv6 address as four big-endian words (embedded IPv4 tail allowed), or null. */
export function parseV6(s: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  let text = s;
  if (s.includes('.')) {
    // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hex groups.
    const lastColon = s.lastIndexOf(':');
    const v = parseV4(s.slice(lastColon + 1));
    if (v === null || lastColon < 0) return null;
    text = `${s.slice(0, lastColon + 1)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const gs = part.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const a = parse(text.slice(0, dbl));
    const b = parse(text.slice(dbl + 2));
    if (!a || !b) return null;
    const fill = 8 - a.length - b.length;
    if (fill < 1) return null;
    groups = [...a, ...new Array<number>(fill).fill(0), ...b];
  } else {
    const a = parse(text);
    if (!a) return null;
    groups = a;
  }
  if (groups.length !== 8) return null;
  return [0, 1, 2, 3].map((k) => ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0);
}

/** A MAC address `aa:bb:cc:dd:ee:ff`, `aa-bb-...` or `aabb.ccdd.eeff` as a 48-bit number, or null. */
export function parseMac(s: string): number | null {
  let hex: string;
  if (/^[0-9a-fA-F]{1,2}([:-])[0-9a-fA-F]{1,2}(\1[0-9a-fA-F]{1,2}){4}$/.test(s)) hex = s.split(/[:-]/).map((g) => g.padStart(2, '0')).join('');
  else if (/^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(s)) hex = s.replace(/\./g, '');
  else return null;
  return parseInt(hex, 16);
}
