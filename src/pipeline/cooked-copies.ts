/**
 * Any-interface captures in Linux cooked v1 (SLL, `tcpdump -i any -y
 * LINUX_SLL`) carry no interface index: a packet that crosses a node is in the
 * file once per interface it crossed (the pod's veth, cni0, flannel.1, and eth0
 * inside VXLAN). This recognises the copies of one transmission and gives the
 * k-th sighting its own capture point, "hop k" (an interface entry of the
 * capture, `parentId` the file's interface, `hop` k): every point then sees a
 * transmission once, so TCP analysis finds no retransmission that never
 * happened and per-point counts are per transmission.
 *
 * Copies: the innermost IP packet's identification, protocol, total length,
 * TCP sequence, acknowledgement, flags and payload length (UDP/ICMP: the first
 * 8 payload bytes), not its addresses (NAT rewrites them between two
 * interfaces of one node) nor its TTL (forwarding decrements it), seen again
 * within COPY_WINDOW_NS of its previous sighting in the same file.
 *
 * Limits (docs/decisions/0010-any-interface-captures.md): a hop is an order,
 * not an interface. A request crosses veth, cni0, flannel.1, eth0 in that
 * order and its reply the reverse, so "hop 1" holds the pod's veth for one
 * direction and the NIC for the other, and a flow at one hop may show one
 * direction only. A real retransmission within the window (5 ms; Linux's
 * minimum RTO is 200 ms) would be read as a copy. Non-IP frames (ARP) and
 * fragments after the first are not matched (they stay at hop 1).
 */
import type { DecodedPacket } from '../dissect/decoded.js';
import { IPPROTO_TCP } from '../dissect/layers.js';

export const COPY_WINDOW_NS = 5_000_000;
/** Most hops told apart; later copies share the last. */
export const MAX_HOPS = 16;

const SLOTS = 1 << 14;

/**
 * A ring of recent fingerprints (open addressing over SLOTS; an entry older
 * than the window is free). Typed arrays: nothing allocated per packet.
 */
export class CookedCopies {
  private readonly h1 = new Int32Array(SLOTS);
  private readonly h2 = new Int32Array(SLOTS);
  private readonly sec = new Float64Array(SLOTS).fill(-Infinity);
  private readonly nsec = new Float64Array(SLOTS);
  private readonly hops = new Uint8Array(SLOTS);
  /** Copies recognised (sightings after the first). */
  copies = 0;
  maxHop = 0;

  /** The hop (0 first sighting) of packet `p` seen at (sec, nsec). */
  hopOf(p: DecodedPacket, b: Uint8Array, base: number, sec: number, nsec: number): number {
    const i = p.innermostNet();
    if (i < 0) return 0;
    const isTcp = p.ipProto[i] === IPPROTO_TCP;
    let a = Math.imul(p.ipId[i]! ^ 0x9e3779b9, 0x85ebca6b);
    a = Math.imul(a ^ (a >>> 13) ^ ((p.ipProto[i]! << 24) | (p.ipVersion[i]! << 16)), 0xc2b2ae35);
    a = Math.imul(a ^ (a >>> 16) ^ p.ipLength[i]!, 0x85ebca6b);
    let c = Math.imul((p.tcpSeq[i]! | 0) ^ 0x7f4a7c15, 0xc2b2ae35);
    c = Math.imul(c ^ (c >>> 15) ^ (p.tcpAck[i]! | 0), 0x85ebca6b);
    c = Math.imul(c ^ (c >>> 13) ^ ((p.tcpFlags[i]! << 16) ^ (p.payloadWireLength[i]! & 0xffff)), 0xc2b2ae35);
    if (!isTcp && p.payloadLength[i]! > 0) {
      const s = base + p.payloadStart[i]!;
      const e = s + Math.min(8, p.payloadLength[i]!);
      for (let k = s; k < e; k++) c = Math.imul(c ^ b[k]!, 0x01000193);
    }
    const h1 = (a ^ (a >>> 16)) | 0;
    const h2 = (c ^ (c >>> 16)) | 0;
    const mask = SLOTS - 1;
    let at = (h1 ^ Math.imul(h2, 0x27d4eb2d)) >>> 18;
    let free = -1;
    for (let probe = 0; probe < 32; probe++, at = (at + 1) & mask) {
      const old = !this.recent(at, sec, nsec);
      if (!old && this.h1[at] === h1 && this.h2[at] === h2) {
        const hop = Math.min(MAX_HOPS - 1, this.hops[at]! + 1);
        this.hops[at] = hop;
        this.sec[at] = sec;
        this.nsec[at] = nsec;
        this.copies++;
        if (hop > this.maxHop) this.maxHop = hop;
        return hop;
      }
      if (old && free < 0) free = at;
    }
    // A first sighting (or a full neighbourhood: the oldest probe's slot is taken over).
    const slot = free >= 0 ? free : (h1 ^ Math.imul(h2, 0x27d4eb2d)) >>> 18;
    this.h1[slot] = h1;
    this.h2[slot] = h2;
    this.sec[slot] = sec;
    this.nsec[slot] = nsec;
    this.hops[slot] = 0;
    return 0;
  }

  /** Whether the slot's last sighting is within the window before (sec, nsec). */
  private recent(at: number, sec: number, nsec: number): boolean {
    const d = (sec - this.sec[at]!) * 1e9 + (nsec - this.nsec[at]!);
    return d >= 0 ? d <= COPY_WINDOW_NS : d >= -COPY_WINDOW_NS;
  }
}
