/**
 * Wireshark's TCP sequence analysis, for the display-filter fields that
 * depend on every packet before the one tested: the relative `tcp.seq`,
 * `tcp.ack`, `tcp.nxtseq` and the `tcp.analysis.*` flags, as tshark 4.0
 * computes them with its defaults (tcp.relative_sequence_numbers and
 * tcp.analyze_sequence_numbers on). It follows epan/dissectors/packet-tcp.c:
 * dissect_tcp's conversation lookup (addresses and ports of the header's own
 * IP level, whatever the tunnel depth; a new SYN with another ISN starts a new
 * conversation) and tcp_analyze_sequence_number, one TCP header at a time, in
 * file order. The state is the capture's: a TcpAnalyzer is fed every packet
 * of one capture from its first, in order (`next`), even those a filter
 * short-circuits away; what a packet gets is written to TcpOccurrences.
 */
import type { DecodedPacket } from '../dissect/decoded.js';
import { L_TCP } from '../dissect/layers.js';

// tcp_acked flags (packet-tcp.c TCP_A_*).
export const TCP_A_RETRANSMISSION = 0x0001;
export const TCP_A_LOST_PACKET = 0x0002;
export const TCP_A_ACK_LOST_PACKET = 0x0004;
export const TCP_A_KEEP_ALIVE = 0x0008;
export const TCP_A_DUPLICATE_ACK = 0x0010;
export const TCP_A_ZERO_WINDOW = 0x0020;
export const TCP_A_ZERO_WINDOW_PROBE = 0x0040;
export const TCP_A_ZERO_WINDOW_PROBE_ACK = 0x0080;
export const TCP_A_KEEP_ALIVE_ACK = 0x0100;
export const TCP_A_OUT_OF_ORDER = 0x0200;
export const TCP_A_FAST_RETRANSMISSION = 0x0400;
export const TCP_A_WINDOW_UPDATE = 0x0800;
export const TCP_A_WINDOW_FULL = 0x1000;
export const TCP_A_REUSED_PORTS = 0x2000;
export const TCP_A_SPURIOUS_RETRANSMISSION = 0x4000;

const TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10;
/** packet-tcp.c: unacked segments kept per direction at most (past it, a SYN/FIN no longer counts one in nextseq). */
const TCP_MAX_UNACKED_SEGMENTS = 10000;

/** What the analysis gives the TCP headers of one packet, outer first (as tshark's tree lists them). */
export class TcpOccurrences {
  count = 0;
  /** Network level (DecodedPacket index) of each occurrence. */
  readonly level: number[] = [];
  /** tcp.seq: relative, or the raw number where tshark does not analyse the header (ICMP-quoted, fragment, short). */
  readonly seq: number[] = [];
  /** tcp.ack: relative with the ACK flag, else the raw field. */
  readonly ack: number[] = [];
  /** tcp.nxtseq (NaN: tshark shows none). */
  readonly nxtseq: number[] = [];
  /** TCP_A_* flags of the header (0: no tcp.analysis.flags). */
  readonly flags: number[] = [];

  clear(): this { this.count = 0; return this; }
  push(level: number, seq: number, ack: number, nxtseq: number, flags: number): void {
    const k = this.count++;
    this.level[k] = level; this.seq[k] = seq; this.ack[k] = ack; this.nxtseq[k] = nxtseq; this.flags[k] = flags;
  }
}

/** Thrown when the packets do not come in capture order from its first: the fields cannot be right. */
export class TcpOrderError extends Error {}

interface Unacked { seq: number; nextseq: number }

/** One direction of a conversation (packet-tcp.c tcp_flow_t with its tcp_analyze_seq_info). */
class TcpFlow {
  baseSet = false;
  base = 0;
  nextseq = 0;
  nextseqSec = 0;
  nextseqNsec = 0;
  lastack = 0;
  lastackSec = 0;
  lastackNsec = 0;
  maxseqtobeacked = 0;
  dupacknum = 0;
  window = 0xffffffff;
  /** -1 unknown, -2 no scaling, else the shift. */
  winScale = -1;
  isFirstAck = false;
  lastSegmentFlags = 0;
  readonly segments: Unacked[] = [];
}

class TcpConversation {
  readonly flow1 = new TcpFlow();
  readonly flow2 = new TcpFlow();
  /** Most recent SYN's time (0/0: none). */
  mruSynSec = 0;
  mruSynNsec = 0;
  /** Handshake RTT in ns (0: not known). */
  firstRtt = 0;
}

const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const gt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
const le = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const u32 = (v: number): number => v >>> 0;

/** t < threshold as packet-tcp.c compares them: both unsigned 64-bit, a negative one wrapped past every positive one. */
function below(t: number, thres: number): boolean {
  if (t >= 0 && thres >= 0) return t < thres;
  if (t >= 0) return true;
  if (thres >= 0) return false;
  return t < thres;
}

export class TcpAnalyzer {
  private convs = new Map<string, TcpConversation>();
  /** The last packet index fed (-1: none yet). */
  private last = -1;
  private readonly addr: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

  reset(): void { this.convs.clear(); this.last = -1; }

  /**
   * Analyses packet `index` (0-based, in file order) of the capture and writes
   * its TCP headers' values to `out`. `p` is the decoded packet (null: not
   * decodable), its frame at `b[base ..]`. A packet index other than the next
   * one is refused, except 0 (the capture read again from its start).
   */
  next(index: number, p: DecodedPacket | null, b: Uint8Array, base: number, tsSec: number, tsNsec: number, out: TcpOccurrences): void {
    if (index === 0 && this.last >= 0) this.reset();
    if (index !== this.last + 1) {
      throw new TcpOrderError(`the relative TCP numbers and TCP analysis need every packet of the capture in order from its first (packet ${index + 1} came after ${this.last + 1})`);
    }
    this.last = index;
    out.clear();
    if (!p) return;
    for (let i = 0; i < p.netCount; i++) {
      if (p.l4Present[i] !== 1 || p.ipProto[i] !== 6) continue;
      this.header(p, i, b, base, tsSec, tsNsec, out);
    }
  }

  private header(p: DecodedPacket, i: number, b: Uint8Array, base: number, tsSec: number, tsNsec: number, out: TcpOccurrences): void {
    const rawSeq = p.tcpSeq[i]!, rawAck = p.tcpAck[i]!, flags = p.tcpFlags[i]! & 0xfff;
    // A fragment: tshark reassembles the datagram before TCP sees it; this header is not analysed.
    if (p.ipFragment[i] !== 0) { out.push(i, rawSeq, rawAck, NaN, 0); return; }
    const tcpStart = this.tcpStart(p, i);
    const hlen = tcpStart >= 0 ? (b[base + tcpStart + 12]! >> 4) * 4 : 20;
    const reported = p.ipLength[i]! - (tcpStart - p.ipStart[i]!);
    const v6 = p.ipVersion[i] === 6;
    const a = this.addr;
    for (let w = 0; w < 4; w++) { a[w] = p.ipSrc[i * 4 + w]! >>> 0; a[4 + w] = p.ipDst[i * 4 + w]! >>> 0; }
    const sport = p.srcPort[i]!, dport = p.dstPort[i]!;
    // cmp_address: the greater address (then port) is flow1.
    let dir = 0;
    for (let w = 0; w < (v6 ? 4 : 1) && dir === 0; w++) dir = a[w]! > a[4 + w]! ? 1 : a[w]! < a[4 + w]! ? -1 : 0;
    if (dir === 0) dir = sport > dport ? 1 : -1;
    const s = v6 ? `${a[0]}.${a[1]}.${a[2]}.${a[3]}` : `${a[0]}`;
    const d = v6 ? `${a[4]}.${a[5]}.${a[6]}.${a[7]}` : `${a[4]}`;
    const key = (dir >= 0 ? `${s}:${sport}-${d}:${dport}` : `${d}:${dport}-${s}:${sport}`) + (v6 ? '/6' : '/4');
    let conv = this.convs.get(key);
    if (!conv) { conv = new TcpConversation(); this.convs.set(key, conv); }
    let fwd = dir >= 0 ? conv.flow1 : conv.flow2;
    let rev = dir >= 0 ? conv.flow2 : conv.flow1;
    let ta = 0;
    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN && fwd.baseSet && rawSeq !== fwd.base) {
      // Another ISN on a known 4-tuple: the ports were reused, a new conversation starts.
      // (The same SYN again is left alone: tshark 4.0 flags it a retransmission only.)
      conv = new TcpConversation();
      this.convs.set(key, conv);
      fwd = dir >= 0 ? conv.flow1 : conv.flow2;
      rev = dir >= 0 ? conv.flow2 : conv.flow1;
      ta |= TCP_A_REUSED_PORTS;
    }
    if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) && fwd.baseSet && rawSeq !== fwd.base) {
      fwd.base = rawSeq;
      ta |= TCP_A_REUSED_PORTS;
    }
    const quoted = p.netQuoted[i] === 1;
    let seq = rawSeq, ack = rawAck, nxt = NaN;
    if (!quoted && reported >= hlen && tcpStart >= 0) {
      const seglen = reported - hlen;
      ta = this.analyze(conv, fwd, rev, rawSeq, rawAck, seglen, flags, p.tcpWindow[i]!, tsSec, tsNsec, ta);
      seq = u32(rawSeq - fwd.base);
      if (flags & TH_ACK) ack = u32(rawAck - rev.base);
      nxt = u32(seq + seglen + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0));
    }
    // What dissect_tcp does after the analysis, for the next packets' sake.
    if (flags & TH_SYN) {
      if (!(flags & TH_ACK)) { conv.mruSynSec = tsSec; conv.mruSynNsec = tsNsec; }
      fwd.isFirstAck = true;
    }
    if ((flags & (TH_SYN | TH_ACK)) === TH_ACK) {
      if ((conv.mruSynSec !== 0 || conv.mruSynNsec !== 0) && conv.firstRtt === 0) {
        conv.firstRtt = (tsSec - conv.mruSynSec) * 1e9 + (tsNsec - conv.mruSynNsec);
      }
      fwd.isFirstAck = false;
    }
    const ws = p.tcpWscale[i]!;
    if (ws >= 0) fwd.winScale = Math.min(ws, 14);
    if (flags & TH_SYN) {
      // verify_tcp_window_scaling
      if (fwd.winScale === -1) { fwd.winScale = -2; rev.winScale = -2; }
      else if ((flags & TH_ACK) && rev.winScale === -2) fwd.winScale = -2;
    }
    out.push(i, seq, ack, nxt, ta);
  }

  /** Frame offset of level i's TCP header (-1: none found). */
  private tcpStart(p: DecodedPacket, i: number): number {
    const ip = p.ipStart[i]!;
    for (let k = 0; k < p.layerCount; k++) if (p.layerStart[k]! > ip && p.layerIds[k] === L_TCP) return p.layerStart[k]!;
    return -1;
  }

  /** packet-tcp.c tcp_analyze_sequence_number: the flags of this segment; updates both directions. */
  private analyze(conv: TcpConversation, fwd: TcpFlow, rev: TcpFlow, seq: number, ack: number, seglen: number, flags: number, window: number,
    sec: number, nsec: number, ta0: number): number {
    let ta = ta0;
    if (!fwd.baseSet) {
      fwd.base = (flags & TH_SYN) ? seq : u32(seq - 1);
      fwd.baseSet = true;
    }
    if (!rev.baseSet && (flags & TH_ACK)) {
      rev.base = u32(ack - 1);
      rev.baseSet = true;
    }
    fwd: {
      // ZERO WINDOW PROBE
      if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) { ta |= TCP_A_ZERO_WINDOW_PROBE; break fwd; }
      // ZERO WINDOW
      if (window === 0 && (flags & (TH_RST | TH_FIN | TH_SYN)) === 0) ta |= TCP_A_ZERO_WINDOW;
      // LOST PACKET
      if (fwd.nextseq && gt(seq, fwd.nextseq) && (flags & TH_RST) === 0) ta |= TCP_A_LOST_PACKET;
      // KEEP ALIVE
      if ((seglen === 0 || seglen === 1) && seq === u32(fwd.nextseq - 1) && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) ta |= TCP_A_KEEP_ALIVE;
      // WINDOW UPDATE
      if (seglen === 0 && window && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastack && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) ta |= TCP_A_WINDOW_UPDATE;
      // WINDOW FULL
      if (seglen > 0 && rev.winScale !== -1
        && u32(seq + seglen) === u32(rev.lastack + u32(rev.window << (rev.isFirstAck ? 0 : rev.winScale === -2 ? 0 : rev.winScale)))
        && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) ta |= TCP_A_WINDOW_FULL;
      // KEEP ALIVE ACK
      if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack
        && (rev.lastSegmentFlags & TCP_A_KEEP_ALIVE) && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) { ta |= TCP_A_KEEP_ALIVE_ACK; break fwd; }
      // ZERO WINDOW PROBE ACK
      if (seglen === 0 && window === 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack
        && (rev.lastSegmentFlags & TCP_A_ZERO_WINDOW_PROBE) && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) { ta |= TCP_A_ZERO_WINDOW_PROBE_ACK; break fwd; }
      // DUPLICATE ACK
      if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) {
        fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1;
        ta |= TCP_A_DUPLICATE_ACK;
      }
    }
    if (ack !== fwd.lastack) fwd.dupacknum = 0;
    // ACKED LOST PACKET
    if (rev.maxseqtobeacked && gt(ack, rev.maxseqtobeacked) && (flags & TH_ACK)) {
      if (rev.maxseqtobeacked > rev.nextseq) {
        rev.maxseqtobeacked = rev.nextseq;
        ta |= TCP_A_ACK_LOST_PACKET;
      } else {
        if (rev.dupacknum === 0) ta |= TCP_A_ACK_LOST_PACKET;
        rev.dupacknum = -1;
      }
    }
    // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER
    check: if (seglen > 0 || (flags & (TH_SYN | TH_FIN))) {
      let notAdvanced = fwd.nextseq !== 0 && lt(seq, fwd.nextseq);
      if (ta & TCP_A_KEEP_ALIVE) break check;
      if (seglen > 1 && u32(fwd.nextseq - 1) === seq) notAdvanced = false;
      if (seglen > 0 && rev.lastack && le(u32(seq + seglen), rev.lastack)) { ta |= TCP_A_SPURIOUS_RETRANSMISSION; break check; }
      const tAck = (sec - rev.lastackSec) * 1e9 + (nsec - rev.lastackNsec);
      if (notAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && below(tAck, 20_000_000)) { ta |= TCP_A_FAST_RETRANSMISSION; break check; }
      const tSeq = (sec - fwd.nextseqSec) * 1e9 + (nsec - fwd.nextseqNsec);
      const thres = conv.firstRtt === 0 ? 3_000_000 : conv.firstRtt;
      if (notAdvanced && below(tSeq, thres) && fwd.nextseq !== u32(seq + seglen + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0))) { ta |= TCP_A_OUT_OF_ORDER; break check; }
      if (notAdvanced) ta |= TCP_A_RETRANSMISSION;
    }
    let nextseq = u32(seq + seglen);
    if ((seglen || (flags & (TH_SYN | TH_FIN))) && fwd.segments.length < TCP_MAX_UNACKED_SEGMENTS) {
      if (flags & (TH_SYN | TH_FIN)) nextseq = u32(nextseq + 1);
      fwd.segments.push({ seq, nextseq });
    }
    if (gt(nextseq, fwd.nextseq) || !fwd.nextseq) {
      if (!(ta & TCP_A_ZERO_WINDOW_PROBE)) { fwd.nextseq = nextseq; fwd.nextseqSec = sec; fwd.nextseqNsec = nsec; }
    }
    if (seq === fwd.maxseqtobeacked || !fwd.maxseqtobeacked) {
      if (!(ta & TCP_A_ZERO_WINDOW_PROBE)) fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastack = ack;
    fwd.lastackSec = sec;
    fwd.lastackNsec = nsec;
    fwd.lastSegmentFlags = ta;
    // Segments of the other direction this acknowledges (whole or in part).
    const segs = rev.segments;
    let keep = 0;
    for (let k = 0; k < segs.length; k++) {
      const u = segs[k]!;
      if (ack !== u.nextseq) {
        if (gt(ack, u.seq) && le(ack, u.nextseq)) u.seq = ack;
        if (gt(u.nextseq, ack)) { segs[keep++] = u; continue; }
      }
    }
    segs.length = keep;
    return ta;
  }
}

/**
 * The analysis of a whole capture kept per packet (for scans that visit
 * packets out of file order or skip some: the app's packet list). Built by
 * feeding every packet in file order once (`add`), read back by index (`load`).
 */
export class TcpAnalysisTable {
  private start: number[] = [0];
  private readonly levels: number[] = [];
  private readonly seqs: number[] = [];
  private readonly acks: number[] = [];
  private readonly nxts: number[] = [];
  private readonly flags: number[] = [];

  get packets(): number { return this.start.length - 1; }

  add(o: TcpOccurrences): void {
    for (let k = 0; k < o.count; k++) {
      this.levels.push(o.level[k]!); this.seqs.push(o.seq[k]!); this.acks.push(o.ack[k]!); this.nxts.push(o.nxtseq[k]!); this.flags.push(o.flags[k]!);
    }
    this.start.push(this.seqs.length);
  }

  load(index: number, out: TcpOccurrences): TcpOccurrences {
    out.clear();
    const s = this.start[index], e = this.start[index + 1];
    if (s === undefined || e === undefined) return out;
    for (let k = s; k < e; k++) out.push(this.levels[k]!, this.seqs[k]!, this.acks[k]!, this.nxts[k]!, this.flags[k]!);
    return out;
  }
}
