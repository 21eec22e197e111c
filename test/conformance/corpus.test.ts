/**
 * Conformance over the public corpus (../shared/corpus): our packet counts,
 * per-protocol counts and HTTP request frames against tshark 4.0.17's ground
 * truth. Every remaining difference must be listed, with its reason, in
 * docs/known-differences.md; an unlisted difference fails, and so does a
 * listed one that no longer occurs. Skipped, with a message, without the corpus.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DissectConfig } from '../../src/dissect/config.js';
import { L_SLL, L_SLL2, LAYER_NAMES } from '../../src/dissect/layers.js';
import { analyzeCapture, newCaptureResult, type CaptureResult } from '../../src/pipeline/analyze.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { corpusFiles, corpusPath, corpusPresent, corpusSkipReason, groundTruth, ROOT } from '../helpers/corpus.js';
import { COMPARED, parseGroundTruth, tsharkCounts } from './ground-truth.js';
import { knownDifferences, type KnownDifference } from './known-differences.js';

if (!corpusPresent) corpusSkipReason();

interface Ours {
  result: CaptureResult;
  counts: Record<string, number>;
  /** 1-based frame numbers holding an HTTP request line. */
  httpRequests: number[];
}

/** Each file analysed once for both tables of tests below. */
const analyses = new Map<string, Promise<Ours>>();
function analyze(file: string): Promise<Ours> {
  let a = analyses.get(file);
  if (!a) { a = analyzeOnce(file); analyses.set(file, a); }
  return a;
}

async function analyzeOnce(file: string): Promise<Ours> {
  const source = await fileSource(corpusPath(file), file);
  const result = newCaptureResult(0, source);
  const httpRequests: number[] = [];
  await analyzeCapture(source, result, new DissectConfig(), [{
    observe(_c, n, p) { if (p.httpKind === 1) httpRequests.push(n + 1); },
  }]);
  const counts: Record<string, number> = {};
  LAYER_NAMES.forEach((name, id) => { counts[name] = result.layerPackets[id]!; });
  // tshark calls SLL and SLL2 both `sll`.
  counts['sll'] = result.layerPackets[L_SLL]! + result.layerPackets[L_SLL2]!;
  return { result, counts, httpRequests };
}

function key(d: Pick<KnownDifference, 'file' | 'protocol'>): string {
  return `${d.file} ${d.protocol}`;
}

describe.skipIf(!corpusPresent)('conformance with tshark over ../shared/corpus', () => {
  const files = corpusFiles();
  const knownCounts = new Map(knownDifferences('counts').map((d) => [key(d), d]));
  const knownHttp = new Map(knownDifferences('http').map((d) => [key(d), d]));
  const seenCounts = new Set<string>();
  const seenHttp = new Set<string>();

  it('has the 67 captures and a ground truth for each', () => {
    expect(files.length).toBe(67);
    for (const f of files) expect(parseGroundTruth(groundTruth(f)).frames.length, f).toBeGreaterThanOrEqual(0);
  });

  it.each(files)('%s: packet and protocol counts equal tshark\'s or are explained', async (file) => {
    const gt = parseGroundTruth(groundTruth(file));
    const ours = await analyze(file);
    const frames = gt.frames8472 ?? gt.frames;
    // The per-frame table lists every frame tshark dissected.
    expect(frames.length, `${file}: ground-truth table vs its packet count`).toBe(gt.packets);
    const theirs = tsharkCounts(frames);
    const unexplained: string[] = [];
    const compare = (protocol: string, o: number, t: number): void => {
      const k = key({ file, protocol });
      const known = knownCounts.get(k);
      if (o === t) {
        if (known) unexplained.push(`${protocol}: listed as a known difference (ours ${known.ours}, tshark ${known.tshark}) but now both are ${o}: remove the row`);
        return;
      }
      seenCounts.add(k);
      if (!known) unexplained.push(`${protocol}: ours ${o}, tshark ${t} (not in docs/known-differences.md)`);
      else if (known.ours !== o || known.tshark !== t) unexplained.push(`${protocol}: ours ${o}, tshark ${t}, but the known difference says ${known.ours} vs ${known.tshark}`);
    };
    compare('packets', ours.result.packets, gt.packets);
    for (const p of COMPARED) compare(p, ours.counts[p] ?? 0, theirs[p] ?? 0);
    expect(unexplained, file).toEqual([]);
  });

  it.each(files)('%s: HTTP request frames equal tshark\'s (reassembly caveat in docs/known-differences.md)', async (file) => {
    const gt = parseGroundTruth(groundTruth(file));
    const ours = await analyze(file);
    const theirs = gt.frames.filter((f) => (f['http.request.method'] ?? '') !== '').map((f) => Number(f['frame.number']));
    if (gt.httpRequests !== null) expect(theirs.length, `${file}: table vs HTTP section`).toBe(gt.httpRequests);
    const k = key({ file, protocol: 'http-requests' });
    const known = knownHttp.get(k);
    if (known) {
      seenHttp.add(k);
      expect({ ours: ours.httpRequests.length, tshark: theirs.length }, `${file}: known HTTP difference`).toEqual({ ours: known.ours, tshark: known.tshark });
    } else {
      expect(ours.httpRequests, `${file}: frames with an HTTP request line`).toEqual(theirs);
    }
  });

  it('lists no known difference for a file or protocol that does not differ', () => {
    expect([...knownCounts.keys()].filter((k) => !seenCounts.has(k))).toEqual([]);
    expect([...knownHttp.keys()].filter((k) => !seenHttp.has(k))).toEqual([]);
  });
});

describe.skipIf(!corpusPresent)('every corpus file through `overlayscope analyze` (no crash, hang or stack trace)', () => {
  const bin = path.join(ROOT, 'bin', 'overlayscope.js');
  const files = corpusFiles();

  it('has a built CLI to run', () => {
    expect(existsSync(path.join(ROOT, 'dist', 'cli.js')), 'dist/cli.js is missing: run `node scripts/build-cli.mjs` (npm test does)').toBe(true);
  });

  it.each(files)('%s', (file) => {
    const r = spawnSync(process.execPath, [bin, 'analyze', corpusPath(file), '--format', 'json'], { encoding: 'utf8', timeout: 30_000, maxBuffer: 256 * 1024 * 1024 });
    expect(r.error, `${file}: did not finish within 30 s`).toBeUndefined();
    expect(r.signal).toBeNull();
    expect([0, 1], `${file}: exit ${r.status}; stderr: ${r.stderr}`).toContain(r.status);
    expect(r.stderr, `${file}: stack trace on stderr`).not.toMatch(/^\s+at /m);
    const json = JSON.parse(r.stdout) as { schema: string; packets: number; captures: Array<{ complete: boolean }> };
    expect(json.schema).toBe('overlayscope.analysis/v1');
    if (r.status === 1) {
      expect(r.stderr, `${file}: exit 1 must name the file`).toContain(file);
      expect(json.captures[0]!.complete).toBe(false);
    } else {
      expect(r.stderr).toBe('');
    }
  });
});
