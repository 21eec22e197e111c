/** AnalyzerApi over the engine Web Worker (browser build). */
import type { AnalyzerApi, Progress } from '../../../src/api.js';
import type { CallableMethod, WorkerMessage, WorkerRequest } from '../../worker/protocol.js';

/** An engine error as the UI sees it (keeps the engine's error name). */
export class EngineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function createWorkerClient(worker: Worker): AnalyzerApi {
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Set<(p: Progress) => void>();
  worker.addEventListener('message', (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    if ('event' in m) {
      for (const l of listeners) l(m.progress);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new EngineError(m.error.name, m.error.message));
  });
  worker.addEventListener('error', (e) => {
    const err = new EngineError('WorkerError', `the engine worker failed: ${e.message || 'unknown error'}`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  const call = (method: CallableMethod) => (...args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const req: WorkerRequest = { id, method, args };
      worker.postMessage(req);
    });
  return {
    openSession: call('openSession'),
    addCaptures: call('addCaptures'),
    loadCluster: call('loadCluster'),
    setClocks: call('setClocks'),
    cancel: call('cancel'),
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSummary: call('getSummary'),
    getIssues: call('getIssues'),
    getPackets: call('getPackets'),
    getPacketDetail: call('getPacketDetail'),
    checkFilter: call('checkFilter'),
    getFlows: call('getFlows'),
    getFlowDetail: call('getFlowDetail'),
    getStream: call('getStream'),
    getHttp: call('getHttp'),
    getDns: call('getDns'),
    getOverlay: call('getOverlay'),
    compare: call('compare'),
    exportReport: call('exportReport'),
    exportData: call('exportData'),
  } as AnalyzerApi;
}
