/**
 * The engine in a Web Worker (browser build): the same AnalyzerService the
 * desktop app runs in its worker thread, so parsing never blocks the UI.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { createAnalyzerService } from '../../src/service/analyzer-service.js';
import { setReportChartRenderer } from '../../src/report/service-extension.js';
import { Chart } from '../charts/charts.js';
import type { AnalyzerApi } from '../../src/api.js';
import { CALLABLE_METHODS, type WorkerMessage, type WorkerRequest } from './protocol.js';
import { resolveBrowserSource, sameOriginUrl } from './url-source.js';
import { browserParallelRunner } from '../../src/host/browser/analyze-workers.js';

interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest>) => void): void;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;

// The HTML report draws its charts with the app's chart components, as static SVG.
setReportChartRenderer((spec) => renderToStaticMarkup(createElement(Chart, { spec })));
// OpenOptions.threads >= 2 (docs/decisions/0015): two or more captures read in shares by this worker and nested
// capture workers, then merged (the capture split); one capture's flows built by a nested flow worker (the stage split).
const parallel = browserParallelRunner({
  startWorker: () => new Worker(new URL('./flow-worker.ts', import.meta.url), { type: 'module', name: 'overlayscope-flows' }),
  startCaptureWorker: () => new Worker(new URL('./capture-worker.ts', import.meta.url), { type: 'module', name: 'overlayscope-captures' }),
  async blobOf({ ref }) {
    if (ref.kind === 'blob') return ref.blob;
    if (ref.kind !== 'url') return null;
    // The served capture again (the browser's cache has it): same origin only, as the engine's own read.
    const res = await fetch(sameOriginUrl(ref.url, scope.location.href));
    return res.ok ? res.blob() : null;
  },
  trace: (line) => console.debug(`overlayscope: ${line}`),
});
const service: AnalyzerApi = createAnalyzerService({ resolve: (ref) => resolveBrowserSource(ref, scope.location.href) },
  { parallel, cores: workerCores() });

/** The cores the browser offers this worker (navigator.hardwareConcurrency), 1 when it does not say. */
function workerCores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
}
service.onProgress((progress) => scope.postMessage({ event: 'progress', progress }));

scope.addEventListener('message', (e) => {
  const { id, method, args } = e.data;
  if (typeof id !== 'number' || !CALLABLE_METHODS.includes(method) || !Array.isArray(args)) {
    scope.postMessage({ id: typeof id === 'number' ? id : -1, ok: false, error: { name: 'Error', message: `bad request to the engine worker: ${String(method)}` } });
    return;
  }
  const fn = (service[method] as (...a: unknown[]) => Promise<unknown>).bind(service);
  Promise.resolve()
    .then(() => fn(...args))
    .then(
      (result) => scope.postMessage({ id, ok: true, result }),
      (err: unknown) => {
        const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
        scope.postMessage({ id, ok: false, error });
      },
    );
});
