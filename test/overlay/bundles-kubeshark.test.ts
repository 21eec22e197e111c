/**
 * Kubeshark's PCAP export (fixtures/kubeshark, made by make.py from the lab's
 * nginx-proxy node captures): one tar.gz, a pcap per node whose per-stream
 * files are appended out of time order, and name_resolution_history.json.
 * Opened in one step it gives the plain captures' packets, flows,
 * translations and journeys (the plain node captures' TCP/UDP packets, cut
 * by tshark, with cluster.json), its records read in time order (a note, not
 * an error), and its names from the history (time-aware) equal to cluster.json's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IdentityResolver } from '../../src/overlay/cluster-metadata.js';
import { metadataFromNameHistory, splitAddressKey } from '../../src/overlay/bundles/kubeshark.js';
import { fixturePath } from '../helpers/corpus.js';
import { analyze, identities, journeys, translations, type Json } from './bundles-helpers.js';

const EXPORT = fixturePath('kubeshark/nginx-proxy.tar.gz');
const LAB = fixturePath('lab/captures/nginx-proxy');
const NODES = [['node1', '192.168.56.11'], ['node2', '192.168.56.12'], ['node3', '192.168.56.13']] as const;
const dir = mkdtempSync(path.join(tmpdir(), 'kubeshark-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });

describe('Kubeshark export', () => {
  // The reference: each node's eth0 capture, its IPv4 TCP/UDP packets (Kubeshark stores L4 streams), cut by tshark.
  const plainFiles = NODES.map(([n]) => {
    const out = path.join(dir, `${n}-eth0.pcap`);
    sh('tshark', ['-r', path.join(LAB, `${n}-eth0.pcap`), '-Y', 'ip && (tcp || udp)', '-F', 'pcap', '-w', out]);
    return out;
  });
  const plain = analyze([...plainFiles, '--cluster', fixturePath('lab/cluster.json')]);
  const ks = analyze([EXPORT]);

  it('the fixture is a tar.gz of <node>_<ip>.pcap per node and name_resolution_history.json, each pcap out of time order', () => {
    expect(sh('tar', ['tzf', EXPORT]).trim().split('\n')).toEqual([...NODES.map(([n, ip]) => `${n}_${ip}.pcap`), 'name_resolution_history.json']);
    sh('tar', ['xzf', EXPORT, '-C', dir]);
    for (const [n, ip] of NODES) {
      const times = sh('tshark', ['-r', path.join(dir, `${n}_${ip}.pcap`), '-T', 'fields', '-e', 'frame.time_epoch']).trim().split('\n').map(Number);
      expect(times.some((t, i) => i > 0 && t < times[i - 1]!)).toBe(true);
    }
  });

  it('opens in one step: the plain captures\' packets, flows, translations and journeys, without kubectl', async () => {
    const p = (await plain).json;
    const r = await ks;
    expect(r.code).toBe(0);
    expect(r.json['packets']).toBe(p['packets']);
    expect((r.json['captures'] as Json[]).map((c) => c['packets'])).toEqual((p['captures'] as Json[]).map((c) => c['packets']));
    expect((r.json['captures'] as Json[]).map((c) => [c['firstTime'], c['lastTime']])).toEqual((p['captures'] as Json[]).map((c) => [c['firstTime'], c['lastTime']]));
    expect((r.json['flows'] as Json[]).length).toBe((p['flows'] as Json[]).length);
    expect(translations(p).length).toBe(5);
    expect(translations(r.json)).toEqual(translations(p));
    expect(journeys(p).length).toBe(5);
    expect(journeys(r.json)).toEqual(journeys(p));
    expect((r.json['http'] as Json[]).map((h) => [h['method'], h['uri'], h['status'], h['requestTime'], h['responseTime']]))
      .toEqual((p['http'] as Json[]).map((h) => [h['method'], h['uri'], h['status'], h['requestTime'], h['responseTime']]));
  }, 120_000);

  it('says each pcap was read in time order, as a note (not an error), with the count tshark sees', async () => {
    const r = await ks;
    for (const [n, ip] of NODES) {
      const times = sh('tshark', ['-r', path.join(dir, `${n}_${ip}.pcap`), '-T', 'fields', '-e', 'frame.time_epoch']).trim().split('\n').map(Number);
      let max = -Infinity;
      let back = 0;
      for (const t of times) { if (t < max) back++; else max = t; }
      const note = (r.json['inputNotes'] as Json[]).find((x) => x['file'].endsWith(`${n}_${ip}.pcap`));
      expect(note).toMatchObject({ severity: 'note', layer: 'kubeshark' });
      expect(note!['reason']).toContain(`${back} of ${times.length} records are earlier than a record before them`);
      expect(r.stderr).toContain(`${n}_${ip}.pcap: ${back} of ${times.length} records`);
    }
    expect((r.json['inputNotes'] as Json[]).some((x) => x['severity'] === 'error')).toBe(false);
  }, 120_000);

  it('names pods and Services from the history as cluster.json does; nodes from the file names', async () => {
    const p = (await plain).json;
    const r = (await ks).json;
    // Kubeshark's history knows no node pod CIDRs: the VTEP address (flannel.1: 10.244.1.0) is named by cluster.json only.
    const vtep = (x: string): boolean => x.startsWith('10.244.1.0 ');
    expect(identities(r).filter((x) => !vtep(x))).toEqual(identities(p).filter((x) => !vtep(x)));
    expect(identities(r).filter((x) => / (pod|service) /.test(x)).length).toBeGreaterThanOrEqual(2);
    // Each name says where it came from: the history for pods and Services, the file names for nodes; kubectl's names say nothing.
    const from = (j: Json): string[] => [...new Set((j['flows'] as Json[]).flatMap((f) => f['identity'] ? [f['identity']['a'], f['identity']['b']] : [])
      .filter((i: Json) => i['kind'] !== 'external').map((i: Json) => `${i['kind']} ${i['name']} <- ${i['from']}`))].sort();
    expect(from(r).filter((x) => x.startsWith('pod') || x.startsWith('service')).every((x) => x.endsWith('<- ' + EXPORT + '/name_resolution_history.json'))).toBe(true);
    expect(from(r).filter((x) => x.startsWith('node ')).every((x) => /<- Kubeshark file name node[123]_192\.168\.56\.1[123]\.pcap$/.test(x))).toBe(true);
    expect(from(p).every((x) => x.endsWith('<- undefined'))).toBe(true);
    expect((r['services'] as Json[]).map((s) => `${s['namespace']}/${s['name']}`).sort()).toEqual(['default/nginx-proxy', 'default/web', 'ingress-nginx/ingress-nginx-controller']);
    for (const c of r['captures'] as Json[]) expect(c['source']).toMatchObject({ tool: 'kubeshark', node: expect.stringMatching(/^node[123]$/) });
    // Each node's pcap is on its node's clock.
    expect((r['clocks'] as Json[]).map((c) => `${c['host']}: ${c['capturePoints'].join(',')}`).sort()).toEqual(NODES.map(([n, ip]) => `${n}: ${n}_${ip}`));
    expect((r['capturePoints'] as Json[]).map((c) => [c['source']['tool'], c['source']['node'], c['source']['member']]))
      .toEqual(NODES.map(([n, ip]) => ['kubeshark', n, `${n}_${ip}.pcap`]));
    expect((p['capturePoints'] as Json[]).every((c) => c['source']['tool'] === 'file' && c['source']['node'] === null)).toBe(true);
  }, 120_000);

  it('the history is time-aware: an address reused by a new pod later names the new pod after the change', () => {
    sh('tar', ['xzf', EXPORT, '-C', dir, 'name_resolution_history.json']);
    const text = readFileSync(path.join(dir, 'name_resolution_history.json'), 'utf8');
    const h = metadataFromNameHistory('name_resolution_history.json', text);
    expect(h.snapshots).toBe(2);
    const res = new IdentityResolver(h.metadata);
    const cluster = JSON.parse(readFileSync(fixturePath('lab/cluster.json'), 'utf8'));
    for (const pod of cluster.items.filter((i: Json) => i.kind === 'Pod')) {
      expect(res.podAt(pod.status.podIP, h.first! * 1000)?.name).toBe(pod.metadata.name);
      expect(res.podAt(pod.status.podIP, h.first! * 1000)?.node).toBe(pod.spec.nodeName);
    }
    expect(res.podAt('10.244.3.10', (h.last! - 1) * 1000)?.name).toBe('web-6b9c8d7f5-r8mzt');
    expect(res.podAt('10.244.3.10', h.last! * 1000)?.name).toBe('web-6b9c8d7f5-zz9qv');
    // Endpoints: the backend pods of default/web, from the Endpoints objects.
    expect(res.servicesServedBy('10.244.1.10', 8080)).toEqual(['default/web']);
    expect(res.servicesServedBy('10.244.2.10', 80)).toEqual(['default/nginx-proxy']);
  });

  it('an export whose history is damaged still opens: its captures ordered, a note naming the file and why, no names', async () => {
    const bad = path.join(dir, 'bad');
    sh('mkdir', ['-p', bad]);
    sh('tar', ['xzf', EXPORT, '-C', bad]);
    writeFileSync(path.join(bad, 'name_resolution_history.json'), '{"1764776136": {"10.244.1.10": {"Name": "web"');
    const t = path.join(dir, 'bad.tar.gz');
    sh('tar', ['czf', t, '-C', bad, ...NODES.map(([n, ip]) => `${n}_${ip}.pcap`), 'name_resolution_history.json']);
    const r = await analyze([t]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/bad\.tar\.gz\/name_resolution_history\.json: not valid JSON \(.+\): no names from it/);
    expect(r.json['packets']).toBe(604);
    expect((r.json['captures'] as Json[]).map((c) => [c['source']['tool'], c['source']['node']])).toEqual(NODES.map(([n]) => ['kubeshark', n]));
    expect(r.json['services']).toEqual([]);
  }, 120_000);

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['not a map', '[1,2]', /not a map of times/],
  ])('a history that is %s names nothing and says why', (_w, text, re) => {
    const h = metadataFromNameHistory('h.json', text);
    expect(h.metadata.pods).toEqual([]);
    expect(h.notes.join('\n')).toMatch(re);
  });

  it('address keys: ip, ip:port, IPv6', () => {
    expect(splitAddressKey('10.96.0.10:80')).toEqual({ ip: '10.96.0.10', port: 80 });
    expect(splitAddressKey('10.96.0.10')).toEqual({ ip: '10.96.0.10', port: null });
    expect(splitAddressKey('fd00:10:96::a')).toEqual({ ip: 'fd00:10:96::a', port: null });
    expect(splitAddressKey('web')).toBeNull();
  });
});
