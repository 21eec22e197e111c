/**
 * Flows grouped by connection (src/service/flow-connections.ts) on the lab's
 * 14-point nginx-proxy set: the count of connections comes from the lab's
 * truth.json (written by the lab from conntrack and curl, not by us).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FlowRow, SourceRef } from '../../src/api.js';
import { createAnalyzerService, type SourceResolver } from '../../src/service/analyzer-service.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';

const resolver: SourceResolver = {
  async resolve(ref: SourceRef) {
    if (ref.kind !== 'path') throw new Error('test resolver reads paths only');
    return fileSource(ref.path);
  },
};
const LAB = fixturePath('lab');
const DIR = path.join(LAB, 'captures', 'nginx-proxy');
const truth = JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')) as {
  scenarios: Array<{ name: string; connections: { endToEnd: number; frontendToUpstreamList: Array<{ sport: number }> }; requests: Array<{ clientPort: number }> }>;
};
const scenario = truth.scenarios.find((s) => s.name === 'nginx-proxy')!;

async function open() {
  const api = createAnalyzerService(resolver);
  const files = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();
  await api.openSession(files.map((f) => ({ kind: 'path' as const, path: path.join(DIR, f) })));
  await api.loadCluster([{ kind: 'path', path: path.join(LAB, 'cluster.json') }]);
  return api;
}

describe('flows grouped by connection', () => {
  it('shows each TCP connection of the lab once, with its views at every point, beside the tunnel flows', async () => {
    const api = await open();
    const all = await api.getFlows({ offset: 0, limit: 10_000 });
    const grouped = await api.getFlows({ offset: 0, limit: 10_000, connections: true });
    const tcpConns = grouped.rows.filter((r) => r.transport === 'tcp' && r.connection);
    expect(tcpConns.length).toBe(scenario.connections.endToEnd);
    // The client connections are shown from the client's side (before NAT), the upstream ones from the proxy pod's.
    const clientPorts = scenario.requests.map((r) => r.clientPort).sort();
    expect(tcpConns.map((r) => r.a.port).filter((p) => clientPorts.includes(p!)).sort()).toEqual(clientPorts);
    const upstream = scenario.connections.frontendToUpstreamList.map((c) => c.sport).sort();
    expect(tcpConns.map((r) => r.a.port).filter((p) => upstream.includes(p!)).sort()).toEqual(upstream);
    // Every TCP flow of the session is a view of one of them: nothing lost, nothing counted twice.
    const tcpFlows = all.rows.filter((r) => r.transport === 'tcp');
    const views = tcpConns.flatMap((r) => r.connection!.flows);
    expect(new Set(views).size).toBe(views.length);
    expect(views.sort((a, b) => a - b)).toEqual(tcpFlows.map((r) => r.id).sort((a, b) => a - b));
    // A client connection crosses client-eth0, node1-eth0 (before and inside VXLAN), ... and the proxy pod.
    const first = tcpConns.find((r) => r.a.port === clientPorts[0])!;
    expect(first.connection!.points).toContain('client-eth0');
    expect(first.connection!.points).toContain('pod-nginx-proxy-eth0');
    expect(first.serviceVia).toBe('dnat');
    const perPoint = await api.getFlows({ offset: 0, limit: 1000, connection: first.connection!.id });
    expect(perPoint.total).toBe(first.connection!.flows.length);
    expect(new Set(perPoint.rows.map((r: FlowRow) => r.captures[0])).size).toBe(first.connection!.points.length);
    // Node-to-node tunnel flows stay rows of their own.
    const tunnels = grouped.rows.filter((r) => r.innerFlows > 0);
    expect(tunnels.length).toBe(all.rows.filter((r) => r.innerFlows > 0).length);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(tunnels.every((r) => r.connection === null)).toBe(true);
  }, 120_000);

  it('finds a connection by any of its views: the backend pod names the upstream connections it served', async () => {
    const api = await open();
    const t = JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')) as { pods: Array<{ short: string; name: string }>; scenarios: Array<{ name: string; backendDistribution: Record<string, number> }> };
    const dist = t.scenarios.find((s) => s.name === 'nginx-proxy')!.backendDistribution;
    for (const [short, n] of Object.entries(dist)) {
      const pod = t.pods.find((p) => p.short === short)!.name;
      const p = await api.getFlows({ offset: 0, limit: 100, connections: true, transport: 'tcp', pod });
      expect(p.total, short).toBe(n);
      // Shown by the earliest view that names the pod (after DNAT), as one connection seen at several points.
      for (const r of p.rows) {
        expect(r.identityB?.name).toBe(`default/${pod}`);
        expect(r.b.port).toBe(8080);
        expect(r.connection!.points.length).toBeGreaterThan(1);
      }
    }
  }, 120_000);

  it('sorts by every column, stably, and by the number of points', async () => {
    const api = await open();
    for (const key of ['a', 'identityA', 'tunnel', 'captures', 'service', 'points', 'transport', 'firstTime']) {
      for (const dir of ['asc', 'desc'] as const) {
        const p = await api.getFlows({ offset: 0, limit: 10_000, connections: true, sort: { key, dir } });
        expect(p.rows.length).toBe(p.total);
        if (key === 'points') {
          const n = p.rows.map((r) => r.connection?.points.length ?? 1);
          for (let i = 1; i < n.length; i++) expect(dir === 'asc' ? n[i]! >= n[i - 1]! : n[i]! <= n[i - 1]!).toBe(true);
        }
      }
    }
    const byId = await api.getFlows({ offset: 0, limit: 10_000, sort: { key: 'a', dir: 'asc' } });
    const texts = byId.rows.map((r) => `${r.a.ip}:${r.a.port ?? ''}`);
    const coll = new Intl.Collator('en', { numeric: true });
    for (let i = 1; i < texts.length; i++) expect(coll.compare(texts[i - 1]!, texts[i]!)).toBeLessThanOrEqual(0);
  }, 120_000);
});
