/**
 * tshark, the reference, run once per test run for a given question: its
 * output kept on disk under node_modules/.cache/overlayscope-tshark/ (never
 * committed; `npm ci` starts it empty), keyed by the tshark version, the
 * exact arguments and the SHA-256 of the capture and of every other file
 * whose content decides the answer (a Lua script, a list of filters). Test
 * files run in separate processes: when two ask the same question at once,
 * one runs tshark (holding a lock file) and the other waits for its answer.
 * OVERLAYSCOPE_TSHARK_CACHE=0 runs tshark every time (nothing read or written).
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './corpus.js';

/** tshark's version line ("TShark (Wireshark) 4.0.17 (...)"), null where tshark is absent. */
export const tsharkVersion: string | null = (() => {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : null;
})();
export const tsharkPresent = tsharkVersion !== null;

export const TSHARK_CACHE = path.join(ROOT, 'node_modules', '.cache', 'overlayscope-tshark');
const cacheOn = process.env['OVERLAYSCOPE_TSHARK_CACHE'] !== '0';

export interface TsharkRun {
  /** tshark's exit status (2: the file was cut short, after printing every frame it read). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Whether this answer came from the cache (a run by an earlier test or test file). */
  cached: boolean;
}

export interface TsharkOptions {
  /** Files besides the capture whose content decides the output (a Lua script, a filter list); their paths may appear in args or env. */
  inputs?: string[];
  /** Environment added to the process's. */
  env?: Record<string, string>;
  timeoutMs?: number;
  maxBuffer?: number;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const fileHashes = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/** SHA-256 of a file's bytes (remembered per process while its size and mtime stay). */
export function fileSha256(file: string): string {
  const st = statSync(file);
  const known = fileHashes.get(file);
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.hash;
  const hash = sha256(readFileSync(file));
  fileHashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, hash });
  return hash;
}

/** The cache key: version, arguments and environment with every named file's path replaced by its content's hash. */
export function tsharkKey(args: string[], files: string[], env: Record<string, string> = {}): string {
  const named = [...new Set(files)].sort((a, b) => b.length - a.length).map((f) => [f, `sha256:${fileSha256(f)}`] as const);
  const subst = (s: string): string => named.reduce((acc, [f, h]) => acc.split(f).join(h), s);
  return sha256(JSON.stringify({ version: tsharkVersion, args: args.map(subst), env: Object.entries(env).sort().map(([k, v]) => [k, subst(v)]) }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const memo = new Map<string, Promise<TsharkRun>>();

function readCached(file: string): TsharkRun | null {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Omit<TsharkRun, 'cached'>;
    return { ...j, cached: true };
  } catch {
    return null;
  }
}

function spawnTshark(args: string[], opts: TsharkOptions): Promise<Omit<TsharkRun, 'cached'>> {
  return new Promise((resolve, reject) => {
    execFile('tshark', args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 180_000, maxBuffer: opts.maxBuffer ?? 512 * 1024 * 1024, env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) => {
        const e = err as (Error & { killed?: boolean; code?: unknown; signal?: string | null }) | null;
        if (e && (e.killed || e.signal)) { reject(new Error(`tshark ${args.join(' ')}: ${e.killed ? 'timed out' : `killed by ${e.signal}`}`)); return; }
        if (e && typeof e.code !== 'number') { reject(e); return; }
        resolve({ status: e ? Number(e.code) : 0, stdout, stderr });
      });
  });
}

/**
 * `tshark ARGS` (ARGS name the capture `file`, e.g. ['-n', '-r', file, ...]),
 * answered from the cache when the same tshark asked the same of the same bytes
 * before. A run that timed out or was killed is an error, and is not kept.
 */
export function tsharkRun(file: string, args: string[], opts: TsharkOptions = {}): Promise<TsharkRun> {
  if (!tsharkPresent) return Promise.reject(new Error('tshark is not on PATH'));
  const key = tsharkKey(args, [file, ...(opts.inputs ?? [])], opts.env);
  let p = memo.get(key);
  if (!p) {
    p = cacheOn ? cachedRun(key, args, opts) : spawnTshark(args, opts).then((r) => ({ ...r, cached: false }));
    memo.set(key, p);
  }
  return p;
}

async function cachedRun(key: string, args: string[], opts: TsharkOptions): Promise<TsharkRun> {
  mkdirSync(TSHARK_CACHE, { recursive: true });
  const out = path.join(TSHARK_CACHE, `${key}.json`);
  const lock = path.join(TSHARK_CACHE, `${key}.lock`);
  const patience = (opts.timeoutMs ?? 180_000) + 30_000;
  const waitUntil = Date.now() + patience;
  for (let attempt = 0; attempt < patience / 100 + 10; attempt++) {
    const hit = readCached(out);
    if (hit) return hit;
    let fd = -1;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Another test file is asking tshark the same: wait for its answer (a lock older than the wait is a run that died: take over).
      let age = 0;
      try { age = Date.now() - statSync(lock).mtimeMs; } catch { continue; }
      if (Date.now() < waitUntil && age < patience) { await sleep(100); continue; }
      try { unlinkSync(lock); } catch { /* gone already */ }
      continue;
    }
    closeSync(fd);
    try {
      const r = await spawnTshark(args, opts);
      const tmp = `${out}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(r));
      renameSync(tmp, out);
      return { ...r, cached: false };
    } finally {
      try { unlinkSync(lock); } catch { /* removed by a waiter that took over */ }
    }
  }
  // Never got the lock nor an answer: ask tshark here.
  return { ...(await spawnTshark(args, opts)), cached: false };
}
