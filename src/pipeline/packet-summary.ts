/**
 * One packet as a list row: layers, source, destination and a short info
 * text in the spirit of Wireshark's Info column. Allocates; used for pages of
 * packets and the CLI's `packets` command, not in the analysis hot loop.
 */
import { tunnelText } from '../dissect/tunnel-text.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import {
  L_ARP, L_DNS, L_HTTP, LAYER_NAMES, TUNNEL_GRE, TUNNEL_NAMES,
} from '../dissect/layers.js';
import { ipToString, macToString } from '../dissect/addr.js';
import { parseDnsMessage, dnsTypeName } from '../dissect/dns-message.js';

export interface PacketSummary {
  layers: string[];
  src: string;
  dst: string;
  info: string;
}

/** In Wireshark's order (its info column and tcp.flags.str: low bit first): "[FIN, ACK]", "[PSH, ACK]", "[SYN, ECE, CWR]". */
const TCP_FLAG_NAMES: Array<[number, string]> = [
  [0x001, 'FIN'], [0x002, 'SYN'], [0x004, 'RST'], [0x008, 'PSH'], [0x010, 'ACK'], [0x020, 'URG'], [0x040, 'ECE'], [0x080, 'CWR'],
];

export function tcpFlagText(flags: number): string {
  return TCP_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n).join(', ');
}

export function summarizePacket(p: DecodedPacket, b: Uint8Array, base: number, caplen: number): PacketSummary {
  const layers: string[] = [];
  for (let i = 0; i < p.layerCount; i++) {
    const name = LAYER_NAMES[p.layerIds[i]!]!;
    if (name !== 'data' && name !== 'llc') layers.push(name);
  }
  const net = p.innermostNet();
  let src = '';
  let dst = '';
  let info = '';
  if (net >= 0) {
    src = ipToString(p.ipVersion[net]!, p.ipSrc, net * 4);
    dst = ipToString(p.ipVersion[net]!, p.ipDst, net * 4);
    const proto = p.ipProto[net]!;
    if (p.l4Present[net]) {
      const sp = p.srcPort[net]!;
      const dp = p.dstPort[net]!;
      if (proto === 6) {
        info = `${sp} → ${dp} [${tcpFlagText(p.tcpFlags[net]!)}] Seq=${p.tcpSeq[net]} Ack=${p.tcpAck[net]} Win=${p.tcpWindow[net]} Len=${p.payloadWireLength[net]}`;
      } else if (proto === 17) {
        info = `${sp} → ${dp} Len=${p.payloadWireLength[net]}`;
      }
    } else if (p.icmpType[net]! >= 0) {
      info = `${p.ipVersion[net] === 4 ? 'ICMP' : 'ICMPv6'} type ${p.icmpType[net]} code ${p.icmpCode[net]}${icmpName(p.ipVersion[net]!, p.icmpType[net]!)}`;
    } else if (p.ipFragment[net] === 2) {
      info = `fragment of IP id 0x${p.ipId[net]!.toString(16)}`;
    }
    if (p.has(L_HTTP) && p.httpNet >= 0) {
      const start = base + p.payloadStart[p.httpNet]!;
      const len = Math.min(p.payloadLength[p.httpNet]!, 512);
      info = firstLine(b, start, len);
    } else if (p.has(L_DNS) && p.dnsNet >= 0) {
      const dnsStart = base + p.payloadStart[p.dnsNet]! + (p.ipProto[p.dnsNet] === 6 ? 2 : 0);
      const dnsLen = base + p.payloadStart[p.dnsNet]! + p.payloadLength[p.dnsNet]! - dnsStart;
      const msg = parseDnsMessage(b, dnsStart, dnsLen);
      if (msg) {
        const q = msg.questions[0];
        const what = q ? ` ${dnsTypeName(q.type)} ${q.name}` : '';
        const ans = msg.isResponse ? msg.answers.map((a) => ` ${dnsTypeName(a.type)} ${a.data}`).join('') : '';
        info = `DNS ${msg.isResponse ? 'response' : 'query'} 0x${msg.id.toString(16).padStart(4, '0')}${what}${ans}${msg.rcode ? ` rcode=${msg.rcode}` : ''}`;
      }
    }
  } else if (p.has(L_ARP)) {
    info = arpInfo(p, b, base);
    if (p.ethCount > 0) {
      src = macToString(p.ethMac, 6);
      dst = macToString(p.ethMac, 0);
    }
  } else if (p.ethCount > 0) {
    src = macToString(p.ethMac, 6);
    dst = macToString(p.ethMac, 0);
  }
  if (p.tunnelCount > 0) {
    const t = p.tunnelCount - 1;
    const outer = p.tunnelNet[t]!;
    const type = p.tunnelType[t]!;
    // Each tunnel names its identifier as its header does (tunnelText); IP-in-IP has none, GRE only with the K bit.
    const id = type !== TUNNEL_GRE || ((p.greFlags[t]! >> 8) & 0x20) !== 0 ? p.tunnelVni[t]! >>> 0 : -1;
    const text = `${tunnelText({ type: TUNNEL_NAMES[type]!, vni: id })} ${ipToString(p.ipVersion[outer]!, p.ipSrc, outer * 4)} → ${ipToString(p.ipVersion[outer]!, p.ipDst, outer * 4)}`;
    info = info ? `${info} (${text})` : text;
  }
  if (p.issueLayer >= 0) info = `${info}${info ? ' ' : ''}[${LAYER_NAMES[p.issueLayer]}: ${p.issueReason}]`;
  void caplen;
  return { layers, src, dst, info };
}

/** "Who has 10.0.0.1? Tell 10.0.0.2" / "10.0.0.1 is at aa:bb:..." as Wireshark words it. */
function arpInfo(p: DecodedPacket, b: Uint8Array, base: number): string {
  let at = -1;
  for (let i = 0; i < p.layerCount; i++) if (p.layerIds[i] === L_ARP) at = base + p.layerStart[i]!;
  if (at < 0 || b.length < at + 28 || b[at + 4] !== 6 || b[at + 5] !== 4) return 'ARP';
  const op = (b[at + 6]! << 8) | b[at + 7]!;
  const ip = (o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  const senderIp = ip(at + 14);
  const targetIp = ip(at + 24);
  if (op === 1) return senderIp === targetIp ? `ARP announcement for ${senderIp}` : `ARP Who has ${targetIp}? Tell ${senderIp}`;
  if (op === 2) return `ARP ${senderIp} is at ${macToString(b, at + 8)}`;
  return `ARP opcode ${op}`;
}

function icmpName(version: number, type: number): string {
  const v4: Record<number, string> = { 0: ' (echo reply)', 3: ' (destination unreachable)', 8: ' (echo request)', 11: ' (time exceeded)' };
  const v6: Record<number, string> = { 1: ' (destination unreachable)', 3: ' (time exceeded)', 128: ' (echo request)', 129: ' (echo reply)', 133: ' (router solicitation)', 134: ' (router advertisement)', 135: ' (neighbor solicitation)', 136: ' (neighbor advertisement)' };
  return (version === 4 ? v4[type] : v6[type]) ?? '';
}

/** The first line of a text payload, non-printable bytes escaped. */
export function firstLine(b: Uint8Array, start: number, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) {
    const c = b[start + i]!;
    if (c === 0x0d || c === 0x0a) break;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}
