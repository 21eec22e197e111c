/**
 * Runs a session on two threads (docs/decisions/0015-parallel-analysis.md):
 * this thread reads the captures for the packet index, layer counts, issues
 * and overlay while a worker thread (dist/analyze-worker.js, built beside
 * dist/cli.js) reads the same files for the flows, TCP, HTTP and DNS; its
 * state is then adopted (src/session/parallel/flow-handoff.ts). The output is
 * the single-threaded one, byte for byte.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AnalysisSession } from '../../session/analysis-session.js';
import { adoptWorkerFlows, FlowWorkerFailure, SparseRowFlows, type CaptureFlowIds, type FlowTrackerState, type FlowWorkOptions } from '../../session/parallel/flow-handoff.js';

/** The worker's bundle, beside the CLI's. */
export const FLOW_WORKER_BUNDLE = 'analyze-worker.js';

/** What the flow worker posts: a capture's flow ids, the tracker when done, or why it failed. */
export type FlowWorkerMessage =
  | ({ kind: 'capture' } & CaptureFlowIds)
  | { kind: 'done'; state: FlowTrackerState }
  | { kind: 'error'; message: string };

/** What the worker is started with (workerData). */
export interface FlowWorkerData {
  files: string[];
  options: FlowWorkOptions;
}

/**
 * The worker bundle's path beside this module's bundle (dist/cli.js), else
 * OVERLAYSCOPE_FLOW_WORKER's (tests running the TypeScript sources name the
 * built one), else null: the session then runs on one thread.
 */
export function flowWorkerPath(): string | null {
  const p = fileURLToPath(new URL(`./${FLOW_WORKER_BUNDLE}`, import.meta.url));
  if (existsSync(p)) return p;
  const given = process.env['OVERLAYSCOPE_FLOW_WORKER'];
  return given && existsSync(given) ? given : null;
}

/** True for a regular file: one that two threads can each read from the start (not a pipe, a FIFO or a device). */
export function readableTwice(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}


/**
 * Reads `session` (not run yet) with its flows built by a worker thread over
 * `files` (the paths of its captures, in order). The worker is ended when the
 * session is done or fails. Captures that are not regular files are read on
 * one thread (`session.run()`); so is the session again, from the start, when
 * the worker fails (said on stderr): the output is the same either way.
 */
export async function runWithFlowWorker(session: AnalysisSession, files: string[], options: FlowWorkOptions, workerPath: string,
  stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<AnalysisSession> {
  if (!files.every(readableTwice)) return session.run();
  try {
    return await readWithWorker(session, files, options, workerPath, stderr);
  } catch (e) {
    if (!(e instanceof FlowWorkerFailure)) throw e;
    stderr(`overlayscope: ${e.message}; analysing on one thread\n`);
    return session.fresh().run();
  }
}

async function readWithWorker(session: AnalysisSession, files: string[], options: FlowWorkOptions, workerPath: string,
  stderr: (s: string) => void): Promise<AnalysisSession> {
  const data: FlowWorkerData = { files, options };
  const worker = new Worker(workerPath, { workerData: data });
  // For tests and benchmarks: say that this path ran (the output is the same either way), and when each thread finished.
  const trace = Boolean(process.env['OVERLAYSCOPE_TRACE_THREADS']);
  const t0 = performance.now();
  let workerDone = 0;
  if (trace) stderr(`overlayscope: flows of ${files.length} capture(s) built by a worker thread\n`);
  const ids: CaptureFlowIds[] = [];
  let settled = false;
  const state = new Promise<FlowTrackerState>((resolve, reject) => {
    worker.on('message', (m: FlowWorkerMessage) => {
      if (m.kind === 'capture') ids[m.capture] = m;
      else if (m.kind === 'done') { settled = true; workerDone = performance.now(); resolve(m.state); }
      else { settled = true; reject(new FlowWorkerFailure(`the flow worker failed: ${m.message}`)); }
    });
    worker.on('error', (e) => { settled = true; reject(new FlowWorkerFailure(`the flow worker failed: ${e.message}`)); });
    worker.on('exit', (code) => { if (!settled) { settled = true; reject(new FlowWorkerFailure(`the flow worker stopped (exit code ${code}) before it finished`)); } });
  });
  // Awaited after this thread's reading; a failure before then must not be an unhandled rejection.
  state.catch(() => undefined);
  const rows = new SparseRowFlows(session.overlayObserver);
  try {
    return await session.runWithFlowsFrom(async (read) => {
      const mainDone = performance.now();
      const st = await state;
      const a0 = performance.now();
      adoptWorkerFlows(session.flows, st, ids, session.captures, read, rows);
      if (trace) {
        const s = (t: number): string => ((t - t0) / 1000).toFixed(3);
        stderr(`overlayscope: threads: main thread read in ${s(mainDone)} s, the flow worker finished at ${s(workerDone)} s, adopted in ${(performance.now() - a0).toFixed(1)} ms\n`);
      }
    }, (observers) => observers.map((o) => (o === session.overlayObserver ? rows : o)));
  } finally {
    await worker.terminate();
  }
}
