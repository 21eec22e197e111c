/**
 * The fuzz loop. The parent makes each input (deterministic from seed and
 * index), hands it to a child process that runs it through the analysis, and
 * times it: a child that does not answer within the bound is killed and the
 * input counted as a hang; a child that dies (out of memory, abort) is a
 * crash, as is any exception. Crashes, hangs and broken invariants are
 * minimised (byte-range deletion, then zeroing) and kept as fixtures.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mutate, type MutationContext } from './mutators.js';
import { mutateContainer, toolPool, wrap, WRAP_KINDS, type ContainerSeed } from './containers.js';
import { Rng, hash32 } from './rng.js';
import { collectEther, synthCapture, SYNTH_KINDS, type SeedFrames } from './synth.js';
import type { RunResult } from './harness.js';

export interface FuzzOptions {
  seed: number;
  count: number;
  /** Stop making new inputs after this many seconds (0: no limit). */
  timeLimitSec: number;
  jobs: number;
  /** An input taking longer than this is a hang. */
  timeoutMs: number;
  /** The bundled child entry (dist/fuzz.js): forked with `--child`. */
  childScript: string;
  seedDirs: string[];
  /** Editcap -E error rates for the pre-made pool (empty: no editcap). */
  editcapRates: number[];
  /** Where to keep minimised findings (null: do not keep). */
  crashersDir: string | null;
  minimise: boolean;
  log: (s: string) => void;
}

export interface InputSpec {
  index: number;
  name: string;
  base: string;
  ops: string[];
  chunkSize: number;
  bytes: Uint8Array;
}

export type Outcome =
  | { kind: 'ok'; result: RunResult; ms: number; cpuMs: number; retained: number; grown: number }
  | { kind: 'crash'; message: string; stack: string }
  | { kind: 'hang'; ms: number };

export interface Finding {
  kind: 'crash' | 'hang' | 'violation' | 'memory';
  signature: string;
  detail: string;
  spec: Omit<InputSpec, 'bytes'> & { size: number };
  saved?: string;
}

export interface FuzzSummary {
  seed: number;
  inputs: number;
  editcapInputs: number;
  synthInputs: number;
  crashes: number;
  hangs: number;
  violations: number;
  memoryOverBound: number;
  /** Inputs whose reading stopped at an error (file-level), and inputs with packet-level warnings. */
  stoppedAtError: number;
  withWarnings: number;
  /** CPU time of the slowest input (the machine may be shared: wall time is reported beside it). */
  maxMs: number;
  maxMsInput: string;
  maxWallMs: number;
  maxRetained: number;
  maxRetainedInput: string;
  maxGrown: number;
  /** Largest retained memory divided by input size (inputs over 64 KB). */
  maxRetainedRatio: number;
  wallSec: number;
  findings: Finding[];
}

/** Memory an input may keep: a fixed allowance plus a multiple of its size. */
export function memoryBound(size: number): number {
  return 16 * 1024 * 1024 + 24 * size;
}

interface Seed { name: string; bytes: Uint8Array }

export function loadSeeds(dirs: readonly string[]): Seed[] {
  const out: Seed[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 4 || !existsSync(d)) return;
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (/\.(pcap|pcapng|cap)$/i.test(e) && st.size > 0 && st.size <= 8 * 1024 * 1024) out.push({ name: e, bytes: new Uint8Array(readFileSync(p)) });
    }
  };
  for (const d of dirs) walk(d, 0);
  return out;
}

/** Runs editcap -E over every seed at each rate (deterministic --seed); keeps what editcap could write. */
export function editcapPool(seeds: readonly Seed[], rates: readonly number[], seed: number, dirs: readonly string[]): Seed[] {
  if (!rates.length) return [];
  const probe = spawnSync('editcap', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-editcap-'));
  const out: Seed[] = [];
  try {
    seeds.forEach((s, i) => {
      const src = findSeedPath(dirs, s.name);
      if (!src) return;
      for (const rate of rates) {
        const dst = path.join(tmp, `${i}-${rate}-${s.name}`);
        const r = spawnSync('editcap', ['-E', String(rate), '--seed', String(hash32(seed, i * 131 + Math.round(rate * 1e6))), src, dst], { encoding: 'utf8', timeout: 30_000 });
        if (r.status === 0 && existsSync(dst)) out.push({ name: `editcap-E${rate}:${s.name}`, bytes: new Uint8Array(readFileSync(dst)) });
      }
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

function findSeedPath(dirs: readonly string[], name: string): string | null {
  const walk = (d: string, depth: number): string | null => {
    if (depth > 4 || !existsSync(d)) return null;
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (e === name && statSync(p).isFile()) return p;
      if (statSync(p).isDirectory()) { const r = walk(p, depth + 1); if (r) return r; }
    }
    return null;
  };
  for (const d of dirs) { const r = walk(d, 0); if (r) return r; }
  return null;
}

export class InputMaker {
  private readonly frames: SeedFrames;
  private readonly ctx: MutationContext;

  /** Seeds small enough to wrap in containers (each input stays quick). */
  private readonly small: readonly Seed[];

  constructor(private readonly seed: number, private readonly seeds: readonly Seed[], private readonly pool: readonly Seed[],
    /** Archives made by the real tools (containers.ts toolPool); empty: containers are made in-process only. */
    private readonly tools: readonly ContainerSeed[] = []) {
    this.frames = collectEther(seeds.map((s) => s.bytes));
    this.ctx = { frames: this.frames.ether };
    this.small = seeds.filter((s) => s.bytes.length <= 256 * 1024);
  }

  make(index: number): InputSpec {
    const rng = Rng.forInput(this.seed, index);
    const r = rng.float();
    let bytes: Uint8Array;
    let base: string;
    let ops: string[] = [];
    if (r >= 0.85 && this.small.length) {
      // Containers (issue #16): a capture wrapped in gzip/tar/zip, or a real tool's archive, often mutated at the container's level.
      if (this.tools.length && rng.chance(0.35)) {
        const t = rng.pick(this.tools);
        base = t.name;
        ({ bytes, ops } = rng.chance(0.85) ? mutateContainer(t.bytes, rng, rng.int(1, 3)) : { bytes: t.bytes.slice(), ops: [] });
      } else {
        const kind = rng.pick(WRAP_KINDS);
        const inner: Uint8Array[] = [];
        const names: string[] = [];
        for (let k = kind === 'gzip' || kind === 'gzip-members' || kind === 'hostile-tar' ? 1 : rng.int(1, 2); k > 0; k--) {
          const s = rng.pick(this.small);
          names.push(s.name);
          if (rng.chance(0.4)) {
            const m = mutate(s.bytes, rng, 1, this.ctx);
            inner.push(m.bytes);
            ops.push(...m.ops);
          } else inner.push(s.bytes);
        }
        base = `${kind}:${names.join('+')}`;
        bytes = wrap(kind, inner, rng);
        if (rng.chance(0.5)) {
          const m = mutateContainer(bytes, rng, rng.int(1, 2));
          bytes = m.bytes;
          ops.push(...m.ops);
        }
      }
    } else if (r < 0.1 || this.seeds.length === 0) {
      const kind = rng.pick(SYNTH_KINDS);
      bytes = synthCapture(kind, this.frames, rng);
      base = `synth:${kind}`;
      if (rng.chance(0.3)) ({ bytes, ops } = mutate(bytes, rng, 1, this.ctx));
    } else if (r < 0.3 && this.pool.length) {
      const s = rng.pick(this.pool);
      base = s.name;
      bytes = s.bytes;
      if (rng.chance(0.4)) ({ bytes, ops } = mutate(bytes, rng, 1, this.ctx));
      else bytes = bytes.slice();
    } else {
      const s = rng.pick(this.seeds);
      base = s.name;
      ({ bytes, ops } = mutate(s.bytes, rng, rng.pick([1, 1, 1, 2, 2, 3]), this.ctx));
    }
    const cr = rng.float();
    let chunkSize = 0;
    if (cr < 0.15 && bytes.length < 64 * 1024) chunkSize = rng.pick([1, 3]);
    else if (cr < 0.3 && bytes.length < 2 * 1024 * 1024) chunkSize = rng.pick([17, 64, 511]);
    else if (cr < 0.45) chunkSize = rng.pick([4093, 65536]);
    return { index, name: `${base}#${index}`, base, ops, chunkSize, bytes };
  }
}

/** The real tools' archives of the first seed between 20 and 200 KB (in seed order: the same every run). */
export function containerTools(seeds: readonly Seed[]): ContainerSeed[] {
  const s = seeds.find((x) => x.bytes.length >= 20 * 1024 && x.bytes.length <= 200 * 1024);
  return s ? toolPool(s.bytes) : [];
}

/** A child process that runs inputs one at a time. */
export class Worker {
  private child!: ChildProcess;
  private pending: { resolve: (o: Outcome) => void; timer: NodeJS.Timeout; started: number } | null = null;
  exited = false;

  constructor(private readonly script: string) {
    this.spawn();
  }

  private spawn(): ChildProcess {
    const c = fork(this.script, ['--child'], {
      execArgv: ['--enable-source-maps', '--expose-gc', '--max-old-space-size=1024', '--stack-size=984'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    c.on('message', (m: unknown) => {
      // A child killed for a hang may still speak or exit after its successor started: ignore it.
      if (c !== this.child) return;
      const msg = m as { ok: boolean; result?: RunResult; ms?: number; cpuMs?: number; retained?: number; grown?: number; message?: string; stack?: string };
      const p = this.pending;
      if (!p) return;
      this.pending = null;
      clearTimeout(p.timer);
      if (msg.ok) p.resolve({ kind: 'ok', result: msg.result!, ms: msg.ms!, cpuMs: msg.cpuMs!, retained: msg.retained!, grown: msg.grown! });
      else p.resolve({ kind: 'crash', message: msg.message ?? 'unknown error', stack: msg.stack ?? '' });
    });
    c.on('exit', (code, signal) => {
      if (c !== this.child) return;
      this.exited = true;
      const p = this.pending;
      if (!p) return;
      this.pending = null;
      clearTimeout(p.timer);
      const oom = /heap out of memory|Allocation failed/i.test(stderr);
      p.resolve({ kind: 'crash', message: oom ? 'child ran out of memory' : `child died (exit ${code}, signal ${signal})`, stack: stderr.split('\n').slice(-12).join('\n') });
    });
    this.exited = false;
    this.child = c;
    return c;
  }

  run(bytes: Uint8Array, name: string, chunkSize: number, timeoutMs: number): Promise<Outcome> {
    if (this.exited) this.spawn();
    return new Promise((resolve) => {
      const started = Date.now();
      const timer = setTimeout(() => {
        if (!this.pending) return;
        this.pending = null;
        this.child.kill('SIGKILL');
        this.exited = true;
        resolve({ kind: 'hang', ms: Date.now() - started });
      }, timeoutMs);
      this.pending = { resolve, timer, started };
      this.child.send({ bytes, name, chunkSize });
    });
  }

  close(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** A stable name for what went wrong, so minimisation keeps the same bug. */
export function signatureOf(o: Outcome): string | null {
  if (o.kind === 'hang') return 'hang';
  if (o.kind === 'crash') {
    const frame = o.stack.split('\n').find((l) => /src\/|\.ts:/.test(l))?.trim().replace(/:\d+:\d+\)?$/, '') ?? '';
    return `crash: ${normalise(o.message)} @ ${frame}`;
  }
  if (o.result.violations.length) return `violation: ${normalise(o.result.violations[0]!)}`;
  return null;
}

function normalise(s: string): string {
  return s.replace(/\d+/g, 'N').replace(/#N/g, '').slice(0, 200);
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const t0 = Date.now();
  const seeds = loadSeeds(opts.seedDirs);
  const pool = editcapPool(seeds, opts.editcapRates, opts.seed, opts.seedDirs);
  opts.log(`fuzz: ${seeds.length} seed captures, ${pool.length} editcap -E variants (rates ${opts.editcapRates.join(', ') || 'none'}), ${opts.jobs} workers, ${opts.timeoutMs} ms per input`);
  const tools = containerTools(seeds);
  opts.log(`fuzz: ${tools.length} archives made by tar/zip/python (${tools.map((t) => t.name).join(', ') || 'none'}) seed the container inputs`);
  const maker = new InputMaker(opts.seed, seeds, pool, tools);
  const workers = Array.from({ length: opts.jobs }, () => new Worker(opts.childScript));
  const s: FuzzSummary = {
    seed: opts.seed, inputs: 0, editcapInputs: 0, synthInputs: 0, crashes: 0, hangs: 0, violations: 0, memoryOverBound: 0, stoppedAtError: 0, withWarnings: 0,
    maxMs: 0, maxMsInput: '', maxWallMs: 0, maxRetained: 0, maxRetainedInput: '', maxGrown: 0, maxRetainedRatio: 0, wallSec: 0, findings: [],
  };
  const firstBySig = new Map<string, InputSpec>();
  let next = 0;
  const deadline = opts.timeLimitSec > 0 ? t0 + opts.timeLimitSec * 1000 : Infinity;
  let lastLog = Date.now();
  const loop = async (w: Worker): Promise<void> => {
    while (next < opts.count && Date.now() < deadline) {
      const spec = maker.make(next++);
      const o = await w.run(spec.bytes, spec.name, spec.chunkSize, opts.timeoutMs);
      s.inputs++;
      if (spec.base.startsWith('editcap')) s.editcapInputs++;
      if (spec.base.startsWith('synth')) s.synthInputs++;
      const sig = signatureOf(o);
      const meta = { index: spec.index, name: spec.name, base: spec.base, ops: spec.ops, chunkSize: spec.chunkSize, size: spec.bytes.length };
      if (o.kind === 'ok') {
        if (o.cpuMs > s.maxMs) { s.maxMs = o.cpuMs; s.maxMsInput = `${spec.name} (${spec.bytes.length} bytes)`; }
        if (o.ms > s.maxWallMs) s.maxWallMs = o.ms;
        if (o.retained > s.maxRetained) { s.maxRetained = o.retained; s.maxRetainedInput = `${spec.name} (${spec.bytes.length} bytes)`; }
        if (o.grown > s.maxGrown) s.maxGrown = o.grown;
        if (spec.bytes.length >= 65536) s.maxRetainedRatio = Math.max(s.maxRetainedRatio, o.retained / spec.bytes.length);
        if (o.retained > memoryBound(spec.bytes.length)) {
          s.memoryOverBound++;
          s.findings.push({ kind: 'memory', signature: 'memory', detail: `retained ${o.retained} bytes for ${spec.bytes.length} input bytes`, spec: meta });
        }
        if (o.result.violations.length) s.violations++;
        if (o.result.errors > 0) s.stoppedAtError++;
        if (o.result.issues > o.result.errors) s.withWarnings++;
      } else if (o.kind === 'crash') s.crashes++;
      else s.hangs++;
      if (sig) {
        if (!firstBySig.has(sig)) {
          firstBySig.set(sig, spec);
          const detail = o.kind === 'crash' ? `${o.message}\n${o.stack}` : o.kind === 'hang' ? `no answer in ${o.ms} ms` : o.result.violations.join('\n');
          s.findings.push({ kind: o.kind === 'ok' ? 'violation' : o.kind, signature: sig, detail, spec: meta });
          opts.log(`  FOUND ${sig}\n    input ${spec.name} ops [${spec.ops.join(', ')}] chunk ${spec.chunkSize || 'default'} size ${spec.bytes.length}`);
        }
      }
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        opts.log(`  ... ${s.inputs} inputs, ${s.crashes} crashes, ${s.hangs} hangs, ${s.violations} violations, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
    }
  };
  try {
    await Promise.all(workers.map(loop));
    if (opts.minimise && opts.crashersDir) {
      for (const f of s.findings) {
        if (f.kind === 'memory') continue;
        const spec = firstBySig.get(f.signature);
        if (!spec) continue;
        const min = await minimise(workers[0]!, spec, f.signature, opts);
        f.saved = saveCrasher(opts.crashersDir, min, f, opts.seed);
        opts.log(`  kept ${path.basename(f.saved)} (${spec.bytes.length} → ${min.length} bytes)`);
      }
    }
  } finally {
    for (const w of workers) w.close();
  }
  s.wallSec = (Date.now() - t0) / 1000;
  return s;
}

/** Byte-range deletion (halving), then zeroing, keeping the signature. Bounded in tries and time. */
export async function minimise(w: Worker, spec: InputSpec, sig: string, opts: FuzzOptions): Promise<Uint8Array> {
  const timeout = opts.timeoutMs;
  const maxTries = sig === 'hang' ? 8 : 1500;
  const until = Date.now() + (sig === 'hang' ? 300_000 : 120_000);
  let tries = 0;
  const same = async (b: Uint8Array): Promise<boolean> => {
    tries++;
    return signatureOf(await w.run(b, spec.name, spec.chunkSize, timeout)) === sig;
  };
  let cur = spec.bytes;
  let chunk = Math.max(1, Math.floor(cur.length / 2));
  while (chunk >= 1 && tries < maxTries && Date.now() < until) {
    let changed = false;
    for (let i = 0; i < cur.length && tries < maxTries && Date.now() < until;) {
      const cand = new Uint8Array(cur.length - Math.min(chunk, cur.length - i));
      cand.set(cur.subarray(0, i));
      cand.set(cur.subarray(i + chunk), i);
      if (cand.length > 0 && await same(cand)) { cur = cand; changed = true; } else i += chunk;
    }
    if (!changed) {
      if (chunk === 1) break;
      chunk = Math.floor(chunk / 2);
    }
  }
  if (cur.length <= 8192) {
    for (let i = 0; i < cur.length && tries < maxTries && Date.now() < until; i++) {
      if (cur[i] === 0) continue;
      const cand = cur.slice();
      cand[i] = 0;
      if (await same(cand)) cur = cand;
    }
  }
  return cur;
}

function extOf(b: Uint8Array): string {
  if (b.length >= 4) {
    const le = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    if (le === 0x0a0d0d0a) return 'pcapng';
    if ([0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34, 0xd4c3b2a1, 0x4d3cb2a1, 0x34cdb2a1].includes(le)) return 'pcap';
  }
  return 'bin';
}

export function saveCrasher(dir: string, bytes: Uint8Array, f: Finding, seed: number): string {
  mkdirSync(dir, { recursive: true });
  const h = createHash('sha256').update(f.signature).digest('hex').slice(0, 10);
  const slug = f.signature.replace(/^(crash|violation): /, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40).replace(/-+$/, '');
  const base = `${f.kind}-${slug || f.kind}-${h}`;
  const file = path.join(dir, `${base}.${extOf(bytes)}`);
  writeFileSync(file, bytes);
  writeFileSync(path.join(dir, `${base}.json`), JSON.stringify({
    file: path.basename(file),
    kind: f.kind,
    triggered: f.signature,
    detail: f.detail.split('\n').slice(0, 8).join('\n'),
    found: { seed, input: f.spec.index, base: f.spec.base, ops: f.spec.ops, chunkSize: f.spec.chunkSize, size: f.spec.size },
    minimisedSize: bytes.length,
  }, null, 2) + '\n');
  return file;
}

export function formatSummary(s: FuzzSummary): string {
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  return `fuzz summary: seed ${s.seed}: ${s.inputs} inputs (${s.editcapInputs} editcap -E, ${s.synthInputs} synthetic), `
    + `crashes ${s.crashes}, hangs ${s.hangs}, violations ${s.violations}, memory over bound ${s.memoryOverBound}, `
    + `(${s.stoppedAtError} stopped at a reported error, ${s.withWarnings} with packet warnings), `
    + `max time ${s.maxMs.toFixed(0)} ms CPU [${s.maxMsInput}] (${s.maxWallMs.toFixed(0)} ms max wall), max memory ${mb(s.maxRetained)} retained [${s.maxRetainedInput}] `
    + `(${mb(s.maxGrown)} max heap growth; ≤ ${s.maxRetainedRatio.toFixed(1)}× input size for inputs ≥ 64 KB), wall ${s.wallSec.toFixed(0)} s`;
}
