/**
 * The browser build's parallel runner (docs/decisions/0015-parallel-analysis.md
 * §6–§7), run by the engine's Web Worker. The output is the single-threaded
 * one, byte for byte; when a worker cannot start or fails, the session is
 * read again on one thread and the outcome says so.
 *
 * - Two or more captures: the capture split. The captures are cut into
 *   contiguous shares (captureShares); this thread reads the first share in
 *   place (AnalysisSession.runSplit) while a nested module Web Worker each
 *   (renderer/worker/capture-worker.ts) reads another from its Blobs with the
 *   whole per-capture pipeline (readCaptures) and posts each capture's state
 *   as it is read (typed arrays moved); this thread appends them in capture
 *   order as they arrive (CaptureMerge), as the Node host does
 *   (src/host/node/capture-workers.ts).
 * - One capture: the stage split. This thread reads the captures for the
 *   packet index, layer counts, issues and overlay while a nested Web Worker
 *   (renderer/worker/flow-worker.ts) reads the same Blobs for the flows, TCP,
 *   HTTP and DNS; its state is then adopted (src/session/parallel/flow-handoff.ts),
 *   as the Node host does (src/host/node/analyze-workers.ts).
 */
import type { AnalysisSession } from '../../session/analysis-session.js';
import { adoptWorkerFlows, FlowWorkerFailure, flowWorkOptions, sequentialReason, SparseRowFlows, type CaptureFlowIds, type FlowTrackerState, type FlowWorkOptions } from '../../session/parallel/flow-handoff.js';
import {
  appendInOrder, CaptureMerge, captureShares, captureSplitReason, CaptureSplitCancelled, MergeRefused, reserveSession, type CaptureWorkOptions, type ShareState,
} from '../../session/parallel/capture-split.js';
import { LIMITS } from '../../capture/types.js';
import type { ParallelInput, ParallelOutcome, ParallelRun, ParallelRunner } from '../../service/parallel-runner.js';

/** What the flow worker is sent once: the session's captures (Blobs cross to a worker without copying their bytes) and the options. */
export interface FlowWorkerRequest {
  sources: Array<{ blob: Blob; name: string }>;
  options: FlowWorkOptions;
}

/** What the flow worker posts: a capture's flow ids, the tracker when done, or why it failed (the Node worker's messages). */
export type FlowWorkerMessage =
  | ({ kind: 'capture' } & CaptureFlowIds)
  | { kind: 'done'; state: FlowTrackerState }
  | { kind: 'error'; message: string };

/** What a capture worker is sent once: its share's Blobs by capture id (null for the others), the share, the options. */
export interface CaptureShareRequest {
  sources: Array<{ blob: Blob; name: string } | null>;
  /** Capture ids, ascending and contiguous. */
  share: number[];
  options: CaptureWorkOptions;
}

/** What a capture worker posts: bytes of its share read so far, each capture's state when it is read (in order), or why it failed (the Node worker's messages). */
export type CaptureShareMessage =
  | { kind: 'progress'; bytes: number }
  | { kind: 'capture'; state: ShareState }
  | { kind: 'error'; message: string };

/** A capture worker did not start, failed, or posted its captures out of order. */
class CaptureWorkerFailure extends Error {}

/** The open was cancelled while the worker ran. */
class Cancelled extends Error {}

export interface BrowserRunnerHost {
  /** Starts the flow worker (a module Web Worker: renderer/worker/flow-worker.ts). */
  startWorker(): Worker;
  /** Starts a capture worker (a module Web Worker: renderer/worker/capture-worker.ts). */
  startCaptureWorker(): Worker;
  /** The Blob a capture's bytes come from, or null when it has none (the capture is then read on one thread). */
  blobOf(input: ParallelInput): Promise<Blob | null>;
  /** For tests and measurements: when each thread finished. */
  trace?(line: string): void;
}

/** The runner the engine's Web Worker gives its service (src/service/parallel-runner.ts). */
export function browserParallelRunner(host: BrowserRunnerHost): ParallelRunner {
  return async (run: ParallelRun): Promise<ParallelOutcome> => {
    const { session, inputs, threads, signal } = run;
    // A cancellable open is fine here: cancelling ends the worker too (below).
    const reason = sequentialReason({ ...session.options, signal: undefined });
    if (reason) return { session: await session.run(), used: 1, note: `${reason}: analysed on one thread` };
    // Two or more captures: a thread per share of them (the capture split); one: its flows on a second thread (the stage split).
    const shares = inputs.length >= 2 && !captureSplitReason(session.options) ? captureShares(session.sources.map((s) => s.size), threads, MERGE_COST) : [];
    if (shares.length >= 2) return captureSplit(run, shares, host);
    const blobs: Array<{ blob: Blob; name: string }> = [];
    for (const input of inputs) {
      const blob = await host.blobOf(input);
      if (!blob) return { session: await session.run(), used: 1, note: `${input.source.name} cannot be read by a second thread: analysed on one thread` };
      blobs.push({ blob, name: input.source.name });
    }
    try {
      const adopted = await readWithWorker(session, { sources: blobs, options: flowWorkOptions(session.options) }, host, signal);
      // Cancelled: what this thread read stays (packets, counts, issues), as on one thread; the flows were the ended worker's.
      if (!adopted) return { session, used: 2, split: 'stage', note: 'the open was cancelled: the packets read are kept, their flows (built by the second thread) are not' };
      // The stage split has one flow worker whatever the count asked for (decision 0015 §1).
      return { session, used: 2, split: 'stage', ...(threads > 2 ? { note: `the stage split uses 2 threads (${threads} asked for)` } : {}) };
    } catch (e) {
      if (!(e instanceof FlowWorkerFailure)) throw e;
      // Read again from the start on this thread: the output is the single-threaded one.
      const again = await session.fresh().run();
      return { session: again, used: 1, note: `${e.message}; analysed on one thread` };
    }
  };
}

/** Reads the session with its flows from a worker; false when the open was cancelled (the flows are then not adopted). */
async function readWithWorker(session: AnalysisSession, request: FlowWorkerRequest, host: BrowserRunnerHost, signal: AbortSignal): Promise<boolean> {
  let worker: Worker;
  try {
    worker = host.startWorker();
  } catch (e) {
    throw new FlowWorkerFailure(`the flow worker did not start: ${e instanceof Error ? e.message : String(e)}`);
  }
  const t0 = performance.now();
  let workerDone = 0;
  const ids: CaptureFlowIds[] = [];
  const state = new Promise<FlowTrackerState>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<FlowWorkerMessage>) => {
      const m = e.data;
      if (m.kind === 'capture') ids[m.capture] = m;
      else if (m.kind === 'done') { workerDone = performance.now(); resolve(m.state); }
      else reject(new FlowWorkerFailure(`the flow worker failed: ${m.message}`));
    };
    // A script that does not load or throws while loading, or a message that cannot be read.
    worker.onerror = (e: ErrorEvent) => { e.preventDefault(); reject(new FlowWorkerFailure(`the flow worker failed: ${e.message || 'it did not load'}`)); };
    worker.onmessageerror = () => reject(new FlowWorkerFailure('the flow worker failed: a message could not be read'));
    const stop = (): void => reject(new Cancelled());
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  // Awaited after this thread's reading; a failure before then must not be an unhandled rejection.
  state.catch(() => undefined);
  const rows = new SparseRowFlows(session.overlayObserver);
  let adopted = false;
  try {
    worker.postMessage(request);
    await session.runWithFlowsFrom(async (read) => {
      const mainDone = performance.now();
      let st: FlowTrackerState;
      try {
        st = await state;
      } catch (e) {
        // The packet index keeps flow id -1 (no flow) for every packet: a session without its flows, not a wrong one.
        if (e instanceof Cancelled) return;
        throw e;
      }
      const a0 = performance.now();
      adoptWorkerFlows(session.flows, st, ids, session.captures, read, rows);
      adopted = true;
      const s = (t: number): string => ((t - t0) / 1000).toFixed(3);
      host.trace?.(`threads: this thread read in ${s(mainDone)} s, the flow worker finished at ${s(workerDone)} s, adopted in ${(performance.now() - a0).toFixed(1)} ms`);
    }, (observers) => observers.map((o) => (o === session.overlayObserver ? rows : o)));
  } finally {
    worker.terminate();
  }
  return adopted;
}

/**
 * The merge's cost per byte merged relative to reading a byte, for balancing
 * the shares (captureShares' `mergeCost`): the engine thread reads the first
 * share and merges the others' captures as they arrive, so its share is made
 * smaller. The Node host's measured value (src/host/node/capture-workers.ts
 * MERGE_COST, not imported: that module is Node's).
 */
const MERGE_COST = 0.12;

/**
 * The capture split: `shares` (2 or more) read by this thread (the first, in
 * place: AnalysisSession.runSplit) and a capture worker each (the others,
 * each capture's state posted when it is read), appended in capture order by a
 * CaptureMerge as they arrive, as the Node host does.
 */
async function captureSplit(run: ParallelRun, shares: number[][], host: BrowserRunnerHost): Promise<ParallelOutcome> {
  const { session, inputs, threads, signal } = run;
  const sources: CaptureShareRequest['sources'] = inputs.map(() => null);
  for (const i of shares.slice(1).flat()) {
    const input = inputs[i]!;
    const blob = await host.blobOf(input);
    if (!blob) return { session: await session.run(), used: 1, note: `${input.source.name} cannot be read by a second thread: analysed on one thread` };
    sources[i] = { blob, name: input.source.name };
  }
  const options: CaptureWorkOptions = { ...flowWorkOptions(session.options), capturePoints: session.sources.length };
  const total = session.sources.reduce((a, s) => a + s.size, 0);
  const n = session.sources.length;
  const t0 = performance.now();
  let mergeMs = 0;
  let held = n;
  const readers = new CaptureReaders(session, sources, shares, options, host, signal);
  try {
    await session.runSplit(shares[0]!.length, async (read) => {
      readers.check();
      // Cancelled while this thread read its share: the session holds what one thread would have kept had it stopped there.
      if (read < shares[0]!.length || signal.aborted) { held = read; return read; }
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
    // Read again from the start on this thread: the output is the single-threaded one.
    if (e instanceof CaptureWorkerFailure) return { session: await session.fresh().run(), used: 1, note: `${e.message}; analysed on one thread` };
    if (e instanceof MergeRefused) return { session: await session.fresh().run(), used: 1, note: `the capture split cannot be merged exactly (${e.message}): analysed on one thread` };
    throw e;
  } finally {
    readers.end();
  }
  if (signal.aborted || held < n) {
    // Captures not read to their end here are not complete: the table says so (as for the one a single thread stops in).
    session.notReached(held);
    const part = held > 0 && session.captures[held - 1]!.cancelled;
    const kept = `${held} of ${n} captures${part ? (held === 1 ? ', in part' : ', the last in part') : ''}`;
    return { session, used: shares.length, split: 'capture', note: `the open was cancelled: the captures read in order are kept (${kept}), not what the other threads read after them` };
  }
  host.trace?.(`threads: captures read by ${shares.length} threads (capture split: ${shares.map((s) => s.length).join(' + ')} captures), done in ${((performance.now() - t0) / 1000).toFixed(3)} s, merged in ${mergeMs.toFixed(1)} ms`);
  return { session, used: shares.length, split: 'capture', ...(shares.length < threads ? { note: `the capture split uses ${shares.length} threads (${threads} asked for): ${inputs.length} captures make ${shares.length} shares` } : {}) };
}

/**
 * The capture workers of shares 1.. (share 0 is the engine thread's): the
 * states they post, by capture id, until taken; the first failure, which also
 * aborts `signal` (this thread's reading), as does Cancel.
 */
class CaptureReaders {
  private readonly workers: Worker[] = [];
  private readonly states = new Map<number, ShareState>();
  private waiting: { id: number; resolve: (s: ShareState) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly abort = new AbortController();
  private readonly bytes: number[];
  private readonly total: number;
  private readonly onCancel = (): void => this.stop(new CaptureSplitCancelled());

  constructor(private readonly session: AnalysisSession, sources: CaptureShareRequest['sources'], shares: number[][], options: CaptureWorkOptions,
    host: BrowserRunnerHost, private readonly cancel: AbortSignal) {
    this.total = session.sources.reduce((a, s) => a + s.size, 0);
    this.bytes = shares.map(() => 0);
    if (cancel.aborted) this.onCancel();
    else cancel.addEventListener('abort', this.onCancel, { once: true });
    shares.forEach((share, k) => {
      if (k === 0 || this.failure) return;
      let w: Worker;
      try {
        w = host.startCaptureWorker();
      } catch (e) {
        this.fail(`it did not start: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      this.workers.push(w);
      let got = 0;
      w.onmessage = (e: MessageEvent<CaptureShareMessage>) => {
        const m = e.data;
        if (m.kind === 'progress') this.progress(k, m.bytes);
        else if (m.kind === 'capture') {
          const id = m.state.captures[0]?.id;
          if (id !== share[got]) { this.fail(`it sent capture ${id} where ${share[got]} was due`); return; }
          got++;
          this.put(id, m.state);
        } else this.fail(m.message);
      };
      // A script that does not load or throws while loading, or a message that cannot be read.
      w.onerror = (e: ErrorEvent) => { e.preventDefault(); this.fail(e.message || 'it did not load'); };
      w.onmessageerror = () => this.fail('a message could not be read');
      const request: CaptureShareRequest = { sources: sources.map((s, i) => (share.includes(i) ? s : null)), share, options };
      w.postMessage(request);
    });
  }

  /** Stops this thread's reading (a failure or Cancel). */
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
    for (const w of this.workers) w.terminate();
    const w = this.waiting;
    this.waiting = null;
    w?.reject(e);
  }

  /** Ends every worker (and this thread's reading, if it is still going). */
  end(): void {
    this.cancel.removeEventListener('abort', this.onCancel);
    this.abort.abort();
    this.states.clear();
    for (const w of this.workers) w.terminate();
  }
}
