/**
 * Overlay tunnels carried in UDP.
 *
 * VXLAN (RFC 7348), 8 bytes, then an Ethernet frame:
 *    0                   1                   2                   3
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *
 * Geneve (RFC 8926), 8 bytes plus options, then the protocol it names:
 *   |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *   |        Virtual Network Identifier (VNI)       |    Reserved   |
 *   |                    Variable-Length Options                    |
 *   each option: class(16) type(8) R(3) length(5, in 4-byte words) data
 */
import { u16be } from '../capture/bytes.js';
import type { DecodedPacket } from './decoded.js';
import { MAX_TUNNELS } from './decoded.js';
import { L_GENEVE, L_VXLAN, TUNNEL_GENEVE, TUNNEL_VXLAN } from './layers.js';
import { NEXT_STOP, NEXT_TRUNCATED } from './link.js';

/** Next-layer pseudo value: an Ethernet frame follows. */
export const NEXT_ETHERNET = -20;
const MAX_GENEVE_OPTIONS = 64;

export function beginTunnel(p: DecodedPacket, type: number, net: number, off: number, base: number, layer: number): number {
  if (p.tunnelCount >= MAX_TUNNELS) {
    p.fail(layer, off - base, 'tunnels nested deeper than the limit of 8');
    return -1;
  }
  const t = p.tunnelCount++;
  p.tunnelType[t] = type;
  p.tunnelNet[t] = net;
  p.tunnelStart[t] = off - base;
  p.tunnelVni[t] = 0;
  p.tunnelInner[t] = 0;
  p.geneveOptions[t] = 0;
  p.greFlags[t] = 0;
  p.greSeq[t] = -1;
  p.erspanType[t] = 0;
  p.erspanVlan[t] = -1;
  p.erspanTimestamp[t] = -1;
  return t;
}

export function decodeVxlan(p: DecodedPacket, net: number, b: Uint8Array, off: number, end: number, base: number): number {
  p.push(L_VXLAN, off - base);
  if (end - off < 8) {
    p.fail(L_VXLAN, off - base, 'VXLAN header needs 8 bytes');
    return NEXT_TRUNCATED;
  }
  const t = beginTunnel(p, TUNNEL_VXLAN, net, off, base, L_VXLAN);
  if (t < 0) return NEXT_TRUNCATED;
  p.tunnelVni[t] = (b[off + 4]! << 16) | (b[off + 5]! << 8) | b[off + 6]!;
  p.tunnelInner[t] = off + 8 - base;
  p.depth++;
  p.nextOff = off + 8;
  p.nextEnd = end;
  return NEXT_ETHERNET;
}

export function decodeGeneve(p: DecodedPacket, net: number, b: Uint8Array, off: number, end: number, base: number): number {
  p.push(L_GENEVE, off - base);
  if (end - off < 8) {
    p.fail(L_GENEVE, off - base, 'Geneve header needs 8 bytes');
    return NEXT_TRUNCATED;
  }
  const version = b[off]! >> 6;
  const optLen = (b[off]! & 0x3f) * 4;
  if (version !== 0) {
    p.fail(L_GENEVE, off - base, 'Geneve version is not 0');
    return NEXT_TRUNCATED;
  }
  if (end - off < 8 + optLen) {
    p.fail(L_GENEVE, off - base, 'Geneve options cut short');
    return NEXT_TRUNCATED;
  }
  const t = beginTunnel(p, TUNNEL_GENEVE, net, off, base, L_GENEVE);
  if (t < 0) return NEXT_TRUNCATED;
  p.tunnelVni[t] = (b[off + 4]! << 16) | (b[off + 5]! << 8) | b[off + 6]!;
  // Count options (bounded); a length running past the option area is malformed.
  let q = off + 8;
  const oe = off + 8 + optLen;
  let n = 0;
  while (q + 4 <= oe && n < MAX_GENEVE_OPTIONS) {
    const len = 4 + (b[q + 3]! & 0x1f) * 4;
    if (q + len > oe) { p.malformed = 1; break; }
    q += len;
    n++;
  }
  p.geneveOptions[t] = n;
  p.tunnelInner[t] = oe - base;
  p.depth++;
  p.nextOff = oe;
  p.nextEnd = end;
  const proto = u16be(b, off + 2);
  if (proto === 0x6558) return NEXT_ETHERNET;
  if (proto === 0x0800 || proto === 0x86dd) return proto;
  return NEXT_STOP;
}
