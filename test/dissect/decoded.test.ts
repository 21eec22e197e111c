/**
 * DecodedPacket is reused for every packet of a run. For every ordered pair
 * of real packets (A, B) chosen to exercise every dissector and every field
 * (TCP options, Geneve option counts, VLAN ids, HTTP/DNS markers, tunnel
 * fields, issues), decoding A then B into one DecodedPacket leaves exactly
 * what decoding B into a fresh one does: nothing of A survives.
 */
import { describe, expect, it } from 'vitest';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { corpusPresent } from '../helpers/corpus.js';
import { corpusPacket, encapPacket, encapPresent, type RealPacket } from './packets.js';

const cfg = new DissectConfig();

/** Everything a consumer may read from a decoded packet (each array up to its count). */
function snapshot(p: DecodedPacket): Record<string, unknown> {
  const net = (a: ArrayLike<number>, per = 1): number[] => Array.from(a).slice(0, p.netCount * per);
  const tun = (a: ArrayLike<number>): number[] => Array.from(a).slice(0, p.tunnelCount);
  return {
    layers: Array.from(p.layerIds.subarray(0, p.layerCount)),
    layerStart: Array.from(p.layerStart.subarray(0, p.layerCount)),
    layerMask: p.layerMask,
    ethMac: Array.from(p.ethMac.subarray(0, p.ethCount * 12)),
    ethDepth: Array.from(p.ethDepth.subarray(0, p.ethCount)),
    vlanId: p.vlanId,
    netDepth: net(p.netDepth), netQuoted: net(p.netQuoted), ipVersion: net(p.ipVersion),
    ipSrc: net(p.ipSrc, 4), ipDst: net(p.ipDst, 4), ipProto: net(p.ipProto), ipId: net(p.ipId), ipTtl: net(p.ipTtl),
    ipFragment: net(p.ipFragment), ipStart: net(p.ipStart), ipLength: net(p.ipLength),
    l4Present: net(p.l4Present), srcPort: net(p.srcPort), dstPort: net(p.dstPort), tcpFlags: net(p.tcpFlags),
    tcpSeq: net(p.tcpSeq), tcpAck: net(p.tcpAck), tcpWindow: net(p.tcpWindow), tcpMss: net(p.tcpMss), tcpWscale: net(p.tcpWscale),
    tcpSackPermitted: net(p.tcpSackPermitted), tcpSackBlocks: net(p.tcpSackBlocks), tcpTsVal: net(p.tcpTsVal), tcpTsEcr: net(p.tcpTsEcr),
    tcpHasTs: net(p.tcpHasTs), icmpType: net(p.icmpType), icmpCode: net(p.icmpCode),
    payloadStart: net(p.payloadStart), payloadLength: net(p.payloadLength), payloadWireLength: net(p.payloadWireLength),
    tunnelType: tun(p.tunnelType), tunnelVni: tun(p.tunnelVni), tunnelNet: tun(p.tunnelNet), tunnelStart: tun(p.tunnelStart),
    tunnelInner: tun(p.tunnelInner), geneveOptions: tun(p.geneveOptions), depth: p.depth,
    greFlags: tun(p.greFlags), greSeq: tun(p.greSeq), erspanType: tun(p.erspanType), erspanVlan: tun(p.erspanVlan),
    erspanTimestamp: tun(p.erspanTimestamp),
    wgType: p.wgType, wgSender: p.wgSender, wgReceiver: p.wgReceiver, wgCounterHi: p.wgCounterHi, wgCounterLo: p.wgCounterLo,
    httpNet: p.httpNet, httpKind: p.httpKind, dnsNet: p.dnsNet, dnsId: p.dnsId, dnsIsResponse: p.dnsIsResponse,
    issueLayer: p.issueLayer, issueOffset: p.issueOffset, issueReason: p.issueReason, malformed: p.malformed,
  };
}

/** [file, frame, what it sets that could leak] */
const PACKETS: Array<[string, number, string]> = [
  ['zeek__geneve-many-options.pcap', 1, 'Geneve with 3 options, inner TCP SYN with MSS/SACK-permitted/timestamps/window scale'],
  ['zeek__geneve-many-options.pcap', 4, 'Geneve carrying an HTTP request'],
  ['ndpi__vxlan.pcap', 1, 'outer VLAN 5, VXLAN VNI 1111, inner DNS query'],
  ['zeek__vxlan-triple-v2.pcap', 1, 'three nested VXLAN tunnels with DNS'],
  ['zeek__vlan-pcp-dei.pcapng', 1, 'two VLAN tags with PCP/DEI'],
  ['arkime__dot1ad.pcap', 1, '802.1ad QinQ, ICMP'],
  ['suricata__decode-sll2-01__input.pcap', 1, 'SLL2, TCP SYN with options'],
  ['suricata__decode-sll2-01__input.pcap', 4, 'SLL2, HTTP request'],
  ['pcapplusplus__sll.pcap', 1, 'SLL, UDP'],
  ['arkime__v6.pcap', 137, 'ICMPv6 error quoting IPv6/UDP/DNS'],
  ['zeek__ipv6-http-atomic-frag.pcap', 8, 'IPv6 destination options + atomic fragment, HTTP'],
  ['ndpi__badpackets.pcap', 1, 'IPv4 first fragment (MF)'],
  ['tcpdump__dns_tcp.pcap', 4, 'DNS over TCP'],
  ['gopacket__test_dns.pcap', 2, 'DNS response'],
  ['zeek__ip4-trunc.pcap', 1, 'truncated IPv4: an issue'],
  ['zeek__truncated-header.pcap', 1, 'truncated TCP header'],
  ['zeek__geneve-truncated.pcapng', 1, 'truncated Geneve'],
  ['pcapplusplus__many_interfaces-1.pcapng', 3, 'NULL/loopback link'],
  ['tcpdump__vxlan.pcap', 3, 'ARP inside VXLAN'],
  ['pcapplusplus__VlanPackets.pcap', 21, '802.3 frame with LLC'],
  ['pcapplusplus__nanosecs.pcap', 1, 'bare Ethernet with an unknown ethertype'],
  ['tcpdump__bigtcp-ipv4-vxlan-ipv4.pcap', 1, 'BIG TCP: IPv4 and UDP lengths 0, VXLAN, inner TCP'],
  // ../shared/corpus-encap (left out, saying so, where it is absent)
  ...(encapPresent ? ENCAP_LIST() : []),
];

/** Encapsulations: tunnel levels of every new type, GRE key/sequence, ERSPAN fields, WireGuard fields. */
const ENCAP_FILES = new Set(ENCAP_LIST().map(([f]) => f));
function ENCAP_LIST(): Array<[string, number, string]> {
  return [
    ['zeek__4in4.pcap', 1, 'IPv4 in IPv4'],
    ['zeek__6in6in6.pcap', 1, 'IPv6 in IPv6 in IPv6'],
    ['zeek__gre-within-gre.pcap', 4, 'GRE inside GRE'],
    ['zeek__gre-pptp.pcap', 1, 'enhanced GRE (PPTP, call id, sequence, ack) with PPP, in IPv4 in IPv6'],
    ['tcpdump__various_gre.pcap', 25, 'GRE with a key and Cisco MetaData'],
    ['zeek__erspan.pcap', 2, 'NVGRE (0x6558 with a key: VSID)'],
    ['zeek__erspanI.pcap', 1, 'ERSPAN type I'],
    ['zeek__erspanII.pcap', 1, 'ERSPAN type II (session id, VLAN, GRE sequence)'],
    ['tcpdump__erspan-type-iii-ft-0.pcap', 1, 'ERSPAN type III (timestamp) with an inner VLAN'],
    ['pcapplusplus__WireGuard.pcap', 2, 'WireGuard handshake response (sender and receiver)'],
    ['pcapplusplus__WireGuard.pcap', 3, 'WireGuard transport data (receiver, counter)'],
  ];
}
function load(file: string, n: number): Promise<RealPacket> {
  return ENCAP_FILES.has(file) ? encapPacket(file, n) : corpusPacket(file, n);
}

describe.skipIf(!corpusPresent)('DecodedPacket reuse: decode A then B, nothing of A left', () => {
  it('decodes every ordered pair of the packets exactly as a fresh decoder does', async () => {
    const pkts: RealPacket[] = [];
    for (const [file, n] of PACKETS) pkts.push(await load(file, n));
    const fresh = pkts.map((b) => {
      const p = new DecodedPacket();
      decodePacket(p, b.bytes, 0, b.bytes.length, b.linkType, cfg);
      return snapshot(p);
    });
    // The set really exercises what could leak.
    expect(fresh.some((s) => (s['geneveOptions'] as number[]).some((x) => x >= 3)), "Geneve options").toBe(true);
    expect(fresh.some((s) => (s['tcpMss'] as number[]).some((x) => x > 0))).toBe(true);
    expect(fresh.some((s) => (s['tcpHasTs'] as number[]).some((x) => x === 1))).toBe(true);
    expect(fresh.some((s) => s['vlanId'] === 5)).toBe(true);
    expect(fresh.some((s) => s['httpKind'] === 1)).toBe(true);
    expect(fresh.some((s) => s['dnsNet'] !== -1)).toBe(true);
    expect(fresh.some((s) => (s['netQuoted'] as number[]).includes(1))).toBe(true);
    expect(fresh.some((s) => (s['tunnelType'] as number[]).length === 3)).toBe(true);
    expect(fresh.some((s) => s['issueLayer'] !== -1)).toBe(true);
    expect(fresh.some((s) => (s['ipFragment'] as number[]).includes(1))).toBe(true);
    if (encapPresent) {
      for (const type of [3, 4, 5, 6, 7]) expect(fresh.some((s) => (s['tunnelType'] as number[]).includes(type)), `tunnel type ${type}`).toBe(true);
      expect(fresh.some((s) => (s['greSeq'] as number[]).some((x) => x >= 0))).toBe(true);
      for (const e of [1, 2, 3]) expect(fresh.some((s) => (s['erspanType'] as number[]).includes(e)), `ERSPAN type ${e}`).toBe(true);
      expect(fresh.some((s) => (s['erspanTimestamp'] as number[]).some((x) => x >= 0))).toBe(true);
      expect(fresh.some((s) => s['wgSender'] !== -1 && s['wgReceiver'] !== -1)).toBe(true);
      expect(fresh.some((s) => s['wgCounterLo'] !== -1)).toBe(true);
    }
    const reused = new DecodedPacket();
    for (let a = 0; a < pkts.length; a++) {
      for (let b = 0; b < pkts.length; b++) {
        decodePacket(reused, pkts[a]!.bytes, 0, pkts[a]!.bytes.length, pkts[a]!.linkType, cfg);
        decodePacket(reused, pkts[b]!.bytes, 0, pkts[b]!.bytes.length, pkts[b]!.linkType, cfg);
        expect(snapshot(reused), `${PACKETS[a]![0]}#${PACKETS[a]![1]} then ${PACKETS[b]![0]}#${PACKETS[b]![1]}`).toEqual(fresh[b]);
      }
    }
  });

  it('clears what A left at a level a packet in between did not reach (A, a packet without IP, then B)', async () => {
    const pkts: RealPacket[] = [];
    for (const [file, n] of PACKETS) pkts.push(await load(file, n));
    const noIp = pkts[PACKETS.findIndex(([f, n]) => f === 'pcapplusplus__nanosecs.pcap' && n === 1)]!;
    const between = new DecodedPacket();
    decodePacket(between, noIp.bytes, 0, noIp.bytes.length, noIp.linkType, cfg);
    expect(between.netCount).toBe(0);
    const reused = new DecodedPacket();
    for (let a = 0; a < pkts.length; a++) {
      for (let b = 0; b < pkts.length; b++) {
        const fresh = new DecodedPacket();
        decodePacket(fresh, pkts[b]!.bytes, 0, pkts[b]!.bytes.length, pkts[b]!.linkType, cfg);
        decodePacket(reused, pkts[a]!.bytes, 0, pkts[a]!.bytes.length, pkts[a]!.linkType, cfg);
        decodePacket(reused, noIp.bytes, 0, noIp.bytes.length, noIp.linkType, cfg);
        decodePacket(reused, pkts[b]!.bytes, 0, pkts[b]!.bytes.length, pkts[b]!.linkType, cfg);
        expect(snapshot(reused), `${PACKETS[a]![0]}#${PACKETS[a]![1]}, no IP, then ${PACKETS[b]![0]}#${PACKETS[b]![1]}`).toEqual(snapshot(fresh));
      }
    }
  });

  it('decodes as a fresh decoder does when its arrays start with leftovers it has no record of', async () => {
    // Arrays over memory someone else filled (decision 0009's decode-ahead put them over shared
    // memory; measured and not kept, so no such code is in the tree): the decoder must not count on
    // the values a constructor put there (tcpMss -1 and the like). DecodedPacket.fieldsClean
    // (src/dissect/decoded.ts) starts at "nothing known clean" for that.
    for (const [file, n] of PACKETS) {
      const b = await load(file, n);
      const fresh = new DecodedPacket();
      decodePacket(fresh, b.bytes, 0, b.bytes.length, b.linkType, cfg);
      const dirty = new DecodedPacket();
      for (const v of Object.values(dirty)) {
        if (v === dirty.fieldsClean || v === dirty.fieldsWritten || !ArrayBuffer.isView(v) || v instanceof DataView) continue;
        new Uint8Array(v.buffer, v.byteOffset, v.byteLength).fill(0x5a);
      }
      decodePacket(dirty, b.bytes, 0, b.bytes.length, b.linkType, cfg);
      expect(snapshot(dirty), `${file}#${n}`).toEqual(snapshot(fresh));
    }
  });
});
