/**
 * Community ID v1 (src/flows/community-id.ts): the specification's published
 * baseline vectors (seed 0 and 1, vendored in community-id-baseline/), the
 * examples of its baseline README, and tshark's `communityid` field for every
 * flow of the lab's nginx-proxy captures, the corpus and the encapsulation
 * corpus (flow JSON `communityId`, src/flows/flow-output.ts).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { communityIdOf, CommunityId } from '../../src/flows/community-id.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { flowCommunityId, flowJson, FlowJsonText, setCommunityIdSeed, tunnelLinks } from '../../src/flows/flow-output.js';
import { ipToString } from '../../src/dissect/addr.js';
import { CORPUS, corpusFiles, corpusPath, corpusSkipReason, fixturePath } from '../helpers/corpus.js';

interface Vector { proto: number; saddr: string; daddr: string; sport: number | null; dport: number | null; communityid: string }
const vectors = (name: string): Vector[] => JSON.parse(readFileSync(path.join(import.meta.dirname, 'community-id-baseline', name), 'utf8')) as Vector[];

describe('Community ID v1: the specification baseline', () => {
  it.each([['baseline_deflt.json', 0], ['baseline_seed1.json', 1]] as const)('%s (seed %i): every vector', (file, seed) => {
    const v = vectors(file);
    expect(v.length).toBe(23);
    for (const x of v) expect(communityIdOf(x.proto, x.saddr, x.daddr, x.sport, x.dport, seed), JSON.stringify(x)).toBe(x.communityid);
  });

  // The tables of baseline/README.md in the spec repository (defaults, seed 1).
  it.each([
    [6, '1.2.3.4', '5.6.7.8', 1122, 3344, 0, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
    [6, '5.6.7.8', '1.2.3.4', 3344, 1122, 0, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
    [17, '1.2.3.4', '5.6.7.8', 1122, 3344, 0, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg='],
    [132, '1.2.3.4', '5.6.7.8', 1122, 3344, 0, '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8='],
    [1, '1.2.3.4', '5.6.7.8', 8, 0, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
    [1, '5.6.7.8', '1.2.3.4', 0, 0, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
    [1, '1.2.3.4', '5.6.7.8', 11, 0, 0, '1:f/YiSyWqczrTgfUCZlBUnvHRcPk='],
    [58, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 128, 0, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
    [58, 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 129, 0, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
    [58, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 146, 0, 0, '1:fYC8+pz24E+EhANP1EZhpX0Dw10='],
    [46, '1.2.3.4', '5.6.7.8', null, null, 0, '1:ikv3kmf89luf73WPz1jOs49S768='],
    [46, 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', null, null, 0, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0='],
    [6, '1.2.3.4', '5.6.7.8', 1122, 3344, 1, '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
    [46, '5.6.7.8', '1.2.3.4', null, null, 1, '1:/buhqeOmaRCopOZFy9HnoJd5XW8='],
  ] as const)('proto %i %s -> %s %s/%s seed %i', (proto, s, d, sp, dp, seed, id) => {
    expect(communityIdOf(proto, s, d, sp, dp, seed)).toBe(id);
  });

  it('rejects a bad seed and mixed address families with a message', () => {
    expect(() => new CommunityId(70000)).toThrow(/seed must be an integer 0-65535/);
    expect(() => communityIdOf(6, '1.2.3.4', '::1', 1, 2)).toThrow(/not both IPv4 or both IPv6/);
    expect(() => communityIdOf(6, '1.2.3.4', 'web.default', 1, 2)).toThrow(/web\.default/);
  });
});

/** The spec's algorithm written again on node:crypto, for the frames where tshark 4.0 strays from the spec (TCP/UDP or port-less only). */
function referenceId(proto: number, sa: string, da: string, sport: number, dport: number): string {
  const bytes = (ip: string): Buffer => isIPv4(ip) ? Buffer.from(ip.split('.').map(Number))
    : Buffer.from(ip.replace('::', ':' + '0:'.repeat(9 - ip.split(':').filter(Boolean).length)).split(':').filter(Boolean).flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
  let s = bytes(sa), d = bytes(da), sp = sport, dp = dport;
  const ports = proto === 6 || proto === 17;
  const c = Buffer.compare(s, d);
  if (c > 0 || (c === 0 && ports && sp > dp)) { [s, d, sp, dp] = [d, s, dp, sp]; }
  const tail = Buffer.alloc(ports ? 6 : 2);
  tail[0] = proto;
  if (ports) { tail.writeUInt16BE(sp, 2); tail.writeUInt16BE(dp, 4); }
  return '1:' + createHash('sha1').update(Buffer.concat([Buffer.from([0, 0]), s, d, tail])).digest('base64');
}

/**
 * tshark's Community ID of each packet is the innermost IP flow's; with the
 * tunnel protocols disabled it is the outer flow's. Both runs give a map from
 * a direction-free tuple to the IDs tshark computed for it.
 */
function tsharkIds(file: string, into: Map<string, Set<string>>): void {
  const common = ['-r', file, '--enable-protocol', 'communityid', '-Y', 'not icmp and not icmpv6 and not sctp and communityid',
    '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.protocols', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'ip.proto', '-e', 'ipv6.nxt',
    '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'communityid'];
  // (A decode-as rule re-enables a disabled protocol: Flannel's port 8472 only in the first run.)
  for (const extra of [['-d', 'udp.port==8472,vxlan'], ['--disable-protocol', 'vxlan,geneve,gre,erspan']]) {
    let text: string;
    try {
      text = execFileSync('tshark', [...extra, ...common], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (e) {
      text = (e as { stdout?: string }).stdout ?? '';
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [protos, ipSrc, ipDst, ip6Src, ip6Dst, ipProto, ip6Nxt, tsp, tdp, usp, udp, cid] = line.split('\t') as string[];
      const layers = protos!.split(':');
      const lastIp = Math.max(layers.lastIndexOf('ip'), layers.lastIndexOf('ipv6'));
      if (lastIp < 0 || !cid) continue;
      const v6 = layers[lastIp] === 'ipv6';
      const last = (s: string | undefined): string => (s ?? '').split(',').pop() ?? '';
      // Only when the innermost IP layer is the last of its family (an IPv4 inside IPv6 inside IPv4 would be ambiguous).
      if (layers.filter((l) => l === layers[lastIp]).length !== (v6 ? ip6Src : ipSrc)!.split(',').length) continue;
      const tcpAt = layers.lastIndexOf('tcp'), udpAt = layers.lastIndexOf('udp');
      let proto: number, sp = 0, dp = 0;
      if (tcpAt > lastIp) { proto = 6; sp = Number(last(tsp)); dp = Number(last(tdp)); }
      else if (udpAt > lastIp) { proto = 17; sp = Number(last(usp)); dp = Number(last(udp)); }
      else proto = Number(last(v6 ? ip6Nxt : ipProto));
      const a = `${last(v6 ? ip6Src : ipSrc)}:${sp}`, b = `${last(v6 ? ip6Dst : ipDst)}:${dp}`;
      const key = `${proto}|${[a, b].sort().join('|')}`;
      let set = into.get(key);
      if (!set) into.set(key, set = new Set());
      set.add(last(cid));
    }
  }
}

/**
 * Our flows' IDs against tshark's for the same tuples. tshark starts in ~4 s
 * on this machine: it reads one pcapng of all the files (mergecap -a), twice.
 */
async function compareWithTshark(files: string[]): Promise<{ flows: number; withId: number; checked: number; depth1: number; mismatches: string[] }> {
  const seen = { flows: 0, withId: 0, checked: 0, depth1: 0, mismatches: [] as string[] };
  const dir = mkdtempSync(path.join(tmpdir(), 'cid-'));
  const ids = new Map<string, Set<string>>();
  try {
    const merged = path.join(dir, 'all.pcapng');
    // Files mergecap cannot read whole (broken records: the corpus has some) are left to the lab test.
    const readable = files.filter((f, i) => {
      try { execFileSync('mergecap', ['-F', 'pcapng', '-w', path.join(dir, `${i}.pcapng`), f], { timeout: 30_000, stdio: 'ignore' }); return true; } catch { return false; }
    });
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...readable], { timeout: 60_000, stdio: 'ignore' });
    tsharkIds(merged, ids);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const file of files) {
    const s = await AnalysisSession.open([await fileSource(file, path.basename(file))]);
    const t = s.flows.table;
    const links = tunnelLinks(s);
    const text = new FlowJsonText(s, links);
    for (let f = 0; f < t.count; f++) {
      seen.flows++;
      const id = flowCommunityId(s, f);
      const p = t.proto[f]!;
      // Both writers carry it.
      expect(flowJson(s, f, links)['communityId']).toBe(id);
      expect(JSON.parse(text.flow(f)).communityId).toBe(id);
      if (p === 1 || p === 58 || p === 132) { expect(id).toBeNull(); continue; }
      expect(id).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
      seen.withId++;
      const a = `${ipToString(t.version[f]!, t.addr, 8 * f)}:${p === 6 || p === 17 ? t.portA[f] : 0}`;
      const b = `${ipToString(t.version[f]!, t.addr, 8 * f + 4)}:${p === 6 || p === 17 ? t.portB[f] : 0}`;
      const theirs = ids.get(`${p}|${[a, b].sort().join('|')}`);
      if (!theirs) continue;
      if (theirs.size !== 1 || !theirs.has(id!)) {
        // tshark 4.0 quirks (see below): then the independent reference must agree with us.
        expect(id, `${path.basename(file)} flow ${f}`).toBe(referenceId(p, ipToString(t.version[f]!, t.addr, 8 * f), ipToString(t.version[f]!, t.addr, 8 * f + 4), t.portA[f]!, t.portB[f]!));
        seen.mismatches.push(`${path.basename(file)} flow ${f} ${p} ${a} ${b}: ours ${id}, tshark ${[...theirs].join(' ')}`); continue; }
      seen.checked++;
      if (t.depth[f]! > 0) seen.depth1++;
    }
  }
  return seen;
}

describe('Community ID of flows vs tshark 4.0 (communityid)', () => {
  it('every lab nginx-proxy flow tshark names: same ID, outer and inner', async () => {
    const dir = fixturePath('lab', 'captures', 'nginx-proxy');
    const files = readdirSync(dir).filter((n) => n.endsWith('.pcap')).sort().map((n) => path.join(dir, n));
    const r = await compareWithTshark(files);
    console.log(`lab nginx-proxy: ${r.flows} flows, ${r.checked} checked against tshark (${r.depth1} inside tunnels)`);
    console.log(r.mismatches.join('\n'));
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(r.withId);
    expect(r.depth1).toBeGreaterThan(10);
  }, 120_000);

  it.skipIf(corpusSkipReason())('the corpus and the encapsulation corpus: same ID for every flow tshark names', async () => {
    const encap = path.resolve(CORPUS, '../corpus-encap/files');
    // Every file with a tunnel or IPv6, and a few plain TCP/UDP ones (tshark twice on each: the whole corpus takes minutes here).
    const pick = (n: string): boolean => /vxlan|geneve|gre|erspan|in\d|ipv6|v6|http|dns|sll2|multi-interface/.test(n);
    const files = [...corpusFiles().filter(pick).map(corpusPath), ...(existsSync(encap) ? readdirSync(encap).filter(pick).sort().map((n) => path.join(encap, n)) : [])];
    const r = await compareWithTshark(files);
    console.log(`corpus: ${r.flows} flows, ${r.checked} checked against tshark (${r.depth1} inside tunnels)`);
    console.log(r.mismatches.join('\n'));
    // tshark 4.0 differs from the spec on two kinds of frame, where the independent reference agrees with us:
    // an outer IPv4 header with total length 0 (BIG TCP: tshark hashes the inner flow it does not show), and a
    // non-TCP/UDP protocol inside GRE/ERSPAN (tshark takes the inner addresses with the outer protocol, 47).
    for (const m of r.mismatches) expect(m).toMatch(/^tcpdump__bigtcp-|^tcpdump__(erspan|various_gre)[^ ]* flow \d+ 103 /);
    expect(r.mismatches.length).toBeLessThanOrEqual(5);
    expect(r.checked).toBeGreaterThan(100);
    expect(r.depth1).toBeGreaterThan(5);
  }, 200_000);

  it('a seed changes every ID and is the same in both writers', async () => {
    const file = fixturePath('lab', 'captures', 'nginx-proxy', 'node1-eth0.pcap');
    const s = await AnalysisSession.open([await fileSource(file, 'node1-eth0.pcap')]);
    const before = Array.from({ length: s.flows.table.count }, (_, f) => flowCommunityId(s, f));
    setCommunityIdSeed(s, 1);
    const links = tunnelLinks(s);
    const text = new FlowJsonText(s, links);
    for (let f = 0; f < s.flows.table.count; f++) {
      const id = flowJson(s, f, links)['communityId'];
      expect(JSON.parse(text.flow(f)).communityId).toBe(id);
      if (before[f] !== null) expect(id).not.toBe(before[f]);
    }
  });
});
