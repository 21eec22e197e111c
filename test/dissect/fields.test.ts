/**
 * Every dissector's decoded fields against tshark's, packet by packet, over
 * real captures: link (Ethernet, 802.1Q, 802.1ad, SLL, SLL2, NULL), IPv4/IPv6
 * (addresses, TTL/hop limit, id, protocol, fragments), UDP, TCP (ports,
 * seq/ack, flags, window, MSS, window scale, SACK-permitted, timestamps),
 * ICMP/ICMPv6, VXLAN and Geneve (VNI, option count) and DNS (id, QR).
 * Frames we find truncated or malformed (an issue) are left out: the
 * truncation tests cover them.
 */
import { describe, expect, it } from 'vitest';
import { macToString } from '../../src/dissect/addr.js';
import { ipv4ToString, ipv6ToString } from '../../src/dissect/addr.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { TUNNEL_GENEVE, TUNNEL_VXLAN } from '../../src/dissect/layers.js';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';
import { corpusPackets } from './packets.js';
import { tsharkPresent, tsharkTable } from './tshark.js';

const FIELDS = [
  'frame.protocols', 'eth.dst', 'eth.src', 'vlan.id', 'ieee8021ad.id',
  'ip.src', 'ip.dst', 'ip.ttl', 'ip.id', 'ip.proto', 'ip.flags.mf', 'ip.frag_offset',
  'ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'ipv6.nxt',
  'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value',
  'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.sack_perm', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code', 'vxlan.vni', 'geneve.vni', 'geneve.option.class', 'dns.id', 'dns.flags.response',
];

/** Our decode of one packet as tshark field lists (same names, same occurrence order). */
function ours(p: DecodedPacket): Record<string, string[]> {
  const o: Record<string, string[]> = {};
  const put = (k: string, v: string | number): void => { (o[k] ??= []).push(String(v)); };
  for (let e = 0; e < p.ethCount; e++) { put('eth.dst', macToString(p.ethMac, e * 12)); put('eth.src', macToString(p.ethMac, e * 12 + 6)); }
  for (let i = 0; i < p.netCount; i++) {
    if (p.ipVersion[i] === 4) {
      put('ip.src', ipv4ToString(p.ipSrc[i * 4]!)); put('ip.dst', ipv4ToString(p.ipDst[i * 4]!));
      put('ip.ttl', p.ipTtl[i]!); put('ip.id', `0x${p.ipId[i]!.toString(16).padStart(4, '0')}`); put('ip.proto', p.ipProto[i]!);
      put('ip.fragment', p.ipFragment[i]!);
    } else {
      put('ipv6.src', ipv6ToString(p.ipSrc, i * 4)); put('ipv6.dst', ipv6ToString(p.ipDst, i * 4)); put('ipv6.hlim', p.ipTtl[i]!);
    }
    if (!p.l4Present[i]) {
      if (p.icmpType[i]! >= 0) {
        put(p.ipVersion[i] === 4 ? 'icmp.type' : 'icmpv6.type', p.icmpType[i]!);
        put(p.ipVersion[i] === 4 ? 'icmp.code' : 'icmpv6.code', p.icmpCode[i]!);
      }
      continue;
    }
    if (p.ipProto[i] === 17) { put('udp.srcport', p.srcPort[i]!); put('udp.dstport', p.dstPort[i]!); }
    if (p.ipProto[i] === 6) {
      put('tcp.srcport', p.srcPort[i]!); put('tcp.dstport', p.dstPort[i]!);
      put('tcp.seq_raw', p.tcpSeq[i]!); put('tcp.ack_raw', p.tcpAck[i]!);
      put('tcp.flags', `0x${p.tcpFlags[i]!.toString(16).padStart(4, '0')}`);
      put('tcp.window_size_value', p.tcpWindow[i]!);
      if (p.tcpMss[i]! >= 0) put('tcp.options.mss_val', p.tcpMss[i]!);
      if (p.tcpWscale[i]! >= 0) put('tcp.options.wscale.shift', p.tcpWscale[i]!);
      if (p.tcpSackPermitted[i]) put('tcp.options.sack_perm', '');
      if (p.tcpHasTs[i]) { put('tcp.options.timestamp.tsval', p.tcpTsVal[i]!); put('tcp.options.timestamp.tsecr', p.tcpTsEcr[i]!); }
    }
  }
  for (let t = 0; t < p.tunnelCount; t++) {
    if (p.tunnelType[t] === TUNNEL_VXLAN) put('vxlan.vni', p.tunnelVni[t]!);
    if (p.tunnelType[t] === TUNNEL_GENEVE) {
      put('geneve.vni', `0x${p.tunnelVni[t]!.toString(16).padStart(6, '0')}`);
      for (let k = 0; k < p.geneveOptions[t]!; k++) put('geneve.option.class', '*');
    }
  }
  if (p.dnsNet >= 0) { put('dns.id', `0x${p.dnsId.toString(16).padStart(4, '0')}`); put('dns.flags.response', p.dnsIsResponse); }
  return o;
}

/** tshark's row reduced to what we decode (quoted-packet and option details normalised). */
function theirs(row: Record<string, string[]>, p: DecodedPacket): Record<string, string[]> {
  const o: Record<string, string[]> = {};
  for (const k of ['eth.dst', 'eth.src', 'ip.src', 'ip.dst', 'ip.ttl', 'ip.id', 'ip.proto', 'ipv6.src', 'ipv6.dst', 'ipv6.hlim',
    'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value',
    'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr',
    'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code', 'vxlan.vni', 'geneve.vni']) {
    if (row[k]!.length) o[k] = row[k]!;
  }
  // Fragments: 0 whole, 1 first (MF, offset 0), 2 a later one.
  if (row['ip.src']!.length) {
    o['ip.fragment'] = row['ip.src']!.map((_, k) => (Number(row['ip.frag_offset']![k] ?? 0) > 0 ? '2' : ['1', 'True'].includes(row['ip.flags.mf']![k] ?? '') ? '1' : '0'));
  }
  if (row['tcp.options.sack_perm']!.length) o['tcp.options.sack_perm'] = row['tcp.options.sack_perm']!.map(() => '');
  if (row['geneve.option.class']!.length) o['geneve.option.class'] = row['geneve.option.class']!.map(() => '*');
  // DNS inside an ICMP quote is counted but is no transaction: compare the unquoted one.
  if (row['dns.id']!.length && p.dnsNet >= 0) {
    o['dns.id'] = [row['dns.id']![row['dns.id']!.length - 1]!];
    o['dns.flags.response'] = [row['dns.flags.response']!.at(-1) === 'True' || row['dns.flags.response']!.at(-1) === '1' ? '1' : '0'];
  }
  // ip.proto of an IPv6 extension-header chain is ipv6.nxt's last value; our ipProto is the transport: compare IPv4 only (above).
  return o;
}

const FILES: Array<[string, string[]]> = [
  ['ndpi__vxlan.pcap', []],
  ['ndpi__badpackets.pcap', []],
  ['ndpi__malformed_dns.pcap', []],
  ['tcpdump__vxlan.pcap', []],
  ['zeek__vxlan.pcap', []],
  ['zeek__vxlan-triple-v2.pcap', []],
  ['suricata__vxlan-decoder-03__vxlan.pcap', []],
  ['tcpdump__gso-ipv4-vxlan-ipv4.pcap', []],
  ['tcpdump__gso-ipv6-vxlan-ipv6.pcap', []],
  ['zeek__geneve-many-options.pcap', []],
  ['zeek__geneve.pcap', []],
  ['zeek__geneve-47101.pcap', []],
  ['zeek__geneve-ipv6.pcap', []],
  ['tcpdump__geneve.pcap', []],
  ['arkime__dot1ad.pcap', []],
  ['zeek__vlan-pcp-dei.pcapng', []],
  ['zeek__http-vlan-0.pcap', []],
  ['pcapplusplus__VlanPackets.pcap', []],
  ['pcapplusplus__sll.pcap', []],
  ['tcpdump__tcp-handshake-nano.pcap', []],
  ['zeek__linux_dlt_sll2.pcap', []],
  ['suricata__decode-sll2-02__input.pcap', []],
  ['pcapplusplus__many_interfaces-1.pcapng', []],
  ['arkime__bigendian.pcap', []],
  ['arkime__v6.pcap', []],
  ['arkime__v6-http.pcap', []],
  ['tcpdump__icmpv6.pcap', []],
  ['zeek__ipv6-http-atomic-frag.pcap', []],
  ['gopacket__test_dns.pcap', []],
  ['tcpdump__dns_tcp.pcap', []],
  ['tcpdump__dns_udp.pcap', []],
  ['pcapplusplus__DnsPackets.pcap', []],
  ['arkime__http-simple-get.pcap', []],
  ['zeek__methods.pcap', []],
  ['zeek__pcapng-multi-interface.pcapng', []],
];

const cfg = new DissectConfig();

describe.skipIf(!corpusPresent || !tsharkPresent)('decoded fields equal tshark\'s, packet by packet', () => {
  it.each(FILES)('%s', async (file, extra) => {
    const table = tsharkTable(corpusPath(file), FIELDS, extra);
    const pkts = await corpusPackets(file);
    expect(pkts.length).toBe(table.length);
    const p = new DecodedPacket();
    let compared = 0;
    const mismatches: string[] = [];
    for (let k = 0; k < pkts.length; k++) {
      const pkt = pkts[k]!;
      const row = table[k]!;
      decodePacket(p, pkt.bytes, 0, pkt.bytes.length - pkt.fcsLength, pkt.linkType, cfg);
      if (p.issueLayer >= 0) continue;
      const a = ours(p);
      const b = theirs(row, p);
      // VLAN: our outermost tag id.
      const vlan = row['ieee8021ad.id']![0] ?? row['vlan.id']![0];
      if (vlan !== undefined) { a['vlan'] = [String(p.vlanId)]; b['vlan'] = [vlan]; }
      const sa = JSON.stringify(Object.fromEntries(Object.entries(a).sort()));
      const sb = JSON.stringify(Object.fromEntries(Object.entries(b).sort()));
      if (sa !== sb) mismatches.push(`frame ${k + 1}:\n  ours   ${sa}\n  tshark ${sb}`);
      compared++;
    }
    expect(mismatches.slice(0, 3).join('\n')).toBe('');
    expect(compared).toBeGreaterThan(0);
  });
});

describe.skipIf(!corpusPresent || !tsharkPresent)('VXLAN on Flannel\'s UDP port 8472', () => {
  it('decodes a real VXLAN frame moved to port 8472 as tshark does with -d udp.port==8472,vxlan; not when the port list omits it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const src = (await corpusPackets('tcpdump__vxlan.pcap')).slice(0, 4);
    // Rewrite the outer UDP destination port 4789 → 8472 (Ethernet 14 + IPv4 20 + 2) and write a pcap of them.
    const header = new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]);
    const parts: Uint8Array[] = [header];
    const moved = src.map((s) => {
      const b = s.bytes.slice();
      expect((b[36]! << 8) | b[37]!).toBe(4789);
      b[36] = 8472 >> 8; b[37] = 8472 & 255;
      const rec = new Uint8Array(16);
      const dv = new DataView(rec.buffer);
      dv.setUint32(0, 1_700_000_000, true); dv.setUint32(8, b.length, true); dv.setUint32(12, b.length, true);
      parts.push(rec, b);
      return b;
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'os-8472-')), 'vxlan-8472.pcap');
    writeFileSync(file, Buffer.concat(parts));
    const decodeAs = tsharkTable(file, FIELDS, ['-d', 'udp.port==8472,vxlan']);
    const plain = tsharkTable(file, FIELDS);
    const p = new DecodedPacket();
    const only4789 = new DissectConfig({ vxlanPorts: [4789] });
    moved.forEach((b, k) => {
      decodePacket(p, b, 0, b.length, 1, cfg);
      expect(JSON.stringify(Object.entries(ours(p)).sort())).toBe(JSON.stringify(Object.entries(theirs(decodeAs[k]!, p)).sort()));
      expect(p.tunnelCount).toBe(1);
      expect(decodeAs[k]!['vxlan.vni']).toEqual([String(p.tunnelVni[0])]);
      expect(plain[k]!['vxlan.vni']).toEqual([]);
      decodePacket(p, b, 0, b.length, 1, only4789);
      expect(p.tunnelCount).toBe(0);
    });
  });
});
