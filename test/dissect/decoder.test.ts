/**
 * The decoder's lax behaviour on real packets cut at every length inside
 * each header (as etherparse's tests do): exactly the layers before the cut
 * header plus that header are kept, and the issue names the header's layer,
 * its frame offset and the reason.
 */
import { describe, expect, it } from 'vitest';
import { u16be } from '../../src/capture/bytes.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import {
  L_ARP, L_DNS, L_ERSPAN, L_ETH, L_GENEVE, L_GRE, L_ICMP, L_ICMPV6, L_IPV4, L_IPV6, L_NULL, L_SLL, L_SLL2, L_TCP, L_UDP, L_VLAN,
  L_VXLAN, L_WG, LAYER_NAMES,
} from '../../src/dissect/layers.js';
import { corpusPresent } from '../helpers/corpus.js';
import { corpusPacket, encapPacket, encapPresent, type RealPacket } from './packets.js';

const cfg = new DissectConfig();

/** One header of the packet: where it is and what a cut inside it must report. */
interface HeaderSpan {
  /** Index in the full decode's layer list of the layer the header belongs to. */
  layerIndex: number;
  layer: number;
  start: number;
  length: number;
  /** Issue offset and reason for a cut leaving `present` bytes of this header. */
  issue(present: number): { offset: number; reason: string };
}

function fixed(reason: string) {
  return (start: number) => () => ({ offset: start, reason });
}

/** The header spans of a fully decoded packet, computed from its bytes (independently of the decoder's code). */
function headerSpans(p: DecodedPacket, b: Uint8Array): HeaderSpan[] {
  const spans: HeaderSpan[] = [];
  for (let k = 0; k < p.layerCount; k++) {
    const layer = p.layerIds[k]!;
    const s = p.layerStart[k]!;
    const add = (length: number, issue: (present: number) => { offset: number; reason: string }): void => {
      spans.push({ layerIndex: k, layer, start: s, length, issue });
    };
    switch (layer) {
      case L_ETH: add(14, fixed('Ethernet header needs 14 bytes')(s)); break;
      case L_VLAN: add(4, fixed('VLAN tag needs 4 bytes')(s)); break;
      case L_SLL: add(16, fixed('Linux cooked (SLL) header needs 16 bytes')(s)); break;
      case L_SLL2: add(20, fixed('Linux cooked v2 (SLL2) header needs 20 bytes')(s)); break;
      case L_NULL: add(4, fixed('loopback header needs 4 bytes')(s)); break;
      case L_IPV4: {
        const ihl = (b[s]! & 15) * 4;
        add(ihl, (n) => ({ offset: s, reason: n < 20 ? 'IPv4 header needs 20 bytes' : 'IPv4 options cut short' }));
        break;
      }
      case L_IPV6: {
        add(40, fixed('IPv6 header needs 40 bytes')(s));
        // Extension headers: each its own span, reported at its own offset.
        let next = b[s + 6]!;
        let q = s + 40;
        while (next === 0 || next === 43 || next === 60 || next === 44) {
          const len = next === 44 ? 8 : (b[q + 1]! + 1) * 8;
          const at = q;
          const frag = next === 44;
          spans.push({ layerIndex: k, layer, start: at, length: len, issue: () => ({ offset: at, reason: frag ? 'IPv6 fragment header cut short' : 'IPv6 extension header cut short' }) });
          next = b[q]!;
          q += len;
        }
        break;
      }
      case L_ARP: {
        const len = 8 + 2 * (b[s + 4]! + b[s + 5]!);
        add(len, (n) => ({ offset: s, reason: n < 8 ? 'ARP header needs 8 bytes' : 'ARP addresses cut short' }));
        break;
      }
      case L_ICMP: add(8, fixed('ICMP header needs 8 bytes')(s)); break;
      case L_ICMPV6: add(8, fixed('ICMPv6 header needs 8 bytes')(s)); break;
      case L_UDP: add(8, fixed('UDP header needs 8 bytes')(s)); break;
      case L_TCP: {
        const doff = (b[s + 12]! >> 4) * 4;
        add(doff, (n) => ({ offset: s, reason: n < 20 ? 'TCP header needs 20 bytes' : 'TCP options cut short' }));
        break;
      }
      case L_VXLAN: add(8, fixed('VXLAN header needs 8 bytes')(s)); break;
      case L_GENEVE: {
        const opt = (b[s]! & 0x3f) * 4;
        add(8 + opt, (n) => ({ offset: s, reason: n < 8 ? 'Geneve header needs 8 bytes' : 'Geneve options cut short' }));
        break;
      }
      case L_GRE: {
        const f0 = b[s]!, f1 = b[s + 1]!;
        if ((f1 & 7) === 1) {
          add(8 + (f0 & 0x10 ? 4 : 0) + (f1 & 0x80 ? 4 : 0), (n) => ({ offset: s, reason: n < 4 ? 'GRE header needs 4 bytes' : 'enhanced GRE header cut short' }));
        } else {
          add(4 + (f0 & 0xc0 ? 4 : 0) + (f0 & 0x20 ? 4 : 0) + (f0 & 0x10 ? 4 : 0),
            (n) => ({ offset: s, reason: n < 4 ? 'GRE header needs 4 bytes' : 'GRE checksum, key or sequence number cut short' }));
        }
        break;
      }
      case L_ERSPAN: {
        // The GRE header before it says which type: 0x88be with a sequence number II (8 bytes), without I (none); 0x22eb III.
        const g = p.layerStart[k - 1]!;
        const proto = u16be(b, g + 2);
        if (proto === 0x22eb) {
          add(12, fixed('ERSPAN type III header needs 12 bytes')(s));
          if ((b[s + 11]! & 1) === 1) spans.push({ layerIndex: k, layer, start: s + 12, length: 8, issue: () => ({ offset: s + 12, reason: 'ERSPAN type III platform-specific subheader needs 8 bytes' }) });
        } else if ((b[g]! & 0x10) !== 0) add(8, fixed('ERSPAN type II header needs 8 bytes')(s));
        break;
      }
      case L_WG: {
        const t = b[s]!;
        const len = t === 1 ? 148 : t === 2 ? 92 : t === 3 ? 64 : 16;
        const whole = t === 1 ? 'WireGuard handshake initiation needs 148 bytes' : t === 2 ? 'WireGuard handshake response needs 92 bytes'
          : t === 3 ? 'WireGuard cookie reply needs 64 bytes' : 'WireGuard transport data header needs 16 bytes';
        add(len, (n) => ({ offset: s, reason: n < 4 ? 'WireGuard header needs 4 bytes' : whole }));
        break;
      }
      case L_DNS: {
        // DNS over TCP: the 2-byte length prefix comes first.
        const overTcp = k > 0 && p.layerIds[k - 1] === L_TCP;
        if (!overTcp) add(12, fixed('DNS header needs 12 bytes')(s));
        break;
      }
      default: break;
    }
  }
  return spans;
}

interface Cut { layers: string[]; issue: { layer: string; offset: number; reason: string } | null }

function decodeCut(b: Uint8Array, length: number, linkType: number): Cut {
  const p = new DecodedPacket();
  decodePacket(p, b, 0, length, linkType, cfg);
  const layers = Array.from(p.layerIds.subarray(0, p.layerCount), (id) => LAYER_NAMES[id]!);
  return { layers, issue: p.issueLayer >= 0 ? { layer: LAYER_NAMES[p.issueLayer]!, offset: p.issueOffset, reason: p.issueReason } : null };
}

const PACKETS: Array<[string, number, string]> = [
  ['ndpi__vxlan.pcap', 1, 'eth vlan ipv4 udp vxlan eth ipv4 udp dns'],
  ['zeek__geneve-many-options.pcap', 1, 'eth ipv4 udp geneve eth ipv4 tcp'],
  ['suricata__decode-sll2-01__input.pcap', 1, 'sll2 ipv4 tcp'],
  ['pcapplusplus__sll.pcap', 1, 'sll ipv4 udp'],
  ['arkime__dot1ad.pcap', 1, 'eth vlan vlan ipv4 icmp'],
  ['zeek__ipv6-http-atomic-frag.pcap', 8, 'eth ipv6 tcp http'],
  ['zeek__ipv6-http-atomic-frag.pcap', 33, 'eth ipv6 tcp'],
  ['tcpdump__icmpv6.pcap', 2, 'eth ipv6 icmpv6'],
  ['tcpdump__vxlan.pcap', 3, 'eth ipv4 udp vxlan eth arp'],
  ['pcapplusplus__many_interfaces-1.pcapng', 3, 'null ipv4 udp'],
  ['gopacket__test_dns.pcap', 2, 'eth ipv4 udp dns'],
  ['zeek__linux_dlt_sll2.pcap', 5, 'sll2 arp'],
  ['arkime__bigendian.pcap', 1, 'eth ipv4 icmp'],
];

describe.skipIf(!corpusPresent)('decodePacket on real packets cut at every length inside each header', () => {
  it.each(PACKETS)('%s frame %i (%s)', async (file, n, stack) => {
    cutEverywhere(await corpusPacket(file, n), stack);
  });
});

/** Encapsulations (../shared/corpus-encap): every length inside GRE, ERSPAN, WireGuard and IP-in-IP's inner headers. */
const ENCAP_PACKETS: Array<[string, number, string]> = [
  ['zeek__4in4.pcap', 1, 'eth ipv4 ipv4 udp'],
  ['zeek__4in6.pcap', 1, 'eth ipv6 ipv4 tcp'],
  ['zeek__6in4.pcap', 1, 'eth ipv4 ipv6 udp'],
  ['zeek__6in6in6.pcap', 1, 'eth ipv6 ipv6 ipv6 udp'],
  ['zeek__ping6-in-ipv4.pcap', 1, 'eth ipv4 ipv6 icmpv6'],
  ['zeek__gre-sample.pcap', 33, 'eth ipv4 gre ipv4 udp dns'],
  ['zeek__gre-within-gre.pcap', 4, 'eth ipv4 gre ipv4 gre ipv4 udp'],
  ['zeek__gre-pptp.pcap', 1, 'eth vlan ipv6 ipv4 gre ipv4 udp dns'],
  ['tcpdump__various_gre.pcap', 11, 'eth vlan ipv4 gre ipv4 gre'],
  ['zeek__erspan.pcap', 126, 'eth ipv4 gre eth ipv4 udp dns'],
  ['zeek__erspanI.pcap', 1, 'eth ipv4 gre erspan eth ipv4 icmp'],
  ['zeek__erspanII.pcap', 1, 'eth ipv4 gre erspan eth ipv4 icmp'],
  ['zeek__gre-erspan3-dot1q.pcap', 1, 'eth ipv4 gre erspan eth vlan ipv4 icmp'],
  ['tcpdump__erspan-type-iii-ft-0.pcap', 1, 'eth ipv4 gre erspan eth vlan ipv4 icmp'],
  ['pcapplusplus__WireGuard.pcap', 1, 'eth ipv4 udp wg'],
  ['pcapplusplus__WireGuard.pcap', 2, 'eth ipv4 udp wg'],
  ['pcapplusplus__WireGuard.pcap', 3, 'eth ipv4 udp wg'],
  ['pcapplusplus__WireGuard.pcap', 4, 'eth ipv4 udp wg'],
];

describe.skipIf(!encapPresent)('decodePacket on encapsulated real packets cut at every length inside each header', () => {
  it.each(ENCAP_PACKETS)('%s frame %i (%s)', async (file, n, stack) => {
    cutEverywhere(await encapPacket(file, n), stack);
  });

  it.each(ENCAP_PACKETS.filter(([f]) => /in\d|ping6/.test(f)))('%s frame %i: IP-in-IP the same under raw IP, SLL and SLL2 link types', async (file, n, stack) => {
    const pkt = await encapPacket(file, n);
    const ip = pkt.bytes.subarray(14);
    const ethType = u16be(pkt.bytes, 12);
    const sll = new Uint8Array(16 + ip.length);
    sll.set([0, 0, 0, 1, 0, 6], 0);
    sll[14] = ethType >> 8; sll[15] = ethType & 0xff;
    sll.set(ip, 16);
    const sll2 = new Uint8Array(20 + ip.length);
    sll2[0] = ethType >> 8; sll2[1] = ethType & 0xff;
    sll2[9] = 1; sll2[11] = 6;
    sll2.set(ip, 20);
    const inner = stack.split(' ').slice(1).join(' ');
    cutEverywhere({ ...pkt, bytes: ip.slice(), linkType: 101 }, inner);
    cutEverywhere({ ...pkt, bytes: sll, linkType: 113 }, `sll ${inner}`);
    cutEverywhere({ ...pkt, bytes: sll2, linkType: 276 }, `sll2 ${inner}`);
  });
});

function cutEverywhere(pkt: RealPacket, stack: string): void {
  {
    const file = pkt.file, n = pkt.n;
    const full = new DecodedPacket();
    decodePacket(full, pkt.bytes, 0, pkt.bytes.length, pkt.linkType, cfg);
    const fullLayers = Array.from(full.layerIds.subarray(0, full.layerCount), (id) => LAYER_NAMES[id]!);
    expect(fullLayers.filter((l) => l !== 'data').join(' ')).toBe(stack);
    expect(full.issueLayer, `${file} ${n} decodes whole`).toBe(-1);
    const spans = headerSpans(full, pkt.bytes);
    let cuts = 0;
    for (const span of spans) {
      for (let present = 0; present < span.length; present++) {
        const length = span.start + present;
        // Raw IP records nothing for an empty frame (there is no version nibble to say which IP).
        if (length === 0 && pkt.linkType === 101) { cuts++; continue; }
        const got = decodeCut(pkt.bytes, length, pkt.linkType);
        const { offset, reason } = span.issue(present);
        const want: Cut = { layers: fullLayers.slice(0, span.layerIndex + 1), issue: { layer: LAYER_NAMES[span.layer]!, offset, reason } };
        expect(got, `cut at ${length} bytes (${present} of the ${span.length} of ${LAYER_NAMES[span.layer]} at ${span.start})`).toEqual(want);
        cuts++;
      }
    }
    // Every header of the stack was cut (the spans cover the headers back to back, bar payload).
    expect(cuts).toBe(spans.reduce((a, s) => a + s.length, 0));
    // Every layer with a header has a span (HTTP has none; ERSPAN type I has no header).
    const typeOne = full.tunnelType.subarray(0, full.tunnelCount).some((_t, i) => full.erspanType[i] === 1) ? 1 : 0;
    expect(new Set(spans.map((s) => LAYER_NAMES[s.layer])).size).toBe(new Set(stack.split(' ').filter((l) => l !== 'http')).size - typeOne);
  }
}

describe('decodePacket on bytes that are not what the link type says', () => {
  it('stops with the issue, never throws, on every prefix of a real frame read as every link type', async () => {
    if (!corpusPresent) return;
    const pkt = await corpusPacket('zeek__geneve-many-options.pcap', 1);
    const p = new DecodedPacket();
    for (const lt of [0, 1, 12, 101, 108, 113, 228, 229, 276]) {
      for (let len = 0; len <= pkt.bytes.length; len++) {
        decodePacket(p, pkt.bytes, 0, len, lt, cfg);
        // Link types with a header always record it, cut or not; raw IP records nothing for an empty frame.
        if (lt !== 12 && lt !== 101 && lt !== 228 && lt !== 229) expect(p.layerCount).toBeGreaterThanOrEqual(1);
        if (p.issueLayer >= 0) expect(p.issueOffset).toBeLessThanOrEqual(len);
        for (let k = 0; k < p.layerCount; k++) expect(p.layerStart[k]!).toBeLessThanOrEqual(len);
      }
    }
    expect(u16be(pkt.bytes, 12)).toBe(0x0800);
  });
});
