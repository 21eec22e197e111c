/**
 * The traffic profile of one side of a comparison: what one request costs on
 * the wire, measured from a session of captures (one per capture point).
 *
 * A second pass over the session's captures (the files are re-read in chunks,
 * each packet decoded into one reused DecodedPacket) builds:
 *
 * - distinct frames: the same frame seen at several capture points of one
 *   link (client eth0 and node eth0 of the underlay; a pod's eth0 and its
 *   node's cni0; a VXLAN packet and the frame flannel.1 shows before
 *   encapsulation or after decapsulation) is counted once. Its fingerprint is
 *   the innermost Ethernet addresses and the innermost IP/transport header
 *   fields (IP id, TTL, length, ports, sequence numbers, flags), so a routed
 *   copy (TTL and MACs change) or a retransmission (IP id changes) is a
 *   different frame. Copies farther apart than DUP_WINDOW_S are different.
 * - TCP connections across NAT: every SYN names the connection by its
 *   initial sequence number, which DNAT, SNAT and masquerade keep. All the
 *   4-tuples a connection shows (client → NodePort, node → pod after
 *   masquerade; pod → ClusterIP, pod → backend after DNAT) are its views.
 * - HTTP requests across capture points and NAT: a request is its
 *   connection plus its sequence number relative to the initial one.
 * - legs: a connection whose client is never an HTTP server in the session
 *   carries the user's requests (leg 1, "client connection"); a connection
 *   opened by a leg-1 server carries proxied requests (leg 2, "upstream"),
 *   and so on.
 *
 * Memory grows with distinct frames (a few typed-array entries each) and
 * with connections and requests (one small object each), never per packet
 * seen: the per-packet path looks things up in typed-array hash tables.
 */
import { tunnelTypeText } from '../api.js';
import { readCapture } from '../capture/read-capture.js';
import type { ByteSource, CaptureInterface, PacketRecord } from '../capture/types.js';
import { ipToString } from '../dissect/addr.js';
import { DecodedPacket } from '../dissect/decoded.js';
import { decodePacket, linkTypeDecoded } from '../dissect/decoder.js';
import { cookedExtraBytes, cookedSourceMacAt } from '../dissect/link.js';
import { IPPROTO_TCP, TUNNEL_NAMES } from '../dissect/layers.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { formatTime } from '../pipeline/time.js';
import { Hash2, PairMap } from './pair-map.js';

/** Copies of one frame at several capture points arrive within this many seconds of each other. */
export const DUP_WINDOW_S = 1;
/** A SYN with a known initial sequence number this much later starts a new connection. */
const ISN_WINDOW_S = 30;

const F_TUNNEL = 1;
const F_CONTROL = 2;
const F_REQUEST = 4;

export interface PointStats {
  name: string;
  packets: number;
  bytes: number;
  /** Packets as the segments the wire carried: an offloaded TCP super-packet counts ceil(payload / segment size). */
  wireSegments: number;
}

export interface TcpView {
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  firstTime: number;
}

export interface ConnectionSummary {
  id: number;
  /** 0 other TCP (no HTTP), 1 client connection, 2 upstream, 3... further upstream. */
  leg: number;
  opened: boolean;
  requests: number;
  views: TcpView[];
  /** Distinct frames of its handshake and teardown (SYN, SYN/ACK, handshake ACK, FIN, RST and the ACKs of FINs). */
  controlFrames: number;
  frames: number;
}

export interface RequestTiming {
  /** 1-based, in time order. */
  n: number;
  /** Seconds since the side's first packet. */
  t: number;
  /** Measured at the capture point nearest the client (the earliest to see the request). */
  point: string;
  ttfbMs: number | null;
  totalMs: number | null;
  /** Handshake RTT of a connection the request opened (null when it reused one or the SYN was not seen there). */
  handshakeMs: number | null;
  newConnection: boolean;
}

export interface LegSummary {
  leg: number;
  name: string;
  connectionsOpened: number;
  connections: number;
  requests: number;
  /** Requests on a connection that had already carried an earlier request (keep-alive). */
  reusedRequests: number;
  controlFrames: number;
  frames: number;
  /** Address translations (extra views) per connection of this leg, with an example. */
  translations: number;
  translationExample: string | null;
}

export interface TrafficProfile {
  label: string;
  files: string[];
  points: PointStats[];
  /** Packets at all capture points together (copies included). */
  packets: number;
  bytes: number;
  /** Distinct frames (each transmission on each link once). */
  frames: number;
  /** Distinct frames of the TCP connections that carry HTTP requests (every leg): the request traffic end to end. */
  requestFrames: number;
  /**
   * The same as wire segments: a TCP frame carrying more payload than one
   * segment of its connection (a GSO/TSO/GRO super-packet) counts
   * ceil(payload / segment size), every other frame 1. The segment size is the
   * connection's MSS from its SYN options (the smaller side's, less 12 bytes
   * when both sides sent TCP timestamps), else the largest payload seen on it
   * in a frame no longer than the MTU allows. Equal to requestFrames when
   * offloads were off.
   */
  requestWireSegments: number;
  /**
   * The TCP segments with payload among requestWireSegments: what the sender
   * transmitted, the same whether offloads were on or off. Pure ACKs are left
   * out: a receiver with GRO acknowledges each aggregated super-packet, so
   * fewer ACKs really cross the wire with offloads on.
   */
  requestDataSegments: number;
  /** Distinct frames as wire segments (see requestWireSegments). */
  wireSegments: number;
  /** Packets at all capture points as wire segments. */
  packetWireSegments: number;
  /** Distinct frames longer than a 1500-byte MTU allows (offloaded super-packets), and the longest. */
  offloadFrames: number;
  largestFrame: number;
  frameBytes: number;
  /** Requests the clients sent (leg 1). */
  requests: number;
  /** HTTP requests on every leg (a proxied request counts once per leg). */
  httpRequests: number;
  httpResponses: number;
  tcpConnections: number;
  tcpConnectionsOpened: number;
  legs: LegSummary[];
  connections: ConnectionSummary[];
  /** Distinct frames seen inside a tunnel of any type (at one capture point or more). */
  tunnelPackets: number;
  /** Their lengths on the wire (a Linux cooked header counted as the 14-byte Ethernet one). */
  tunnelBytes: number;
  /** Bytes the encapsulations added to them (every tunnel level of the first encapsulated copy; see TunnelTypeProfile). */
  encapsulationBytes: number;
  /** Distinct tunnel frames that carry the start of an HTTP request. */
  tunnelRequestCrossings: number;
  /** The same per tunnel type present, in the order of the type ids (VXLAN first). */
  tunnels: TunnelTypeProfile[];
  /**
   * With cluster metadata, TCP connections that reached a Service: `dnat`
   * when one of their views is addressed to it (ClusterIP, NodePort), `direct`
   * when they went to an endpoint of it on its target port and no view shows
   * the Service (socket-level load balancing, or direct access to the pod).
   * Null without metadata.
   */
  serviceConnections: { dnat: number; direct: number } | null;
  hops: Array<{ hop: string; frames: number }>;
  requestList: RequestTiming[];
  retransmissions: number;
  resets: number;
  timeline: { bucketSec: number; frames: number[] };
  firstTime: string | null;
  durationSec: number;
}

/**
 * One tunnel type's share of a side's traffic. A frame counts once per type
 * it was seen inside (a VXLAN packet mirrored inside ERSPAN counts under both).
 */
export interface TunnelTypeProfile {
  /** The contract's tunnel type (`vxlan`, `geneve`, `ipip`, ...). */
  type: string;
  /** The name metrics and sentences use (`VXLAN`, `Geneve`, `IP-in-IP`, ...). */
  name: string;
  packets: number;
  bytes: number;
  /**
   * Bytes the levels of this type added, from the decoded offsets: a level
   * whose carried packet has its own link header (VXLAN, Geneve with
   * Ethernet, NVGRE, ERSPAN) adds everything from the start of the frame
   * that carries it to that inner frame (outer Ethernet, IP, UDP/GRE, its
   * header and options: 50 for VXLAN over IPv4); a level that carries a bare
   * IP packet (IP-in-IP, GRE with IP) adds the outer IP header and what
   * follows it up to the inner packet (20 for IPv4 IP-in-IP), since the
   * link header would be there anyway.
   */
  encapsulationBytes: number;
  requestCrossings: number;
}

/** The contract name and display name of tunnel type id `t`. */
export function tunnelTypeName(t: number): { type: string; name: string } {
  const type = (TUNNEL_NAMES as readonly string[])[t] ?? `tunnel-${t}`;
  return { type, name: tunnelTypeText(type) };
}

/** Tunnel type ids a frame mask can hold (one bit each). */
const MAX_TUNNEL_TYPES = 16;

/**
 * Bytes tunnel level `k` of `p` added to the frame (see TunnelTypeProfile);
 * `cooked` is how much longer a Linux cooked header is than Ethernet's.
 */
export function tunnelLevelOverhead(p: DecodedPacket, k: number, cooked: number): number {
  const inner = p.tunnelInner[k]!;
  if (inner <= 0) return 0;
  // Does the carried packet start with its own Ethernet header?
  let l2 = false;
  for (let e = 0; e < p.ethCount; e++) if (p.ethDepth[e] === k + 1) { l2 = true; break; }
  if (l2) return k === 0 ? inner - cooked : inner - p.tunnelInner[k - 1]!;
  return inner - p.ipStart[p.tunnelNet[k]!]!;
}

interface View {
  id: number;
  conn: Conn;
  clientKey: number;
  clientPort: number;
  serverKey: number;
  serverPort: number;
  clientIp: string;
  serverIp: string;
  firstT: number;
}

interface Conn {
  id: number;
  isnClient: number;
  /** A SYN was seen: the capture saw the connection open. */
  hasSyn: boolean;
  /** The client's ISN is known (from its SYN or a SYN/ACK's acknowledgment). */
  isnKnown: boolean;
  isnServer: number;
  hasServerIsn: boolean;
  synT: number;
  views: View[];
  requests: number;
  finEnd0: number;
  finEnd1: number;
  leg: number;
  /** MSS options of the SYN (client) and SYN/ACK (server), -1 unseen; the smallest when views differ (clamping). */
  mssClient: number;
  mssServer: number;
  /** TCP timestamps offered in the SYN / SYN/ACK: both on means 12 option bytes in every data segment. */
  tsClient: boolean;
  tsServer: boolean;
  /** Largest payload of a frame no longer than the MTU allows, per direction (the fallback segment size). */
  maxRegular0: number;
  maxRegular1: number;
  /** IPv6 (40-byte header) and TCP timestamps seen on its segments: the MTU bound when nothing else is known. */
  v6: boolean;
  tsSeen: boolean;
}

/** Longest frame (after the link header) a 1500-byte MTU allows, with one VLAN tag: longer is an offloaded super-packet. */
const REGULAR_FRAME = 1518;
/** Longer frames (after the link header, as Ethernet with one VLAN tag) carry an IP packet over 65535 bytes: BIG TCP (IPv4 total length 0). */
const BIG_TCP_FRAME = 65535 + 18;
/** Bytes of the TCP timestamp option in each data segment (10, padded to 12). */
const TS_OPTION = 12;

/** A regular-sized payload smaller than this says nothing of the segment size (536: RFC 9293's default MSS). */
const MIN_EVIDENCE = 536;

/**
 * Payload bytes one wire segment of `c` carries in direction `dir`: the MSS
 * of its SYN options (the smaller side's, less the timestamp option when both
 * offered it); without them the largest payload seen in that direction in a
 * frame no longer than the MTU allows (at least MIN_EVIDENCE); else what a
 * 1500-byte MTU leaves after the IP and TCP headers (and timestamps).
 */
function segmentSize(c: Conn, dir: number): number {
  const m = c.mssClient > 0 && c.mssServer > 0 ? Math.min(c.mssClient, c.mssServer) : Math.max(c.mssClient, c.mssServer);
  if (m > 0) return m - (c.tsClient && c.tsServer ? TS_OPTION : 0);
  const own = dir === 0 ? c.maxRegular0 : c.maxRegular1;
  if (own >= MIN_EVIDENCE) return own;
  return 1500 - (c.v6 ? 40 : 20) - 20 - (c.tsSeen ? TS_OPTION : 0);
}

/** Wire segments of a TCP payload of `payload` bytes on connection `c` (1 when not larger than a segment or unknown). */
function wireSegmentsOf(c: Conn, dir: number, payload: number): number {
  if (payload <= 0) return 1;
  const seg = segmentSize(c, dir);
  return seg > 0 && payload > seg ? Math.ceil(payload / seg) : 1;
}

interface Obs {
  id: number;
  view: View;
  point: number;
  synT: number;
  synAckT: number;
  maxEnd0: number;
  maxEnd1: number;
  cur: ReqObs | null;
  reqDir: number;
}

interface ReqObs {
  req: Req;
  obs: Obs;
  tReq: number;
  tFirst: number;
  tLast: number;
}

interface Req {
  id: number;
  conn: Conn;
  relSeq: number;
  firstT: number;
  seen: ReqObs[];
  responded: boolean;
}

/** Growable typed columns for distinct frames. */
class FrameTable {
  count = 0;
  t = new Float64Array(1024);
  len = new Uint32Array(1024);
  conn = new Int32Array(1024);
  view = new Int32Array(1024);
  /** A second view of the same frame (a copy seen with translated addresses), -1 none. */
  view2 = new Int32Array(1024);
  flags = new Uint8Array(1024);
  /** Tunnel types (bit per type id) any copy of the frame was seen inside. */
  tunnels = new Uint16Array(1024);
  /** TCP payload bytes (wire length) and direction (0 client → server), for wire segments. */
  payload = new Uint32Array(1024);
  dir = new Uint8Array(1024);
  add(t: number, len: number): number {
    const n = this.count;
    if (n === this.t.length) {
      const size = n * 2;
      const t2 = new Float64Array(size); t2.set(this.t); this.t = t2;
      const l2 = new Uint32Array(size); l2.set(this.len); this.len = l2;
      const c2 = new Int32Array(size); c2.set(this.conn); this.conn = c2;
      const v2 = new Int32Array(size); v2.set(this.view); this.view = v2;
      const w2 = new Int32Array(size); w2.set(this.view2); this.view2 = w2;
      const f2 = new Uint8Array(size); f2.set(this.flags); this.flags = f2;
      const u2 = new Uint16Array(size); u2.set(this.tunnels); this.tunnels = u2;
      const p2 = new Uint32Array(size); p2.set(this.payload); this.payload = p2;
      const d2 = new Uint8Array(size); d2.set(this.dir); this.dir = d2;
    }
    this.t[n] = t;
    this.len[n] = len;
    this.conn[n] = -1;
    this.view[n] = -1;
    this.view2[n] = -1;
    this.flags[n] = 0;
    this.tunnels[n] = 0;
    this.payload[n] = 0;
    this.dir[n] = 0;
    this.count = n + 1;
    return n;
  }
}

const LEG_NAMES = ['other TCP', 'client connection', 'upstream connection'];
export function legName(leg: number): string {
  return LEG_NAMES[leg] ?? `upstream connection (hop ${leg - 1})`;
}

/** Capture point names: the file's name, or each pcapng interface's name when a file holds several. */
export function pointNames(file: string, interfaces: readonly CaptureInterface[]): string[] {
  const base = (file.split(/[\\/]/).pop() ?? file).replace(/\.(pcapng|pcap|cap)$/i, '');
  if (interfaces.length <= 1) return [base];
  return interfaces.map((i) => i.description || i.name || `${base}#${i.id}`);
}

/** Measures a session (already read once by AnalysisSession.run) for the comparison. */
export async function profileSession(session: AnalysisSession, label: string, signal?: AbortSignal): Promise<TrafficProfile> {
  const sources = session.sources;
  const cfg = session.config;
  let baseSec = Infinity;
  let baseNsec = 0;
  let precision = 6;
  for (const c of session.captures) {
    if (!c.packets) continue;
    precision = Math.max(precision, c.precision);
    if (c.firstSec < baseSec || (c.firstSec === baseSec && c.firstNsec < baseNsec)) { baseSec = c.firstSec; baseNsec = c.firstNsec; }
  }
  if (!Number.isFinite(baseSec)) { baseSec = 0; baseNsec = 0; }
  const overlay = session.overlay();
  const corrected = overlay.clockState.corrected;

  const points: PointStats[] = [];
  const pointIndex = new Map<string, number>();
  /** One point per capture and interface; a name two captures share gets a number (the same file given twice is two points). */
  const pointOf = (name: string, key: string): number => {
    let i = pointIndex.get(key);
    if (i === undefined) {
      let shown = name;
      for (let k = 2; points.some((p) => p.name === shown); k++) shown = `${name} (${k})`;
      i = points.length;
      points.push({ name: shown, packets: 0, bytes: 0, wireSegments: 0 });
      pointIndex.set(key, i);
    }
    return i;
  };

  const p = new DecodedPacket();
  const h = new Hash2();
  const frameMap = new PairMap(4096);
  const frames = new FrameTable();
  const viewByTupleIsn = new PairMap(1024);
  const lastViewByTuple = new PairMap(1024);
  const obsMap = new PairMap(1024);
  const connByIsn = new PairMap(1024);
  const reqMap = new PairMap(1024);
  const retransSeen = new PairMap(256);
  const resetSeen = new PairMap(256);
  const retransAtPoint = new PairMap(256);
  const resetAtPoint = new PairMap(256);
  /**
   * A retransmission is counted at the capture point that saw it; the same
   * segment seen again at another point (or after NAT) is the same event: per
   * connection, direction and sequence number the count is the most any one
   * point saw.
   */
  const countRepeat = (atPoint: PairMap, global: PairMap, obsId: number, connId: number, dir: number, relSeq: number, _what: 'retrans'): void => {
    const n = atPoint.get(obsId * 2 + dir, relSeq) + 1 || 1;
    atPoint.set(obsId * 2 + dir, relSeq, n);
    const seen = global.get(connId * 2 + dir, relSeq);
    if (n > seen) { retransmissions += n - Math.max(0, seen); global.set(connId * 2 + dir, relSeq, n); }
  };
  const views: View[] = [];
  const conns: Conn[] = [];
  const obsList: Obs[] = [];
  const reqs: Req[] = [];
  let retransmissions = 0;
  let resets = 0;
  let packets = 0;
  let bytes = 0;
  let frameBytes = 0;
  let tunnelPackets = 0;
  let tunnelBytes = 0;
  let encapBytes = 0;
  let tunnelRequestCrossings = 0;
  const typePackets = new Float64Array(MAX_TUNNEL_TYPES);
  const typeBytes = new Float64Array(MAX_TUNNEL_TYPES);
  const typeEncap = new Float64Array(MAX_TUNNEL_TYPES);
  const typeCrossings = new Float64Array(MAX_TUNNEL_TYPES);
  let httpResponses = 0;
  let packetWireSegments = 0;
  let offloadFrames = 0;
  let largestFrame = 0;

  const newConn = (isn: number, hasSyn: boolean, t: number): Conn => {
    const c: Conn = { id: conns.length, isnClient: isn, hasSyn, isnKnown: hasSyn, isnServer: 0, hasServerIsn: false, synT: t, views: [], requests: 0, finEnd0: -1, finEnd1: -1, leg: 0,
      mssClient: -1, mssServer: -1, tsClient: false, tsServer: false, maxRegular0: 0, maxRegular1: 0, v6: false, tsSeen: false };
    conns.push(c);
    return c;
  };
  const newView = (conn: Conn, ni: number, clientIsSrc: boolean, t: number): View => {
    const v: View = {
      id: views.length, conn,
      clientKey: clientIsSrc ? ipKey(p, ni, true) : ipKey(p, ni, false),
      clientPort: clientIsSrc ? p.srcPort[ni]! : p.dstPort[ni]!,
      serverKey: clientIsSrc ? ipKey(p, ni, false) : ipKey(p, ni, true),
      serverPort: clientIsSrc ? p.dstPort[ni]! : p.srcPort[ni]!,
      clientIp: ipText(p, ni, clientIsSrc), serverIp: ipText(p, ni, !clientIsSrc), firstT: t,
    };
    views.push(v);
    conn.views.push(v);
    return v;
  };
  const newObs = (view: View, point: number, tk1: number, tk2: number): Obs => {
    const o: Obs = { id: obsList.length, view, point, synT: -1, synAckT: -1, maxEnd0: 0, maxEnd1: 0, cur: null, reqDir: 0 };
    obsList.push(o);
    obsMap.set(tk1 ^ Math.imul(point + 1, 0x27d4eb2d), tk2, obsList.length - 1);
    return o;
  };

  for (let ci = 0; ci < sources.length; ci++) {
    const src: ByteSource = sources[ci]!;
    const capture = session.captures[ci]!;
    const ifacePoint: number[] = [];
    const ifaceFcs: number[] = [];
    const ifaceOk: boolean[] = [];
    const names = pointNames(capture.file, capture.interfaces);
    // A single-interface name comes from the file; several interfaces are named as the file declares them.
    const multi = capture.interfaces.length > 1;
    // Points of the session's interfaces, including those the engine made (an SLL capture's
    // hops, src/pipeline/cooked-copies.ts): a packet's point is its interface in the session's index.
    if (multi) for (const iface of capture.interfaces) ifacePoint[iface.id] = pointOf(names[iface.id] ?? `${names[0]}#${iface.id}`, `${ci}/${iface.id}`);
    const index = capture.index;
    const indexed = index.count;
    const keep = session.options.packetFilter;
    let kept = 0;
    await readCapture(src, {
      onInterface(iface) {
        ifacePoint[iface.id] = pointOf(multi ? (names[iface.id] ?? `${names[0]}#${iface.id}`) : names[0]!, multi ? `${ci}/${iface.id}` : `${ci}`);
        ifaceFcs[iface.id] = iface.fcsLength;
        ifaceOk[iface.id] = linkTypeDecoded(iface.linkType);
      },
      onRecord(rec: PacketRecord, b: Uint8Array, start: number) {
        // A session opened with a display filter (--filter): only the packets it kept, which its index numbers in order.
        let at = rec.index;
        if (keep) {
          let cl = rec.capturedLength;
          const f = ifaceFcs[rec.interfaceId] ?? 0;
          if (f > 0 && rec.originalLength >= cl && cl >= f) cl -= f;
          const ok = ifaceOk[rec.interfaceId] === true;
          if (ok) decodePacket(p, b, start, cl, rec.linkType, cfg);
          if (!keep(ci, rec, b, start, cl, ok ? p : null)) return;
          at = kept++;
        }
        const point = ifacePoint[at < indexed ? index.iface(at) : rec.interfaceId] ?? pointOf(names[0]!, `${ci}`);
        const ps = points[point]!;
        ps.packets++;
        ps.bytes += rec.originalLength;
        packets++;
        bytes += rec.originalLength;
        // Wire segments: 1 here; a TCP super-packet adds the rest below, once its connection is known.
        ps.wireSegments++;
        packetWireSegments++;
        if (!ifaceOk[rec.interfaceId]) return;
        let caplen = rec.capturedLength;
        const fcs = ifaceFcs[rec.interfaceId] ?? 0;
        if (fcs > 0 && rec.originalLength >= caplen && caplen >= fcs) caplen -= fcs;
        decodePacket(p, b, start, caplen, rec.linkType, cfg);
        let t = (rec.tsSec - baseSec) + (rec.tsNsec - baseNsec) / 1e9;
        // On the reference host's clock (src/overlay/clock-state.ts): copies at two hosts stay within DUP_WINDOW_S.
        if (corrected) t -= overlay.correctionNs(ci, rec.interfaceId, rec.tsSec, rec.tsNsec) / 1e9;
        const ni = p.innermostNet();
        // --- the frame's fingerprint
        h.reset(0);
        if (ni >= 0) {
          // The sender's MAC (forwarding changes it, and it tells the hops apart): the innermost
          // Ethernet source, or a Linux cooked header's address (the same source MAC), so a
          // `tcpdump -i any` copy and a per-interface copy of one frame hash alike.
          // Only an Ethernet header at the packet's own tunnel depth: an IP-in-IP packet's outer
          // Ethernet belongs to the underlay hop, and the tunnel device (tunl0, raw IP) shows the
          // inner packet with no link address at all.
          const e = p.ethCount - 1;
          const depth = p.netDepth[ni]!;
          if (e >= 0 ? p.ethDepth[e] !== depth : depth > 0) {
            // no link address to hash
          } else if (e >= 0) {
            const m = e * 12 + 6;
            h.add((p.ethMac[m]! << 8) | p.ethMac[m + 1]!);
            h.add((p.ethMac[m + 2]! << 24) | (p.ethMac[m + 3]! << 16) | (p.ethMac[m + 4]! << 8) | p.ethMac[m + 5]!);
          } else {
            const at = cookedSourceMacAt(rec.linkType, b, start, caplen);
            if (at >= 0) {
              const m = start + at;
              h.add((b[m]! << 8) | b[m + 1]!);
              h.add((b[m + 2]! << 24) | (b[m + 3]! << 16) | (b[m + 4]! << 8) | b[m + 5]!);
            }
          }
          // Addresses and ports are left out on purpose: NAT rewrites them between two
          // copies of one frame on one link (br_netfilter DNATs before a cni0 capture
          // sees the frame), while forwarding changes the MACs and the TTL.
          h.add(p.ipId[ni]!);
          h.add((p.ipTtl[ni]! << 16) | (p.ipProto[ni]! << 8) | p.ipVersion[ni]!);
          h.add(p.ipLength[ni]!);
          h.add(p.tcpSeq[ni]!);
          h.add(p.tcpAck[ni]!);
          h.add((p.tcpFlags[ni]! << 16) ^ (p.payloadWireLength[ni]! & 0xffff));
          h.add(((p.icmpType[ni]! & 0xff) << 8) | (p.icmpCode[ni]! & 0xff));
          if (p.ipProto[ni] !== IPPROTO_TCP) {
            // UDP/ICMP have no sequence numbers: a few payload bytes (a DNS id) tell frames apart.
            const ps = start + p.payloadStart[ni]!;
            const pe = ps + Math.min(8, p.payloadLength[ni]!);
            for (let k = ps; k < pe; k++) h.add(b[k]!);
          }
        } else {
          const end = start + Math.min(caplen, 128);
          // Bytes past the frame's end (the next record's header in the chunk) are not part of it: 0.
          for (let k = start; k < end; k += 4) h.add((b[k]! << 24) | ((k + 1 < end ? b[k + 1]! : 0) << 16) | ((k + 2 < end ? b[k + 2]! : 0) << 8) | (k + 3 < end ? b[k + 3]! : 0));
          h.add(rec.originalLength);
        }
        const ha = h.a;
        const hb = h.b;
        let fid = frameMap.get(ha, hb);
        let unique = false;
        // The frame's length after its link header (a cooked header stands in for Ethernet's 14 bytes).
        const wireLen = rec.originalLength - cookedExtraBytes(rec.linkType, b, start, caplen);
        if (fid < 0 || Math.abs(t - frames.t[fid]!) > DUP_WINDOW_S) {
          fid = frames.add(t, rec.originalLength);
          frameMap.set(ha, hb, fid);
          unique = true;
          frameBytes += rec.originalLength;
          if (wireLen > REGULAR_FRAME) offloadFrames++;
          if (rec.originalLength > largestFrame) largestFrame = rec.originalLength;
        }
        // A frame crossed a tunnel when any of its copies was seen encapsulated (the
        // flannel.1 copy and the VXLAN packet are one transmission, whichever comes first).
        if (p.tunnelCount > 0) {
          let mask = 0;
          for (let k = 0; k < p.tunnelCount; k++) mask |= 1 << (p.tunnelType[k]! & (MAX_TUNNEL_TYPES - 1));
          const seen = frames.tunnels[fid]!;
          if ((mask & ~seen) !== 0) {
            // Sizes on the wire: a Linux cooked header (tcpdump -i any) stands in for the 14-byte Ethernet one.
            const extra = cookedExtraBytes(rec.linkType, b, start, caplen);
            const wire = rec.originalLength - extra;
            if (seen === 0) {
              frames.flags[fid]! |= F_TUNNEL;
              tunnelPackets++;
              tunnelBytes += wire;
            }
            // A type counts a frame once: at the first copy seen inside it, with that copy's levels of the type.
            for (let k = 0; k < p.tunnelCount; k++) {
              const tt = p.tunnelType[k]! & (MAX_TUNNEL_TYPES - 1);
              if (seen & (1 << tt)) continue;
              const over = tunnelLevelOverhead(p, k, extra);
              if (seen === 0) encapBytes += over;
              typeEncap[tt]! += over;
            }
            const fresh = mask & ~seen;
            for (let tt = 0; tt < MAX_TUNNEL_TYPES; tt++) if (fresh & (1 << tt)) { typePackets[tt]!++; typeBytes[tt]! += wire; }
            frames.tunnels[fid] = seen | mask;
          }
        }
        if (ni < 0 || p.ipProto[ni] !== IPPROTO_TCP || !p.l4Present[ni]) return;

        // --- TCP: which connection and view
        const flags = p.tcpFlags[ni]!;
        const syn = (flags & 0x02) !== 0;
        const ack = (flags & 0x10) !== 0;
        const fin = (flags & 0x01) !== 0;
        const rst = (flags & 0x04) !== 0;
        const seq = p.tcpSeq[ni]!;
        // A BIG TCP frame (over 64 KiB: IPv4 total length 0, "the frame is the packet") cut by the snap
        // length: its wire payload runs to the frame's original end, not the captured one.
        const payload = p.payloadWireLength[ni]! + (wireLen > BIG_TCP_FRAME && caplen < rec.originalLength ? rec.originalLength - caplen : 0);
        const sk = ipKey(p, ni, true);
        const dk = ipKey(p, ni, false);
        const sp = p.srcPort[ni]!;
        const dp = p.dstPort[ni]!;
        // Direction-independent tuple hash.
        const lo = sk < dk || (sk === dk && sp <= dp);
        h.reset(6);
        h.add(lo ? sk : dk); h.add(lo ? dk : sk); h.add(lo ? (sp << 16) | dp : (dp << 16) | sp);
        const tk1 = h.a;
        const tk2 = h.b;
        const obsKey1 = tk1 ^ Math.imul(point + 1, 0x27d4eb2d);
        const oi = obsMap.get(obsKey1, tk2);
        let obs: Obs | null = oi >= 0 ? obsList[oi]! : null;
        if (syn && !ack) {
          let vi = viewByTupleIsn.get(tk1 ^ seq, tk2);
          let view = vi >= 0 ? views[vi]! : null;
          if (view && Math.abs(t - view.firstT) > ISN_WINDOW_S) view = null;
          if (!view) {
            let c: Conn | null = null;
            const cid = connByIsn.get(seq, 0x5eed);
            if (cid >= 0 && Math.abs(t - conns[cid]!.synT) <= ISN_WINDOW_S) c = conns[cid]!;
            if (!c) { c = newConn(seq, true, t); connByIsn.set(seq, 0x5eed, c.id); }
            c.hasSyn = true;
            view = newView(c, ni, true, t);
            vi = view.id;
            viewByTupleIsn.set(tk1 ^ seq, tk2, vi);
            lastViewByTuple.set(tk1, tk2, vi);
          }
          view.conn.hasSyn = true;
          if (!obs || obs.view !== view) obs = newObs(view, point, tk1, tk2);
          // The same SYN again at the same point: the handshake was retransmitted.
          if (obs.synT < 0) obs.synT = t;
          else countRepeat(retransAtPoint, retransSeen, obs.id, view.conn.id, 0, 0, 'retrans');
          if (t < view.firstT) view.firstT = t;
        } else if (!obs && syn && ack) {
          // A SYN/ACK acknowledges the client's ISN + 1: it finds its connection even
          // where this point shows a translated tuple (a cni0 capture with
          // br_netfilter shows the request DNATed and the reply still from the ClusterIP).
          const isn = (p.tcpAck[ni]! - 1) >>> 0;
          let vi = viewByTupleIsn.get(tk1 ^ isn, tk2);
          let view = vi >= 0 ? views[vi]! : null;
          if (!view) {
            let c: Conn | null = null;
            const cid = connByIsn.get(isn, 0x5eed);
            if (cid >= 0 && Math.abs(t - conns[cid]!.synT) <= ISN_WINDOW_S) c = conns[cid]!;
            if (!c) { c = newConn(isn, false, t); c.isnKnown = true; connByIsn.set(isn, 0x5eed, c.id); }
            view = newView(c, ni, false, t);
            vi = view.id;
            viewByTupleIsn.set(tk1 ^ isn, tk2, vi);
            lastViewByTuple.set(tk1, tk2, vi);
          }
          obs = newObs(view, point, tk1, tk2);
        } else if (!obs) {
          const vi = lastViewByTuple.get(tk1, tk2);
          let view = vi >= 0 ? views[vi]! : null;
          if (!view) {
            // Mid-stream: the client is the side sending a request, else the higher port.
            const clientIsSrc = p.httpNet === ni && p.httpKind === 1 ? true : p.httpNet === ni && p.httpKind === 2 ? false : sp > dp;
            const c = newConn(0, false, t);
            view = newView(c, ni, clientIsSrc, t);
            lastViewByTuple.set(tk1, tk2, view.id);
          }
          obs = newObs(view, point, tk1, tk2);
        }
        const view = obs.view;
        const conn = view.conn;
        if (t < view.firstT) view.firstT = t;
        const dir = sk === view.clientKey && sp === view.clientPort ? 0 : 1;
        // Segment size evidence: the SYN's and SYN/ACK's MSS and timestamps, else regular-sized payloads.
        if (syn) {
          const mss = p.tcpMss[ni]!;
          if (dir === 0) {
            if (mss > 0 && (conn.mssClient < 0 || mss < conn.mssClient)) conn.mssClient = mss;
            if (p.tcpHasTs[ni]) conn.tsClient = true;
          } else {
            if (mss > 0 && (conn.mssServer < 0 || mss < conn.mssServer)) conn.mssServer = mss;
            if (p.tcpHasTs[ni]) conn.tsServer = true;
          }
        }
        if (p.ipVersion[ni] === 6) conn.v6 = true;
        if (payload > 0 && p.tcpHasTs[ni]) conn.tsSeen = true;
        if (payload > 0 && wireLen <= REGULAR_FRAME) {
          if (dir === 0) { if (payload > conn.maxRegular0) conn.maxRegular0 = payload; } else if (payload > conn.maxRegular1) conn.maxRegular1 = payload;
        }
        if (payload > 0) {
          const extra = wireSegmentsOf(conn, dir, payload) - 1;
          ps.wireSegments += extra;
          packetWireSegments += extra;
        }
        if (syn && ack) {
          if (!conn.hasServerIsn) { conn.isnServer = seq; conn.hasServerIsn = true; }
          if (obs.synAckT < 0) obs.synAckT = t;
          else if (seq === conn.isnServer) countRepeat(retransAtPoint, retransSeen, obs.id, conn.id, 1, 0, 'retrans');
        }
        const knownIsn = dir === 0 ? conn.isnKnown : conn.hasServerIsn;
        const relSeq = knownIsn ? (seq - (dir === 0 ? conn.isnClient : conn.isnServer)) >>> 0 : seq;
        const peerIsn = dir === 0 ? conn.hasServerIsn : conn.isnKnown;
        const relAck = peerIsn ? (p.tcpAck[ni]! - (dir === 0 ? conn.isnServer : conn.isnClient)) >>> 0 : -1;
        const segLen = payload + (syn ? 1 : 0) + (fin ? 1 : 0);
        // Retransmission: data below what this point already saw in that direction.
        if (segLen > 0 && knownIsn && !syn) {
          const maxEnd = dir === 0 ? obs.maxEnd0 : obs.maxEnd1;
          const end = relSeq + segLen;
          const keepAlive = payload <= 1 && !fin && relSeq + 1 === maxEnd;
          if (end <= maxEnd && !keepAlive) {
            countRepeat(retransAtPoint, retransSeen, obs.id, conn.id, dir, relSeq, 'retrans');
          } else if (end > maxEnd) {
            if (dir === 0) obs.maxEnd0 = end; else obs.maxEnd1 = end;
          }
        } else if (syn && knownIsn) {
          if (dir === 0) obs.maxEnd0 = Math.max(obs.maxEnd0, 1); else obs.maxEnd1 = Math.max(obs.maxEnd1, 1);
        }
        if (rst) {
          // Every RST counts, but a copy of one seen at another capture point does not.
          const n = resetAtPoint.get(obs.id * 2 + dir, relSeq) + 1 || 1;
          resetAtPoint.set(obs.id * 2 + dir, relSeq, n);
          const seen = resetSeen.get(conn.id * 2 + dir, relSeq);
          if (n > seen) { resets += n - Math.max(0, seen); resetSeen.set(conn.id * 2 + dir, relSeq, n); }
        }
        // Handshake/teardown frames (counted once per distinct frame).
        let control = syn || fin || rst;
        if (!control && payload === 0 && ack) {
          if (dir === 0 && relSeq === 1 && relAck === 1 && conn.isnKnown) control = true;
          const peerFin = dir === 0 ? conn.finEnd1 : conn.finEnd0;
          if (peerFin >= 0 && relAck === peerFin) control = true;
        }
        if (fin) {
          const e = knownIsn ? relSeq + payload + 1 : -1;
          if (dir === 0) conn.finEnd0 = e; else conn.finEnd1 = e;
        }
        // HTTP requests and their responses at this point.
        const isRequest = p.httpNet === ni && p.httpKind === 1 && payload > 0;
        if (isRequest) {
          let ri = reqMap.get(conn.id, relSeq);
          if (ri < 0) {
            ri = reqs.length;
            reqs.push({ id: ri, conn, relSeq, firstT: t, seen: [], responded: false });
            reqMap.set(conn.id, relSeq, ri);
            conn.requests++;
          }
          const req = reqs[ri]!;
          if (t < req.firstT) req.firstT = t;
          if (!obs.cur || obs.cur.req !== req) {
            const ro: ReqObs = { req, obs, tReq: t, tFirst: -1, tLast: -1 };
            req.seen.push(ro);
            obs.cur = ro;
            obs.reqDir = dir;
          }
        } else if (payload > 0 && obs.cur && dir !== obs.reqDir) {
          const ro = obs.cur;
          if (ro.tFirst < 0) ro.tFirst = t;
          ro.tLast = t;
          if (!ro.req.responded && p.httpNet === ni && p.httpKind === 2) { ro.req.responded = true; httpResponses++; }
        }
        if (unique) {
          frames.conn[fid] = conn.id;
          frames.view[fid] = view.id;
          frames.payload[fid] = payload;
          frames.dir[fid] = dir;
        } else if (frames.view[fid] !== view.id && frames.view2[fid]! < 0 && frames.conn[fid] === conn.id) {
          frames.view2[fid] = view.id;
        }
        if (control) frames.flags[fid]! |= F_CONTROL;
        if (isRequest) frames.flags[fid]! |= F_REQUEST;
      },
      onIssue() { /* issues were reported by the first pass */ },
    }, signal ? { signal } : {});
  }

  // --- legs: who is an HTTP server, who opened which connection
  const serverKeys = new Set<number>();
  for (const c of conns) if (c.requests > 0) for (const v of c.views) serverKeys.add(v.serverKey);
  const withRequests = conns.filter((c) => c.requests > 0);
  for (const c of withRequests) if (!c.views.some((v) => serverKeys.has(v.clientKey))) c.leg = 1;
  for (let leg = 1; leg < 8; leg++) {
    const servers = new Set<number>();
    for (const c of withRequests) if (c.leg === leg) for (const v of c.views) servers.add(v.serverKey);
    let any = false;
    for (const c of withRequests) {
      if (c.leg === 0 && c.views.some((v) => servers.has(v.clientKey))) { c.leg = leg + 1; any = true; }
    }
    if (!any) break;
  }
  for (const c of withRequests) if (c.leg === 0) c.leg = 1;
  for (const c of conns) c.views.sort((x, y) => x.firstT - y.firstT);

  // --- per-connection frame counts and hops
  const connFrames = new Float64Array(conns.length);
  // Wire segments, from each connection's segment size as known at the end.
  let wireSegments = 0;
  let requestWireSegments = 0;
  let requestDataSegments = 0;
  for (let f = 0; f < frames.count; f++) {
    const cid = frames.conn[f]!;
    const n = cid >= 0 ? wireSegmentsOf(conns[cid]!, frames.dir[f]!, frames.payload[f]!) : 1;
    wireSegments += n;
    if (cid >= 0 && conns[cid]!.leg >= 1) {
      requestWireSegments += n;
      if (frames.payload[f]! > 0) requestDataSegments += n;
    }
  }
  const connControl = new Float64Array(conns.length);
  const hopFrames = new Map<string, number>();
  for (let f = 0; f < frames.count; f++) {
    const tmask = frames.tunnels[f]!;
    if ((frames.flags[f]! & (F_TUNNEL | F_REQUEST)) === (F_TUNNEL | F_REQUEST)) {
      tunnelRequestCrossings++;
      for (let tt = 0; tt < MAX_TUNNEL_TYPES; tt++) if (tmask & (1 << tt)) typeCrossings[tt]!++;
    }
    const cid = frames.conn[f]!;
    const tunnel = (frames.flags[f]! & F_TUNNEL) !== 0;
    const inTunnel = tunnel ? `in ${maskNames(tmask)}` : '';
    let hop: string;
    if (cid >= 0) {
      const c = conns[cid]!;
      connFrames[cid]!++;
      if (frames.flags[f]! & F_CONTROL) connControl[cid]!++;
      // The frame's earliest view (copies may show it before and after a translation).
      let vi = c.views.indexOf(views[frames.view[f]!]!);
      if (frames.view2[f]! >= 0) vi = Math.min(vi, c.views.indexOf(views[frames.view2[f]!]!));
      const where = tunnel ? inTunnel : c.views.length < 2 ? 'direct' : vi === 0 ? 'before NAT' : 'after NAT';
      hop = `${legName(c.leg)} · ${where}`;
    } else {
      hop = tunnel ? `other traffic · ${inTunnel}` : 'other traffic';
    }
    hopFrames.set(hop, (hopFrames.get(hop) ?? 0) + 1);
  }
  const hopOrder = (s: string): number => {
    const leg = s.startsWith('client') ? 1 : s.startsWith('upstream connection (hop') ? 3 : s.startsWith('upstream') ? 2 : s.startsWith('other TCP') ? 8 : 9;
    const where = s.endsWith('before NAT') || s.endsWith('direct') ? 0 : s.includes(' · in ') ? 1 : 2;
    return leg * 10 + where;
  };
  const hops = [...hopFrames].map(([hop, n]) => ({ hop, frames: n })).sort((x, y) => hopOrder(x.hop) - hopOrder(y.hop) || x.hop.localeCompare(y.hop));

  // --- legs summary
  const legs: LegSummary[] = [];
  const maxLeg = conns.reduce((m, c) => Math.max(m, c.leg), 0);
  for (let leg = 1; leg <= maxLeg; leg++) {
    const cs = conns.filter((c) => c.leg === leg);
    if (!cs.length) continue;
    let translations = 0;
    let example: string | null = null;
    for (const c of cs) {
      const distinct = distinctViews(c.views);
      translations += distinct.length - 1;
      if (!example && distinct.length > 1) example = distinct.map((v) => `${ep(v.clientIp, v.clientPort)} → ${ep(v.serverIp, v.serverPort)}`).join(' ⇒ ');
    }
    legs.push({
      leg, name: legName(leg),
      connectionsOpened: cs.filter((c) => c.hasSyn).length,
      connections: cs.length,
      requests: cs.reduce((a, c) => a + c.requests, 0),
      reusedRequests: cs.reduce((a, c) => a + Math.max(0, c.requests - (c.hasSyn ? 1 : 0)), 0),
      controlFrames: cs.reduce((a, c) => a + connControl[c.id]!, 0),
      frames: cs.reduce((a, c) => a + connFrames[c.id]!, 0),
      translations,
      translationExample: example,
    });
  }

  // --- connections to Services, with and without a visible DNAT (with metadata)
  let serviceConnections: TrafficProfile['serviceConnections'] = null;
  const resolver = overlay.resolver;
  if (resolver) {
    serviceConnections = { dnat: 0, direct: 0 };
    for (const c of conns) {
      const vs = distinctViews(c.views);
      if (vs.some((v) => resolver.serviceAt(v.serverIp, v.serverPort))) serviceConnections.dnat++;
      else if (vs.some((v) => resolver.servicesServedBy(v.serverIp, v.serverPort).length > 0)) serviceConnections.direct++;
    }
  }

  // --- per-request timing (client requests)
  const firstReqOfConn = new Map<number, number>();
  for (const r of reqs) {
    const prev = firstReqOfConn.get(r.conn.id);
    if (prev === undefined || r.relSeq < reqs[prev]!.relSeq) firstReqOfConn.set(r.conn.id, r.id);
  }
  const clientReqs = reqs.filter((r) => r.conn.leg === 1).sort((x, y) => x.firstT - y.firstT);
  const requestList: RequestTiming[] = clientReqs.map((r, k) => {
    let best: ReqObs | null = null;
    for (const s of r.seen) if (!best || s.tReq < best.tReq) best = s;
    const isNew = firstReqOfConn.get(r.conn.id) === r.id && r.conn.hasSyn;
    const o = best?.obs;
    return {
      n: k + 1,
      t: r.firstT,
      point: best ? points[best.obs.point]!.name : '',
      ttfbMs: best && best.tFirst >= 0 ? round3((best.tFirst - best.tReq) * 1000) : null,
      totalMs: best && best.tLast >= 0 ? round3((best.tLast - best.tReq) * 1000) : null,
      handshakeMs: isNew && o && o.synT >= 0 && o.synAckT >= o.synT ? round3((o.synAckT - o.synT) * 1000) : null,
      newConnection: isNew,
    };
  });

  // --- timeline of distinct frames
  let lastT = 0;
  for (let f = 0; f < frames.count; f++) if (frames.t[f]! > lastT) lastT = frames.t[f]!;
  const bucketSec = niceBucket(lastT, 100);
  const nb = Math.max(1, Math.min(1000, Math.floor(lastT / bucketSec) + 1));
  const tl = new Array<number>(nb).fill(0);
  for (let f = 0; f < frames.count; f++) tl[Math.min(nb - 1, Math.max(0, Math.floor(frames.t[f]! / bucketSec)))]!++;

  const connections: ConnectionSummary[] = conns.map((c) => ({
    id: c.id, leg: c.leg, opened: c.hasSyn, requests: c.requests,
    views: distinctViews(c.views).map((v) => ({ client: { ip: v.clientIp, port: v.clientPort }, server: { ip: v.serverIp, port: v.serverPort }, firstTime: round6(v.firstT) })),
    controlFrames: connControl[c.id]!, frames: connFrames[c.id]!,
  }));

  return {
    label,
    files: session.captures.map((c) => c.file),
    points,
    packets,
    bytes,
    frames: frames.count,
    requestFrames: legs.reduce((a, l) => a + l.frames, 0),
    requestWireSegments,
    requestDataSegments,
    wireSegments,
    packetWireSegments,
    offloadFrames,
    largestFrame,
    frameBytes,
    requests: clientReqs.length,
    httpRequests: reqs.filter((r) => r.conn.leg >= 1).length,
    httpResponses,
    tcpConnections: conns.length,
    tcpConnectionsOpened: conns.filter((c) => c.hasSyn).length,
    legs,
    connections,
    tunnelPackets,
    tunnelBytes,
    encapsulationBytes: encapBytes,
    tunnelRequestCrossings,
    tunnels: tunnelProfiles(typePackets, typeBytes, typeEncap, typeCrossings),
    serviceConnections,
    hops,
    requestList,
    retransmissions,
    resets,
    timeline: { bucketSec, frames: tl },
    firstTime: packets ? formatTime(baseSec, baseNsec, precision) : null,
    durationSec: round6(lastT),
  };
}

/** `VXLAN`, or `ERSPAN/VXLAN` for a frame seen inside several tunnel types (in type id order). */
function maskNames(mask: number): string {
  const out: string[] = [];
  for (let tt = 0; tt < MAX_TUNNEL_TYPES; tt++) if (mask & (1 << tt)) out.push(tunnelTypeName(tt).name);
  return out.join('/');
}

function tunnelProfiles(packets: Float64Array, bytes: Float64Array, encap: Float64Array, crossings: Float64Array): TunnelTypeProfile[] {
  const out: TunnelTypeProfile[] = [];
  for (let tt = 0; tt < MAX_TUNNEL_TYPES; tt++) {
    if (!packets[tt]) continue;
    out.push({ ...tunnelTypeName(tt), packets: packets[tt]!, bytes: bytes[tt]!, encapsulationBytes: encap[tt]!, requestCrossings: crossings[tt]! });
  }
  return out;
}

/** Views that differ in their addresses (the same tuple seen again is not a translation). */
function distinctViews(vs: readonly View[]): View[] {
  const seen = new Set<string>();
  const out: View[] = [];
  for (const v of vs) {
    const k = `${v.clientIp}|${v.clientPort}|${v.serverIp}|${v.serverPort}`;
    if (!seen.has(k)) { seen.add(k); out.push(v); }
  }
  return out;
}

function ep(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function ipText(p: DecodedPacket, ni: number, src: boolean): string {
  return ipToString(p.ipVersion[ni]!, src ? p.ipSrc : p.ipDst, ni * 4);
}

/** A number for an address: the IPv4 word, or the IPv6 words folded (only used to match endpoints). */
function ipKey(p: DecodedPacket, ni: number, src: boolean): number {
  const a = src ? p.ipSrc : p.ipDst;
  const w = ni * 4;
  if (p.ipVersion[ni] !== 6) return a[w]!;
  return (Math.imul(a[w]! ^ 0x9e3779b9, 31) ^ Math.imul(a[w + 1]!, 17) ^ Math.imul(a[w + 2]!, 13) ^ a[w + 3]!) >>> 0 | 0x1;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A bucket width (1, 2, 5 × 10^k seconds) giving at most `max` buckets. */
export function niceBucket(span: number, max: number): number {
  if (!(span > 0)) return 1;
  const raw = span / max;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
