/**
 * A capture worker of the browser build (docs/decisions/0015, the capture
 * split): started by the engine's Web Worker (src/host/browser/analyze-workers.ts)
 * for one share of the session's captures, it reads them from their Blobs
 * with the whole per-capture pipeline (readCaptures) and posts its progress
 * and each capture's state as soon as it is read, typed arrays moved (the
 * engine thread merges it while the rest is read). The same work as the Node
 * capture worker (src/host/node/analyze-worker.ts in its capture mode).
 */
import { readCaptures, shareBuffers } from '../../src/session/parallel/capture-split.js';
import { blobSource } from '../../src/host/browser/file-source.js';
import type { ByteSource } from '../../src/capture/types.js';
import type { CaptureShareMessage, CaptureShareRequest } from '../../src/host/browser/analyze-workers.js';

interface WorkerScope {
  postMessage(message: CaptureShareMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<CaptureShareRequest>) => void, options?: { once: boolean }): void;
}
const scope = self as unknown as WorkerScope;

scope.addEventListener('message', (e) => {
  const { sources, share, options } = e.data;
  const read: Array<ByteSource | undefined> = sources.map((s) => (s ? blobSource(s.blob, s.name) : undefined));
  // Progress at most every 1 % of the share (a message per chunk would cost more than it says).
  const total = share.reduce((a, i) => a + (read[i]?.size ?? 0), 0);
  let shown = 0;
  Promise.resolve()
    .then(() => readCaptures(read, share, options, (state) => scope.postMessage({ kind: 'capture', state }, shareBuffers(state)), (bytes) => {
      if (bytes - shown < total / 100 && bytes < total) return;
      shown = bytes;
      scope.postMessage({ kind: 'progress', bytes });
    }))
    .catch((err: unknown) => scope.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) }));
}, { once: true });
