/**
 * Calico PacketCapture files (fixtures/calico, made by make.py from the lab's
 * nginx-proxy pod captures): `<namespace>/<capture>/<workload endpoint>_<cali
 * iface>.pcap`. Opened in one step (the capture's folder, or a tar of the
 * namespace folder as `kubectl cp` copies it) it gives the plain pod
 * captures' packets, flows, HTTP, NAT-ed connections and journeys; nodes,
 * pods and interfaces are named from the file names, equal to cluster.json's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calicoFile, parseWorkloadEndpoint } from '../../src/overlay/bundles/calico.js';
import { fixturePath } from '../helpers/corpus.js';
import { analyze, hops, identities, natConnections, type Json } from './bundles-helpers.js';

const ROOT = fixturePath('calico/nginx-proxy');
const FOLDER = path.join(ROOT, 'default', 'lab-capture');
const LAB = fixturePath('lab/captures/nginx-proxy');
const cluster = JSON.parse(readFileSync(fixturePath('lab/cluster.json'), 'utf8'));
const podsByName = new Map<string, Json>(cluster.items.filter((i: Json) => i.kind === 'Pod').map((p: Json) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
const dir = mkdtempSync(path.join(tmpdir(), 'calico-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Calico PacketCapture files', () => {
  const plain = analyze(['pod-nginx-proxy-eth0', 'pod-web-a-eth0', 'pod-web-b-eth0'].map((p) => path.join(LAB, `${p}.pcap`)).concat(['--cluster', fixturePath('lab/cluster.json')]));

  it('the fixture: <namespace>/<capture>/<node>-k8s-<pod>-eth0_cali<11 hex>.pcap, the pod captures byte for byte', () => {
    const files = readdirSync(FOLDER).sort();
    expect(files).toHaveLength(3);
    for (const f of files) expect(f).toMatch(/^node[123]-k8s-[a-z0-9-]+-eth0_cali[0-9a-f]{11}\.pcap$/);
  });

  it.each([
    ['the capture folder', () => [FOLDER]],
    ['a tar.gz of the namespace folder (kubectl cp)', () => {
      const t = path.join(dir, 'calico.tar.gz');
      execFileSync('tar', ['czf', t, '-C', ROOT, 'default'], { timeout: 30_000 });
      return [t];
    }],
  ])('%s opens in one step: the pod captures\' packets, flows, HTTP, NAT-ed connections and journeys', async (_w, paths) => {
    const p = (await plain).json;
    const r = await analyze(paths());
    expect(r.code).toBe(0);
    expect(r.json['packets']).toBe(p['packets']);
    const byPod = (j: Json, key: (c: Json) => string): Record<string, number> => Object.fromEntries((j['capturePoints'] as Json[]).map((c) => [key(c), c['packets']]));
    const short: Record<string, string> = { 'default/web-6b9c8d7f5-4xk2p': 'pod-web-a-eth0', 'default/web-6b9c8d7f5-r8mzt': 'pod-web-b-eth0', 'default/nginx-proxy-7c5d9b8f4-tq6wn': 'pod-nginx-proxy-eth0' };
    expect(byPod(r.json, (c) => short[c['source']['pod']]!)).toEqual(byPod(p, (c) => c['name']));
    expect((r.json['flows'] as Json[]).length).toBe((p['flows'] as Json[]).length);
    const http = (j: Json): string[] => (j['http'] as Json[]).map((h) => `${h['method']} ${h['uri']} ${h['status']} ${h['requestTime']} ${h['responseTime']}`).sort();
    expect(http(r.json)).toEqual(http(p));
    expect(natConnections(p).length).toBe(5);
    expect(natConnections(r.json)).toEqual(natConnections(p));
    expect(hops(p).length).toBe(5);
    expect(hops(r.json)).toEqual(hops(p));
    for (const c of r.json['capturePoints'] as Json[]) {
      const s = c['source'];
      const pod = podsByName.get(s['pod'])!;
      expect(pod).toBeDefined();
      expect(s).toMatchObject({ tool: 'calico', node: pod.spec.nodeName, interface: expect.stringMatching(/^cali[0-9a-f]{11}$/) });
    }
    // Each pod's point is on its node's clock.
    expect((r.json['clocks'] as Json[]).map((c) => c['host']).sort()).toEqual(['node1', 'node2', 'node3']);
    // Pods named from the file names as cluster.json names them (no kubectl file).
    const podIds = identities(r.json).filter((x) => / pod /.test(x));
    expect(podIds.length).toBe(3);
    for (const x of podIds) {
      const [ip, , name] = x.split(' ');
      expect(podsByName.get(name!)?.status.podIP).toBe(ip);
    }
  }, 120_000);

  it.each([
    ['node1-k8s-web--6b9c8d7f5--4xk2p-eth0', { node: 'node1', orchestrator: 'k8s', pod: 'web-6b9c8d7f5-4xk2p', endpoint: 'eth0' }],
    ['ip--10--0--0--1-k8s-a-eth1', { node: 'ip-10-0-0-1', orchestrator: 'k8s', pod: 'a', endpoint: 'eth1' }],
    ['node1-k8s-web', null],
    ['a--b', null],
  ])('workload endpoint %s', (w, want) => {
    expect(parseWorkloadEndpoint(w)).toEqual(want);
  });

  it('a rotated file and files that are not Calico\'s', () => {
    expect(calicoFile('ns/cap/node1-k8s-web-eth0_cali0123456789a.3.pcap')).toMatchObject({ namespace: 'ns', capture: 'cap', node: 'node1', pod: 'web', hostInterface: 'cali0123456789a' });
    expect(calicoFile('node1-eth0.pcap')).toBeNull();
    expect(calicoFile('x/y/node1-k8s-web-eth0_veth1234.pcap')).toBeNull();
  });
});
