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

interface Occurrence {
  row: number;
  t: number;
  /** Location id (OverlayObserver.tLoc). */
  loc: number;
}

export interface HttpExchange {
  id: number;
  conn: number;
  seq: number;
  line: HttpRequestLine | null;
  /** First occurrence per location, in time order. */
  request: Occurrence[];
  response: Occurrence[];
  status: number | null;
  /** Set when this request was caused by another (a proxy's upstream request). */
  parent: number | null;
  child: number | null;
}

/** The location id of a row (capture point, depth, tunnel outer addresses). */
export function locationOf(o: OverlayObserver, r: number): number {
  return o.tLoc[o.tuple[r]!]!;
}

/** Rows of one request (or response) are few: a scan per row, no map. */
function firstPerLocation(o: OverlayObserver, rows: readonly number[]): Occurrence[] {
  const by: Occurrence[] = [];
  for (const r of rows) {
    const loc = locationOf(o, r);
    const tr = o.time[r]!;
    let k = 0;
    while (k < by.length && by[k]!.loc !== loc) k++;
    if (k === by.length) by.push({ row: r, t: tr, loc });
    else if (tr < by[k]!.t) by[k] = { row: r, t: tr, loc };
  }
  return by.sort((a, b) => a.t - b.t || a.row - b.row);
}

interface RowGroup {
  seq: number;
  rows: number[];
  /** For a response group: its acknowledgment number (of its first row). */
  ack: number;
}

/** A host address as a map key: the IPv4 number, or the IPv6 text. */
export function addressKey(o: OverlayObserver, words: Uint32Array, tuple: number): number | string {
  return o.tVer[tuple] === 4 ? words[tuple * 4]! : ipToString(6, words, tuple * 4);
}

/**
 * Groups by (connection, sequence number) in one map (not a map per
 * connection: 50 k of them on a 2 M-packet session cost more than the rest
 * of httpExchanges). The map's key, conn * 2^32 + seq, is exact while
 * connection ids stay below 2^21; beyond, two pairs may share a key, so each
 * group found is checked and groups sharing a key are chained.
 */
class ConnSeqIndex {
  private readonly head = new Map<number, number>();
  private readonly next: number[] = [];
  constructor(private readonly groups: ReadonlyArray<{ conn: number; seq: number }>) {}
  /** The group of (conn, seq), or -1. */
  find(conn: number, seq: number): number {
    let g = this.head.get(conn * 4294967296 + seq) ?? -1;
    while (g >= 0 && (this.groups[g]!.conn !== conn || this.groups[g]!.seq !== seq)) g = this.next[g]!;
    return g;
  }
  /** Group g (the next index of `groups`) holds (conn, seq). */
  add(conn: number, seq: number, g: number): void {
    const k = conn * 4294967296 + seq;
    this.next[g] = this.head.get(k) ?? -1;
    this.head.set(k, g);
  }
}

export function httpExchanges(o: OverlayObserver, st: StitchResult): HttpExchange[] {
  // Request rows grouped by (connection, seq), in order of first appearance; response rows by (connection, seq), in
  // order of first appearance too.
  const reqGroups: Array<RowGroup & { conn: number }> = [];
  const reqIndex = new ConnSeqIndex(reqGroups);
  const respGroups: Array<RowGroup & { conn: number }> = [];
  const respIndex = new ConnSeqIndex(respGroups);
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
    if (h === 1 && client) {
      const g = reqIndex.find(c, seq);
      if (g >= 0) reqGroups[g]!.rows.push(r);
      else { reqIndex.add(c, seq, reqGroups.length); reqGroups.push({ conn: c, seq, rows: [r], ack: 0 }); }
    } else if (h === 2 && !client) {
      const g = respIndex.find(c, seq);
      if (g >= 0) respGroups[g]!.rows.push(r);
      else { respIndex.add(c, seq, respGroups.length); respGroups.push({ conn: c, seq, rows: [r], ack: o.ack[r]! }); respCount[c + 1]++; }
    }
  }
  // Responses of each connection by acknowledgment number (equal acks keep their order of appearance): a
  // connection's responses are respByConn[respStart[c] .. respStart[c + 1]).
  const respStart = respCount;
  for (let c = 0; c < C; c++) respStart[c + 1] += respStart[c]!;
  const respByConn = new Int32Array(respGroups.length);
  const put = respStart.slice(0, C);
  for (let g = 0; g < respGroups.length; g++) respByConn[put[respGroups[g]!.conn]!++] = g;
  for (let c = 0; c < C; c++) {
    const from = respStart[c]!, to = respStart[c + 1]!;
    if (to - from > 1) respByConn.subarray(from, to).sort((x, y) => respGroups[x]!.ack - respGroups[y]!.ack || x - y);
  }
  const out: HttpExchange[] = [];
  for (const { conn, seq, rows } of reqGroups) {
    const request = firstPerLocation(o, rows);
    let line: HttpRequestLine | null = null;
    for (const r of rows) { const x = o.requestLine(r); if (x) { line = x; break; } }
    // The response acknowledges the request: the smallest distance in sequence space after it,
    // i.e. the first acknowledgment at or after seq + 1 (wrapping around).
    let best: RowGroup | null = null;
    const from = respStart[conn]!, to = respStart[conn + 1]!;
    if (to > from) {
      const target = (seq + 1) >>> 0;
      let lo = from, hi = to;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (respGroups[respByConn[mid]!]!.ack < target) lo = mid + 1; else hi = mid;
      }
      const g = respGroups[respByConn[lo < to ? lo : from]!]!;
      const d = (g.ack - seq) >>> 0;
      if (d >= 1 && d < 1 << 24) best = g;
    }
    const response = best ? firstPerLocation(o, best.rows) : [];
    out.push({ id: 0, conn, seq, line, request, response, status: best ? o.status[best.rows[0]!]! || null : null, parent: null, child: null });
  }
  out.sort((a, b) => a.request[0]!.t - b.request[0]!.t);
  out.forEach((x, i) => { x.id = i; });
  // Link each request to the upstream request it caused: sent by the server
  // that received it, after it arrived and before its response left.
  const byClient = new Map<number | string, number[]>();
  out.forEach((x, i) => {
    const c = addressKey(o, o.tSrc, o.tuple[x.request[0]!.row]!);
    const l = byClient.get(c);
    if (l) l.push(i); else byClient.set(c, [i]);
  });
  for (const x of out) {
    const last = x.request[x.request.length - 1]!;
    const list = byClient.get(addressKey(o, o.tDst, o.tuple[last.row]!));
    if (!list) continue;
    const from = last.t;
    const until = x.response.length ? x.response[0]!.t : from + NO_RESPONSE_WINDOW_NS;
    // `out` is in time order, so each client's list is too: binary search the window's start.
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (out[list[mid]!]!.request[0]!.t < from) lo = mid + 1; else hi = mid;
    }
    const cands: HttpExchange[] = [];
    for (let k = lo; k < list.length && cands.length < 64; k++) {
      const y = out[list[k]!]!;
      if (y.request[0]!.t > until) break;
      if (y !== x && y.parent === null && y.conn !== x.conn) cands.push(y);
    }
    if (!cands.length) continue;
    const rid = x.line?.requestId;
    const pick = (rid ? cands.find((y) => y.line?.requestId === rid) : undefined)
      ?? cands.find((y) => y.line?.uri !== undefined && y.line.uri === x.line?.uri) ?? cands[0]!;
    pick.parent = x.id;
    x.child = pick.id;
  }
  return out;
}

export interface JourneyOptions {
  /** Which client requests become journeys (all when omitted). */
  keep?: (root: HttpExchange) => boolean;
  /** Packets of a flow (the packet index's innermost flow id): counts the hop packets of one-point rows, which are too few to count them. */
  flowPackets?: (flow: number) => number;
}

/**
 * Whether a journey at one capture point shows more than `http` already
 * lists: the request seen there at two depths or tunnels (a node NIC: before
 * NAT and, inside VXLAN, after it), or an upstream request it caused (a proxy).
 */
export function showsMoreThanOneHop(x: HttpExchange): boolean {
  return x.request.length >= 2 || x.child !== null;
}

/** A journey's ingress, when the cluster metadata has Ingresses (src/overlay/ingress.ts); null otherwise. */
export type JourneyIngressOf = (j: Journey, root: HttpExchange) => Journey['ingress'];

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

  constructor(private readonly o: OverlayObserver, private readonly st: StitchResult, readonly ex: readonly HttpExchange[],
    private readonly pointName: (p: number) => string, private readonly precision: number,
    private readonly options: JourneyOptions & { ingress?: JourneyIngressOf } = {}) {
    const roots: number[] = [];
    for (const root of ex) {
      if (root.parent !== null) continue;
      if (options.keep && !options.keep(root)) continue;
      roots.push(root.id);
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
   * Journey i's hops in order: `hop(x, occurrence, note, translation,
   * latency in µs or null)`; returns its legs (the root, then each upstream
   * request it caused).
   */
  private walk(i: number, hop: (x: HttpExchange, oc: Occurrence, note: string, translation: string | null, latencyUs: number | null) => void): HttpExchange[] {
    const ex = this.ex;
    const root = ex[this.roots[i]!]!;
    const legs: HttpExchange[] = [];
    for (let x: HttpExchange | undefined = root; x && legs.length < MAX_LEGS; x = x.child === null ? undefined : ex[x.child]) legs.push(x);
    let prevT: number | null = null;
    const side = (x: HttpExchange, occ: Occurrence[], note: string, reply: boolean): void => {
      // The previous hop's tuple: its addresses compared with this one's in request terms (a reply's reversed),
      // as numbers (address texts are equal exactly when the addresses are); the text only for a translation.
      let prev = -1;
      const req = reply ? 1 : 0, dstSide = reply ? 0 : 1;
      for (const oc of occ) {
        const tu = this.o.tuple[oc.row]!;
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
        hop(x, oc, note, translation, prevT === null ? null : Math.round((oc.t - prevT) / 1e3));
        prevT = oc.t;
      }
    };
    legs.forEach((x, k) => side(x, x.request, k === 0 ? 'request' : `upstream request ${k}`, false));
    for (let k = legs.length - 1; k >= 0; k--) side(legs[k]!, legs[k]!.response, k === 0 ? 'response' : `upstream response ${k}`, true);
    return legs;
  }

  private complete(root: HttpExchange, legs: readonly HttpExchange[]): boolean {
    const o = this.o;
    const first = root.request[0]!;
    const backAt = root.response.length ? root.response[root.response.length - 1]! : null;
    return legs.every((x) => x.response.length > 0) && backAt !== null && o.tPoint[o.tuple[backAt.row]!] === o.tPoint[o.tuple[first.row]!];
  }

  private label(root: HttpExchange): string {
    const l = root.line;
    return l ? `${l.method} ${l.host ?? ''}${l.uri}` : 'HTTP request';
  }

  /** Journey i as the API's object. */
  journey(i: number): Journey {
    const o = this.o, st = this.st, precision = this.precision;
    const root = this.ex[this.roots[i]!]!;
    const hops: JourneyHop[] = [];
    const legs = this.walk(i, (x, oc, note, translation, latencyUs) => {
      const r = oc.row;
      const tu = o.tuple[r]!;
      const d = o.tDepth[tu]!;
      const whole = Math.floor(oc.t / 1e9);
      hops.push({
        point: this.pointName(o.tPoint[tu]!), time: formatTime(st.baseSec + whole, Math.round(oc.t - whole * 1e9), precision),
        src: this.ep(r, 0), dst: this.ep(r, 1), translation,
        tunnel: d > 0 ? this.tunnelOf(tu) : null,
        packets: this.packetsAt(x.conn, o.tPoint[tu]!, d),
        latencyMs: latencyUs === null ? null : latencyUs / 1e3,
        note,
      });
    });
    const j: Journey = { id: i, http: root.id, label: this.label(root), hops, complete: this.complete(root, legs), ingress: null };
    if (this.options.ingress) j.ingress = this.options.ingress(j, root);
    return j;
  }

  /** Writes JSON.stringify(journey(i)) into `out` as UTF-8. */
  write(i: number, out: JsonBytes): void {
    if (this.options.ingress) { out.text(JSON.stringify(this.journey(i))); return; }
    const o = this.o, st = this.st, precision = this.precision;
    const root = this.ex[this.roots[i]!]!;
    out.put(J_ID);
    out.uint(i);
    out.put(J_HTTP);
    out.uint(root.id);
    out.put(J_LABEL);
    out.str(this.label(root));
    out.put(J_HOPS);
    let first = true;
    const legs = this.walk(i, (x, oc, note, translation, latencyUs) => {
      if (!first) out.put(H_NEXT);
      first = false;
      const r = oc.row;
      const tu = o.tuple[r]!;
      const d = o.tDepth[tu]!;
      const p = o.tPoint[tu]!;
      out.put(this.pointLit(p));
      const whole = Math.floor(oc.t / 1e9);
      out.time(st.baseSec + whole, Math.round(oc.t - whole * 1e9), precision);
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
      out.num(this.packetsAt(x.conn, p, d));
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

export function buildJourneys(o: OverlayObserver, st: StitchResult, ex: HttpExchange[], pointName: (p: number) => string, precision: number,
  options: JourneyOptions = {}): Journey[] {
  return new JourneyTable(o, st, ex, pointName, precision, options).all();
}

function epText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
