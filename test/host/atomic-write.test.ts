/**
 * No lost work: a writer killed at any moment leaves the target holding the
 * previous complete version or the new complete one, never a part; an export
 * never overwrites a capture being read.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/host/node/atomic-write.js';
import { Rng } from '../fuzz/lib/rng.js';
import { ROOT } from '../helpers/corpus.js';

const SIZE = 16 * 1024 * 1024;
const bundleDir = path.join(ROOT, 'dist');
const bundle = path.join(bundleDir, `atomic-writer-${process.pid}.mjs`);
let tmp: string;

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'test/host/atomic-writer-child.ts')], outfile: bundle, bundle: true,
    platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  });
  // On the project's disk (not a tmpfs), so the write and its fsync take real time.
  mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  tmp = mkdtempSync(path.join(ROOT, 'test-artifacts', 'atomic-'));
});

afterAll(() => {
  rmSync(bundle, { force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** What the target holds: the fill byte of one complete version, or 'partial'. */
function versionOf(file: string): number | 'partial' | 'absent' {
  if (!existsSync(file)) return 'absent';
  const b = readFileSync(file);
  const v = b[0]!;
  if (b.length !== SIZE + v * 4096) return 'partial';
  for (let i = 0; i < b.length; i += 1) if (b[i] !== v) return 'partial';
  return v;
}

/** Runs a writer of version `v` and SIGKILLs it `delayMs` after it says it started (or lets it finish). */
function writeAndKill(target: string, v: number, delayMs: number): Promise<{ how: 'killed' | 'finished'; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, target, String(SIZE + v * 4096), String(v)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let timer: NodeJS.Timeout | null = null;
    let started = 0;
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('start') && timer === null) {
        started = performance.now();
        timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const ms = performance.now() - started;
      if (signal === 'SIGKILL') resolve({ how: 'killed', ms });
      else if (code === 0) resolve({ how: 'finished', ms });
      else reject(new Error(`writer exited ${code}: ${err}`));
    });
  });
}

describe('writeFileAtomic under SIGKILL', () => {
  it('leaves the old or the new complete version, never a part, whenever the writer dies', async () => {
    const target = path.join(tmp, 'settings.json');
    writeFileSync(target, new Uint8Array(SIZE + 1 * 4096).fill(1));
    // How long one write takes here (from "start" to exit), to spread the kills over it.
    const first = await writeAndKill(target, 2, 60_000);
    expect(first.how).toBe('finished');
    const writeMs = first.ms;
    expect(versionOf(target)).toBe(2);
    const rng = new Rng(8);
    let current = 2;
    const seen = { old: 0, new: 0, killed: 0 };
    for (let round = 0; round < 16; round++) {
      const v = current === 250 ? 3 : current + 1;
      const delay = rng.int(0, Math.max(5, Math.round(writeMs * 1.2)));
      const { how } = await writeAndKill(target, v, delay);
      if (how === 'killed') seen.killed++;
      const now = versionOf(target);
      expect([current, v], `round ${round}: killed after ${delay} ms of a ~${writeMs.toFixed(0)} ms write`).toContain(now);
      if (now === v) { seen.new++; current = v; } else seen.old++;
    }
    // Kills landed before the rename (old kept) and some writes completed.
    expect(seen.killed).toBeGreaterThan(0);
    expect(seen.old).toBeGreaterThan(0);
    console.log(`atomic write kill test: ${seen.killed} of 16 writers killed; target kept the old version ${seen.old} times, held the new one ${seen.new} times, never a part (one write ≈ ${writeMs.toFixed(0)} ms); temp files left by killed writers: ${readdirSync(tmp).filter((f) => f.endsWith('.tmp')).length}`);
    // The next write clears what the killed writers left behind.
    await writeFileAtomic(target, 'final');
    expect(readdirSync(tmp).filter((f) => f.startsWith('.settings.json.') && f.endsWith('.tmp'))).toEqual([]);
  }, 180_000);
});

describe('exports never overwrite a capture being read', () => {
  it('writeFileAtomic refuses a target that is a protected capture, by path or through a symlink', async () => {
    const cap = path.join(tmp, 'capture.pcap');
    writeFileSync(cap, 'capture bytes');
    const link = path.join(tmp, 'link.pcap');
    symlinkSync(cap, link);
    await expect(writeFileAtomic(cap, 'report', [cap])).rejects.toThrow(/refusing to overwrite a capture/);
    await expect(writeFileAtomic(link, 'report', [cap])).rejects.toThrow(/refusing to overwrite a capture/);
    await expect(writeFileAtomic(path.join(tmp, '.', 'capture.pcap'), 'report', [link])).rejects.toThrow(/refusing to overwrite a capture/);
    expect(readFileSync(cap, 'utf8')).toBe('capture bytes');
  });
});
