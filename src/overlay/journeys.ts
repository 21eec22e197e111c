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
import type { HttpRequestLine, OverlayObserver } from './overlay-observer.js';
import { translationKind, type StitchResult } from './stitch.js';

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

export function buildJourneys(o: OverlayObserver, st: StitchResult, ex: HttpExchange[], pointName: (p: number) => string, precision: number,
  options: JourneyOptions = {}): Journey[] {
  const journeys: Journey[] = [];
  const time = (tNs: number): string => {
    const abs = st.baseSec + Math.floor(tNs / 1e9);
    return formatTime(abs, Math.round(tNs - Math.floor(tNs / 1e9) * 1e9), precision);
  };
  // Endpoints per tuple and side, and tunnels per tuple, made once and shared by the hops on that tuple (read-only:
  // frozen). 60 k journeys on a 2 M-packet session: made per hop, they were most of a hop's long-lived objects.
  // By index: tuple * 2 + side -> 1 + position in `eps`, tuple -> 1 + position in `tunnels` (0: not made yet).
  const epAt = new Int32Array(o.tupleCount * 2);
  const eps: Endpoint[] = [];
  const ep = (r: number, which: 'src' | 'dst'): Endpoint => {
    const tu = o.tuple[r]!;
    const k = which === 'src' ? tu * 2 : tu * 2 + 1;
    const at = epAt[k]!;
    if (at > 0) return eps[at - 1]!;
    const e = Object.freeze({ ip: ipToString(o.tVer[tu]!, which === 'src' ? o.tSrc : o.tDst, tu * 4), port: which === 'src' ? o.tSport[tu]! : o.tDport[tu]! });
    eps.push(e);
    epAt[k] = eps.length;
    return e;
  };
  const tunnelAt = new Int32Array(o.tupleCount);
  const tunnels: Array<NonNullable<JourneyHop['tunnel']>> = [];
  const tunnelOf = (tu: number): JourneyHop['tunnel'] => {
    const at = tunnelAt[tu]!;
    if (at > 0) return tunnels[at - 1]!;
    const t = Object.freeze({ type: tunnelTypeOf(o.tTunType[tu]!), vni: o.tTunType[tu] === TUNNEL_IPIP ? -1 : o.tVni[tu]!, outerSrc: o.outerText(o.tOuterSrc[tu]!), outerDst: o.outerText(o.tOuterDst[tu]!) });
    tunnels.push(t);
    tunnelAt[tu] = tunnels.length;
    return t;
  };
  // Packets of a connection at one location (both directions).
  const sparse = o.sparseRows;
  const flowPackets = options.flowPackets;
  const packetsAt = (conn: number, point: number, depth: number): number => {
    let n = 0;
    const flows: number[] = [];
    for (const s of st.connections[conn]!.streams) {
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
  };
  for (const root of ex) {
    if (root.parent !== null) continue;
    if (options.keep && !options.keep(root)) continue;
    const legs: HttpExchange[] = [];
    for (let x: HttpExchange | undefined = root; x && legs.length < MAX_LEGS; x = x.child === null ? undefined : ex[x.child]) legs.push(x);
    const hops: JourneyHop[] = [];
    let prevT: number | null = null;
    const push = (x: HttpExchange, occ: Occurrence[], note: string, reply: boolean): void => {
      let prev: { src: Endpoint; dst: Endpoint } | null = null;
      for (const oc of occ) {
        const r = oc.row;
        const src = ep(r, 'src'), dst = ep(r, 'dst');
        // In request terms (the reply's addresses reversed), to say what was translated.
        const rq = reply ? { src: dst, dst: src } : { src, dst };
        let translation: string | null = null;
        if (prev) {
          const k = translationKind(
            { src: prev.src.ip, sport: prev.src.port ?? 0, dst: prev.dst.ip, dport: prev.dst.port ?? 0 },
            { src: rq.src.ip, sport: rq.src.port ?? 0, dst: rq.dst.ip, dport: rq.dst.port ?? 0 });
          if (k) {
            const parts: string[] = [];
            const [a, b] = reply ? [rq, prev] : [prev, rq];
            if (k.includes('dnat')) parts.push(`${reply ? 'un-DNAT' : 'DNAT'} ${epText(a.dst)} → ${epText(b.dst)}`);
            if (k.includes('snat')) parts.push(`${reply ? 'un-SNAT' : 'SNAT'} ${epText(a.src)} → ${epText(b.src)}`);
            translation = parts.join(', ');
          }
        }
        prev = rq;
        const tu = o.tuple[r]!;
        const d = o.tDepth[tu]!;
        hops.push({
          point: pointName(o.tPoint[tu]!), time: time(oc.t), src, dst, translation,
          tunnel: d > 0 ? tunnelOf(tu) : null,
          packets: packetsAt(x.conn, o.tPoint[tu]!, d),
          latencyMs: prevT === null ? null : Math.round((oc.t - prevT) / 1e3) / 1e3,
          note,
        });
        prevT = oc.t;
      }
    };
    legs.forEach((x, i) => push(x, x.request, i === 0 ? 'request' : `upstream request ${i}`, false));
    for (let i = legs.length - 1; i >= 0; i--) push(legs[i]!, legs[i]!.response, i === 0 ? 'response' : `upstream response ${i}`, true);
    const first = root.request[0]!;
    const backAt = root.response.length ? root.response[root.response.length - 1]! : null;
    const complete = legs.every((x) => x.response.length > 0) && backAt !== null && o.tPoint[o.tuple[backAt.row]!] === o.tPoint[o.tuple[first.row]!];
    const l = root.line;
    journeys.push({
      id: journeys.length, http: root.id,
      label: l ? `${l.method} ${l.host ?? ''}${l.uri}` : 'HTTP request',
      hops, complete, ingress: null,
    });
  }
  return journeys;
}

function epText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
