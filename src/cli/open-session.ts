/**
 * A session from opened inputs (src/capture/open-inputs.ts): what opening
 * skipped or refused is said on stderr, and the session remembers where each
 * capture came from (captures[].source in the JSON).
 */
import type { OpenedInputs } from '../capture/open-inputs.js';
import type { ByteSource } from '../capture/types.js';
import { openPaths, PathError } from '../host/node/open-paths.js';
import type { AnalyzeOptions } from '../pipeline/analyze.js';
import { AnalysisSession } from '../session/analysis-session.js';
import { prepareInputs } from '../overlay/bundles/prepare.js';
import { visibleText } from '../report/escape.js';
import { InputError } from './errors.js';
import { flowWorkOptions, sequentialReason, type ParallelOptions } from '../session/parallel/flow-handoff.js';
import { flowWorkerPath, runWithFlowWorker } from '../host/node/analyze-workers.js';
import { runWithCaptureWorkers } from '../host/node/capture-workers.js';
import { captureSplitReason } from '../session/parallel/capture-split.js';
import { runWithFlowSplit } from '../host/node/flow-split-workers.js';
import { autoThreads } from '../api.js';
import { availableParallelism } from 'node:os';

/** How one capture is read on 2+ threads (`analyze --split`): flows in one worker (stage) or split by flow key among N owners (flow). */
export type OneCaptureSplit = 'stage' | 'flow';

/**
 * The split one capture takes when none is asked for: the stage split at every thread count. The flow split
 * is exact but measured slower than both one thread and the stage split, at 2 and 3 threads, with 1.67-1.9x
 * the peak memory (docs/decisions/0015 §3), so it runs only when asked for (`--split flow`).
 */
export function defaultSplit(_threads: number): OneCaptureSplit {
  return 'stage';
}

export async function openSession(inputs: OpenedInputs, opts: AnalyzeOptions & ParallelOptions & { split?: OneCaptureSplit }, stderr: (s: string) => void): Promise<AnalysisSession> {
  for (const n of inputs.notes) {
    if (n.severity === 'note') continue;
    stderr(`overlayscope: ${visibleText(n.file)}: offset ${n.offset}: ${n.layer}: ${visibleText(n.reason)}\n`);
  }
  if (!inputs.captures.length) {
    const first = inputs.notes.find((n) => n.severity === 'error');
    throw new InputError(first ? `${first.file}: ${first.reason}` : 'no capture among the files opened');
  }
  // Capture tools' bundles and text files beside the captures: nodes, interface names, Services (src/overlay/capture-bundles.ts).
  const b = await prepareInputs(inputs, opts);
  for (const n of b.notes) stderr(`overlayscope: ${visibleText(n)}\n`);
  const origins = b.origins;
  const session = new AnalysisSession(b.sources, { ...opts, ...b.options });
  const plain = origins.every((o) => o.path.length === 0 && !o.tool) && !inputs.notes.length;
  if (!plain) session.inputs = { origins, notes: [...inputs.notes, ...b.inputNotes] };
  // --threads 2 or more: the flows built by a worker thread reading the same files (docs/decisions/0015).
  // Plain files only (a .gz or an archive member is read whole by one thread).
  const files = session.sources.every((s, i) => s === inputs.captures[i] && inputs.origins[i]?.path.length === 0 && inputs.origins[i]?.file === s.name)
    ? session.sources.map((s) => s.name) : null;
  const auto = opts.threads === 'auto';
  const threads: number = opts.threads === 'auto'
    // `--threads auto` (the default): the app's Auto, src/api.ts autoThreads.
    ? (files && !captureSplitReason(session.options) ? autoThreads(session.sources.map((s) => s.size), availableParallelism()) : 1)
    : opts.threads ?? 1;
  if (auto && process.env['OVERLAYSCOPE_TRACE_THREADS']) stderr(`overlayscope: --threads auto: ${threads} thread${threads > 1 ? 's' : ''}\n`);
  const worker = threads > 1 && files && !sequentialReason(session.options) ? flowWorkerPath() : null;
  // Two or more captures: a worker per share of them (the capture split); one: its flows in a worker (the stage split).
  if (worker && files && files.length >= 2 && !captureSplitReason(session.options)) {
    return runWithCaptureWorkers(session, files, flowWorkOptions(session.options), worker, threads, stderr);
  }
  // One capture: split by flow key among N owners, or its flows in one worker (the stage split).
  if (worker && files && files.length === 1 && (opts.split ?? defaultSplit(threads)) === 'flow') {
    return runWithFlowSplit(session, files[0]!, flowWorkOptions(session.options), worker, threads, stderr);
  }
  if (worker && files) return runWithFlowWorker(session, files, flowWorkOptions(session.options), worker, stderr);
  return session.run();
}

/** True when opening met an error (a refused or cut-short archive): the command exits 1. */
export function inputErrors(session: AnalysisSession): boolean {
  return session.inputs?.notes.some((n) => n.severity === 'error') ?? false;
}

/** The one capture `packets` reads: a file, a .gz, or an archive holding exactly one capture. */
export async function singleCapture(path: string, stderr: (s: string) => void): Promise<ByteSource> {
  const inputs = await openPaths([path]).catch((e: unknown) => {
    throw e instanceof PathError ? new InputError(e.message) : e;
  });
  for (const n of inputs.notes) if (n.severity !== 'note') stderr(`overlayscope: ${visibleText(n.file)}: offset ${n.offset}: ${n.layer}: ${visibleText(n.reason)}\n`);
  if (inputs.captures.length !== 1) {
    throw new InputError(`${path}: holds ${inputs.captures.length} captures; packets reads one (name the archive member's capture by opening it with analyze, or extract it)`);
  }
  return inputs.captures[0]!;
}
