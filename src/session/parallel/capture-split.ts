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
 */
export function captureShares(sizes: readonly number[], workers: number): number[][] {
  const n = sizes.length;
  const w = Math.max(1, Math.min(workers, n));
  // Zero-byte files still cost a little: weigh every capture at least 1.
  const size = sizes.map((s) => Math.max(1, s));
  const cut = (limit: number): number[][] => {
    const out: number[][] = [];
    let cur: number[] = [];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (cur.length && sum + size[i]! > limit) { out.push(cur); cur = []; sum = 0; }
      cur.push(i);
      sum += size[i]!;
    }
    if (cur.length) out.push(cur);
    return out;
  };
  let lo = Math.max(...size), hi = size.reduce((a, b) => a + b, 0);
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
  http: { transactions: HttpTransaction[]; issues: HttpIssue[]; droppedIssues: number; isHttp: Uint8Array };
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
  vteps: VtepFacts[]; edges: Array<Pick<TunnelCounters, 'src' | 'dst' | 'type' | 'vni' | 'seenAt' | 'index'>>;
  tunnelPackets: number; v6Words: number[]; recording: boolean; late: boolean;
};

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
  const cfg = new DissectConfig(opts);
  const shareTotal = ids.reduce((a, i) => a + sources[i]!.size, 0);
  const analyzeOpts: AnalyzeOptions = {
    ...opts,
    ...(onProgress ? { onProgress: (read: number) => onProgress(read) } : {}),
  };
  const out: ShareState[] = [];
  let base = 0;
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
    const src = sources[id]!;
    captures[id] = newCaptureResult(id, src);
    const summary = await analyzeCapture(src, captures[id]!, cfg, [tracker, overlay], analyzeOpts, base, shareTotal);
    base += src.size;
    out.push({ captures: [captures[id]!], flows: flowShare(tracker), overlay: overlayShare(overlay),
      log: { count: log.count, fa: log.fa, fb: log.fb, point: log.point, edge: log.edge, frameLen: log.frameLen, overhead: log.overhead, innerKey: log.innerKey } });
    if (summary.cancelled) break;
  }
  return out;
}

function flowShare(t: FlowTracker): FlowShare {
  const table = { ...(t.table as unknown as Record<string, unknown>) };
  delete table['slots'];
  const http = t.http as unknown as { isHttp: Uint8Array };
  return {
    table, tcp: { ...(t.tcp as unknown as Record<string, unknown>) },
    http: { transactions: t.http.transactions, issues: t.http.issues, droppedIssues: t.http.droppedIssues, isHttp: http.isHttp },
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
    edges: o.edges().map((e) => ({ src: e.src, dst: e.dst, type: e.type, vni: e.vni, seenAt: e.seenAt, index: e.index })).sort((a, b) => a.index - b.index),
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

/** The session's parts a merge fills (fresh: no packet observed yet). */
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
    if (s.flows.flowLimitReached || flows > maxFlows) return `more than ${maxFlows} flows (the flow table's bound is first-seen over the whole session)`;
    if (!s.overlay.recording || s.overlay.late) return 'overlay rows not recorded from the first packet';
  }
  // Rows' times are rebased by splitting each into its second and nanosecond (exact while below 2^52 ns, ~52 days from
  // its capture's first row) and computing the single-threaded value from them, rounding included.
  const first = shares.find((s) => s.overlay.count > 0);
  for (const s of shares) {
    if (s === first || s.overlay.count === 0 || s.overlay.baseSec === first!.overlay.baseSec) continue;
    const time = s.overlay['time'] as Float64Array;
    for (let r = 0; r < s.overlay.count; r++) if (!(Math.abs(time[r]!) < 2 ** 52)) return `${s.captures[0]?.file ?? 'a capture'}: packet times more than 52 days apart in one capture`;
  }
  return null;
}

/**
 * Session side: fills `target` from `shares` (in capture order, covering its
 * captures 0 .. read-1) as AnalysisSession.run() would have. Call
 * mergeRefusal first. Returns the captures read.
 */
export function mergeShares(target: MergeTarget, shares: readonly ShareState[]): number {
  const flowOff: number[] = [];
  let flows = 0;
  for (const s of shares) { flowOff.push(flows); flows += s.flows.table['count'] as number; }
  let read = 0;
  for (let k = 0; k < shares.length; k++) {
    for (const cap of shares[k]!.captures) {
      reviveIndex(cap.index);
      offsetIds(cap.index.flowId, cap.index.count, flowOff[k]!);
      offsetIds(cap.index.outerFlowId, cap.index.count, flowOff[k]!);
      target.captures[cap.id] = cap;
      target.flows.captures[cap.id] = cap;
      read = Math.max(read, cap.id + 1);
    }
  }
  mergeFlows(target.flows, shares.map((s) => s.flows), flowOff, flows);
  mergeOverlay(target.overlayObserver, shares);
  return read;
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

function mergeFlows(tracker: FlowTracker, shares: readonly FlowShare[], flowOff: readonly number[], total: number): void {
  const t = tracker.table as unknown as Record<string, unknown> & { ensure(n: number): void; rehash(size: number): void; baseSec: number[]; extraLinks: Set<number> };
  t.ensure(total);
  let aliases = 0, links = 0;
  for (const s of shares) { aliases += s.table['aliasCount'] as number; links += s.table['linkCount'] as number; }
  const aliasCap = doubled(64, aliases);
  t['aliasFlow'] = new Int32Array(aliasCap);
  t['aliasKeys'] = new Uint32Array(16 * aliasCap);
  t['aliasHash'] = new Int32Array(aliasCap);
  const linkCap = doubled(1024, links);
  t['linkInner'] = new Int32Array(linkCap); t['linkOuter'] = new Int32Array(linkCap);
  t['linkType'] = new Uint8Array(linkCap); t['linkVni'] = new Uint32Array(linkCap);
  let aliasAt = 0, linkAt = 0;
  for (let k = 0; k < shares.length; k++) {
    const s = shares[k]!.table;
    const off = flowOff[k]!;
    const n = s['count'] as number;
    for (const [col, w] of TABLE_COLUMNS) (t[col] as Typed).set((s[col] as Typed).subarray(0, w * n), w * off);
    const add = (col: string, by: number): void => {
      const a = t[col] as Int32Array;
      if (by !== 0) for (let f = off; f < off + n; f++) if (a[f]! >= 0) a[f]! += by;
    };
    add('tunnelOuter', off); add('tunnelOuter2', off); add('natAlias', aliasAt);
    const baseSec = s['baseSec'] as Array<number | undefined>;
    baseSec.forEach((v, c) => { if (v !== undefined) t.baseSec[c] = v; });
    const na = s['aliasCount'] as number;
    const aliasFlow = t['aliasFlow'] as Int32Array;
    for (let a = 0; a < na; a++) { const f = (s['aliasFlow'] as Int32Array)[a]!; aliasFlow[aliasAt + a] = f >= 0 ? f + off : f; }
    (t['aliasKeys'] as Uint32Array).set((s['aliasKeys'] as Uint32Array).subarray(0, 16 * na), 16 * aliasAt);
    (t['aliasHash'] as Int32Array).set((s['aliasHash'] as Int32Array).subarray(0, na), aliasAt);
    aliasAt += na;
    const nl = s['linkCount'] as number;
    for (let l = 0; l < nl; l++) {
      (t['linkInner'] as Int32Array)[linkAt + l] = (s['linkInner'] as Int32Array)[l]! + off;
      (t['linkOuter'] as Int32Array)[linkAt + l] = (s['linkOuter'] as Int32Array)[l]! + off;
    }
    (t['linkType'] as Uint8Array).set((s['linkType'] as Uint8Array).subarray(0, nl), linkAt);
    (t['linkVni'] as Uint32Array).set((s['linkVni'] as Uint32Array).subarray(0, nl), linkAt);
    linkAt += nl;
    for (const key of s['extraLinks'] as Set<number>) {
      const inner = Math.floor(key / 0x4000000), outer = key % 0x4000000;
      t.extraLinks.add((inner + off) * 0x4000000 + outer + off);
    }
  }
  t['count'] = total;
  t['aliasCount'] = aliases;
  t['linkCount'] = links;
  // The hash index: the live flows in id order, then the aliases (as a rehash does), at the size the inserts grew it to.
  const superseded = t['superseded'] as Uint8Array;
  let live = aliases;
  for (let f = 0; f < total; f++) if (superseded[f] === 0) live++;
  let size = 4096;
  while (live * 2 > size) size *= 2;
  t.rehash(size);
  t['live'] = live;

  mergeTcp(tracker.tcp, tracker.table.proto, shares, flowOff, total);

  const http = tracker.http as unknown as { transactions: HttpTransaction[]; issues: HttpIssue[]; droppedIssues: number; isHttp: Uint8Array; converted: number };
  const dns = tracker.dns as unknown as { transactions: DnsTransaction[]; issues: DnsIssue[]; droppedIssues: number };
  http.isHttp = new Uint8Array(doubled(1024, total));
  for (let k = 0; k < shares.length; k++) {
    const s = shares[k]!;
    const off = flowOff[k]!;
    http.isHttp.set(s.http.isHttp.subarray(0, Math.min(s.http.isHttp.length, s.table['count'] as number)), off);
    for (const x of s.http.transactions) { x.id = http.transactions.length; x.flow += off; http.transactions.push(x); }
    for (const x of s.dns.transactions) { x.id = dns.transactions.length; x.flow += off; dns.transactions.push(x); }
    // Each list keeps its first 1000 issues in session order; a share's are its first, in order.
    http.droppedIssues += keepFirst(http.issues, s.http.issues, off) + s.http.droppedIssues;
    dns.droppedIssues += keepFirst(dns.issues, s.dns.issues, off) + s.dns.droppedIssues;
    tracker.nat.joined += s.natJoined;
  }
  http.converted = http.transactions.length;
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

function mergeTcp(tcp: TcpConversations, proto: Uint8Array, shares: readonly FlowShare[], flowOff: readonly number[], total: number): void {
  // The capacity the single-threaded run reaches: ensure(f + 1) for each TCP flow f.
  let last = -1;
  for (let f = total - 1; f >= 0; f--) if (proto[f] === 6) { last = f; break; }
  if (last < 0) return;
  tcp.ensure(last + 1);
  const t = tcp as unknown as Record<string, unknown>;
  for (let k = 0; k < shares.length; k++) {
    const s = shares[k]!.tcp;
    const cap = s['capacity'] as number;
    if (cap === 0) continue;
    const n = Math.min(cap, shares[k]!.table['count'] as number);
    for (const [key, v] of Object.entries(s)) {
      if (!ArrayBuffer.isView(v)) continue;
      const w = (v as Typed).length / cap;
      (t[key] as Typed).set((v as Typed).subarray(0, w * n), w * flowOff[k]!);
    }
  }
}

function mergeOverlay(o: OverlayObserver, shares: readonly ShareState[]): void {
  const f = o as unknown as ObserverInternals;
  const rows = shares.reduce((a, s) => a + s.overlay.count, 0);
  const cap = doubled(4096, rows);
  for (const col of ROW_COLUMNS) f[col] = new ((f[col] as Typed).constructor as new (n: number) => Typed)(cap);
  const first = shares.find((s) => s.overlay.count > 0);
  if (first) o.baseSec = first.overlay.baseSec;
  let heads = 0;
  for (const s of shares) heads += s.overlay.headCount;
  const headRow = new Int32Array(doubled(256, heads));
  const headAt = new Uint32Array(headRow.length);
  const headChunks = f['headChunks'] as Uint8Array[];
  // Tuple columns and their hash slots at the size the single-threaded inserts grow them to (no growing here).
  const tuples = shares.reduce((a, s) => a + s.overlay.tupleCount, 0);
  const tupleCap = doubled(1024, tuples);
  const tupleRoom = (f['tPoint'] as Typed).length;
  for (const col of [...TUPLE_COLUMNS, 'tLoc', 'tHash'] as const) {
    const a = f[col] as Typed;
    f[col] = new (a.constructor as new (n: number) => Typed)(a.length / tupleRoom * tupleCap);
  }
  f['slots'] = new Int32Array(doubled(2048, 2 * tuples));
  let rowAt = 0, pointAt = 0, tupleAt = 0, headAtN = 0;
  for (const s of shares) {
    const x = s.overlay;
    const v6 = v6Ids(f, x.v6Words);
    // Points: the share's, after the shares before (each point is one capture's).
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
      if (got !== tupleAt + id) throw new Error(`capture split: tuple ${id} of a share became ${got}, not ${tupleAt + id}`);
      o.tTtl[got] = tTtl[id]!;
    }
    // Rows: tuples offset, times rebased to the first row's second as the single-threaded run computes them.
    for (const col of ROW_COLUMNS) (f[col] as Typed).set((x[col] as Typed).subarray(0, x.count), rowAt);
    const tuple = o.tuple, time = o.time;
    for (let r = rowAt; r < rowAt + x.count; r++) tuple[r]! += tupleAt;
    if (x.count > 0 && x.baseSec !== o.baseSec) rebase(time, rowAt, x.count, x.baseSec - o.baseSec);
    const chunkAt = headChunks.length;
    for (let h = 0; h < x.headCount; h++) {
      headRow[headAtN + h] = x.headRow[h]! + rowAt;
      headAt[headAtN + h] = x.headAt[h]! + chunkAt * HEAD_CHUNK;
    }
    headChunks.push(...x.headChunks);
    if (x.headChunks.length) f['headUsed'] = x.headUsed;
    headAtN += x.headCount;
    rowAt += x.count;
    pointAt += x.points.length;
    tupleAt += x.tupleCount;
  }
  o.count = rows;
  f['headRow'] = headRow; f['headAt'] = headAt; f['headCount'] = heads;
  mergeTunnels(o, f, shares);
}

/** What the merge uses of an OverlayObserver beyond its public face (private members, by name). */
type ObserverInternals = Record<string, unknown> & {
  pointIds: Map<number, number>;
  edge(os: number, od: number, type: number, vni: number): TunnelCounters;
  fingerprint(a: number, b: number, pt: number): number;
  outerId(a: Uint32Array, at: number): number;
};

/**
 * A share's IPv6 tunnel endpoint ids (numbers in 0.0.0.0/8, interned per
 * observer: `words` holds 4 words an id, id 0 unused) as the merged observer's:
 * interned again in the share's order, after the shares before, they get the
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

function mergeTunnels(o: OverlayObserver, f: ObserverInternals, shares: readonly ShareState[]): void {
  // The fingerprint table at its final size at once (growing it rehashes every entry each time).
  const logged = shares.reduce((a, s) => a + s.log.count, 0);
  const fpSize = doubled(4096, 2 * (logged + 1));
  f['fpA'] = new Uint32Array(fpSize); f['fpB'] = new Uint32Array(fpSize); f['fpPoint'] = new Uint16Array(fpSize);
  let pointAt = 0;
  for (const s of shares) {
    const x = s.overlay;
    const v6 = v6Ids(f, x.v6Words);
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
    // The cross-point dedup replayed: a packet counts when its fingerprint was first seen at its own point.
    const l = s.log;
    for (let i = 0; i < l.count; i++) {
      const pt = l.point[i]! + pointAt;
      if (f.fingerprint(l.fa[i]!, l.fb[i]!, pt) !== pt) continue;
      const c = edges[l.edge[i]!]!;
      const ov = l.overhead[i]!;
      c.packets++;
      c.bytes += l.frameLen[i]!;
      c.overheadBytes += ov & 0x7fffffff;
      c.handshakes += ov >>> 31;
      if (l.innerKey[i] !== 0) c.innerFlows.add(l.innerKey[i]!);
    }
    pointAt += x.points.length;
  }
}
