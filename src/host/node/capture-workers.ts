/**
 * The capture split's host (docs/decisions/0015-parallel-analysis.md, "Capture
 * split: built"): N worker threads (dist/analyze-worker.js in its capture
 * mode) each read a contiguous share of the session's capture files with the
 * whole per-capture pipeline; this thread merges the shares in capture order
 * (src/session/parallel/capture-split.ts) and the session goes on as after
 * run(). The output is the single-threaded one, byte for byte; when a worker
 * fails, or the shares cannot be merged exactly, the session is analysed again
 * on one thread and stderr says why.
 */
import { Worker } from 'node:worker_threads';
import type { AnalysisSession } from '../../session/analysis-session.js';
import { readableTwice } from './analyze-workers.js';
import { captureShares, mergeRefusal, mergeShares, readShare, type CaptureWorkOptions, type ShareState } from '../../session/parallel/capture-split.js';
import type { FlowWorkOptions } from '../../session/parallel/flow-handoff.js';
import { LIMITS } from '../../capture/types.js';

/** What a capture worker is started with (workerData). */
export interface CaptureWorkerData {
  /** The session's capture files, in session order (only the share's are opened). */
  files: string[];
  /** The capture indexes this worker reads, ascending and contiguous. */
  share: number[];
  options: CaptureWorkOptions;
}

/** What a capture worker posts: bytes of its share read so far, its share when done, or why it failed. */
export type CaptureWorkerMessage =
  | { kind: 'progress'; bytes: number }
  /** One state a capture, in order. */
  | { kind: 'share'; states: ShareState[] }
  | { kind: 'error'; message: string };

class CaptureWorkerFailure extends Error {}

/**
 * Reads `session` (not run yet; two or more captures, all regular files:
 * `files`) with up to `threads` capture workers. `options`: what crosses to
 * the workers (flowWorkOptions of the session's options).
 */
export async function runWithCaptureWorkers(session: AnalysisSession, files: string[], options: FlowWorkOptions, workerPath: string,
  threads: number, stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<AnalysisSession> {
  // A pipe or a device is read on one thread (the session holds it open already).
  if (!files.every(readableTwice)) return session.run();
  const shares = captureShares(session.sources.map((s) => s.size), threads);
  const trace = Boolean(process.env['OVERLAYSCOPE_TRACE_THREADS']);
  if (trace) stderr(`overlayscope: captures read by ${shares.length} threads (capture split: ${shares.map((s) => s.length).join(' + ')} captures; this thread reads the first share)\n`);
  let states: ShareState[][];
  const t0 = performance.now();
  const finished: number[] = [];
  try {
    states = await readShares(session, files, shares, { ...options, capturePoints: session.sources.length }, workerPath, (k) => { finished[k] = performance.now(); });
  } catch (e) {
    if (!(e instanceof CaptureWorkerFailure)) throw e;
    stderr(`overlayscope: ${e.message}; analysing on one thread\n`);
    return session.fresh().run();
  }
  const m0 = performance.now();
  const all = states.flat();
  const refusal = mergeRefusal(all, session.options.maxFlows ?? LIMITS.maxFlows);
  if (refusal) {
    stderr(`overlayscope: the capture split cannot be merged exactly (${refusal}); analysing on one thread\n`);
    return session.fresh().run();
  }
  await session.runElsewhere(async () => mergeShares(session, all));
  if (trace) {
    const s = (t: number): string => ((t - t0) / 1000).toFixed(3);
    stderr(`overlayscope: threads: capture threads finished at ${finished.map(s).join(', ')} s, merged in ${(performance.now() - m0).toFixed(1)} ms\n`);
  }
  return session;
}

/**
 * Reads the first share on this thread (its states need no copy, and it saves
 * a worker: `threads` counts this one) and starts one worker for each other
 * share; collects the shares in order. Every worker is ended, and this
 * thread's reading cancelled, when this returns or throws.
 */
async function readShares(session: AnalysisSession, files: string[], shares: number[][], options: CaptureWorkOptions, workerPath: string,
  done: (k: number) => void): Promise<ShareState[][]> {
  const total = session.sources.reduce((a, s) => a + s.size, 0);
  const onProgress = session.options.onProgress;
  const progress = shares.map(() => 0);
  const workers: Worker[] = [];
  const here = new AbortController();
  try {
    const results = shares.map((share, k) => k === 0 ? readShare(session.sources, share, { ...options, signal: here.signal }, (bytes) => {
      progress[0] = bytes;
      onProgress?.(progress.reduce((a, b) => a + b, 0), total, share[0]!);
    }).then((s) => { done(0); return s; }) : new Promise<ShareState[]>((resolve, reject) => {
      const data: CaptureWorkerData = { files, share, options };
      const w = new Worker(workerPath, { workerData: data });
      workers.push(w);
      let settled = false;
      const fail = (why: string): void => { if (!settled) { settled = true; reject(new CaptureWorkerFailure(`a capture worker failed: ${why}`)); } };
      w.on('message', (m: CaptureWorkerMessage) => {
        if (m.kind === 'progress') {
          progress[k] = m.bytes;
          onProgress?.(progress.reduce((a, b) => a + b, 0), total, share[0]!);
        } else if (m.kind === 'share') {
          settled = true;
          done(k);
          resolve(m.states);
        } else fail(m.message);
      });
      w.on('error', (e) => fail(e.message));
      w.on('exit', (code) => fail(`it stopped (exit code ${code}) before it finished`));
    }));
    // The first failure ends the wait (the others are ended below).
    const out = await Promise.all(results);
    out.forEach((s, k) => {
      if (s.length !== shares[k]!.length) throw new CaptureWorkerFailure(`a capture worker read ${s.length} of its ${shares[k]!.length} captures`);
    });
    return out;
  } finally {
    here.abort();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
