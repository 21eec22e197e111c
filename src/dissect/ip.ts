/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) with extension headers, and ARP (RFC 826).
 * Each sets one network level in DecodedPacket and returns the IP protocol of
 * the payload, or NEXT_STOP / NEXT_TRUNCATED.
 */
import { u16be, u32be } from '../capture/bytes.js';
import type { DecodedPacket } from './decoded.js';
import { F_IP_WORDS, MAX_NET } from './decoded.js';
import { L_ARP, L_IPV4, L_IPV6 } from './layers.js';
import { NEXT_STOP, NEXT_TRUNCATED } from './link.js';

/**
 *    0                   1                   2                   3
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL > 5)                          |
 */
export function decodeIpv4(p: DecodedPacket, b: Uint8Array, off: number, end: number, base: number): number {
  p.push(L_IPV4, off - base);
  if (p.netCount >= MAX_NET) {
    p.fail(L_IPV4, off - base, 'too many nested IP headers');
    return NEXT_TRUNCATED;
  }
  if (end - off < 20) {
    p.fail(L_IPV4, off - base, 'IPv4 header needs 20 bytes');
    return NEXT_TRUNCATED;
  }
  const vihl = b[off]!;
  if (vihl >> 4 !== 4) {
    p.fail(L_IPV4, off - base, 'IPv4 version field is not 4');
    return NEXT_TRUNCATED;
  }
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20) {
    p.fail(L_IPV4, off - base, 'IPv4 header length below 20 bytes');
    return NEXT_TRUNCATED;
  }
  // Every IPv4 field but ipLength is written here, before any check can stop (see beginNet).
  const i = p.beginNet(4, off - base);
  p.ipSrc[i * 4] = u32be(b, off + 12);
  p.ipDst[i * 4] = u32be(b, off + 16);
  p.ipId[i] = u16be(b, off + 4);
  p.ipTtl[i] = b[off + 8]!;
  const proto = b[off + 9]!;
  p.ipProto[i] = proto;
  const total = u16be(b, off + 2);
  const frag = u16be(b, off + 6);
  const fragOffset = frag & 0x1fff;
  const more = (frag & 0x2000) !== 0;
  p.ipFragment[i] = fragOffset !== 0 ? 2 : more ? 1 : 0;
  if (end - off < ihl) {
    p.fail(L_IPV4, off - base, 'IPv4 options cut short');
    return NEXT_TRUNCATED;
  }
  let payloadEnd: number;
  if (total === 0) {
    // TSO/BIG TCP super-packets carry total length 0: the frame is the packet.
    payloadEnd = end;
    p.ipLength[i] = end - off;
  } else if (total < ihl) {
    p.fail(L_IPV4, off - base, 'IPv4 total length is smaller than its header');
    return NEXT_TRUNCATED;
  } else {
    p.ipLength[i] = total;
    payloadEnd = Math.min(end, off + total);
  }
  p.nextOff = off + ihl;
  p.nextEnd = payloadEnd;
  // A later fragment holds no transport header.
  if (fragOffset !== 0) return NEXT_STOP;
  return proto;
}

const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_DEST_OPTS = 60;
const EXT_AUTH = 51;
const EXT_MOBILITY = 135;
const NO_NEXT = 59;
const MAX_EXT_HEADERS = 16;

/**
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                 Source Address (128 bits)                     |
 *   |              Destination Address (128 bits)                   |
 * then a chain of extension headers, each: next header (1), length (1), ...
 */
export function decodeIpv6(p: DecodedPacket, b: Uint8Array, off: number, end: number, base: number): number {
  p.push(L_IPV6, off - base);
  if (p.netCount >= MAX_NET) {
    p.fail(L_IPV6, off - base, 'too many nested IP headers');
    return NEXT_TRUNCATED;
  }
  if (end - off < 40) {
    p.fail(L_IPV6, off - base, 'IPv6 header needs 40 bytes');
    return NEXT_TRUNCATED;
  }
  if (b[off]! >> 4 !== 6) {
    p.fail(L_IPV6, off - base, 'IPv6 version field is not 6');
    return NEXT_TRUNCATED;
  }
  const i = p.beginNet(6, off - base);
  p.fieldsWritten[i] |= F_IP_WORDS;
  p.ipProto[i] = 0;
  p.ipId[i] = 0;
  p.ipFragment[i] = 0;
  const w = i * 4;
  for (let k = 0; k < 4; k++) {
    p.ipSrc[w + k] = u32be(b, off + 8 + k * 4);
    p.ipDst[w + k] = u32be(b, off + 24 + k * 4);
  }
  p.ipTtl[i] = b[off + 7]!;
  const payloadLen = u16be(b, off + 4);
  let payloadEnd: number;
  if (payloadLen === 0) {
    // Jumbogram or BIG TCP: the frame is the packet.
    payloadEnd = end;
    p.ipLength[i] = end - off;
  } else {
    p.ipLength[i] = 40 + payloadLen;
    // Fewer bytes than the header claims: snaplen, or a lying length.
    payloadEnd = Math.min(end, off + 40 + payloadLen);
  }
  let next = b[off + 6]!;
  let q = off + 40;
  for (let n = 0; n < MAX_EXT_HEADERS; n++) {
    if (next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_DEST_OPTS || next === EXT_MOBILITY) {
      if (payloadEnd - q < 8) {
        p.fail(L_IPV6, q - base, 'IPv6 extension header cut short');
        return NEXT_TRUNCATED;
      }
      const len = (b[q + 1]! + 1) * 8;
      next = b[q]!;
      q += len;
      if (q > payloadEnd) {
        p.fail(L_IPV6, q - len - base, q > end ? 'IPv6 extension header cut short' : 'IPv6 extension header longer than the packet');
        return NEXT_TRUNCATED;
      }
    } else if (next === EXT_FRAGMENT) {
      if (payloadEnd - q < 8) {
        p.fail(L_IPV6, q - base, 'IPv6 fragment header cut short');
        return NEXT_TRUNCATED;
      }
      const fo = u16be(b, q + 2);
      const fragOffset = fo >> 3;
      const more = (fo & 1) !== 0;
      p.ipId[i] = u32be(b, q + 4);
      // An atomic fragment (offset 0, no more) is a whole packet (RFC 6946).
      p.ipFragment[i] = fragOffset !== 0 ? 2 : more ? 1 : 0;
      next = b[q]!;
      q += 8;
      if (fragOffset !== 0) {
        p.ipProto[i] = next;
        p.nextOff = q;
        p.nextEnd = payloadEnd;
        return NEXT_STOP;
      }
    } else if (next === EXT_AUTH) {
      if (payloadEnd - q < 8) {
        p.fail(L_IPV6, q - base, 'IPv6 authentication header cut short');
        return NEXT_TRUNCATED;
      }
      const len = (b[q + 1]! + 2) * 4;
      next = b[q]!;
      q += len;
      if (q > payloadEnd) {
        p.fail(L_IPV6, q - len - base, q > end ? 'IPv6 authentication header cut short' : 'IPv6 authentication header longer than the packet');
        return NEXT_TRUNCATED;
      }
    } else break;
  }
  p.ipProto[i] = next;
  p.nextOff = q;
  p.nextEnd = payloadEnd;
  if (next === NO_NEXT) return NEXT_STOP;
  return next;
}

/**
 * ARP for IPv4 over Ethernet (RFC 826): htype(2) ptype(2) hlen(1) plen(1) op(2)
 * sender MAC, sender IP, target MAC, target IP.
 */
export function decodeArp(p: DecodedPacket, b: Uint8Array, off: number, end: number, base: number): number {
  p.push(L_ARP, off - base);
  if (end - off < 8) {
    p.fail(L_ARP, off - base, 'ARP header needs 8 bytes');
    return NEXT_TRUNCATED;
  }
  const hlen = b[off + 4]!;
  const plen = b[off + 5]!;
  if (end - off < 8 + 2 * (hlen + plen)) {
    p.fail(L_ARP, off - base, 'ARP addresses cut short');
    return NEXT_TRUNCATED;
  }
  return NEXT_STOP;
}
