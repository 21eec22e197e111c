/**
 * The overlay observer: sees every decoded packet of every capture of a
 * session and keeps what the overlay analysis needs, without an object or a
 * string per packet:
 *
 * - always: per capture point, its TCP/UDP packet count; per tunnel packet,
 *   the VTEP (outer) addresses, inner MACs and VNIs, the inner sources behind
 *   each VTEP and the node-to-node tunnel matrix, in maps keyed by numbers
 *   (the last tunnel edge is cached: consecutive packets of one edge cost no
 *   map lookup).
 * - only when the session has two or more capture points (files, or pcapng
 *   interfaces): one stitching row per packet whose innermost (not
 *   ICMP-quoted) level is TCP or UDP. A row is 37 bytes in typed columns
 *   grown by doubling: the interned location + 5-tuple (`tuple`, see below),
 *   the time, TCP seq/ack/flags, IP id, payload length and digest, HTTP kind
 *   and status. Addresses and ports change under NAT; seq, ack, IP id and
 *   payload do not, which is what stitching across capture points uses.
 * - with one capture point: a row only for the packets that identify a TCP
 *   connection across NAT (SYN and SYN/ACK: their ISNs survive it) and for
 *   HTTP request and response heads (what a journey is made of). A node NIC
 *   sees a NodePort request before NAT and, inside VXLAN, after it; a proxy
 *   pod sees a request and the upstream request it causes. These rows also
 *   keep the packet's innermost flow id (`rowFlow`), since they are too few
 *   to count a connection's packets.
 *
 * A tuple is one (capture point, depth, tunnel outer addresses, VNI, tunnel
 * type, IP version, addresses, ports, protocol), stored once in typed columns
 * and found again through an open-addressing table of tuple ids: a row holds
 * only its id.
 *
 * HTTP request lines are parsed here (the bytes are only valid during
 * `observe`); that allocates a few strings per HTTP request packet, not per
 * packet.
 */
import type { ClockState } from './clock-state.js';
import type { CaptureResult, PacketObserver } from '../pipeline/analyze.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import { ipv4ToString, ipv6ToString } from '../dissect/addr.js';
import { IPPROTO_TCP, IPPROTO_UDP, TUNNEL_IPIP, TUNNEL_NAMES, TUNNEL_WIREGUARD, type TunnelType } from '../dissect/layers.js';

/** Linux cooked captures (`tcpdump -i any`): one file, several interfaces. */
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

const TCP_SYN = 0x02;

/**
 * Bytes of payload hashed into the digest (bounded cost per packet). The
 * digest only tells apart packets whose seq, ack, IP id, flags and length
 * are all equal: the first 64 bytes do that (512 cost 8x more per row).
 */
const DIGEST_BYTES = 64;

export interface HttpRequestLine {
  method: string;
  uri: string;
  host: string | null;
  requestId: string | null;
}

/** Facts about one VTEP (an outer address that sends or receives tunnel packets). */
export interface VtepFacts {
  /** Outer IPv4 (IPv6 VTEPs are keyed by their last word and flagged). */
  ip: number;
  /** MACs as 48-bit numbers (see macToText). */
  macs: Set<number>;
  vnis: Set<number>;
  types: Set<number>;
  /** Inner IPv4 source -> packets seen behind this VTEP (sent by it). Read it through `OverlayObserver.vtepList()`, which adds the cached counts. */
  innerSources: Map<number, number>;
  /** Inner IPv6 sources' /64 networks ("w0,w1": the first two words) -> packets sent from inside them (dual-stack pods). */
  innerSources6: Map<string, number>;
  packets: number;
}

/** Node-pair tunnel counters (deduplicated across capture points). */
export interface TunnelCounters {
  src: number;
  dst: number;
  type: number;
  vni: number;
  packets: number;
  bytes: number;
  overheadBytes: number;
  /** WireGuard handshake messages (initiation, response) on the edge; 0 for other types. */
  handshakes: number;
  /** Inner flow keys (IPv4 5-tuple hashes as signed 32-bit numbers) carried by the edge; only the size is read. */
  innerFlows: Set<number>;
  /** Capture point id -> packets seen there (copies included); 0 where none. */
  seenAt: number[];
  /** The sending and receiving VTEPs (cached for the per-packet path). */
  readonly sv: VtepFacts;
  readonly dv: VtepFacts;
  lastSrcMac: number;
  lastDstMac: number;
  /** Next edge with the same hash (collision chain). */
  next: TunnelCounters | null;
  /** Position in creation order (keys the per-packet caches). */
  readonly index: number;
}

/** Where rows began late: a second capture point appeared after packets of the first were seen without rows. */
export interface LateRecording {
  point: number;
  capture: number;
  /** 1-based packet number in its capture. */
  packet: number;
}

/** Receives each tunnel packet the observer counted on an edge (after the cross-point dedup): see `tunnelLog`. */
export interface TunnelCountLog {
  add(fa: number, fb: number, point: number, edge: number, frameLen: number, overhead: number, handshake: number, innerKey: number): void;
}

export interface OverlayObserverOptions {
  /**
   * Capture points the session is known to have before its first packet (its
   * files). Two or more: rows are recorded from the start. Omitted: unknown,
   * rows are recorded (complete, and what a unit test wants).
   */
  capturePoints?: number;
}

const ROWS0 = 4096;
const HEAD_CHUNK = 65536;
const EDGE_CACHE = 64;
const SRC_CACHE = 1024;
const FLOW_CACHE = 4096;
const TUPLES0 = 1024;
const TUPLE_CACHE = 4096;

export class OverlayObserver implements PacketObserver {
  /** True while per-packet stitching rows are recorded (two or more capture points). */
  recording: boolean;
  /** Set when rows began after the first packets (see LateRecording). */
  lateStart: LateRecording | null = null;
  /** Hosts and clocks, measured once by the first OverlayAnalysis (which corrects `time` in place). */
  clockState: ClockState | null = null;
  /** Rows recorded before `recording` began (one capture point: SYN, SYN/ACK and HTTP heads only); set when it begins. */
  private sparseEnd = 0;
  /** Innermost flow id (the packet index's `flowId`) of each one-point row, -1 unknown. */
  rowFlow = new Int32Array(0);

  // ---- packet rows (only while recording) -----------------------------------
  count = 0;
  /** Tuple id (location + 5-tuple) of the row. */
  tuple = new Uint32Array(ROWS0);
  /** Time in ns since `baseSec` (may be negative; exact to the ns within ~104 days). */
  time = new Float64Array(ROWS0);
  /** Whole seconds of the first row (NaN before it): the origin of `time`. */
  baseSec = NaN;
  seq = new Uint32Array(ROWS0);
  ack = new Uint32Array(ROWS0);
  ipId = new Uint32Array(ROWS0);
  payLen = new Uint32Array(ROWS0);
  digest = new Uint32Array(ROWS0);
  flags = new Uint16Array(ROWS0);
  /** 0 none, 1 HTTP request, 2 HTTP response. */
  http = new Uint8Array(ROWS0);
  /** HTTP status of response rows (0 otherwise). */
  status = new Uint16Array(ROWS0);

  // ---- HTTP request heads: method, URI, Host and X-Request-ID of request rows, as bytes ----
  // Strings are made only for the requests a journey shows (`requestLine`): reading allocates nothing per request.
  /** Rows with a packed head, increasing. */
  private headRow = new Int32Array(256);
  /** Where each head's fields start (chunk << 16 | offset): four 16-bit lengths (0xffff: header absent), then the bytes. */
  private headAt = new Uint32Array(256);
  private headCount = 0;
  /** 64 KiB chunks (no copy and no slack of doubling); a head never spans two (at most 8 + MAX_HEAD bytes). */
  private readonly headChunks: Uint8Array[] = [];
  private headUsed = HEAD_CHUNK;
  private readonly headSpan = new Int32Array(8);

  // ---- tuples: location + 5-tuple, interned ---------------------------------
  tupleCount = 0;
  tPoint = new Uint16Array(TUPLES0);
  tDepth = new Uint8Array(TUPLES0);
  tVer = new Uint8Array(TUPLES0);
  tProto = new Uint8Array(TUPLES0);
  tTunType = new Uint8Array(TUPLES0);
  /** Highest IP TTL (hop limit) seen on the tuple: a host's own packets leave it unrouted (hosts.ts). */
  tTtl = new Uint8Array(TUPLES0);
  /** 4 words per tuple (IPv4 uses word 0). */
  tSrc = new Uint32Array(TUPLES0 * 4);
  tDst = new Uint32Array(TUPLES0 * 4);
  tSport = new Uint16Array(TUPLES0);
  tDport = new Uint16Array(TUPLES0);
  /** Outer IPv4 of the innermost tunnel (0 when none or IPv6). */
  tOuterSrc = new Uint32Array(TUPLES0);
  tOuterDst = new Uint32Array(TUPLES0);
  /** VNI of the innermost tunnel, -1 none. */
  tVni = new Int32Array(TUPLES0);
  /** Location id (point, depth, outer addresses: see `locationOfTuple`). */
  tLoc = new Uint32Array(TUPLES0);
  private tHash = new Uint32Array(TUPLES0);
  /** IPv4 tuples recently found or added: 16 words an entry (id + 1, hash, the key; see findTuple). */
  private readonly tupleCache = new Uint32Array(TUPLE_CACHE * 16);
  /** Open addressing: tuple id + 1, 0 empty. */
  private slots = new Int32Array(TUPLES0 * 2);
  /** Location hash -> location ids with that hash. */
  private readonly locIds = new Map<number, number[]>();
  private readonly locs: Array<{ point: number; depth: number; outerSrc: number; outerDst: number }> = [];

  // ---- capture points -----------------------------------------------------
  /** (capture << 16 | interface) -> point id. */
  private readonly pointIds = new Map<number, number>();
  /** Point id -> [capture, interface]. */
  readonly points: Array<{ capture: number; iface: number }> = [];
  /** Point id -> TCP/UDP packets seen there (innermost level). */
  readonly pointPackets: number[] = [];
  private lastPointKey = -1;
  private lastPoint = 0;
  private current: CaptureResult | null = null;
  private currentSeen = false;

  // ---- tunnels -------------------------------------------------------------
  readonly vteps = new Map<number, VtepFacts>();
  /** Edge hash -> first edge with that hash (see TunnelCounters.next). */
  readonly tunnels = new Map<number, TunnelCounters>();
  private edgeCount = 0;
  /** Direct-mapped cache of edges by (outer addresses, VNI, type): most packets find theirs without a map lookup. */
  private readonly edgeCache: Array<TunnelCounters | null> = new Array<TunnelCounters | null>(EDGE_CACHE).fill(null);
  /** Direct-mapped counters of (VTEP, inner source) packets, flushed into VtepFacts.innerSources on eviction and on read. */
  private readonly srcInner = new Uint32Array(SRC_CACHE);
  private readonly srcCount = new Float64Array(SRC_CACHE);
  private readonly srcFacts: Array<VtepFacts | null> = new Array<VtepFacts | null>(SRC_CACHE).fill(null);
  /** Direct-mapped set of (edge, inner flow key) already added to the edge's innerFlows. */
  private readonly flowEdge = new Int32Array(FLOW_CACHE).fill(-1);
  private readonly flowKey = new Uint32Array(FLOW_CACHE);
  /** Tunnel packet fingerprints (two 32-bit words) -> point id + 1 that saw it first (for dedup; only while recording). */
  private fpA = new Uint32Array(0);
  private fpB = new Uint32Array(0);
  private fpPoint = new Uint16Array(0);
  private fpCount = 0;
  tunnelPackets = 0;
  /** Set by a capture-split worker (src/session/parallel/capture-split.ts): every tunnel packet counted, for the merge's dedup replay. */
  tunnelLog: TunnelCountLog | null = null;

  /** `ifaceOf(capture, packet)`: the interface a packet was captured on (from the packet index). */
  constructor(private readonly ifaceOf: (capture: number, packet: number) => number = () => 0, options: OverlayObserverOptions = {}) {
    this.recording = options.capturePoints === undefined || options.capturePoints >= 2;
  }

  beginCapture(result: CaptureResult): void {
    this.current = result;
    this.currentSeen = false;
  }

  endCapture(): void {
    this.current = null;
  }

  /** The point id of (capture, iface), -1 when no packet was seen there. */
  findPoint(capture: number, iface: number): number {
    return this.pointIds.get(capture * 65536 + iface) ?? -1;
  }

  pointOf(capture: number, iface: number): number {
    const k = capture * 65536 + iface;
    if (k === this.lastPointKey) return this.lastPoint;
    let id = this.pointIds.get(k);
    if (id === undefined) {
      id = this.points.length;
      this.points.push({ capture, iface });
      this.pointPackets.push(0);
      this.pointIds.set(k, id);
    }
    this.lastPointKey = k;
    this.lastPoint = id;
    return id;
  }

  /**
   * IPv6 tunnel endpoints (underlays over IPv6) interned as ids 1 .. 2^24 - 1, i.e. numbers in
   * 0.0.0.0/8, which is never a unicast IPv4 endpoint: edges, VTEPs and tuple locations stay
   * numbers. `outerText` gives an endpoint's address text either way. Only IPv6 tunnel packets
   * come here.
   */
  private readonly v6Ids = new Map<number, number[]>();
  private readonly v6Words: number[] = [0, 0, 0, 0];
  /** The last outerId's hash of the address words: the same in every thread (ids are per observer). */
  private outerKey = 0;

  private outerId(a: Uint32Array, at: number): number {
    const w0 = a[at]!, w1 = a[at + 1]!, w2 = a[at + 2]!, w3 = a[at + 3]!;
    const k = mix(mix(mix(mix(0x6a09e667, w0), w1), w2), w3);
    this.outerKey = k;
    let l = this.v6Ids.get(k);
    const ws = this.v6Words;
    if (l) for (const id of l) { const o = id * 4; if (ws[o] === w0 && ws[o + 1] === w1 && ws[o + 2] === w2 && ws[o + 3] === w3) return id; }
    const id = ws.length / 4;
    if (id >= 1 << 24) return 0;
    ws.push(w0, w1, w2, w3);
    if (!l) this.v6Ids.set(k, (l = []));
    l.push(id);
    return id;
  }

  /** The address text of a tunnel endpoint number (IPv4, or an interned IPv6 id). */
  outerText(ip: number): string {
    return ip > 0 && ip < 1 << 24 && ip * 4 < this.v6Words.length ? ipv6ToString(this.v6Words, ip * 4) : ipv4ToString(ip);
  }

  /** The VTEPs, their inner-source counts complete. */
  vtepList(): VtepFacts[] {
    for (let k = 0; k < SRC_CACHE; k++) this.flushSource(k);
    return [...this.vteps.values()];
  }

  private flushSource(k: number): void {
    const v = this.srcFacts[k];
    if (!v) return;
    const is = this.srcInner[k]!;
    v.innerSources.set(is, (v.innerSources.get(is) ?? 0) + this.srcCount[k]!);
    this.srcFacts[k] = null;
  }

  /** All tunnel edges (the matrix), in no particular order. */
  edges(): TunnelCounters[] {
    const out: TunnelCounters[] = [];
    for (const c of this.tunnels.values()) for (let e: TunnelCounters | null = c; e; e = e.next) out.push(e);
    return out;
  }

  observe(capture: number, packet: number, p: DecodedPacket, b: Uint8Array, base: number, tsSec: number, tsNsec: number, frameLen: number): void {
    this.digestAt = -1;
    if (!this.currentSeen) {
      this.currentSeen = true;
      // Interfaces described before a pcapng's first packet are capture points known up front.
      // So are the interfaces of an any-interface file (Linux cooked SLL2 indexes, SLL hops: src/pipeline/cooked-*.ts).
      if (!this.recording && this.current && (this.current.interfaces.length >= 2 || this.current.interfaces.some((x) => x.linkType === LINKTYPE_LINUX_SLL2 || x.linkType === LINKTYPE_LINUX_SLL))) this.startRecording();
    }
    const pointsBefore = this.points.length;
    const pt = this.pointOf(capture, this.ifaceOf(capture, packet));
    if (this.points.length !== pointsBefore && this.points.length >= 2 && !this.recording) {
      this.startRecording();
      this.lateStart = { point: pt, capture, packet: packet + 1 };
    }
    if (p.tunnelCount > 0) this.observeTunnel(pt, p, b, base, frameLen);
    const i = p.innermostNet();
    if (i < 0 || p.l4Present[i] === 0) return;
    const proto = p.ipProto[i]!;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return;
    this.pointPackets[pt]!++;
    // One capture point: only packets that identify a connection across NAT, and HTTP heads.
    if (!this.recording && (proto !== IPPROTO_TCP || ((p.tcpFlags[i]! & TCP_SYN) === 0 && p.httpNet !== i))) return;
    // The VXLAN/Geneve packet itself is described by its tunnel; its row is the inner packet.
    const n = this.count;
    if (n === this.tuple.length) this.grow();
    if (!this.recording) {
      if (n === this.rowFlow.length) this.rowFlow = grown(this.rowFlow, new Int32Array(Math.max(1024, n * 2)));
      // The flow tracker runs first and has set the packet's flow.
      const ids = this.current?.index.flowId;
      this.rowFlow[n] = ids && packet < ids.length ? ids[packet]! : -1;
    }
    const t = p.tunnelCount - 1;
    const depth = p.netDepth[i]!;
    let os = 0, od = 0, vni = -1, tt = 0;
    if (t >= 0 && depth > 0) {
      const on = p.tunnelNet[t]!;
      if (p.ipVersion[on] === 4) { os = p.ipSrc[on * 4]!; od = p.ipDst[on * 4]!; } else { os = this.outerId(p.ipSrc, on * 4); od = this.outerId(p.ipDst, on * 4); }
      vni = p.tunnelVni[t]!;
      tt = p.tunnelType[t]!;
    }
    const tu = this.findTuple(pt, depth, os, od, vni, tt, p.ipVersion[i]!, proto, p.srcPort[i]!, p.dstPort[i]!, p.ipSrc, i * 4, p.ipDst, i * 4, true);
    this.tuple[n] = tu;
    const ttl = p.ipTtl[i]!;
    if (ttl > this.tTtl[tu]!) this.tTtl[tu] = ttl;
    if (n === 0) this.baseSec = tsSec;
    this.time[n] = (tsSec - this.baseSec) * 1e9 + tsNsec;
    this.flags[n] = proto === IPPROTO_TCP ? p.tcpFlags[i]! : 0;
    this.seq[n] = p.tcpSeq[i]!;
    this.ack[n] = p.tcpAck[i]!;
    this.ipId[n] = p.ipId[i]!;
    this.payLen[n] = p.payloadWireLength[i]!;
    this.digest[n] = this.payloadDigest(b, base + p.payloadStart[i]!, p.payloadLength[i]!);
    this.http[n] = 0;
    this.status[n] = 0;
    if (p.httpNet === i && proto === IPPROTO_TCP) {
      this.http[n] = p.httpKind;
      const off = base + p.payloadStart[i]!;
      const len = p.payloadLength[i]!;
      if (p.httpKind === 1) {
        this.packRequestHead(n, b, off, len);
      } else if (p.httpKind === 2 && len >= 12) {
        this.status[n] = (b[off + 9]! - 48) * 100 + (b[off + 10]! - 48) * 10 + (b[off + 11]! - 48);
      }
    }
    this.count = n + 1;
  }

  /** The tunnel fingerprint and the row digest the same inner payload: hash it once per packet. */
  private digestAt = -1;
  private digestLen = 0;
  private digestVal = 0;
  private payloadDigest(b: Uint8Array, off: number, len: number): number {
    if (off !== this.digestAt || len !== this.digestLen) {
      this.digestVal = digestOf(b, off, len);
      this.digestAt = off;
      this.digestLen = len;
    }
    return this.digestVal;
  }

  /** Keeps the method, URI, Host and X-Request-ID of the request head in b[off, off + len) for `row` (nothing when it has no request line). */
  packRequestHead(row: number, b: Uint8Array, off: number, len: number): void {
    const sp = this.headSpan;
    if (!scanRequestHead(b, off, len, sp)) return;
    let need = 8;
    for (let f = 0; f < 8; f += 2) if (sp[f]! >= 0) need += sp[f + 1]! - sp[f]!;
    if (this.headUsed + need > HEAD_CHUNK) {
      if (this.headChunks.length === 65536) return; // 4 GiB of heads: `headAt` is full; later requests go unnamed
      this.headChunks.push(new Uint8Array(HEAD_CHUNK));
      this.headUsed = 0;
    }
    if (this.headCount > 0 && this.headRow[this.headCount - 1]! >= row) throw new RangeError(`request head rows must increase: ${row} after ${this.headRow[this.headCount - 1]}`);
    if (this.headCount === this.headRow.length) {
      this.headRow = grown(this.headRow, new Int32Array(this.headCount * 2));
      this.headAt = grown(this.headAt, new Uint32Array(this.headCount * 2));
    }
    const h = this.headChunks[this.headChunks.length - 1]!;
    const at = this.headUsed;
    this.headRow[this.headCount] = row;
    this.headAt[this.headCount++] = (this.headChunks.length - 1) * HEAD_CHUNK + at;
    let w = at + 8;
    for (let f = 0; f < 8; f += 2) {
      const from = sp[f]!, end = sp[f + 1]!;
      const l = from < 0 ? 0xffff : end - from;
      h[at + f] = l & 0xff; h[at + f + 1] = l >>> 8;
      for (let k = from; k < end; k++) h[w++] = b[k]!;
    }
    this.headUsed = w;
  }

  /** The request line, Host and X-Request-ID of an HTTP request row, or null (not a request, or no request line). */
  requestLine(row: number): HttpRequestLine | null {
    let lo = 0, hi = this.headCount;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.headRow[mid]! < row) lo = mid + 1; else hi = mid; }
    if (lo === this.headCount || this.headRow[lo] !== row) return null;
    const h = this.headChunks[Math.floor(this.headAt[lo]! / HEAD_CHUNK)]!;
    const at = this.headAt[lo]! % HEAD_CHUNK;
    const out: Array<string | null> = [];
    let r = at + 8;
    for (let f = 0; f < 8; f += 2) {
      const l = h[at + f]! | (h[at + f + 1]! << 8);
      if (l === 0xffff) { out.push(null); continue; }
      out.push(latin1(h, r, r + l));
      r += l;
    }
    return { method: out[0]!, uri: out[1]!, host: out[2]!, requestId: out[3]! };
  }

  private startRecording(): void {
    this.sparseEnd = this.count;
    this.recording = true;
  }

  /** Rows [0, sparseRows) are one-point rows (connection openings and HTTP heads only, see `rowFlow`); the rest are one per packet. */
  get sparseRows(): number {
    return this.recording ? this.sparseEnd : this.count;
  }

  // ---- tuples ----------------------------------------------------------------

  /**
   * The id of a tuple (location + 5-tuple), or -1 when absent and `insert`
   * is false. `s[sAt..sAt+4)` and `d[dAt..dAt+4)` are the address words.
   */
  findTuple(pt: number, depth: number, os: number, od: number, vni: number, tt: number, ver: number, proto: number,
    sport: number, dport: number, s: ArrayLike<number>, sAt: number, d: ArrayLike<number>, dAt: number, insert: boolean): number {
    // Murmur-style steps inline (a call per word costs more than the hash here), one avalanche at the end.
    let h = step(step(step(step(0x1234567, (pt << 8) | depth), os), od), vni);
    h = step(step(h, (tt << 16) | (ver << 8) | proto), (sport << 16) | dport);
    h = step(step(h, s[sAt]!), d[dAt]!);
    if (ver !== 4) for (let w = 1; w < 4; w++) h = step(step(h, s[sAt + w]!), d[dAt + w]!);
    h = avalanche(h);
    // IPv4: a direct-mapped cache holding each entry's whole key in one 64-byte line; the table's
    // columns cost a cache miss each, and a connection's rows come back to its tuple again and again.
    const tc = this.tupleCache;
    const c = (h & (TUPLE_CACHE - 1)) * 16;
    const w2 = ((pt << 16) | (depth << 8) | proto) >>> 0, ports = ((sport << 16) | dport) >>> 0;
    if (ver === 4 && tc[c] !== 0 && tc[c + 1] === h && tc[c + 2] === w2 && tc[c + 3] === tt && tc[c + 4] === os && tc[c + 5] === od
      && tc[c + 6] === vni >>> 0 && tc[c + 7] === ports && tc[c + 8] === s[sAt] && tc[c + 9] === d[dAt]) return tc[c]! - 1;
    const slots = this.slots;
    const mask = slots.length - 1;
    let k = h & mask;
    for (let id = slots[k]! - 1; id >= 0; k = (k + 1) & mask, id = slots[k]! - 1) {
      if (this.tHash[id] === h && this.tPoint[id] === pt && this.tDepth[id] === depth && this.tOuterSrc[id] === os && this.tOuterDst[id] === od
        && this.tVni[id] === vni && this.tTunType[id] === tt && this.tVer[id] === ver && this.tProto[id] === proto
        && this.tSport[id] === sport && this.tDport[id] === dport && sameWords(this.tSrc, id * 4, s, sAt) && sameWords(this.tDst, id * 4, d, dAt)) {
        if (ver === 4) this.cacheTuple(c, id, h, w2, tt, os, od, vni, ports, s[sAt]!, d[dAt]!);
        return id;
      }
    }
    if (!insert) return -1;
    const id = this.tupleCount;
    if (id === this.tPoint.length) this.growTuples();
    this.tPoint[id] = pt; this.tDepth[id] = depth; this.tOuterSrc[id] = os; this.tOuterDst[id] = od;
    this.tVni[id] = vni; this.tTunType[id] = tt; this.tVer[id] = ver; this.tProto[id] = proto;
    this.tSport[id] = sport; this.tDport[id] = dport; this.tHash[id] = h;
    for (let w = 0; w < 4; w++) { this.tSrc[id * 4 + w] = s[sAt + w]!; this.tDst[id * 4 + w] = d[dAt + w]!; }
    this.tLoc[id] = this.locationId(pt, depth, os, od);
    if (ver === 4) this.cacheTuple(c, id, h, w2, tt, os, od, vni, ports, s[sAt]!, d[dAt]!);
    this.tupleCount = id + 1;
    if (this.tupleCount * 2 > this.slots.length) this.rehash();
    else slots[k] = id + 1;
    return id;
  }

  private cacheTuple(c: number, id: number, h: number, w2: number, tt: number, os: number, od: number, vni: number, ports: number, s0: number, d0: number): void {
    const tc = this.tupleCache;
    tc[c] = id + 1; tc[c + 1] = h; tc[c + 2] = w2; tc[c + 3] = tt; tc[c + 4] = os; tc[c + 5] = od;
    tc[c + 6] = vni >>> 0; tc[c + 7] = ports; tc[c + 8] = s0; tc[c + 9] = d0;
  }

  /** The same location with the endpoints swapped (the other direction), or -1 when never seen. */
  reverseTuple(id: number): number {
    return this.findTuple(this.tPoint[id]!, this.tDepth[id]!, this.tOuterDst[id]!, this.tOuterSrc[id]!, this.tVni[id]!, this.tTunType[id]!,
      this.tVer[id]!, this.tProto[id]!, this.tDport[id]!, this.tSport[id]!, this.tDst, id * 4, this.tSrc, id * 4, false);
  }

  /** Location ids: one per (point, depth, outer source, outer destination). */
  get locationCount(): number {
    return this.locs.length;
  }

  private locationId(point: number, depth: number, os: number, od: number): number {
    const h = mix(mix(mix(mix(0x51ed27, point), depth), os), od);
    let l = this.locIds.get(h);
    if (!l) this.locIds.set(h, (l = []));
    for (const id of l) {
      const x = this.locs[id]!;
      if (x.point === point && x.depth === depth && x.outerSrc === os && x.outerDst === od) return id;
    }
    const id = this.locs.length;
    this.locs.push({ point, depth, outerSrc: os, outerDst: od });
    l.push(id);
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.tupleCount; id++) {
      let k = this.tHash[id]! & mask;
      while (slots[k] !== 0) k = (k + 1) & mask;
      slots[k] = id + 1;
    }
    this.slots = slots;
  }

  private growTuples(): void {
    const n = this.tPoint.length * 2;
    this.tPoint = grown(this.tPoint, new Uint16Array(n));
    this.tDepth = grown(this.tDepth, new Uint8Array(n));
    this.tVer = grown(this.tVer, new Uint8Array(n));
    this.tProto = grown(this.tProto, new Uint8Array(n));
    this.tTunType = grown(this.tTunType, new Uint8Array(n));
    this.tTtl = grown(this.tTtl, new Uint8Array(n));
    this.tSrc = grown(this.tSrc, new Uint32Array(n * 4));
    this.tDst = grown(this.tDst, new Uint32Array(n * 4));
    this.tSport = grown(this.tSport, new Uint16Array(n));
    this.tDport = grown(this.tDport, new Uint16Array(n));
    this.tOuterSrc = grown(this.tOuterSrc, new Uint32Array(n));
    this.tOuterDst = grown(this.tOuterDst, new Uint32Array(n));
    this.tVni = grown(this.tVni, new Int32Array(n));
    this.tLoc = grown(this.tLoc, new Uint32Array(n));
    this.tHash = grown(this.tHash, new Uint32Array(n));
  }

  private grow(): void {
    const n = this.tuple.length * 2;
    this.tuple = grown(this.tuple, new Uint32Array(n));
    this.time = grown(this.time, new Float64Array(n));
    this.seq = grown(this.seq, new Uint32Array(n));
    this.ack = grown(this.ack, new Uint32Array(n));
    this.ipId = grown(this.ipId, new Uint32Array(n));
    this.payLen = grown(this.payLen, new Uint32Array(n));
    this.digest = grown(this.digest, new Uint32Array(n));
    this.flags = grown(this.flags, new Uint16Array(n));
    this.http = grown(this.http, new Uint8Array(n));
    this.status = grown(this.status, new Uint16Array(n));
  }

  /** Bytes held by the row columns (capacity) and the tuple table, for measurements. */
  rowBytes(): { rows: number; rowCapacityBytes: number; tuples: number; tupleBytes: number } {
    const cols = [this.tuple, this.time, this.seq, this.ack, this.ipId, this.payLen, this.digest, this.flags, this.http, this.status];
    const tcols = [this.tPoint, this.tDepth, this.tVer, this.tProto, this.tTunType, this.tSrc, this.tDst, this.tSport, this.tDport,
      this.tOuterSrc, this.tOuterDst, this.tVni, this.tLoc, this.tHash, this.slots];
    return {
      rows: this.count, rowCapacityBytes: cols.reduce((a, c) => a + c.byteLength, 0),
      tuples: this.tupleCount, tupleBytes: tcols.reduce((a, c) => a + c.byteLength, 0),
    };
  }

  /** Bytes one row takes in the columns. */
  static readonly ROW_BYTES = 4 + 8 + 4 + 4 + 4 + 4 + 4 + 2 + 1 + 2;

  // ---- tunnels -----------------------------------------------------------------

  private observeTunnel(pt: number, p: DecodedPacket, b: Uint8Array, base: number, frameLen: number): void {
    this.tunnelPackets++;
    // The outermost tunnel is the node-to-node hop.
    const on = p.tunnelNet[0]!;
    const v4outer = p.ipVersion[on] === 4;
    const os = v4outer ? p.ipSrc[on * 4]! : this.outerId(p.ipSrc, on * 4);
    // Fingerprints take an IPv6 endpoint by its words' hash, not its id: the capture split's workers intern ids of their own.
    const osKey = v4outer ? os : this.outerKey;
    const od = v4outer ? p.ipDst[on * 4]! : this.outerId(p.ipDst, on * 4);
    const odKey = v4outer ? od : this.outerKey;
    const type = p.tunnelType[0]!;
    // IP-in-IP has no network identifier; a WireGuard index names a session and direction, not a network.
    const vni = type === TUNNEL_IPIP || type === TUNNEL_WIREGUARD ? -1 : p.tunnelVni[0]!;
    const ek = (Math.imul(os ^ (od >>> 7) ^ (od << 9), 0x9e3779b1) ^ Math.imul(vni + type, 0x85ebca6b)) >>> 26;
    let c = this.edgeCache[ek]!;
    if (c === null || c.src !== os || c.dst !== od || c.vni !== vni || c.type !== type) c = this.edgeCache[ek] = this.edge(os, od, type, vni);
    const sv = c.sv, dv = c.dv;
    sv.packets++;
    dv.packets++;
    // Inner Ethernet (depth 1): src MAC is the sending VTEP's, dst the receiver's.
    let innerEth = -1;
    for (let e = 0; e < p.ethCount; e++) if (p.ethDepth[e] === 1) { innerEth = e; break; }
    if (innerEth >= 0) {
      const m = innerEth * 12;
      const sm = macNumber(p.ethMac, m + 6), dm = macNumber(p.ethMac, m);
      if (sm !== c.lastSrcMac) { sv.macs.add(sm); c.lastSrcMac = sm; }
      if (dm !== c.lastDstMac) { dv.macs.add(dm); c.lastDstMac = dm; }
    }
    const seen = c.seenAt;
    while (seen.length <= pt) seen.push(0);
    seen[pt]!++;
    // The first inner network level.
    let inner = -1;
    for (let k = 0; k < p.netCount; k++) if (p.netDepth[k] === 1 && p.netQuoted[k] === 0) { inner = k; break; }
    let innerKey = 0;
    const v4 = inner >= 0 && p.ipVersion[inner] === 4;
    if (v4) {
      const is = p.ipSrc[inner * 4]!;
      const id = p.ipDst[inner * 4]!;
      const sk = (Math.imul(is, 0x9e3779b1) ^ Math.imul(os, 0x85ebca6b)) >>> 22;
      if (this.srcFacts[sk] === sv && this.srcInner[sk] === is) this.srcCount[sk]!++;
      else {
        this.flushSource(sk);
        this.srcFacts[sk] = sv; this.srcInner[sk] = is; this.srcCount[sk] = 1;
      }
      innerKey = mix(mix(mix(is, id), (p.srcPort[inner]! << 16) | p.dstPort[inner]!), p.ipProto[inner]!);
    } else if (inner >= 0 && p.ipVersion[inner] === 6) {
      // Dual-stack pods (IPv6 inside the tunnel): rarer, so plainer. The source's /64 counts towards
      // the VTEP's IPv6 pod CIDR; the key hashes both addresses' words, the ports and the protocol.
      const w = inner * 4;
      const k64 = `${p.ipSrc[w]! >>> 0},${p.ipSrc[w + 1]! >>> 0}`;
      sv.innerSources6.set(k64, (sv.innerSources6.get(k64) ?? 0) + 1);
      let h = 0x6a09e667;
      for (let k = 0; k < 4; k++) h = mix(mix(h, p.ipSrc[w + k]!), p.ipDst[w + k]!);
      innerKey = mix(mix(h, (p.srcPort[inner]! << 16) | p.dstPort[inner]!), p.ipProto[inner]!) || 1;
    }
    // The same transmission captured at both ends counts once (only several points can see it twice).
    let fa = 0, fb = 0;
    if (this.recording) {
      fa = (osKey ^ Math.imul(odKey, 0x9e3779b1) ^ Math.imul(vni + 1, 0x85ebca6b)) >>> 0;
      fb = mix(mix(0x7f4a7c15, odKey), osKey ^ vni);
      if (v4) {
        const dg = this.payloadDigest(b, base + p.payloadStart[inner]!, p.payloadLength[inner]!);
        fa = mix(mix(mix(mix(mix(fa, innerKey), p.ipId[inner]!), p.tcpSeq[inner]!), p.tcpAck[inner]!), dg);
        fb = mix(mix(mix(mix(mix(fb, p.tcpSeq[inner]! ^ 0x3c6ef372), dg), p.ipId[inner]! + innerKey), p.tcpAck[inner]!), p.ipSrc[inner * 4]!);
      } else if (innerKey !== 0) {
        // IPv6 inside: no IP id, so the inner flow, the payload and the TCP numbers tell transmissions apart.
        const dg = this.payloadDigest(b, base + p.payloadStart[inner]!, p.payloadLength[inner]!);
        fa = mix(mix(mix(mix(fa, innerKey), p.tcpSeq[inner]!), p.tcpAck[inner]!), dg);
        fb = mix(mix(mix(mix(fb, p.tcpSeq[inner]! ^ 0x3c6ef372), dg), innerKey ^ p.payloadLength[inner]!), p.tcpAck[inner]!);
      } else {
        fa = mix(fa, p.ipId[on]!);
        fb = mix(fb, p.ipId[on]! ^ 0x5bd1e995);
      }
      const seenBy = this.fingerprint(fa, fb, pt);
      if (seenBy !== pt) return;
    }
    c.packets++;
    c.bytes += frameLen;
    // A carried frame with its own Ethernet header: everything before it; a bare IP packet (IP-in-IP, GRE
    // with IP, WireGuard's message header): from the outer IP header on, the link header being there anyway.
    const overhead = innerEth >= 0 ? p.tunnelInner[0]! : p.tunnelInner[0]! - p.ipStart[on]!;
    c.overheadBytes += overhead;
    const handshake = type === TUNNEL_WIREGUARD && (p.wgType === 1 || p.wgType === 2) ? 1 : 0;
    c.handshakes += handshake;
    // Capture split (src/session/parallel/capture-split.ts): what was counted, replayed across workers' dedup.
    if (this.tunnelLog !== null) this.tunnelLog.add(fa, fb, pt, c.index, frameLen, overhead, handshake, innerKey);
    if (innerKey !== 0) {
      const fk = (innerKey ^ Math.imul(c.index, 0x9e3779b1)) & (FLOW_CACHE - 1);
      if (this.flowKey[fk] !== innerKey || this.flowEdge[fk] !== c.index) {
        // As a signed 32-bit value: a small integer for the Set, where an unsigned one above 2^31
        // is a heap number to allocate and hash (the adds took 43 ms on the bench file).
        c.innerFlows.add(innerKey | 0);
        this.flowKey[fk] = innerKey; this.flowEdge[fk] = c.index;
      }
    }
  }

  /** The point that first saw fingerprint (a, b); records `pt` when new. */
  private fingerprint(a: number, b: number, pt: number): number {
    if ((this.fpCount + 1) * 2 > this.fpA.length) this.growFingerprints();
    const mask = this.fpA.length - 1;
    let k = (a ^ Math.imul(b, 0x27d4eb2f)) & mask;
    for (; this.fpPoint[k] !== 0; k = (k + 1) & mask) if (this.fpA[k] === a && this.fpB[k] === b) return this.fpPoint[k]! - 1;
    this.fpA[k] = a; this.fpB[k] = b; this.fpPoint[k] = pt + 1;
    this.fpCount++;
    return pt;
  }

  private growFingerprints(): void {
    const oa = this.fpA, ob = this.fpB, op = this.fpPoint;
    const n = Math.max(4096, oa.length * 2);
    this.fpA = new Uint32Array(n); this.fpB = new Uint32Array(n); this.fpPoint = new Uint16Array(n);
    const mask = n - 1;
    for (let j = 0; j < oa.length; j++) {
      if (op[j] === 0) continue;
      let k = (oa[j]! ^ Math.imul(ob[j]!, 0x27d4eb2f)) & mask;
      while (this.fpPoint[k] !== 0) k = (k + 1) & mask;
      this.fpA[k] = oa[j]!; this.fpB[k] = ob[j]!; this.fpPoint[k] = op[j]!;
    }
  }

  private edge(os: number, od: number, type: number, vni: number): TunnelCounters {
    const key = mix(mix(mix(mix(0x811c9dc5, os), od), type), vni);
    const head = this.tunnels.get(key);
    for (let e = head ?? null; e; e = e.next) if (e.src === os && e.dst === od && e.type === type && e.vni === vni) return e;
    const sv = this.vtep(os), dv = this.vtep(od);
    // The edge is exactly (os, od, type, vni): adding them once per edge is adding them once per packet.
    if (vni >= 0) { sv.vnis.add(vni); dv.vnis.add(vni); }
    sv.types.add(type); dv.types.add(type);
    const c: TunnelCounters = {
      src: os, dst: od, type, vni, packets: 0, bytes: 0, overheadBytes: 0, handshakes: 0, innerFlows: new Set(), seenAt: [],
      sv, dv, lastSrcMac: -1, lastDstMac: -1, next: head ?? null, index: this.edgeCount++,
    };
    this.tunnels.set(key, c);
    return c;
  }

  private vtep(ip: number): VtepFacts {
    let v = this.vteps.get(ip);
    if (!v) {
      v = { ip, macs: new Set(), vnis: new Set(), types: new Set(), innerSources: new Map(), innerSources6: new Map(), packets: 0 };
      this.vteps.set(ip, v);
    }
    return v;
  }
}

function grown<T extends { set(a: ArrayLike<number>): void }>(from: ArrayLike<number>, to: T): T {
  to.set(from);
  return to;
}

function sameWords(a: ArrayLike<number>, at: number, b: ArrayLike<number>, bt: number): boolean {
  return a[at] === b[bt] && a[at + 1] === b[bt + 1] && a[at + 2] === b[bt + 2] && a[at + 3] === b[bt + 3];
}

/** One hashing step: multiply, rotate (cheap; `avalanche` finishes). */
function step(h: number, x: number): number {
  const k = Math.imul(h ^ x, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function mix(h: number, x: number): number {
  h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

/** FNV-1a over at most DIGEST_BYTES bytes, mixed with the length. */
export function digestOf(b: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  const n = len < DIGEST_BYTES ? len : DIGEST_BYTES;
  for (let k = 0; k < n; k++) h = Math.imul(h ^ b[off + k]!, 0x01000193);
  return (h ^ len) >>> 0;
}

/** A MAC as a number (48 bits fit a double exactly): no string per packet. */
function macNumber(m: Uint8Array, at: number): number {
  return ((m[at]! << 8) | m[at + 1]!) * 4294967296 + (((m[at + 2]! << 24) | (m[at + 3]! << 16) | (m[at + 4]! << 8) | m[at + 5]!) >>> 0);
}

export function macToText(x: number): string {
  const parts: string[] = [];
  for (let k = 5; k >= 0; k--) parts.push((Math.floor(x / 2 ** (8 * k)) % 256).toString(16).padStart(2, '0'));
  return parts.join(':');
}

const MAX_HEAD = 8192;

/**
 * Request line and the Host / X-Request-ID headers of an HTTP/1.x request head
 * (Latin-1; lines end at CR LF; the last of a repeated header wins). Works on
 * the bytes: strings are made only for the method, the URI and the two values.
 */
export function parseRequestHead(b: Uint8Array, off: number, len: number): HttpRequestLine | null {
  const sp = new Int32Array(8);
  if (!scanRequestHead(b, off, len, sp)) return null;
  const text = (f: number): string | null => (sp[f]! < 0 ? null : latin1(b, sp[f]!, sp[f + 1]!));
  return { method: text(0)!, uri: text(2)!, host: text(4), requestId: text(6) };
}

/**
 * Where the method, URI, Host value and X-Request-ID value of a request head
 * are: `span` gets [from, end) pairs, -1 for a header that is absent; values
 * without the spaces String.prototype.trim would remove. False when the
 * first line has no space (no request target).
 */
export function scanRequestHead(b: Uint8Array, off: number, len: number, span: Int32Array): boolean {
  const end = off + Math.min(len, MAX_HEAD);
  const eol = lineEnd(b, off, end);
  const sp1 = byteIndex(b, 0x20, off, eol);
  if (sp1 < 0) return false;
  let sp2 = byteIndex(b, 0x20, sp1 + 1, eol);
  if (sp2 < 0) sp2 = eol;
  span[0] = off; span[1] = sp1; span[2] = sp1 + 1; span[3] = sp2;
  span[4] = span[5] = span[6] = span[7] = -1;
  for (let at = eol + 2; at <= end;) {
    const e = lineEnd(b, at, end);
    if (e === at) break; // the blank line ending the head
    const colon = byteIndex(b, 0x3a, at, e);
    if (colon > at) {
      const name = headerName(b, at, colon);
      if (name !== 0) {
        let from = colon + 1, to = e;
        while (from < to && isSpace(b[from]!)) from++;
        while (to > from && isSpace(b[to - 1]!)) to--;
        const f = name === 1 ? 4 : 6;
        span[f] = from; span[f + 1] = to;
      }
    }
    at = e + 2;
  }
  return true;
}

/** Where the line starting at `from` ends: its CR LF, or `end`. */
function lineEnd(b: Uint8Array, from: number, end: number): number {
  for (let k = from; k + 1 < end; k++) if (b[k] === 13 && b[k + 1] === 10) return k;
  return end;
}

function byteIndex(b: Uint8Array, x: number, from: number, end: number): number {
  for (let k = from; k < end; k++) if (b[k] === x) return k;
  return -1;
}

/** Latin-1 text of b[from, end) as one flat string (a string grown a character at a time is a rope of ~30 bytes a character until flattened). */
function latin1(b: Uint8Array, from: number, end: number): string {
  // end - from <= MAX_HEAD: within the engines' argument limits.
  return String.fromCharCode.apply(null, b.subarray(from, end) as unknown as number[]);
}

/** What String.prototype.trim removes, within Latin-1. */
function isSpace(x: number): boolean {
  return x === 32 || (x >= 9 && x <= 13) || x === 160;
}

const HOST = [0x68, 0x6f, 0x73, 0x74];
const REQUEST_ID = [0x78, 0x2d, 0x72, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74, 0x2d, 0x69, 0x64];

/** 1 for Host, 2 for X-Request-ID (ASCII case-insensitive, surrounding spaces ignored), 0 otherwise. */
function headerName(b: Uint8Array, from: number, end: number): number {
  while (from < end && isSpace(b[from]!)) from++;
  while (end > from && isSpace(b[end - 1]!)) end--;
  const want = end - from === HOST.length ? HOST : end - from === REQUEST_ID.length ? REQUEST_ID : null;
  if (!want) return 0;
  for (let k = 0; k < want.length; k++) {
    const c = b[from + k]!;
    if ((c >= 0x41 && c <= 0x5a ? c + 32 : c) !== want[k]) return 0;
  }
  return want === HOST ? 1 : 2;
}

/** The contract name of tunnel type id `t` (`vxlan` for an id without one, as before types were added). */
export function tunnelTypeOf(t: number): TunnelType {
  const n = TUNNEL_NAMES[t];
  return n === undefined || n === 'none' ? 'vxlan' : n;
}
