/**
 * Hosts and clocks (issue #12) on the lab's clock-skewed copies
 * (fixtures/lab/captures-skew/<set>/<scenario>: each host's captures shifted
 * by `editcap -t`, the shifts in truth.json `clockSkew`): the offsets are
 * recovered, and translations, journeys and every `compare` figure equal the
 * unskewed captures'.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { profileSession } from '../../src/compare/traffic-profile.js';
import { compareProfiles } from '../../src/compare/compare.js';
import type { ClockOptions, HostClock } from '../../src/overlay/clocks.js';
import { clusterMetadata, LAB, labPresent, overlayOf, scenarioFiles, translationKeys, truth } from './lab.js';

const SKEW = path.join(LAB, 'captures-skew');
const skewPresent = labPresent && existsSync(SKEW) && truth?.clockSkew;
const SETS: string[] = skewPresent ? Object.keys(truth.clockSkew) : [];
const SCENARIOS = ['nginx-proxy', 'ingress'];

function skewFiles(set: string, scenario: string): string[] {
  const dir = path.join(SKEW, set, scenario);
  return readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f));
}

async function open(files: readonly string[], opts: ClockOptions = {}): Promise<AnalysisSession> {
  return AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f))), { clusterMetadata: clusterMetadata(), ...opts });
}

/** Our host holding a truth host's capture point (its first one). */
function hostOfTruth(clocks: readonly HostClock[], truthHost: string): HostClock {
  const point = truth.hosts[truthHost][0] as string;
  const h = clocks.find((c) => c.capturePoints.includes(point));
  if (!h) throw new Error(`no host holds ${point}`);
  return h;
}

/** A journey as its hops in order: point, addresses, translation, tunnel, packets (times apart). */
function journeyShape(o: ReturnType<typeof overlayOf>): string[] {
  return o.journeys.map((j) => j.hops.map((h) => `${h.point} ${h.src.ip}:${h.src.port}>${h.dst.ip}:${h.dst.port} ${h.translation ?? ''} ${h.tunnel ? 'T' : ''} ${h.packets}`).join(' | ')).sort();
}

describe.runIf(skewPresent)('clock offsets between hosts (lab captures shifted per host)', () => {
  const base = new Map<string, AnalysisSession>();
  const baseOf = async (scenario: string): Promise<AnalysisSession> => {
    let s = base.get(scenario);
    if (!s) base.set(scenario, (s = await open(scenarioFiles(scenario))));
    return s;
  };

  it('groups the lab capture points into its hosts by name and pod address (truth.json hosts)', async () => {
    for (const scenario of SCENARIOS) {
      for (const metadata of [false, true]) {
        const s = metadata ? await open(scenarioFiles(scenario)) : await AnalysisSession.open(await Promise.all(scenarioFiles(scenario).map((f) => fileSource(f))));
        const o = overlayOf(s);
        const withPackets = new Set(o.capturePoints.filter((p) => p.packets > 0).map((p) => p.name));
        const hostOfPoint = new Map(o.clocks.flatMap((c) => c.capturePoints.map((p) => [p, c.host] as const)));
        for (const [h, points] of Object.entries(truth.hosts as Record<string, string[]>)) {
          // Every point with packets of one truth host is in one of our hosts, and no other truth host's point is.
          const ours = new Set(points.filter((p) => withPackets.has(p)).map((p) => hostOfPoint.get(p)));
          expect(ours.size, `${scenario}${metadata ? ' with metadata' : ''}: ${h}: ${[...ours].join(', ')}`).toBe(1);
          const mine = o.clocks.find((c) => c.host === [...ours][0])!;
          expect(mine.capturePoints.filter((p) => withPackets.has(p)).sort()).toEqual(points.filter((p) => withPackets.has(p)).sort());
        }
        // A capture with no packet (a pod idle in this scenario) is linked to nothing, and no note says so.
        expect(o.notes.filter((n) => /no packet links/.test(n))).toEqual([]);
      }
    }
    const clocks = overlayOf(await baseOf('nginx-proxy')).clocks;
    // Unskewed: every offset is zero within its uncertainty, and nothing was corrected.
    for (const c of clocks) {
      expect(Math.abs(c.offsetMs!)).toBeLessThanOrEqual(c.uncertaintyMs! + 0.001);
      expect(c.corrected).toBe(false);
    }
  });

  for (const set of SETS) {
    for (const scenario of SCENARIOS) {
      it(`${set}, ${scenario}: offsets recovered; translations, journeys and compare as unskewed`, async () => {
        const shifts = truth.clockSkew[set] as Record<string, number>;
        const a = await baseOf(scenario);
        let b = await open(skewFiles(set, scenario));
        // A capture with no TCP/UDP packet (a pod that only answered ARP) has nothing to link it to a
        // host: the user names its host (--host), here from the truth; its ARP copies then count once.
        const placed = new Set(overlayOf(b).clocks.filter((c) => c.source !== 'unlinked').flatMap((c) => c.capturePoints));
        const unlinked = (Object.values(truth.hosts) as string[][]).flat().filter((p) => !placed.has(p));
        if (unlinked.length) {
          const hostOfPoint = new Map(Object.entries(truth.hosts as Record<string, string[]>).flatMap(([h, ps]) => ps.map((p) => [p, h] as const)));
          const named = overlayOf(b).clocks;
          const hosts = Object.fromEntries(unlinked.map((p) => [p, named.find((c) => c.capturePoints.some((q) => hostOfPoint.get(q) === hostOfPoint.get(p) && q !== p))!.host]));
          b = await open(skewFiles(set, scenario), { hosts });
        }
        const oa = overlayOf(a), ob = overlayOf(b);
        const ref = truth.referenceHost as string;
        const refClock = hostOfTruth(ob.clocks, ref);
        for (const h of Object.keys(shifts)) {
          const c = hostOfTruth(ob.clocks, h);
          // Offset relative to the truth's reference host (our reference may be another host).
          const got = c.offsetMs! - refClock.offsetMs!;
          const want = (shifts[h]! - shifts[ref]!) * 1000;
          const u = c.uncertaintyMs! + refClock.uncertaintyMs!;
          expect(Math.abs(got - want), `${h}: ${got} ms vs ${want} ms (± ${u})`).toBeLessThanOrEqual(Math.max(0.2, 0));
          expect(Math.abs(got - want), `${h}: the uncertainty covers the truth`).toBeLessThanOrEqual(u + 0.001);
          if (Math.abs(want) > 0.1) expect(c.corrected || c.reference || refClock.corrected).toBe(true);
        }
        expect(translationKeys(ob)).toEqual(translationKeys(oa));
        expect(ob.journeys.length).toBe(oa.journeys.length);
        expect(journeyShape(ob)).toEqual(journeyShape(oa));
        // Hop latencies on the reference clock: as unskewed within the estimate's uncertainty (µs), not the shift.
        const total = (o: typeof oa): number[] => o.journeys.map((j) => j.hops.reduce((a, h) => a + (h.latencyMs ?? 0), 0)).sort((x, y) => x - y);
        const la = total(oa), lb = total(ob);
        for (let i = 0; i < la.length; i++) expect(Math.abs(lb[i]! - la[i]!), `journey ${i} end to end`).toBeLessThan(0.05);
        // Every compare figure: counts equal, times within 0.05 ms.
        const cmp = compareProfiles(await profileSession(a, 'unskewed'), await profileSession(b, set));
        for (const m of cmp.metrics) {
          if (m.a === null || m.b === null) { expect(m.b, m.name).toBe(m.a); continue; }
          if (m.unit === 'ms') expect(Math.abs(m.b - m.a), m.name).toBeLessThan(0.05);
          else expect(m.b, m.name).toBe(m.a);
        }
      });
    }
  }

  it('--no-clock-correction measures the offsets but keeps times as captured; --clock-offset states one', async () => {
    const files = skewFiles('skew-vm', 'nginx-proxy');
    const raw = await open(files, { clockCorrection: false });
    const o = overlayOf(raw);
    expect(o.clocks.some((c) => !c.reference && Math.abs(c.offsetMs!) > 30)).toBe(true);
    expect(o.clocks.every((c) => !c.corrected)).toBe(true);
    expect(o.notes.some((n) => /times not corrected/.test(n))).toBe(true);
    // Stated: node3 is said to be 1 s ahead of the reference: taken as given, not estimated.
    const ref = overlayOf(await open(files)).clocks.find((c) => c.reference)!.host;
    const stated = overlayOf(await open(files, { clockOffsets: { node3: 1 } }));
    const n3 = stated.clocks.find((c) => c.host === 'node3')!;
    expect(n3).toMatchObject({ offsetMs: 1000, source: 'stated', uncertaintyMs: 0, corrected: true });
    expect(stated.clocks.find((c) => c.reference)!.host).toBe(ref);
  });

  it('--host groups points as stated', async () => {
    const s = await open(scenarioFiles('nginx-proxy'), { hosts: { 'pod-web-a-eth0': 'node1', 'client-eth0': 'laptop' } });
    const clocks = overlayOf(s).clocks;
    expect(clocks.find((c) => c.host === 'node1')!.capturePoints).toContain('pod-web-a-eth0');
    expect(clocks.find((c) => c.host === 'laptop')!.capturePoints).toEqual(['client-eth0']);
  });

  it('any-interface sets (tcpdump -i any per node, SLL2 and SLL) shifted per node with editcap: one host per file, offsets recovered, journeys as unskewed', async () => {
    const shifts: Record<string, number> = { 'client-eth0': 0.004, 'node1-any': 0, 'node2-any': 0.037, 'node3-any': -0.12 };
    for (const kind of ['sll2', 'sll']) {
      const dir = path.join(LAB, 'captures', `nginx-proxy-any-${kind}`);
      if (!existsSync(dir)) continue;
      const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort();
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-any-skew-'));
      try {
        for (const f of files) {
          const r = spawnSync('editcap', ['-F', 'pcap', '-t', String(shifts[f.replace(/\.pcap$/, '')] ?? 0), path.join(dir, f), path.join(tmp, f)], { encoding: 'utf8' });
          expect(r.status, r.stderr).toBe(0);
        }
        const a = overlayOf(await open(files.map((f) => path.join(dir, f))));
        const b = overlayOf(await open(files.map((f) => path.join(tmp, f))));
        expect(b.clocks.map((c) => c.host).sort()).toEqual(['client-eth0', 'node1', 'node2', 'node3']);
        const at = (h: string): number => b.clocks.find((c) => c.host === h)!.offsetMs!;
        for (const h of ['node2', 'node3', 'client-eth0']) {
          const want = ((shifts[h === 'client-eth0' ? h : `${h}-any`] ?? 0) - shifts['node1-any']!) * 1000;
          expect(Math.abs(at(h) - at('node1') - want), `${kind} ${h}`).toBeLessThanOrEqual(0.2);
        }
        expect(translationKeys(b)).toEqual(translationKeys(a));
        expect(journeyShape(b)).toEqual(journeyShape(a));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  });

  it('a drifting clock (node2 running 300 ppm fast, timestamps rewritten linearly): drift reported, offsets and journeys as unskewed', async () => {
    const ppm = 300;
    const scenario = 'nginx-proxy';
    const files = scenarioFiles(scenario);
    const node2 = new Set(truth.hosts.node2 as string[]);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-drift-'));
    try {
      // Every node2 timestamp t becomes t + (t - t0) * ppm / 1e6 (classic pcap, µs, little-endian as the lab writes them).
      let t0 = Infinity;
      for (const f of files) { const b = readFileSync(f); if (b.length > 24) t0 = Math.min(t0, b.readUInt32LE(24) + b.readUInt32LE(28) / 1e6); }
      for (const f of files) {
        const b = Buffer.from(readFileSync(f));
        expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
        if (node2.has(path.basename(f, '.pcap'))) {
          for (let o = 24; o + 16 <= b.length; o += 16 + b.readUInt32LE(o + 8)) {
            const t = b.readUInt32LE(o) + b.readUInt32LE(o + 4) / 1e6;
            const us = Math.round((t + (t - t0) * ppm / 1e6) * 1e6);
            b.writeUInt32LE(Math.floor(us / 1e6), o);
            b.writeUInt32LE(us % 1e6, o + 4);
          }
        }
        writeFileSync(path.join(tmp, path.basename(f)), b);
      }
      const a = overlayOf(await baseOf(scenario));
      const b = overlayOf(await open(readdirSync(tmp).sort().map((f) => path.join(tmp, f))));
      const n2 = b.clocks.find((c) => c.host === 'node2')!;
      const n1 = b.clocks.find((c) => c.host === 'node1')!;
      // node2 against node1 (either may be the reference).
      const drift = (n2.driftPpm ?? 0) - (n1.driftPpm ?? 0);
      expect(Math.abs(drift - ppm), `drift ${drift} ppm`).toBeLessThan(ppm * 0.3);
      expect(b.notes.some((n) => /drifting/.test(n))).toBe(true);
      expect(translationKeys(b)).toEqual(translationKeys(a));
      expect(journeyShape(b)).toEqual(journeyShape(a));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
