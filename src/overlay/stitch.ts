/**
 * Stitching across capture points. NAT (kube-proxy DNAT, NodePort
 * masquerade) rewrites addresses and ports but keeps TCP sequence numbers,
 * IP ids and payloads; VXLAN carries the packet unchanged. So:
 *
 * 1. Rows (see OverlayObserver) are grouped into directional streams per
 *    tuple (location: capture point, depth, tunnel endpoints; and 5-tuple);
 *    a SYN with a new initial sequence number starts a new stream (port
 *    reuse).
 * 2. Streams holding the same packet (same seq, ack, IP id, flags, payload
 *    digest within a time window) are the same direction of one connection,
 *    wherever they were seen; a stream and the reverse-tuple stream at the
 *    same location whose sequence spaces acknowledge each other are the two
 *    directions. A union-find with a direction bit joins them into
 *    connections.
 * 3. Each connection's views give its tuples as the client sent them, as
 *    each point saw them; more than one tuple is a translation, the earliest
 *    seen being the original.
 *
 * Linear in rows: one pass to build streams (tuple id -> current stream in a
 * typed array), a counting sort of the rows by packet key into partitions
 * and one pass per partition over a small open-addressing table for copies
 * (findCopies), per-stream work for the rest. Per-row state lives in typed
 * arrays; objects are per stream, connection and address tuple.
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

/** Stream bits while rows are read: a SYN, a SYN/ACK, an ACK seen. */
const SYN_SEEN = 1;
const SYN_ACK_SEEN = 2;
const ACK_SEEN = 4;

export interface Stream {
  id: number;
  /** The observer's tuple id (location + 5-tuple). */
  tuple: number;
  point: number;
  depth: number;
  outerSrc: number;
  outerDst: number;
  proto: number;
  /** First row. */
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
  httpRequests: number;
}

export interface ConnectionTuple {
  src: string; sport: number; dst: string; dport: number;
  /** Earliest time (ns, session-relative) a client-to-server packet carried it, or Infinity. */
  requestT: number;
  firstT: number;
  /** Seen only inside tunnels. */
  tunnelOnly: boolean;
  points: Set<number>;
  /** Votes from copies of one packet seen with two tuples (higher = earlier on the path). */
  score: number;
}

export interface Connection {
  id: number;
  proto: number;
  streams: Stream[];
  /** In order: the original (as the client sent it) first, the translated (as the server saw it) last. */
  tuples: ConnectionTuple[];
  firstT: number;
}

export interface StitchResult {
  /** Origin of row times (whole seconds): see OverlayObserver.time. */
  baseSec: number;
  streams: Stream[];
  /** Row -> stream id. */
  streamOf: Int32Array;
  /** Stream id -> connection id. */
  connOf: Int32Array;
  /** Stream id -> 1 when it carries the client-to-server direction. */
  clientSide: Uint8Array;
  connections: Connection[];
  /** Row -> the earlier row holding the same packet at another location, -1 when none (not a copy). */
  copyOf: Int32Array;
  /**
   * Rows matched to an earlier row of the same packet key further apart than
   * SAME_PACKET_WINDOW_NS (only a wider `windowNs` matches them). 0: this
   * result is the one SAME_PACKET_WINDOW_NS gives on the same row times.
   */
  wideCopies?: number;
}

export function emptyStitch(): StitchResult {
  return { baseSec: 0, streams: [], streamOf: new Int32Array(0), connOf: new Int32Array(0), clientSide: new Uint8Array(0), connections: [], copyOf: new Int32Array(0) };
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

/**
 * Rows holding the same packet: an open-addressing table from a packet key
 * to the row that last started a window. A slot is 8 bytes: the key's first
 * 32-bit word and the row; the second word is recomputed from the stored
 * row when the first matches (rare unless it is the same packet).
 */
export class PacketKeyTable {
  private readonly a: Uint32Array;
  /** Row + 1, 0 empty. */
  private readonly row: Int32Array;
  private readonly mask: number;
  slot = 0;
  constructor(entries: number) {
    let cap = 1024;
    while (cap < entries * 1.5) cap *= 2;
    this.a = new Uint32Array(cap);
    this.row = new Int32Array(cap);
    this.mask = cap - 1;
  }
  /** The row stored under key (ka, kb), or -1; `slot` is where it is or would go. */
  find(o: OverlayObserver, ka: number, kb: number): number {
    let k = ka & this.mask;
    for (; this.row[k] !== 0; k = (k + 1) & this.mask) {
      if (this.a[k] === ka) {
        const r = this.row[k]! - 1;
        if (packetKeyB(o, r) === kb) { this.slot = k; return r; }
      }
    }
    this.slot = k;
    return -1;
  }
  /** Stores `r` at `slot` (after `find`). */
  put(ka: number, r: number): void {
    this.a[this.slot] = ka; this.row[this.slot] = r + 1;
  }
}

/** The two 32-bit words of a row's packet key (same seq, ack, IP id, flags, payload length and digest: the same packet). */
export function packetKeyA(o: OverlayObserver, r: number): number {
  const ka = mix(mix(mix(o.tProto[o.tuple[r]!]!, o.seq[r]!), o.ack[r]!), o.ipId[r]!);
  return mix(mix(mix(ka, o.flags[r]!), o.payLen[r]!), o.digest[r]!);
}

export function packetKeyB(o: OverlayObserver, r: number): number {
  const kb = mix(mix(mix(0x3c6ef372 + o.tProto[o.tuple[r]!]!, o.digest[r]!), o.seq[r]! ^ o.ipId[r]!), o.ack[r]!);
  return mix(kb, o.payLen[r]! * 31 + o.flags[r]!);
}

/** A stream's state while rows are read, one typed column a field (indexed by stream id), grown by doubling. */
class StreamColumns {
  capacity: number;
  tuple: Int32Array; row: Int32Array; packets: Int32Array; httpRequests: Int32Array; epochNext: Int32Array;
  isn: Float64Array; firstSeq: Float64Array; firstAck: Float64Array; firstT: Float64Array; lastT: Float64Array;
  bits: Uint8Array;
  constructor(capacity: number) {
    this.capacity = capacity;
    this.tuple = new Int32Array(capacity); this.row = new Int32Array(capacity); this.packets = new Int32Array(capacity);
    this.httpRequests = new Int32Array(capacity); this.epochNext = new Int32Array(capacity);
    this.isn = new Float64Array(capacity); this.firstSeq = new Float64Array(capacity); this.firstAck = new Float64Array(capacity);
    this.firstT = new Float64Array(capacity); this.lastT = new Float64Array(capacity);
    this.bits = new Uint8Array(capacity);
  }
  grow(): void {
    const c = this.capacity * 2;
    const i32 = (a: Int32Array): Int32Array => { const g = new Int32Array(c); g.set(a); return g; };
    const f64 = (a: Float64Array): Float64Array => { const g = new Float64Array(c); g.set(a); return g; };
    this.tuple = i32(this.tuple); this.row = i32(this.row); this.packets = i32(this.packets);
    this.httpRequests = i32(this.httpRequests); this.epochNext = i32(this.epochNext);
    this.isn = f64(this.isn); this.firstSeq = f64(this.firstSeq); this.firstAck = f64(this.firstAck);
    this.firstT = f64(this.firstT); this.lastT = f64(this.lastT);
    const b = new Uint8Array(c); b.set(this.bits); this.bits = b;
    this.capacity = c;
  }
}

/** Rows a partition of the copy search holds at most on average: its key table (1.5-3 slots a row, 8 bytes a slot) stays in a core's cache. */
const COPY_PARTITION_ROWS = 1 << 14;

/**
 * The copies of one packet: calls `copy(prev, r)` for each row r (of a stream:
 * `streamOf[r] >= 0`; TCP, or UDP with an IP id) whose packet key (packetKeyA,
 * packetKeyB) was seen at row prev < r, the row that last started a window,
 * with |time[r] - time[prev]| < windowNs; a row further away starts a new
 * window. Per key, rows are visited in row order, as one pass over all rows
 * with one table would; keys are independent of each other, so the rows are
 * first partitioned by the high bits of their first key word (a counting
 * sort, stable) and each partition runs on a small table that stays in
 * cache, instead of one table of every row (32 MB for 2 M rows, a cache miss
 * a row). Returns how many rows matched further apart than
 * SAME_PACKET_WINDOW_NS (see StitchResult.wideCopies).
 */
function findCopies(o: OverlayObserver, streamOf: Int32Array, windowNs: number, copy: (prev: number, r: number) => void): number {
  const n = o.count;
  const time = o.time;
  let bits = 0;
  while (bits < 24 && (n >>> bits) > COPY_PARTITION_ROWS) bits++;
  const shift = 32 - bits;
  const parts = 1 << bits;
  // Each taking part row's first key word, and the partition sizes.
  const keyA = new Uint32Array(n);
  const takes = new Uint8Array(n);
  const start = new Int32Array(parts + 1);
  for (let r = 0; r < n; r++) {
    if (streamOf[r]! < 0 || (o.tProto[o.tuple[r]!] !== IPPROTO_TCP && o.ipId[r] === 0)) continue;
    const ka = packetKeyA(o, r);
    keyA[r] = ka;
    takes[r] = 1;
    start[(bits ? ka >>> shift : 0) + 1]++;
  }
  let biggest = 0;
  for (let p = 0; p < parts; p++) { if (start[p + 1]! > biggest) biggest = start[p + 1]!; start[p + 1] += start[p]!; }
  // Rows by partition, in row order within each.
  const order = new Int32Array(start[parts]!);
  const fill = start.slice(0, parts);
  for (let r = 0; r < n; r++) if (takes[r]) order[fill[bits ? keyA[r]! >>> shift : 0]!++] = r;
  // Open addressing: [first key word, row + 1] a slot, 0 rows empty; the second word is recomputed from the stored row when the first matches.
  let cap = 16;
  while (cap < biggest * 1.5) cap *= 2;
  const table = new Uint32Array(cap * 2);
  let wide = 0;
  for (let p = 0; p < parts; p++) {
    const from = start[p]!, to = start[p + 1]!;
    if (from === to) continue;
    let size = 16;
    while (size < (to - from) * 1.5) size *= 2;
    const mask = size - 1;
    table.fill(0, 0, size * 2);
    for (let i = from; i < to; i++) {
      const r = order[i]!;
      const ka = keyA[r]!;
      let kb = -1;
      let prev = -1;
      let k = ka & mask;
      for (; table[k * 2 + 1] !== 0; k = (k + 1) & mask) {
        if (table[k * 2] !== ka) continue;
        const q = table[k * 2 + 1]! - 1;
        if (kb === -1) kb = packetKeyB(o, r);
        if (packetKeyB(o, q) === kb) { prev = q; break; }
      }
      const dt = prev >= 0 ? Math.abs(time[r]! - time[prev]!) : NaN;
      if (dt < windowNs) {
        if (dt >= SAME_PACKET_WINDOW_NS) wide++;
        copy(prev, r);
      } else {
        table[k * 2] = ka;
        table[k * 2 + 1] = r + 1;
      }
    }
  }
  return wide;
}

/**
 * `keepTuple` (by tuple id, optional): rows of the other tuples are left out
 * (their `streamOf` is -1), e.g. connections one capture point cannot say
 * anything more about (see one-point.ts). `windowNs`: how far apart two
 * copies of one packet may be; wider than SAME_PACKET_WINDOW_NS only to find
 * the copies that measure clock offsets between hosts (see clocks.ts).
 */
export function stitch(o: OverlayObserver, keepTuple: Uint8Array | null = null, windowNs: number = SAME_PACKET_WINDOW_NS): StitchResult {
  const n = o.count;
  const time = o.time;

  // 1. Streams, their per-row state in typed columns (one Stream object each at the end).
  const streamOf = new Int32Array(n);
  const T = o.tupleCount;
  const current = new Int32Array(T).fill(-1);
  // Streams of each tuple (epochs), as a linked list: head per tuple, next per stream.
  const epochHead = new Int32Array(T).fill(-1);
  const cols = new StreamColumns(Math.max(16, T));
  let S = 0;
  for (let r = 0; r < n; r++) {
    const tu = o.tuple[r]!;
    if (keepTuple && keepTuple[tu] === 0) { streamOf[r] = -1; continue; }
    const f = o.flags[r]!;
    const tcp = o.tProto[tu] === IPPROTO_TCP;
    let s = current[tu]!;
    if (s >= 0 && tcp && (f & SYN) && (cols.isn[s] === -1 ? cols.packets[s]! > 0 : cols.isn[s] !== o.seq[r])) s = -1;
    const tr = time[r]!;
    if (s < 0) {
      s = S++;
      if (s === cols.capacity) cols.grow();
      cols.tuple[s] = tu; cols.row[s] = r; cols.isn[s] = -1; cols.bits[s] = 0;
      cols.firstSeq[s] = o.seq[r]!; cols.firstAck[s] = 0; cols.firstT[s] = tr; cols.lastT[s] = tr; cols.packets[s] = 0; cols.httpRequests[s] = 0;
      cols.epochNext[s] = epochHead[tu]!;
      epochHead[tu] = s;
      current[tu] = s;
    }
    if (tcp && (f & SYN)) {
      cols.isn[s] = o.seq[r]!;
      cols.bits[s] |= f & ACK ? SYN_ACK_SEEN : SYN_SEEN;
    }
    if (tcp && (f & ACK) && !(cols.bits[s]! & ACK_SEEN)) { cols.bits[s] |= ACK_SEEN; cols.firstAck[s] = o.ack[r]!; }
    if (tr < cols.firstT[s]!) cols.firstT[s] = tr;
    if (tr > cols.lastT[s]!) cols.lastT[s] = tr;
    cols.packets[s]++;
    if (o.http[r] === 1) cols.httpRequests[s]++;
    streamOf[r] = s;
  }
  const streams: Stream[] = new Array<Stream>(S);
  for (let id = 0; id < S; id++) {
    const tu = cols.tuple[id]!, b = cols.bits[id]!;
    streams[id] = {
      id, tuple: tu, point: o.tPoint[tu]!, depth: o.tDepth[tu]!, outerSrc: o.tOuterSrc[tu]!, outerDst: o.tOuterDst[tu]!,
      proto: o.tProto[tu]!, row: cols.row[id]!, isn: cols.isn[id]!, syn: (b & SYN_SEEN) !== 0, synAck: (b & SYN_ACK_SEEN) !== 0,
      firstSeq: cols.firstSeq[id]!, firstAck: cols.firstAck[id]!, hasAck: (b & ACK_SEEN) !== 0, firstT: cols.firstT[id]!, lastT: cols.lastT[id]!,
      packets: cols.packets[id]!, httpRequests: cols.httpRequests[id]!,
    };
  }
  const epochNext = cols.epochNext;

  const uf = new ParityUnionFind(streams.length);
  // 2a. The same packet at another location: same direction.
  const copyOf = new Int32Array(n).fill(-1);
  const wideCopies = findCopies(o, streamOf, windowNs, (prev, r) => {
    const sa = streamOf[prev]!, sb = streamOf[r]!;
    if (sa !== sb && o.tLoc[o.tuple[prev]!] !== o.tLoc[o.tuple[r]!]) {
      uf.union(sa, sb, 0);
      copyOf[r] = prev;
    }
  });
  // 2b. Reverse directions at one location.
  const reverse = new Int32Array(T).fill(-2);
  for (const s of streams) {
    let rt = reverse[s.tuple]!;
    if (rt === -2) reverse[s.tuple] = rt = o.reverseTuple(s.tuple);
    for (let qi = rt >= 0 ? epochHead[rt]! : -1; qi >= 0; qi = epochNext[qi]!) {
      if (qi <= s.id) continue; // each pair once (the relation is symmetric)
      const q = streams[qi]!;
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
  const connOfRoot = new Int32Array(streams.length).fill(-1);
  const connections: Connection[] = [];
  for (const s of streams) {
    const root = uf.find(s.id);
    let ci = connOfRoot[root]!;
    if (ci < 0) {
      ci = connOfRoot[root] = connections.length;
      connections.push({ id: ci, proto: s.proto, streams: [], tuples: [], firstT: s.firstT });
    }
    const c = connections[ci]!;
    c.streams.push(s);
    if (s.firstT < c.firstT) c.firstT = s.firstT;
    connOf[s.id] = ci;
  }
  const clientSide = new Uint8Array(streams.length);
  // Stream -> index of its address tuple in its connection's `tuples` (before sorting).
  const tupleIdx = new Int32Array(streams.length);
  // Per connection, the representative stream of each tuple (its tuple id and orientation).
  const repTuple: number[] = [];
  const repClient: boolean[] = [];
  // Address text, made once per IPv4 address (a session has few addresses and many connections).
  const v4Text = new Map<number, string>();
  const addrText = (v: number, words: Uint32Array, at: number): string => {
    if (v !== 4) return ipToString(v, words, at);
    const x = words[at]!;
    let t = v4Text.get(x);
    if (t === undefined) v4Text.set(x, (t = ipToString(4, words, at)));
    return t;
  };
  for (const c of connections) {
    // The client side: the parity of a SYN stream, else of an HTTP request stream, else the higher source port.
    let clientParity = -1;
    for (const s of c.streams) if (s.syn) { clientParity = uf.parityOf(s.id); break; }
    if (clientParity < 0) for (const s of c.streams) if (s.synAck) { clientParity = 1 - uf.parityOf(s.id); break; }
    if (clientParity < 0) for (const s of c.streams) if (s.httpRequests > 0) { clientParity = uf.parityOf(s.id); break; }
    if (clientParity < 0) {
      const tu = c.streams[0]!.tuple;
      clientParity = o.tSport[tu]! >= o.tDport[tu]! ? uf.parityOf(c.streams[0]!.id) : 1 - uf.parityOf(c.streams[0]!.id);
    }
    repTuple.length = 0;
    repClient.length = 0;
    for (const s of c.streams) {
      const client = uf.parityOf(s.id) === clientParity;
      if (client) clientSide[s.id] = 1;
      let k = 0;
      for (; k < repTuple.length; k++) if (sameAddressTuple(o, repTuple[k]!, repClient[k]!, s.tuple, client)) break;
      let tu: ConnectionTuple;
      if (k === repTuple.length) {
        repTuple.push(s.tuple);
        repClient.push(client);
        const x = s.tuple, v = o.tVer[x]!;
        const a = addrText(v, o.tSrc, x * 4), b = addrText(v, o.tDst, x * 4);
        tu = client
          ? { src: a, sport: o.tSport[x]!, dst: b, dport: o.tDport[x]!, requestT: Infinity, firstT: s.firstT, tunnelOnly: true, points: new Set(), score: 0 }
          : { src: b, sport: o.tDport[x]!, dst: a, dport: o.tSport[x]!, requestT: Infinity, firstT: s.firstT, tunnelOnly: true, points: new Set(), score: 0 };
        c.tuples.push(tu);
      } else tu = c.tuples[k]!;
      tupleIdx[s.id] = k;
      if (client && s.firstT < tu.requestT) tu.requestT = s.firstT;
      if (s.firstT < tu.firstT) tu.firstT = s.firstT;
      if (s.depth === 0) tu.tunnelOnly = false;
      tu.points.add(s.point);
    }
  }
  // The same packet seen with two address pairs: the request carries the
  // original pair first, the reply carries the translated pair first. Each
  // such copy is a vote; it holds even where a point missed the handshake.
  for (let b = 0; b < n; b++) {
    const a = copyOf[b]!;
    if (a < 0) continue;
    const sa = streamOf[a]!, sb = streamOf[b]!;
    const ka = tupleIdx[sa]!, kb = tupleIdx[sb]!;
    if (ka === kb) continue;
    const ta = time[a]!, tb = time[b]!;
    if (ta === tb) continue;
    const c = connections[connOf[sa]!]!;
    let [early, late] = ta < tb ? [ka, kb] : [kb, ka];
    if (!clientSide[sa]) [early, late] = [late, early];
    c.tuples[early]!.score++;
    c.tuples[late]!.score--;
  }
  for (const c of connections) {
    if (c.tuples.length < 2) continue;
    c.tuples.sort((x, y) =>
      x.score !== y.score ? y.score - x.score
        : x.requestT !== y.requestT ? x.requestT - y.requestT
          : x.tunnelOnly !== y.tunnelOnly ? (x.tunnelOnly ? 1 : -1)
            : x.firstT - y.firstT);
  }
  return { baseSec: Number.isFinite(o.baseSec) ? o.baseSec : 0, streams, streamOf, connOf, clientSide, connections, copyOf, wideCopies };
}

/** Whether tuples x and y, each oriented client-to-server (`xc`/`yc` false: reversed), carry the same addresses and ports. */
function sameAddressTuple(o: OverlayObserver, x: number, xc: boolean, y: number, yc: boolean): boolean {
  if (o.tVer[x] !== o.tVer[y]) return false;
  const xs = xc ? o.tSrc : o.tDst, xd = xc ? o.tDst : o.tSrc;
  const ys = yc ? o.tSrc : o.tDst, yd = yc ? o.tDst : o.tSrc;
  if ((xc ? o.tSport[x] : o.tDport[x]) !== (yc ? o.tSport[y] : o.tDport[y])) return false;
  if ((xc ? o.tDport[x] : o.tSport[x]) !== (yc ? o.tDport[y] : o.tSport[y])) return false;
  for (let w = 0; w < 4; w++) if (xs[x * 4 + w] !== ys[y * 4 + w] || xd[x * 4 + w] !== yd[y * 4 + w]) return false;
  return true;
}

export type TranslationKind = 'dnat' | 'snat' | 'dnat+snat';

export type TupleLike = Pick<ConnectionTuple, 'src' | 'sport' | 'dst' | 'dport'>;

export function translationKind(a: TupleLike, b: TupleLike): TranslationKind | null {
  const d = a.dst !== b.dst || a.dport !== b.dport;
  const s = a.src !== b.src || a.sport !== b.sport;
  return d && s ? 'dnat+snat' : d ? 'dnat' : s ? 'snat' : null;
}
