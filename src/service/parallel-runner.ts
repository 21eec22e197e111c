/**
 * The seam between the service and a host's threads (docs/decisions/0015):
 * a host that can start workers (Node's worker_threads in Electron's engine
 * worker, Web Workers in the browser build) gives the service a
 * ParallelRunner; the service hands it a session that has not read anything
 * yet, with the SourceRef each of its captures was opened from, and gets the
 * session back read. Without a runner, or with one thread, the service runs
 * `session.run()` as always. Platform-neutral: the runner moves the messages.
 */
import type { AnalysisSplit, AnalysisThreads, SourceRef } from '../api.js';
import type { ByteSource } from '../capture/types.js';
import type { AnalysisSession } from '../session/analysis-session.js';

/** One capture of the session: the ref it was opened from and the source the session reads. */
export interface ParallelInput {
  ref: SourceRef;
  source: ByteSource;
}

export interface ParallelRun {
  /** Constructed, not run: its sources, options and inputs are set. */
  session: AnalysisSession;
  /** One per session source, in session order: plain captures only (no .gz, archive member or reshaped bundle). */
  inputs: readonly ParallelInput[];
  /** 2 or more. */
  threads: number;
  /** The open's cancellation (also the session's `options.signal`). */
  signal: AbortSignal;
}

/** The session read (the one given, or a new one when the runner fell back to one thread) and how. */
export interface ParallelOutcome {
  session: AnalysisSession;
  used: number;
  /** The split that ran (when `used` is 2 or more). */
  split?: AnalysisSplit;
  note?: string;
}

export type ParallelRunner = (run: ParallelRun) => Promise<ParallelOutcome>;

/** What the service needs from its host beyond reading sources. */
export interface ServiceHost {
  parallel?: ParallelRunner;
  /** The cores the host offers (Auto's threads: src/api.ts autoThreads); 1 when absent. */
  cores?: number;
}

/**
 * The threads a session asks for: an integer 1..max, else 1 (the service is
 * also called from tests and hosts that do not validate).
 */
export function requestedThreads(threads: unknown, max: number): number {
  return typeof threads === 'number' && Number.isInteger(threads) && threads >= 1 ? Math.min(threads, max) : 1;
}

/** The session's captures with their refs, or why they cannot be read by another thread. */
export function parallelInputs(session: AnalysisSession, opened: ReadonlyArray<{ ref: SourceRef; source: ByteSource }>): ParallelInput[] | string {
  if (session.inputs) return 'captures from a .gz, an archive or a capture tool\'s bundle are read on one thread';
  const out: ParallelInput[] = [];
  for (const source of session.sources) {
    const o = opened.find((x) => x.source === source);
    if (!o) return 'a capture reshaped on opening is read on one thread';
    out.push(o);
  }
  return out;
}

/** The outcome as the summary states it. */
export function threadsSummary(requested: number, outcome: { used: number; split?: AnalysisSplit; note?: string }): AnalysisThreads {
  return { requested, used: outcome.used, ...(outcome.used > 1 && outcome.split ? { split: outcome.split } : {}), ...(outcome.note ? { note: outcome.note } : {}) };
}
