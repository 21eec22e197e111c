/**
 * The flow split's host (docs/decisions/0015-parallel-analysis.md §3): one
 * capture read by N threads, each owning the flows whose key hashes to it.
 * This thread reads the capture for the session (packet index, layer counts,
 * issues, overlay); with 2 threads it is also owner 0 of the flows and one
 * worker thread (dist/analyze-worker.js in its owner mode) owner 1, with N ≥ 3
 * the N − 1 owners are all worker threads. When all are
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
  // Two threads: this one owns a share too. Three or more: every owner is a worker, and this thread's
  // reading (index, overlay: as long as a flow worker's in the stage split) is not lengthened by flow work.
  const ownHere = threads < 3;
  const owners = ownHere ? threads : threads - 1;
  if (trace) {
    stderr(`overlayscope: flows of 1 capture split among ${threads} threads by flow key (flow split; ${ownHere ? 'this thread owns the first share' : `${owners} owner workers, this thread reads for the rest`})\n`);
  }
  const t0 = Date.now();
  const workers: Worker[] = [];
  const finished: number[] = [];
  const parts: Array<Promise<FlowPart>> = [];
  for (let owner = ownHere ? 1 : 0; owner < owners; owner++) {
    parts.push(new Promise<FlowPart>((resolve, reject) => {
      const data: OwnerWorkerData = { file, owner, owners, options };
      const w = new Worker(workerPath, { workerData: data });
      workers.push(w);
      let settled = false;
      const fail = (why: string): void => { if (!settled) { settled = true; reject(new OwnerWorkerFailure(`a flow owner worker failed: ${why}`)); } };
      w.on('message', (m: OwnerWorkerMessage) => {
        if (m.kind === 'part') { settled = true; finished[owner + (ownHere ? 0 : 1)] = Date.now(); resolve(m.part); } else fail(m.message);
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
    await readSplitSession(session, owners, options, all, times, ownHere);
    if (trace) {
      const s = (t: number): string => ((t - t0) / 1000).toFixed(3);
      stderr(`overlayscope: threads: this thread read in ${s(finished[0]!)} s, owner workers finished at ${finished.slice(1).map(s).join(', ')} s, merged in ${times.mergeMs.toFixed(1)} ms\n`);
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
