/**
 * The packet layer tree against tshark's PDML: for real packets, every
 * mapped field has tshark's byte position, size and value, and every header
 * layer tshark's position and size.
 */
import { describe, expect, it } from 'vitest';
import type { FieldNode, LayerNode } from '../../src/api.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { describePacket, escapeText } from '../../src/dissect/describe.js';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';
import { corpusPacket, encapPacket, encapPath, encapPresent } from './packets.js';
import { pdml, tsharkPresent, type PdmlProto } from './tshark.js';

/** Our layer name → tshark's protocol name. */
const PROTO: Record<string, string> = {
  eth: 'eth', vlan: 'vlan', sll: 'sll', sll2: 'sll', ipv4: 'ip', ipv6: 'ipv6', arp: 'arp', icmp: 'icmp', icmpv6: 'icmpv6',
  udp: 'udp', tcp: 'tcp', vxlan: 'vxlan', geneve: 'geneve', dns: 'dns', gre: 'gre', erspan: 'erspan', wg: 'wg',
};
/** Layers whose extent is a fixed header (compared with tshark's proto pos/size). */
const HEADER_LAYERS = new Set(['eth', 'vlan', 'sll', 'sll2', 'ipv4', 'udp', 'tcp', 'vxlan', 'geneve', 'arp', 'gre']);

type Mode = 'first' | 'paren' | 'hexparen' | 'none';
/** [our layer, our field path (a/b for a child), tshark field, how to compare the value] */
const FIELDS: Array<[string, string, string, Mode]> = [
  ['eth', 'Destination', 'eth.dst', 'first'],
  ['eth', 'Source', 'eth.src', 'first'],
  ['eth', 'Type', 'eth.type', 'paren'],
  ['vlan', 'Priority (PCP)', 'vlan.priority', 'first'],
  ['vlan', 'Drop eligible (DEI)', 'vlan.dei', 'first'],
  ['vlan', 'VLAN ID', 'vlan.id', 'first'],
  ['vlan', 'Type', 'vlan.etype', 'paren'],
  ['sll2', 'Protocol', 'sll.etype', 'paren'],
  ['sll2', 'Interface index', 'sll.ifindex', 'first'],
  ['sll2', 'Link-layer address type', 'sll.hatype', 'first'],
  ['sll2', 'Packet type', 'sll.pkttype', 'paren'],
  ['sll2', 'Link-layer address length', 'sll.halen', 'first'],
  ['sll2', 'Source', 'sll.src.eth', 'first'],
  ['sll', 'Packet type', 'sll.pkttype', 'paren'],
  ['sll', 'Link-layer address type', 'sll.hatype', 'first'],
  ['sll', 'Link-layer address length', 'sll.halen', 'first'],
  ['sll', 'Source', 'sll.src.eth', 'first'],
  ['sll', 'Protocol', 'sll.etype', 'paren'],
  ['ipv4', 'Version', 'ip.version', 'first'],
  ['ipv4', 'Header length', 'ip.hdr_len', 'first'],
  ['ipv4', 'Differentiated services', 'ip.dsfield', 'first'],
  ['ipv4', 'Differentiated services/DSCP', 'ip.dsfield.dscp', 'first'],
  ['ipv4', 'Differentiated services/ECN', 'ip.dsfield.ecn', 'first'],
  ['ipv4', 'Total length', 'ip.len', 'first'],
  ['ipv4', 'Identification', 'ip.id', 'first'],
  ['ipv4', 'Flags', 'ip.flags', 'none'],
  ['ipv4', "Flags/Don't fragment", 'ip.flags.df', 'none'],
  ['ipv4', 'Fragment offset', 'ip.frag_offset', 'none'],
  ['ipv4', 'Time to live', 'ip.ttl', 'first'],
  ['ipv4', 'Protocol', 'ip.proto', 'paren'],
  ['ipv4', 'Header checksum', 'ip.checksum', 'first'],
  ['ipv4', 'Source address', 'ip.src', 'first'],
  ['ipv4', 'Destination address', 'ip.dst', 'first'],
  ['ipv6', 'Payload length', 'ipv6.plen', 'first'],
  ['ipv6', 'Next header', 'ipv6.nxt', 'paren'],
  ['ipv6', 'Hop limit', 'ipv6.hlim', 'first'],
  ['ipv6', 'Source address', 'ipv6.src', 'first'],
  ['ipv6', 'Destination address', 'ipv6.dst', 'first'],
  ['arp', 'Hardware type', 'arp.hw.type', 'first'],
  ['arp', 'Protocol type', 'arp.proto.type', 'paren'],
  ['arp', 'Opcode', 'arp.opcode', 'paren'],
  ['arp', 'Sender MAC address', 'arp.src.hw_mac', 'first'],
  ['arp', 'Sender IP address', 'arp.src.proto_ipv4', 'first'],
  ['arp', 'Target MAC address', 'arp.dst.hw_mac', 'first'],
  ['arp', 'Target IP address', 'arp.dst.proto_ipv4', 'first'],
  ['icmp', 'Type', 'icmp.type', 'first'],
  ['icmp', 'Code', 'icmp.code', 'first'],
  ['icmp', 'Checksum', 'icmp.checksum', 'first'],
  ['icmpv6', 'Type', 'icmpv6.type', 'first'],
  ['icmpv6', 'Code', 'icmpv6.code', 'first'],
  ['udp', 'Source port', 'udp.srcport', 'first'],
  ['udp', 'Destination port', 'udp.dstport', 'first'],
  ['udp', 'Length', 'udp.length', 'first'],
  ['udp', 'Checksum', 'udp.checksum', 'first'],
  ['tcp', 'Source port', 'tcp.srcport', 'first'],
  ['tcp', 'Destination port', 'tcp.dstport', 'first'],
  ['tcp', 'Sequence number (raw)', 'tcp.seq_raw', 'first'],
  ['tcp', 'Acknowledgment number (raw)', 'tcp.ack_raw', 'first'],
  ['tcp', 'Header length', 'tcp.hdr_len', 'first'],
  ['tcp', 'Flags', 'tcp.flags', 'first'],
  ['tcp', 'Flags/Syn (SYN)', 'tcp.flags.syn', 'none'],
  ['tcp', 'Window', 'tcp.window_size_value', 'first'],
  ['tcp', 'Checksum', 'tcp.checksum', 'first'],
  ['tcp', 'Urgent pointer', 'tcp.urgent_pointer', 'first'],
  ['tcp', 'Options', 'tcp.options', 'none'],
  ['tcp', 'Options/Maximum segment size', 'tcp.options.mss', 'none'],
  ['tcp', 'Options/Window scale', 'tcp.options.wscale', 'none'],
  ['tcp', 'Options/SACK permitted', 'tcp.options.sack_perm', 'none'],
  ['tcp', 'Options/Timestamps', 'tcp.options.timestamp', 'none'],
  ['vxlan', 'Flags', 'vxlan.flags', 'first'],
  ['vxlan', 'Group policy ID', 'vxlan.gbp', 'first'],
  ['vxlan', 'VXLAN network identifier (VNI)', 'vxlan.vni', 'first'],
  ['vxlan', 'Reserved', 'vxlan.reserved8', 'first'],
  ['geneve', 'Version', 'geneve.version', 'first'],
  ['geneve', 'Options length', 'geneve.option.length', 'first'],
  ['geneve', 'Flags', 'geneve.flags', 'first'],
  ['geneve', 'Protocol type', 'geneve.proto_type', 'paren'],
  ['geneve', 'Virtual network identifier (VNI)', 'geneve.vni', 'none'],
  ['geneve', 'Options', 'geneve.options', 'none'],
  ['gre', 'Flags and version', 'gre.flags_and_version', 'first'],
  ['gre', 'Flags and version/Key present (K)', 'gre.flags.key', 'none'],
  ['gre', 'Protocol type', 'gre.proto', 'paren'],
  ['gre', 'Key', 'gre.key', 'paren'],
  ['gre', 'Sequence number', 'gre.sequence_number', 'first'],
  ['gre', 'Payload length', 'gre.key.payload_length', 'first'],
  ['gre', 'Call id', 'gre.key.call_id', 'first'],
  ['gre', 'Acknowledgment number', 'gre.ack_number', 'first'],
  ['erspan', 'VLAN', 'erspan.vlan', 'first'],
  ['erspan', 'Session id', 'erspan.spanid', 'first'],
  ['erspan', 'Timestamp', 'erspan.timestamp', 'first'],
  ['erspan', 'Security group tag', 'erspan.sgt', 'first'],
  ['wg', 'Type', 'wg.type', 'first'],
  ['wg', 'Sender index', 'wg.sender', 'first'],
  ['wg', 'Receiver index', 'wg.receiver', 'first'],
  ['wg', 'Counter', 'wg.counter', 'first'],
  ['dns', 'Transaction ID', 'dns.id', 'first'],
  ['dns', 'Flags', 'dns.flags', 'first'],
  ['dns', 'Questions', 'dns.count.queries', 'first'],
  ['dns', 'Answer RRs', 'dns.count.answers', 'first'],
  ['dns', 'Authority RRs', 'dns.count.auth_rr', 'first'],
  ['dns', 'Additional RRs', 'dns.count.add_rr', 'first'],
  ['dns', 'Length', 'dns.length', 'first'],
];

function findField(fields: FieldNode[], path: string): FieldNode | undefined {
  const [head, ...rest] = path.split('/');
  const f = fields.find((x) => x.name === head);
  if (!f || rest.length === 0) return f;
  return findField(f.children ?? [], rest.join('/'));
}

function expectedValue(ours: string, mode: Mode): string {
  if (mode === 'first') return ours.split(' ')[0]!;
  const m = /\(([^()]*)\)\s*$/.exec(ours);
  return m ? m[1]! : ours;
}

/** Compares our tree with tshark's PDML; returns the number of fields compared. */
function compareWithPdml(ours: LayerNode[], theirs: PdmlProto[]): number {
  const used = new Map<string, number>();
  let compared = 0;
  for (const layer of ours) {
    const pname = PROTO[layer.layer];
    if (!pname) continue;
    const nth = used.get(pname) ?? 0;
    used.set(pname, nth + 1);
    // An 802.1ad outer tag is tshark's `ieee8021ad`, an 802.1Q tag its `vlan`: both are our vlan.
    const proto = theirs.filter((p) => p.name === pname || (pname === 'vlan' && p.name === 'ieee8021ad'))[nth];
    expect(proto, `tshark has a ${pname} layer #${nth + 1}`).toBeDefined();
    if (HEADER_LAYERS.has(layer.layer)) {
      expect({ layer: layer.layer, start: layer.start, length: layer.length }).toEqual({ layer: layer.layer, start: proto!.pos, length: proto!.size });
    }
    for (const [l, path, tname, mode] of FIELDS) {
      if (l !== layer.layer) continue;
      // ieee8021ad shows PCP and DEI over 1 byte (vlan: 2): only its ID is compared.
      if (proto!.name === 'ieee8021ad' && tname !== 'vlan.id') continue;
      const t = proto!.fields.find((f) => f.name === tname.replace(/^vlan\./, `${proto!.name}.`));
      const o = findField(layer.fields, path);
      if (!t) continue;
      expect(o, `${layer.layer} field ${path} (tshark ${tname} at ${t.pos})`).toBeDefined();
      const got = { field: tname, start: o!.start, length: o!.length, value: mode === 'none' ? '' : expectedValue(o!.value, mode) };
      const want = { field: tname, start: t.pos, length: t.size, value: mode === 'none' ? '' : t.show };
      expect(got).toEqual(want);
      compared++;
    }
  }
  return compared;
}

const cfg = new DissectConfig();

describe.skipIf(!corpusPresent || !tsharkPresent)('describePacket against tshark PDML on real packets', () => {
  it.each([
    ['ndpi__vxlan.pcap', 1, ['eth', 'vlan', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'udp', 'dns']],
    ['ndpi__vxlan.pcap', 3, ['eth', 'vlan', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'udp', 'dns']],
    ['zeek__geneve-many-options.pcap', 1, ['eth', 'ipv4', 'udp', 'geneve', 'eth', 'ipv4', 'tcp']],
    ['suricata__decode-sll2-01__input.pcap', 1, ['sll2', 'ipv4', 'tcp']],
    ['pcapplusplus__sll.pcap', 1, ['sll', 'ipv4', 'udp']],
    ['tcpdump__vxlan.pcap', 1, ['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'icmp']],
    ['tcpdump__vxlan.pcap', 3, ['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'arp']],
    ['arkime__dot1ad.pcap', 1, ['eth', 'vlan', 'vlan', 'ipv4', 'icmp']],
    ['zeek__vlan-pcp-dei.pcapng', 1, ['eth', 'vlan', 'vlan', 'ipv4', 'tcp']],
    ['arkime__v6-http.pcap', 1, ['eth', 'ipv6']],
    ['gopacket__test_dns.pcap', 2, ['eth', 'ipv4', 'udp', 'dns']],
    ['tcpdump__dns_tcp.pcap', 4, ['eth', 'ipv4', 'tcp', 'dns']],
    ['tcpdump__icmpv6.pcap', 1, ['eth', 'ipv6', 'icmpv6']],
  ] as Array<[string, number, string[]]>)('%s frame %i', async (file, n, layers) => {
    const pkt = await corpusPacket(file, n);
    const tree = describePacket(pkt.bytes, pkt.linkType, cfg);
    const names = tree.map((l) => l.layer).filter((l) => l !== 'data');
    expect(names.slice(0, layers.length)).toEqual(layers);
    const compared = compareWithPdml(tree, pdml(corpusPath(file), n));
    expect(compared).toBeGreaterThan(layers.length);
    // Every field lies inside the frame and inside its layer's bytes or the frame.
    const walk = (fs: FieldNode[]): void => fs.forEach((f) => {
      expect(f.start).toBeGreaterThanOrEqual(0);
      expect(f.start + f.length).toBeLessThanOrEqual(pkt.bytes.length);
      if (f.children) walk(f.children);
    });
    tree.forEach((l) => walk(l.fields));
  });

  it.each([
    ['zeek__gre-sample.pcap', 33, ['eth', 'ipv4', 'gre', 'ipv4', 'udp', 'dns']],
    ['zeek__gre-pptp.pcap', 1, ['eth', 'vlan', 'ipv6', 'ipv4', 'gre', 'ipv4', 'udp', 'dns']],
    ['tcpdump__various_gre.pcap', 11, ['eth', 'vlan', 'ipv4', 'gre', 'ipv4', 'gre']],
    ['zeek__erspan.pcap', 2, ['eth', 'ipv4', 'gre', 'eth', 'ipv4', 'icmp']],
    ['zeek__erspanI.pcap', 1, ['eth', 'ipv4', 'gre', 'erspan', 'eth', 'ipv4', 'icmp']],
    ['zeek__erspanII.pcap', 1, ['eth', 'ipv4', 'gre', 'erspan', 'eth', 'ipv4', 'icmp']],
    ['tcpdump__erspan-type-iii-ft-0.pcap', 1, ['eth', 'ipv4', 'gre', 'erspan', 'eth', 'vlan', 'ipv4', 'icmp']],
    ['pcapplusplus__WireGuard.pcap', 2, ['eth', 'ipv4', 'udp', 'wg']],
    ['pcapplusplus__WireGuard.pcap', 3, ['eth', 'ipv4', 'udp', 'wg']],
    ['zeek__6in4.pcap', 1, ['eth', 'ipv4', 'ipv6', 'udp']],
  ] as Array<[string, number, string[]]>)('%s frame %i (../shared/corpus-encap)', async (file, n, layers) => {
    if (!encapPresent) return;
    const pkt = await encapPacket(file, n);
    const tree = describePacket(pkt.bytes, pkt.linkType, cfg);
    expect(tree.map((l) => l.layer).filter((l) => l !== 'data')).toEqual(layers);
    expect(compareWithPdml(tree, pdml(encapPath(file), n))).toBeGreaterThan(layers.length);
  });

  it('names an 802.1ad outer tag and an 802.1Q inner one (arkime__dot1ad.pcap)', async () => {
    const tree = describePacket((await corpusPacket('arkime__dot1ad.pcap', 1)).bytes, 1, cfg);
    expect(tree.filter((l) => l.layer === 'vlan').map((l) => l.title)).toEqual([
      'IEEE 802.1ad service tag, PRI: 0, DEI: 0, ID: 1525', '802.1Q Virtual LAN, PRI: 0, DEI: 0, ID: 30',
    ]);
  });

  it('lists the Geneve options with tshark\'s positions and lengths', async () => {
    const file = 'zeek__geneve-many-options.pcap';
    const tree = describePacket((await corpusPacket(file, 1)).bytes, 1, cfg);
    const opts = findField(tree.find((l) => l.layer === 'geneve')!.fields, 'Options')!.children!;
    const theirs = pdml(corpusPath(file), 1).find((p) => p.name === 'geneve')!.fields.filter((f) => f.name === 'geneve.option');
    expect(opts.map((o) => [o.start, o.length])).toEqual(theirs.map((t) => [t.pos, t.size]));
    expect(opts.length).toBeGreaterThan(2);
    const lengths = pdml(corpusPath(file), 1).find((p) => p.name === 'geneve')!.fields.filter((f) => f.name === 'geneve.option.length' && f.depth > 6);
    expect(opts.map((o) => findField(o.children!, 'Length')!.value.split(' ')[0])).toEqual(lengths.map((l) => l.show));
  });

  it('shows the HTTP request line and headers as escaped text with their byte ranges', async () => {
    const file = 'zeek__get.pcap';
    const pkts = await import('./packets.js').then((m) => m.corpusPackets(file));
    const tree = pkts.map((p) => describePacket(p.bytes, p.linkType, cfg)).find((t) => t.some((l) => l.layer === 'http'))!;
    const http = tree.find((l) => l.layer === 'http')!;
    expect(http.fields[0]!.name).toBe('Request line');
    expect(http.fields[0]!.value).toMatch(/^GET \S+ HTTP\/1\.[01]$/);
    expect(http.fields.some((f) => f.name === 'Host')).toBe(true);
    for (let i = 1; i < http.fields.length; i++) expect(http.fields[i]!.start).toBe(http.fields[i - 1]!.start + http.fields[i - 1]!.length);
  });
});

describe('escapeText', () => {
  it('escapes control bytes, backslash and non-ASCII so markup-looking text stays inert text', () => {
    const b = new TextEncoder().encode('<b>\x00\\é\r\n');
    expect(escapeText(b, 0, b.length)).toBe('<b>\\x00\\\\\\xc3\\xa9\\x0d\\x0a');
  });
});

describe.skipIf(!corpusPresent)('describePacket on damaged real packets', () => {
  it('never throws and keeps every field inside the frame, for 300 seeded random corruptions of each of 12 real packets', async () => {
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
      return seed % n;
    };
    const picks: Array<[string, number]> = [
      ['ndpi__vxlan.pcap', 3], ['zeek__geneve-many-options.pcap', 1], ['zeek__geneve-many-options.pcap', 4], ['suricata__decode-sll2-01__input.pcap', 1],
      ['gopacket__test_dns.pcap', 2], ['tcpdump__dns_tcp.pcap', 4], ['pcapplusplus__DnsPackets.pcap', 10], ['arkime__v6.pcap', 137],
      ['zeek__ipv6-http-atomic-frag.pcap', 8], ['tcpdump__vxlan.pcap', 3], ['zeek__vxlan-triple-v2.pcap', 1], ['pcapplusplus__sll.pcap', 26],
    ];
    let fields = 0;
    for (const [file, n] of picks) {
      const pkt = await corpusPacket(file, n);
      for (let k = 0; k < 300; k++) {
        const b = pkt.bytes.slice(0, 1 + rand(pkt.bytes.length));
        for (let m = 1 + rand(4); m > 0; m--) b[rand(b.length)] = rand(256);
        const tree = describePacket(b, pkt.linkType, cfg);
        const walk = (fs: FieldNode[]): void => fs.forEach((f) => {
          fields++;
          expect(f.start >= 0 && f.length >= 0 && f.start + f.length <= b.length, `${file}#${n} mutation ${k}: ${f.name} [${f.start}, +${f.length}) in ${b.length}`).toBe(true);
          expect(typeof f.value).toBe('string');
          if (f.children) walk(f.children);
        });
        for (const l of tree) {
          expect(l.start + l.length <= b.length && l.length >= 0, `${file}#${n} mutation ${k}: layer ${l.layer}`).toBe(true);
          walk(l.fields);
        }
      }
    }
    expect(fields).toBeGreaterThan(10_000);
  });
});
