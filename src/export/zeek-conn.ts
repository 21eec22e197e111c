/**
 * Zeek's conn.log from an analysis: one row per flow at every depth and
 * capture point (as Zeek run on each capture point would log it), as TSV with
 * Zeek's header lines or as Zeek's JSON lines. Field semantics follow
 * `scripts/base/protocols/conn/main.zeek` (zeek/zeek):
 *
 * - orig: the sender of the flow's first packet; of a first SYN/ACK, its
 *   receiver (history starts with `^`, as Zeek flips such a connection).
 * - conn_state: Zeek's `conn_state()` over each endpoint's TCP state
 *   (inactive, SYN sent, SYN/ACK sent, partial, established, closed, reset);
 *   UDP SF/S0/SHR; other protocols OTH.
 * - history: `s h a d f r` once per direction (Zeek repeats s/h/f/r when the
 *   sequence number differs: not here), `t w g` logarithmically (1, 10, 100,
 *   ... times), `q i`, upper case from the originator; UDP `d`.
 * - orig_bytes/resp_bytes: TCP payload by sequence space (gaps included, as
 *   Zeek's), UDP/ICMP payload; with duration, unset when the duration is 0.
 * - missed_bytes: sequence gaps; *_ip_bytes: IP total lengths.
 * - tunnel_parents: the uids of the tunnel flows that carried an inner flow.
 * - local_orig/local_resp: unset (no Site::local_nets).
 *
 * Per-packet facts come from `ZeekConnObserver`, an analysis observer run
 * after the flow tracker (it reads the packet's innermost and outermost flow
 * from the packet index). A flow between those two (a tunnel inside a
 * tunnel) has no per-packet facts: its row is made from the flow's counters
 * (orig = A, history and ip bytes unset).
 */
import type { CaptureResult, PacketObserver } from '../pipeline/analyze.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import type { PacketIndex } from '../pipeline/packet-index.js';
import { ipToString } from '../dissect/addr.js';
import { TUNNEL_NAMES } from '../dissect/layers.js';
import { flowCommunityId, tunnelLinks, type FlowContext } from '../flows/flow-output.js';
import { sha1 } from '../flows/sha1.js';

const TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58;
const F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_ACK = 0x10;

/** Zeek's TCP endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h). */
const enum Ep { Inactive = 0, SynSent, SynAckSent, Partial, Established, Closed, Reset }

/** History letters kept once per direction: bit per letter. */
const ONCE = { s: 1, h: 2, a: 4, d: 8, f: 16, r: 32, q: 64, i: 128 } as const;

function grow<T extends Float64Array | Uint32Array | Uint8Array | Int16Array>(a: T, n: number): T {
  if (a.length >= n) return a;
  let c = Math.max(1024, a.length);
  while (c < n) c *= 2;
  const b = new (a.constructor as new (n: number) => T)(c);
  b.set(a);
  return b;
}

/** Sequence comparison modulo 2^32 (RFC 9293 3.4): a - b as a signed 32-bit number. */
const seqDiff = (a: number, b: number): number => (a - b) | 0;

/** Per-packet facts for conn.log, per flow id (struct of arrays). */
export class ZeekConnObserver implements PacketObserver {
  private index: PacketIndex | null = null;
  private capacity = 0;
  /** 1 once a packet of the flow was seen here. */
  seen = new Uint8Array(0);
  /** The originator's address (4 words) and port. */
  origAddr = new Uint32Array(0);
  origPort = new Uint32Array(0);
  /** Per direction (2*f + 0 orig, + 1 resp). */
  pkts = new Float64Array(0);
  ipBytes = new Float64Array(0);
  size = new Float64Array(0);
  state = new Uint8Array(0);
  once = new Uint8Array(0);
  retrans = new Float64Array(0);
  zeroWin = new Float64Array(0);
  gaps = new Float64Array(0);
  seqSet = new Uint8Array(0);
  nextSeq = new Uint32Array(0);
  missed = new Float64Array(0);
  icmpType = new Int16Array(0);
  icmpCode = new Int16Array(0);
  history: string[] = [];

  beginCapture(result: CaptureResult): void { this.index = result.index; }
  endCapture(): void { this.index = null; }

  private ensure(f: number): void {
    if (f < this.capacity) return;
    const n = f + 1;
    this.seen = grow(this.seen, n);
    this.origAddr = grow(this.origAddr, 4 * n);
    this.origPort = grow(this.origPort, n);
    this.missed = grow(this.missed, n);
    this.icmpType = grow(this.icmpType, n);
    this.icmpCode = grow(this.icmpCode, n);
    for (const k of ['pkts', 'ipBytes', 'size', 'retrans', 'zeroWin', 'gaps'] as const) this[k] = grow(this[k], 2 * n);
    this.state = grow(this.state, 2 * n);
    this.once = grow(this.once, 2 * n);
    this.seqSet = grow(this.seqSet, 2 * n);
    this.nextSeq = grow(this.nextSeq, 2 * n);
    this.capacity = this.seen.length;
  }

  observe(_capture: number, packet: number, p: DecodedPacket): void {
    const idx = this.index;
    if (!idx) return;
    const inner = idx.flowId[packet] ?? -1;
    if (inner < 0) return;
    const outer = idx.outerFlowId[packet] ?? -1;
    // The levels the flow tracker gave flows (flow-tracker.ts): not quoted, TCP/UDP with their header.
    let first = -1, last = -1;
    for (let i = 0; i < p.netCount; i++) {
      if (p.netQuoted[i] !== 0) continue;
      const proto = p.ipProto[i]!;
      if ((proto === TCP || proto === UDP) && p.l4Present[i] === 0) continue;
      if (first < 0) first = i;
      last = i;
    }
    if (last < 0) return;
    this.level(inner, p, last);
    if (outer >= 0 && outer !== inner && first !== last) this.level(outer, p, first);
  }

  private letter(f: number, d: number, l: string): void {
    this.history[f] = (this.history[f] ?? '') + (d === 0 ? l.toUpperCase() : l);
  }

  private onceLetter(f: number, d: number, bit: number, l: string): void {
    const k = 2 * f + d;
    if (this.once[k]! & bit) return;
    this.once[k]! |= bit;
    this.letter(f, d, l);
  }

  /** Zeek's logarithmic letters: at the 1st, 10th, 100th, ... event. */
  private countLetter(arr: Float64Array, f: number, d: number, l: string): void {
    const k = 2 * f + d;
    const n = ++arr[k]!;
    if (n === 1 || n === 10 || n === 100 || n === 1000 || n === 10000 || n === 100000 || n === 1e6) this.letter(f, d, l);
  }

  private level(f: number, p: DecodedPacket, i: number): void {
    this.ensure(f);
    const proto = p.ipProto[i]!;
    const w = 4 * i;
    const flags = proto === TCP ? p.tcpFlags[i]! : 0;
    if (!this.seen[f]) {
      this.seen[f] = 1;
      // A first SYN/ACK: its receiver is the originator (Zeek flips the connection).
      const flip = proto === TCP && (flags & (F_SYN | F_ACK)) === (F_SYN | F_ACK);
      const a = flip ? p.ipDst : p.ipSrc;
      for (let k = 0; k < 4; k++) this.origAddr[4 * f + k] = p.ipVersion[i] === 4 && k > 0 ? 0 : a[w + k]!;
      this.origPort[f] = flip ? p.dstPort[i]! : p.srcPort[i]!;
      if (flip) this.history[f] = '^';
      if (proto === ICMP || proto === ICMPV6) { this.icmpType[f] = p.icmpType[i]!; this.icmpCode[f] = p.icmpCode[i]!; }
    }
    let d = 0;
    const words = p.ipVersion[i] === 4 ? 1 : 4;
    for (let k = 0; k < words; k++) if ((p.ipSrc[w + k]! >>> 0) !== this.origAddr[4 * f + k]) { d = 1; break; }
    if (d === 0 && (proto === TCP || proto === UDP) && p.srcPort[i] !== this.origPort[f]) d = 1;
    // Same address and port both ways (a flow to itself): the destination tells.
    const k = 2 * f + d;
    this.pkts[k]!++;
    this.ipBytes[k]! += p.ipLength[i]!;
    const len = Math.max(0, p.payloadWireLength[i]!);
    if (proto === TCP) this.tcp(f, d, flags, p.tcpSeq[i]!, len, p.tcpWindow[i]!);
    else {
      if (proto === UDP && len > 0) this.onceLetter(f, d, ONCE.d, 'd');
      this.size[k]! += len;
      if (proto === UDP) this.state[k] = Ep.Established; // UDP_ACTIVE
    }
  }

  private tcp(f: number, d: number, flags: number, seq: number, len: number, window: number): void {
    const k = 2 * f + d, peer = 2 * f + 1 - d;
    const syn = (flags & F_SYN) !== 0, ack = (flags & F_ACK) !== 0, fin = (flags & F_FIN) !== 0, rst = (flags & F_RST) !== 0;
    if (syn && (fin || rst)) this.onceLetter(f, d, ONCE.q, 'q');
    if (fin && rst) this.onceLetter(f, d, ONCE.i, 'i');
    if (syn && !ack) this.onceLetter(f, d, ONCE.s, 's');
    if (syn && ack) this.onceLetter(f, d, ONCE.h, 'h');
    if (len > 0) this.onceLetter(f, d, ONCE.d, 'd');
    if (ack && !syn && !fin && !rst && len === 0) this.onceLetter(f, d, ONCE.a, 'a');
    if (fin) this.onceLetter(f, d, ONCE.f, 'f');
    if (rst) this.onceLetter(f, d, ONCE.r, 'r');
    if (window === 0 && !rst && !syn) this.countLetter(this.zeroWin, f, d, 'w');
    // Sequence space: payload bytes, gaps, retransmissions.
    if (syn) {
      if (!this.seqSet[k]) { this.seqSet[k] = 1; this.nextSeq[k] = (seq + 1) >>> 0; }
    } else if (len > 0) {
      if (!this.seqSet[k]) { this.seqSet[k] = 1; this.nextSeq[k] = seq; }
      const next = this.nextSeq[k]!;
      const gap = seqDiff(seq, next);
      if (gap > 0) { this.missed[f]! += gap; this.countLetter(this.gaps, f, d, 'g'); }
      else if (gap < 0) this.countLetter(this.retrans, f, d, 't');
      const end = (seq + len) >>> 0;
      const grown = seqDiff(end, next);
      if (grown > 0) { this.size[k]! += grown; this.nextSeq[k] = end; }
    }
    // Endpoint states (Zeek's TCP_Endpoint), enough for conn_state().
    const st = this.state;
    if (rst) st[k] = Ep.Reset;
    else if (syn && !ack) { if (st[k] === Ep.Inactive) st[k] = Ep.SynSent; }
    else if (syn && ack) { if (st[k] === Ep.Inactive || st[k] === Ep.SynSent) st[k] = Ep.SynAckSent; }
    else {
      if ((st[k] === Ep.SynSent || st[k] === Ep.SynAckSent) && (st[peer] === Ep.SynAckSent || st[peer] === Ep.SynSent || st[peer] === Ep.Established)) {
        st[k] = Ep.Established;
        if (st[peer] === Ep.SynAckSent) st[peer] = Ep.Established;
      } else if (st[k] === Ep.Inactive) st[k] = Ep.Partial;
      if (fin && st[k] !== Ep.Reset) st[k] = Ep.Closed;
    }
  }
}

/** Zeek's conn_state() (base/protocols/conn/main.zeek) from the two endpoints' states. */
export function connState(proto: number, os: number, rs: number, origSize: number, respSize: number, history: string): string {
  const oInactive = os === Ep.Inactive || os === Ep.Partial;
  const rInactive = rs === Ep.Inactive || rs === Ep.Partial;
  if (proto === TCP) {
    if (rs === Ep.Reset) {
      if (os === Ep.SynSent || os === Ep.SynAckSent || (os === Ep.Reset && origSize === 0 && respSize === 0)) return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === Ep.Reset) {
      if (rInactive) return /^\^?S[^HAFGIQ]*R.*/.test(history) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === Ep.Closed && os === Ep.Closed) return 'SF';
    if (os === Ep.Closed) return rInactive ? 'SH' : 'S2';
    if (rs === Ep.Closed) return oInactive ? 'SHR' : 'S3';
    if (os === Ep.SynSent && rs === Ep.Inactive) return 'S0';
    if (os === Ep.Established && rs === Ep.Established) return 'S1';
    return 'OTH';
  }
  if (proto === UDP) {
    if (os === Ep.Established) return rs === Ep.Established ? 'SF' : 'S0';
    return rs === Ep.Established ? 'SHR' : 'OTH';
  }
  return 'OTH';
}

/** One conn.log row; null fields are unset (`-`). */
export interface ZeekConnRow {
  ts: number; tsText: string; uid: string;
  'id.orig_h': string; 'id.orig_p': number; 'id.resp_h': string; 'id.resp_p': number;
  proto: string; service: string | null; duration: number | null; durationText: string | null;
  orig_bytes: number | null; resp_bytes: number | null; conn_state: string;
  local_orig: null; local_resp: null; missed_bytes: number; history: string | null;
  orig_pkts: number; orig_ip_bytes: number | null; resp_pkts: number; resp_ip_bytes: number | null;
  tunnel_parents: string[] | null; community_id: string | null;
  /** Our flow id (not a Zeek field; the JSON keeps it as `overlayscope_flow`). */
  flow: number;
}

export const ZEEK_CONN_FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents', 'community_id'] as const;
const ZEEK_CONN_TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]', 'string'];

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Seconds and nanoseconds as Zeek writes a time: seconds with 6 decimals. */
function zeekTime(sec: number, nsec: number): string {
  const us = Math.round(nsec / 1e3);
  return us >= 1e6 ? `${sec + 1}.000000` : `${sec}.${String(us).padStart(6, '0')}`;
}

/**
 * The conn.log rows of an analysis, in time order (ts, then flow id). `obs`
 * is the observer that ran with it; uids are `C` + 17 base-62 characters of
 * SHA-1(the capture file names, the flow id): stable for the same inputs,
 * unlike Zeek's random ones.
 */
export function zeekConnRows(ctx: FlowContext, obs: ZeekConnObserver): ZeekConnRow[] {
  const t = ctx.flows.table;
  const links = tunnelLinks(ctx);
  const salt = ctx.captures.map((c) => c.file).join('\n');
  const enc = new TextEncoder();
  const uids: string[] = [];
  for (let f = 0; f < t.count; f++) {
    const h = sha1(enc.encode(`${salt}\n${f}`));
    let s = 'C';
    for (let k = 0; k < 17; k++) s += B62[h[k]! % 62]!;
    uids.push(s);
  }
  const services = new Map<number, Set<string>>();
  const addService = (f: number, s: string): void => { let set = services.get(f); if (!set) services.set(f, set = new Set()); set.add(s); };
  for (const h of ctx.flows.http.transactions) addService(h.flow, 'http');
  for (const d of ctx.flows.dns.transactions) addService(d.flow, 'dns');
  // A tunnel flow's service is its tunnel type (Zeek: vxlan, geneve, ...).
  for (let l = 0; l < t.linkCount; l++) addService(t.linkOuter[l]!, TUNNEL_NAMES[t.linkType[l]!]!);
  const rows: ZeekConnRow[] = [];
  for (let f = 0; f < t.count; f++) {
    const proto = t.proto[f]!;
    const v = t.version[f]!;
    const words = v === 4 ? 1 : 4;
    const known = f < obs.seen.length && obs.seen[f] === 1;
    // orig is A unless the observer saw B originate.
    let origIsA = true;
    if (known) {
      for (let k = 0; k < words; k++) if ((t.addr[8 * f + k]! >>> 0) !== obs.origAddr[4 * f + k]) { origIsA = false; break; }
      if (origIsA && (proto === TCP || proto === UDP) && t.portA[f] !== obs.origPort[f] && t.portB[f] === obs.origPort[f]) origIsA = false;
    }
    const aAt = 8 * f, bAt = 8 * f + 4;
    const oAt = origIsA ? aAt : bAt, rAt = origIsA ? bAt : aAt;
    const ports = proto === TCP || proto === UDP;
    const icmp = proto === ICMP || proto === ICMPV6;
    const oPort = ports ? (origIsA ? t.portA[f]! : t.portB[f]!) : icmp && known ? obs.icmpType[f]! : 0;
    const rPort = ports ? (origIsA ? t.portB[f]! : t.portA[f]!) : icmp && known ? obs.icmpCode[f]! : 0;
    const fs = t.firstSec(f), fn = t.firstNsec(f);
    const durNs = (t.lastSec(f) - fs) * 1e9 + (t.lastNsec(f) - fn);
    const duration = durNs > 0 ? durNs / 1e9 : null;
    const history = known ? (obs.history[f] ?? null) : null;
    const oSize = known ? obs.size[2 * f]! : 0, rSize = known ? obs.size[2 * f + 1]! : 0;
    const oPkts = known ? obs.pkts[2 * f]! : origIsA ? t.packetsAtoB(f) : t.packetsBtoA(f);
    const rPkts = known ? obs.pkts[2 * f + 1]! : origIsA ? t.packetsBtoA(f) : t.packetsAtoB(f);
    const parents = links.outerCount(f) > 0 ? [...new Set(links.outersOf(f).map((o) => uids[o.outerFlow]!))] : null;
    const svc = services.get(f);
    rows.push({
      ts: fs + fn / 1e9, tsText: zeekTime(fs, fn), uid: uids[f]!,
      'id.orig_h': ipToString(v, t.addr, oAt), 'id.orig_p': oPort, 'id.resp_h': ipToString(v, t.addr, rAt), 'id.resp_p': rPort,
      proto: proto === TCP ? 'tcp' : proto === UDP ? 'udp' : icmp ? 'icmp' : 'unknown_transport',
      service: svc ? [...svc].join(',') : null,
      duration, durationText: duration === null ? null : (durNs / 1e9).toFixed(6),
      orig_bytes: duration === null ? null : known ? oSize : null,
      resp_bytes: duration === null ? null : known ? rSize : null,
      conn_state: known ? connState(proto, obs.state[2 * f]!, obs.state[2 * f + 1]!, oSize, rSize, history ?? '') : 'OTH',
      local_orig: null, local_resp: null,
      missed_bytes: known ? obs.missed[f]! : 0,
      history,
      orig_pkts: oPkts, orig_ip_bytes: known ? obs.ipBytes[2 * f]! : null,
      resp_pkts: rPkts, resp_ip_bytes: known ? obs.ipBytes[2 * f + 1]! : null,
      tunnel_parents: parents,
      community_id: flowCommunityId(ctx, f),
      flow: f,
    });
  }
  rows.sort((a, b) => a.ts - b.ts || a.flow - b.flow);
  return rows;
}

/** Zeek's ASCII escaping of a string field: `\xNN` for the separator, `\`, controls and non-ASCII bytes. */
function zeekString(s: string, setSeparator = false): string {
  if (s === '') return '(empty)';
  if (s === '-') return '\\x2d';
  let out = '';
  for (const byte of new TextEncoder().encode(s)) {
    if (byte < 0x20 || byte >= 0x7f || byte === 0x5c || (setSeparator && byte === 0x2c)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

function utcStamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** conn.log as Zeek's TSV (LogAscii): header lines, one row a line, `#close`. */
export function zeekConnTsv(rows: readonly ZeekConnRow[], now = new Date()): string {
  const out: string[] = [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn', `#open\t${utcStamp(now)}`,
    `#fields\t${ZEEK_CONN_FIELDS.join('\t')}`, `#types\t${ZEEK_CONN_TYPES.join('\t')}`,
  ];
  const u = (x: number | string | null): string => (x === null ? '-' : typeof x === 'number' ? String(x) : zeekString(x));
  for (const r of rows) {
    out.push([
      r.tsText, u(r.uid), u(r['id.orig_h']), r['id.orig_p'], u(r['id.resp_h']), r['id.resp_p'], r.proto, u(r.service),
      r.durationText ?? '-', u(r.orig_bytes), u(r.resp_bytes), u(r.conn_state), '-', '-', r.missed_bytes, u(r.history),
      r.orig_pkts, u(r.orig_ip_bytes), r.resp_pkts, u(r.resp_ip_bytes),
      r.tunnel_parents === null ? '-' : r.tunnel_parents.length ? r.tunnel_parents.map((x) => zeekString(x, true)).join(',') : '(empty)',
      u(r.community_id),
    ].join('\t'));
  }
  out.push(`#close\t${utcStamp(now)}`);
  return out.join('\n') + '\n';
}

/** conn.log as Zeek's JSON lines (LogAscii::use_json): unset fields left out, ts a number. */
export function zeekConnJson(rows: readonly ZeekConnRow[]): string {
  let s = '';
  for (const r of rows) {
    const o: Record<string, unknown> = {
      ts: Number(r.tsText), uid: r.uid, 'id.orig_h': r['id.orig_h'], 'id.orig_p': r['id.orig_p'], 'id.resp_h': r['id.resp_h'], 'id.resp_p': r['id.resp_p'], proto: r.proto,
    };
    if (r.service !== null) o['service'] = r.service;
    if (r.durationText !== null) o['duration'] = Number(r.durationText);
    if (r.orig_bytes !== null) o['orig_bytes'] = r.orig_bytes;
    if (r.resp_bytes !== null) o['resp_bytes'] = r.resp_bytes;
    o['conn_state'] = r.conn_state;
    o['missed_bytes'] = r.missed_bytes;
    if (r.history !== null) o['history'] = r.history;
    o['orig_pkts'] = r.orig_pkts;
    if (r.orig_ip_bytes !== null) o['orig_ip_bytes'] = r.orig_ip_bytes;
    o['resp_pkts'] = r.resp_pkts;
    if (r.resp_ip_bytes !== null) o['resp_ip_bytes'] = r.resp_ip_bytes;
    if (r.tunnel_parents !== null) o['tunnel_parents'] = r.tunnel_parents;
    if (r.community_id !== null) o['community_id'] = r.community_id;
    s += JSON.stringify(o) + '\n';
  }
  return s;
}
