/**
 * The flows of a session built in another thread (docs/decisions/0015-parallel-analysis.md,
 * "stage split"): a worker reads the same captures in the same order with a FlowTracker as
 * its only observer, exactly as AnalysisSession.run() feeds the session's own, while the
 * session's thread reads them for everything else (packet index, layer counts, issues,
 * overlay). When both are done the worker's tracker state and each capture's per-packet
 * flow ids are adopted by the session, which then has what run() would have built.
 *
 * Platform-neutral: the host (src/host/node/analyze-workers.ts) moves the messages.
 */
import type { ByteSource } from '../../capture/types.js';
import { DissectConfig, type DissectOptions } from '../../dissect/config.js';
import type { DecodedPacket } from '../../dissect/decoded.js';
import { analyzeCapture, newCaptureResult, type AnalyzeOptions, type CaptureResult, type PacketObserver } from '../../pipeline/analyze.js';
import { FlowTracker } from '../../flows/flow-tracker.js';
import type { OverlayObserver } from '../../overlay/overlay-observer.js';

/**
 * How many threads analyse a session (CLI `--threads N|auto`); 1 (the default here) is the
 * single-threaded path; 'auto' is resolved by the host once it knows the captures (src/cli/open-session.ts).
 */
export interface ParallelOptions {
  threads?: number | 'auto';
}

/** What the flow worker needs besides its sources: plain data only (it crosses to another thread). */
export interface FlowWorkOptions extends DissectOptions {
  maxPackets?: number;
  maxFlows?: number;
  chunkSize?: number;
}

export function flowWorkOptions(o: AnalyzeOptions): FlowWorkOptions {
  return {
    ...(o.vxlanPorts ? { vxlanPorts: [...o.vxlanPorts] } : {}),
    ...(o.genevePorts ? { genevePorts: [...o.genevePorts] } : {}),
    ...(o.wireguardPorts ? { wireguardPorts: [...o.wireguardPorts] } : {}),
    ...(o.maxPackets !== undefined ? { maxPackets: o.maxPackets } : {}),
    ...(o.maxFlows !== undefined ? { maxFlows: o.maxFlows } : {}),
    ...(o.chunkSize !== undefined ? { chunkSize: o.chunkSize } : {}),
  };
}

/**
 * Why these options keep a session on one thread, or null when its flows can be built
 * elsewhere: code the caller passes (a display filter, extra observers) cannot cross to a
 * worker, and a cancellable analysis would need the worker cancelled with it.
 */
export function sequentialReason(o: AnalyzeOptions): string | null {
  if (o.packetFilter) return 'a display filter runs in the reading thread';
  if (o.observers?.length) return 'extra observers (zeek-conn) run in the reading thread';
  if (o.signal) return 'a cancellable analysis';
  return null;
}

/** One capture's per-packet flow ids (the packet index's `flowId`/`outerFlowId`), sent when its reading ends. */
export interface CaptureFlowIds {
  capture: number;
  /** Packets read (the index's count). */
  packets: number;
  flowId: Int32Array;
  outerFlowId: Int32Array;
}

/** The tracker's own fields after the last capture (its class instances as plain objects once cloned). */
export type FlowTrackerState = Record<string, unknown>;

/** Fields not sent: the worker's capture results (the session has its own) and the reused lookup key. */
const LOCAL_FIELDS = new Set(['captures', 'key']);

/**
 * Worker side: reads `sources` in session order feeding one FlowTracker, as
 * AnalysisSession.run() does (same options, same DissectConfig, the same
 * analyzeCapture, so the same packets, interfaces and flows). `onCapture` gets
 * each capture's flow ids when its reading ends; only one capture's index is
 * held at a time.
 */
export async function trackFlows(sources: readonly ByteSource[], opts: FlowWorkOptions,
  onCapture: (ids: CaptureFlowIds) => void): Promise<FlowTrackerState> {
  const cfg = new DissectConfig(opts);
  const tracker = new FlowTracker();
  if (opts.maxFlows !== undefined) tracker.maxFlows = opts.maxFlows;
  const analyzeOpts: AnalyzeOptions = {
    ...(opts.maxPackets !== undefined ? { maxPackets: opts.maxPackets } : {}),
    ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}),
    ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
  };
  for (let i = 0; i < sources.length; i++) {
    const result = newCaptureResult(i, sources[i]!);
    const summary = await analyzeCapture(sources[i]!, result, cfg, [tracker], analyzeOpts);
    onCapture({ capture: i, packets: result.index.count, flowId: result.index.flowId, outerFlowId: result.index.outerFlowId });
    // The tracker needs a capture's index only while reading it.
    tracker.captures.length = 0;
    if (summary.cancelled) break;
  }
  const state: FlowTrackerState = {};
  for (const [k, v] of Object.entries(tracker)) if (!LOCAL_FIELDS.has(k)) state[k] = v;
  return state;
}

/**
 * The ArrayBuffers under `state` (typed arrays of the tracker and of its table,
 * TCP, HTTP, DNS and NAT parts): moved, not copied, when the state is posted.
 */
export function stateBuffers(state: FlowTrackerState): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const take = (v: unknown): void => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && v.buffer.byteLength >= 4096) out.add(v.buffer);
  };
  for (const v of Object.values(state)) {
    take(v);
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !Array.isArray(v)) for (const w of Object.values(v)) take(w);
  }
  return [...out];
}

/** A class instance of the tracker (table, tcp, http, dns, nat): keeps its prototype and takes the worker's fields. */
function isClassInstance(v: unknown): v is object {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || Array.isArray(v) || v instanceof Map || v instanceof Set) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto !== Object.prototype && proto !== null;
}

/**
 * Session side: `target` (the session's FlowTracker, which saw no packet) takes
 * the worker's state, and each capture's index its flow ids. Throws when the
 * two threads did not read the same packets (they read the same bytes with the
 * same code, so this is a bug, never the input).
 */
export function adoptFlows(target: FlowTracker, state: FlowTrackerState, ids: ReadonlyArray<CaptureFlowIds | undefined>,
  captures: readonly CaptureResult[], read: number): void {
  const t = target as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(state)) {
    const cur = t[k];
    if (isClassInstance(cur)) Object.assign(cur, v);
    else t[k] = v;
  }
  for (let c = 0; c < read; c++) {
    const cap = captures[c]!;
    const got = ids[c];
    if (!got || got.packets !== cap.index.count || got.flowId.length !== cap.index.flowId.length) {
      throw new Error(`${cap.file}: the flow worker read ${got ? got.packets : 'no'} packets, the session ${cap.index.count}`);
    }
    cap.index.flowId = got.flowId;
    cap.index.outerFlowId = got.outerFlowId;
    target.captures[c] = cap;
  }
}

/** The flow worker failed or could not start (never the input: the session's thread reads the same bytes and reports their problems); each host reads the session again on one thread. */
export class FlowWorkerFailure extends Error {}

/**
 * What every host does once the worker's state has arrived: the session's
 * tracker adopts it (an adoption error is the worker's failure) and the
 * sparse rows noted meanwhile get their flow ids.
 */
export function adoptWorkerFlows(target: FlowTracker, state: FlowTrackerState, ids: ReadonlyArray<CaptureFlowIds | undefined>,
  captures: readonly CaptureResult[], read: number, rows: SparseRowFlows): void {
  try {
    adoptFlows(target, state, ids, captures, read);
  } catch (e) {
    throw new FlowWorkerFailure(e instanceof Error ? e.message : String(e));
  }
  rows.fill(captures);
}

/**
 * Stands in for the OverlayObserver while the flows are built elsewhere: with
 * one capture point the observer keeps each sparse row's flow id (`rowFlow`),
 * read from the packet index that the flow tracker, observing first, has just
 * filled. Here the ids come later, so the row's packet is noted and `fill`
 * writes the same id once they are adopted.
 */
export class SparseRowFlows implements PacketObserver {
  private rows: number[] = [];
  private packets: number[] = [];

  constructor(readonly overlay: OverlayObserver) {}

  beginCapture(result: CaptureResult): void {
    this.overlay.beginCapture(result);
  }

  endCapture(): void {
    this.overlay.endCapture();
  }

  observe(capture: number, packet: number, p: DecodedPacket, b: Uint8Array, base: number, tsSec: number, tsNsec: number, frameLen: number, iface: number): void {
    const o = this.overlay;
    const n = o.count;
    o.observe(capture, packet, p, b, base, tsSec, tsNsec, frameLen);
    // A row made while not recording is a one-point row: it holds its packet's flow id.
    if (o.count > n && !o.recording) {
      this.rows.push(n, capture);
      this.packets.push(packet);
    }
    void iface;
  }

  /** Writes each noted row's flow id, as the observer would have read it. */
  fill(captures: readonly CaptureResult[]): void {
    const rowFlow = this.overlay.rowFlow;
    for (let k = 0; k < this.packets.length; k++) {
      const ids = captures[this.rows[2 * k + 1]!]?.index.flowId;
      const packet = this.packets[k]!;
      rowFlow[this.rows[2 * k]!] = ids && packet < ids.length ? ids[packet]! : -1;
    }
    this.rows = [];
    this.packets = [];
  }
}
