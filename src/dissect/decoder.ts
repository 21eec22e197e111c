/**
 * The packet decoder: follows each layer's next-layer choice from the link
 * type down to the application, decoding into one reused DecodedPacket.
 * Lax: a problem stops the walk with every layer decoded so far kept and the
 * problem recorded (layer, offset, reason).
 */
import type { DecodedPacket } from './decoded.js';
import { DissectConfig, PORT_DNS, PORT_GENEVE, PORT_VXLAN, PORT_WIREGUARD } from './config.js';
import { decodeGre, decodeIpInIp, decodeWireGuard, ETHERTYPE_CISCO_METADATA } from './encap.js';
import { decodeArp, decodeIpv4, decodeIpv6 } from './ip.js';
import {
  IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, L_DATA,
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW,
} from './layers.js';
import {
  decodeEthernet, decodeNull, decodeSll, decodeSll2, decodeVlan, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_RARP,
  ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_VLAN, NEXT_STOP, NEXT_TRUNCATED,
} from './link.js';
import { detectDns, detectHttp } from './app.js';
import { decodeIcmp, decodeIcmpv6, decodeTcp, decodeUdp, NEXT_QUOTED_IPV4, NEXT_QUOTED_IPV6 } from './transport.js';
import { decodeGeneve, decodeVxlan, NEXT_ETHERNET } from './tunnel.js';

/** Link types with a dissector. */
export function linkTypeDecoded(linkType: number): boolean {
  return linkType === LINKTYPE_ETHERNET || linkType === LINKTYPE_LINUX_SLL || linkType === LINKTYPE_LINUX_SLL2
    || linkType === LINKTYPE_NULL || linkType === LINKTYPE_LOOP || linkType === LINKTYPE_RAW
    || linkType === 12 || linkType === 14 || linkType === LINKTYPE_IPV4 || linkType === LINKTYPE_IPV6;
}

const MAX_STEPS = 64;

/**
 * Decodes `b[start .. start+caplen)` captured on `linkType` (FCS bytes already
 * excluded by the caller when the interface declares them).
 */
export function decodePacket(p: DecodedPacket, b: Uint8Array, start: number, caplen: number, linkType: number, cfg: DissectConfig): void {
  p.reset();
  const base = start;
  let off = start;
  let end = start + caplen;
  let next: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET: next = decodeEthernet(p, b, off, end, base); off += 14; break;
    case LINKTYPE_LINUX_SLL: next = decodeSll(p, b, off, end, base); off += 16; break;
    case LINKTYPE_LINUX_SLL2: next = decodeSll2(p, b, off, end, base); off += 20; break;
    case LINKTYPE_NULL: next = decodeNull(p, b, off, end, base, false); off += 4; break;
    case LINKTYPE_LOOP: next = decodeNull(p, b, off, end, base, true); off += 4; break;
    case LINKTYPE_RAW: case 12: case 14: case LINKTYPE_IPV4: case LINKTYPE_IPV6: {
      const v = caplen > 0 ? b[off]! >> 4 : 0;
      next = v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : NEXT_STOP;
      break;
    }
    default:
      p.push(L_DATA, 0);
      return;
  }
  // `net` is the network level whose transport payload we are in.
  let net = -1;
  let quoted = false;
  let step = 0;
  for (; step < MAX_STEPS && (next >= 0 || next <= NEXT_QUOTED_IPV4); step++) {
    switch (next) {
      case ETHERTYPE_VLAN: case ETHERTYPE_QINQ: case ETHERTYPE_QINQ_OLD:
        next = decodeVlan(p, b, off, end, base);
        off += 4;
        continue;
      case ETHERTYPE_ARP: case ETHERTYPE_RARP:
        next = decodeArp(p, b, off, end, base);
        continue;
      case ETHERTYPE_IPV4:
      case ETHERTYPE_IPV6: {
        const before = p.netCount;
        const proto = next === ETHERTYPE_IPV4 ? decodeIpv4(p, b, off, end, base) : decodeIpv6(p, b, off, end, base);
        if (p.netCount > before) {
          net = p.netCount - 1;
          if (quoted) p.netQuoted[net] = 1;
        }
        if (proto < 0) { next = proto; continue; }
        off = p.nextOff;
        end = p.nextEnd;
        next = transport(p, net, proto, b, off, end, base, cfg, quoted);
        if (next === NEXT_QUOTED_IPV4 || next === NEXT_QUOTED_IPV6) quoted = true;
        off = p.nextOff;
        end = p.nextEnd;
        continue;
      }
      case NEXT_QUOTED_IPV4:
        next = ETHERTYPE_IPV4;
        continue;
      case NEXT_QUOTED_IPV6:
        next = ETHERTYPE_IPV6;
        continue;
      case NEXT_ETHERNET:
        next = decodeEthernet(p, b, off, end, base);
        off += 14;
        continue;
      case ETHERTYPE_CISCO_METADATA:
        // Cisco MetaData (an SGT tag, seen inside GRE): 8 bytes, the next ethertype last.
        if (end - off < 8) {
          p.push(L_DATA, off - base);
          p.fail(L_DATA, off - base, 'Cisco MetaData header needs 8 bytes');
          next = NEXT_TRUNCATED;
          continue;
        }
        next = (b[off + 6]! << 8) | b[off + 7]!;
        off += 8;
        continue;
      default:
        // An ethertype without a dissector.
        if (off < end) p.push(L_DATA, off - base);
        next = NEXT_STOP;
    }
  }
  if (step >= MAX_STEPS) p.fail(L_DATA, off - base, 'more layers than the decoder follows (64)');
  p.settle();
}

/** Decodes the transport of level `i`, then whatever its ports or payload say comes next. */
function transport(p: DecodedPacket, i: number, proto: number, b: Uint8Array, off: number, end: number, base: number,
  cfg: DissectConfig, quoted: boolean): number {
  switch (proto) {
    case IPPROTO_UDP: {
      if (!decodeUdp(p, i, b, off, end, base)) return NEXT_TRUNCATED;
      const pOff = p.nextOff;
      const pEnd = p.nextEnd;
      const dst = p.dstPort[i]!;
      const src = p.srcPort[i]!;
      let kind = cfg.udpPorts[dst]!;
      if (kind === 0) kind = cfg.udpPorts[src]!;
      if (pOff >= pEnd) {
        // Cut right after the UDP header although the datagram has a payload: the
        // header its port promises (VXLAN, Geneve, DNS) is recorded as cut short.
        if (kind === 0 || quoted || p.payloadWireLength[i]! <= 0) return NEXT_STOP;
      }
      // Inside an ICMP error quote: the quoted DNS message is counted as dns (tshark does) but
      // never becomes a transaction; tunnels in quotes are not followed.
      if (quoted) {
        if (kind === PORT_DNS) detectDns(p, i, b, pOff, pEnd, base, false, true);
        return NEXT_STOP;
      }
      if (kind === PORT_VXLAN) return decodeVxlan(p, i, b, pOff, pEnd, base);
      if (kind === PORT_GENEVE) return decodeGeneve(p, i, b, pOff, pEnd, base);
      if (kind === PORT_DNS) { detectDns(p, i, b, pOff, pEnd, base, false); return NEXT_STOP; }
      if (kind === PORT_WIREGUARD) return decodeWireGuard(p, i, b, pOff, pEnd, base);
      p.push(L_DATA, pOff - base);
      return NEXT_STOP;
    }
    case IPPROTO_TCP: {
      const ipWire = p.ipLength[i]! - ((off - base) - p.ipStart[i]!);
      if (!decodeTcp(p, i, b, off, end, base, ipWire)) return NEXT_TRUNCATED;
      const pOff = p.nextOff;
      const pEnd = p.nextEnd;
      if (pOff >= pEnd || quoted) return NEXT_STOP;
      const dst = p.dstPort[i]!;
      const src = p.srcPort[i]!;
      if (cfg.tcpPorts[dst] === PORT_DNS || cfg.tcpPorts[src] === PORT_DNS) {
        if (detectDns(p, i, b, pOff, pEnd, base, true)) return NEXT_STOP;
      }
      if (!detectHttp(p, i, b, pOff, pEnd, base)) p.push(L_DATA, pOff - base);
      return NEXT_STOP;
    }
    case IPPROTO_ICMP:
      return decodeIcmp(p, i, b, off, end, base);
    case IPPROTO_ICMPV6:
      return decodeIcmpv6(p, i, b, off, end, base);
    // Tunnels in IP are not followed inside an ICMP error quote (as tunnels in UDP).
    case IPPROTO_IPIP:
      if (quoted) break;
      return decodeIpInIp(p, i, off, end, base, false);
    case IPPROTO_IPV6:
      if (quoted) break;
      return decodeIpInIp(p, i, off, end, base, true);
    case IPPROTO_GRE:
      if (quoted) break;
      return decodeGre(p, i, b, off, end, base);
    default:
      break;
  }
  if (off < end) p.push(L_DATA, off - base);
  return NEXT_STOP;
}

