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
  L_ARP, L_DNS, L_ETH, L_GENEVE, L_ICMP, L_ICMPV6, L_IPV4, L_IPV6, L_NULL, L_SLL, L_SLL2, L_TCP, L_UDP, L_VLAN, L_VXLAN, LAYER_NAMES,
} from '../../src/dissect/layers.js';
import { corpusPresent } from '../helpers/corpus.js';
import { corpusPacket } from './packets.js';

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
    const pkt = await corpusPacket(file, n);
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
        const got = decodeCut(pkt.bytes, length, pkt.linkType);
        const { offset, reason } = span.issue(present);
        const want: Cut = { layers: fullLayers.slice(0, span.layerIndex + 1), issue: { layer: LAYER_NAMES[span.layer]!, offset, reason } };
        expect(got, `cut at ${length} bytes (${present} of the ${span.length} of ${LAYER_NAMES[span.layer]} at ${span.start})`).toEqual(want);
        cuts++;
      }
    }
    // Every header of the stack was cut (the spans cover the headers back to back, bar payload).
    expect(cuts).toBe(spans.reduce((a, s) => a + s.length, 0));
    expect(new Set(spans.map((s) => LAYER_NAMES[s.layer])).size).toBe(new Set(stack.split(' ').filter((l) => l !== 'http')).size);
  });
});

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
