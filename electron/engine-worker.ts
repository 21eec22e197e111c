/**
 * The engine in a worker thread of the main process: captures are parsed
 * here, never in the renderer and never on the main thread. It reads files
 * itself (read-only) and answers the same request/response protocol as the
 * browser build's Web Worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import type { AnalyzerApi, SourceRef } from '../src/api.js';
import type { ByteSource } from '../src/capture/types.js';
import { createAnalyzerService } from '../src/service/analyzer-service.js';
import { fileSource } from '../src/host/node/file-source.js';
import { renderChartSvg } from '../src/host/node/report-charts.js';
import { setReportChartRenderer } from '../src/report/service-extension.js';
import { CALLABLE_METHODS, type WorkerMessage, type WorkerRequest } from '../renderer/worker/protocol.js';

const port = parentPort;
if (!port) throw new Error('engine-worker must run in a worker thread');
const labDir: string | null = (workerData as { labDir?: string } | null)?.labDir ?? null;

/** Resolves a desktop SourceRef: a local path, or a lab capture inside labDir (never outside). */
export async function resolveDesktopSource(ref: SourceRef, lab: string | null): Promise<ByteSource> {
  switch (ref.kind) {
    case 'path':
      return fileSource(ref.path, ref.path);
    case 'url': {
      if (!lab) throw new Error(`${ref.name}: no lab captures are bundled with this build`);
      const rel = decodeURIComponent(ref.url.replace(/^lab\//, ''));
      const abs = path.resolve(lab, rel);
      if (!abs.startsWith(path.resolve(lab) + path.sep)) throw new Error(`${ref.url}: outside the bundled lab captures`);
      return fileSource(abs, ref.name);
    }
    case 'blob':
      throw new Error(`${ref.name}: the desktop app opens files by path`);
  }
}

// The HTML report (and its PDF) draws its charts with the app's chart components.
setReportChartRenderer(renderChartSvg);
const service: AnalyzerApi = createAnalyzerService({ resolve: (ref) => resolveDesktopSource(ref, labDir) });
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
