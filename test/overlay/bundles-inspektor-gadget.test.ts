/**
 * Inspektor Gadget's tcpdump gadget pcapng (fixtures/inspektor-gadget, made by
 * make.py from the lab's nginx-proxy pod captures): one interface per
 * (node, pod, container) named by its URL-escaped k8s.* description, every
 * timestamp 0. Opened in one step it gives the plain pod captures' packets
 * per point, flows, HTTP transactions, translations and journey hops (not
 * their times); capture points and pods are named from the descriptions
 * (equal to cluster.json's) and the zero timestamps are flagged.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gadgetContext, gadgetPointName } from '../../src/capture/bundles/gadget-interface.js';
import { fixturePath } from '../helpers/corpus.js';
import { analyze, identities, translations, type Json } from './bundles-helpers.js';

const GADGET = fixturePath('inspektor-gadget/nginx-proxy.pcapng');
const LAB = fixturePath('lab/captures/nginx-proxy');
const cluster = JSON.parse(readFileSync(fixturePath('lab/cluster.json'), 'utf8'));
const podsByIp = new Map<string, Json>(cluster.items.filter((i: Json) => i.kind === 'Pod').map((p: Json) => [p.status.podIP, p]));

/** Journey hops without times: who sent what to whom, translated how, through which tunnel, how many packets. */
function hops(j: Json): string[] {
  return (j['journeys'] as Json[]).map((x) => JSON.stringify({ http: [x['http']?.['method'], x['http']?.['uri'], x['http']?.['status']], hops: (x['hops'] as Json[]).map((h) => [h['src'], h['dst'], h['translation'], h['tunnel'], h['packets']]) })).sort();
}

describe('Inspektor Gadget tcpdump pcapng', () => {
  const pods = ['pod-ingress-nginx-eth0', 'pod-nginx-proxy-eth0', 'pod-web-a-eth0', 'pod-web-b-eth0'].map((p) => path.join(LAB, `${p}.pcap`));
  const plain = analyze([...pods, '--cluster', fixturePath('lab/cluster.json')]);
  const ig = analyze([GADGET]);

  it('the fixture: one IDB per (node, pod, container) with the k8s.* description, every timestamp 0 (tshark)', () => {
    const info = execFileSync('capinfos', ['-I', GADGET], { encoding: 'utf8', timeout: 30_000 });
    const descs = [...info.matchAll(/Description = (.*)/g)].map((m) => m[1]!);
    expect(descs).toHaveLength(4);
    for (const d of descs) expect(d).toMatch(/^k8s\.node=node[123];k8s\.namespace=[a-z-]+;k8s\.podName=[a-z0-9-]+;k8s\.containerName=[a-z]+$/);
    const times = execFileSync('tshark', ['-r', GADGET, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    expect(times.length).toBe(368);
    expect(new Set(times.map(Number))).toEqual(new Set([0]));
  });

  it('opens in one step: the pod captures\' packets per point, flows, HTTP, translations and journey hops', async () => {
    const p = (await plain).json;
    const r = await ig;
    expect(r.code).toBe(0);
    expect(r.json['packets']).toBe(p['packets']);
    // Each gadget interface is its pod's capture point: same packets as the pod's own capture (matched by the pod the point names).
    const plainByPod = new Map((p['capturePoints'] as Json[]).map((c) => [c['name'], c['packets']]));
    const short = (pod: string): string => ({ 'default/web-6b9c8d7f5-4xk2p': 'pod-web-a-eth0', 'default/web-6b9c8d7f5-r8mzt': 'pod-web-b-eth0', 'default/nginx-proxy-7c5d9b8f4-tq6wn': 'pod-nginx-proxy-eth0' } as Record<string, string>)[pod]!;
    const points = r.json['capturePoints'] as Json[];
    expect(points).toHaveLength(3);
    for (const c of points) expect(c['packets']).toBe(plainByPod.get(short(c['source']['pod'])));
    expect((r.json['flows'] as Json[]).length).toBe((p['flows'] as Json[]).length);
    const http = (j: Json): string[] => (j['http'] as Json[]).map((h) => `${h['method']} ${h['uri']} ${h['status']}`).sort();
    expect(http(r.json)).toEqual(http(p));
    // The same NAT-ed connections; their Service names need Services, which the gadget's descriptions do not carry (kubectl or iptables dumps do).
    const nat = (j: Json): string[] => (j['translations'] as Json[]).map((t) => `${t['kind']} ${JSON.stringify(t['original'])} ${JSON.stringify(t['translated'])}`).sort();
    expect(translations(p).length).toBe(5);
    expect(nat(r.json)).toEqual(nat(p));
    expect(hops(p).length).toBe(5);
    expect(hops(r.json)).toEqual(hops(p));
  }, 120_000);

  it('names capture points and pods from the descriptions, as cluster.json does', async () => {
    const r = (await ig).json;
    for (const c of r['capturePoints'] as Json[]) {
      const s = c['source'];
      expect(s).toMatchObject({ tool: 'inspektor-gadget', member: null, timestamps: 'zero' });
      const pod = [...podsByIp.values()].find((x) => `${x.metadata.namespace}/${x.metadata.name}` === s['pod'])!;
      expect(pod).toBeDefined();
      expect(s['node']).toBe(pod.spec.nodeName);
      expect(s['container']).toBe(pod.spec.containers[0].name);
      expect(c['name']).toBe(`${s['pod']}/${s['container']}`);
    }
    // Each container's point is on its node's clock (the clocks say nothing: every time is 0).
    expect((r['clocks'] as Json[]).map((c) => c['host']).sort()).toEqual(['node1', 'node2', 'node3']);
    // Every pod address in the flows is named as cluster.json names it (no kubectl file given).
    const podIds = identities(r).filter((x) => / pod /.test(x));
    expect(podIds.length).toBe(3);
    for (const x of podIds) {
      const [ip, , name] = x.split(' ');
      const pod = podsByIp.get(ip!)!;
      expect(name).toBe(`${pod.metadata.namespace}/${pod.metadata.name}`);
    }
  }, 120_000);

  it('flags the zero timestamps: a note per file, captures[].source.timestamps; no RTT or HTTP durations from them', async () => {
    const r = await ig;
    expect(r.json['captures'][0]['source']).toMatchObject({ tool: 'inspektor-gadget', timestamps: 'zero' });
    expect(r.json['inputNotes']).toEqual([expect.objectContaining({ layer: 'inspektor-gadget', severity: 'note', reason: expect.stringMatching(/every timestamp is 0.*durations, latencies .* not real/) })]);
    expect(r.stderr).toMatch(/every timestamp is 0/);
    // No durations or latencies from them: RTTs and HTTP times to first byte / total are null (measured in the plain captures).
    const p = (await plain).json;
    const rtts = (j: Json): unknown[] => (j['flows'] as Json[]).filter((f) => f['tcp']).map((f) => f['tcp']['rttMs']);
    expect(rtts(r.json).length).toBeGreaterThan(0);
    expect(rtts(r.json).every((x) => x === null)).toBe(true);
    expect(rtts(p).some((x) => typeof x === 'number' && x > 0)).toBe(true);
    expect((r.json['http'] as Json[]).every((h) => h['ttfbMs'] === null && h['totalMs'] === null)).toBe(true);
    expect((p['http'] as Json[]).every((h) => typeof h['ttfbMs'] === 'number')).toBe(true);
  }, 120_000);

  it.each([
    ['k8s.node=node1;k8s.namespace=default;k8s.podName=web-1;k8s.containerName=web', { node: 'node1', namespace: 'default', pod: 'web-1', container: 'web' }, 'default/web-1/web'],
    ['k8s.node=n+1;k8s.namespace=a%2Fb;k8s.podName=p%3Bq;k8s.containerName=c', { node: 'n 1', namespace: 'a/b', pod: 'p;q', container: 'c' }, 'a/b/p;q/c'],
    ['k8s.node=node2', { node: 'node2', namespace: null, pod: null, container: null }, 'node2'],
  ])('description %s', (d, ctx, name) => {
    expect(gadgetContext(d)).toEqual(ctx);
    expect(gadgetPointName(gadgetContext(d)!)).toBe(name);
  });

  it.each([[null], ['eth0'], ['k8s.unknown=1'], ['k8s.namespace=%E0%A4%A']])('not a gadget description: %s', (d) => {
    const c = gadgetContext(d);
    expect(c === null || (c.pod === null && c.node === null) ? null : c).toBeNull();
  });
});
