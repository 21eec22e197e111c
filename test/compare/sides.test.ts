/**
 * Side labels and capture point pairing (src/compare/sides.ts): the rules on
 * names, then on the lab's real captures copied under scenario-prefixed names
 * (`nginx-proxy.client-eth0.pcap`), through the CLI and the service the app uses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commonPrefix, defaultSideLabel, pairPoints, parsePairs, pointRoles } from '../../src/compare/sides.js';
import { runCompare } from '../../src/cli/commands.js';
import { createAnalyzerService } from '../../src/service/analyzer-service.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { testContext } from '../report/cli-context.js';
import { LAB, labPresent } from './lab.js';

const NGINX = path.join(LAB, 'captures', 'nginx-proxy');
const INGRESS = path.join(LAB, 'captures', 'ingress');

describe('labels and roles', () => {
  it.each([
    [['/x/lab/captures/nginx-proxy/client-eth0.pcap', '/x/lab/captures/nginx-proxy/node1-eth0.pcap'], 'nginx-proxy'],
    [['nginx-proxy.client.pcap', 'nginx-proxy.node1-eth0.pcap', 'nginx-proxy.node2-eth0.pcap'], 'nginx-proxy'],
    [['/captures/nginx-proxy.pcapng'], 'nginx-proxy'],
    [['http://127.0.0.1:9/lab/captures/ingress/client-eth0.pcap?x=1', 'http://127.0.0.1:9/lab/captures/ingress/pod-web-a-eth0.pcap'], 'ingress'],
    [['a.pcap', 'b.pcap', 'c.pcap'], 'a + 2 more'],
    [['run%201/client.pcap', 'run%201/server.pcap'], 'run 1'],
  ])('%j → %s', (names, label) => {
    expect(defaultSideLabel(names)).toBe(label);
  });

  it('a common prefix ends at a separator', () => {
    expect(commonPrefix(['node1-eth0', 'node1-cni0'])).toBe('node1');
    expect(commonPrefix(['node1-eth0', 'node2-eth0'])).toBe('');
    expect(commonPrefix(['ingress.client', 'ingress.node1-eth0'])).toBe('ingress');
    expect(commonPrefix(['x'])).toBe('');
  });

  it('roles drop the scenario prefix, whether it is the label or shared by all points', () => {
    expect(pointRoles(['nginx-proxy.client', 'nginx-proxy.node1-eth0'], 'whatever')).toEqual(['client', 'node1-eth0']);
    expect(pointRoles(['ingress-client', 'node1-eth0'], 'ingress')).toEqual(['client', 'node1-eth0']);
    expect(pointRoles(['client-eth0', 'node1-eth0'], 'nginx-proxy')).toEqual(['client-eth0', 'node1-eth0']);
  });

  it('pairs by role, by what the user states, and keeps the unpaired apart', () => {
    const p = pairPoints({ names: ['nginx-proxy.client', 'nginx-proxy.node1-eth0', 'nginx-proxy.pod-nginx-proxy-eth0'], label: 'nginx-proxy' },
      { names: ['ingress.client', 'ingress.node1-eth0', 'ingress.pod-ingress-nginx-eth0'], label: 'ingress' },
      [['pod-nginx-proxy-eth0', 'ingress.pod-ingress-nginx-eth0']]);
    expect(p).toEqual([
      { role: 'client', a: 0, b: 0 }, { role: 'node1-eth0', a: 1, b: 1 }, { role: 'pod-nginx-proxy-eth0', a: 2, b: 2 },
    ]);
    const q = pairPoints({ names: ['node1-eth0', 'x'], label: 'a' }, { names: ['eth0', 'x'], label: 'b' });
    // eth0 is not node1-eth0: a node's name is not a scenario prefix.
    expect(q.map((r) => [r.role, r.a, r.b])).toEqual([['node1-eth0', 0, -1], ['x', 1, 1], ['eth0', -1, 0]]);
    expect(parsePairs(['a=b'])).toEqual([['a', 'b']]);
    expect(() => parsePairs(['ab'])).toThrow(/POINT_A=POINT_B/);
  });
});

describe.skipIf(!labPresent)('on the lab captures', () => {
  const tmp = path.join(os.tmpdir(), `overlayscope-sides-${process.pid}`);
  const prefixed = (scenario: string): string[] => {
    const dir = path.join(tmp, scenario);
    mkdirSync(dir, { recursive: true });
    const src = path.join(LAB, 'captures', scenario);
    return readdirSync(src).filter((f) => f.endsWith('.pcap')).map((f) => {
      const to = path.join(tmp, `${scenario}.${f}`);
      copyFileSync(path.join(src, f), to);
      return to;
    });
  };
  let a: string[] = [];
  let b: string[] = [];
  beforeAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    a = prefixed('nginx-proxy');
    b = prefixed('ingress');
    return () => rmSync(tmp, { recursive: true, force: true });
  });

  it('CLI: the folders compare as nginx-proxy vs ingress with 14 paired points, each with values on both sides', async () => {
    const ctx = testContext();
    expect(await runCompare([NGINX, INGRESS, '--format', 'json'], ctx)).toBe(0);
    const j = JSON.parse(ctx.out);
    expect([j.a.label, j.b.label]).toEqual(['nginx-proxy', 'ingress']);
    expect(j.points).toHaveLength(14);
    // Values on both sides (a pod idle in one scenario has 0 packets there, not "—").
    for (const p of j.points) {
      expect(p.a?.packets, p.role).toBeTypeOf('number');
      expect(p.b?.packets, p.role).toBeTypeOf('number');
    }
    expect(j.points.filter((p: { a: { packets: number }; b: { packets: number } }) => p.a.packets > 0 && p.b.packets > 0).length).toBeGreaterThanOrEqual(12);
    expect(j.metrics.filter((m: { group: string }) => m.group === 'capture points')).toHaveLength(56);
  });

  it('CLI: files named nginx-proxy.* and ingress.* pair by role, labels are the prefixes, figures equal the folders\'', async () => {
    const byFolder = testContext();
    expect(await runCompare([NGINX, INGRESS, '--format', 'json'], byFolder)).toBe(0);
    const ctx = testContext();
    expect(await runCompare([a.join(','), b.join(','), '--format', 'json'], ctx)).toBe(0);
    const j = JSON.parse(ctx.out);
    const f = JSON.parse(byFolder.out);
    expect([j.a.label, j.b.label]).toEqual(['nginx-proxy', 'ingress']);
    expect(j.points).toHaveLength(14);
    expect(j.points.map((p: { role: string }) => p.role).sort()).toEqual(f.points.map((p: { role: string }) => p.role).sort());
    const client = j.points.find((p: { role: string }) => p.role === 'client-eth0');
    expect(client.a.name).toBe('nginx-proxy.client-eth0');
    expect(client.b.name).toBe('ingress.client-eth0');
    expect(client.a.packets).toBe(f.points.find((p: { role: string }) => p.role === 'client-eth0').a.packets);
    expect(j.a.roles).toContain('client-eth0');
    // No row with a value on one side only.
    expect(j.metrics.filter((m: { group: string; a: unknown; b: unknown }) => m.group === 'capture points' && (m.a === null || m.b === null))).toEqual([]);
    // The explanation names each side once with its label.
    const text = j.explanation.join(' ');
    expect(text.match(/A \(nginx-proxy\)/g)).toHaveLength(1);
    expect(text).not.toMatch(/B \(ingress\).*B \(ingress\)/);
  });

  it('CLI: --pair states a pairing; --cluster-a gives one side metadata; a capture as metadata is named as one', async () => {
    const ctx = testContext();
    expect(await runCompare([NGINX, INGRESS, '--format', 'json', '--pair', 'pod-nginx-proxy-eth0=pod-ingress-nginx-eth0',
      '--cluster-a', path.join(LAB, 'cluster.json')], ctx)).toBe(0);
    const j = JSON.parse(ctx.out);
    expect(j.a.hasCluster).toBe(true);
    expect(j.b.hasCluster).toBe(false);
    const row = j.points.find((p: { a: { name: string } | null }) => p.a?.name === 'pod-nginx-proxy-eth0');
    expect(row.b.name).toBe('pod-ingress-nginx-eth0');
    const bad = testContext();
    await expect(runCompare([NGINX, INGRESS, '--cluster', path.join(NGINX, 'client-eth0.pcap')], bad)).rejects.toThrow(/client-eth0\.pcap is a capture \(pcap\), not kubectl metadata/);
  });

  it('service: a side is the open session (with its metadata) or captures with their own metadata; labels by default from the folder', async () => {
    const svc = createAnalyzerService({ resolve: async (r) => fileSource(r.kind === 'path' ? r.path : '') });
    const refs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => ({ kind: 'path' as const, path: path.join(dir, f) }));
    await svc.openSession(refs(NGINX), { cluster: [{ kind: 'path', path: path.join(LAB, 'cluster.json') }] });
    const v = await svc.compare([], refs(INGRESS), {}, {}, { a: { session: true } });
    expect([v.labelA, v.labelB]).toEqual(['nginx-proxy', 'ingress']);
    expect(v.sides).toMatchObject({ a: { hasCluster: true, points: 14, files: 14 }, b: { hasCluster: false, points: 14 } });
    expect(v.points).toHaveLength(14);
    expect(v.points!.every((p) => p.a && p.b)).toBe(true);
    const w = await svc.compare([], refs(INGRESS), { a: 'before', b: 'after' }, {}, { a: { session: true }, b: { cluster: [{ kind: 'path', path: path.join(LAB, 'cluster.json') }] } });
    expect([w.labelA, w.labelB]).toEqual(['before', 'after']);
    expect(w.sides!.b.hasCluster).toBe(true);
    // Improvements are marked as such: fewer packets is better, more keep-alive reuse is better.
    expect(w.metrics.find((m) => m.name === 'packets per request, end to end')!.better).toBe('lower');
    expect(w.metrics.find((m) => /^requests reusing/.test(m.name))!.better).toBe('higher');
    await expect(svc.loadCluster([{ kind: 'path', path: path.join(NGINX, 'client-eth0.pcap') }])).rejects.toThrow(/client-eth0\.pcap is a capture \(pcap\), not kubectl metadata/);
  });
});
