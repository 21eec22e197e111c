/**
 * Request journeys: for each HTTP request, the chain of hops it took in time
 * order (capture point, addresses there, translation applied, tunnel), then
 * the upstream request it caused at a proxy (if any), and the response's way
 * back. Built on the stitched connections: a request is the same packet
 * (same connection, same sequence number) wherever it was seen.
 */
import type { Endpoint, Journey, JourneyHop } from '../api.js';
import { ipToString, ipv4ToString } from '../dissect/addr.js';
import { TUNNEL_GENEVE } from '../dissect/layers.js';
import { formatTime } from '../engine/time.js';
import type { HttpRequestLine, OverlayObserver } from './overlay-observer.js';
import { translationKind, type StitchResult } from './stitch.js';

/** Most proxies a journey follows (bounds the recursion). */
const MAX_LEGS = 8;
/** An upstream request must start this soon after its parent when the parent has no response. */
const NO_RESPONSE_WINDOW_NS = 5e9;

interface Occurrence {
  row: number;
  t: number;
  loc: string;
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

export function locationOf(o: OverlayObserver, r: number): string {
  return `${o.point[r]}/${o.depth[r]}/${o.outerSrc[r]}>${o.outerDst[r]}`;
}

function firstPerLocation(o: OverlayObserver, rows: number[], t: (r: number) => number): Occurrence[] {
  const by = new Map<string, Occurrence>();
  for (const r of rows) {
    const loc = locationOf(o, r);
    const tr = t(r);
    const cur = by.get(loc);
    if (!cur || tr < cur.t) by.set(loc, { row: r, t: tr, loc });
  }
  return [...by.values()].sort((a, b) => a.t - b.t || a.row - b.row);
}

export function httpExchanges(o: OverlayObserver, st: StitchResult): HttpExchange[] {
  const t = (r: number): number => (o.tSec[r]! - st.baseSec) * 1e9 + o.tNsec[r]!;
  const reqRows = new Map<string, number[]>();
  const respRows = new Map<number, Map<number, number[]>>();
  for (let r = 0; r < o.count; r++) {
    const h = o.http[r]!;
    if (h === 0) continue;
    const s = st.streamOf[r]!;
    const c = st.connOf[s]!;
    const conn = st.connections[c]!;
    const client = conn.clientSide.has(s);
    if (h === 1 && client) {
      const k = `${c}/${o.seq[r]}`;
      const l = reqRows.get(k);
      if (l) l.push(r); else reqRows.set(k, [r]);
    } else if (h === 2 && !client) {
      let m = respRows.get(c);
      if (!m) respRows.set(c, (m = new Map()));
      const l = m.get(o.seq[r]!);
      if (l) l.push(r); else m.set(o.seq[r]!, [r]);
    }
  }
  const out: HttpExchange[] = [];
  for (const [k, rows] of reqRows) {
    const [cs, ss] = k.split('/');
    const conn = Number(cs), seq = Number(ss);
    const request = firstPerLocation(o, rows, t);
    const line = rows.map((r) => o.requests.get(r)).find((x) => x) ?? null;
    // The response acknowledges the request: the smallest distance in sequence space after it.
    let best: number[] | null = null;
    let bestD = Infinity;
    for (const [, rr] of respRows.get(conn) ?? []) {
      const d = (o.ack[rr[0]!]! - seq) >>> 0;
      if (d >= 1 && d < 1 << 24 && d < bestD) { bestD = d; best = rr; }
    }
    const response = best ? firstPerLocation(o, best, t) : [];
    out.push({ id: 0, conn, seq, line, request, response, status: best ? o.status[best[0]!]! || null : null, parent: null, child: null });
  }
  out.sort((a, b) => a.request[0]!.t - b.request[0]!.t);
  out.forEach((x, i) => { x.id = i; });
  // Link each request to the upstream request it caused: sent by the server
  // that received it, after it arrived and before its response left.
  const server = (x: HttpExchange): string => {
    const last = x.request[x.request.length - 1]!;
    return ipToString(o.ver[last.row]!, o.dst, last.row * 4);
  };
  const clientOf = (x: HttpExchange): string => {
    const first = x.request[0]!;
    return ipToString(o.ver[first.row]!, o.src, first.row * 4);
  };
  const clients = out.map(clientOf);
  const byClient = new Map<string, number[]>();
  clients.forEach((c, i) => {
    const l = byClient.get(c);
    if (l) l.push(i); else byClient.set(c, [i]);
  });
  for (const x of out) {
    const list = byClient.get(server(x));
    if (!list) continue;
    const from = x.request[x.request.length - 1]!.t;
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

export function buildJourneys(o: OverlayObserver, st: StitchResult, ex: HttpExchange[], pointName: (p: number) => string, precision: number): Journey[] {
  const journeys: Journey[] = [];
  const time = (tNs: number): string => {
    const abs = st.baseSec + Math.floor(tNs / 1e9);
    return formatTime(abs, Math.round(tNs - Math.floor(tNs / 1e9) * 1e9), precision);
  };
  const ep = (r: number, which: 'src' | 'dst'): Endpoint => ({
    ip: ipToString(o.ver[r]!, which === 'src' ? o.src : o.dst, r * 4),
    port: which === 'src' ? o.sport[r]! : o.dport[r]!,
  });
  // Packets of a connection at one location (both directions).
  const packetsAt = (conn: number, point: number, depth: number): number => {
    let n = 0;
    for (const s of st.connections[conn]!.streams) if (s.point === point && s.depth === depth) n += s.packets;
    return n;
  };
  for (const root of ex) {
    if (root.parent !== null) continue;
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
        const d = o.depth[r]!;
        hops.push({
          point: pointName(o.point[r]!), time: time(oc.t), src, dst, translation,
          tunnel: d > 0 ? { type: o.tunType[r] === TUNNEL_GENEVE ? 'geneve' : 'vxlan', vni: o.vni[r]!, outerSrc: ipv4ToString(o.outerSrc[r]!), outerDst: ipv4ToString(o.outerDst[r]!) } : null,
          packets: packetsAt(x.conn, o.point[r]!, d),
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
    const complete = legs.every((x) => x.response.length > 0) && backAt !== null && o.point[backAt.row] === o.point[first.row];
    const l = root.line;
    journeys.push({
      id: journeys.length, http: root.id,
      label: l ? `${l.method} ${l.host ?? ''}${l.uri}` : 'HTTP request',
      hops, complete,
    });
  }
  return journeys;
}

function epText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
