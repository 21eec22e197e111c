/**
 * The flow worker's entry (bundled to dist/analyze-worker.js by
 * scripts/build-cli.mjs): reads the session's captures for their flows, TCP,
 * HTTP and DNS only and posts each capture's flow ids, then the tracker
 * (src/session/parallel/flow-handoff.ts, src/host/node/analyze-workers.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { stateBuffers, trackFlows } from '../../session/parallel/flow-handoff.js';
import type { FlowWorkerData, FlowWorkerMessage } from './analyze-workers.js';
import { fileSource } from './file-source.js';

const port = parentPort;
if (!port) throw new Error('analyze-worker must run in a worker thread');
const { files, options } = workerData as FlowWorkerData;
const post = (m: FlowWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const sources = [];
  for (const f of files) sources.push(await fileSource(f));
  const state = await trackFlows(sources, options, (ids) => {
    // Moved, not copied: the worker is done with this capture's index.
    post({ kind: 'capture', ...ids }, [ids.flowId.buffer as ArrayBuffer, ids.outerFlowId.buffer as ArrayBuffer]);
  });
  post({ kind: 'done', state }, stateBuffers(state));
} catch (e) {
  post({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
}
