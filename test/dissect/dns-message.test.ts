/**
 * parseDnsMessage against tshark on real DNS packets: questions (name,
 * type) and A, AAAA, CNAME, SRV and PTR answers. Messages with authority or
 * additional records are compared on questions only (tshark's -T fields does
 * not say which section a record came from).
 */
import { describe, expect, it } from 'vitest';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { DNS_MAX_POINTER_HOPS, parseDnsMessage, readName } from '../../src/dissect/dns-message.js';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';
import { corpusPackets } from './packets.js';
import { tsharkPresent, tsharkTable } from './tshark.js';

const FIELDS = ['frame.protocols', 'dns.id', 'dns.count.queries', 'dns.count.answers', 'dns.count.auth_rr', 'dns.count.add_rr', 'dns.qry.name', 'dns.qry.type',
  'dns.a', 'dns.aaaa', 'dns.cname', 'dns.ptr.domain_name', 'dns.srv.priority', 'dns.srv.weight', 'dns.srv.port', 'dns.srv.target', 'dns.resp.type'];
const cfg = new DissectConfig();

const FILES = ['gopacket__test_dns.pcap', 'tcpdump__dns_tcp.pcap', 'tcpdump__dns_udp.pcap', 'pcapplusplus__DnsPackets.pcap', 'arkime__v6.pcap',
  'ndpi__vxlan.pcap', 'pcapplusplus__sll.pcap', 'ndpi__badpackets.pcap', 'ndpi__malformed_dns.pcap',
  'suricata__vxlan-decoder-03__vxlan.pcap', 'zeek__pcapng-multi-interface.pcapng', 'pcapplusplus__many_interfaces-1.pcapng'];

describe.skipIf(!corpusPresent || !tsharkPresent)('parseDnsMessage against tshark', () => {
  const seenTypes = new Set<string>();

  it.each(FILES)('%s', async (file) => {
    const table = tsharkTable(corpusPath(file), FIELDS);
    const pkts = await corpusPackets(file);
    const p = new DecodedPacket();
    let compared = 0;
    for (let k = 0; k < pkts.length; k++) {
      const row = table[k]!;
      const protos = row['frame.protocols']![0] ?? '';
      if (!row['dns.id']!.length || protos.includes('_ws.') || row['dns.id']!.length > 1) continue;
      const pkt = pkts[k]!;
      decodePacket(p, pkt.bytes, 0, pkt.bytes.length, pkt.linkType, cfg);
      if (p.dnsNet < 0) continue;
      const i = p.dnsNet;
      const tcp = p.ipProto[i] === 6 ? 2 : 0;
      const msg = parseDnsMessage(pkt.bytes, p.payloadStart[i]! + tcp, p.payloadLength[i]! - tcp)!;
      expect(msg, `${file} frame ${k + 1}`).not.toBeNull();
      if (msg.error) continue;
      const at = `${file} frame ${k + 1}`;
      expect(`0x${msg.id.toString(16).padStart(4, '0')}`, at).toBe(row['dns.id']![0]);
      expect(msg.questions.map((q) => q.name), at).toEqual(row['dns.qry.name']!);
      expect(msg.questions.map((q) => String(q.type)), at).toEqual(row['dns.qry.type']!);
      const onlyAnswers = row['dns.count.auth_rr']![0] === '0' && row['dns.count.add_rr']![0] === '0' && Number(row['dns.count.answers']![0]) <= 64;
      if (onlyAnswers) {
        expect(msg.answers.map((a) => String(a.type)), at).toEqual(row['dns.resp.type']!);
        const byType = (t: number): string[] => msg.answers.filter((a) => a.type === t).map((a) => a.data);
        expect(byType(1), at).toEqual(row['dns.a']!);
        expect(byType(28), at).toEqual(row['dns.aaaa']!);
        expect(byType(5), at).toEqual(row['dns.cname']!);
        expect(byType(12), at).toEqual(row['dns.ptr.domain_name']!);
        expect(byType(33), at).toEqual(row['dns.srv.target']!.map((t, j) => `${row['dns.srv.priority']![j]} ${row['dns.srv.weight']![j]} ${row['dns.srv.port']![j]} ${t}`));
        for (const a of msg.answers) seenTypes.add(String(a.type));
      }
      compared++;
    }
    expect(compared, `${file}: DNS messages compared`).toBeGreaterThan(0);
  });

  it('reads the 26 SRV answers of ndpi__badpackets.pcap frame 78 as tshark does (its 29 additional records are A)', async () => {
    const file = 'ndpi__badpackets.pcap';
    const pkt = (await corpusPackets(file))[77]!;
    const row = tsharkTable(corpusPath(file), FIELDS)[77]!;
    const p = new DecodedPacket();
    decodePacket(p, pkt.bytes, 0, pkt.bytes.length, pkt.linkType, cfg);
    const msg = parseDnsMessage(pkt.bytes, p.payloadStart[p.dnsNet]!, p.payloadLength[p.dnsNet]!)!;
    const srv = msg.answers.filter((a) => a.type === 33).map((a) => a.data);
    expect(srv.length).toBe(26);
    expect(srv).toEqual(row['dns.srv.target']!.map((t, j) => `${row['dns.srv.priority']![j]} ${row['dns.srv.weight']![j]} ${row['dns.srv.port']![j]} ${t}`));
  });

  it('covered A, AAAA, CNAME and PTR answers', () => {
    for (const t of ['1', '28', '5', '12']) expect(seenTypes, `answer type ${t}`).toContain(t);
  });
});

describe('readName on hostile input', () => {
  it('stops a compression-pointer loop after the hop limit with a clear error', () => {
    // Header (12 bytes) then a name that is a pointer to itself.
    const b = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => readName(b, 0, b.length, 12)).toThrow(`more than ${DNS_MAX_POINTER_HOPS} compression pointers`);
    expect(parseDnsMessage(b, 0, b.length)!.error).toMatch(/compression pointers/);
  });
  it('escapes dots, backslashes and unprintable bytes inside labels', () => {
    const b = new Uint8Array([3, 0x61, 0x2e, 0x07, 2, 0x5c, 0x41, 0]);
    expect(readName(b, 0, b.length, 0)).toEqual({ name: 'a\\046\\007.\\092A', next: 8 });
  });
});
