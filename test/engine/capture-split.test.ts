/**
 * The capture split's merge (src/session/parallel/capture-split.ts), in this
 * process without worker threads: shares read by readShare and merged into a
 * fresh session must give the JSON of the session read on one thread, byte for
 * byte, on the lab sessions (per point, any-interface SLL and SLL2, with the
 * cluster's metadata) and on the corpus as one session, with 2, 3 and 5 shares.
 * What cannot be merged exactly is refused with its reason (the flow bound).
 * The CLI with real workers: test/engine/parallel-equality.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../../src/host/node/file-source.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import type { AnalyzeOptions } from '../../src/pipeline/analyze.js';
import { parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { CaptureMerge, captureShares, mergeRefusal, mergeShares, readCaptures, readShare, reserveSession, type ShareState } from '../../src/session/parallel/capture-split.js';
import { MERGE_COST } from '../../src/host/node/capture-workers.js';
import { CORPUS_FILES, corpusPresent, fixturePath } from '../helpers/corpus.js';

function filesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => path.join(dir, f));
}

async function shares(files: readonly string[], n: number, opts: AnalyzeOptions): Promise<ShareState[]> {
  const sources = await Promise.all(files.map((f) => fileSource(f)));
  const out: ShareState[] = [];
  for (const share of captureShares(sources.map((s) => s.size), n)) {
    out.push(...await readShare(sources, share, { ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}), capturePoints: files.length }));
  }
  // As a worker's share crosses threads: a structured clone (prototypes dropped).
  return out.map((s) => structuredClone(s));
}

async function merged(files: readonly string[], n: number, opts: AnalyzeOptions = {}): Promise<string> {
  const session = new AnalysisSession(await Promise.all(files.map((f) => fileSource(f))), opts);
  const states = await shares(files, n, opts);
  expect(mergeRefusal(states, opts.maxFlows ?? 1e9)).toBeNull();
  await session.runElsewhere(async () => mergeShares(session, states));
  return JSON.stringify(session.toJSON());
}

/**
 * As the CLI's host runs the split (src/host/node/capture-workers.ts), without threads: the first share read in place
 * by AnalysisSession.runSplit (the session's columns reserved after its first capture), the others' captures read one state each (cloned as they cross threads) and appended
 * in order by a CaptureMerge, the last share's fingerprints only looked up. Returns the JSON and the refusal, if any.
 */
async function split(files: readonly string[], n: number, opts: AnalyzeOptions = {}): Promise<{ json: string; refusal: string | null }> {
  const sources = await Promise.all(files.map((f) => fileSource(f)));
  const session = new AnalysisSession(sources, opts);
  const cuts = captureShares(sources.map((s) => s.size), n, MERGE_COST);
  const total = sources.reduce((a, s) => a + s.size, 0);
  const states: ShareState[] = [];
  for (const share of cuts.slice(1)) {
    const bounds = { ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}), ...(opts.maxPackets !== undefined ? { maxPackets: opts.maxPackets } : {}) };
    await readCaptures(sources, share, { ...bounds, capturePoints: files.length }, (s) => { states.push(structuredClone(s)); });
  }
  let refusal: string | null = null;
  await session.runSplit(cuts[0]!.length, async (read) => {
    const merge = new CaptureMerge(session, read, opts.maxFlows ?? 1e9, cuts.length > 1 ? cuts[cuts.length - 1]![0]! : Infinity);
    for (const s of states) {
      refusal ??= merge.refusal(s);
      if (refusal) return merge.captures;
      merge.add(s);
    }
    return merge.finish();
  }, { afterCapture: (c) => { if (c === 0) reserveSession(session, total / Math.max(1, sources[0]!.size), total); } });
  return { json: JSON.stringify(session.toJSON()), refusal };
}

async function single(files: readonly string[], opts: AnalyzeOptions = {}): Promise<string> {
  const session = await AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f))), opts);
  return JSON.stringify(session.toJSON());
}

function firstDifference(a: string, b: string): string {
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  return `at ${at}: ${a.slice(Math.max(0, at - 120), at + 120)} vs ${b.slice(Math.max(0, at - 120), at + 120)}`;
}

const LAB = fixturePath('lab', 'captures');

describe('capture split merge', () => {
  it('contiguous shares balanced by size', () => {
    expect(captureShares([10, 10, 10, 10], 2)).toEqual([[0, 1], [2, 3]]);
    expect(captureShares([100, 1, 1, 1], 2)).toEqual([[0], [1, 2, 3]]);
    expect(captureShares([5, 5], 8)).toEqual([[0], [1]]);
    expect(captureShares([0, 0, 0], 2).length).toBe(2);
    // The first share's thread also merges the rest: its share is smaller by the merge's cost.
    expect(captureShares([10, 10, 10, 10, 10, 10, 10, 10, 10, 10], 2, 0.25)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]]);
    expect(captureShares([10, 10, 10, 10, 10, 10, 10, 10, 10, 10], 3, 0.25).map((s) => s.length)).toEqual([2, 4, 4]);
    expect(captureShares([100, 1, 1, 1], 2, 0.5)).toEqual([[0], [1, 2, 3]]);
  });

  // The skewed copies' captures start at other seconds: rows' times are rebased in the merge.
  it.each(['nginx-proxy', 'ingress', 'nginx-proxy-any-sll', 'ingress-any-sll2', '../captures-skew/skew-vm/nginx-proxy', '../captures-skew/skew-drifted/ingress'])('lab %s: merged = one thread, with cluster.json', async (set) => {
    const files = filesIn(path.join(LAB, set));
    const cluster = fixturePath('lab', 'cluster.json');
    const opts: AnalyzeOptions = { clusterMetadata: parseClusterMetadata([{ name: cluster, text: readFileSync(cluster, 'utf8') }]) };
    const one = await single(files, opts);
    for (const n of [2, 3, 5]) {
      const m = await merged(files, n, opts);
      if (m !== one) expect.fail(`${set}, ${n} shares: ${firstDifference(one, m)}`);
      const s = await split(files, n, opts);
      expect(s.refusal).toBeNull();
      if (s.json !== one) expect.fail(`${set}, ${n} threads, first share in place: ${firstDifference(one, s.json)}`);
    }
  }, 120_000);

  // Captures cut at other packets (the bound): a later capture's tunnel edge holds packets an earlier point saw and
  // packets it did not, so the merge counts that edge again from the log (the edge's own counts would be wrong).
  it('lab nginx-proxy cut at 300 and 700 packets a capture, first share in place: merged = one thread', async () => {
    const files = filesIn(path.join(LAB, 'nginx-proxy'));
    for (const maxPackets of [300, 700]) {
      const one = await single(files, { maxPackets });
      for (const n of [2, 3]) {
        const s = await split(files, n, { maxPackets });
        expect(s.refusal).toBeNull();
        if (s.json !== one) expect.fail(`${maxPackets} packets a capture, ${n} threads: ${firstDifference(one, s.json)}`);
      }
    }
  }, 60_000);

  it('dual-stack pods over an IPv6 underlay, first share in place: merged = one thread', async () => {
    const files = filesIn(fixturePath('dual-stack', 'captures'));
    const cluster = fixturePath('dual-stack', 'cluster.json');
    const opts: AnalyzeOptions = { clusterMetadata: parseClusterMetadata([{ name: cluster, text: readFileSync(cluster, 'utf8') }]) };
    const one = await single(files, opts);
    for (const n of [2, 3]) {
      const s = await split(files, n, opts);
      if (s.json !== one) expect.fail(`dual-stack, ${n} threads: ${firstDifference(one, s.json)}`);
    }
  }, 60_000);

  it.skipIf(!corpusPresent)('the corpus as one session: refused for a capture with times over 52 days apart; merged = one thread without it', async () => {
    let files = readdirSync(CORPUS_FILES).sort().map((f) => path.join(CORPUS_FILES, f));
    const refused: string[] = [];
    for (let tries = 0; tries < 5; tries++) {
      const why = mergeRefusal(await shares(files, 2, {}), 1e9);
      const file = why && /^(.*): packet times more than 52 days apart in one capture$/.exec(why)?.[1];
      if (!file) { expect(why).toBeNull(); break; }
      refused.push(path.basename(file));
      files = files.filter((f) => f !== file);
    }
    // gopacket's test202 holds a record dated years after its others.
    expect(refused).toContain('gopacket__be__test202.pcapng');
    const one = await single(files);
    for (const n of [2, 5]) {
      const m = await merged(files, n);
      if (m !== one) expect.fail(`corpus, ${n} shares: ${firstDifference(one, m)}`);
      const s = await split(files, n);
      if (s.json !== one) expect.fail(`corpus, ${n} threads, first share in place: ${firstDifference(one, s.json)}`);
    }
  }, 240_000);

  const ENCAP = path.join(process.env['OVERLAYSCOPE_CORPUS_ENCAP'] ?? path.resolve(fixturePath('..'), '../shared/corpus-encap'), 'files');
  it.skipIf(!existsSync(ENCAP))('the encapsulation corpus as one session: merged = one thread', async () => {
    const files = readdirSync(ENCAP).sort().map((f) => path.join(ENCAP, f));
    const one = await single(files);
    for (const n of [2, 4]) {
      const m = await merged(files, n);
      if (m !== one) expect.fail(`corpus-encap, ${n} shares: ${firstDifference(one, m)}`);
      const s = await split(files, n);
      if (s.json !== one) expect.fail(`corpus-encap, ${n} threads, first share in place: ${firstDifference(one, s.json)}`);
    }
  }, 240_000);

  it('the flow bound is refused (first-seen over the session), not merged', async () => {
    const files = filesIn(path.join(LAB, 'nginx-proxy'));
    const states = await shares(files, 2, { maxFlows: 40 });
    expect(mergeRefusal(states, 40)).toMatch(/more than 40 flows/);
    expect((await split(files, 2, { maxFlows: 40 })).refusal).toMatch(/more than 40 flows/);
  }, 60_000);
});
