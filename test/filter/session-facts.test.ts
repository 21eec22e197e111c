/**
 * The session's own filter fields against the lab's truth.json, on the
 * nginx-proxy scenario's 14 capture points opened as one session (as the app
 * does): `capture.host` is truth's hosts, `capture.point` one point's packets,
 * `nat.translated` the packets of the connections truth's conntrack says were
 * translated (tshark's frames for their address pairs), `journey` the
 * packets of one request's connections (the client's, the backend's).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import type { PacketRow, SourceRef } from '../../src/api.js';
import { createAnalyzerService, type SourceResolver } from '../../src/service/analyzer-service.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';
import { tsharkFrames } from './scan.js';

const resolver: SourceResolver = {
  async resolve(ref: SourceRef) {
    if (ref.kind !== 'path') throw new Error('test resolver reads paths only');
    return fileSource(ref.path);
  },
};
const LAB = fixturePath('lab');
const present = existsSync(`${LAB}/truth.json`);

interface Scenario {
  name: string;
  captures: Array<{ point: string; file: string; packets: number }>;
  nat: Array<{ node: string; original: string; reply: string }>;
  journeys: Array<{ n: number; client: { ip: string; port: number }; upstream: { connection: { sport: number }; backend: { pod: string } } }>;
}
interface Truth { hosts: Record<string, string[]>; scenarios: Scenario[] }

const truth = present ? (JSON.parse(readFileSync(`${LAB}/truth.json`, 'utf8')) as Truth) : null;
const scenario = truth?.scenarios.find((s) => s.name === 'nginx-proxy');
const points = scenario?.captures.map((c) => c.point) ?? [];
const fileOf = (point: string): string => `${LAB}/${scenario!.captures.find((c) => c.point === point)!.file}`;

async function session() {
  const api = createAnalyzerService(resolver);
  await api.openSession(points.map((p) => ({ kind: 'path', path: fileOf(p) })));
  const rows = async (filter: string): Promise<PacketRow[]> => {
    const out: PacketRow[] = [];
    for (let offset = 0; offset < 100_000; offset += 1000) {
      const page = await api.getPackets({ offset, limit: 1000, filter });
      out.push(...page.rows);
      if (out.length >= page.total) break;
    }
    return out;
  };
  return { api, rows };
}

/** Frame numbers (1-based) of the rows at one capture point. */
const framesAt = (rows: PacketRow[], point: string): number[] => rows.filter((r) => r.point === point).map((r) => r.index + 1).sort((a, b) => a - b);

/** tshark's filter for the packets of a connection between two endpoints `ip:port` (either direction, any depth). */
function pairFilter(a: string, b: string): string {
  const [ai, ap] = a.split(':') as [string, string];
  const [bi, bp] = b.split(':') as [string, string];
  return `(ip.addr == ${ai} && ip.addr == ${bi} && tcp.port == ${ap} && tcp.port == ${bp})`;
}

describe.skipIf(!present || !scenario)('session facts: capture.*, nat.translated, journey vs the lab truth', () => {
  it('capture.host is truth\'s host of each capture point; capture.point one point', async () => {
    const { rows } = await session();
    for (const [host, pts] of Object.entries(truth!.hosts)) {
      const got = await rows(`capture.host == "${host}"`);
      // A capture point with no packets (the idle Ingress pod here) has nothing to place it on a host.
      const inScenario = pts.filter((p) => scenario!.captures.some((c) => c.point === p && c.packets > 0));
      expect(new Set(got.map((r) => r.point))).toEqual(new Set(inScenario));
      expect(got.length).toBe(scenario!.captures.filter((c) => inScenario.includes(c.point)).reduce((a, c) => a + c.packets, 0));
    }
    const one = await rows('capture.point == "node2-cni0"');
    expect(one.length).toBe(scenario!.captures.find((c) => c.point === 'node2-cni0')!.packets);
    expect(new Set(one.map((r) => r.point))).toEqual(new Set(['node2-cni0']));
  }, 180_000);

  it('nat.translated: the packets of the connections conntrack translated, at every capture point', async () => {
    const { rows } = await session();
    const got = await rows('nat.translated');
    const tshark = scenario!.nat.flatMap((n) => {
      const [os, od] = n.original.split(' -> ') as [string, string];
      const [rs, rd] = n.reply.split(' -> ') as [string, string];
      return [pairFilter(os, od), pairFilter(rs, rd)];
    }).join(' || ');
    let total = 0;
    for (const p of points) {
      const want = await tsharkFrames(fileOf(p), tshark) as number[];
      expect(framesAt(got, p), p).toEqual(want);
      total += want.length;
    }
    expect(total).toBeGreaterThan(500);
    expect(got.length).toBe(total);
    // And its negation keeps the rest.
    expect((await rows('!nat.translated')).length + got.length).toBe(scenario!.captures.reduce((a, c) => a + c.packets, 0));
  }, 300_000);

  it('journey: each request\'s client connection and its upstream connection at the backend', async () => {
    const { api, rows } = await session();
    const view = await api.getOverlay();
    expect(view.journeys.length).toBe(scenario!.journeys.length);
    for (const t of scenario!.journeys) {
      const j = view.journeys.find((x) => x.hops[0]!.src.ip === t.client.ip && x.hops[0]!.src.port === t.client.port);
      expect(j, `journey of client port ${t.client.port}`).toBeDefined();
      const got = await rows(`journey == ${j!.id}`);
      expect(framesAt(got, 'client-eth0')).toEqual(await tsharkFrames(fileOf('client-eth0'), `tcp.port == ${t.client.port}`));
      const backend = `pod-${t.upstream.backend.pod}-eth0`;
      const atBackend = framesAt(got, backend);
      expect(atBackend.length).toBeGreaterThan(0);
      expect(atBackend).toEqual(await tsharkFrames(fileOf(backend), `tcp.port == ${t.upstream.connection.sport}`));
    }
  }, 300_000);
});
