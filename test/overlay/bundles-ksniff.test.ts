/**
 * A pod's `tcpdump -i any` capture as ksniff (`kubectl sniff <pod> -o <pod>.pcap`,
 * default interface `any`) or `kubectl debug … tcpdump -i any` hands it over
 * (fixtures/ksniff, made by make.py from the lab's pod captures as SLL2). With
 * the cluster's metadata naming the pod, each file is that pod's capture
 * point on its node: the plain pod captures' packets, flows, HTTP,
 * translations and journeys; tshark sees the same IP packets in both.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cookedCapture } from '../../src/overlay/bundles/prepare.js';
import { fixturePath } from '../helpers/corpus.js';
import { analyze, hops, translations, type Json } from './bundles-helpers.js';

const DIR = fixturePath('ksniff/nginx-proxy');
const LAB = fixturePath('lab/captures/nginx-proxy');
const CLUSTER = fixturePath('lab/cluster.json');
const cluster = JSON.parse(readFileSync(CLUSTER, 'utf8'));
const PLAIN: Record<string, string> = { 'web-6b9c8d7f5-4xk2p': 'pod-web-a-eth0', 'web-6b9c8d7f5-r8mzt': 'pod-web-b-eth0', 'nginx-proxy-7c5d9b8f4-tq6wn': 'pod-nginx-proxy-eth0' };
const tshark = (file: string, fields: string[]): string => execFileSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });

describe('ksniff / kubectl debug pod captures (-i any, SLL2)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();
  const plain = analyze([...Object.values(PLAIN).sort().map((p) => path.join(LAB, `${p}.pcap`)), '--cluster', CLUSTER]);

  it('the fixture: <pod>.pcap, Linux cooked v2, the same IP packets as the pod\'s own capture (tshark)', () => {
    expect(files.map((f) => f.replace(/\.pcap$/, '')).sort()).toEqual(Object.keys(PLAIN).sort());
    for (const f of files) {
      expect(execFileSync('capinfos', ['-E', path.join(DIR, f)], { encoding: 'utf8', timeout: 30_000 })).toContain('Linux cooked-mode capture v2');
      const fields = ['frame.time_epoch', 'ip.src', 'ip.dst', 'ip.len', 'tcp.seq_raw', 'tcp.ack_raw'];
      expect(tshark(path.join(DIR, f), fields)).toBe(tshark(path.join(LAB, `${PLAIN[f.replace(/\.pcap$/, '')]}.pcap`), fields));
      expect(cookedCapture(readFileSync(path.join(DIR, f)).subarray(0, 64))).toBe(true);
    }
    expect(cookedCapture(readFileSync(path.join(LAB, 'pod-web-a-eth0.pcap')).subarray(0, 64))).toBe(false);
  });

  it('with the cluster\'s metadata: each file is its pod\'s point on its node; the plain captures\' packets, flows, HTTP, translations and journeys', async () => {
    const p = (await plain).json;
    const r = await analyze([DIR, '--cluster', CLUSTER]);
    expect(r.code).toBe(0);
    expect(r.json['packets']).toBe(p['packets']);
    const points = r.json['capturePoints'] as Json[];
    expect(points.map((c) => [PLAIN[c['name']], c['packets']]).sort()).toEqual((p['capturePoints'] as Json[]).map((c) => [c['name'], c['packets']]).sort());
    expect((r.json['flows'] as Json[]).length).toBe((p['flows'] as Json[]).length);
    const http = (j: Json): string[] => (j['http'] as Json[]).map((h) => `${h['method']} ${h['uri']} ${h['status']} ${h['requestTime']} ${h['responseTime']}`).sort();
    expect(http(r.json)).toEqual(http(p));
    expect(translations(p).length).toBe(5);
    expect(translations(r.json)).toEqual(translations(p));
    expect(hops(r.json)).toEqual(hops(p));
    for (const c of points) {
      const pod = cluster.items.find((i: Json) => i.kind === 'Pod' && i.metadata.name === c['name']);
      expect(c['source']).toMatchObject({ tool: 'ksniff', pod: `${pod.metadata.namespace}/${pod.metadata.name}`, node: pod.spec.nodeName });
    }
    expect((r.json['clocks'] as Json[]).map((c) => c['host']).sort()).toEqual(['node1', 'node2', 'node3']);
  }, 120_000);

  it('without metadata naming the pod, a file is a plain capture', async () => {
    const r = (await analyze([DIR])).json;
    expect((r['capturePoints'] as Json[]).every((c) => c['source']['tool'] === 'file')).toBe(true);
  }, 60_000);
});
