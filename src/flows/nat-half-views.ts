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
 * Bounded: two generations of at most GENERATION entries each (a SYN/ACK
 * follows its SYN within a round trip; older entries are dropped wholesale).
 */
import type { DecodedPacket } from '../dissect/decoded.js';
import { grown } from './grow.js';
import type { FlowTable } from './flow-table.js';

const GENERATION = 8192;

export class NatHalfViews {
  /** Key (ISN+1 as uint32) * 65536 + client port → the newest flow with it; older ones chain through `next`. */
  private cur = new Map<number, number>();
  private old = new Map<number, number>();
  /** Per flow: the previous half-open flow with the same key (-1 none). Flow ids only grow, so chains end. */
  private next = new Int32Array(1024);
  /** Half-view joins made. */
  joined = 0;

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

  /** Forgets every half-open flow (at the end of a capture: a half-view never spans captures). */
  clear(): void {
    this.cur.clear();
    this.old.clear();
  }
}
