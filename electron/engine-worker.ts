/**
 * The engine in a worker thread of the main process: captures are parsed
 * here, never in the renderer and never on the main thread. It reads files
 * itself (read-only) and answers the same request/response protocol as the
 * browser build's Web Worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { AnalyzerApi, SourceRef } from '../src/api.js';
import type { ByteSource } from '../src/capture/types.js';
import { createAnalyzerService } from '../src/service/analyzer-service.js';
import { fileSource } from '../src/host/node/file-source.js';
import { renderChartSvg } from '../src/host/node/report-charts.js';
import { setReportChartRenderer } from '../src/report/service-extension.js';
import { FLOW_WORKER_BUNDLE, runWithFlowWorker } from '../src/host/node/analyze-workers.js';
import { MERGE_COST, runWithCaptureWorkers } from '../src/host/node/capture-workers.js';
import { captureShares, captureSplitReason } from '../src/session/parallel/capture-split.js';
import { flowWorkOptions, sequentialReason } from '../src/session/parallel/flow-handoff.js';
import type { ParallelRunner } from '../src/service/parallel-runner.js';
import { CALLABLE_METHODS, type WorkerMessage, type WorkerRequest } from '../renderer/worker/protocol.js';

const port = parentPort;
if (!port) throw new Error('engine-worker must run in a worker thread');
const labDir: string | null = (workerData as { labDir?: string } | null)?.labDir ?? null;

/** Resolves a desktop SourceRef: a local path, or a lab capture inside labDir (never outside). */
export async function resolveDesktopSource(ref: SourceRef, lab: string | null): Promise<ByteSource> {
  switch (ref.kind) {
    case 'path':
      return fileSource(ref.path, ref.path);
    case 'url':
      return fileSource(labPath(ref, lab), ref.name);
    case 'blob':
      throw new Error(`${ref.name}: the desktop app opens files by path`);
  }
}

/** A bundled lab capture's path inside labDir (never outside). */
function labPath(ref: { url: string; name: string }, lab: string | null): string {
  if (!lab) throw new Error(`${ref.name}: no lab captures are bundled with this build`);
  const rel = decodeURIComponent(ref.url.replace(/^lab\//, ''));
  const abs = path.resolve(lab, rel);
  if (!abs.startsWith(path.resolve(lab) + path.sep)) throw new Error(`${ref.url}: outside the bundled lab captures`);
  return abs;
}

/** The flow worker's bundle, built beside this one (vite.electron.config.ts: dist-electron/analyze-worker.js). */
const flowWorker = fileURLToPath(new URL(`./${FLOW_WORKER_BUNDLE}`, import.meta.url));

/**
 * OpenOptions.threads >= 2 (docs/decisions/0015 §6–§7), regular files only (a
 * pipe cannot be read twice), the output the single-threaded one either way:
 * - two or more captures: the capture split (src/host/node/capture-workers.ts):
 *   this thread reads the first share of the captures, a worker thread each
 *   other share (the same bundle in its capture mode), merged in capture order;
 * - one capture: its flows built by a second worker thread reading the same
 *   file (the stage split, src/host/node/analyze-workers.ts).
 * The Node hosts report a fallback to one thread on their stderr: it becomes the note.
 */
const parallel: ParallelRunner = async ({ session, inputs, threads, signal }) => {
  const one = async (note: string) => ({ session: await session.run(), used: 1, note: `${note}: analysed on one thread` });
  const files: string[] = [];
  for (const { ref } of inputs) {
    const file = ref.kind === 'path' ? ref.path : ref.kind === 'url' ? labPath(ref, labDir) : null;
    if (!file || !statSync(file, { throwIfNoEntry: false })?.isFile()) return one(`${ref.kind === 'blob' ? ref.name : file ?? ''} is not a regular file`);
    files.push(file);
  }
  const reason = sequentialReason({ ...session.options, signal: undefined });
  if (reason) return one(reason);
  if (!existsSync(flowWorker)) return one(`${FLOW_WORKER_BUNDLE} is missing beside the engine`);
  let failure: string | null = null;
  const stderr = (line: string): void => {
    if (/one thread/.test(line)) failure = line.replace(/^overlayscope: /, '').trim().replace(/; analysing on one thread$/, '; analysed on one thread');
  };
  const shares = files.length >= 2 && !captureSplitReason(session.options) ? captureShares(session.sources.map((s) => s.size), threads, MERGE_COST) : [];
  if (shares.length >= 2) {
    // Cancelling stops every thread at once: the captures read in order are kept, as in the browser host (and as one
    // thread stopped there would keep them); the others are marked cancelled. `shares` as the host cuts them (MERGE_COST).
    const read = await runWithCaptureWorkers(session, files, flowWorkOptions(session.options), flowWorker, threads, stderr, signal);
    if (failure) return { session: read, used: 1, note: failure };
    const fewer = shares.length < threads ? `the capture split uses ${shares.length} threads (${threads} asked for): ${files.length} captures make ${shares.length} shares` : '';
    const kept = read.captures.filter((c) => !c.cancelled).length;
    const part = kept < read.captures.length && read.captures[kept]!.packets > 0;
    const cancelled = kept < read.captures.length
      ? `the open was cancelled: the captures read in order are kept (${kept} of ${read.captures.length} captures${part ? ', and the next in part' : ''}), not what the other threads read after them`
      : '';
    const note = [cancelled, fewer].filter(Boolean).join('; ');
    return { session: read, used: shares.length, split: 'capture' as const, ...(note ? { note } : {}) };
  }
  // Cancelling the stage split: the worker reads on to its end, its counts then differ from this thread's and the session is
  // read again on one thread, stopped at once by the signal: nothing read is kept (the browser host keeps the packets).
  const read = await runWithFlowWorker(session, files, flowWorkOptions(session.options), flowWorker, stderr);
  if (signal.aborted) return { session: read, used: 1, note: 'the open was cancelled: with 2 threads, nothing read is kept' };
  if (failure) return { session: read, used: 1, note: failure };
  return { session: read, used: 2, split: 'stage' as const, ...(threads > 2 ? { note: `the stage split uses 2 threads (${threads} asked for)` } : {}) };
};

// The HTML report (and its PDF) draws its charts with the app's chart components.
setReportChartRenderer(renderChartSvg);
const service: AnalyzerApi = createAnalyzerService({ resolve: (ref) => resolveDesktopSource(ref, labDir) }, { parallel, cores: availableParallelism() });
const post = (m: WorkerMessage) => port.postMessage(m);
service.onProgress((progress) => post({ event: 'progress', progress }));

port.on('message', (req: WorkerRequest) => {
  const { id, method, args } = req;
  if (typeof id !== 'number' || !CALLABLE_METHODS.includes(method) || !Array.isArray(args)) {
    post({ id: typeof id === 'number' ? id : -1, ok: false, error: { name: 'Error', message: `bad request to the engine worker: ${String(method)}` } });
    return;
  }
  const fn = (service[method] as (...a: unknown[]) => Promise<unknown>).bind(service);
  Promise.resolve()
    .then(() => fn(...args))
    .then(
      (result) => post({ id, ok: true, result }),
      (err: unknown) => post({ id, ok: false, error: err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) } }),
    );
});
