/**
 * The main process's handle on one engine worker thread (one per window, so
 * one per session): forwards calls, routes answers, and pushes progress to
 * the window. A worker that dies fails its pending calls with a clear error.
 */
import { Worker } from 'node:worker_threads';
import type { Progress } from '../src/api.js';
import type { CallableMethod, WorkerMessage, WorkerRequest } from '../renderer/worker/protocol.js';

export class EngineHost {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private dead: Error | null = null;

  constructor(workerFile: URL | string, labDir: string | null, onProgress: (p: Progress) => void) {
    this.worker = new Worker(workerFile, { workerData: { labDir } });
    this.worker.on('message', (m: WorkerMessage) => {
      if ('event' in m) { onProgress(m.progress); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
    });
    const fail = (e: Error) => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(new Error(`the engine stopped: ${e.message}`)));
    this.worker.on('exit', (code) => { if (!this.dead) fail(new Error(`the engine exited (code ${code})`)); });
  }

  call(method: CallableMethod, args: unknown[]): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { id, method, args };
      this.worker.postMessage(req);
    });
  }

  async dispose(): Promise<void> {
    this.dead ??= new Error('the window was closed');
    await this.worker.terminate();
  }
}
