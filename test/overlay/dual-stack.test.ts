/**
 * Dual-stack pods (fixtures/dual-stack, made by its make.sh: Flannel's
 * flannel.1 over IPv4 and flannel-v6.1 over IPv6, one dual-stack pod a node,
 * HTTP over both families). tshark and the fixture's cluster.json are the
 * reference: tunnel packets per direction and inner connections as tshark
 * decodes them, pod CIDRs as the Nodes' podCIDRs (inferred from traffic
 * without metadata), every inner endpoint a pod of cluster.json with it.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fixturePath } from '../helpers/corpus.js';
import { ipv6ToString, parseIpv6 } from '../../src/dissect/addr.js';
import { IdentityResolver, parseClusterMetadata, parseCidr6, cidr6Contains } from '../../src/overlay/cluster-metadata.js';

const DIR = fixturePath('dual-stack');
const CAPS = path.join(DIR, 'captures');
const CLI = fixturePath('..', 'dist', 'cli.js');
const present = existsSync(CAPS) && existsSync(CLI);
if (!present) console.warn(`SKIPPED: dual-stack: needs ${CAPS} and ${CLI} (npm run build:cli)`);
const haveTshark = spawnSync('tshark', ['--version']).status === 0;

describe('IPv6 text', () => {
  it('parses what kubectl and people write, prints RFC 5952', () => {
    const cases: Array<[string, string | null]> = [
      ['fd00:10:244:0::5', 'fd00:10:244::5'], ['FD00:10:244:1:0:0:0:5', 'fd00:10:244:1::5'], ['::', '::'], ['::1', '::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['::ffff:10.1.2.3', '::ffff:10.1.2.3'], ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:2:3:4:5:6:7:8:9', null], ['1::2::3', null], [':1', null], ['g::1', null], ['12345::', null], ['10.1.2.3', null],
      ['::1.2.3', null], ['1:2:3:4:5:6:7::8', null], ['', null], ['x'.repeat(100), null],
    ];
    for (const [text, want] of cases) {
      const w = parseIpv6(text);
      expect([text, w ? ipv6ToString(w) : null]).toEqual([text, want]);
    }
  });

  it('IPv6 CIDRs contain their addresses only', () => {
    const c = parseCidr6('fd00:10:244:1::/64')!;
    expect(ipv6ToString(c.words)).toBe('fd00:10:244:1::');
    expect(cidr6Contains(c, parseIpv6('fd00:10:244:1::abcd')!)).toBe(true);
    expect(cidr6Contains(c, parseIpv6('fd00:10:244:2::1')!)).toBe(false);
    expect(parseCidr6('fd00::/129')).toBeNull();
    expect(parseCidr6('10.0.0.0/8')).toBeNull();
  });

  it('metadata addresses written long resolve as the packets print them', () => {
    const md = parseClusterMetadata([{ name: 'md.json', text: JSON.stringify({ kind: 'List', items: [
      { kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDRs: ['10.9.0.0/24', 'fd00:9:0:0::/64'] }, status: { addresses: [{ type: 'InternalIP', address: 'FD00:78:0:0::1' }] } },
      { kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { podIPs: [{ ip: '10.9.0.5' }, { ip: 'fd00:9:0:0:0:0:0:5' }] } },
    ] }) }]);
    const r = new IdentityResolver(md);
    expect(r.resolve('fd00:9::5', 80, null)).toMatchObject({ kind: 'pod', name: 'ns/p' });
    expect(r.resolve('fd00:78::1', null, null)).toMatchObject({ kind: 'node', name: 'n1' });
    expect(r.resolve('fd00:9::77', null, null)).toMatchObject({ kind: 'unknown', node: 'n1' });
    expect(r.resolve('fd00:8::77', null, null)).toMatchObject({ kind: 'external' });
    expect(r.podCidrs6OfNode('fd00:78::1').map((c) => c.cidr)).toEqual(['fd00:9::/64']);
  });
});

interface Analysis {
  nodes: Array<{ ip: string; name: string | null; podCidrs: Array<{ cidr: string; evidence: number; source: string }> }>;
  tunnels: Array<{ a: string; b: string; type: string; vni: number; packets: number; innerFlows: number }>;
  flows: Array<{ depth: number; transport: string; a: { ip: string }; b: { ip: string }; tunnel: { type: string; outerFlow: number } | null; identity?: { a: { kind: string; name: string }; b: { kind: string; name: string } } }>;
  journeys: Array<{ complete: boolean; hops: Array<{ tunnel: null | { type: string; outerSrc: string; outerDst: string } }> }>;
}

function analyze(...extra: string[]): Analysis {
  const files = readdirSync(CAPS).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(CAPS, f));
  const r = spawnSync('node', [CLI, 'analyze', ...files, ...extra, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Analysis;
}

describe.runIf(present)('dual-stack pods over Flannel VXLAN (IPv4 and IPv6 underlays)', () => {
  const cluster = JSON.parse(readFileSync(path.join(DIR, 'cluster.json'), 'utf8')) as {
    items: Array<{ kind: string; metadata: { name: string; namespace?: string }; spec: { podCIDRs?: string[] }; status: { addresses?: Array<{ type: string; address: string }>; podIPs?: Array<{ ip: string }> } }>;
  };
  const nodes = cluster.items.filter((i) => i.kind === 'Node');
  const pods = cluster.items.filter((i) => i.kind === 'Pod');
  const canon = (ip: string) => (ip.includes(':') ? ipv6ToString(parseIpv6(ip)!) : ip);
  const cidrText = (c: string) => (c.includes(':') ? `${ipv6ToString(parseCidr6(c)!.words)}/${c.split('/')[1]}` : c);

  it('without metadata: one VTEP per node and family, each with its pod CIDR inferred from the traffic', () => {
    const a = analyze();
    const want = nodes.flatMap((n) => n.status.addresses!.filter((x) => x.type === 'InternalIP').map((x) => {
      const v6 = x.address.includes(':');
      return [canon(x.address), n.spec.podCIDRs!.filter((c) => c.includes(':') === v6).map(cidrText)];
    }));
    expect(a.nodes.map((n) => [n.ip, n.podCidrs.map((c) => c.cidr)]).sort()).toEqual(want.sort());
    for (const n of a.nodes) for (const c of n.podCidrs) expect([c.source, c.evidence > 0]).toEqual(['traffic', true]);
  });

  it.skipIf(!haveTshark)('tunnel packets per direction and inner connections equal tshark, IPv6 as IPv4', () => {
    const a = analyze();
    // One transmission is seen at both nodes' eth0: count it at the sender.
    const want: string[] = [];
    for (const n of [1, 2]) {
      const file = path.join(CAPS, `node${n}-eth0.pcap`);
      for (const fam of ['ip', 'ipv6'] as const) {
        const out = spawnSync('tshark', ['-n', '-d', 'udp.port==8472,vxlan', '-r', file, '-Y', `vxlan && ${fam}`, '-T', 'fields', '-e', `${fam}.src`, '-e', `${fam}.dst`, '-e', 'tcp.stream'],
          { encoding: 'utf8', timeout: 60_000 }).stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
        const sent = out.filter((r) => a.nodes.findIndex((x) => x.ip === r[0]!.split(',')[0]) >= 0 && r[0]!.split(',')[0]!.endsWith(fam === 'ip' ? `.${n}` : `::${n}`));
        if (!sent.length) continue;
        const outer = sent[0]![0]!.split(',')[0]!, dst = sent[0]![1]!.split(',')[0]!;
        want.push(`${outer}>${dst} ${sent.length} ${new Set(sent.map((r) => r[2])).size}`);
      }
    }
    expect(a.tunnels.map((t) => `${t.a}>${t.b} ${t.packets} ${t.innerFlows}`).sort()).toEqual(want.sort());
    expect(a.tunnels.every((t) => t.type === 'vxlan' && t.vni === 1)).toBe(true);
  });

  it('with cluster.json: every inner endpoint is its pod, in both families; both CIDRs on each node', () => {
    const a = analyze('--cluster', path.join(DIR, 'cluster.json'));
    const podOf = new Map(pods.flatMap((p) => p.status.podIPs!.map((x) => [canon(x.ip), `${p.metadata.namespace}/${p.metadata.name}`] as const)));
    const inner = a.flows.filter((f) => f.depth === 1 && f.transport === 'tcp');
    expect(new Set(inner.map((f) => (f.a.ip.includes(':') ? 6 : 4)))).toEqual(new Set([4, 6]));
    for (const f of inner) {
      expect([f.a.ip, f.identity?.a.name]).toEqual([f.a.ip, podOf.get(f.a.ip)]);
      expect([f.b.ip, f.identity?.b.name]).toEqual([f.b.ip, podOf.get(f.b.ip)]);
    }
    for (const n of a.nodes) {
      const node = nodes.find((x) => x.status.addresses!.some((y) => canon(y.address) === n.ip))!;
      expect(n.name).toBe(node.metadata.name);
      expect(n.podCidrs.map((c) => c.cidr).sort()).toEqual(node.spec.podCIDRs!.map(cidrText).sort());
    }
    // Each request's journey crosses the tunnel of its family.
    expect(a.journeys.length).toBeGreaterThanOrEqual(6);
    const families = new Set<string>();
    for (const j of a.journeys) {
      expect(j.complete).toBe(true);
      const t = j.hops.find((h) => h.tunnel)?.tunnel;
      expect(t?.type).toBe('vxlan');
      families.add(t!.outerSrc.includes(':') ? 'v6' : 'v4');
    }
    expect(families).toEqual(new Set(['v4', 'v6']));
  });
});

// A sanity check of the cidr helper on the fixture's own metadata.
it.runIf(present)('the fixture metadata names an IPv6 pod CIDR per node', () => {
  const md = parseClusterMetadata([{ name: 'cluster.json', text: readFileSync(path.join(DIR, 'cluster.json'), 'utf8') }]);
  const r = new IdentityResolver(md);
  expect(md.nodes.map((n) => r.podCidrs6OfNode(n.internalIps[0]!).length)).toEqual([1, 1]);
});
