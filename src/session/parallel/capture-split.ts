/**
 * The capture split (docs/decisions/0015-parallel-analysis.md §2 and "Capture
 * split: built"): each worker reads a contiguous share of the session's
 * captures with the whole per-capture pipeline (packet index, layer counts,
 * issues, a FlowTracker, an OverlayObserver recording from the first packet as
 * the session's does), and the session's thread merges the shares in capture
 * order into what AnalysisSession.run() would have built:
 *
 * - captures: each share's CaptureResults are the captures' own;
 * - flows: ids offset by the flows of the shares before (single-threaded ids
 *   are created in capture order, first seen within a capture), columns,
 *   TCP arrays, tunnel links, NAT aliases, HTTP and DNS transactions
 *   concatenated, the hash index rebuilt, packet flow ids offset;
 * - overlay: points and tuples offset the same way (a tuple holds its point,
 *   so shares' tuples are disjoint; they are interned again in order), rows
 *   concatenated with their times rebased, VTEPs and edges merged in share
 *   order (Map order = first seen), and the cross-point dedup of tunnel
 *   packets replayed over each share's log of the packets it counted.
 *
 * What the merge cannot make exactly (more flows than the bound, interned IPv6
 * tunnel endpoints, times too far apart to rebase exactly) is refused with the
 * reason, and the caller analyses the session on one thread instead.
 *
 * Platform-neutral: the host (src/host/node/analyze-workers.ts) moves the shares.
 */
import type { ByteSource } from '../../capture/types.js';
import { DissectConfig } from '../../dissect/config.js';
import { analyzeCapture, newCaptureResult, type AnalyzeOptions, type CaptureResult } from '../../pipeline/analyze.js';
import { PacketIndex } from '../../pipeline/packet-index.js';
import { FlowTracker } from '../../flows/flow-tracker.js';
import type { TcpConversations } from '../../flows/tcp-conversation.js';
import type { HttpIssue, HttpTransaction } from '../../flows/http-transactions.js';
import type { DnsIssue, DnsTransaction } from '../../flows/dns-transactions.js';
import { grown } from '../../flows/grow.js';
import { OverlayObserver, type TunnelCountLog, type TunnelCounters, type VtepFacts } from '../../overlay/overlay-observer.js';
import type { FlowWorkOptions } from './flow-handoff.js';

/** What a capture worker needs besides its files: plain data only. */
export interface CaptureWorkOptions extends FlowWorkOptions {
  /** The session's capture count (the overlay observer records rows from the first packet with two or more). */
  capturePoints: number;
}

/**
 * Why these options keep a session of several captures off the capture split
 * (it then takes the stage split), or null. Beyond flow-handoff's
 * sequentialReason (what keeps a session on one thread): code given for the
 * reading (interface names from `--interface-names`) cannot cross to a worker.
 */
export function captureSplitReason(o: AnalyzeOptions): string | null {
  if (o.interfaceName) return 'interface names are given to the reading thread';
  return null;
}

/**
 * Contiguous shares of captures (indexes in order) for at most `workers`
 * workers, the largest share's bytes as small as contiguous cuts allow
 * (a pcapng is one capture, so one unit). Shares are never empty.
 *
 * `mergeCost`: when the first share is read by the thread that also merges
 * every other share's captures (AnalysisSession.runSplit + CaptureMerge), the
 * merge's cost per byte merged relative to reading a byte: that thread's load
 * is then first + mergeCost × rest, and the cuts balance that instead.
 */
export function captureShares(sizes: readonly number[], workers: number, mergeCost = 0): number[][] {
  const n = sizes.length;
  const w = Math.max(1, Math.min(workers, n));
  // Zero-byte files still cost a little: weigh every capture at least 1.
  const size = sizes.map((s) => Math.max(1, s));
  const total = size.reduce((a, b) => a + b, 0);
  const cut = (limit: number): number[][] => {
    const out: number[][] = [];
    let cur: number[] = [];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const load = out.length === 0 ? (sum + size[i]!) * (1 - mergeCost) + mergeCost * total : sum + size[i]!;
      if (cur.length && load > limit) { out.push(cur); cur = []; sum = 0; }
      cur.push(i);
      sum += size[i]!;
    }
    if (cur.length) out.push(cur);
    return out;
  };
  let lo = Math.max(...size), hi = total;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (cut(mid).length <= w) hi = mid; else lo = mid + 1;
  }
  return cut(lo);
}

/** The tunnel packets a share's observer counted, in order (TunnelCountLog), as typed columns. */
export class TunnelLog implements TunnelCountLog {
  count = 0;
  fa = new Uint32Array(1024);
  fb = new Uint32Array(1024);
  point = new Uint32Array(1024);
  edge = new Uint32Array(1024);
  frameLen = new Uint32Array(1024);
  /** Encapsulation bytes; bit 31: a WireGuard handshake. */
  overhead = new Uint32Array(1024);
  innerKey = new Int32Array(1024);

  add(fa: number, fb: number, point: number, edge: number, frameLen: number, overhead: number, handshake: number, innerKey: number): void {
    const n = this.count;
    if (n === this.fa.length) this.grow(2 * n);
    this.fa[n] = fa; this.fb[n] = fb; this.point[n] = point; this.edge[n] = edge; this.frameLen[n] = frameLen;
    this.overhead[n] = (overhead | (handshake << 31)) >>> 0;
    this.innerKey[n] = innerKey | 0;
    this.count = n + 1;
  }

  private grow(size: number): void {
    const g = <T extends Uint32Array | Int32Array>(a: T): T => { const r = new (a.constructor as new (n: number) => T)(size); r.set(a); return r; };
    this.fa = g(this.fa); this.fb = g(this.fb); this.point = g(this.point); this.edge = g(this.edge);
    this.frameLen = g(this.frameLen); this.overhead = g(this.overhead); this.innerKey = g(this.innerKey);
  }
}

/** One share read by a worker: plain data (its typed arrays are moved when posted). */
export interface ShareState {
  /** The share's captures, by position in `captures` (ids ascending, contiguous). */
  captures: CaptureResult[];
  flows: FlowShare;
  overlay: OverlayShare;
  log: TunnelLogState;
}

/** A TunnelLog's columns. */
export type TunnelLogState = Pick<TunnelLog, 'count' | 'fa' | 'fb' | 'point' | 'edge' | 'frameLen' | 'overhead' | 'innerKey'>;

/** The worker's FlowTracker after its last capture: the table's fields (private ones too) but its hash slots. */
interface FlowShare {
  table: Record<string, unknown>;
  tcp: Record<string, unknown>;
  http: { transactions: HttpColumns; issues: HttpIssue[]; droppedIssues: number; isHttp: Uint8Array };
  dns: { transactions: DnsTransaction[]; issues: DnsIssue[]; droppedIssues: number };
  natJoined: number;
  issues: FlowTracker['issues'];
  flowLimitReached: boolean;
}

/** Row and tuple columns, heads, points, VTEPs and edges of a worker's OverlayObserver (private fields read by name). */
type OverlayShare = Record<string, unknown> & {
  count: number; baseSec: number; tupleCount: number; headCount: number; headUsed: number;
  headRow: Int32Array; headAt: Uint32Array; headChunks: Uint8Array[];
  points: Array<{ capture: number; iface: number }>; pointPackets: number[];
  vteps: VtepFacts[]; edges: EdgeState[];
  tunnelPackets: number; v6Words: number[]; recording: boolean; late: boolean;
};

/** A tunnel edge of a capture's observer: its key, where it was seen, and what it counted (its inner flow keys as an array). */
type EdgeState = Pick<TunnelCounters, 'src' | 'dst' | 'type' | 'vni' | 'seenAt' | 'index' | 'packets' | 'bytes' | 'overheadBytes' | 'handshakes'> & { innerFlows: Int32Array };

const ROW_COLUMNS = ['tuple', 'time', 'seq', 'ack', 'ipId', 'payLen', 'digest', 'flags', 'http', 'status'] as const;
const TUPLE_COLUMNS = ['tPoint', 'tDepth', 'tVer', 'tProto', 'tTunType', 'tTtl', 'tSrc', 'tDst', 'tSport', 'tDport', 'tOuterSrc', 'tOuterDst', 'tVni'] as const;
const HEAD_CHUNK = 65536;

/**
 * Worker side: reads captures `ids` of `sources` (the session's, by capture
 * id; only these are read) as AnalysisSession.run() does: the same
 * DissectConfig and options, observers [flows, overlay] in the session's
 * order, capture ids the session's. `onProgress(bytes)`: bytes of the share read so far.
 */
export async function readShare(sources: ReadonlyArray<ByteSource | undefined>, ids: readonly number[], opts: CaptureWorkOptions & { signal?: AbortSignal },
  onProgress?: (bytes: number) => void): Promise<ShareState[]> {
  const out: ShareState[] = [];
  await readCaptures(sources, ids, opts, (s) => { out.push(s); }, onProgress);
  return out;
}

/**
 * readShare, each capture's state given to `onState` as soon as that capture
 * is read (a worker posts it then, so the session's thread can merge it while
 * the others read). Returns how many captures were read.
 */
export async function readCaptures(sources: ReadonlyArray<ByteSource | undefined>, ids: readonly number[], opts: CaptureWorkOptions & { signal?: AbortSignal },
  onState: (state: ShareState) => void, onProgress?: (bytes: number) => void): Promise<number> {
  const cfg = new DissectConfig(opts);
  const shareTotal = ids.reduce((a, i) => a + sources[i]!.size, 0);
  const analyzeOpts: AnalyzeOptions = {
    ...opts,
    ...(onProgress ? { onProgress: (read: number) => onProgress(read) } : {}),
  };
  let base = 0, read = 0;
  // One fingerprint table through the share (see shareFingerprints): a capture's log then holds only tunnel packets
  // no earlier capture of the share saw, so the merge replays less.
  let fingerprints: Fingerprints | null = null;
  for (const id of ids) {
    // A tracker and an observer for each capture: what one capture builds depends on its packets only
    // (flows, transactions and rows are per capture point), and its rows' times then start at its own
    // first second, exact whatever the other captures' times (see mergeRefusal).
    const captures: CaptureResult[] = [];
    const tracker = new FlowTracker();
    if (opts.maxFlows !== undefined) tracker.maxFlows = opts.maxFlows;
    const overlay = new OverlayObserver((c, n) => captures[c]!.index.iface(n), { capturePoints: opts.capturePoints });
    const log = new TunnelLog();
    overlay.tunnelLog = log;
    if (fingerprints) Object.assign(overlay, fingerprints);
    const src = sources[id]!;
    captures[id] = newCaptureResult(id, src);
    const summary = await analyzeCapture(src, captures[id]!, cfg, [tracker, overlay], analyzeOpts, base, shareTotal);
    base += src.size;
    read++;
    fingerprints = shareFingerprints(overlay);
    onState({ captures: [captures[id]!], flows: flowShare(tracker), overlay: overlayShare(overlay),
      log: { count: log.count, fa: log.fa, fb: log.fb, point: log.point, edge: log.edge, frameLen: log.frameLen, overhead: log.overhead, innerKey: log.innerKey } });
    if (summary.cancelled) break;
  }
  return read;
}

/** An OverlayObserver's tunnel fingerprint table (private fields, by name). */
interface Fingerprints { fpA: Uint32Array; fpB: Uint32Array; fpPoint: Uint16Array; fpCount: number }

/** A point id (+ 1) no capture's own points reach (fpPoint is 16 bits: an observer's points stay below it). */
const EARLIER_CAPTURE = 0xffff;

/**
 * The observer's fingerprint table, for the share's next capture: every entry marked as seen by an earlier capture
 * (its point ids are the observer's own, which the next observer numbers again from 0). The next capture then counts a
 * tunnel packet only when no earlier capture of the share saw it, as one thread counts it over those captures; the
 * merge has only the captures before the share left to check (a share's logs together hold every fingerprint it saw).
 */
function shareFingerprints(o: OverlayObserver): Fingerprints {
  const f = o as unknown as Fingerprints;
  const p = f.fpPoint;
  for (let k = 0; k < p.length; k++) if (p[k] !== 0) p[k] = EARLIER_CAPTURE;
  return { fpA: f.fpA, fpB: f.fpB, fpPoint: p, fpCount: f.fpCount };
}

/**
 * HTTP transactions as they cross threads: their numbers in one Float64Array (moved, not cloned), their strings in
 * one array. As objects, each of 4.4 k a bench capture was cloned with its 19 keys (~12 ms to read back on the
 * session's thread per capture; ~2 ms so).
 */
interface HttpColumns { count: number; numbers: Float64Array; strings: Array<string | null> }

/** Numbers a transaction: id, flow, capture, clientDir, status (NaN: null), req/resp/end sec and nsec, request and response bytes, complete. */
const HTTP_NUMBERS = 14;

function httpColumns(txs: readonly HttpTransaction[]): HttpColumns {
  const numbers = new Float64Array(HTTP_NUMBERS * txs.length);
  const strings: Array<string | null> = new Array<string | null>(5 * txs.length);
  txs.forEach((t, i) => {
    const n = HTTP_NUMBERS * i, k = 5 * i;
    numbers[n] = t.id; numbers[n + 1] = t.flow; numbers[n + 2] = t.capture; numbers[n + 3] = t.clientDir;
    numbers[n + 4] = t.status ?? NaN;
    numbers[n + 5] = t.reqSec; numbers[n + 6] = t.reqNsec; numbers[n + 7] = t.respSec; numbers[n + 8] = t.respNsec;
    numbers[n + 9] = t.endSec; numbers[n + 10] = t.endNsec; numbers[n + 11] = t.requestBytes; numbers[n + 12] = t.responseBytes;
    numbers[n + 13] = t.complete ? 1 : 0;
    strings[k] = t.method; strings[k + 1] = t.host; strings[k + 2] = t.uri; strings[k + 3] = t.version; strings[k + 4] = t.reason;
  });
  return { count: txs.length, numbers, strings };
}

/** Appends the transactions of `c` to `to`, ids renumbered and flows offset by `off` (the object made as HttpTransactions makes it: same keys, same order). */
function appendHttp(to: HttpTransaction[], c: HttpColumns, off: number): void {
  const x = c.numbers, y = c.strings;
  for (let i = 0; i < c.count; i++) {
    const n = HTTP_NUMBERS * i, k = 5 * i;
    const status = x[n + 4]!;
    to.push({
      id: to.length, flow: x[n + 1]! + off, capture: x[n + 2]!, clientDir: x[n + 3]!, method: y[k]!, host: y[k + 1]!, uri: y[k + 2]!, version: y[k + 3]!,
      status: Number.isNaN(status) ? null : status, reason: y[k + 4]!, reqSec: x[n + 5]!, reqNsec: x[n + 6]!, respSec: x[n + 7]!, respNsec: x[n + 8]!,
      endSec: x[n + 9]!, endNsec: x[n + 10]!, requestBytes: x[n + 11]!, responseBytes: x[n + 12]!, complete: x[n + 13] === 1,
    });
  }
}

function flowShare(t: FlowTracker): FlowShare {
  const table = { ...(t.table as unknown as Record<string, unknown>) };
  delete table['slots'];
  const http = t.http as unknown as { isHttp: Uint8Array };
  return {
    table, tcp: { ...(t.tcp as unknown as Record<string, unknown>) },
    http: { transactions: httpColumns(t.http.transactions), issues: t.http.issues, droppedIssues: t.http.droppedIssues, isHttp: http.isHttp },
    dns: { transactions: t.dns.transactions, issues: t.dns.issues, droppedIssues: t.dns.droppedIssues },
    natJoined: t.nat.joined, issues: t.issues, flowLimitReached: t.flowLimitReached,
  };
}

function overlayShare(o: OverlayObserver): OverlayShare {
  const f = o as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of [...ROW_COLUMNS, ...TUPLE_COLUMNS]) out[k] = f[k];
  const vteps = o.vtepList(); // flushes the inner-source cache
  return {
    ...out,
    count: o.count, baseSec: o.baseSec, tupleCount: o.tupleCount,
    headCount: f['headCount'] as number, headUsed: f['headUsed'] as number,
    headRow: f['headRow'] as Int32Array, headAt: f['headAt'] as Uint32Array, headChunks: f['headChunks'] as Uint8Array[],
    points: o.points, pointPackets: o.pointPackets,
    vteps,
    edges: o.edges().map((e) => ({
      src: e.src, dst: e.dst, type: e.type, vni: e.vni, seenAt: e.seenAt, index: e.index,
      packets: e.packets, bytes: e.bytes, overheadBytes: e.overheadBytes, handshakes: e.handshakes, innerFlows: Int32Array.from(e.innerFlows),
    })).sort((a, b) => a.index - b.index),
    tunnelPackets: o.tunnelPackets,
    v6Words: f['v6Words'] as number[],
    recording: o.recording, late: o.lateStart !== null,
  };
}

/** The ArrayBuffers under a share (typed arrays up to three levels down): moved, not copied, when it is posted. */
export function shareBuffers(share: ShareState): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const walk = (v: unknown, depth: number): void => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer && v.buffer.byteLength >= 4096) out.add(v.buffer);
      return;
    }
    if (depth === 0 || v === null || typeof v !== 'object' || v instanceof Map || v instanceof Set) return;
    for (const w of Array.isArray(v) ? v : Object.values(v)) walk(w, depth - 1);
  };
  walk(share.flows, 3);
  walk(share.overlay, 3);
  walk(share.log, 1);
  for (const c of share.captures) walk(c.index, 3);
  return [...out];
}

/** The session's parts a merge fills. */
export interface MergeTarget {
  readonly captures: CaptureResult[];
  readonly flows: FlowTracker;
  readonly overlayObserver: OverlayObserver;
}

/**
 * Why `shares` cannot be merged into exactly the single-threaded result, or
 * null. Checked before anything is changed.
 */
export function mergeRefusal(shares: readonly ShareState[], maxFlows: number): string | null {
  let flows = 0;
  for (const s of shares) {
    flows += (s.flows.table['count'] as number);
    if (s.flows.flowLimitReached || flows > maxFlows) return flowBoundReason(maxFlows);
    if (!s.overlay.recording || s.overlay.late) return NOT_RECORDED;
  }
  // Rows' times are rebased by splitting each into its second and nanosecond (exact while below 2^52 ns, ~52 days from
  // its capture's first row) and computing the single-threaded value from them, rounding included.
  const first = shares.find((s) => s.overlay.count > 0);
  for (const s of shares) {
    if (s === first || s.overlay.count === 0 || s.overlay.baseSec === first!.overlay.baseSec) continue;
    const why = timeSpanReason(s);
    if (why) return why;
  }
  return null;
}

const NOT_RECORDED = 'overlay rows not recorded from the first packet';

function flowBoundReason(maxFlows: number): string {
  return `more than ${maxFlows} flows (the flow table's bound is first-seen over the whole session)`;
}

/** Why a state's rows cannot be rebased exactly (see rebase), or null. */
function timeSpanReason(s: ShareState): string | null {
  const time = s.overlay['time'] as Float64Array;
  for (let r = 0; r < s.overlay.count; r++) if (!(Math.abs(time[r]!) < 2 ** 52)) return `${s.captures[0]?.file ?? 'a capture'}: packet times more than 52 days apart in one capture`;
  return null;
}

/**
 * Session side: fills `target` from `shares` (in capture order, covering its
 * captures 0 .. read-1) as AnalysisSession.run() would have. Call
 * mergeRefusal first. Returns the captures read. (A CaptureMerge over a fresh
 * target: to merge states as they arrive, use CaptureMerge itself.)
 */
export function mergeShares(target: MergeTarget, shares: readonly ShareState[]): number {
  const m = new CaptureMerge(target);
  m.reserve(shares);
  for (const s of shares) m.add(s);
  return m.finish();
}

/** A capture's state cannot be appended exactly (CaptureMerge.refusal's reason): the host analyses again on one thread. */
export class MergeRefused extends Error {}
/** The open was cancelled while capture workers read: what `take` rejects with then. */
export class CaptureSplitCancelled extends Error {}

/**
 * Appends captures [from, to) to `merge` in capture order, each when `take(id)`
 * gives its state (as the workers post them), refusal checked before each add
 * (throws MergeRefused). Returns how many captures the session then holds: `to`,
 * or the capture `take` was cancelled at (CaptureSplitCancelled: the captures
 * before it are a prefix, exactly as one thread stopped there holds them), and
 * the time spent appending (ms by the host's clock `now`, for its traces).
 */
export async function appendInOrder(merge: CaptureMerge, from: number, to: number, take: (id: number) => Promise<ShareState>,
  now: () => number = () => 0): Promise<{ held: number; ms: number }> {
  let ms = 0;
  for (let id = from; id < to; id++) {
    let state: ShareState;
    try {
      state = await take(id);
    } catch (e) {
      if (e instanceof CaptureSplitCancelled) return { held: id, ms };
      throw e;
    }
    const m0 = now();
    const why = merge.refusal(state);
    if (why) throw new MergeRefused(why);
    merge.add(state);
    ms += now() - m0;
  }
  return { held: to, ms };
}

/**
 * The merge a capture at a time (decision 0015 §7): appends captures' states,
 * in capture order, to a session that holds the captures before them: none
 * (mergeShares), or the first share read in place on this thread by
 * AnalysisSession.runSplit — that prefix of the session is exactly what one
 * thread builds, so it needs no merging, and its tunnel fingerprints are
 * already in the session's table. States can be added as they arrive from the
 * workers while the others still read.
 *
 * `refusal(state)` before each `add(state)` (a refusal after some adds leaves
 * the target half-merged: analyse again on a fresh session); `finish()` once.
 */
export class CaptureMerge {
  private next: number;
  private added = 0;
  /**
   * `held`: captures [0, held) are in `target` already (read in place); `maxFlows`: the session's flow bound;
   * `lastShare`: the first capture of the last share (its states come from one reader, in order, and nothing
   * follows them): their tunnel fingerprints are only looked up in the target's table, not added to it.
   */
  constructor(private readonly target: MergeTarget, held = 0, private readonly maxFlows = Infinity, private readonly lastShare = Infinity) {
    this.next = held;
  }

  /** Captures the target holds so far. */
  get captures(): number {
    return this.next;
  }

  /** Why `s` (the next captures' state) cannot be appended exactly, or null. Changes nothing. */
  refusal(s: ShareState): string | null {
    const t = this.target.flows;
    if (t.flowLimitReached || s.flows.flowLimitReached || t.table.count + (s.flows.table['count'] as number) > this.maxFlows) return flowBoundReason(this.maxFlows);
    const o = this.target.overlayObserver;
    if (!s.overlay.recording || s.overlay.late || !o.recording || o.lateStart !== null) return NOT_RECORDED;
    if (s.overlay.count > 0 && o.count > 0 && s.overlay.baseSec !== o.baseSec) return timeSpanReason(s);
    return null;
  }

  /**
   * Sizes the target's row columns and the fingerprint table for `states` still to come (all of them: the
   * capacities are those the appends would grow to, made at once).
   */
  reserve(states: readonly ShareState[]): void {
    const o = this.target.overlayObserver;
    const f = o as unknown as ObserverInternals;
    const rows = o.count + states.reduce((a, s) => a + s.overlay.count, 0);
    roomFor(f, ROW_COLUMNS, o.tuple.length, rows);
    const logged = (f['fpCount'] as number) + states.reduce((a, s) => a + s.log.count, 0);
    const fp = f['fpA'] as Uint32Array;
    if (2 * (logged + 1) > fp.length) {
      // Not yet filled: a rehash of the entries in it (none for a fresh target) at the final size.
      const size = doubled(Math.max(4096, fp.length), 2 * (logged + 1));
      rehashFingerprints(f, size);
    }
  }

  /** Appends the state of the next captures (ids from `captures`, in order). */
  add(s: ShareState): void {
    const off = this.target.flows.table.count;
    for (const cap of s.captures) {
      if (cap.id !== this.next) throw new Error(`capture split: capture ${cap.id} merged where capture ${this.next} was due`);
      reviveIndex(cap.index);
      offsetIds(cap.index.flowId, cap.index.count, off);
      offsetIds(cap.index.outerFlowId, cap.index.count, off);
      this.target.captures[cap.id] = cap;
      this.target.flows.captures[cap.id] = cap;
      this.next = cap.id + 1;
    }
    appendFlows(this.target.flows, s.flows, off);
    appendOverlay(this.target.overlayObserver, s, (s.captures[0]?.id ?? 0) < this.lastShare);
    this.added++;
  }

  /** Ends the merge: the flow table's hash index for the merged flows. Returns the captures the target holds. */
  finish(): number {
    if (this.added > 0) {
      const tracker = this.target.flows;
      const t = tracker.table as unknown as Record<string, unknown> & { rehash(size: number): void };
      // The hash index: the live flows in id order, then the aliases (as a rehash does), at the size the inserts grew it to.
      const superseded = t['superseded'] as Uint8Array;
      const total = t['count'] as number;
      let live = t['aliasCount'] as number;
      for (let f = 0; f < total; f++) if (superseded[f] === 0) live++;
      let size = 4096;
      while (live * 2 > size) size *= 2;
      t.rehash(size);
      t['live'] = live;
      const http = tracker.http as unknown as { transactions: HttpTransaction[]; converted: number };
      http.converted = http.transactions.length;
    }
    return this.next;
  }
}

/**
 * Sizes the session's growing columns (overlay rows, flow table, TCP arrays) for `scale` times what they hold now, as
 * the session's thread does after the first capture it reads in place (scale: the session's `bytes` over those read).
 * Without it they grow by doubling, and the last doubling (a copy of everything into fresh memory, the dearest part
 * of a merge where first touching a page is slow) falls in the merge, on the session's thread, after reading. Only
 * capacities change (no output reads them); an estimate too small means a doubling later, as before.
 */
export function reserveSession(target: MergeTarget, scale: number, bytes: number): void {
  if (!(scale > 1)) return;
  const o = target.overlayObserver;
  // At most a row (a flow) a 64 bytes of capture (a record header and the smallest TCP packet): a dense first capture
  // before sparse ones reserves address space, not memory (pages are touched as rows are written).
  const most = Math.ceil(bytes / 64);
  roomFor(o as unknown as Record<string, unknown>, ROW_COLUMNS, o.tuple.length, Math.min(most, Math.ceil(o.count * scale)));
  const flows = Math.min(most, Math.ceil(target.flows.table.count * scale));
  (target.flows.table as unknown as { ensure(n: number): void }).ensure(flows);
  if (target.flows.tcp.capacity > 0) target.flows.tcp.ensure(flows);
}

function offsetIds(ids: Int32Array, n: number, off: number): void {
  if (off === 0) return;
  for (let i = 0; i < n; i++) if (ids[i]! >= 0) ids[i]! += off;
}

let blockProto: object | null = null;

/** A PacketIndex that crossed threads (a plain object) gets its prototypes back. */
function reviveIndex(index: PacketIndex): void {
  if (!blockProto) {
    const probe = new PacketIndex();
    probe.push(0, 0, 0, 0, 0, 0, 0);
    blockProto = Object.getPrototypeOf((probe as unknown as { blocks: object[] }).blocks[0]!) as object;
  }
  Object.setPrototypeOf(index, PacketIndex.prototype);
  for (const b of (index as unknown as { blocks: object[] }).blocks) Object.setPrototypeOf(b, blockProto);
}

type Typed = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

/** FlowTable's columns and how many elements a flow has in each. */
const TABLE_COLUMNS: ReadonlyArray<[string, number]> = [
  ['capture', 1], ['iface', 1], ['depth', 1], ['version', 1], ['proto', 1], ['addr', 8], ['portA', 1], ['portB', 1],
  ['counters', 8], ['keys', 16], ['firstPacket', 1], ['hash', 1], ['superseded', 1], ['tunnelOuter', 1], ['tunnelType', 1],
  ['tunnelVni', 1], ['tunnelOuter2', 1], ['innerCount', 1], ['natAlias', 1],
];

/** Smallest `from * 2^k` holding n. */
function doubled(from: number, n: number): number {
  let c = from;
  while (c < n) c *= 2;
  return c;
}

/**
 * Columns `cols` of `o` (`width` elements an entry, `length` entries now) made to hold `n` entries, grown as their
 * owner grows them (doubling), in one copy each.
 */
function roomFor(o: Record<string, unknown>, cols: readonly string[], length: number, n: number, width: (col: string) => number = () => 1): void {
  if (n <= length) return;
  const size = doubled(Math.max(1, length), n);
  for (const col of cols) o[col] = grown(o[col] as Typed, width(col) * size);
}

/** Appends one state's flows (local ids + `off`) to the tracker: table columns, aliases, links, TCP, transactions. */
function appendFlows(tracker: FlowTracker, s: FlowShare, off: number): void {
  const t = tracker.table as unknown as Record<string, unknown> & { ensure(n: number): void; baseSec: number[]; extraLinks: Set<number> };
  const x = s.table;
  const n = x['count'] as number;
  t.ensure(off + n);
  for (const [col, w] of TABLE_COLUMNS) (t[col] as Typed).set((x[col] as Typed).subarray(0, w * n), w * off);
  const aliasAt = t['aliasCount'] as number, linkAt = t['linkCount'] as number;
  const shift = (col: string, by: number): void => {
    const a = t[col] as Int32Array;
    if (by !== 0) for (let f = off; f < off + n; f++) if (a[f]! >= 0) a[f]! += by;
  };
  shift('tunnelOuter', off); shift('tunnelOuter2', off); shift('natAlias', aliasAt);
  (x['baseSec'] as Array<number | undefined>).forEach((v, c) => { if (v !== undefined) t.baseSec[c] = v; });
  // NAT aliases and tunnel links, their arrays grown as the table grows them (doubling).
  const na = x['aliasCount'] as number;
  roomFor(t, ['aliasFlow', 'aliasKeys', 'aliasHash'], (t['aliasFlow'] as Int32Array).length, aliasAt + na, (c) => (c === 'aliasKeys' ? 16 : 1));
  const aliasFlow = t['aliasFlow'] as Int32Array, xAliasFlow = x['aliasFlow'] as Int32Array;
  for (let a = 0; a < na; a++) { const f = xAliasFlow[a]!; aliasFlow[aliasAt + a] = f >= 0 ? f + off : f; }
  (t['aliasKeys'] as Uint32Array).set((x['aliasKeys'] as Uint32Array).subarray(0, 16 * na), 16 * aliasAt);
  (t['aliasHash'] as Int32Array).set((x['aliasHash'] as Int32Array).subarray(0, na), aliasAt);
  t['aliasCount'] = aliasAt + na;
  const nl = x['linkCount'] as number;
  roomFor(t, ['linkInner', 'linkOuter', 'linkType', 'linkVni'], (t['linkInner'] as Int32Array).length, linkAt + nl);
  const linkInner = t['linkInner'] as Int32Array, linkOuter = t['linkOuter'] as Int32Array;
  const xInner = x['linkInner'] as Int32Array, xOuter = x['linkOuter'] as Int32Array;
  for (let l = 0; l < nl; l++) { linkInner[linkAt + l] = xInner[l]! + off; linkOuter[linkAt + l] = xOuter[l]! + off; }
  (t['linkType'] as Uint8Array).set((x['linkType'] as Uint8Array).subarray(0, nl), linkAt);
  (t['linkVni'] as Uint32Array).set((x['linkVni'] as Uint32Array).subarray(0, nl), linkAt);
  t['linkCount'] = linkAt + nl;
  for (const key of x['extraLinks'] as Set<number>) {
    const inner = Math.floor(key / 0x4000000), outer = key % 0x4000000;
    t.extraLinks.add((inner + off) * 0x4000000 + outer + off);
  }
  t['count'] = off + n;

  appendTcp(tracker.tcp, x['proto'] as Uint8Array, s.tcp, n, off);

  const http = tracker.http as unknown as { transactions: HttpTransaction[]; issues: HttpIssue[]; droppedIssues: number; isHttp: Uint8Array };
  const dns = tracker.dns as unknown as { transactions: DnsTransaction[]; issues: DnsIssue[]; droppedIssues: number };
  if (http.isHttp.length < off + n) http.isHttp = grown(http.isHttp, doubled(http.isHttp.length, off + n));
  http.isHttp.set(s.http.isHttp.subarray(0, Math.min(s.http.isHttp.length, n)), off);
  appendHttp(http.transactions, s.http.transactions, off);
  for (const tx of s.dns.transactions) { tx.id = dns.transactions.length; tx.flow += off; dns.transactions.push(tx); }
  // Each list keeps its first 1000 issues in session order; a state's are its first, in order.
  http.droppedIssues += keepFirst(http.issues, s.http.issues, off) + s.http.droppedIssues;
  dns.droppedIssues += keepFirst(dns.issues, s.dns.issues, off) + s.dns.droppedIssues;
  tracker.nat.joined += s.natJoined;
}

/** Appends `from`'s issues (flows offset) to `to` up to 1000 (the transaction lists' bound); returns how many did not fit. */
function keepFirst(to: Array<{ flow: number }>, from: ReadonlyArray<{ flow: number }>, off: number): number {
  let dropped = 0;
  for (const i of from) {
    if (to.length >= 1000) { dropped++; continue; }
    to.push({ ...i, flow: i.flow >= 0 ? i.flow + off : i.flow });
  }
  return dropped;
}

function appendTcp(tcp: TcpConversations, proto: Uint8Array, s: Record<string, unknown>, n: number, off: number): void {
  // The capacity the single-threaded run reaches: ensure(f + 1) for each TCP flow f.
  let last = -1;
  for (let f = n - 1; f >= 0; f--) if (proto[f] === 6) { last = f; break; }
  if (last < 0) return;
  tcp.ensure(off + last + 1);
  const t = tcp as unknown as Record<string, unknown>;
  const cap = s['capacity'] as number;
  const m = Math.min(cap, n);
  for (const [key, v] of Object.entries(s)) {
    if (!ArrayBuffer.isView(v)) continue;
    const w = (v as Typed).length / cap;
    (t[key] as Typed).set((v as Typed).subarray(0, w * m), w * off);
  }
}

/** Appends one state's overlay: points, tuples, rows, request heads, then its tunnels. */
function appendOverlay(o: OverlayObserver, s: ShareState, keepFingerprints: boolean): void {
  const f = o as unknown as ObserverInternals;
  const x = s.overlay;
  const rowAt = o.count, pointAt = o.points.length, tupleAt = o.tupleCount;
  const v6 = v6Ids(f, x.v6Words);
  // Points: the state's, after those before (each point is one capture's).
  x.points.forEach((p, i) => {
    o.points.push(p);
    o.pointPackets.push(x.pointPackets[i]!);
    f.pointIds.set(p.capture * 65536 + p.iface, pointAt + i);
  });
  // Tuples interned again in order: ids tupleAt + local id, locations made as the single-threaded run makes them.
  const tP = x['tPoint'] as Uint16Array, tD = x['tDepth'] as Uint8Array, tV = x['tVer'] as Uint8Array, tPr = x['tProto'] as Uint8Array;
  const tT = x['tTunType'] as Uint8Array, tTtl = x['tTtl'] as Uint8Array, tS = x['tSrc'] as Uint32Array, tDs = x['tDst'] as Uint32Array;
  const tSp = x['tSport'] as Uint16Array, tDp = x['tDport'] as Uint16Array, tOs = x['tOuterSrc'] as Uint32Array, tOd = x['tOuterDst'] as Uint32Array;
  const tVni = x['tVni'] as Int32Array;
  for (let id = 0; id < x.tupleCount; id++) {
    const got = o.findTuple(tP[id]! + pointAt, tD[id]!, v6(tOs[id]!), v6(tOd[id]!), tVni[id]!, tT[id]!, tV[id]!, tPr[id]!, tSp[id]!, tDp[id]!, tS, id * 4, tDs, id * 4, true);
    if (got !== tupleAt + id) throw new Error(`capture split: tuple ${id} of a capture became ${got}, not ${tupleAt + id}`);
    o.tTtl[got] = tTtl[id]!;
  }
  // Rows: tuples offset, times rebased to the first row's second as the single-threaded run computes them.
  if (x.count > 0) {
    roomFor(f, ROW_COLUMNS, o.tuple.length, rowAt + x.count);
    for (const col of ROW_COLUMNS) (f[col] as Typed).set((x[col] as Typed).subarray(0, x.count), rowAt);
    const tuple = o.tuple;
    if (tupleAt !== 0) for (let r = rowAt; r < rowAt + x.count; r++) tuple[r]! += tupleAt;
    if (rowAt === 0) o.baseSec = x.baseSec;
    else if (x.baseSec !== o.baseSec) rebase(o.time, rowAt, x.count, x.baseSec - o.baseSec);
    o.count = rowAt + x.count;
  }
  // Request heads: rows and chunk positions offset (the state's chunks follow the target's).
  if (x.headCount > 0) {
    const heads = f['headCount'] as number;
    roomFor(f, ['headRow', 'headAt'], (f['headRow'] as Int32Array).length, heads + x.headCount);
    const headRow = f['headRow'] as Int32Array, headAt = f['headAt'] as Uint32Array;
    const headChunks = f['headChunks'] as Uint8Array[];
    const chunkAt = headChunks.length * HEAD_CHUNK;
    for (let h = 0; h < x.headCount; h++) {
      headRow[heads + h] = x.headRow[h]! + rowAt;
      headAt[heads + h] = x.headAt[h]! + chunkAt;
    }
    f['headCount'] = heads + x.headCount;
  }
  if (x.headChunks.length) {
    (f['headChunks'] as Uint8Array[]).push(...x.headChunks);
    f['headUsed'] = x.headUsed;
  }
  appendTunnels(o, f, s, pointAt, v6, keepFingerprints);
}

/** What the merge uses of an OverlayObserver beyond its public face (private members, by name). */
type ObserverInternals = Record<string, unknown> & {
  pointIds: Map<number, number>;
  edge(os: number, od: number, type: number, vni: number): TunnelCounters;
  fingerprint(a: number, b: number, pt: number): number;
  outerId(a: Uint32Array, at: number): number;
};

/** The observer's fingerprint table rehashed at `size` slots (as its own growth does, once). */
function rehashFingerprints(f: ObserverInternals, size: number): void {
  const oa = f['fpA'] as Uint32Array, ob = f['fpB'] as Uint32Array, op = f['fpPoint'] as Uint16Array;
  const a = new Uint32Array(size), b = new Uint32Array(size), p = new Uint16Array(size);
  const mask = size - 1;
  for (let j = 0; j < oa.length; j++) {
    if (op[j] === 0) continue;
    let k = (oa[j]! ^ Math.imul(ob[j]!, 0x27d4eb2f)) & mask;
    while (p[k] !== 0) k = (k + 1) & mask;
    a[k] = oa[j]!; b[k] = ob[j]!; p[k] = op[j]!;
  }
  f['fpA'] = a; f['fpB'] = b; f['fpPoint'] = p;
}

/**
 * A state's IPv6 tunnel endpoint ids (numbers in 0.0.0.0/8, interned per
 * observer: `words` holds 4 words an id, id 0 unused) as the merged observer's:
 * interned again in the state's order, after the captures before, they get the
 * single-threaded ids (first seen in session order). Other numbers are IPv4.
 */
function v6Ids(f: ObserverInternals, words: readonly number[]): (ip: number) => number {
  const n = words.length / 4;
  if (n <= 1) return (ip) => ip;
  const map = new Int32Array(n);
  for (let id = 1; id < n; id++) map[id] = f.outerId(Uint32Array.from(words.slice(4 * id, 4 * id + 4)), 0);
  return (ip) => (ip > 0 && ip < n ? map[ip]! : ip);
}

/**
 * Rows [at, at + n) hold (sec - base) * 1e9 + nsec, exactly (mergeRefusal); makes them
 * (sec - base + shiftSec) * 1e9 + nsec, evaluated as the observer does.
 */
function rebase(time: Float64Array, at: number, n: number, shiftSec: number): void {
  for (let r = at; r < at + n; r++) {
    const t = time[r]!;
    let sec = Math.floor(t / 1e9);
    let nsec = t - sec * 1e9;
    if (nsec < 0) { sec--; nsec += 1e9; } else if (nsec >= 1e9) { sec++; nsec -= 1e9; }
    time[r] = (sec + shiftSec) * 1e9 + nsec;
  }
}

/**
 * Appends one state's tunnel edges and VTEP facts, and the cross-point dedup: its log holds the tunnel packets it
 * counted (first seen in its share); one counts in the session unless a capture before the share saw its fingerprint.
 * Those are looked up in the target's table (and added to it when `keep`: a later share needs them). An edge none of
 * whose packets was seen before takes the capture's own counts; only edges with some are counted again from the log.
 */
function appendTunnels(o: OverlayObserver, f: ObserverInternals, s: ShareState, pointAt: number, v6: (ip: number) => number, keep: boolean): void {
  const x = s.overlay;
  // Edges in the order they were first seen (creation makes the VTEPs, their VNIs and types, as on one thread).
  const edges: TunnelCounters[] = [];
  for (const e of x.edges) {
    const m = f.edge(v6(e.src), v6(e.dst), e.type, e.vni);
    edges[e.index] = m;
    e.seenAt.forEach((n, p) => {
      if (n === 0) return;
      while (m.seenAt.length <= p + pointAt) m.seenAt.push(0);
      m.seenAt[p + pointAt]! += n;
    });
  }
  for (const v of x.vteps) {
    const m = o.vteps.get(v6(v.ip));
    if (!m) throw new Error(`capture split: VTEP ${v.ip} without an edge`);
    for (const mac of v.macs) m.macs.add(mac);
    for (const [ip, n] of v.innerSources) m.innerSources.set(ip, (m.innerSources.get(ip) ?? 0) + n);
    for (const [k, n] of v.innerSources6) m.innerSources6.set(k, (m.innerSources6.get(k) ?? 0) + n);
    m.packets += v.packets;
  }
  o.tunnelPackets += x.tunnelPackets;
  const l = s.log;
  // seen[i] = 1: packet i's fingerprint was seen by a capture before (not counted); its edge is then counted again.
  let seen: Uint8Array | null = null;
  const again = new Uint8Array(edges.length);
  if (keep) {
    for (let i = 0; i < l.count; i++) {
      const pt = l.point[i]! + pointAt;
      if (f.fingerprint(l.fa[i]!, l.fb[i]!, pt) === pt) continue;
      (seen ??= new Uint8Array(l.count))[i] = 1;
      again[l.edge[i]!] = 1;
    }
  } else if (f['fpCount'] as number > 0) {
    const fa = f['fpA'] as Uint32Array, fb = f['fpB'] as Uint32Array, fp = f['fpPoint'] as Uint16Array;
    const mask = fa.length - 1;
    for (let i = 0; i < l.count; i++) {
      const a = l.fa[i]!, b = l.fb[i]!;
      let k = (a ^ Math.imul(b, 0x27d4eb2f)) & mask;
      for (; fp[k] !== 0; k = (k + 1) & mask) {
        if (fa[k] !== a || fb[k] !== b) continue;
        (seen ??= new Uint8Array(l.count))[i] = 1;
        again[l.edge[i]!] = 1;
        break;
      }
    }
  }
  for (const e of x.edges) {
    if (again[e.index]) continue;
    const c = edges[e.index]!;
    c.packets += e.packets;
    c.bytes += e.bytes;
    c.overheadBytes += e.overheadBytes;
    c.handshakes += e.handshakes;
    const inner = c.innerFlows;
    for (let j = 0; j < e.innerFlows.length; j++) inner.add(e.innerFlows[j]!);
  }
  if (!seen) return;
  for (let i = 0; i < l.count; i++) {
    if (seen[i] || !again[l.edge[i]!]) continue;
    const c = edges[l.edge[i]!]!;
    const ov = l.overhead[i]!;
    c.packets++;
    c.bytes += l.frameLen[i]!;
    c.overheadBytes += ov & 0x7fffffff;
    c.handshakes += ov >>> 31;
    if (l.innerKey[i] !== 0) c.innerFlows.add(l.innerKey[i]!);
  }
}
