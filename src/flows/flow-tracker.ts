/**
 * FlowTracker: the PacketObserver that turns decoded packets into flows at
 * every depth, TCP conversation state, tunnel links, and HTTP and DNS
 * transactions; it also fills the packet index's `flowId` (innermost flow)
 * and `outerFlowId` (outermost).
 *
 * Which network levels make a flow: every IP header not inside an ICMP
 * error quote. TCP and UDP flows are keyed by addresses and ports; ICMP and
 * ICMPv6 by addresses only (echo identifiers are not part of the key: one
 * ICMP flow per address pair and depth); other IP protocols by addresses and
 * protocol number. A TCP/UDP level whose header is absent (a later IP
 * fragment, or a header cut by the snap length) makes no flow. ARP and other
 * non-IP packets have none.
 *
 * Per packet nothing is allocated: IPv4 levels are hashed and matched from
 * the packet's fields, IPv6 ones through one reused FlowKey; tables are
 * typed arrays. HTTP and DNS parsing allocate per message, not per packet.
 */
import { LIMITS } from '../capture/types.js';
import type { CaptureResult, PacketObserver } from '../pipeline/analyze.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import { MAX_NET } from '../dissect/decoded.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../dissect/layers.js';
import { FlowKey, FlowTable, flowHash, flowHash4 } from './flow-table.js';
import { ST_FIN_A, ST_FIN_B, ST_RST, TcpConversations, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './tcp-conversation.js';
import { HttpTransactions } from './http-transactions.js';
import { DnsTransactions } from './dns-transactions.js';
import { NatHalfViews } from './nat-half-views.js';

/** Which network levels a FlowTracker tracks (the flow split's owner); `h` is the level's flow hash. */
export interface FlowRoute {
  owns(p: DecodedPacket, level: number, h: number): boolean;
}

export class FlowTracker implements PacketObserver {
  readonly table = new FlowTable();
  readonly tcp = new TcpConversations();
  readonly http = new HttpTransactions();
  readonly dns = new DnsTransactions();
  /** NAT half-views joined at flow creation (nat-half-views.ts). */
  readonly nat = new NatHalfViews();
  /** Capture results by capture id (for their packet index). */
  readonly captures: CaptureResult[] = [];
  private flowIds: Int32Array | null = null;
  private outerIds: Int32Array | null = null;
  private readonly key = new FlowKey();
  private readonly levelFlow = new Int32Array(MAX_NET);
  private baseCapture = -1;
  private baseSec = 0;
  /**
   * The flow split (src/session/parallel/flow-split.ts): when set, only the
   * network levels it owns are tracked here, and the packet index gets each
   * packet's innermost and outermost owned flow as `16 * id + level`. Null
   * (the single-threaded path): every level, plain ids.
   */
  route: FlowRoute | null = null;

  /** Most flows tracked; see LIMITS.maxFlows. */
  maxFlows: number = LIMITS.maxFlows;
  flowLimitReached = false;
  /** Refusals of the flow table itself (the flow bound), adopted as capture issues by the session. */
  readonly issues: Array<{ capture: number; packet: number; flow: number; reason: string }> = [];

  beginCapture(result: CaptureResult): void {
    this.captures[result.id] = result;
  }

  /** `iface`: the packet's interface in its capture (flows are per capture point: capture and interface). */
  observe(capture: number, packet: number, p: DecodedPacket, b: Uint8Array, base: number, tsSec: number, tsNsec: number, frameLen: number, iface = 0): void {
    if (capture !== this.baseCapture) {
      this.baseCapture = capture;
      this.baseSec = tsSec;
      this.table.baseSec[capture] = tsSec;
    }
    // Seconds since the capture's first packet: a small integer, never boxed when passed on.
    const sec = tsSec - this.baseSec;
    const netCount = p.netCount;
    let inner = -1;
    let outer = -1;
    if (netCount > 0) {
      const k = this.key;
      const table = this.table;
      const levelFlow = this.levelFlow;
      k.capture = capture;
      k.iface = iface;
      for (let i = 0; i < netCount; i++) {
        levelFlow[i] = -1;
        if (p.netQuoted[i] !== 0) continue;
        const proto = p.ipProto[i]!;
        const isTcp = proto === IPPROTO_TCP;
        if ((isTcp || proto === IPPROTO_UDP) && p.l4Present[i] === 0) continue;
        const depth = p.netDepth[i]!;
        const version = p.ipVersion[i]!;
        const w = 4 * i;
        const src = p.ipSrc, dst = p.ipDst;
        const srcPort = p.srcPort[i]!, dstPort = p.dstPort[i]!;
        let h: number;
        let fd: number;
        if (version === 4) {
          // IPv4 (nearly every level): hashed and matched from the packet's words, no key copy.
          h = flowHash4(capture, proto, depth, src[w]!, dst[w]!, srcPort, dstPort, iface);
          if (this.route !== null && !this.route.owns(p, i, h)) continue;
          fd = table.find4(capture, proto, depth, src[w]!, dst[w]!, srcPort, dstPort, h, iface);
        } else {
          this.fillKey(p, i, proto);
          h = flowHash(k);
          if (this.route !== null && !this.route.owns(p, i, h)) continue;
          fd = table.find(k, h);
        }
        let f: number;
        let dir: number;
        let first = false;
        const flags = isTcp ? p.tcpFlags[i]! : 0;
        if (fd < 0) {
          if (table.count >= this.maxFlows) {
            // Bounded memory (issue #8): say so once; the packet stays counted and indexed, untracked.
            if (!this.flowLimitReached) {
              this.flowLimitReached = true;
              this.issues.push({ capture, packet: packet + 1, flow: -1,
                reason: `more than ${this.maxFlows} flows: the flow table is full, so packets of new flows from here on are counted but not tracked as flows` });
            }
            continue;
          }
          // TCP: a capture that starts at the SYN/ACK names the SYN sender (its receiver) A.
          const swap = isTcp && (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
          if (version === 4) this.fillKey(p, i, proto);
          // A SYN/ACK answering, through NAT, a SYN seen here with other addresses (or, in a capture that
          // started after the handshake, a reply acknowledging such a flow's bytes): the same flow (nat-half-views.ts).
          const half = swap ? this.nat.match(table, capture, iface, p, i)
            : isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_ACK ? this.nat.matchMidstream(table, this.tcp, capture, iface, p, i) : -1;
          if (half >= 0) {
            table.alias(half, k, h, false);
            f = half;
            dir = 1;
          } else {
            f = table.create(k, h, swap, -1, packet, sec, tsNsec);
            dir = swap ? 1 : 0;
            first = true;
            if (isTcp) {
              this.tcp.ensure(f + 1);
              if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) this.nat.open(f, p.tcpSeq[i]!, srcPort);
              else if ((flags & TCP_SYN) === 0) this.nat.openMidstream(f, p, i);
            }
          }
        } else {
          f = fd >> 1;
          dir = fd & 1;
          if (isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && this.tcp.isReuse(f, dir, p.tcpSeq[i]! | 0)) {
            if (version === 4) this.fillKey(p, i, proto);
            f = table.create(k, h, false, f, packet, sec, tsNsec);
            dir = 0;
            first = true;
            this.tcp.ensure(f + 1);
          }
        }
        table.count1(f, dir, frameLen, sec, tsNsec);
        levelFlow[i] = f;
        if (depth > 0 && depth <= p.tunnelCount) {
          const t = depth - 1;
          const of = levelFlow[p.tunnelNet[t]!]!;
          if (of >= 0) table.link(f, of, p.tunnelType[t]!, p.tunnelVni[t]!);
        }
        if (outer < 0) outer = f;
        inner = f;
        if (isTcp) {
          const seglen = p.payloadWireLength[i]!;
          const tcp = this.tcp;
          const slot = 2 * f + dir;
          // Where this direction's byte stream starts (ISN+1) when its SYN was seen, and
          // whether this segment came before any byte at that start (out of order).
          const streamStart = tcp.isnSet[slot] === 1 ? (tcp.isn[slot]! + 1) >>> 0 : -1;
          const aheadOfStart = streamStart >= 0 && seglen > 0 && tcp.nextSeq[slot] === streamStart && p.tcpSeq[i] !== streamStart;
          // Sequence numbers go as signed 32-bit views (x | 0): above 2^30 a number
          // passed to a call that is not inlined is boxed (a heap number a packet).
          const seq = p.tcpSeq[i]! | 0;
          // The stream start goes as a signed view too, with startSet for 'none': passed as a uint32 it
          // was a heap number for half the HTTP segments (~10 MB allocated on the bench file).
          const startSet = streamStart >= 0;
          const start = streamStart | 0;
          this.tcp.segment(f, dir, first, flags, seq, p.tcpAck[i]! | 0, p.tcpWindow[i]!, seglen, p.ipId[i]!, sec, tsNsec);
          const startsHttp = p.httpNet === i;
          if ((seglen > 0 || (flags & TCP_FIN) !== 0) && (startsHttp || this.http.has(f))) {
            this.http.segment(f, capture, packet, dir, seq, (flags & TCP_SYN) !== 0, (flags & TCP_FIN) !== 0,
              b, base + p.payloadStart[i]!, p.payloadLength[i]!, seglen, startsHttp, sec, tsNsec, startSet, start, aheadOfStart);
          } else if (aheadOfStart) {
            this.http.segment(f, capture, packet, dir, seq, false, false, b, base + p.payloadStart[i]!, p.payloadLength[i]!, seglen,
              false, sec, tsNsec, startSet, start, true);
          }
          if ((flags & (TCP_FIN | TCP_RST)) !== 0 && this.http.has(f)) {
            const st = this.tcp.state[f]!;
            if ((st & ST_RST) !== 0 || (st & (ST_FIN_A | ST_FIN_B)) === (ST_FIN_A | ST_FIN_B)) this.http.close(f, sec, tsNsec);
          }
        }
        if (p.dnsNet === i && p.payloadLength[i]! > 0) {
          this.dns.payload(f, capture, packet, b, base + p.payloadStart[i]!, p.payloadLength[i]!, isTcp, tsSec, tsNsec);
        }
      }
    }
    if (inner >= 0) {
      let ids = this.flowIds;
      const idx = this.captures[capture]?.index;
      if (idx) {
        // The index grows by replacing its arrays: take the current ones.
        if (ids !== idx.flowId) { ids = this.flowIds = idx.flowId; this.outerIds = idx.outerFlowId; }
        if (this.route === null) {
          ids[packet] = inner;
          this.outerIds![packet] = outer;
        } else {
          // Which level each is: the split's merge picks, per packet, the innermost and outermost over its owners.
          const levelFlow = this.levelFlow;
          let lo = 0, hi = netCount - 1;
          while (levelFlow[lo] !== outer) lo++;
          while (levelFlow[hi] !== inner) hi--;
          ids[packet] = 16 * inner + hi;
          this.outerIds![packet] = 16 * outer + lo;
        }
      }
    }
  }

  /** Fills the reused key with level `i` of `p` (IPv4 addresses are word 0; the other words 0). */
  private fillKey(p: DecodedPacket, i: number, proto: number): void {
    const k = this.key;
    k.depth = p.netDepth[i]!;
    k.version = p.ipVersion[i]!;
    k.proto = proto;
    const w = 4 * i;
    const src = p.ipSrc, dst = p.ipDst;
    k.src[0] = src[w]!; k.dst[0] = dst[w]!;
    if (k.version === 4) {
      k.src[1] = k.src[2] = k.src[3] = 0;
      k.dst[1] = k.dst[2] = k.dst[3] = 0;
    } else {
      k.src[1] = src[w + 1]!; k.src[2] = src[w + 2]!; k.src[3] = src[w + 3]!;
      k.dst[1] = dst[w + 1]!; k.dst[2] = dst[w + 2]!; k.dst[3] = dst[w + 3]!;
    }
    k.srcPort = p.srcPort[i]!;
    k.dstPort = p.dstPort[i]!;
  }

  endCapture(capture: number): void {
    this.http.endCapture(this.table.baseSec[capture] ?? 0);
    this.dns.endCapture();
    this.nat.clear();
    this.flowIds = null;
    this.outerIds = null;
  }
}
