/**
 * The flow split's host (docs/decisions/0015-parallel-analysis.md §3): one
 * capture read by N threads, each owning the flows whose key hashes to it.
 * This thread reads the capture for the session (packet index, layer counts,
 * issues, overlay) and is owner 0 of the flows; N − 1 worker threads
 * (dist/analyze-worker.js in its owner mode) are owners 1..N−1. When all are
 * done the parts are merged into the session's tracker
 * (src/session/parallel/flow-split.ts). The output is the single-threaded
 * one, byte for byte; when a worker fails, or the parts cannot be merged
 * exactly, the capture is read again on one thread and stderr says why.
 */
import { Worker } from 'node:worker_threads';
import type { AnalysisSession } from '../../session/analysis-session.js';
import { readableTwice } from './analyze-workers.js';
import type { FlowWorkOptions } from '../../session/parallel/flow-handoff.js';
import { FlowSplitRefusal, readSplitSession, type FlowPart, type FlowSplitTimes } from '../../session/parallel/flow-split.js';

/** What an owner worker is started with (workerData). */
export interface OwnerWorkerData {
  file: string;
  owner: number;
  owners: number;
  options: FlowWorkOptions;
}

/** What an owner worker posts: its part when done, or why it failed. */
export type OwnerWorkerMessage =
  | { kind: 'part'; part: FlowPart }
  | { kind: 'error'; message: string };

class OwnerWorkerFailure extends Error {}

/**
 * Reads `session` (not run yet; one capture, a regular file: `file`) with its
 * flows split among `threads` owners (this thread and threads − 1 workers).
 */
export async function runWithFlowSplit(session: AnalysisSession, file: string, options: FlowWorkOptions, workerPath: string,
  threads: number, stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<AnalysisSession> {
  if (!readableTwice(file)) return session.run();
  const trace = Boolean(process.env['OVERLAYSCOPE_TRACE_THREADS']);
  const owners = threads;
  if (trace) stderr(`overlayscope: flows of 1 capture split among ${owners} threads by flow key (flow split; this thread owns the first share)\n`);
  const t0 = Date.now();
  const workers: Worker[] = [];
  const finished: number[] = [];
  const parts: Array<Promise<FlowPart>> = [];
  for (let owner = 1; owner < owners; owner++) {
    parts.push(new Promise<FlowPart>((resolve, reject) => {
      const data: OwnerWorkerData = { file, owner, owners, options };
      const w = new Worker(workerPath, { workerData: data });
      workers.push(w);
      let settled = false;
      const fail = (why: string): void => { if (!settled) { settled = true; reject(new OwnerWorkerFailure(`a flow owner worker failed: ${why}`)); } };
      w.on('message', (m: OwnerWorkerMessage) => {
        if (m.kind === 'part') { settled = true; finished[owner] = Date.now(); resolve(m.part); } else fail(m.message);
      });
      w.on('error', (e) => fail(e.message));
      w.on('exit', (code) => fail(`it stopped (exit code ${code}) before it finished`));
    }));
  }
  // Awaited after this thread's reading; a failure before then must not be an unhandled rejection.
  const all = Promise.all(parts);
  all.catch(() => undefined);
  const times: FlowSplitTimes = { finished, mergeMs: 0 };
  try {
    await readSplitSession(session, owners, options, all, times);
    if (trace) {
      const s = (t: number): string => ((t - t0) / 1000).toFixed(3);
      stderr(`overlayscope: threads: flow owners finished at ${finished.map(s).join(', ')} s, merged in ${times.mergeMs.toFixed(1)} ms\n`);
    }
    return session;
  } catch (e) {
    if (e instanceof OwnerWorkerFailure) {
      stderr(`overlayscope: ${e.message}; analysing on one thread\n`);
      return session.fresh().run();
    }
    if (e instanceof FlowSplitRefusal) {
      stderr(`overlayscope: the flow split cannot be merged exactly (${e.message}); analysing on one thread\n`);
      return session.fresh().run();
    }
    throw e;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
