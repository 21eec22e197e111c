/**
 * The analysis worker's entry (bundled to dist/analyze-worker.js by
 * scripts/build-cli.mjs), in one of three modes (docs/decisions/0015-parallel-analysis.md):
 * - the stage split: reads the session's captures for their flows, TCP,
 *   HTTP and DNS only and posts each capture's flow ids, then the tracker
 *   (src/session/parallel/flow-handoff.ts, src/host/node/analyze-workers.ts);
 * - the capture split (`share` given): reads its share of the captures with
 *   the whole per-capture pipeline and posts each capture's state when it is read
 *   (src/session/parallel/capture-split.ts, src/host/node/capture-workers.ts);
 * - the flow split (`owner` given): reads the one capture tracking only the
 *   flows it owns and posts its part
 *   (src/session/parallel/flow-split.ts, src/host/node/flow-split-workers.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ByteSource } from '../../capture/types.js';
import { stateBuffers, trackFlows } from '../../session/parallel/flow-handoff.js';
import { readCaptures, shareBuffers } from '../../session/parallel/capture-split.js';
import type { FlowWorkerData, FlowWorkerMessage } from './analyze-workers.js';
import type { CaptureWorkerData, CaptureWorkerMessage } from './capture-workers.js';
import { fileSource } from './file-source.js';
import type { OwnerWorkerData, OwnerWorkerMessage } from './flow-split-workers.js';
import { partBuffers, readFlowPart } from '../../session/parallel/flow-split.js';

const port = parentPort;
if (!port) throw new Error('analyze-worker must run in a worker thread');
const data = workerData as FlowWorkerData | CaptureWorkerData | OwnerWorkerData;

if ('owner' in data) {
  // The flow split (src/host/node/flow-split-workers.ts): the capture's flows owned by this worker.
  const post = (m: OwnerWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  try {
    const part = await readFlowPart(await fileSource(data.file), data.owner, data.owners, data.options);
    post({ kind: 'part', part }, partBuffers(part));
  } catch (e) {
    post({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
} else if ('share' in data) {
  const post = (m: CaptureWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  try {
    const sources: Array<ByteSource | undefined> = [];
    for (const i of data.share) sources[i] = await fileSource(data.files[i]!);
    // Progress at most every 1 % of the share (a message per chunk would cost more than it says).
    const total = data.share.reduce((a, i) => a + sources[i]!.size, 0);
    let shown = 0;
    // Each capture's state is posted as soon as it is read (its typed arrays moved): the session's thread merges it meanwhile.
    await readCaptures(sources, data.share, data.options, (state) => post({ kind: 'capture', state }, shareBuffers(state)), (bytes) => {
      if (bytes - shown < total / 100 && bytes < total) return;
      shown = bytes;
      post({ kind: 'progress', bytes });
    });
  } catch (e) {
    post({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
} else {
  const { files, options } = data;
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
}
