/**
 * Request journeys: for each HTTP request, the chain of hops it took in time
 * order (capture point, addresses there, translation applied, tunnel), then
 * the upstream request it caused at a proxy (if any), and the response's way
 * back. Built on the stitched connections: a request is the same packet
 * (same connection, same sequence number) wherever it was seen.
 */
import type { Endpoint, Journey, JourneyHop } from '../api.js';
import { ipToString } from '../dissect/addr.js';
import { TUNNEL_IPIP } from '../dissect/layers.js';
import { tunnelTypeOf } from './overlay-observer.js';
import { formatTime } from '../pipeline/time.js';
import { JsonLit, type JsonBytes } from '../pipeline/json-bytes.js';
import type { HttpRequestLine, OverlayObserver } from './overlay-observer.js';
import type { StitchResult } from './stitch.js';

/** Most proxies a journey follows (bounds the recursion). */
const MAX_LEGS = 8;
/** An upstream request must start this soon after its parent when the parent has no response. */
export const NO_RESPONSE_WINDOW_NS = 5e9;

/**
 * HTTP exchanges (a request, the response that acknowledged it, the upstream
 * request it caused) as columns, in time order of their first request
 * occurrence: exchange i's request was first seen at each location at
 * `occRow/occT[reqStart[i] .. reqStart[i + 1])`, in time order, its response
 * at `occRow/occT[respStart[i] .. respStart[i + 1])`. Columns, not an object
 * per exchange and occurrence: 60 k exchanges of a 2 M-packet session lived
 * until the JSON was written, most of what the collector copied then.
 */
export class HttpExchanges {
  constructor(
    private readonly o: OverlayObserver,
    readonly count: number,
    readonly conn: Int32Array,
    readonly seq: Float64Array,
    /** The first request row holding the request line (OverlayObserver.requestLine), or -1. */
    readonly lineRow: Int32Array,
    /** The response's status, 0 for none (null). */
    readonly statusCode: Int32Array,
    /** The request that caused this one (a proxy's upstream request), or -1. */
    readonly parent: Int32Array,
    /** The upstream request this one caused, or -1. */
    readonly child: Int32Array,
    readonly reqStart: Int32Array,
    readonly respStart: Int32Array,
    readonly occRow: Int32Array,
    readonly occT: Float64Array,
  ) {}

  line(i: number): HttpRequestLine | null {
    const r = this.lineRow[i]!;
    return r < 0 ? null : this.o.requestLine(r);
  }

  requests(i: number): number {
    return this.reqStart[i + 1]! - this.reqStart[i]!;
  }

  responses(i: number): number {
    return this.respStart[i + 1]! - this.respStart[i]!;
  }

  /** Time of exchange i's first request occurrence. */
  firstT(i: number): number {
    return this.occT[this.reqStart[i]!]!;
  }
}

/** The location id of a row (capture point, depth, tunnel outer addresses). */
export function locationOf(o: OverlayObserver, r: number): number {
  return o.tLoc[o.tuple[r]!]!;
}

/** Growable occurrence columns (row, time). */
class OccurrenceBuffer {
  row = new Int32Array(1024);
  t = new Float64Array(1024);
  length = 0;
  push(r: number, t: number): void {
    if (this.length === this.row.length) {
      const row = new Int32Array(this.length * 2); row.set(this.row); this.row = row;
      const tt = new Float64Array(this.length * 2); tt.set(this.t); this.t = tt;
    }
    this.row[this.length] = r;
    this.t[this.length++] = t;
  }
}

/**
 * Appends the first occurrence per location of the rows `head, next[head], …`
 * (in row order) to `out`, in time order (then row order). A group's rows
 * are few: a scan per row, no map.
 */
function firstPerLocation(o: OverlayObserver, head: number, next: Int32Array, out: OccurrenceBuffer, scratch: { loc: number[]; row: number[]; t: number[] }): void {
  const { loc: locs, row: rows, t: ts } = scratch;
  let n = 0;
  for (let r = head; r >= 0; r = next[r]!) {
    const loc = locationOf(o, r);
    const tr = o.time[r]!;
    let k = 0;
    while (k < n && locs[k] !== loc) k++;
    if (k === n) { locs[n] = loc; rows[n] = r; ts[n] = tr; n++; }
    else if (tr < ts[k]!) { rows[k] = r; ts[k] = tr; }
  }
  // Insertion sort by (time, row): a total order, so the same order as any sort.
  for (let i = 1; i < n; i++) {
    const r = rows[i]!, t = ts[i]!;
    let j = i - 1;
    while (j >= 0 && (ts[j]! > t || (ts[j] === t && rows[j]! > r))) { rows[j + 1] = rows[j]!; ts[j + 1] = ts[j]!; j--; }
    rows[j + 1] = r; ts[j + 1] = t;
  }
  for (let i = 0; i < n; i++) out.push(rows[i]!, ts[i]!);
}

/** A host address as a map key: the IPv4 number, or the IPv6 text. */
export function addressKey(o: OverlayObserver, words: Uint32Array, tuple: number): number | string {
  return o.tVer[tuple] === 4 ? words[tuple * 4]! : ipToString(6, words, tuple * 4);
}

/**
 * Groups by (connection, sequence number) in one open-addressing table of
 * group ids (not a Map per connection: 50 k of them on a 2 M-packet session
 * cost more than the rest of httpExchanges; nor one Map keyed by
 * conn * 2^32 + seq, whose double keys made it most of this function's time).
 * A group's rows are a list through `next` (row -> next row of its group, -1
 * at the end).
 */
class ConnSeqGroups {
  /** 1 + group id, 0 empty; a power of two, at most half full. */
  private slots = new Int32Array(1024);
  readonly conn: number[] = [];
  readonly seq: number[] = [];
  readonly head: number[] = [];
  private readonly tail: number[] = [];
  constructor(private readonly next: Int32Array) {}
  get length(): number {
    return this.conn.length;
  }
  private static slotOf(conn: number, seq: number, mask: number): number {
    return (Math.imul(conn, 0x9e3779b1) ^ Math.imul(seq | 0, 0x85ebca6b) ^ (seq >>> 16)) & mask;
  }
  /** Adds row r to the group of (conn, seq); returns the group, `length - 1` when new. */
  add(conn: number, seq: number, r: number): number {
    const slots = this.slots, mask = slots.length - 1;
    let i = ConnSeqGroups.slotOf(conn, seq, mask);
    for (let g = slots[i]!; g !== 0; g = slots[i]!) {
      if (this.conn[g - 1] === conn && this.seq[g - 1] === seq) {
        this.next[this.tail[g - 1]!] = r;
        this.tail[g - 1] = r;
        return g - 1;
      }
      i = (i + 1) & mask;
    }
    const g = this.conn.length;
    this.conn.push(conn); this.seq.push(seq); this.head.push(r); this.tail.push(r);
    slots[i] = g + 1;
    if (2 * (g + 1) > slots.length) this.grow();
    return g;
  }
  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2), mask = slots.length - 1;
    for (let g = 0; g < this.conn.length; g++) {
      let i = ConnSeqGroups.slotOf(this.conn[g]!, this.seq[g]!, mask);
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = g + 1;
    }
    this.slots = slots;
  }
}

export function httpExchanges(o: OverlayObserver, st: StitchResult): HttpExchanges {
  // Request rows grouped by (connection, seq), in order of first appearance; response rows by (connection, seq), in
  // order of first appearance too.
  const next = new Int32Array(o.count).fill(-1);
  const req = new ConnSeqGroups(next);
  const resp = new ConnSeqGroups(next);
  const respAck: number[] = [];
  const C = st.connections.length;
  const respCount = new Int32Array(C + 1);
  for (let r = 0; r < o.count; r++) {
    const h = o.http[r]!;
    if (h === 0) continue;
    const s = st.streamOf[r]!;
    if (s < 0) continue;
    const c = st.connOf[s]!;
    const client = st.clientSide[s] === 1;
    const seq = o.seq[r]!;
    if (h === 1 && client) req.add(c, seq, r);
    else if (h === 2 && !client) {
      if (resp.add(c, seq, r) === respAck.length) { respAck.push(o.ack[r]!); respCount[c + 1]++; }
    }
  }
  // Responses of each connection by acknowledgment number (equal acks keep their order of appearance): a
  // connection's responses are respByConn[respStart[c] .. respStart[c + 1]).
  const respStart = respCount;
  for (let c = 0; c < C; c++) respStart[c + 1] += respStart[c]!;
  const respByConn = new Int32Array(resp.length);
  const put = respStart.slice(0, C);
  for (let g = 0; g < resp.length; g++) respByConn[put[resp.conn[g]!]!++] = g;
  for (let c = 0; c < C; c++) {
    const from = respStart[c]!, to = respStart[c + 1]!;
    if (to - from > 1) respByConn.subarray(from, to).sort((x, y) => respAck[x]! - respAck[y]! || x - y);
  }
  // Each request group, in order of first appearance: its occurrences, line row, response (occurrences, status).
  const n = req.length;
  const reqOcc = new OccurrenceBuffer(), respOcc = new OccurrenceBuffer();
  const reqAt = new Int32Array(n + 1), respAt = new Int32Array(n + 1);
  const lineRow0 = new Int32Array(n).fill(-1), status0 = new Int32Array(n);
  const scratch = { loc: [] as number[], row: [] as number[], t: [] as number[] };
  for (let q = 0; q < n; q++) {
    const conn = req.conn[q]!, seq = req.seq[q]!;
    firstPerLocation(o, req.head[q]!, next, reqOcc, scratch);
    reqAt[q + 1] = reqOcc.length;
    for (let r = req.head[q]!; r >= 0; r = next[r]!) if (o.requestLine(r)) { lineRow0[q] = r; break; }
    // The response acknowledges the request: the smallest distance in sequence space after it,
    // i.e. the first acknowledgment at or after seq + 1 (wrapping around).
    let best = -1;
    const from = respStart[conn]!, to = respStart[conn + 1]!;
    if (to > from) {
      const target = (seq + 1) >>> 0;
      let lo = from, hi = to;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (respAck[respByConn[mid]!]! < target) lo = mid + 1; else hi = mid;
      }
      const g = respByConn[lo < to ? lo : from]!;
      const d = (respAck[g]! - seq) >>> 0;
      if (d >= 1 && d < 1 << 24) best = g;
    }
    if (best >= 0) {
      firstPerLocation(o, resp.head[best]!, next, respOcc, scratch);
      status0[q] = o.status[resp.head[best]!]!;
    }
    respAt[q + 1] = respOcc.length;
  }
  // In time order of the first request occurrence (a stable sort: equal times keep the order of appearance).
  const order = Array.from({ length: n }, (_, q) => q);
  order.sort((a, b) => reqOcc.t[reqAt[a]!]! - reqOcc.t[reqAt[b]!]! || a - b);
  const conn = new Int32Array(n), seq = new Float64Array(n), lineRow = new Int32Array(n), statusCode = new Int32Array(n);
  const reqStart = new Int32Array(n + 1), respStart2 = new Int32Array(n + 1);
  const occRow = new Int32Array(reqOcc.length + respOcc.length), occT = new Float64Array(occRow.length);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const q = order[i]!;
    conn[i] = req.conn[q]!; seq[i] = req.seq[q]!; lineRow[i] = lineRow0[q]!; statusCode[i] = status0[q]!;
    reqStart[i] = at;
    for (let k = reqAt[q]!; k < reqAt[q + 1]!; k++) { occRow[at] = reqOcc.row[k]!; occT[at++] = reqOcc.t[k]!; }
  }
  reqStart[n] = at;
  for (let i = 0; i < n; i++) {
    const q = order[i]!;
    respStart2[i] = at;
    for (let k = respAt[q]!; k < respAt[q + 1]!; k++) { occRow[at] = respOcc.row[k]!; occT[at++] = respOcc.t[k]!; }
  }
  respStart2[n] = at;
  const parent = new Int32Array(n).fill(-1), child = new Int32Array(n).fill(-1);
  const ex = new HttpExchanges(o, n, conn, seq, lineRow, statusCode, parent, child, reqStart, respStart2, occRow, occT);
  // Link each request to the upstream request it caused: sent by the server
  // that received it, after it arrived and before its response left.
  const byClient = new Map<number | string, number[]>();
  for (let i = 0; i < n; i++) {
    const c = addressKey(o, o.tSrc, o.tuple[occRow[reqStart[i]!]!]!);
    const l = byClient.get(c);
    if (l) l.push(i); else byClient.set(c, [i]);
  }
  // Request lines while linking (their ids and URIs pick among candidates), made once each.
  const lines: Array<HttpRequestLine | null | undefined> = new Array(n);
  const lineOf = (i: number): HttpRequestLine | null => (lines[i] === undefined ? (lines[i] = ex.line(i)) : lines[i]!);
  const cands: number[] = [];
  for (let x = 0; x < n; x++) {
    const lastAt = reqStart[x + 1]! - 1;
    const list = byClient.get(addressKey(o, o.tDst, o.tuple[occRow[lastAt]!]!));
    if (!list) continue;
    const from = occT[lastAt]!;
    const until = respStart2[x + 1]! > respStart2[x]! ? occT[respStart2[x]!]! : from + NO_RESPONSE_WINDOW_NS;
    // Exchanges are in time order, so each client's list is too: binary search the window's start.
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (occT[reqStart[list[mid]!]!]! < from) lo = mid + 1; else hi = mid;
    }
    cands.length = 0;
    for (let k = lo; k < list.length && cands.length < 64; k++) {
      const y = list[k]!;
      if (occT[reqStart[y]!]! > until) break;
      if (y !== x && parent[y] === -1 && conn[y] !== conn[x]) cands.push(y);
    }
    if (!cands.length) continue;
    const xl = lineOf(x);
    const rid = xl?.requestId;
    let pick = -1;
    if (rid) for (const y of cands) if (lineOf(y)?.requestId === rid) { pick = y; break; }
    if (pick < 0) for (const y of cands) { const yl = lineOf(y); if (yl?.uri !== undefined && yl.uri === xl?.uri) { pick = y; break; } }
    if (pick < 0) pick = cands[0]!;
    parent[pick] = x;
    child[x] = pick;
  }
  return ex;
}

export interface JourneyOptions {
  /** Which client requests become journeys (all when omitted). */
  keep?: (ex: HttpExchanges, root: number) => boolean;
  /** Packets of a flow (the packet index's innermost flow id): counts the hop packets of one-point rows, which are too few to count them. */
  flowPackets?: (flow: number) => number;
}

/**
 * Whether a journey at one capture point shows more than `http` already
 * lists: the request seen there at two depths or tunnels (a node NIC: before
 * NAT and, inside VXLAN, after it), or an upstream request it caused (a proxy).
 */
export function showsMoreThanOneHop(ex: HttpExchanges, x: number): boolean {
  return ex.requests(x) >= 2 || ex.child[x] !== -1;
}

/** A journey's ingress, when the cluster metadata has Ingresses (src/overlay/ingress.ts); null otherwise. */
export type JourneyIngressOf = (j: Journey, ex: HttpExchanges, root: number) => Journey['ingress'];

const J_ID = new JsonLit('{"id":');
const J_HTTP = new JsonLit(',"http":');
const J_LABEL = new JsonLit(',"label":');
const J_HOPS = new JsonLit(',"hops":[');
const J_COMPLETE = new JsonLit('],"complete":');
const J_END = new JsonLit(',"ingress":null}');
const H_SRC = new JsonLit(',"src":{"ip":');
const H_DST = new JsonLit('},"dst":{"ip":');
const H_PORT = new JsonLit(',"port":');
const H_TRANSLATION = new JsonLit('},"translation":');
const H_TUNNEL = new JsonLit(',"tunnel":');
const H_NULL = new JsonLit('null');
const H_PACKETS = new JsonLit(',"packets":');
const H_LATENCY = new JsonLit(',"latencyMs":');
const H_NOTE = new JsonLit(',"note":');
const H_NEXT = new JsonLit('},');
const H_LAST = new JsonLit('}');

/**
 * The journeys of a session, each made when asked for: as the API's objects
 * (`journey(i)`, what the app, reports and exports read) or written straight
 * into JSON bytes (`write(i, out)`, what the CLI writes: the same text as
 * JSON.stringify(journey(i)) without the journey's objects and strings; 62 k
 * journeys of 125 k hops on the 2 M-packet bench session were long-lived
 * objects serialised at the end). Both walk the hops with one function, so
 * they cannot disagree.
 */
export class JourneyTable {
  /** Exchange ids of the journeys' roots (client requests), in journey order. */
  readonly roots: Int32Array;
  private readonly epAt: Int32Array;
  private readonly eps: Endpoint[] = [];
  private readonly tunnelAt: Int32Array;
  private readonly tunnels: Array<NonNullable<JourneyHop['tunnel']>> = [];
  private readonly tunnelLits: JsonLit[] = [];
  private readonly tunnelByKey = new Map<string, number>();
  private pointLits: JsonLit[] = [];
  private readonly noteLits = new Map<string, JsonLit>();

  constructor(private readonly o: OverlayObserver, private readonly st: StitchResult, readonly ex: HttpExchanges,
    private readonly pointName: (p: number) => string, private readonly precision: number,
    private readonly options: JourneyOptions & { ingress?: JourneyIngressOf } = {}) {
    const roots: number[] = [];
    for (let x = 0; x < ex.count; x++) {
      if (ex.parent[x] !== -1) continue;
      if (options.keep && !options.keep(ex, x)) continue;
      roots.push(x);
    }
    this.roots = Int32Array.from(roots);
    // Endpoints per tuple and side, and tunnels per tuple, made once and shared by the hops on that tuple (read-only:
    // frozen). By index: tuple * 2 + side -> 1 + position in `eps`, tuple -> 1 + position in `tunnels` (0: not made yet).
    this.epAt = new Int32Array(o.tupleCount * 2);
    this.tunnelAt = new Int32Array(o.tupleCount);
  }

  get length(): number {
    return this.roots.length;
  }

  /** Every journey as objects. */
  all(): Journey[] {
    const out: Journey[] = new Array(this.roots.length);
    for (let i = 0; i < out.length; i++) out[i] = this.journey(i);
    return out;
  }

  private ep(r: number, which: 0 | 1): Endpoint {
    return this.epOf(this.o.tuple[r]!, which);
  }

  /** Side `which` (0 source, 1 destination) of tuple tu as an Endpoint, made once. */
  private epOf(tu: number, which: 0 | 1): Endpoint {
    const o = this.o;
    const k = tu * 2 + which;
    const at = this.epAt[k]!;
    if (at > 0) return this.eps[at - 1]!;
    const e = Object.freeze({ ip: ipToString(o.tVer[tu]!, which === 0 ? o.tSrc : o.tDst, tu * 4), port: which === 0 ? o.tSport[tu]! : o.tDport[tu]! });
    this.eps.push(e);
    this.epAt[k] = this.eps.length;
    return e;
  }

  /** Whether side `which` (0 source, 1 destination) of tuples a and b is the same address and port. */
  private sameEnd(a: number, b: number, which: 0 | 1): boolean {
    const o = this.o;
    const v = o.tVer[a]!;
    if (v !== o.tVer[b]) return false;
    const w = which === 0 ? o.tSrc : o.tDst;
    if ((which === 0 ? o.tSport[a] !== o.tSport[b] : o.tDport[a] !== o.tDport[b]) || w[a * 4] !== w[b * 4]) return false;
    return v === 4 || (w[a * 4 + 1] === w[b * 4 + 1] && w[a * 4 + 2] === w[b * 4 + 2] && w[a * 4 + 3] === w[b * 4 + 3]);
  }

  private tunnelOf(tu: number): NonNullable<JourneyHop['tunnel']> {
    const at = this.tunnelAt[tu]!;
    if (at > 0) return this.tunnels[at - 1]!;
    // Tuples are many (a connection at a point), tunnels few (node pairs): one object and its text per tunnel.
    const o = this.o;
    const type = o.tTunType[tu]!, vni = type === TUNNEL_IPIP ? -1 : o.tVni[tu]!;
    const key = `${type}|${vni}|${o.tOuterSrc[tu]!}|${o.tOuterDst[tu]!}`;
    let k = this.tunnelByKey.get(key);
    if (k === undefined) {
      const t = Object.freeze({ type: tunnelTypeOf(type), vni, outerSrc: o.outerText(o.tOuterSrc[tu]!), outerDst: o.outerText(o.tOuterDst[tu]!) });
      this.tunnels.push(t);
      this.tunnelLits.push(new JsonLit(JSON.stringify(t)));
      this.tunnelByKey.set(key, k = this.tunnels.length);
    }
    this.tunnelAt[tu] = k;
    return this.tunnels[k - 1]!;
  }

  /** Packets of a connection at one location (both directions). */
  private packetsAt(conn: number, point: number, depth: number): number {
    const o = this.o;
    const sparse = o.sparseRows;
    const flowPackets = this.options.flowPackets;
    let n = 0;
    const flows: number[] = [];
    for (const s of this.st.connections[conn]!.streams) {
      if (s.point !== point || s.depth !== depth) continue;
      const f = s.row < sparse ? o.rowFlow[s.row]! : -1;
      if (f < 0 || !flowPackets) n += s.packets;
      // Both directions share one flow: count it once.
      else if (!flows.includes(f)) {
        n += flowPackets(f);
        flows.push(f);
      }
    }
    return n;
  }

  /**
   * Journey i's hops in order: `hop(exchange, row, time, note, translation,
   * latency in µs or null)`; returns its legs (the root, then each upstream
   * request it caused).
   */
  private walk(i: number, hop: (x: number, row: number, t: number, note: string, translation: string | null, latencyUs: number | null) => void): number[] {
    const ex = this.ex;
    const legs: number[] = [];
    for (let x = this.roots[i]!; x >= 0 && legs.length < MAX_LEGS; x = ex.child[x]!) legs.push(x);
    let prevT: number | null = null;
    const side = (x: number, from: number, to: number, note: string, reply: boolean): void => {
      // The previous hop's tuple: its addresses compared with this one's in request terms (a reply's reversed),
      // as numbers (address texts are equal exactly when the addresses are); the text only for a translation.
      let prev = -1;
      const req = reply ? 1 : 0, dstSide = reply ? 0 : 1;
      for (let k = from; k < to; k++) {
        const row = ex.occRow[k]!, t = ex.occT[k]!;
        const tu = this.o.tuple[row]!;
        let translation: string | null = null;
        if (prev >= 0) {
          const dnat = !this.sameEnd(prev, tu, dstSide), snat = !this.sameEnd(prev, tu, req);
          if (dnat || snat) {
            const parts: string[] = [];
            const [a, b] = reply ? [tu, prev] : [prev, tu];
            if (dnat) parts.push(`${reply ? 'un-DNAT' : 'DNAT'} ${epText(this.epOf(a, dstSide))} → ${epText(this.epOf(b, dstSide))}`);
            if (snat) parts.push(`${reply ? 'un-SNAT' : 'SNAT'} ${epText(this.epOf(a, req))} → ${epText(this.epOf(b, req))}`);
            translation = parts.join(', ');
          }
        }
        prev = tu;
        hop(x, row, t, note, translation, prevT === null ? null : Math.round((t - prevT) / 1e3));
        prevT = t;
      }
    };
    legs.forEach((x, k) => side(x, ex.reqStart[x]!, ex.reqStart[x + 1]!, k === 0 ? 'request' : `upstream request ${k}`, false));
    for (let k = legs.length - 1; k >= 0; k--) {
      const x = legs[k]!;
      side(x, ex.respStart[x]!, ex.respStart[x + 1]!, k === 0 ? 'response' : `upstream response ${k}`, true);
    }
    return legs;
  }

  private complete(root: number, legs: readonly number[]): boolean {
    const o = this.o, ex = this.ex;
    const first = ex.occRow[ex.reqStart[root]!]!;
    const backAt = ex.responses(root) ? ex.occRow[ex.respStart[root + 1]! - 1]! : -1;
    return legs.every((x) => ex.responses(x) > 0) && backAt >= 0 && o.tPoint[o.tuple[backAt]!] === o.tPoint[o.tuple[first]!];
  }

  private label(root: number): string {
    const l = this.ex.line(root);
    return l ? `${l.method} ${l.host ?? ''}${l.uri}` : 'HTTP request';
  }

  /** Journey i as the API's object. */
  journey(i: number): Journey {
    const o = this.o, st = this.st, precision = this.precision;
    const root = this.roots[i]!;
    const hops: JourneyHop[] = [];
    const legs = this.walk(i, (x, r, t, note, translation, latencyUs) => {
      const tu = o.tuple[r]!;
      const d = o.tDepth[tu]!;
      const whole = Math.floor(t / 1e9);
      hops.push({
        point: this.pointName(o.tPoint[tu]!), time: formatTime(st.baseSec + whole, Math.round(t - whole * 1e9), precision),
        src: this.ep(r, 0), dst: this.ep(r, 1), translation,
        tunnel: d > 0 ? this.tunnelOf(tu) : null,
        packets: this.packetsAt(this.ex.conn[x]!, o.tPoint[tu]!, d),
        latencyMs: latencyUs === null ? null : latencyUs / 1e3,
        note,
      });
    });
    const j: Journey = { id: i, http: root, label: this.label(root), hops, complete: this.complete(root, legs), ingress: null };
    if (this.options.ingress) j.ingress = this.options.ingress(j, this.ex, root);
    return j;
  }

  /** Writes JSON.stringify(journey(i)) into `out` as UTF-8. */
  write(i: number, out: JsonBytes): void {
    if (this.options.ingress) { out.text(JSON.stringify(this.journey(i))); return; }
    const o = this.o, st = this.st, precision = this.precision;
    const root = this.roots[i]!;
    out.put(J_ID);
    out.uint(i);
    out.put(J_HTTP);
    out.uint(root);
    out.put(J_LABEL);
    out.str(this.label(root));
    out.put(J_HOPS);
    let first = true;
    const legs = this.walk(i, (x, r, t, note, translation, latencyUs) => {
      if (!first) out.put(H_NEXT);
      first = false;
      const tu = o.tuple[r]!;
      const d = o.tDepth[tu]!;
      const p = o.tPoint[tu]!;
      out.put(this.pointLit(p));
      const whole = Math.floor(t / 1e9);
      out.time(st.baseSec + whole, Math.round(t - whole * 1e9), precision);
      const v4 = o.tVer[tu] === 4;
      out.put(H_SRC);
      if (v4) out.ipv4(o.tSrc[tu * 4]!); else out.str(this.ep(r, 0).ip);
      out.put(H_PORT);
      out.uint(o.tSport[tu]!);
      out.put(H_DST);
      if (v4) out.ipv4(o.tDst[tu * 4]!); else out.str(this.ep(r, 1).ip);
      out.put(H_PORT);
      out.uint(o.tDport[tu]!);
      out.put(H_TRANSLATION);
      out.str(translation);
      out.put(H_TUNNEL);
      if (d > 0) { this.tunnelOf(tu); out.put(this.tunnelLits[this.tunnelAt[tu]! - 1]!); } else out.put(H_NULL);
      out.put(H_PACKETS);
      out.num(this.packetsAt(this.ex.conn[x]!, p, d));
      out.put(H_LATENCY);
      if (latencyUs === null) out.put(H_NULL); else out.thousandths(latencyUs);
      out.put(H_NOTE);
      out.put(this.noteLit(note));
    });
    if (!first) out.put(H_LAST);
    out.put(J_COMPLETE);
    out.bool(this.complete(root, legs));
    out.put(J_END);
  }

  /** `{"point":"<name>","time":` of point p. */
  private pointLit(p: number): JsonLit {
    let l = this.pointLits[p];
    if (!l) this.pointLits[p] = l = new JsonLit(`{"point":${JSON.stringify(this.pointName(p))},"time":`);
    return l;
  }

  private noteLit(note: string): JsonLit {
    let l = this.noteLits.get(note);
    if (!l) this.noteLits.set(note, l = new JsonLit(JSON.stringify(note)));
    return l;
  }
}

export function buildJourneys(o: OverlayObserver, st: StitchResult, ex: HttpExchanges, pointName: (p: number) => string, precision: number,
  options: JourneyOptions = {}): Journey[] {
  return new JourneyTable(o, st, ex, pointName, precision, options).all();
}

function epText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
