/**
 * The browser build's parallel runner (docs/decisions/0015-parallel-analysis.md,
 * the stage split): the engine's Web Worker reads the captures for the packet
 * index, layer counts, issues and overlay while a nested Web Worker
 * (renderer/worker/flow-worker.ts) reads the same Blobs for the flows, TCP,
 * HTTP and DNS; its state is then adopted (src/session/parallel/flow-handoff.ts),
 * as the Node host does (src/host/node/analyze-workers.ts). The result is the
 * single-threaded one, byte for byte. When the worker cannot start or fails,
 * the session is read again on one thread and the outcome says so.
 */
import type { AnalysisSession } from '../../session/analysis-session.js';
import { adoptWorkerFlows, FlowWorkerFailure, flowWorkOptions, sequentialReason, SparseRowFlows, type CaptureFlowIds, type FlowTrackerState, type FlowWorkOptions } from '../../session/parallel/flow-handoff.js';
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

/** The open was cancelled while the worker ran. */
class Cancelled extends Error {}

export interface BrowserRunnerHost {
  /** Starts the flow worker (a module Web Worker: renderer/worker/flow-worker.ts). */
  startWorker(): Worker;
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
    const blobs: Array<{ blob: Blob; name: string }> = [];
    for (const input of inputs) {
      const blob = await host.blobOf(input);
      if (!blob) return { session: await session.run(), used: 1, note: `${input.source.name} cannot be read by a second thread: analysed on one thread` };
      blobs.push({ blob, name: input.source.name });
    }
    try {
      const adopted = await readWithWorker(session, { sources: blobs, options: flowWorkOptions(session.options) }, host, signal);
      // Cancelled: what this thread read stays (packets, counts, issues), as on one thread; the flows were the ended worker's.
      if (!adopted) return { session, used: 2, note: 'the open was cancelled: the packets read are kept, their flows (built by the second thread) are not' };
      // The stage split has one flow worker whatever the count asked for (decision 0015 §1).
      return { session, used: 2, ...(threads > 2 ? { note: `the stage split uses 2 threads (${threads} asked for)` } : {}) };
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
