/**
 * The browser build's parallel runner (docs/decisions/0015-parallel-analysis.md
 * §6–§7), run by the engine's Web Worker. The output is the single-threaded
 * one, byte for byte; when a worker cannot start or fails, the session is
 * read again on one thread and the outcome says so.
 *
 * - Two or more captures: the capture split. The captures are cut into
 *   contiguous shares (captureShares); this thread reads the first share
 *   itself while a nested module Web Worker each (renderer/worker/capture-worker.ts)
 *   reads another from its Blobs with the whole per-capture pipeline
 *   (readShare) and posts its states (typed arrays moved); the shares are then
 *   merged in capture order (mergeRefusal, mergeShares), as the Node host does
 *   (src/host/node/capture-workers.ts).
 * - One capture: the stage split. This thread reads the captures for the
 *   packet index, layer counts, issues and overlay while a nested Web Worker
 *   (renderer/worker/flow-worker.ts) reads the same Blobs for the flows, TCP,
 *   HTTP and DNS; its state is then adopted (src/session/parallel/flow-handoff.ts),
 *   as the Node host does (src/host/node/analyze-workers.ts).
 */
import type { AnalysisSession } from '../../session/analysis-session.js';
import { adoptWorkerFlows, FlowWorkerFailure, flowWorkOptions, sequentialReason, SparseRowFlows, type CaptureFlowIds, type FlowTrackerState, type FlowWorkOptions } from '../../session/parallel/flow-handoff.js';
import { captureShares, captureSplitReason, mergeRefusal, mergeShares, readShare, type CaptureWorkOptions, type ShareState } from '../../session/parallel/capture-split.js';
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

/** What a capture worker posts: bytes of its share read so far, its states when done (one a capture), or why it failed (the Node worker's messages). */
export type CaptureShareMessage =
  | { kind: 'progress'; bytes: number }
  | { kind: 'share'; states: ShareState[] }
  | { kind: 'error'; message: string };

/** A capture worker did not start, failed, or posted less than its share. */
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
    const shares = inputs.length >= 2 && !captureSplitReason(session.options) ? captureShares(session.sources.map((s) => s.size), threads) : [];
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
 * The capture split: `shares` (2 or more) read by this thread (the first)
 * and a capture worker each (the others), merged in capture order.
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
  const t0 = performance.now();
  let read: ShareState[][] | { cancelled: ShareState[] };
  try {
    read = await readShares(session, shares, sources, options, host, signal);
  } catch (e) {
    if (!(e instanceof CaptureWorkerFailure)) throw e;
    // Read again from the start on this thread: the output is the single-threaded one.
    return { session: await session.fresh().run(), used: 1, note: `${e.message}; analysed on one thread` };
  }
  const maxFlows = session.options.maxFlows ?? LIMITS.maxFlows;
  if (!Array.isArray(read)) {
    // Cancelled: the other shares' workers were ended; the captures this thread read (the first share, or part of it)
    // are what one thread would have kept had it been cancelled there: merged alone, they are exact.
    const mine = read.cancelled;
    const n = mine.length;
    const refusal = n ? mergeRefusal(mine, maxFlows) : null;
    const kept = refusal ? session.fresh() : session;
    if (!refusal) await session.runElsewhere(async () => (n ? mergeShares(session, mine) : 0));
    // Captures not read to their end here are not complete: the table says so (as for the one a single thread stops in).
    for (let i = refusal ? 0 : n; i < kept.captures.length; i++) kept.captures[i]!.cancelled = true;
    const part = n > 0 && mine[n - 1]!.captures[0]!.cancelled;
    const note = refusal ? `nothing read is kept (${refusal})`
      : `what this thread read is kept (${n} of ${session.captures.length} captures${part ? (n === 1 ? ', in part' : ', the last in part') : ''}), not what the other threads read`;
    return { session: kept, used: shares.length, split: 'capture', note: `the open was cancelled: ${note}` };
  }
  const all = read.flat();
  const refusal = mergeRefusal(all, maxFlows);
  if (refusal) return { session: await session.fresh().run(), used: 1, note: `the capture split cannot be merged exactly (${refusal}): analysed on one thread` };
  const m0 = performance.now();
  await session.runElsewhere(async () => mergeShares(session, all));
  host.trace?.(`threads: captures read by ${shares.length} threads (capture split: ${shares.map((s) => s.length).join(' + ')} captures) in ${((m0 - t0) / 1000).toFixed(3)} s, merged in ${(performance.now() - m0).toFixed(1)} ms`);
  return { session, used: shares.length, split: 'capture', ...(shares.length < threads ? { note: `the capture split uses ${shares.length} threads (${threads} asked for): ${inputs.length} captures make ${shares.length} shares` } : {}) };
}

/**
 * Reads the first share on this thread and starts a capture worker for each
 * other share; collects the shares in order, or, when the open is cancelled,
 * ends the workers and returns what this thread read. Every worker is ended,
 * and this thread's reading stopped, when this returns or throws.
 */
async function readShares(session: AnalysisSession, shares: number[][], sources: CaptureShareRequest['sources'], options: CaptureWorkOptions,
  host: BrowserRunnerHost, signal: AbortSignal): Promise<ShareState[][] | { cancelled: ShareState[] }> {
  const total = session.sources.reduce((a, s) => a + s.size, 0);
  const onProgress = session.options.onProgress;
  const progress = shares.map(() => 0);
  const report = (k: number, bytes: number): void => {
    progress[k] = bytes;
    onProgress?.(progress.reduce((a, b) => a + b, 0), total, shares[k]![0]!);
  };
  const workers: Worker[] = [];
  // Stops this thread's reading: on Cancel (the open's signal) or when a worker fails.
  const here = new AbortController();
  const stop = (): void => here.abort();
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  let failed: (e: CaptureWorkerFailure) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => { failed = reject; });
  failure.catch(() => undefined);
  try {
    const others = shares.slice(1).map((share, j) => new Promise<ShareState[]>((resolve, reject) => {
      const k = j + 1;
      const fail = (why: string): void => reject(new CaptureWorkerFailure(`a capture worker failed: ${why}`));
      let w: Worker;
      try {
        w = host.startCaptureWorker();
      } catch (e) {
        fail(`it did not start: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      workers.push(w);
      w.onmessage = (e: MessageEvent<CaptureShareMessage>) => {
        const m = e.data;
        if (m.kind === 'progress') report(k, m.bytes);
        else if (m.kind === 'share') resolve(m.states);
        else fail(m.message);
      };
      // A script that does not load or throws while loading, or a message that cannot be read.
      w.onerror = (e: ErrorEvent) => { e.preventDefault(); fail(e.message || 'it did not load'); };
      w.onmessageerror = () => fail('a message could not be read');
      const request: CaptureShareRequest = { sources: sources.map((s, i) => (share.includes(i) ? s : null)), share, options };
      w.postMessage(request);
    }));
    // The first failure stops this thread's reading too.
    for (const p of others) p.catch((e: unknown) => { if (e instanceof CaptureWorkerFailure) { failed(e); stop(); } });
    const mine = await readShare(session.sources, shares[0]!, { ...options, signal: here.signal }, (bytes) => report(0, bytes));
    if (signal.aborted) return { cancelled: mine };
    // A failure while this thread read; else wait for the others (or a failure, or Cancel).
    const cancelled = new Promise<'cancelled'>((resolve) => {
      if (signal.aborted) resolve('cancelled');
      else signal.addEventListener('abort', () => resolve('cancelled'), { once: true });
    });
    if (here.signal.aborted) await failure;
    const rest = await Promise.race([Promise.all(others), failure, cancelled]);
    if (rest === 'cancelled') return { cancelled: mine };
    const out = [mine, ...rest];
    out.forEach((s, k) => {
      if (s.length !== shares[k]!.length) throw new CaptureWorkerFailure(`a capture worker failed: it read ${s.length} of its ${shares[k]!.length} captures`);
    });
    return out;
  } finally {
    signal.removeEventListener('abort', stop);
    stop();
    for (const w of workers) w.terminate();
  }
}
