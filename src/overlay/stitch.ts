/**
 * Stitching across capture points. NAT (kube-proxy DNAT, NodePort
 * masquerade) rewrites addresses and ports but keeps TCP sequence numbers,
 * IP ids and payloads; VXLAN carries the packet unchanged. So:
 *
 * 1. Rows (see OverlayObserver) are grouped into directional streams per
 *    location (capture point, depth, tunnel endpoints) and 5-tuple; a SYN with
 *    a new initial sequence number starts a new stream (port reuse).
 * 2. Streams holding the same packet (same seq, ack, IP id, flags, payload
 *    digest within a time window) are the same direction of one connection,
 *    wherever they were seen; a stream and the reverse-tuple stream at the
 *    same location whose sequence spaces acknowledge each other are the two
 *    directions. A union-find with a direction bit joins them into
 *    connections.
 * 3. Each connection's views give its tuples as the client sent them, as
 *    each point saw them; more than one tuple is a translation, the earliest
 *    seen being the original.
 */
import { ipToString } from '../dissect/addr.js';
import { IPPROTO_TCP } from '../dissect/layers.js';
import { mix, type OverlayObserver } from './overlay-observer.js';

/** Two copies of one packet further apart than this are not the same packet. */
export const SAME_PACKET_WINDOW_NS = 2e9;
/** Sequence-space distance within which two directions acknowledge each other. */
const SEQ_SPACE = 1 << 24;

const SYN = 0x02;
const ACK = 0x10;

export interface Stream {
  id: number;
  point: number;
  depth: number;
  outerSrc: number;
  outerDst: number;
  vni: number;
  tunType: number;
  proto: number;
  /** First row (addresses and ports are read from it). */
  row: number;
  /** ISN of the SYN or SYN/ACK that opened it, -1 when none seen. */
  isn: number;
  syn: boolean;
  synAck: boolean;
  firstSeq: number;
  firstAck: number;
  hasAck: boolean;
  firstT: number;
  lastT: number;
  packets: number;
  bytes: number;
  httpRequests: number;
}

export interface ConnectionTuple {
  src: string; sport: number; dst: string; dport: number;
  key: string;
  /** Earliest time (ns, session-relative) a client-to-server packet carried it, or Infinity. */
  requestT: number;
  firstT: number;
  /** Seen only inside tunnels. */
  tunnelOnly: boolean;
  points: Set<number>;
}

export interface Connection {
  id: number;
  proto: number;
  streams: Stream[];
  /** Streams in the client-to-server direction. */
  clientSide: Set<number>;
  /** In order: the original (as the client sent it) first, the translated (as the server saw it) last. */
  tuples: ConnectionTuple[];
  /** Votes per tuple key from copies of one packet seen with two tuples (higher = earlier on the path). */
  scores: Map<string, number>;
  firstT: number;
}

export interface StitchResult {
  baseSec: number;
  streams: Stream[];
  /** Row -> stream id. */
  streamOf: Int32Array;
  /** Stream id -> connection id. */
  connOf: Int32Array;
  connections: Connection[];
  /** Row -> 1 when the same packet was already seen at another location. */
  copy: Uint8Array;
}

class ParityUnionFind {
  readonly parent: Int32Array;
  readonly parity: Uint8Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.parity = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  /** Root of x; parity[x] becomes x's parity relative to the root. */
  find(x: number): number {
    let r = x;
    let p = 0;
    while (this.parent[r] !== r) { p ^= this.parity[r]!; r = this.parent[r]!; }
    // Path compression with parity.
    let y = x;
    let py = p;
    while (this.parent[y] !== y) {
      const next = this.parent[y]!;
      const pn = py ^ this.parity[y]!;
      this.parent[y] = r;
      this.parity[y] = py;
      y = next;
      py = pn;
    }
    return r;
  }
  parityOf(x: number): number {
    this.find(x);
    return this.parent[x] === x ? 0 : this.parity[x]!;
  }
  /** Joins x and y with relative parity d; false when it contradicts what is known. */
  union(x: number, y: number, d: number): boolean {
    const rx = this.find(x), ry = this.find(y);
    const px = this.parityOf(x), py = this.parityOf(y);
    if (rx === ry) return (px ^ py) === d;
    this.parent[ry] = rx;
    this.parity[ry] = px ^ py ^ d;
    return true;
  }
}

function locKey(o: OverlayObserver, r: number, reverse: boolean): number {
  let h = mix(mix(0x1234567, o.point[r]!), o.depth[r]!);
  h = mix(h, reverse ? o.outerDst[r]! : o.outerSrc[r]!);
  h = mix(h, reverse ? o.outerSrc[r]! : o.outerDst[r]!);
  return h;
}

/** A 53-bit key of (location, 5-tuple): two 32-bit hashes, so collisions are negligible. */
function streamKey(o: OverlayObserver, r: number, reverse: boolean): number {
  const s = reverse ? o.dst : o.src;
  const d = reverse ? o.src : o.dst;
  let h1 = locKey(o, r, reverse);
  let h2 = mix(0x9747b28c, h1);
  for (let w = 0; w < 4; w++) {
    h1 = mix(mix(h1, s[r * 4 + w]!), d[r * 4 + w]!);
    h2 = mix(mix(h2, d[r * 4 + w]! ^ 0x5bd1e995), s[r * 4 + w]!);
  }
  const ports = reverse ? (o.dport[r]! << 16) | o.sport[r]! : (o.sport[r]! << 16) | o.dport[r]!;
  h1 = mix(mix(h1, ports), o.proto[r]!);
  h2 = mix(mix(h2, ports ^ 0x27d4eb2f), o.proto[r]! + 7);
  return h1 * 2097152 + (h2 & 0x1fffff);
}

function packetKey(o: OverlayObserver, r: number): number {
  let h1 = mix(mix(mix(o.proto[r]!, o.seq[r]!), o.ack[r]!), o.ipId[r]!);
  h1 = mix(mix(mix(h1, o.flags[r]!), o.payLen[r]!), o.digest[r]!);
  let h2 = mix(mix(mix(0x3c6ef372, o.digest[r]!), o.seq[r]! ^ o.ipId[r]!), o.ack[r]!);
  h2 = mix(h2, o.payLen[r]! * 31 + o.flags[r]!);
  return h1 * 2097152 + (h2 & 0x1fffff);
}

export function stitch(o: OverlayObserver): StitchResult {
  const n = o.count;
  let baseSec = Infinity;
  for (let r = 0; r < n; r++) if (o.tSec[r]! < baseSec) baseSec = o.tSec[r]!;
  if (!Number.isFinite(baseSec)) baseSec = 0;
  const t = (r: number): number => (o.tSec[r]! - baseSec) * 1e9 + o.tNsec[r]!;

  // 1. Streams.
  const streams: Stream[] = [];
  const streamOf = new Int32Array(n);
  const current = new Map<number, Stream>();
  const epochs = new Map<number, Stream[]>();
  for (let r = 0; r < n; r++) {
    const k = streamKey(o, r, false);
    const f = o.flags[r]!;
    const tcp = o.proto[r] === IPPROTO_TCP;
    let s = current.get(k);
    if (tcp && (f & SYN) && s && (s.isn === -1 ? s.packets > 0 : s.isn !== o.seq[r])) s = undefined;
    if (!s) {
      s = {
        id: streams.length, point: o.point[r]!, depth: o.depth[r]!, outerSrc: o.outerSrc[r]!, outerDst: o.outerDst[r]!,
        vni: o.vni[r]!, tunType: o.tunType[r]!, proto: o.proto[r]!, row: r, isn: -1, syn: false, synAck: false,
        firstSeq: o.seq[r]!, firstAck: 0, hasAck: false, firstT: t(r), lastT: t(r), packets: 0, bytes: 0, httpRequests: 0,
      };
      streams.push(s);
      current.set(k, s);
      const l = epochs.get(k);
      if (l) l.push(s); else epochs.set(k, [s]);
    }
    if (tcp && (f & SYN)) {
      s.isn = o.seq[r]!;
      if (f & ACK) s.synAck = true; else s.syn = true;
    }
    if (tcp && (f & ACK) && !s.hasAck) { s.hasAck = true; s.firstAck = o.ack[r]!; }
    const tr = t(r);
    if (tr < s.firstT) s.firstT = tr;
    if (tr > s.lastT) s.lastT = tr;
    s.packets++;
    s.bytes += o.frameLen[r]!;
    if (o.http[r] === 1) s.httpRequests++;
    streamOf[r] = s.id;
  }

  const uf = new ParityUnionFind(streams.length);
  // 2a. The same packet at another location: same direction.
  const copy = new Uint8Array(n);
  const seen = new Map<number, number>();
  // Copies of one packet at two locations: (first row, later row), to tell which address pair came first.
  const pairA: number[] = [];
  const pairB: number[] = [];
  for (let r = 0; r < n; r++) {
    if (o.proto[r] !== IPPROTO_TCP && o.ipId[r] === 0) continue;
    const k = packetKey(o, r);
    const prev = seen.get(k);
    if (prev !== undefined && Math.abs(t(r) - t(prev)) < SAME_PACKET_WINDOW_NS) {
      if (streamOf[prev] !== streamOf[r]) {
        const a = streams[streamOf[prev]!]!, b = streams[streamOf[r]!]!;
        if (a.point !== b.point || a.depth !== b.depth || a.outerSrc !== b.outerSrc || a.outerDst !== b.outerDst) {
          uf.union(a.id, b.id, 0);
          copy[r] = 1;
          pairA.push(prev);
          pairB.push(r);
        }
      }
    } else seen.set(k, r);
  }
  // 2b. Reverse directions at one location.
  for (const s of streams) {
    const rk = streamKey(o, s.row, true);
    const rev = epochs.get(rk);
    if (!rev) continue;
    for (const q of rev) {
      if (q.id <= s.id) continue; // each pair once (the relation is symmetric)
      let pair = false;
      if (s.proto === IPPROTO_TCP) {
        pair = (q.hasAck && ((q.firstAck - s.firstSeq) >>> 0) < SEQ_SPACE) || (s.hasAck && ((s.firstAck - q.firstSeq) >>> 0) < SEQ_SPACE);
      } else {
        pair = q.firstT <= s.lastT + SAME_PACKET_WINDOW_NS && s.firstT <= q.lastT + SAME_PACKET_WINDOW_NS;
      }
      if (pair) uf.union(s.id, q.id, 1);
    }
  }

  // 3. Connections.
  const connOf = new Int32Array(streams.length).fill(-1);
  const byRoot = new Map<number, Connection>();
  const connections: Connection[] = [];
  for (const s of streams) {
    const root = uf.find(s.id);
    let c = byRoot.get(root);
    if (!c) {
      c = { id: connections.length, proto: s.proto, streams: [], clientSide: new Set(), tuples: [], scores: new Map(), firstT: s.firstT };
      byRoot.set(root, c);
      connections.push(c);
    }
    c.streams.push(s);
    if (s.firstT < c.firstT) c.firstT = s.firstT;
    connOf[s.id] = c.id;
  }
  const tupleOf: string[] = new Array(streams.length);
  for (const c of connections) {
    // The client side: the parity of a SYN stream, else of an HTTP request stream, else the higher source port.
    let clientParity = -1;
    for (const s of c.streams) if (s.syn) { clientParity = uf.parityOf(s.id); break; }
    if (clientParity < 0) for (const s of c.streams) if (s.synAck) { clientParity = 1 - uf.parityOf(s.id); break; }
    if (clientParity < 0) for (const s of c.streams) if (s.httpRequests > 0) { clientParity = uf.parityOf(s.id); break; }
    if (clientParity < 0) {
      const s = c.streams[0]!;
      clientParity = o.sport[s.row]! >= o.dport[s.row]! ? uf.parityOf(s.id) : 1 - uf.parityOf(s.id);
    }
    const tuples = new Map<string, ConnectionTuple>();
    c.scores = new Map();
    for (const s of c.streams) {
      const client = uf.parityOf(s.id) === clientParity;
      if (client) c.clientSide.add(s.id);
      const r = s.row;
      const v = o.ver[r]!;
      const a = ipToString(v, o.src, r * 4), b = ipToString(v, o.dst, r * 4);
      const [src, sport, dst, dport] = client ? [a, o.sport[r]!, b, o.dport[r]!] : [b, o.dport[r]!, a, o.sport[r]!];
      const key = `${src}:${sport}>${dst}:${dport}`;
      tupleOf[s.id] = key;
      let tu = tuples.get(key);
      if (!tu) {
        tu = { src, sport, dst, dport, key, requestT: Infinity, firstT: s.firstT, tunnelOnly: true, points: new Set() };
        tuples.set(key, tu);
      }
      if (client && s.firstT < tu.requestT) tu.requestT = s.firstT;
      if (s.firstT < tu.firstT) tu.firstT = s.firstT;
      if (s.depth === 0) tu.tunnelOnly = false;
      tu.points.add(s.point);
    }
    c.tuples = [...tuples.values()];
  }
  // The same packet seen with two address pairs: the request carries the
  // original pair first, the reply carries the translated pair first. Each
  // such copy is a vote; it holds even where a point missed the handshake.
  for (let k = 0; k < pairA.length; k++) {
    const a = pairA[k]!, b = pairB[k]!;
    const sa = streamOf[a]!, sb = streamOf[b]!;
    const ka = tupleOf[sa]!, kb = tupleOf[sb]!;
    if (ka === kb) continue;
    const ta = t(a), tb = t(b);
    if (ta === tb) continue;
    const c = connections[connOf[sa]!]!;
    let [early, late] = ta < tb ? [ka, kb] : [kb, ka];
    if (!c.clientSide.has(sa)) [early, late] = [late, early];
    c.scores.set(early, (c.scores.get(early) ?? 0) + 1);
    c.scores.set(late, (c.scores.get(late) ?? 0) - 1);
  }
  for (const c of connections) {
    const sc = (x: ConnectionTuple): number => c.scores.get(x.key) ?? 0;
    c.tuples.sort((x, y) =>
      sc(x) !== sc(y) ? sc(y) - sc(x)
        : x.requestT !== y.requestT ? x.requestT - y.requestT
          : x.tunnelOnly !== y.tunnelOnly ? (x.tunnelOnly ? 1 : -1)
            : x.firstT - y.firstT);
  }
  return { baseSec, streams, streamOf, connOf, connections, copy };
}

export type TranslationKind = 'dnat' | 'snat' | 'dnat+snat';

export type TupleLike = Pick<ConnectionTuple, 'src' | 'sport' | 'dst' | 'dport'>;

export function translationKind(a: TupleLike, b: TupleLike): TranslationKind | null {
  const d = a.dst !== b.dst || a.dport !== b.dport;
  const s = a.src !== b.src || a.sport !== b.sport;
  return d && s ? 'dnat+snat' : d ? 'dnat' : s ? 'snat' : null;
}
