/**
 * The flow worker of the browser build (docs/decisions/0015, the stage split):
 * started by the engine's Web Worker (src/host/browser/analyze-workers.ts), it
 * reads the session's captures from the same Blobs for their flows, TCP, HTTP
 * and DNS only, and posts each capture's flow ids, then the tracker. The same
 * work as the Node flow worker (src/host/node/analyze-worker.ts).
 */
import { stateBuffers, trackFlows } from '../../src/session/parallel/flow-handoff.js';
import { blobSource } from '../../src/host/browser/file-source.js';
import type { FlowWorkerMessage, FlowWorkerRequest } from '../../src/host/browser/analyze-workers.js';

interface WorkerScope {
  postMessage(message: FlowWorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<FlowWorkerRequest>) => void, options?: { once: boolean }): void;
}
const scope = self as unknown as WorkerScope;

scope.addEventListener('message', (e) => {
  const { sources, options } = e.data;
  trackFlows(sources.map((s) => blobSource(s.blob, s.name)), options, (ids) => {
    // Moved, not copied: this worker is done with the capture's index.
    scope.postMessage({ kind: 'capture', ...ids }, [ids.flowId.buffer as ArrayBuffer, ids.outerFlowId.buffer as ArrayBuffer]);
  }).then(
    (state) => scope.postMessage({ kind: 'done', state }, stateBuffers(state)),
    (err: unknown) => scope.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
}, { once: true });
