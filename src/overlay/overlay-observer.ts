/**
 * The overlay observer: sees every decoded packet of every capture of a
 * session and keeps what the overlay analysis needs, in growable typed
 * columns (no object per packet):
 *
 * - one row per packet whose innermost (not ICMP-quoted) level is TCP or UDP:
 *   where it was seen (capture point, depth, tunnel outer addresses and VNI),
 *   its addresses and ports, TCP seq/ack/flags, IP id, payload length and a
 *   digest of the payload. Addresses and ports change under NAT; seq, ack, IP
 *   id and payload do not, which is what stitching across capture points uses.
 * - per tunnel packet: the VTEP (outer) addresses, inner MACs and VNIs, and
 *   the inner sources behind each VTEP, in maps keyed by numbers.
 *
 * HTTP request lines are parsed here (the bytes are only valid during
 * `observe`); that allocates a few strings per HTTP request packet, not per
 * packet.
 */
import type { PacketObserver } from '../engine/analyze.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../dissect/layers.js';

/** Bytes of payload hashed into the digest (bounded cost per packet). */
const DIGEST_BYTES = 512;

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
  /** Inner IPv4 source -> packets seen behind this VTEP (sent by it). */
  innerSources: Map<number, number>;
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
  innerFlows: Set<number>;
  /** Capture point id -> packets seen there (copies included). */
  seenAt: Map<number, number>;
}

const GROW = 4096;

export class OverlayObserver implements PacketObserver {
  // ---- packet rows -------------------------------------------------------
  count = 0;
  /** Capture point id (see `pointOf`). */
  point = new Uint16Array(GROW);
  capture = new Uint16Array(GROW);
  packet = new Uint32Array(GROW);
  tSec = new Float64Array(GROW);
  tNsec = new Uint32Array(GROW);
  depth = new Uint8Array(GROW);
  ver = new Uint8Array(GROW);
  /** 4 words per row (IPv4 uses word 0). */
  src = new Uint32Array(GROW * 4);
  dst = new Uint32Array(GROW * 4);
  sport = new Uint16Array(GROW);
  dport = new Uint16Array(GROW);
  proto = new Uint8Array(GROW);
  flags = new Uint16Array(GROW);
  seq = new Uint32Array(GROW);
  ack = new Uint32Array(GROW);
  ipId = new Uint32Array(GROW);
  payLen = new Uint32Array(GROW);
  digest = new Uint32Array(GROW);
  frameLen = new Uint32Array(GROW);
  /** Outer IPv4 of the innermost tunnel (0 when none or IPv6). */
  outerSrc = new Uint32Array(GROW);
  outerDst = new Uint32Array(GROW);
  /** VNI of the innermost tunnel, -1 none. */
  vni = new Int32Array(GROW);
  tunType = new Uint8Array(GROW);
  /** 0 none, 1 HTTP request, 2 HTTP response. */
  http = new Uint8Array(GROW);
  /** HTTP status of response rows (0 otherwise). */
  status = new Uint16Array(GROW);
  /** Parsed request lines, by row. */
  readonly requests = new Map<number, HttpRequestLine>();

  // ---- capture points -----------------------------------------------------
  /** (capture << 16 | interface) -> point id. */
  private readonly pointIds = new Map<number, number>();
  /** Point id -> [capture, interface]. */
  readonly points: Array<{ capture: number; iface: number }> = [];

  // ---- tunnels -------------------------------------------------------------
  readonly vteps = new Map<number, VtepFacts>();
  readonly tunnels = new Map<number, TunnelCounters>();
  /** Tunnel packet fingerprint -> point id that saw it first (for dedup). */
  private readonly tunnelSeen = new Map<number, number>();
  tunnelPackets = 0;

  /** `ifaceOf(capture, packet)`: the interface a packet was captured on (from the packet index). */
  constructor(private readonly ifaceOf: (capture: number, packet: number) => number = () => 0) {}

  pointOf(capture: number, iface: number): number {
    const k = capture * 65536 + iface;
    let id = this.pointIds.get(k);
    if (id === undefined) {
      id = this.points.length;
      this.points.push({ capture, iface });
      this.pointIds.set(k, id);
    }
    return id;
  }

  observe(capture: number, packet: number, p: DecodedPacket, b: Uint8Array, base: number, tsSec: number, tsNsec: number, frameLen: number): void {
    const pt = this.pointOf(capture, this.ifaceOf(capture, packet));
    if (p.tunnelCount > 0) this.observeTunnel(pt, p, b, base, frameLen);
    const i = p.innermostNet();
    if (i < 0 || p.l4Present[i] === 0) return;
    const proto = p.ipProto[i]!;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return;
    // The VXLAN/Geneve packet itself is described by its tunnel; its row is the inner packet.
    const n = this.count;
    if (n === this.point.length) this.grow();
    this.point[n] = pt;
    this.capture[n] = capture;
    this.packet[n] = packet;
    this.tSec[n] = tsSec;
    this.tNsec[n] = tsNsec;
    this.depth[n] = p.netDepth[i]!;
    const v = p.ipVersion[i]!;
    this.ver[n] = v;
    for (let w = 0; w < 4; w++) {
      this.src[n * 4 + w] = p.ipSrc[i * 4 + w]!;
      this.dst[n * 4 + w] = p.ipDst[i * 4 + w]!;
    }
    this.sport[n] = p.srcPort[i]!;
    this.dport[n] = p.dstPort[i]!;
    this.proto[n] = proto;
    this.flags[n] = proto === IPPROTO_TCP ? p.tcpFlags[i]! : 0;
    this.seq[n] = p.tcpSeq[i]!;
    this.ack[n] = p.tcpAck[i]!;
    this.ipId[n] = p.ipId[i]!;
    this.payLen[n] = p.payloadWireLength[i]!;
    this.digest[n] = digestOf(b, base + p.payloadStart[i]!, p.payloadLength[i]!);
    this.frameLen[n] = frameLen;
    const t = p.tunnelCount - 1;
    if (t >= 0 && p.netDepth[i]! > 0) {
      const on = p.tunnelNet[t]!;
      this.outerSrc[n] = p.ipVersion[on] === 4 ? p.ipSrc[on * 4]! : 0;
      this.outerDst[n] = p.ipVersion[on] === 4 ? p.ipDst[on * 4]! : 0;
      this.vni[n] = p.tunnelVni[t]!;
      this.tunType[n] = p.tunnelType[t]!;
    } else {
      this.outerSrc[n] = 0;
      this.outerDst[n] = 0;
      this.vni[n] = -1;
      this.tunType[n] = 0;
    }
    this.http[n] = 0;
    this.status[n] = 0;
    if (p.httpNet === i && proto === IPPROTO_TCP) {
      this.http[n] = p.httpKind;
      const off = base + p.payloadStart[i]!;
      const len = p.payloadLength[i]!;
      if (p.httpKind === 1) {
        const r = parseRequestHead(b, off, len);
        if (r) this.requests.set(n, r);
      } else if (p.httpKind === 2 && len >= 12) {
        this.status[n] = (b[off + 9]! - 48) * 100 + (b[off + 10]! - 48) * 10 + (b[off + 11]! - 48);
      }
    }
    this.count = n + 1;
  }

  private observeTunnel(pt: number, p: DecodedPacket, b: Uint8Array, base: number, frameLen: number): void {
    this.tunnelPackets++;
    // The outermost tunnel is the node-to-node hop.
    const on = p.tunnelNet[0]!;
    if (p.ipVersion[on] !== 4) return;
    const os = p.ipSrc[on * 4]!;
    const od = p.ipDst[on * 4]!;
    const type = p.tunnelType[0]!;
    const vni = p.tunnelVni[0]!;
    // Inner Ethernet (depth 1): src MAC is the sending VTEP's, dst the receiver's.
    let innerEth = -1;
    for (let e = 0; e < p.ethCount; e++) if (p.ethDepth[e] === 1) { innerEth = e; break; }
    // The first inner network level.
    let inner = -1;
    for (let k = 0; k < p.netCount; k++) if (p.netDepth[k] === 1 && p.netQuoted[k] === 0) { inner = k; break; }
    const sv = this.vtep(os);
    const dv = this.vtep(od);
    sv.packets++;
    dv.packets++;
    sv.vnis.add(vni); dv.vnis.add(vni);
    sv.types.add(type); dv.types.add(type);
    if (innerEth >= 0) {
      const m = innerEth * 12;
      sv.macs.add(macNumber(p.ethMac, m + 6));
      dv.macs.add(macNumber(p.ethMac, m));
    }
    let innerKey = 0;
    let fp = (os ^ Math.imul(od, 0x9e3779b1) ^ Math.imul(vni + 1, 0x85ebca6b)) >>> 0;
    if (inner >= 0 && p.ipVersion[inner] === 4) {
      const is = p.ipSrc[inner * 4]!;
      const id = p.ipDst[inner * 4]!;
      sv.innerSources.set(is, (sv.innerSources.get(is) ?? 0) + 1);
      innerKey = mix(mix(mix(is, id), (p.srcPort[inner]! << 16) | p.dstPort[inner]!), p.ipProto[inner]!);
      fp = mix(mix(mix(mix(fp, innerKey), p.ipId[inner]!), p.tcpSeq[inner]!), p.tcpAck[inner]!);
      fp = mix(fp, digestOf(b, base + p.payloadStart[inner]!, p.payloadLength[inner]!));
    } else {
      fp = mix(fp, p.ipId[on]!);
    }
    const key = mix(mix(mix(mix(0x811c9dc5, os), od), type), vni);
    let c = this.tunnels.get(key);
    if (!c) {
      c = { src: os, dst: od, type, vni, packets: 0, bytes: 0, overheadBytes: 0, innerFlows: new Set(), seenAt: new Map() };
      this.tunnels.set(key, c);
    }
    c.seenAt.set(pt, (c.seenAt.get(pt) ?? 0) + 1);
    // The same transmission captured at both ends counts once.
    const seenBy = this.tunnelSeen.get(fp);
    if (seenBy !== undefined && seenBy !== pt) return;
    this.tunnelSeen.set(fp, pt);
    c.packets++;
    c.bytes += frameLen;
    c.overheadBytes += p.tunnelInner[0]!;
    if (innerKey !== 0) c.innerFlows.add(innerKey);
  }

  private vtep(ip: number): VtepFacts {
    let v = this.vteps.get(ip);
    if (!v) {
      v = { ip, macs: new Set(), vnis: new Set(), types: new Set(), innerSources: new Map(), packets: 0 };
      this.vteps.set(ip, v);
    }
    return v;
  }

  private grow(): void {
    const n = this.point.length * 2;
    const g = <T extends { length: number; set(a: ArrayLike<number>): void }>(a: T, ctor: new (n: number) => T, k = 1): T => {
      const x = new ctor(n * k);
      x.set(a);
      return x;
    };
    this.point = g(this.point, Uint16Array);
    this.capture = g(this.capture, Uint16Array);
    this.packet = g(this.packet, Uint32Array);
    this.tSec = g(this.tSec, Float64Array);
    this.tNsec = g(this.tNsec, Uint32Array);
    this.depth = g(this.depth, Uint8Array);
    this.ver = g(this.ver, Uint8Array);
    this.src = g(this.src, Uint32Array, 4);
    this.dst = g(this.dst, Uint32Array, 4);
    this.sport = g(this.sport, Uint16Array);
    this.dport = g(this.dport, Uint16Array);
    this.proto = g(this.proto, Uint8Array);
    this.flags = g(this.flags, Uint16Array);
    this.seq = g(this.seq, Uint32Array);
    this.ack = g(this.ack, Uint32Array);
    this.ipId = g(this.ipId, Uint32Array);
    this.payLen = g(this.payLen, Uint32Array);
    this.digest = g(this.digest, Uint32Array);
    this.frameLen = g(this.frameLen, Uint32Array);
    this.outerSrc = g(this.outerSrc, Uint32Array);
    this.outerDst = g(this.outerDst, Uint32Array);
    this.vni = g(this.vni, Int32Array);
    this.tunType = g(this.tunType, Uint8Array);
    this.http = g(this.http, Uint8Array);
    this.status = g(this.status, Uint16Array);
  }

  /** Row time in ns relative to `baseSec` (exact to the ns within ~104 days). */
  timeNs(row: number, baseSec: number): number {
    return (this.tSec[row]! - baseSec) * 1e9 + this.tNsec[row]!;
  }
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

/** Request line and the Host / X-Request-ID headers of an HTTP/1.x request head (Latin-1). */
export function parseRequestHead(b: Uint8Array, off: number, len: number): HttpRequestLine | null {
  const n = Math.min(len, MAX_HEAD);
  let text = '';
  for (let k = 0; k < n; k++) text += String.fromCharCode(b[off + k]!);
  const lines = text.split('\r\n');
  const first = lines[0]!.split(' ');
  if (first.length < 2) return null;
  let host: string | null = null;
  let requestId: string | null = null;
  for (let k = 1; k < lines.length; k++) {
    const l = lines[k]!;
    if (l === '') break;
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const name = l.slice(0, c).trim().toLowerCase();
    if (name === 'host') host = l.slice(c + 1).trim();
    else if (name === 'x-request-id') requestId = l.slice(c + 1).trim();
  }
  return { method: first[0]!, uri: first[1]!, host, requestId };
}
