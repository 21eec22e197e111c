/**
 * NAT half-views: at one capture point, a TCP connection whose two directions
 * show different addresses because NAT sits between them. On cni0 with
 * br_netfilter the pod's request is seen after DNAT (pod → backend pod) and the
 * reply after un-DNAT (ClusterIP → pod); without this they were two flows, an
 * HTTP request with "no response" and an orphan 200.
 *
 * Matched at flow creation, never per packet: a flow opened by a SYN is kept
 * here as half-open, keyed by its client endpoint's port and ISN; a new flow
 * whose first packet is a SYN/ACK is looked up by its destination port and
 * its ack (ISN + 1). It joins the half-open flow when that flow is at the same
 * capture point (capture and interface, as the table keys it), depth, IP version, has the
 * SYN/ACK's destination address as its A (the client endpoint is the same),
 * and has seen nothing from B yet. The SYN/ACK's key then becomes an alias of
 * that flow (FlowTable.alias): every later reply packet lands in the flow as
 * direction B→A, so TCP state and HTTP pairing see one connection.
 *
 * A capture that starts after the handshake: a flow made by a segment
 * without SYN is kept too, by its two endpoints; a new flow whose first
 * segment (ACK, no SYN) goes to that flow's A, or comes from its B, and
 * acknowledges at most MIDSTREAM_WINDOW bytes behind what A has sent so far,
 * joins it the same way, when that flow has seen nothing from B.
 *
 * Bounded: two generations of at most GENERATION entries each (a SYN/ACK
 * follows its SYN within a round trip; older entries are dropped wholesale).
 */
import type { DecodedPacket } from '../dissect/decoded.js';
import { grown } from './grow.js';
import type { FlowTable } from './flow-table.js';
import type { TcpConversations } from './tcp-conversation.js';

const GENERATION = 8192;
/** How far behind A's next sequence number a reply's acknowledgment may be (1 MiB: in flight at most). */
const MIDSTREAM_WINDOW = 1 << 20;

/** A number key for an endpoint (address words and port) and a role bit; equal endpoints give equal keys. */
export function endpointKey(w: Uint32Array, at: number, version: number, port: number, role: number): number {
  let h = w[at]!;
  if (version === 6) h = (Math.imul(h ^ w[at + 1]!, 0x9e3779b1) ^ Math.imul(w[at + 2]!, 0x85ebca6b) ^ w[at + 3]!) >>> 0;
  return ((h >>> 0) * 65536 + port) * 2 + role;
}

export class NatHalfViews {
  /** Key (ISN+1 as uint32) * 65536 + client port → the newest flow with it; older ones chain through `next`. */
  private cur = new Map<number, number>();
  private old = new Map<number, number>();
  /** Per flow: the previous half-open flow with the same key (-1 none). Flow ids only grow, so chains end. */
  private next = new Int32Array(1024);
  /** Half-view joins made. */
  joined = 0;
  /** Mid-stream flows by endpoint key (role 0: their A, 1: their B); older ones chain through midNext[2f + role]. */
  private midCur = new Map<number, number>();
  private midOld = new Map<number, number>();
  private midNext = new Int32Array(2048);

  /** Records flow `f`, just created by a SYN (no ACK) with sequence `seq` from client port `port`. */
  open(f: number, seq: number, port: number): void {
    const key = ((seq + 1) >>> 0) * 65536 + port;
    if (this.cur.size >= GENERATION) { this.old = this.cur; this.cur = new Map(); }
    if (f >= this.next.length) this.next = grown(this.next, Math.max(2 * this.next.length, f + 1), -1);
    this.next[f] = this.cur.get(key) ?? this.old.get(key) ?? -1;
    this.cur.set(key, f);
  }

  /**
   * The half-open flow that the SYN/ACK at network level `i` of `p` answers
   * through NAT, or -1, at capture point (`capture`, `iface`) as the table keys it.
   */
  match(table: FlowTable, capture: number, iface: number, p: DecodedPacket, i: number): number {
    if (this.cur.size === 0 && this.old.size === 0) return -1;
    const key = (p.tcpAck[i]! >>> 0) * 65536 + p.dstPort[i]!;
    let f = this.cur.get(key) ?? this.old.get(key) ?? -1;
    const depth = p.netDepth[i]!, version = p.ipVersion[i]!;
    const w = 4 * i;
    for (let n = 0; f >= 0 && n < 64; n++, f = this.next[f]!) {
      if (table.superseded[f] !== 0 || !table.atPoint(f, capture, iface) || table.depth[f] !== depth
        || table.version[f] !== version || table.proto[f] !== 6 || table.portA[f] !== p.dstPort[i]) continue;
      if (table.packetsBtoA(f) !== 0 || table.natAlias[f]! >= 0) continue;
      const o = 8 * f;
      const a = table.addr;
      if (a[o] !== p.ipDst[w] || (version === 6 && (a[o + 1] !== p.ipDst[w + 1] || a[o + 2] !== p.ipDst[w + 2] || a[o + 3] !== p.ipDst[w + 3]))) continue;
      this.joined++;
      return f;
    }
    return -1;
  }

  /** Records flow `f`, just created by the segment without SYN at network level `i` of `p` (its sender is A). */
  openMidstream(f: number, p: DecodedPacket, i: number): void {
    if (this.midCur.size >= GENERATION) { this.midOld = this.midCur; this.midCur = new Map(); }
    if (2 * f + 1 >= this.midNext.length) this.midNext = grown(this.midNext, Math.max(2 * this.midNext.length, 2 * f + 2), -1);
    const v = p.ipVersion[i]!;
    const ka = endpointKey(p.ipSrc, 4 * i, v, p.srcPort[i]!, 0);
    const kb = endpointKey(p.ipDst, 4 * i, v, p.dstPort[i]!, 1);
    this.midNext[2 * f] = this.midCur.get(ka) ?? this.midOld.get(ka) ?? -1;
    this.midNext[2 * f + 1] = this.midCur.get(kb) ?? this.midOld.get(kb) ?? -1;
    this.midCur.set(ka, f);
    this.midCur.set(kb, f);
  }

  /**
   * The mid-stream flow that the segment (ACK, no SYN) at level `i` of `p`,
   * matching no flow, answers through NAT, or -1: it goes to that flow's A
   * or comes from its B, and acknowledges A's bytes.
   */
  matchMidstream(table: FlowTable, tcp: TcpConversations, capture: number, iface: number, p: DecodedPacket, i: number): number {
    if (this.midCur.size === 0 && this.midOld.size === 0) return -1;
    const v = p.ipVersion[i]!;
    const ack = p.tcpAck[i]! >>> 0;
    const depth = p.netDepth[i]!;
    for (let role = 0; role < 2; role++) {
      // Role 0: the segment goes to the flow's A (its server side was translated); 1: it comes from the flow's B.
      const key = role === 0 ? endpointKey(p.ipDst, 4 * i, v, p.dstPort[i]!, 0) : endpointKey(p.ipSrc, 4 * i, v, p.srcPort[i]!, 1);
      let f = this.midCur.get(key) ?? this.midOld.get(key) ?? -1;
      for (let n = 0; f >= 0 && n < 64; n++, f = this.midNext[2 * f + role]!) {
        if (table.superseded[f] !== 0 || !table.atPoint(f, capture, iface) || table.depth[f] !== depth
          || table.version[f] !== v || table.proto[f] !== 6) continue;
        if (table.packetsBtoA(f) !== 0 || table.natAlias[f]! >= 0 || tcp.seqSet[2 * f] !== 1) continue;
        const port = role === 0 ? table.portA[f] : table.portB[f];
        if (port !== (role === 0 ? p.dstPort[i] : p.srcPort[i])) continue;
        const o = 8 * f + 4 * role;
        const w = role === 0 ? p.ipDst : p.ipSrc;
        const a = table.addr;
        if (a[o] !== w[4 * i] || (v === 6 && (a[o + 1] !== w[4 * i + 1] || a[o + 2] !== w[4 * i + 2] || a[o + 3] !== w[4 * i + 3]))) continue;
        // Acknowledges what A sent: at most MIDSTREAM_WINDOW behind A's next sequence number.
        if (((tcp.nextSeq[2 * f]! - ack) >>> 0) > MIDSTREAM_WINDOW) continue;
        this.joined++;
        return f;
      }
    }
    return -1;
  }

  /** Forgets every half-open flow (at the end of a capture: a half-view never spans captures). */
  clear(): void {
    this.cur.clear();
    this.old.clear();
    this.midCur.clear();
    this.midOld.clear();
  }
}
