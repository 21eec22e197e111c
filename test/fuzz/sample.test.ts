/**
 * The CI sample of `npm run fuzz`: a fixed seed, 500 mutated captures (real
 * corpus and lab captures, editcap -E corruption, structure-aimed mutations,
 * nested tunnels, endless HTTP headers, DNS pointer loops), each run through
 * the CLI analyze path, the reports and the packet views in a child process
 * with a time bound. No crash, no hang, no broken promise, memory bounded.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_FILES, corpusSkipReason, fixturePath, ROOT } from '../helpers/corpus.js';
import { formatSummary, fuzz, memoryBound, type FuzzSummary } from './lib/runner.js';

const SEED = 20240607;
const COUNT = 500;
const bundle = path.join(ROOT, 'dist', `fuzz-sample-${process.pid}.js`);

describe('fuzz sample (fixed seed)', () => {
  let summary: FuzzSummary;

  beforeAll(async () => {
    corpusSkipReason();
    await build({
      entryPoints: [path.join(ROOT, 'test/fuzz/lib/main.ts')], outfile: bundle, bundle: true, platform: 'node',
      format: 'esm', target: 'node20', sourcemap: 'inline', packages: 'external', logLevel: 'warning',
    });
    summary = await fuzz({
      seed: SEED, count: COUNT, timeLimitSec: 0, jobs: 2, timeoutMs: 60_000, childScript: bundle,
      seedDirs: [CORPUS_FILES, fixturePath('lab')], editcapRates: [0.01], crashersDir: null, minimise: false,
      log: () => undefined,
    });
    console.log(formatSummary(summary));
  }, 240_000);

  afterAll(() => rmSync(bundle, { force: true }));

  it(`runs ${COUNT} inputs with no crash and no hang`, () => {
    expect(summary.inputs).toBe(COUNT);
    expect(summary.findings.filter((f) => f.kind === 'crash' || f.kind === 'hang').map((f) => `${f.signature} (input ${f.spec.index})`)).toEqual([]);
    expect(summary.crashes).toBe(0);
    expect(summary.hangs).toBe(0);
  });

  it('keeps every promise: errors reported with offsets inside the file, exit codes, finite numbers', () => {
    expect(summary.findings.filter((f) => f.kind === 'violation').map((f) => `${f.detail} (input ${f.spec.index})`)).toEqual([]);
  });

  it('holds memory bounded by input size', () => {
    expect(summary.memoryOverBound).toBe(0);
    expect(summary.maxRetained).toBeLessThan(memoryBound(8 * 1024 * 1024));
  });

  it('bites: many inputs stop at a reported error or carry packet warnings', () => {
    expect(summary.stoppedAtError).toBeGreaterThan(COUNT / 10);
    expect(summary.withWarnings).toBeGreaterThan(COUNT / 20);
    expect(summary.synthInputs).toBeGreaterThan(0);
  });
});
