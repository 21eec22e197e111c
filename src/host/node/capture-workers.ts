/**
 * The capture split's host (docs/decisions/0015-parallel-analysis.md §7):
 * this thread reads the first share of the session's captures into the
 * session itself (AnalysisSession.runSplit: that prefix is what one thread
 * builds, nothing to merge), while worker threads (dist/analyze-worker.js in
 * its capture mode) each read a later contiguous share with the whole
 * per-capture pipeline and post each capture's state as soon as it is read;
 * this thread then appends the states in capture order as they arrive
 * (CaptureMerge, src/session/parallel/capture-split.ts), mostly while the
 * workers still read. The output is the single-threaded one, byte for byte;
 * when a worker fails, or a capture cannot be merged exactly, the session is
 * analysed again on one thread and stderr says why.
 */
import { Worker } from 'node:worker_threads';
import type { AnalysisSession } from '../../session/analysis-session.js';
import { readableTwice } from './analyze-workers.js';
import {
  appendInOrder, CaptureMerge, captureShares, CaptureSplitCancelled, MergeRefused, reserveSession, type CaptureWorkOptions, type ShareState,
} from '../../session/parallel/capture-split.js';
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

/** What a capture worker posts: bytes of its share read so far, each capture's state when it is read, or why it failed. */
export type CaptureWorkerMessage =
  | { kind: 'progress'; bytes: number }
  /** One capture's state (typed arrays moved), in capture order. */
  | { kind: 'capture'; state: ShareState }
  | { kind: 'error'; message: string };

/**
 * The merge's cost per byte of a merged capture relative to reading that byte
 * (captureShares' `mergeCost`): the first share, read by the thread that
 * merges, is made smaller by it. Measured on the 14-file bench session
 * (decision 0015 §7): ~0.05 s of merge per ~0.4 s capture.
 */
export const MERGE_COST = 0.12;

class CaptureWorkerFailure extends Error {}

/**
 * Reads `session` (not run yet; two or more captures, all regular files:
 * `files`) with up to `threads` threads: this one and capture workers.
 * `options`: what crosses to the workers (flowWorkOptions of the session's options).
 * `cancel` (the app's Cancel) stops every thread at once and keeps the captures
 * read in order, as one thread stopped there would (the browser host does the
 * same): the ones after are marked cancelled (not complete).
 */
export async function runWithCaptureWorkers(session: AnalysisSession, files: string[], options: FlowWorkOptions, workerPath: string,
  threads: number, stderr: (s: string) => void = (s) => process.stderr.write(s), cancel?: AbortSignal): Promise<AnalysisSession> {
  // A pipe or a device is read on one thread (the session holds it open already).
  if (!files.every(readableTwice)) return session.run();
  const n = session.sources.length;
  let held = n;
  const shares = captureShares(session.sources.map((s) => s.size), threads, MERGE_COST);
  const trace = Boolean(process.env['OVERLAYSCOPE_TRACE_THREADS']);
  if (trace) stderr(`overlayscope: captures read by ${shares.length} threads (capture split: ${shares.map((s) => s.length).join(' + ')} captures; this thread reads the first share)\n`);
  const t0 = performance.now();
  const total = session.sources.reduce((a, s) => a + s.size, 0);
  const readers = new CaptureReaders(session, files, shares, { ...options, capturePoints: session.sources.length }, workerPath, cancel);
  let mergeMs = 0;
  try {
    await session.runSplit(shares[0]!.length, async (read) => {
      readers.finished[0] = performance.now();
      readers.check();
      // Cancelled while this thread read its share: the session holds what one thread would have kept had it stopped there.
      if (cancel?.aborted) { held = read; return read; }
      if (read < shares[0]!.length) throw new CaptureWorkerFailure('reading was cancelled');
      const merge = new CaptureMerge(session, read, session.options.maxFlows ?? LIMITS.maxFlows, shares[shares.length - 1]![0]!);
      // Cancelled while the workers read: `held` captures, a prefix, exactly as one thread stopped there holds them.
      const appended = await appendInOrder(merge, read, n, (id) => readers.take(id), () => performance.now());
      held = appended.held;
      mergeMs += appended.ms;
      const m0 = performance.now();
      const all = merge.finish();
      mergeMs += performance.now() - m0;
      return all;
    }, {
      signal: readers.signal, onProgress: (bytes) => readers.progress(0, bytes),
      // The session's columns sized for all of it once its first capture is read (by bytes): no doubling left for the merge.
      afterCapture: (c) => { if (c === 0) reserveSession(session, total / Math.max(1, session.sources[0]!.size), total); },
    });
  } catch (e) {
    if (e instanceof CaptureWorkerFailure) {
      stderr(`overlayscope: ${e.message}; analysing on one thread\n`);
      return session.fresh().run();
    }
    if (e instanceof MergeRefused) {
      stderr(`overlayscope: the capture split cannot be merged exactly (${e.message}); analysing on one thread\n`);
      return session.fresh().run();
    }
    throw e;
  } finally {
    await readers.end();
  }
  if (held < n) {
    session.notReached(held);
    return session;
  }
  if (trace) {
    const s = (t: number): string => ((t - t0) / 1000).toFixed(3);
    const done = performance.now();
    stderr(`overlayscope: threads: capture threads finished at ${readers.finished.map(s).join(', ')} s, merged in ${mergeMs.toFixed(1)} ms `
      + `(done at ${s(done)} s, ${(done - Math.max(...readers.finished)).toFixed(1)} ms after the last reader)\n`);
  }
  return session;
}

/**
 * The capture workers of shares 1.. (share 0 is this thread's): the states
 * they post, by capture id, until taken; the first failure, which also aborts
 * `signal` (this thread's reading).
 */
class CaptureReaders {
  /** When each share's last capture arrived (performance.now()). */
  readonly finished: number[] = [];
  private readonly workers: Worker[] = [];
  private readonly states = new Map<number, ShareState>();
  private waiting: { id: number; resolve: (s: ShareState) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly abort = new AbortController();
  private readonly bytes: number[];
  private readonly total: number;
  private readonly onCancel = (): void => this.stop(new CaptureSplitCancelled('the open was cancelled'));

  constructor(private readonly session: AnalysisSession, files: string[], shares: number[][], options: CaptureWorkOptions, workerPath: string,
    private readonly cancel?: AbortSignal) {
    this.total = session.sources.reduce((a, s) => a + s.size, 0);
    this.bytes = shares.map(() => 0);
    if (cancel?.aborted) this.onCancel();
    else cancel?.addEventListener('abort', this.onCancel, { once: true });
    shares.forEach((share, k) => {
      if (k === 0 || this.failure) return;
      const data: CaptureWorkerData = { files, share, options };
      const w = new Worker(workerPath, { workerData: data });
      this.workers.push(w);
      let got = 0;
      w.on('message', (m: CaptureWorkerMessage) => {
        if (m.kind === 'progress') this.progress(k, m.bytes);
        else if (m.kind === 'capture') {
          const id = m.state.captures[0]?.id;
          if (id !== share[got]) { this.fail(`a capture worker sent capture ${id} where ${share[got]} was due`); return; }
          got++;
          if (got === share.length) this.finished[k] = performance.now();
          this.put(id, m.state);
        } else this.fail(m.message);
      });
      w.on('error', (e) => this.fail(e.message));
      w.on('exit', (code) => { if (got < share.length) this.fail(`it stopped (exit code ${code}) before it finished`); });
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  progress(k: number, bytes: number): void {
    this.bytes[k] = bytes;
    this.session.options.onProgress?.(this.bytes.reduce((a, b) => a + b, 0), this.total, 0);
  }

  /** Throws the first failure, if any (not Cancel: the caller sees the signal). */
  check(): void {
    if (this.failure instanceof CaptureWorkerFailure) throw this.failure;
  }

  /** Capture `id`'s state, when it has arrived; rejects on a failure or Cancel. */
  take(id: number): Promise<ShareState> {
    if (this.failure) return Promise.reject(this.failure);
    const s = this.states.get(id);
    if (s) { this.states.delete(id); return Promise.resolve(s); }
    return new Promise((resolve, reject) => { this.waiting = { id, resolve, reject }; });
  }

  private put(id: number, s: ShareState): void {
    if (this.failure) return;
    if (this.waiting?.id === id) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve(s);
    } else this.states.set(id, s);
  }

  private fail(why: string): void {
    this.stop(new CaptureWorkerFailure(`a capture worker failed: ${why}`));
  }

  private stop(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.abort.abort();
    for (const w of this.workers) void w.terminate();
    const w = this.waiting;
    this.waiting = null;
    w?.reject(e);
  }

  /** Ends every worker (and this thread's reading, if it is still going). */
  async end(): Promise<void> {
    this.cancel?.removeEventListener('abort', this.onCancel);
    this.abort.abort();
    this.states.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
