/**
 * The reused decode state: one instance decodes every packet of a run, the
 * way gopacket's DecodingLayerParser decodes into preallocated layers. All
 * fields are typed arrays or numbers; `reset()` clears every field a decoder
 * may set so nothing of packet A survives into packet B.
 *
 * Network levels: each IP header decoded (outer, then inner after a tunnel)
 * is one level `i` with its fields at index i (IPv6 addresses use 4 words at
 * 4*i). `netDepth[i]` is how many tunnels were crossed before it (0 outer).
 * Levels inside an ICMP error quote are marked `netQuoted[i] = 1`.
 */
import { LAYER_COUNT } from './layers.js';

export const MAX_LAYERS = 48;
export const MAX_NET = 12;
export const MAX_TUNNELS = 8;
export const MAX_ETH = 12;

/**
 * Groups of per-level fields, each written wholly by one decoder (bits of
 * fieldsWritten / fieldsClean). The IPv4 fields (ipSrc/ipDst word 0, ipProto,
 * ipId, ipTtl, ipFragment) are written by both IP decoders on every level.
 */
/** ipSrc/ipDst words 1..3 (IPv6 only; 0 for IPv4). */
export const F_IP_WORDS = 1;
/** l4Present, srcPort, dstPort (UDP, TCP). */
export const F_PORTS = 2;
/** payloadStart, payloadLength, payloadWireLength (UDP, TCP, ICMP). */
export const F_PAYLOAD = 4;
/** tcpFlags, tcpSeq, tcpAck, tcpWindow. */
export const F_TCP = 8;
/** tcpMss, tcpWscale, tcpSackPermitted, tcpSackBlocks, tcpTsVal, tcpTsEcr, tcpHasTs (reset together before options are read). */
export const F_TCP_OPTIONS = 16;
/** icmpType, icmpCode. */
export const F_ICMP = 32;
const F_ALL = 63;

export class DecodedPacket {
  // --- layer stack -------------------------------------------------------
  layerCount = 0;
  readonly layerIds = new Uint8Array(MAX_LAYERS);
  /** Offset of each layer's first byte, relative to the frame start. */
  readonly layerStart = new Int32Array(MAX_LAYERS);
  /** Bit i set when layer id i occurs anywhere in the packet. */
  layerMask = 0;

  // --- link ---------------------------------------------------------------
  ethCount = 0;
  /** dst(6) src(6) per Ethernet header. */
  readonly ethMac = new Uint8Array(MAX_ETH * 12);
  /** Tunnel depth at each Ethernet header. */
  readonly ethDepth = new Uint8Array(MAX_ETH);
  /** Outermost VLAN id (-1 none). */
  vlanId = -1;

  // --- network levels -----------------------------------------------------
  netCount = 0;
  readonly netDepth = new Uint8Array(MAX_NET);
  readonly netQuoted = new Uint8Array(MAX_NET);
  /** 4 or 6. */
  readonly ipVersion = new Uint8Array(MAX_NET);
  /** IPv4: word 0; IPv6: words 0..3 (big-endian words). */
  readonly ipSrc = new Uint32Array(MAX_NET * 4);
  readonly ipDst = new Uint32Array(MAX_NET * 4);
  /** Transport protocol after extension headers. */
  readonly ipProto = new Uint8Array(MAX_NET);
  /** IPv4 identification; IPv6 fragment identification (0 when none). */
  readonly ipId = new Uint32Array(MAX_NET);
  readonly ipTtl = new Uint8Array(MAX_NET);
  /** 0 not a fragment; 1 first fragment (more follow); 2 a later fragment. */
  readonly ipFragment = new Uint8Array(MAX_NET);
  /** Frame offset of the IP header. */
  readonly ipStart = new Int32Array(MAX_NET);
  /** Bytes the IP header says it holds (header + payload). */
  readonly ipLength = new Int32Array(MAX_NET);

  // --- transport (per network level; 0 when absent) -----------------------
  /** 1 when the transport header of this level was decoded. */
  readonly l4Present = new Uint8Array(MAX_NET);
  readonly srcPort = new Uint16Array(MAX_NET);
  readonly dstPort = new Uint16Array(MAX_NET);
  /** TCP flags (9 bits: NS CWR ECE URG ACK PSH RST SYN FIN). */
  readonly tcpFlags = new Uint16Array(MAX_NET);
  readonly tcpSeq = new Uint32Array(MAX_NET);
  readonly tcpAck = new Uint32Array(MAX_NET);
  readonly tcpWindow = new Uint32Array(MAX_NET);
  /** Options, -1 when absent. */
  readonly tcpMss = new Int32Array(MAX_NET);
  readonly tcpWscale = new Int32Array(MAX_NET);
  readonly tcpSackPermitted = new Uint8Array(MAX_NET);
  readonly tcpSackBlocks = new Uint8Array(MAX_NET);
  readonly tcpTsVal = new Uint32Array(MAX_NET);
  readonly tcpTsEcr = new Uint32Array(MAX_NET);
  readonly tcpHasTs = new Uint8Array(MAX_NET);
  readonly icmpType = new Int16Array(MAX_NET);
  readonly icmpCode = new Int16Array(MAX_NET);
  /** Frame offset and captured length of the transport payload. */
  readonly payloadStart = new Int32Array(MAX_NET);
  readonly payloadLength = new Int32Array(MAX_NET);
  /** Payload length the headers claim (may exceed what was captured). */
  readonly payloadWireLength = new Int32Array(MAX_NET);

  // --- tunnels -----------------------------------------------------------
  tunnelCount = 0;
  readonly tunnelType = new Uint8Array(MAX_TUNNELS);
  readonly tunnelVni = new Uint32Array(MAX_TUNNELS);
  /** The network level whose UDP carried this tunnel. */
  readonly tunnelNet = new Uint8Array(MAX_TUNNELS);
  /** Frame offset of the tunnel header; the encapsulation overhead of level 0 is its inner start. */
  readonly tunnelStart = new Int32Array(MAX_TUNNELS);
  /** Frame offset where the carried frame starts (after VXLAN/Geneve header and options). */
  readonly tunnelInner = new Int32Array(MAX_TUNNELS);
  readonly geneveOptions = new Uint8Array(MAX_TUNNELS);
  /** GRE: the flags-and-version word (first 2 bytes of the header); 0 for other tunnels. */
  readonly greFlags = new Uint16Array(MAX_TUNNELS);
  /** GRE sequence number (-1 when absent or not GRE). */
  readonly greSeq = new Float64Array(MAX_TUNNELS);
  /** ERSPAN type 1, 2 or 3 (I, II, III); 0 when the tunnel is not ERSPAN. */
  readonly erspanType = new Uint8Array(MAX_TUNNELS);
  /** ERSPAN II/III: the mirrored frame's original VLAN (-1 none). */
  readonly erspanVlan = new Int16Array(MAX_TUNNELS);
  /** ERSPAN III: the 32-bit timestamp (in the session's granularity); -1 when absent. */
  readonly erspanTimestamp = new Float64Array(MAX_TUNNELS);
  /** Current tunnel depth while decoding. */
  depth = 0;

  // --- application -------------------------------------------------------
  /** Network level whose payload is HTTP (-1 none); 1 request, 2 response. */
  httpNet = -1;
  httpKind = 0;
  /** Network level whose payload is DNS (-1 none). */
  dnsNet = -1;
  dnsId = 0;
  dnsIsResponse = 0;

  // --- WireGuard (one message a packet; 0 / -1 when the packet has none) ---
  /** Message type 1 initiation, 2 response, 3 cookie reply, 4 transport data; 0 none. */
  wgType = 0;
  /** Sender index (types 1, 2), receiver index (types 2, 3, 4), as on the wire (little-endian); -1 absent. */
  wgSender = -1;
  wgReceiver = -1;
  /** Transport data counter (type 4), 64-bit little-endian as two words; -1 absent. */
  wgCounterHi = -1;
  wgCounterLo = -1;

  // --- per-level bookkeeping of the reuse (see beginNet and settle) ---------
  /**
   * F_* groups of each level known to hold their defaults. 0 (nothing known) is the safe start:
   * the first packet clears every group it does not write, whatever the arrays held before.
   */
  readonly fieldsClean = new Uint8Array(MAX_NET);
  /** F_* groups of each level written while decoding the current packet (each group wholly). */
  readonly fieldsWritten = new Uint8Array(MAX_NET);

  // --- scratch for the decode loop: where the next layer starts and ends ---
  nextOff = 0;
  nextEnd = 0;

  // --- trouble -----------------------------------------------------------
  /** Layer id where decoding stopped on a problem (-1 none). */
  issueLayer = -1;
  /** Frame offset of the problem. */
  issueOffset = 0;
  /** A constant string (no allocation) saying why. */
  issueReason = '';
  /** Set when a layer was present but its contents looked wrong (still decoded). */
  malformed = 0;

  reset(): void {
    this.layerCount = 0;
    this.layerMask = 0;
    this.ethCount = 0;
    this.vlanId = -1;
    this.netCount = 0;
    this.tunnelCount = 0;
    this.depth = 0;
    this.httpNet = -1;
    this.httpKind = 0;
    this.dnsNet = -1;
    this.dnsId = 0;
    this.dnsIsResponse = 0;
    this.wgType = 0;
    this.wgSender = -1;
    this.wgReceiver = -1;
    this.wgCounterHi = -1;
    this.wgCounterLo = -1;
    this.issueLayer = -1;
    this.issueOffset = 0;
    this.issueReason = '';
    this.malformed = 0;
  }

  /**
   * Starts a new network level. Only the fields every IP decoder does not
   * write itself are set here; the other per-level fields are written by
   * their decoder, in groups (`fieldsWritten`), and `settle()` at the end of
   * the packet clears the groups an earlier packet may have set at this level
   * and this one did not write. Clearing all ~30 fields of every level here cost
   * ~60-80 ms of the bench file's ~1.1 s read-and-decode run.
   */
  beginNet(version: number, start: number): number {
    const i = this.netCount++;
    this.netDepth[i] = this.depth;
    this.netQuoted[i] = 0;
    this.ipVersion[i] = version;
    this.ipStart[i] = start;
    this.ipLength[i] = 0;
    this.fieldsWritten[i] = 0;
    return i;
  }

  /**
   * Ends a packet: at each level, a group of fields this packet did not write
   * and that is not known to hold its defaults goes back to them, so nothing
   * of packet A survives into packet B (test/dissect/decoded.test.ts).
   */
  settle(): void {
    for (let i = 0; i < this.netCount; i++) {
      const written = this.fieldsWritten[i]!;
      const stale = F_ALL & ~(this.fieldsClean[i]! | written);
      if (stale !== 0) this.clearGroups(i, stale);
      this.fieldsClean[i] = F_ALL & ~written;
    }
  }

  /** Puts the fields of `groups` (F_* bits) of level i back to their defaults. */
  clearGroups(i: number, groups: number): void {
    if ((groups & F_IP_WORDS) !== 0) {
      const w = i * 4;
      this.ipSrc[w + 1] = this.ipSrc[w + 2] = this.ipSrc[w + 3] = 0;
      this.ipDst[w + 1] = this.ipDst[w + 2] = this.ipDst[w + 3] = 0;
    }
    if ((groups & F_PORTS) !== 0) {
      this.l4Present[i] = 0;
      this.srcPort[i] = 0;
      this.dstPort[i] = 0;
    }
    if ((groups & F_PAYLOAD) !== 0) {
      this.payloadStart[i] = 0;
      this.payloadLength[i] = 0;
      this.payloadWireLength[i] = 0;
    }
    if ((groups & F_TCP) !== 0) {
      this.tcpFlags[i] = 0;
      this.tcpSeq[i] = 0;
      this.tcpAck[i] = 0;
      this.tcpWindow[i] = 0;
    }
    if ((groups & F_TCP_OPTIONS) !== 0) {
      this.tcpMss[i] = -1;
      this.tcpWscale[i] = -1;
      this.tcpSackPermitted[i] = 0;
      this.tcpSackBlocks[i] = 0;
      this.tcpTsVal[i] = 0;
      this.tcpTsEcr[i] = 0;
      this.tcpHasTs[i] = 0;
    }
    if ((groups & F_ICMP) !== 0) {
      this.icmpType[i] = -1;
      this.icmpCode[i] = -1;
    }
  }

  push(layer: number, start: number): boolean {
    if (this.layerCount >= MAX_LAYERS) {
      // Never drop a layer silently (issue #8): the packet says where its stack overflowed.
      this.fail(layer, start, 'more layers than the layer stack holds (48); the rest are not listed');
      return false;
    }
    this.layerIds[this.layerCount] = layer;
    this.layerStart[this.layerCount] = start;
    this.layerCount++;
    this.layerMask |= 1 << layer;
    return true;
  }

  fail(layer: number, offset: number, reason: string): void {
    if (this.issueLayer < 0) {
      this.issueLayer = layer;
      this.issueOffset = offset;
      this.issueReason = reason;
    }
  }

  has(layer: number): boolean {
    return (this.layerMask & (1 << layer)) !== 0;
  }

  /** The innermost network level that is not inside an ICMP quote (-1 none). */
  innermostNet(): number {
    for (let i = this.netCount - 1; i >= 0; i--) if (this.netQuoted[i] === 0) return i;
    return -1;
  }
}

if (LAYER_COUNT > 31) throw new Error('layer ids must fit a 32-bit mask');
