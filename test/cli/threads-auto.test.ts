/**
 * `analyze --threads auto`, the CLI's default (decision 0015 §9, docs/cli.md):
 * the capture split on min(cores, 4) threads for two or more plain captures of
 * 768 MiB or more, else one thread; the output the one-thread output byte for
 * byte either way. Real files: the lab session (small: one thread) and ten
 * hard links of a generated 100 k-packet capture (~830 MB: the split).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANALYSIS_THREADS, autoThreads } from '../../src/api.js';
import { fixturePath, ROOT } from '../helpers/corpus.js';
import { overlayPoints } from '../helpers/overlay-points.js';

const bin = path.join(ROOT, 'dist/cli.js');
const built = existsSync(bin) && existsSync(path.join(ROOT, 'dist/analyze-worker.js'));
if (!built) console.warn('SKIPPED: --threads auto through the CLI needs dist/cli.js and dist/analyze-worker.js (npm test builds them)');
const LAB = fixturePath('lab', 'captures', 'nginx-proxy');
const lab = readdirSync(LAB).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(LAB, f));
const MiB = 2 ** 20;

function analyze(files: string[], threads: string[], out: string): string {
  const r = spawnSync(process.execPath, [bin, 'analyze', ...files, ...threads, '--format', 'json', '--out', out],
    { encoding: 'utf8', timeout: 300_000, env: { ...process.env, OVERLAYSCOPE_TRACE_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`analyze exited ${r.status}: ${r.stderr}`);
  return r.stderr;
}

describe('autoThreads', () => {
  it('one thread for one capture, or for a session under the bound; min(cores, 4) from the bound up', () => {
    expect(ANALYSIS_THREADS.autoMinBytes).toBe(768 * MiB);
    expect(autoThreads([2000 * MiB], 8)).toBe(1);
    expect(autoThreads([400 * MiB, 367 * MiB], 8)).toBe(1);
    expect(autoThreads([400 * MiB, 368 * MiB], 8)).toBe(4);
    expect(autoThreads([400 * MiB, 368 * MiB], 2)).toBe(2);
    expect(autoThreads(Array(14).fill(120 * MiB), 16)).toBe(4);
    expect(autoThreads(Array(14).fill(120 * MiB), 1)).toBe(1);
    expect(autoThreads([], 8)).toBe(1);
  });
});

describe.skipIf(!built)('analyze --threads auto (the default)', () => {
  it('the lab session (1.3 MB) is read on one thread; auto, the default and --threads 1 give the same bytes', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-auto-'));
    try {
      const outs = ['default', 'auto', 'one'].map((k) => path.join(dir, `${k}.json`));
      expect(analyze(lab, [], outs[0]!)).toContain('--threads auto: 1 thread\n');
      expect(analyze(lab, ['--threads', 'auto'], outs[1]!)).toContain('--threads auto: 1 thread\n');
      expect(analyze(lab, ['--threads', '1'], outs[2]!)).not.toContain('--threads auto');
      const one = readFileSync(outs[2]!);
      expect(readFileSync(outs[0]!).equals(one)).toBe(true);
      expect(readFileSync(outs[1]!).equals(one)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('ten captures of ~83 MB (830 MB): the capture split on min(cores, 4) threads, the same bytes as one thread', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-auto-big-'));
    try {
      const points = overlayPoints(dir, 10);
      const cores = Math.min(os.availableParallelism(), ANALYSIS_THREADS.autoMax);
      const err = analyze(points, [], path.join(dir, 'auto.json'));
      expect(err).toContain(`--threads auto: ${cores} thread${cores > 1 ? 's' : ''}\n`);
      if (cores > 1) expect(err).toMatch(/captures read by \d threads \(capture split/);
      analyze(points, ['--threads', '1'], path.join(dir, 'one.json'));
      expect(readFileSync(path.join(dir, 'auto.json')).equals(readFileSync(path.join(dir, 'one.json')))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
