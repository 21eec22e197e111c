/**
 * TCP conversation state, one slot per flow id (struct of arrays, no object
 * per flow): handshake (SYN, SYN/ACK, ACK) and the RTT it shows, FIN/RST
 * closes, retransmissions, out-of-order segments, zero windows, the initial
 * sequence numbers and the first IP identification of each direction (kept
 * for stitching Service DNAT across capture points).
 *
 * Direction 0 is A→B, 1 is B→A (slot `2*flow + dir`). Sequence numbers are
 * compared modulo 2^32 (RFC 9293 §3.4).
 *
 * The retransmission and out-of-order rules follow Wireshark's
 * tcp_analyze_sequence_number in spirit: a segment carrying data (or SYN/FIN)
 * that starts below the highest sequence seen in its direction is out of
 * order when it came within the out-of-order threshold (the handshake RTT,
 * else 3 ms) of the previous segment and does not end where the stream
 * stands, otherwise a retransmission; a 0/1-byte segment one below the next
 * sequence is a keep-alive, neither.
 */
import { grown } from './grow.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Bits of `state`. */
export const ST_SYN = 1;
export const ST_SYNACK = 2;
export const ST_ACK = 4;
export const ST_FIN_A = 8;
export const ST_FIN_B = 16;
export const ST_RST = 32;
/** The first packet seen was not a SYN: the capture started mid-connection. */
export const ST_MIDSTREAM = 64;

const OOO_DEFAULT_NS = 3e6;

export class TcpConversations {
  capacity = 0;
  state = new Uint8Array(0);
  /** Per direction (2*f + d): ISN (valid when isnSet), next expected sequence, first IP id (-1 none). */
  isn = new Uint32Array(0);
  isnSet = new Uint8Array(0);
  nextSeq = new Uint32Array(0);
  seqSet = new Uint8Array(0);
  lastSegSec = new Float64Array(0);
  lastSegNsec = new Uint32Array(0);
  firstIpId = new Int32Array(0);
  /** Last window advertised by each direction (unscaled; only zero matters). */
  lastWindow = new Uint32Array(0);
  /** Time of the SYN and of the SYN/ACK (sec relative to the flow table's baseSec, nsec); valid when ST_SYN / ST_SYNACK is set. */
  synSec = new Float64Array(0);
  synNsec = new Uint32Array(0);
  synAckSec = new Float64Array(0);
  synAckNsec = new Uint32Array(0);
  /** Handshake RTT, SYN to the ACK of the SYN/ACK (Wireshark's iRTT), ns; -1 unknown. */
  rttNs = new Float64Array(0);
  retransmissions = new Uint32Array(0);
  outOfOrder = new Uint32Array(0);
  zeroWindows = new Uint32Array(0);
  resets = new Uint32Array(0);

  ensure(n: number): void {
    if (n <= this.capacity) return;
    let c = Math.max(1024, this.capacity);
    while (c < n) c *= 2;
    this.state = grown(this.state, c);
    this.isn = grown(this.isn, 2 * c);
    this.isnSet = grown(this.isnSet, 2 * c);
    this.nextSeq = grown(this.nextSeq, 2 * c);
    this.seqSet = grown(this.seqSet, 2 * c);
    this.lastSegSec = grown(this.lastSegSec, 2 * c);
    this.lastSegNsec = grown(this.lastSegNsec, 2 * c);
    this.firstIpId = grown(this.firstIpId, 2 * c, -1);
    this.lastWindow = grown(this.lastWindow, 2 * c, 1);
    this.synSec = grown(this.synSec, c, -1);
    this.synNsec = grown(this.synNsec, c);
    this.synAckSec = grown(this.synAckSec, c, -1);
    this.synAckNsec = grown(this.synAckNsec, c);
    this.rttNs = grown(this.rttNs, c, -1);
    this.retransmissions = grown(this.retransmissions, c);
    this.outOfOrder = grown(this.outOfOrder, c);
    this.zeroWindows = grown(this.zeroWindows, c);
    this.resets = grown(this.resets, c);
    this.capacity = c;
  }

  /**
   * Whether a SYN (without ACK) from direction `dir` starts a new conversation
   * on flow `f` rather than belonging to it: the 4-tuple is reused when that
   * direction already has a different initial sequence number (Wireshark's
   * port-reuse rule) or the conversation was closed by FIN from both sides or RST.
   */
  isReuse(f: number, dir: number, seq: number): boolean {
    const s = 2 * f + dir;
    if (this.isnSet[s] === 1) return this.isn[s] !== seq >>> 0;
    const st = this.state[f]!;
    if ((st & ST_RST) !== 0 || (st & (ST_FIN_A | ST_FIN_B)) === (ST_FIN_A | ST_FIN_B)) return true;
    // This side already sent segments without a SYN (a capture started
    // mid-connection): a SYN now opens a new connection.
    return this.seqSet[s] === 1;
  }

  /** Updates the state of flow `f` with one segment from direction `dir`. `first` is true for the flow's first packet. */
  segment(f: number, dir: number, first: boolean, flags: number, seq: number, ack: number, window: number, seglen: number,
    ipId: number, sec: number, nsec: number): void {
    // seq and ack may come as signed 32-bit views (x | 0, unboxed on the call).
    seq >>>= 0;
    ack >>>= 0;
    const s = 2 * f + dir;
    let st = this.state[f]!;
    const syn = (flags & TCP_SYN) !== 0;
    const isAck = (flags & TCP_ACK) !== 0;
    if (first && !syn) st |= ST_MIDSTREAM;
    if (this.firstIpId[s]! < 0) this.firstIpId[s] = ipId;
    if (syn) {
      if (this.isnSet[s] === 0) { this.isn[s] = seq; this.isnSet[s] = 1; }
      if (!isAck) {
        if ((st & ST_SYN) === 0) { st |= ST_SYN; this.synSec[f] = sec; this.synNsec[f] = nsec; }
      } else if ((st & ST_SYNACK) === 0) {
        st |= ST_SYNACK; this.synAckSec[f] = sec; this.synAckNsec[f] = nsec;
      }
    } else if (isAck && dir === 0 && (st & (ST_SYN | ST_SYNACK | ST_ACK)) === (ST_SYN | ST_SYNACK)
      && this.isnSet[2 * f + 1] === 1 && ack === ((this.isn[2 * f + 1]! + 1) >>> 0)) {
      // The ACK of the SYN/ACK from the SYN sender (A, direction 0) completes the handshake.
      st |= ST_ACK;
      if ((st & ST_SYN) !== 0) this.rttNs[f] = (sec - this.synSec[f]!) * 1e9 + (nsec - this.synNsec[f]!);
    }
    if ((flags & TCP_FIN) !== 0) st |= dir === 0 ? ST_FIN_A : ST_FIN_B;
    if ((flags & TCP_RST) !== 0) { st |= ST_RST; this.resets[f]!++; }
    if (window === 0 && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0) this.zeroWindows[f]!++;
    this.state[f] = st;

    // Sequence analysis.
    const fin = (flags & TCP_FIN) !== 0 ? 1 : 0;
    const end = (seq + seglen + (syn ? 1 : 0) + fin) >>> 0;
    if (this.seqSet[s] === 0) {
      this.seqSet[s] = 1;
      this.nextSeq[s] = end;
    } else if (seglen > 0 || syn || fin === 1) {
      const next = this.nextSeq[s]!;
      if (((seq - next) | 0) < 0) {
        const keepAlive = seglen <= 1 && !syn && fin === 0 && seq === ((next - 1) >>> 0);
        if (!keepAlive && (flags & TCP_RST) === 0) {
          const gap = (sec - this.lastSegSec[s]!) * 1e9 + (nsec - this.lastSegNsec[s]!);
          const rtt = this.rttNs[f]!;
          const thres = rtt > 0 ? rtt : OOO_DEFAULT_NS;
          if (gap < thres && end !== next) this.outOfOrder[f]!++;
          else this.retransmissions[f]!++;
        }
      }
      // A zero-window probe (1 byte at the next sequence while the peer's window
      // is 0) does not advance the stream: the byte is sent again later.
      const probe = seglen === 1 && seq === next && this.lastWindow[s ^ 1] === 0;
      if (!probe && ((end - next) | 0) > 0) this.nextSeq[s] = end;
    }
    if ((flags & TCP_RST) === 0) this.lastWindow[s] = window;
    if (seglen > 0 || syn || fin === 1) {
      this.lastSegSec[s] = sec;
      this.lastSegNsec[s] = nsec;
    }
  }

  /** The handshake and close as words, e.g. "SYN→SYN/ACK→ACK, FIN both" or "mid-connection, RST". */
  describe(f: number): string {
    const st = this.state[f]!;
    const parts: string[] = [];
    if ((st & ST_MIDSTREAM) !== 0) parts.push('mid-connection');
    const hs: string[] = [];
    if (st & ST_SYN) hs.push('SYN');
    if (st & ST_SYNACK) hs.push('SYN/ACK');
    if (st & ST_ACK) hs.push('ACK');
    if (hs.length) parts.push(hs.join('→'));
    const fa = (st & ST_FIN_A) !== 0, fb = (st & ST_FIN_B) !== 0;
    if (fa && fb) parts.push('FIN both');
    else if (fa) parts.push('FIN A');
    else if (fb) parts.push('FIN B');
    if (st & ST_RST) parts.push('RST');
    if (!fa && !fb && (st & ST_RST) === 0) parts.push('open');
    return parts.join(', ');
  }
}
