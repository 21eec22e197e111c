/**
 * Retina bundles (fixtures/retina/nginx-proxy, made by fixtures/retina/make.py
 * from the lab's nginx-proxy run in Retina's layout): `analyze` on the folder,
 * on one "all captures" tar.gz of the node bundles, or on the bundles named
 * one by one gives the same packets per capture, translations and journeys as
 * the lab's plain any-interface captures with cluster.json — with no kubectl
 * file: Services from the bundles' iptables rules, nodes and interface names
 * from their `ip -j addr`, hosts from the file names; captures[].source names
 * the tool, file and node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, journeys, translations, type Json } from '../overlay/bundles-helpers.js';
import { fixturePath } from '../helpers/corpus.js';

const BUNDLES = fixturePath('retina/nginx-proxy');
const PLAIN = fixturePath('lab/captures/nginx-proxy-any-sll2');
const dir = mkdtempSync(path.join(tmpdir(), 'retina-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const truth = JSON.parse(readFileSync(fixturePath('lab/truth.json'), 'utf8'));
const sll2 = truth.scenarios.find((s: Json) => s.name === 'nginx-proxy').anyInterface.find((a: Json) => a.variant === 'sll2');

describe('Retina bundles', () => {
  const plain = analyze(['node1-any.pcap', 'node2-any.pcap', 'node3-any.pcap'].map((f) => path.join(PLAIN, f)).concat(['--cluster', fixturePath('lab/cluster.json')]));
  const bundles = readdirSync(BUNDLES).filter((f) => f.endsWith('.tar.gz')).sort();

  it('the fixture is Retina\'s layout: <capture>-<node>-<YYYYMMDDhhmmss>UTC.tar.gz holding <same>.pcap and the metadata files', () => {
    expect(bundles).toEqual(['lab-capture-node1-20261203153536UTC.tar.gz', 'lab-capture-node2-20261203153536UTC.tar.gz', 'lab-capture-node3-20261203153536UTC.tar.gz']);
    const members = execFileSync('tar', ['tzf', path.join(BUNDLES, bundles[0]!)], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n');
    expect(members).toEqual(['./', 'ip-resources.txt', 'iptables-rules.txt', 'lab-capture-node1-20261203153536UTC.pcap', 'socket-stats.txt', 'tcpdump.log']);
  });

  it.each([
    ['the folder', () => [BUNDLES]],
    ['each bundle named', () => bundles.map((b) => path.join(BUNDLES, b))],
    ['one all-captures tar.gz of the bundles', () => {
      const all = path.join(dir, 'lab-capture.tar.gz');
      execFileSync('tar', ['czf', all, '-C', BUNDLES, ...bundles], { timeout: 30_000 });
      return [all];
    }],
  ])('%s, without kubectl: the packets, translations and journeys of the plain captures with cluster.json', async (_what, paths) => {
    const p = await plain;
    const r = await analyze(paths());
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.json['packets']).toBe(p.json['packets']);
    expect((r.json['captures'] as Json[]).map((c) => c['packets'])).toEqual((p.json['captures'] as Json[]).map((c) => c['packets']));
    expect((r.json['flows'] as Json[]).length).toBe((p.json['flows'] as Json[]).length);
    expect(translations(p.json).length).toBe(10);
    expect(translations(r.json)).toEqual(translations(p.json));
    expect((r.json['translations'] as Json[]).every((t) => typeof t['service'] === 'string' && t['service'].length > 0)).toBe(true);
    expect(journeys(p.json).length).toBe(5);
    expect(journeys(r.json)).toEqual(journeys(p.json));
    // Hosts are the nodes the file names name; every point of a bundle is on its node.
    expect((r.json['clocks'] as Json[]).map((c) => c['host']).sort()).toEqual(['node1', 'node2', 'node3']);
    // Interface names are the node's `ip addr` names (truth.json: the lab's `ip -j link`).
    for (const c of r.json['captures'] as Json[]) {
      const node = c['source']['node'];
      const want = sll2.captures.find((x: Json) => x.node === node);
      for (const i of c['interfaces'] as Json[]) {
        if (i['ifindex'] === undefined) continue;
        const name = want.interfaces.find((x: Json) => x.ifindex === i['ifindex']).name;
        expect(i['name']).toBe(`${c['file'].split('/').pop().replace(/\.pcap$/, '')}/if${i['ifindex']} ${name}`);
      }
      expect(c['source']).toMatchObject({ tool: 'retina', node: expect.stringMatching(/^node[123]$/), started: '2026-12-03T15:35:36Z', member: expect.stringMatching(/^lab-capture-node[123]-20261203153536UTC\.pcap$/) });
      expect(c['source']['sidecars'].map((s: string) => s.split('/').pop())).toContain('iptables-rules.txt');
    }
    // Services and nodes from the bundles, no kubectl file.
    expect((r.json['services'] as Json[]).map((s) => `${s['namespace']}/${s['name']}`).sort()).toEqual(['default/nginx-proxy', 'default/web', 'ingress-nginx/ingress-nginx-controller']);
  }, 120_000);
});
