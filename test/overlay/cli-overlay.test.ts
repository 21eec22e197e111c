/**
 * `overlayscope analyze CAPTURE... --cluster FILE` end to end (the built CLI):
 * the overlay fields and flow identities in the JSON, and a malformed
 * metadata file as exit 1 naming the file and the item.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/corpus.js';
import { LAB, labPresent, scenarioFiles, truth } from './lab.js';

const bin = path.join(ROOT, 'bin', 'overlayscope.js');
const built = existsSync(path.join(ROOT, 'dist', 'cli.js'));
if (!built) console.warn('SKIPPED: CLI overlay tests need dist/cli.js (node scripts/build-cli.mjs; npm test builds it)');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!labPresent || !built)('overlayscope analyze --cluster', () => {
  it('adds nodes, pods, services, tunnels, translations, journeys and flow identities', () => {
    const r = run(['analyze', ...scenarioFiles('ingress'), '--cluster', path.join(LAB, 'cluster.json'), '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['nodes', 'pods', 'services', 'tunnels', 'translations', 'journeys', 'candidateServices', 'capturePoints']) expect(Array.isArray(j[k]), k).toBe(true);
    expect(j.cluster.files).toEqual([path.join(LAB, 'cluster.json')]);
    expect(j.nodes.map((n: { name: string }) => n.name)).toEqual(['node1', 'node2', 'node3']);
    expect(j.translations.length).toBe(truth.scenarios.find((s: { name: string }) => s.name === 'ingress').nat.length);
    expect(j.journeys.every((x: { complete: boolean }) => x.complete)).toBe(true);
    const toNodePort = j.flows.find((f: { b: { port: number } }) => f.b.port === 30081);
    expect(toNodePort.identity.b).toMatchObject({ kind: 'service', name: 'ingress-nginx/ingress-nginx-controller' });
    expect(toNodePort.service).toBe('ingress-nginx/ingress-nginx-controller');
  });

  it('a malformed metadata file is exit 1 naming the file and the item', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'overlayscope-cluster-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Node', metadata: { name: 'n1' } }, { kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, status: { podIP: 'not-an-ip' } }] }));
    const r = run(['analyze', scenarioFiles('ingress')[0]!, '--cluster', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}: items[1] (Pod ns/p): status.podIP is not an IP address`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const missing = run(['analyze', scenarioFiles('ingress')[0]!, '--cluster', path.join(dir, 'nope.json')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.json: no such file');
  });
});
