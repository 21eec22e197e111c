/**
 * The flow split of one capture (docs/decisions/0015-parallel-analysis.md §3):
 * N owners each read the whole capture and decode every packet, but each
 * tracks (flows, TCP, HTTP, DNS, tunnel links, packet flow ids) only the
 * network levels it owns: level i of a packet belongs to owner
 * `ownerOf(h_i, N)`, h_i the level's direction-independent flow hash, so a
 * flow has one owner that sees every packet of it in file order. Tunnel
 * outer levels (a UDP level on a VXLAN/Geneve/WireGuard port, IP-in-IP, GRE)
 * are tracked by every owner (replicated): the owner of an inner level needs
 * the outer flow's id for its tunnel link, and those flows are few and cheap
 * (no TCP, no HTTP).
 *
 * `mergeFlowParts` puts the N partial trackers together as the one-thread
 * tracker: flows renumbered in first-seen order (first packet, then level:
 * the one-thread tracker creates at most one flow a level, in level order),
 * links, transactions and issues ordered by the packet and level that made
 * them, each packet's innermost and outermost flow picked over the owners.
 * What a part cannot reproduce exactly is refused (`FlowSplitRefusal`), and
 * the host reads the capture again on one thread: NAT half-views (a join, or
 * a key that could join another: its two keys may have different owners),
 * the flow bound, the bounds shared by all flows (HTTP early bytes, DNS
 * queries waiting), a tunnel whose outer level is not replicated.
 *
 * Platform-neutral: the host (src/host/node/flow-split-workers.ts) runs owner
 * 0 in the session's thread and the others in worker threads.
 */
import type { ByteSource } from '../../capture/types.js';
import { DissectConfig, PORT_GENEVE, PORT_VXLAN, PORT_WIREGUARD } from '../../dissect/config.js';
import type { DecodedPacket } from '../../dissect/decoded.js';
import { IPPROTO_UDP } from '../../dissect/layers.js';
import { analyzeCapture, newCaptureResult, type AnalyzeOptions, type CaptureResult, type PacketObserver } from '../../pipeline/analyze.js';
import { FlowTracker, type FlowRoute } from '../../flows/flow-tracker.js';
import { endpointKey } from '../../flows/nat-half-views.js';
import { EARLY_MAX_BYTES, HTTP_MAX_PENDING, type HttpIssue, type HttpTransaction } from '../../flows/http-transactions.js';
import type { DnsIssue, DnsTransaction } from '../../flows/dns-transactions.js';
import { SparseRowFlows, type FlowWorkOptions } from './flow-handoff.js';
import type { AnalysisSession } from '../analysis-session.js';

/** dns-transactions.ts's MAX_WAITING: queries waiting for their answer, over all flows. */
const DNS_MAX_WAITING = 65536;
/** Keys of what a capture's end made (after every packet): above every packet's key. */
const END_KEY = 2 ** 37;

/** The owner of a level whose flow hash is `h`, among `owners` (the hash's high bits: flowHash4 mixes those best). */
export function ownerOf(h: number, owners: number): number {
  return Math.floor(((h >>> 0) * owners) / 4294967296);
}

/** Whether a level of this key is tracked by every owner: a tunnel's outer level (UDP on a tunnel port, IP-in-IP, GRE). */
export function replicatedKey(udpPorts: Uint8Array, proto: number, portA: number, portB: number): boolean {
  if (proto === 4 || proto === 41 || proto === 47) return true;
  if (proto !== IPPROTO_UDP) return false;
  const a = udpPorts[portA]!, b = udpPorts[portB]!;
  return a === PORT_VXLAN || a === PORT_GENEVE || a === PORT_WIREGUARD || b === PORT_VXLAN || b === PORT_GENEVE || b === PORT_WIREGUARD;
}

class OwnerRoute implements FlowRoute {
  constructor(private readonly owner: number, private readonly owners: number, private readonly udpPorts: Uint8Array) {}

  owns(p: DecodedPacket, i: number, h: number): boolean {
    return ownerOf(h, this.owners) === this.owner || replicatedKey(this.udpPorts, p.ipProto[i]!, p.srcPort[i]!, p.dstPort[i]!);
  }
}

/** One owner's tracker after the capture, with what the merge needs to order and check it (plain data: it crosses threads). */
export interface FlowPart {
  owner: number;
  owners: number;
  packets: number;
  /** Per packet: 16 * local flow id + level of the innermost / outermost owned flow, -1 none. */
  flowId: Int32Array;
  outerFlowId: Int32Array;
  table: Record<string, unknown>;
  tcp: Record<string, unknown>;
  http: { transactions: HttpTransaction[]; issues: HttpIssue[]; droppedIssues: number; isHttp: Uint8Array };
  dns: { transactions: DnsTransaction[]; issues: DnsIssue[]; droppedIssues: number };
  flowLimitReached: boolean;
  /** The packet that appended each tunnel link. */
  linkPacket: Float64Array;
  /** Order keys of the HTTP transactions and kept issues (packet * 16 + depth, or END_KEY + when the stream opened). */
  httpTxnKey: Float64Array;
  httpIssueKey: Float64Array;
  /** The packet being read when each kept HTTP issue was made (-1: at the capture's end). */
  httpIssueAt: Float64Array;
  /** 1 at packets that fed HTTP a segment; the last such packet (-1 none). */
  segMarks: Uint8Array;
  lastHttpPacket: number;
  /** NAT half-view keys opened (key → first packet) and looked up (key, packet pairs). */
  synOpens: Map<number, number>;
  synLookups: number[];
  midOpens: Map<number, number>;
  midLookups: number[];
  joined: number;
  /** Most bytes kept aside before a stream was known as HTTP. */
  earlyPeak: number;
  /** Why this part cannot be merged exactly (seen while reading), or null. */
  refusal: string | null;
}

/** Fields of FlowTable a part carries (its hash index is rebuilt by the merge). */
const TABLE_FIELDS = ['count', 'capacity', 'capture', 'iface', 'depth', 'version', 'proto', 'addr', 'portA', 'portB', 'baseSec', 'counters',
  'keys', 'firstPacket', 'hash', 'superseded', 'tunnelOuter', 'tunnelType', 'tunnelVni', 'tunnelOuter2', 'innerCount', 'linkCount',
  'linkInner', 'linkOuter', 'linkType', 'linkVni', 'extraLinks', 'aliasCount'] as const;

/**
 * A FlowTracker restricted to one owner's levels, recording what orders its
 * results among the owners' (the packet that made each link, transaction and
 * issue) and what could make them differ from one thread's (NAT half-view
 * keys, HTTP early bytes, tunnels). An observer like the tracker itself.
 */
export class FlowPartRecorder implements PacketObserver {
  readonly tracker = new FlowTracker();
  private packet = -1;
  private readonly linkPacket: number[] = [];
  private readonly httpTxnKey: number[] = [];
  private readonly httpIssueKey: number[] = [];
  private readonly httpIssueAt: number[] = [];
  private readonly opened = new Map<number, number>();
  private segMarks = new Uint8Array(1024);
  private lastSeg = -1;
  private readonly synOpens = new Map<number, number>();
  private readonly synLookups: number[] = [];
  private readonly midOpens = new Map<number, number>();
  private readonly midLookups: number[] = [];
  private joined = 0;
  private earlyPeak = 0;
  private refusal: string | null = null;
  private readonly udpPorts: Uint8Array;
  private readonly http: { packet: number; transactions: HttpTransaction[]; issues: HttpIssue[]; earlyBytes: number };

  constructor(readonly owner: number, readonly owners: number, opts: FlowWorkOptions) {
    const t = this.tracker;
    this.udpPorts = new DissectConfig(opts).udpPorts;
    if (opts.maxFlows !== undefined) t.maxFlows = opts.maxFlows;
    t.route = new OwnerRoute(owner, owners, this.udpPorts);
    // The instance's own methods wrapped (this tracker only: the one-thread path is untouched).
    const table = t.table;
    const link = table.link;
    table.link = (inner, outer, type, vni): void => {
      const n = table.linkCount;
      link.call(table, inner, outer, type, vni);
      if (table.linkCount > n) this.linkPacket.push(this.packet);
    };
    const http = t.http as unknown as FlowPartRecorder['http'] & { open: Set<number>; stashEarly: (...a: unknown[]) => void };
    this.http = http;
    http.packet = -1;
    const open = http.open;
    const add = open.add;
    open.add = (f: number): Set<number> => {
      if (!open.has(f)) this.opened.set(f, this.packet);
      return add.call(open, f);
    };
    const stash = http.stashEarly;
    http.stashEarly = (...a: unknown[]): void => {
      stash.apply(http, a);
      if (http.earlyBytes > this.earlyPeak) this.earlyPeak = http.earlyBytes;
    };
    const nat = t.nat;
    const natOpen = nat.open, match = nat.match, openMid = nat.openMidstream, matchMid = nat.matchMidstream;
    nat.open = (f, seq, port): void => {
      const k = ((seq + 1) >>> 0) * 65536 + port;
      if (!this.synOpens.has(k)) this.synOpens.set(k, this.packet);
      natOpen.call(nat, f, seq, port);
    };
    nat.match = (tb, capture, iface, p, i): number => {
      this.synLookups.push((p.tcpAck[i]! >>> 0) * 65536 + p.dstPort[i]!, this.packet);
      const r = match.call(nat, tb, capture, iface, p, i);
      if (r >= 0) this.joined++;
      return r;
    };
    nat.openMidstream = (f, p, i): void => {
      const v = p.ipVersion[i]!;
      for (const k of [endpointKey(p.ipSrc, 4 * i, v, p.srcPort[i]!, 0), endpointKey(p.ipDst, 4 * i, v, p.dstPort[i]!, 1)]) {
        if (!this.midOpens.has(k)) this.midOpens.set(k, this.packet);
      }
      openMid.call(nat, f, p, i);
    };
    nat.matchMidstream = (tb, tcp, capture, iface, p, i): number => {
      const v = p.ipVersion[i]!;
      this.midLookups.push(endpointKey(p.ipDst, 4 * i, v, p.dstPort[i]!, 0), this.packet, endpointKey(p.ipSrc, 4 * i, v, p.srcPort[i]!, 1), this.packet);
      const r = matchMid.call(nat, tb, tcp, capture, iface, p, i);
      if (r >= 0) this.joined++;
      return r;
    };
  }

  beginCapture(result: CaptureResult): void {
    this.tracker.beginCapture(result);
  }

  observe(capture: number, packet: number, p: DecodedPacket, b: Uint8Array, base: number, tsSec: number, tsNsec: number, frameLen: number, iface = 0): void {
    this.packet = packet;
    if (p.tunnelCount > 0 && this.refusal === null) this.checkTunnels(p, packet);
    this.tracker.observe(capture, packet, p, b, base, tsSec, tsNsec, frameLen, iface);
    const http = this.http;
    if (http.packet !== this.lastSeg) {
      this.lastSeg = http.packet;
      if (packet >= this.segMarks.length) {
        const g = new Uint8Array(Math.max(2 * this.segMarks.length, packet + 1));
        g.set(this.segMarks);
        this.segMarks = g;
      }
      this.segMarks[packet] = 1;
    }
    if (http.transactions.length > this.httpTxnKey.length || http.issues.length > this.httpIssueKey.length) this.noteHttp(packet);
  }

  endCapture(capture: number): void {
    this.packet = -1;
    this.tracker.endCapture(capture);
    this.noteHttp(-1);
  }

  /** Order keys of the transactions and issues made while reading `packet` (-1: the capture's end, in the order streams opened). */
  private noteHttp(packet: number): void {
    const depth = this.tracker.table.depth;
    const key = (flow: number): number => packet >= 0 ? packet * 16 + depth[flow]! : END_KEY + (this.opened.get(flow) ?? 0) * 16 + depth[flow]!;
    const http = this.http;
    for (let k = this.httpTxnKey.length; k < http.transactions.length; k++) this.httpTxnKey.push(key(http.transactions[k]!.flow));
    for (let k = this.httpIssueKey.length; k < http.issues.length; k++) {
      this.httpIssueKey.push(key(http.issues[k]!.flow));
      this.httpIssueAt.push(packet);
    }
  }

  /** Every tunnel's outer level must be one all owners track (its inner levels link to it). */
  private checkTunnels(p: DecodedPacket, packet: number): void {
    for (let t = 0; t < p.tunnelCount; t++) {
      const j = p.tunnelNet[t]!;
      if (j >= p.netCount || p.netQuoted[j] !== 0) continue;
      if (!replicatedKey(this.udpPorts, p.ipProto[j]!, p.srcPort[j]!, p.dstPort[j]!)) {
        this.refusal = `packet ${packet + 1}: a tunnel whose outer level (IP protocol ${p.ipProto[j]}, ports ${p.srcPort[j]}/${p.dstPort[j]}) is not tracked by every owner`;
        return;
      }
    }
  }

  /** The part, after the capture (the tracker's arrays are given, not copied). */
  part(index: { count: number; flowId: Int32Array; outerFlowId: Int32Array }): FlowPart {
    const t = this.tracker;
    const table: Record<string, unknown> = {};
    const tt = t.table as unknown as Record<string, unknown>;
    for (const k of TABLE_FIELDS) table[k] = tt[k];
    const tcp: Record<string, unknown> = { ...(t.tcp as unknown as Record<string, unknown>) };
    const h = t.http as unknown as FlowPart['http'];
    return {
      owner: this.owner, owners: this.owners, packets: index.count, flowId: index.flowId, outerFlowId: index.outerFlowId,
      table, tcp,
      http: { transactions: h.transactions, issues: h.issues, droppedIssues: h.droppedIssues, isHttp: h.isHttp },
      dns: { transactions: t.dns.transactions, issues: t.dns.issues, droppedIssues: t.dns.droppedIssues },
      flowLimitReached: t.flowLimitReached,
      linkPacket: Float64Array.from(this.linkPacket),
      httpTxnKey: Float64Array.from(this.httpTxnKey), httpIssueKey: Float64Array.from(this.httpIssueKey), httpIssueAt: Float64Array.from(this.httpIssueAt),
      segMarks: this.segMarks, lastHttpPacket: this.lastSeg,
      synOpens: this.synOpens, synLookups: this.synLookups, midOpens: this.midOpens, midLookups: this.midLookups,
      joined: this.joined, earlyPeak: this.earlyPeak, refusal: this.refusal,
    };
  }
}

/** When each owner finished (ms, Date.now()) and how long the merge took: for OVERLAYSCOPE_TRACE_THREADS. */
export interface FlowSplitTimes {
  finished: number[];
  mergeMs: number;
}

/**
 * Session side: reads `session` (one capture, not run yet) with every other
 * observer, as run() does, and — with `ownHere` — as owner 0 of `owners`;
 * then merges the parts (its own, if any, then `others`: from worker threads
 * or made in process) into the session's tracker. Throws FlowSplitRefusal
 * when that cannot be exact: the caller reads a fresh session on one thread.
 */
export async function readSplitSession(session: AnalysisSession, owners: number, opts: FlowWorkOptions, others: Promise<FlowPart[]>,
  times: FlowSplitTimes = { finished: [], mergeMs: 0 }, ownHere = true): Promise<AnalysisSession> {
  const own = ownHere ? new FlowPartRecorder(0, owners, opts) : null;
  const rows = new SparseRowFlows(session.overlayObserver);
  return session.runWithFlowsFrom(async () => {
    times.finished[0] = Date.now();
    const cap = session.captures[0]!;
    const parts = await others;
    const m0 = Date.now();
    mergeFlowParts(session.flows, own ? [own.part(cap.index), ...parts] : parts, cap, opts);
    rows.fill(session.captures);
    times.mergeMs = Date.now() - m0;
  }, (observers) => [...(own ? [own] : []), ...observers.map((o) => (o === session.overlayObserver ? rows : o))]);
}

/** Worker side: reads the one capture with a tracker restricted to `owner`'s levels. */
export async function readFlowPart(source: ByteSource, owner: number, owners: number, opts: FlowWorkOptions): Promise<FlowPart> {
  const recorder = new FlowPartRecorder(owner, owners, opts);
  const result = newCaptureResult(0, source);
  const analyzeOpts: AnalyzeOptions = {
    ...(opts.maxPackets !== undefined ? { maxPackets: opts.maxPackets } : {}),
    ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}),
    ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
  };
  await analyzeCapture(source, result, new DissectConfig(opts), [recorder], analyzeOpts);
  return recorder.part(result.index);
}

/** The typed arrays' buffers of a part (moved, not copied, when it is posted). */
export function partBuffers(part: FlowPart): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const take = (v: unknown): void => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && v.buffer.byteLength >= 4096) out.add(v.buffer);
  };
  for (const v of [...Object.values(part), ...Object.values(part.table), ...Object.values(part.tcp), part.http.isHttp]) take(v);
  return [...out];
}

/** The merge cannot reproduce the one-thread result: the host reads the capture again on one thread. */
export class FlowSplitRefusal extends Error {}

type Typed = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

/** FlowTable's per-flow columns and their widths (tunnel outers, NAT alias and inner counts are remade). */
const FLOW_COLUMNS: ReadonlyArray<[string, number]> = [
  ['capture', 1], ['iface', 1], ['depth', 1], ['version', 1], ['proto', 1], ['addr', 8], ['portA', 1], ['portB', 1],
  ['counters', 8], ['keys', 16], ['firstPacket', 1], ['hash', 1], ['superseded', 1], ['tunnelType', 1], ['tunnelVni', 1],
];

function doubled(from: number, n: number): number {
  let c = from;
  while (c < n) c *= 2;
  return c;
}

/**
 * The order of all parts' items by key, each part's items already in key
 * order (`keep` filters): parallel arrays of part and local index. Equal keys
 * in two parts would mean two owners made one thing: refused.
 */
function mergeOrder(keys: readonly Float64Array[], what: string, keep: (w: number, i: number) => boolean = () => true): { w: Uint8Array; i: Int32Array } {
  let total = 0;
  for (let w = 0; w < keys.length; w++) for (let i = 0; i < keys[w]!.length; i++) if (keep(w, i)) total++;
  const ow = new Uint8Array(total), oi = new Int32Array(total);
  const pos = new Int32Array(keys.length);
  const next = (w: number): void => {
    while (pos[w]! < keys[w]!.length && !keep(w, pos[w]!)) pos[w]!++;
  };
  for (let w = 0; w < keys.length; w++) next(w);
  for (let n = 0; n < total; n++) {
    let best = -1;
    let bk = Infinity;
    for (let w = 0; w < keys.length; w++) {
      if (pos[w]! >= keys[w]!.length) continue;
      const k = keys[w]![pos[w]!]!;
      if (k < bk) { bk = k; best = w; } else if (k === bk) throw new FlowSplitRefusal(`two owners made ${what} at one packet and depth`);
    }
    ow[n] = best;
    oi[n] = pos[best]!;
    pos[best]!++;
    next(best);
  }
  return { w: ow, i: oi };
}

/** Why the parts cannot be merged exactly (checked before anything is written), or null. */
export function flowSplitRefusal(parts: readonly FlowPart[], maxFlows: number): string | null {
  for (const p of parts) if (p.refusal) return p.refusal;
  if (parts.some((p) => p.flowLimitReached)) return `more than ${maxFlows} flows (the flow bound is first-seen over all owners)`;
  if (parts.some((p) => p.joined > 0 || (p.table['aliasCount'] as number) > 0)) return 'a NAT half-view joined two flow keys';
  // A half-view key looked up that any owner opened before: one thread could have joined them (their owners may differ).
  const check = (opens: (p: FlowPart) => Map<number, number>, lookups: (p: FlowPart) => number[]): boolean => {
    const first = new Map<number, number>();
    for (const p of parts) for (const [k, at] of opens(p)) if (!(first.get(k)! <= at)) first.set(k, at);
    for (const p of parts) {
      const l = lookups(p);
      for (let x = 0; x < l.length; x += 2) { const at = first.get(l[x]!); if (at !== undefined && at <= l[x + 1]!) return true; }
    }
    return false;
  };
  if (check((p) => p.synOpens, (p) => p.synLookups)) return 'a SYN/ACK that could answer another flow key\'s SYN through NAT (a NAT half-view)';
  if (check((p) => p.midOpens, (p) => p.midLookups)) return 'a segment that could answer another mid-stream flow key through NAT (a NAT half-view)';
  if (parts.reduce((a, p) => a + p.earlyPeak, 0) + HTTP_MAX_PENDING > EARLY_MAX_BYTES) return 'HTTP bytes kept aside for streams not yet known near their shared bound';
  let queries = 0;
  for (const p of parts) for (const t of p.dns.transactions) if (t.queryPacket >= 0) queries++;
  if (queries > DNS_MAX_WAITING) return `more than ${DNS_MAX_WAITING} DNS queries (their waiting list is bounded over all flows)`;
  return null;
}

/**
 * Merges the owners' parts (part w from owner w; part 0 may be the session's
 * own recorder) into `target`, a tracker that saw no packet, and writes each
 * packet's flow ids into `cap`'s index: the state one thread would have built.
 * Throws FlowSplitRefusal when that cannot be done exactly (nothing written
 * to `target` then... except when the order checks fail midway: the host
 * discards the session either way).
 */
export function mergeFlowParts(target: FlowTracker, parts: readonly FlowPart[], cap: CaptureResult, opts: FlowWorkOptions): void {
  const maxFlows = opts.maxFlows ?? target.maxFlows;
  const why = flowSplitRefusal(parts, maxFlows);
  if (why) throw new FlowSplitRefusal(why);
  const udpPorts = new DissectConfig(opts).udpPorts;
  for (const p of parts) {
    if (p.packets !== cap.index.count) throw new FlowSplitRefusal(`${cap.file}: flow owner ${p.owner} read ${p.packets} packets, the session ${cap.index.count}`);
  }
  const N = parts.length;
  const tb = parts.map((p) => p.table as Record<string, Typed> & { count: number });
  // Replicated flows (tunnel outer levels) are in every part: part 0's are kept.
  const replicated = parts.map((_, w) => {
    const t = tb[w]!;
    const r = new Uint8Array(t.count);
    const proto = t['proto'] as Uint8Array, a = t['portA'] as Uint16Array, b = t['portB'] as Uint16Array;
    for (let f = 0; f < t.count; f++) r[f] = replicatedKey(udpPorts, proto[f]!, a[f]!, b[f]!) ? 1 : 0;
    return r;
  });
  const flowKeys = tb.map((t) => {
    const k = new Float64Array(t.count);
    const fp = t['firstPacket'] as Uint32Array, d = t['depth'] as Uint8Array;
    for (let f = 0; f < t.count; f++) k[f] = fp[f]! * 16 + d[f]!;
    return k;
  });
  const order = mergeOrder(flowKeys, 'two flows', (w, f) => w === 0 || replicated[w]![f] === 0);
  const total = order.w.length;
  if (total > maxFlows) throw new FlowSplitRefusal(`more than ${maxFlows} flows (the flow bound is first-seen over all owners)`);
  const remap = tb.map((t) => new Int32Array(t.count).fill(-1));
  const replicatedAt = new Map<number, number>();
  for (let g = 0; g < total; g++) {
    const w = order.w[g]!, f = order.i[g]!;
    remap[w]![f] = g;
    if (replicated[w]![f]) replicatedAt.set(flowKeys[w]![f]!, g);
  }
  for (let w = 1; w < N; w++) {
    for (let f = 0; f < tb[w]!.count; f++) {
      if (!replicated[w]![f]) continue;
      const g = replicatedAt.get(flowKeys[w]![f]!);
      if (g === undefined) throw new FlowSplitRefusal('a tunnel outer flow not seen by every owner');
      remap[w]![f] = g;
    }
  }

  // The table: columns gathered in merged order.
  const t = target.table as unknown as Record<string, unknown> & { ensure(n: number): void; rehash(size: number): void; baseSec: number[]; extraLinks: Set<number> };
  t.ensure(total);
  for (const [col, wd] of FLOW_COLUMNS) gather(t[col] as Typed, tb.map((x) => x[col] as Typed), wd, order, total);
  const outer1 = t['tunnelOuter'] as Int32Array, outer2 = t['tunnelOuter2'] as Int32Array;
  for (let g = 0; g < total; g++) {
    const w = order.w[g]!, f = order.i[g]!;
    const o1 = (tb[w]!['tunnelOuter'] as Int32Array)[f]!, o2 = (tb[w]!['tunnelOuter2'] as Int32Array)[f]!;
    outer1[g] = o1 >= 0 ? remap[w]![o1]! : -1;
    outer2[g] = o2 >= 0 ? remap[w]![o2]! : -1;
  }
  (parts[0]!.table['baseSec'] as Array<number | undefined>).forEach((v, c) => { if (v !== undefined) t.baseSec[c] = v; });

  // Tunnel links in the order one thread appends them: by packet, then the inner level; an inner replicated flow's from part 0.
  const linkKeys = parts.map((p, w) => {
    const inner = tb[w]!['linkInner'] as Int32Array, depth = tb[w]!['depth'] as Uint8Array;
    const k = new Float64Array(tb[w]!['linkCount'] as unknown as number);
    for (let l = 0; l < k.length; l++) k[l] = p.linkPacket[l]! * 16 + depth[inner[l]!]!;
    return k;
  });
  const lo = mergeOrder(linkKeys, 'two tunnel links', (w, l) => w === 0 || replicated[w]![(tb[w]!['linkInner'] as Int32Array)[l]!] === 0);
  const links = lo.w.length;
  const linkCap = doubled(1024, links);
  const li = new Int32Array(linkCap), lout = new Int32Array(linkCap), lt = new Uint8Array(linkCap), lv = new Uint32Array(linkCap);
  const innerCount = t['innerCount'] as Uint32Array;
  for (let n = 0; n < links; n++) {
    const w = lo.w[n]!, l = lo.i[n]!;
    const x = tb[w]!;
    li[n] = remap[w]![(x['linkInner'] as Int32Array)[l]!]!;
    lout[n] = remap[w]![(x['linkOuter'] as Int32Array)[l]!]!;
    lt[n] = (x['linkType'] as Uint8Array)[l]!;
    lv[n] = (x['linkVni'] as Uint32Array)[l]!;
    innerCount[lout[n]!]!++;
  }
  t['linkInner'] = li; t['linkOuter'] = lout; t['linkType'] = lt; t['linkVni'] = lv;
  t['linkCount'] = links;
  for (let w = 0; w < N; w++) {
    for (const key of tb[w]!['extraLinks'] as unknown as Set<number>) {
      const inner = Math.floor(key / 0x4000000), outer = key % 0x4000000;
      if (w > 0 && replicated[w]![inner]) continue;
      t.extraLinks.add(remap[w]![inner]! * 0x4000000 + remap[w]![outer]!);
    }
  }
  t['count'] = total;
  // The hash index: the live flows in id order (no aliases: a join is refused), at the size the inserts grew it to.
  const superseded = t['superseded'] as Uint8Array;
  let live = 0;
  for (let f = 0; f < total; f++) if (superseded[f] === 0) live++;
  let size = 4096;
  while (live * 2 > size) size *= 2;
  t.rehash(size);
  t['live'] = live;

  mergeTcp(target, parts, order, total);
  mergeTransactions(target, parts, order, remap, total);

  // Each packet's innermost and outermost flow: the deepest and the shallowest level over the owners.
  const n = cap.index.count;
  const flowId = new Int32Array(cap.index.flowId.length).fill(-1), outerFlowId = new Int32Array(cap.index.outerFlowId.length).fill(-1);
  const innerLevel = new Int8Array(n).fill(-1), outerLevel = new Int8Array(n).fill(16);
  for (let w = 0; w < N; w++) {
    const ids = parts[w]!.flowId, outs = parts[w]!.outerFlowId, rm = remap[w]!;
    for (let k = 0; k < n; k++) {
      const v = ids[k]!;
      if (v >= 0 && (v & 15) > innerLevel[k]!) { innerLevel[k] = v & 15; flowId[k] = rm[v >> 4]!; }
      const o = outs[k]!;
      if (o >= 0 && (o & 15) < outerLevel[k]!) { outerLevel[k] = o & 15; outerFlowId[k] = rm[o >> 4]!; }
    }
  }
  cap.index.flowId = flowId;
  cap.index.outerFlowId = outerFlowId;
  target.captures[cap.id] = cap;
}

/**
 * to[g] = from[w][f] for each merged flow g = (w, f), `wd` elements a flow,
 * copied as bytes (one array type here, whatever the column's: the loop stays
 * monomorphic); flows at or past `caps[w]` are left as they are.
 */
function gather(to: Typed, from: readonly Typed[], wd: number, order: { w: Uint8Array; i: Int32Array }, n: number, caps?: readonly number[]): void {
  if (to.BYTES_PER_ELEMENT >= 4) {
    // As 32-bit words: a quarter of the steps.
    const words = (wd * to.BYTES_PER_ELEMENT) / 4;
    const dst = new Uint32Array(to.buffer, to.byteOffset, to.byteLength / 4);
    const src = from.map((a) => new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4));
    for (let g = 0; g < n; g++) {
      const w = order.w[g]!, f = order.i[g]!;
      if (caps && f >= caps[w]!) continue;
      const s = src[w]!;
      for (let j = 0, x = words * f, y = words * g; j < words; j++) dst[y + j] = s[x + j]!;
    }
    return;
  }
  const size = wd * to.BYTES_PER_ELEMENT;
  const dst = new Uint8Array(to.buffer, to.byteOffset, to.byteLength);
  const src = from.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  for (let g = 0; g < n; g++) {
    const w = order.w[g]!, f = order.i[g]!;
    if (caps && f >= caps[w]!) continue;
    const s = src[w]!;
    for (let j = 0, x = size * f, y = size * g; j < size; j++) dst[y + j] = s[x + j]!;
  }
}

function mergeTcp(target: FlowTracker, parts: readonly FlowPart[], order: { w: Uint8Array; i: Int32Array }, total: number): void {
  const proto = target.table.proto;
  let last = -1;
  for (let f = total - 1; f >= 0; f--) if (proto[f] === 6) { last = f; break; }
  if (last < 0) return;
  target.tcp.ensure(last + 1);
  const to = target.tcp as unknown as Record<string, unknown>;
  const caps = parts.map((p) => p.tcp['capacity'] as number);
  for (const [key, v] of Object.entries(to)) {
    if (!ArrayBuffer.isView(v)) continue;
    const a = v as Typed;
    gather(a, parts.map((p) => p.tcp[key] as Typed), a.length / target.tcp.capacity, order, last + 1, caps);
  }
}

function mergeTransactions(target: FlowTracker, parts: readonly FlowPart[], order: { w: Uint8Array; i: Int32Array }, remap: readonly Int32Array[], total: number): void {
  const http = target.http as unknown as { transactions: HttpTransaction[]; issues: HttpIssue[]; droppedIssues: number; isHttp: Uint8Array; converted: number; packet: number };
  const dns = target.dns as unknown as { transactions: DnsTransaction[]; issues: DnsIssue[]; droppedIssues: number };
  http.isHttp = new Uint8Array(doubled(1024, total));
  for (let g = 0; g < total; g++) {
    const h = parts[order.w[g]!]!.http.isHttp, f = order.i[g]!;
    if (f < h.length) http.isHttp[g] = h[f]!;
  }
  // HTTP: transactions by the packet (then level) that made them; those a capture's end made, in the order their streams opened.
  const tx = mergeOrder(parts.map((p) => p.httpTxnKey), 'two HTTP transactions');
  for (let n = 0; n < tx.w.length; n++) {
    const w = tx.w[n]!;
    const x = parts[w]!.http.transactions[tx.i[n]!]!;
    x.id = n;
    x.flow = remap[w]![x.flow]!;
    http.transactions.push(x);
  }
  http.converted = http.transactions.length;
  // The packet an HTTP issue names is the last one that fed HTTP a segment (over all flows) when it was made.
  const lastSeg = Math.max(-1, ...parts.map((p) => p.lastHttpPacket));
  http.packet = Math.max(0, lastSeg);
  const segBefore = (at: number): number => {
    for (const p of parts) if (at < p.segMarks.length && p.segMarks[at] === 1) throw new FlowSplitRefusal('an HTTP issue made at a packet that fed HTTP at another level');
    let best = -1;
    for (const p of parts) {
      for (let k = Math.min(at, p.segMarks.length) - 1; k > best; k--) if (p.segMarks[k] === 1) { best = k; break; }
    }
    return Math.max(0, best);
  };
  const hi = mergeOrder(parts.map((p) => p.httpIssueKey), 'two HTTP issues');
  let kept = 0, all = 0;
  for (const p of parts) all += p.http.issues.length + p.http.droppedIssues;
  for (let n = 0; n < hi.w.length && kept < 1000; n++) {
    const w = hi.w[n]!, k = hi.i[n]!;
    const x = parts[w]!.http.issues[k]!;
    const at = parts[w]!.httpIssueAt[k]!;
    const packet = at < 0 ? Math.max(0, lastSeg) + 1 : x.packet - 1 === at ? x.packet : segBefore(at) + 1;
    http.issues.push({ ...x, packet, flow: x.flow >= 0 ? remap[w]![x.flow]! : x.flow });
    kept++;
  }
  http.droppedIssues = all - kept;
  // DNS: by the packet (then level) that made each.
  const depthOf = (w: number, f: number): number => (parts[w]!.table['depth'] as Uint8Array)[f]!;
  const dtx = mergeOrder(parts.map((p, w) => Float64Array.from(p.dns.transactions, (x) => (x.queryPacket >= 0 ? x.queryPacket : x.answerPacket) * 16 + depthOf(w, x.flow))), 'two DNS transactions');
  for (let n = 0; n < dtx.w.length; n++) {
    const w = dtx.w[n]!;
    const x = parts[w]!.dns.transactions[dtx.i[n]!]!;
    x.id = n;
    x.flow = remap[w]![x.flow]!;
    dns.transactions.push(x);
  }
  const di = mergeOrder(parts.map((p, w) => Float64Array.from(p.dns.issues, (x) => (x.packet - 1) * 16 + depthOf(w, x.flow))), 'two DNS issues');
  let dkept = 0, dall = 0;
  for (const p of parts) dall += p.dns.issues.length + p.dns.droppedIssues;
  for (let n = 0; n < di.w.length && dkept < 1000; n++) {
    const w = di.w[n]!;
    const x = parts[w]!.dns.issues[di.i[n]!]!;
    dns.issues.push({ ...x, flow: x.flow >= 0 ? remap[w]![x.flow]! : x.flow });
    dkept++;
  }
  dns.droppedIssues = dall - dkept;
}
