/**
 * UDP (RFC 768), TCP (RFC 9293) with its options, ICMP (RFC 792) and
 * ICMPv6 (RFC 4443). They fill the transport fields of the current network
 * level `i` and leave the payload range in nextOff/nextEnd.
 */
import { u16be, u32be } from '../capture/bytes.js';
import { F_ICMP, F_PAYLOAD, F_PORTS, F_TCP, F_TCP_OPTIONS, type DecodedPacket } from './decoded.js';
import { L_ICMP, L_ICMPV6, L_TCP, L_UDP } from './layers.js';
import { NEXT_STOP, NEXT_TRUNCATED } from './link.js';

/** Returned when an ICMP error quotes the IP header of the packet that caused it. */
export const NEXT_QUOTED_IPV4 = -10;
export const NEXT_QUOTED_IPV6 = -11;

/**
 *   |          Source Port          |       Destination Port        |
 *   |            Length             |           Checksum            |
 */
export function decodeUdp(p: DecodedPacket, i: number, b: Uint8Array, off: number, end: number, base: number): boolean {
  p.push(L_UDP, off - base);
  if (end - off < 8) {
    p.fail(L_UDP, off - base, 'UDP header needs 8 bytes');
    return false;
  }
  p.l4Present[i] = 1;
  p.srcPort[i] = u16be(b, off);
  p.dstPort[i] = u16be(b, off + 2);
  const len = u16be(b, off + 4);
  let payloadEnd = end;
  if (len >= 8) {
    if (off + len < end) payloadEnd = off + len;
    p.payloadWireLength[i] = len - 8;
  } else {
    // Length 0 occurs on GSO/jumbo UDP; anything else below 8 is malformed.
    if (len !== 0) p.malformed = 1;
    p.payloadWireLength[i] = end - off - 8;
  }
  p.payloadStart[i] = off + 8 - base;
  p.payloadLength[i] = payloadEnd - off - 8;
  p.nextOff = off + 8;
  p.nextEnd = payloadEnd;
  p.fieldsWritten[i] |= F_PORTS | F_PAYLOAD;
  return true;
}

const OPT_END = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;

/**
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                    Options (data offset > 5)                  |
 */
export function decodeTcp(p: DecodedPacket, i: number, b: Uint8Array, off: number, end: number, base: number, ipPayloadWire: number): boolean {
  p.push(L_TCP, off - base);
  if (end - off < 20) {
    p.fail(L_TCP, off - base, 'TCP header needs 20 bytes');
    return false;
  }
  const doff = (b[off + 12]! >> 4) * 4;
  if (doff < 20) {
    p.fail(L_TCP, off - base, 'TCP data offset below 20 bytes');
    return false;
  }
  p.l4Present[i] = 1;
  p.srcPort[i] = u16be(b, off);
  p.dstPort[i] = u16be(b, off + 2);
  p.tcpSeq[i] = u32be(b, off + 4);
  p.tcpAck[i] = u32be(b, off + 8);
  p.tcpFlags[i] = ((b[off + 12]! & 1) << 8) | b[off + 13]!;
  p.tcpWindow[i] = u16be(b, off + 14);
  p.fieldsWritten[i] |= F_PORTS | F_TCP;
  if (end - off < doff) {
    p.fail(L_TCP, off - base, 'TCP options cut short');
    return false;
  }
  // Options: kind(1) [length(1) data]; END and NOP are one byte.
  let q = off + 20;
  const oe = off + doff;
  if (q < oe) {
    // Options are written one by one: start from the defaults unless they are known to hold them.
    if ((p.fieldsClean[i]! & F_TCP_OPTIONS) === 0) p.clearGroups(i, F_TCP_OPTIONS);
    p.fieldsWritten[i] |= F_TCP_OPTIONS;
  }
  while (q < oe) {
    const kind = b[q]!;
    if (kind === OPT_END) break;
    if (kind === OPT_NOP) { q++; continue; }
    if (q + 1 >= oe) { p.malformed = 1; break; }
    const len = b[q + 1]!;
    if (len < 2 || q + len > oe) { p.malformed = 1; break; }
    if (kind === OPT_MSS && len === 4) p.tcpMss[i] = u16be(b, q + 2);
    else if (kind === OPT_WSCALE && len === 3) p.tcpWscale[i] = b[q + 2]!;
    else if (kind === OPT_SACK_PERMITTED) p.tcpSackPermitted[i] = 1;
    else if (kind === OPT_SACK) p.tcpSackBlocks[i] = (len - 2) >> 3;
    else if (kind === OPT_TIMESTAMP && len === 10) {
      p.tcpHasTs[i] = 1;
      p.tcpTsVal[i] = u32be(b, q + 2);
      p.tcpTsEcr[i] = u32be(b, q + 6);
    }
    q += len;
  }
  p.payloadStart[i] = oe - base;
  p.payloadLength[i] = end - oe;
  p.payloadWireLength[i] = Math.max(0, ipPayloadWire - doff);
  p.fieldsWritten[i] |= F_PAYLOAD;
  p.nextOff = oe;
  p.nextEnd = end;
  return true;
}

/**
 * ICMP: type(1) code(1) checksum(2) rest-of-header(4), then data (8 bytes at least). Error
 * messages (unreachable 3, source quench 4, redirect 5, time exceeded 11,
 * parameter problem 12) quote the offending IP header and 8+ bytes.
 */
export function decodeIcmp(p: DecodedPacket, i: number, b: Uint8Array, off: number, end: number, base: number): number {
  if (!icmpHeader(p, i, L_ICMP, 'ICMP header needs 8 bytes', b, off, end, base)) return NEXT_TRUNCATED;
  const type = p.icmpType[i]!;
  if ((type === 3 || type === 4 || type === 5 || type === 11 || type === 12) && end - off >= 8 + 20) {
    p.nextOff = off + 8;
    p.nextEnd = end;
    return NEXT_QUOTED_IPV4;
  }
  return NEXT_STOP;
}

/** ICMPv6: errors 1..4 quote the offending IPv6 packet after 8 bytes. */
export function decodeIcmpv6(p: DecodedPacket, i: number, b: Uint8Array, off: number, end: number, base: number): number {
  if (!icmpHeader(p, i, L_ICMPV6, 'ICMPv6 header needs 8 bytes', b, off, end, base)) return NEXT_TRUNCATED;
  const type = p.icmpType[i]!;
  if (type >= 1 && type <= 4 && end - off >= 8 + 40) {
    p.nextOff = off + 8;
    p.nextEnd = end;
    return NEXT_QUOTED_IPV6;
  }
  return NEXT_STOP;
}

/** The 8-byte header ICMP and ICMPv6 share: type, code, checksum, rest-of-header. */
function icmpHeader(p: DecodedPacket, i: number, layer: number, short: string, b: Uint8Array, off: number, end: number, base: number): boolean {
  p.push(layer, off - base);
  if (end - off < 8) {
    p.fail(layer, off - base, short);
    return false;
  }
  p.icmpType[i] = b[off]!;
  p.icmpCode[i] = b[off + 1]!;
  p.payloadStart[i] = off + 8 - base;
  p.payloadLength[i] = Math.max(0, end - off - 8);
  p.payloadWireLength[i] = 0;
  p.fieldsWritten[i] |= F_ICMP | F_PAYLOAD;
  return true;
}
