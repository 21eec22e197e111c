/**
 * Encapsulations beyond VXLAN and Geneve, each one tunnel level (see
 * tunnel.ts beginTunnel): IP-in-IP, GRE with what it carries (IP, PPP of
 * PPTP, NVGRE's Ethernet, ERSPAN I/II/III port mirrors), and WireGuard.
 *
 * GRE (RFC 2784, key and sequence RFC 2890; routing RFC 1701):
 *   |C|R|K|S|s|Recur|  Flags  | Ver |         Protocol Type         |
 *   |      Checksum (optional)      |       Reserved1 (optional)    |  C or R
 *   |                         Key (optional)                        |  K
 *   |                 Sequence Number (optional)                    |  S
 *   |                 Routing (optional, SREs to a null one)        |  R
 * Enhanced GRE of PPTP (RFC 2637), version 1, protocol 0x880b (PPP):
 *   |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *   |    Key (HW) Payload Length    |       Key (LW) Call ID        |
 *   |                 Sequence Number (optional, S)                 |
 *   |               Acknowledgment Number (optional, A)             |
 * ERSPAN type I: GRE 0x88be without a sequence number, no header of its own.
 * ERSPAN type II: GRE 0x88be with a sequence number, then 8 bytes:
 *   |  Ver  |          VLAN         | COS |En |T|    Session ID     |
 *   |      Reserved         |                  Index                |
 * ERSPAN type III: GRE 0x22eb, then 12 bytes (+8 when O is set):
 *   |  Ver  |          VLAN         | COS |BSO|T|    Session ID     |
 *   |                          Timestamp                            |
 *   |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 *   |          Platform Specific Info (optional, 8 bytes)           |
 *
 * WireGuard (UDP; the message formats of the WireGuard paper, section 5.4;
 * integers little-endian):
 *   1 initiation (148 bytes): type, 3 reserved, sender index, ephemeral, static, timestamp, mac1, mac2
 *   2 response (92 bytes): type, 3 reserved, sender index, receiver index, ephemeral, empty, mac1, mac2
 *   3 cookie reply (64 bytes): type, 3 reserved, receiver index, nonce, cookie
 *   4 transport data (16 + n): type, 3 reserved, receiver index, counter (8), encrypted packet
 */
import { u16be, u32be, u32le } from '../capture/bytes.js';
import type { DecodedPacket } from './decoded.js';
import {
  L_DATA, L_ERSPAN, L_GRE, L_IPV4, L_IPV6, L_WG, TUNNEL_ERSPAN, TUNNEL_GRE, TUNNEL_IPIP, TUNNEL_NVGRE, TUNNEL_WIREGUARD,
} from './layers.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, NEXT_STOP, NEXT_TRUNCATED } from './link.js';
import { beginTunnel, NEXT_ETHERNET } from './tunnel.js';

export const GRE_PROTO_TEB = 0x6558;
export const GRE_PROTO_ERSPAN = 0x88be;
export const GRE_PROTO_ERSPAN3 = 0x22eb;
export const GRE_PROTO_PPP = 0x880b;
/** Cisco MetaData (SGT tag): 8 bytes; after an Ethernet header the next ethertype is its last two, inside GRE its first two. */
export const ETHERTYPE_CISCO_METADATA = 0x8909;
const MAX_GRE_SRES = 16;

/**
 * IPv4 or IPv6 (`v6`) carried directly in the IP payload of level `net`
 * (protocol 4 or 41): a tunnel with no header of its own.
 */
export function decodeIpInIp(p: DecodedPacket, net: number, off: number, end: number, base: number, v6: boolean): number {
  const t = beginTunnel(p, TUNNEL_IPIP, net, off, base, v6 ? L_IPV6 : L_IPV4);
  if (t < 0) return NEXT_TRUNCATED;
  p.tunnelInner[t] = off - base;
  p.depth++;
  p.nextOff = off;
  p.nextEnd = end;
  return v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
}

/** GRE in the IP payload of level `net`; returns what follows it (an ethertype or a pseudo value). */
export function decodeGre(p: DecodedPacket, net: number, b: Uint8Array, off: number, end: number, base: number): number {
  p.push(L_GRE, off - base);
  if (end - off < 4) {
    p.fail(L_GRE, off - base, 'GRE header needs 4 bytes');
    return NEXT_TRUNCATED;
  }
  const f0 = b[off]!;
  const f1 = b[off + 1]!;
  const version = f1 & 7;
  const proto = u16be(b, off + 2);
  let q = off + 4;
  let key = 0;
  let hasKey = false;
  let seq = -1;
  if (version === 0) {
    const need = 4 + ((f0 & 0xc0) !== 0 ? 4 : 0) + ((f0 & 0x20) !== 0 ? 4 : 0) + ((f0 & 0x10) !== 0 ? 4 : 0);
    if (end - off < need) {
      p.fail(L_GRE, off - base, 'GRE checksum, key or sequence number cut short');
      return NEXT_TRUNCATED;
    }
    if ((f0 & 0xc0) !== 0) q += 4;
    if ((f0 & 0x20) !== 0) { key = u32be(b, q); hasKey = true; q += 4; }
    if ((f0 & 0x10) !== 0) { seq = u32be(b, q); q += 4; }
    if ((f0 & 0x40) !== 0) {
      // Source route entries (RFC 1701): family(2) offset(1) length(1) data, up to a null entry.
      let n = 0;
      for (; n < MAX_GRE_SRES; n++) {
        if (end - q < 4) {
          p.fail(L_GRE, q - base, 'GRE routing entry cut short');
          return NEXT_TRUNCATED;
        }
        const family = u16be(b, q);
        const len = b[q + 3]!;
        q += 4 + len;
        if (q > end) {
          p.fail(L_GRE, q - 4 - len - base, 'GRE routing entry cut short');
          return NEXT_TRUNCATED;
        }
        if (family === 0 && len === 0) break;
      }
      if (n === MAX_GRE_SRES) {
        p.fail(L_GRE, q - base, 'more GRE routing entries than the decoder follows (16)');
        return NEXT_TRUNCATED;
      }
    }
  } else if (version === 1) {
    // Enhanced GRE (PPTP): the key field is payload length and call id; no checksum.
    const need = 8 + ((f0 & 0x10) !== 0 ? 4 : 0) + ((f1 & 0x80) !== 0 ? 4 : 0);
    if (end - off < need) {
      p.fail(L_GRE, off - base, 'enhanced GRE header cut short');
      return NEXT_TRUNCATED;
    }
    key = u16be(b, off + 6);
    hasKey = true;
    q = off + 8;
    if ((f0 & 0x10) !== 0) { seq = u32be(b, q); q += 4; }
    if ((f1 & 0x80) !== 0) q += 4;
  } else {
    p.fail(L_GRE, off - base, 'GRE version is neither 0 nor 1');
    return NEXT_TRUNCATED;
  }

  let type = TUNNEL_GRE;
  let vni = key;
  let next: number = proto;
  let inner = q;
  let erspan = 0;
  let vlan = -1;
  let timestamp = -1;
  switch (proto) {
    case GRE_PROTO_TEB:
      // NVGRE (RFC 7637): the key's high 24 bits are the virtual subnet id.
      if (hasKey) { type = TUNNEL_NVGRE; vni = key >>> 8; }
      next = NEXT_ETHERNET;
      break;
    case GRE_PROTO_ERSPAN:
      type = TUNNEL_ERSPAN;
      p.push(L_ERSPAN, q - base);
      if ((f0 & 0x10) === 0) {
        // Type I: no ERSPAN header, the mirrored frame follows GRE.
        erspan = 1;
        vni = 0;
      } else {
        if (end - q < 8) {
          p.fail(L_ERSPAN, q - base, 'ERSPAN type II header needs 8 bytes');
          return NEXT_TRUNCATED;
        }
        erspan = 2;
        vlan = u16be(b, q) & 0x0fff;
        vni = u16be(b, q + 2) & 0x03ff;
        inner = q + 8;
      }
      next = NEXT_ETHERNET;
      break;
    case GRE_PROTO_ERSPAN3: {
      type = TUNNEL_ERSPAN;
      p.push(L_ERSPAN, q - base);
      if (end - q < 12) {
        p.fail(L_ERSPAN, q - base, 'ERSPAN type III header needs 12 bytes');
        return NEXT_TRUNCATED;
      }
      const w3 = u16be(b, q + 10);
      const platform = (w3 & 1) !== 0;
      if (platform && end - q < 20) {
        p.fail(L_ERSPAN, q + 12 - base, 'ERSPAN type III platform-specific subheader needs 8 bytes');
        return NEXT_TRUNCATED;
      }
      erspan = 3;
      vlan = u16be(b, q) & 0x0fff;
      vni = u16be(b, q + 2) & 0x03ff;
      timestamp = u32be(b, q + 4);
      inner = q + (platform ? 20 : 12);
      // Frame type 0: Ethernet; 2: IP (the version nibble says which).
      const ft = (w3 >> 9) & 0x1f;
      if (ft === 0) next = NEXT_ETHERNET;
      else if (ft === 2) next = inner < end && b[inner]! >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
      else next = NEXT_STOP;
      break;
    }
    case GRE_PROTO_PPP: {
      // PPP (RFC 1661) in enhanced GRE: optional address/control ff 03, then a 1- or 2-byte protocol.
      if (q < end) {
        let r = q;
        if (end - r >= 2 && b[r] === 0xff && b[r + 1] === 0x03) r += 2;
        let pppProto = -1;
        if (r < end && (b[r]! & 1) === 1) { pppProto = b[r]!; r += 1; } else if (end - r >= 2) { pppProto = u16be(b, r); r += 2; }
        inner = r;
        next = pppProto === 0x21 ? ETHERTYPE_IPV4 : pppProto === 0x57 ? ETHERTYPE_IPV6 : NEXT_STOP;
        if (next === NEXT_STOP && q < end) p.push(L_DATA, q - base);
      } else next = NEXT_STOP;
      break;
    }
    case ETHERTYPE_CISCO_METADATA:
      // Cisco MetaData in GRE puts the next ethertype first: type(2) version(1) length(1) options(2) SGT(2).
      if (end - q < 8) {
        p.push(L_DATA, q - base);
        p.fail(L_DATA, q - base, 'Cisco MetaData header needs 8 bytes');
        return NEXT_TRUNCATED;
      }
      next = u16be(b, q);
      inner = q + 8;
      break;
    default:
      break;
  }
  const t = beginTunnel(p, type, net, off, base, L_GRE);
  if (t < 0) return NEXT_TRUNCATED;
  p.tunnelVni[t] = vni;
  p.tunnelInner[t] = inner - base;
  p.greFlags[t] = (f0 << 8) | f1;
  p.greSeq[t] = seq;
  p.erspanType[t] = erspan;
  p.erspanVlan[t] = vlan;
  p.erspanTimestamp[t] = timestamp;
  p.depth++;
  p.nextOff = inner;
  p.nextEnd = end;
  return next;
}

/**
 * A WireGuard message in the UDP payload of level `net` (a configured port).
 * A payload that is not one (type outside 1..4, reserved bytes set) is data.
 * The encrypted payload of transport data is shown as data, never decoded.
 */
export function decodeWireGuard(p: DecodedPacket, net: number, b: Uint8Array, off: number, end: number, base: number): number {
  const n = end - off;
  const type = n > 0 ? b[off]! : 0;
  if (n > 0 && (type < 1 || type > 4 || (n > 1 && b[off + 1] !== 0) || (n > 2 && b[off + 2] !== 0) || (n > 3 && b[off + 3] !== 0))) {
    p.push(L_DATA, off - base);
    return NEXT_STOP;
  }
  p.push(L_WG, off - base);
  if (n < 4) {
    p.fail(L_WG, off - base, 'WireGuard header needs 4 bytes');
    return NEXT_TRUNCATED;
  }
  const need = type === 1 ? 148 : type === 2 ? 92 : type === 3 ? 64 : 16;
  if (n < need) {
    p.fail(L_WG, off - base, type === 1 ? 'WireGuard handshake initiation needs 148 bytes'
      : type === 2 ? 'WireGuard handshake response needs 92 bytes'
        : type === 3 ? 'WireGuard cookie reply needs 64 bytes' : 'WireGuard transport data header needs 16 bytes');
    return NEXT_TRUNCATED;
  }
  const t = beginTunnel(p, TUNNEL_WIREGUARD, net, off, base, L_WG);
  if (t < 0) return NEXT_TRUNCATED;
  p.wgType = type;
  if (type === 1) {
    p.wgSender = u32le(b, off + 4);
  } else if (type === 2) {
    p.wgSender = u32le(b, off + 4);
    p.wgReceiver = u32le(b, off + 8);
  } else {
    p.wgReceiver = u32le(b, off + 4);
    if (type === 4) {
      p.wgCounterLo = u32le(b, off + 8);
      p.wgCounterHi = u32le(b, off + 12);
    }
  }
  p.tunnelVni[t] = type === 1 ? p.wgSender : p.wgReceiver;
  const inner = off + need;
  p.tunnelInner[t] = inner - base;
  p.depth++;
  if (type === 4 && inner < end) p.push(L_DATA, inner - base);
  p.nextOff = inner;
  p.nextEnd = end;
  return NEXT_STOP;
}
