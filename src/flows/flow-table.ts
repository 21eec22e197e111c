/**
 * The bidirectional flow table at every depth, as struct-of-arrays indexed by
 * flow id, with an open-addressing hash index over fixed-size numeric keys
 * (capture, interface, depth, IP version, protocol, two addresses of 4 words,
 * two ports): no string and no object per packet or per flow.
 *
 * A flow is one conversation at one depth at one capture point: a capture and
 * one of its interfaces (a pcapng interface, or an SLL2 interface index of an
 * any-interface capture), so a segment seen again on another interface of the
 * same file is another flow's packet, not a retransmission. A is the side that
 * sent the first packet seen (for TCP the SYN sender: a capture that starts
 * with the SYN/ACK names its receiver A). Bytes are frame lengths (Wireshark's
 * convention), counted once at every depth the packet has a flow.
 *
 * TCP: a SYN that reuses the 4-tuple of a finished (or differently numbered)
 * conversation starts a new flow id; the old flow stays in the table but
 * leaves the hash index (`superseded`).
 *
 * NAT half-views (nat-half-views.ts): a flow may have a second key, an alias
 * for the addresses its reply direction showed at the same capture point
 * behind NAT. An alias is a hash slot holding -(alias + 1); its key row lives
 * in `aliasKeys`, oriented as the flow (A first), so a match gives the flow
 * and the direction. Its slot holds the hash with the low bit flipped, so
 * lookups of flows pass over it; aliases are searched only after a miss.
 */
import { grown } from './grow.js';

/** The key of one network level of a packet, filled by the caller before `find`/`create`. */
export class FlowKey {
  capture = 0;
  /** Interface id in the capture (the packet index's `iface`). */
  iface = 0;
  depth = 0;
  version = 4;
  proto = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  srcPort = 0;
  dstPort = 0;
}

function endpointHash(w: Uint32Array, port: number): number {
  let h = Math.imul(w[0]! ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w[1]!, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ w[2]!, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w[3]!, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ (port * 0x10001), 0x85ebca6b);
  return h ^ (h >>> 15);
}

/** Direction-independent: A→B and B→A hash alike (as gopacket's FastHash). */
export function flowHash(k: FlowKey): number {
  const hs = endpointHash(k.src, k.srcPort);
  const hd = endpointHash(k.dst, k.dstPort);
  let h = (hs + hd) ^ Math.imul(k.proto | (k.depth << 8) | (k.version << 16), 0x27d4eb2d) ^ Math.imul(k.capture + 1, 0x165667b1) ^ Math.imul(k.iface, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) | 0;
}

function endpointHash4(x: number, port: number): number {
  const e = Math.imul(x ^ ((port << 16) | port), 0x85ebca6b);
  return e ^ (e >>> 15);
}

/**
 * flowHash of an IPv4 key (one word an address), from the packet's fields:
 * 3 multiplies instead of 13. Direction-independent like flowHash. Only its
 * high bits are well mixed, which is what the table uses (`h >>> shift`).
 */
export function flowHash4(capture: number, proto: number, depth: number, src: number, dst: number, srcPort: number, dstPort: number, iface = 0): number {
  const h = (endpointHash4(src, srcPort) + endpointHash4(dst, dstPort)) ^ (proto | (depth << 8) | (4 << 16)) ^ (capture << 24) ^ Math.imul(iface, 0x9e3779b1);
  return Math.imul(h ^ (h >>> 16), 0x2c1b3c6d);
}

export class FlowTable {
  count = 0;
  capacity = 0;
  capture = new Int32Array(0);
  /** Interface id in the capture: with `capture`, the flow's capture point. */
  iface = new Uint16Array(0);
  depth = new Uint8Array(0);
  version = new Uint8Array(0);
  proto = new Uint8Array(0);
  /** 8 words a flow: A's address (4 words), then B's. IPv4 uses the first word of each. */
  addr = new Uint32Array(0);
  portA = new Uint16Array(0);
  portB = new Uint16Array(0);
  /**
   * Seconds are kept relative to each capture's first packet (`baseSec`):
   * epoch seconds exceed V8's small integers and would be boxed on every
   * call that passes them; relative ones are small integers.
   */
  readonly baseSec: number[] = [];
  /**
   * The counters a packet updates, 8 numbers a flow in one cache line:
   * packets A→B, B→A, bytes A→B, B→A, first sec, first nsec, last sec, last nsec.
   */
  private counters = new Float64Array(0);
  /**
   * The key as matched on lookup, 16 words a flow (one cache line): capture,
   * proto | depth << 8 | version << 16, portA | portB << 16, interface, A (4 words), B (4 words), unused.
   */
  private keys = new Uint32Array(0);
  /** Packet index (0-based, in its capture) of the flow's first packet. */
  firstPacket = new Uint32Array(0);
  hash = new Int32Array(0);
  /** 1 when a later conversation on the same key replaced this flow in the index. */
  superseded = new Uint8Array(0);
  /** The first tunnel link of an inner flow: outer flow (-1 none), tunnel type (layers.ts TUNNEL_*), VNI. */
  tunnelOuter = new Int32Array(0);
  tunnelType = new Uint8Array(0);
  tunnelVni = new Uint32Array(0);
  /** A second outer flow (the reverse tunnel direction usually), to skip the link lookup (-1 none). */
  tunnelOuter2 = new Int32Array(0);
  /** Number of distinct inner flows an outer flow carried. */
  innerCount = new Uint32Array(0);

  // Tunnel links (inner, outer, type, vni), one per distinct pair.
  linkCount = 0;
  linkInner = new Int32Array(1024);
  linkOuter = new Int32Array(1024);
  linkType = new Uint8Array(1024);
  linkVni = new Uint32Array(1024);
  /** Pairs beyond the two cached per inner flow (rare: a flow carried by 3+ tunnel flows). */
  private readonly extraLinks = new Set<number>();

  /** The NAT alias of a flow (index into the alias arrays), -1 none. */
  natAlias = new Int32Array(0);
  aliasCount = 0;
  /** The flow an alias stands for (-1 once that flow was superseded: the alias no longer matches). */
  aliasFlow = new Int32Array(64);
  /** Key rows as `keys` (16 words an alias), oriented as the flow: its A endpoint first. */
  aliasKeys = new Uint32Array(16 * 64);
  private aliasHash = new Int32Array(64);

  // Hash index: pairs (flow id + 1, full hash) in one array (0 id: empty), so a probe reads one cache line.
  private slots = new Int32Array(2 * 4096);
  private mask = 4095;
  /** A hash's slot is its high bits, `h >>> shift` (32 - log2 of the slot count). */
  private shift = 20;
  private live = 0;

  constructor() {
    this.ensure(1024);
  }

  private ensure(n: number): void {
    if (n <= this.capacity) return;
    let c = Math.max(1024, this.capacity);
    while (c < n) c *= 2;
    this.capture = grown(this.capture, c);
    this.iface = grown(this.iface, c);
    this.depth = grown(this.depth, c);
    this.version = grown(this.version, c);
    this.proto = grown(this.proto, c);
    this.addr = grown(this.addr, 8 * c);
    this.portA = grown(this.portA, c);
    this.portB = grown(this.portB, c);
    this.counters = grown(this.counters, 8 * c);
    this.keys = grown(this.keys, 16 * c);
    this.firstPacket = grown(this.firstPacket, c);
    this.hash = grown(this.hash, c);
    this.superseded = grown(this.superseded, c);
    this.tunnelOuter = grown(this.tunnelOuter, c, -1);
    this.tunnelType = grown(this.tunnelType, c);
    this.tunnelVni = grown(this.tunnelVni, c);
    this.tunnelOuter2 = grown(this.tunnelOuter2, c, -1);
    this.innerCount = grown(this.innerCount, c);
    this.natAlias = grown(this.natAlias, c, -1);
    this.capacity = c;
  }

  /**
   * The flow of key `k` as `2*id + dir` (dir 0 when k.src is A, 1 when k.src
   * is B), or -1 when the table has none. `h` is flowHash(k).
   */
  find(k: FlowKey, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let at = h >>> this.shift;
    for (;;) {
      const v = slots[2 * at]!;
      if (v === 0) return this.aliasCount === 0 ? -1 : this.findAlias(k, h);
      if (slots[2 * at + 1] === h) {
        const f = v - 1;
        const d = this.matches(f, k);
        if (d >= 0) return 2 * f + d;
      }
      at = (at + 1) & mask;
    }
  }

  /**
   * find() for an IPv4 key given as fields (what a FlowKey of version 4 with
   * zero words 1..3 holds); `h` is flowHash4 of them.
   */
  find4(capture: number, proto: number, depth: number, src: number, dst: number, srcPort: number, dstPort: number, h: number, iface = 0): number {
    const slots = this.slots;
    const mask = this.mask;
    const meta = proto | (depth << 8) | (4 << 16);
    let at = h >>> this.shift;
    for (;;) {
      const v = slots[2 * at]!;
      if (v === 0) return this.aliasCount === 0 ? -1 : this.findAlias4(capture, meta, src, dst, srcPort, dstPort, h, iface);
      if (slots[2 * at + 1] === h) {
        const w = this.keys;
        const o = 16 * (v - 1);
        if (w[o] === capture && w[o + 1] === meta && w[o + 3] === iface) {
          const ports = w[o + 2]!;
          if (w[o + 4] === src && w[o + 8] === dst && ports === ((srcPort | (dstPort << 16)) >>> 0)) return 2 * (v - 1);
          if (w[o + 4] === dst && w[o + 8] === src && ports === ((dstPort | (srcPort << 16)) >>> 0)) return 2 * (v - 1) + 1;
        }
      }
      at = (at + 1) & mask;
    }
  }

  /**
   * The alias of an IPv4 key, looked up only when the flows had none (a miss:
   * once per new flow). Alias slots hold their hash with the low bit flipped
   * (`h ^ 1`, same probe chain), so the lookups of flows never stop at them.
   */
  private findAlias4(capture: number, meta: number, src: number, dst: number, srcPort: number, dstPort: number, h: number, iface: number): number {
    const slots = this.slots;
    const ah = h ^ 1;
    for (let at = h >>> this.shift; ; at = (at + 1) & this.mask) {
      const v = slots[2 * at]!;
      if (v === 0) return -1;
      if (v < 0 && slots[2 * at + 1] === ah) {
        const r = this.aliasMatches4(-v - 1, capture, meta, src, dst, srcPort, dstPort, iface);
        if (r >= 0) return r;
      }
    }
  }

  /** findAlias4 for a key of any version. */
  private findAlias(k: FlowKey, h: number): number {
    const slots = this.slots;
    const ah = h ^ 1;
    const meta = k.proto | (k.depth << 8) | (k.version << 16);
    for (let at = h >>> this.shift; ; at = (at + 1) & this.mask) {
      const v = slots[2 * at]!;
      if (v === 0) return -1;
      if (v < 0 && slots[2 * at + 1] === ah) {
        const r = this.aliasMatches(-v - 1, k.capture, meta, k.src, k.dst, k.srcPort, k.dstPort, k.iface);
        if (r >= 0) return r;
      }
    }
  }

  /** `2*flow + dir` when alias `a` has this IPv4 key, else -1. */
  private aliasMatches4(a: number, capture: number, meta: number, src: number, dst: number, srcPort: number, dstPort: number, iface: number): number {
    const f = this.aliasFlow[a]!;
    const w = this.aliasKeys;
    const o = 16 * a;
    if (f < 0 || w[o] !== capture || w[o + 1] !== meta || w[o + 3] !== iface) return -1;
    const ports = w[o + 2]!;
    if (w[o + 4] === src && w[o + 8] === dst && ports === ((srcPort | (dstPort << 16)) >>> 0)) return 2 * f;
    if (w[o + 4] === dst && w[o + 8] === src && ports === ((dstPort | (srcPort << 16)) >>> 0)) return 2 * f + 1;
    return -1;
  }

  /** `2*flow + dir` when alias `a` has this key (any version), else -1. */
  private aliasMatches(a: number, capture: number, meta: number, s: Uint32Array, d: Uint32Array, srcPort: number, dstPort: number, iface: number): number {
    const f = this.aliasFlow[a]!;
    const w = this.aliasKeys;
    const o = 16 * a;
    if (f < 0 || w[o] !== capture || w[o + 1] !== meta || w[o + 3] !== iface) return -1;
    const ports = w[o + 2]!;
    if (ports === ((srcPort | (dstPort << 16)) >>> 0)
      && w[o + 4] === s[0] && w[o + 5] === s[1] && w[o + 6] === s[2] && w[o + 7] === s[3]
      && w[o + 8] === d[0] && w[o + 9] === d[1] && w[o + 10] === d[2] && w[o + 11] === d[3]) return 2 * f;
    if (ports === ((dstPort | (srcPort << 16)) >>> 0)
      && w[o + 4] === d[0] && w[o + 5] === d[1] && w[o + 6] === d[2] && w[o + 7] === d[3]
      && w[o + 8] === s[0] && w[o + 9] === s[1] && w[o + 10] === s[2] && w[o + 11] === s[3]) return 2 * f + 1;
    return -1;
  }

  /**
   * Makes key `k` (hash `h`) a second key of flow `f`: its NAT half-view.
   * `kSrcIsA`: k.src is the flow's A endpoint as seen in that view.
   */
  alias(f: number, k: FlowKey, h: number, kSrcIsA: boolean): number {
    const a = this.aliasCount;
    if (a === this.aliasFlow.length) {
      this.aliasFlow = grown(this.aliasFlow, 2 * a);
      this.aliasKeys = grown(this.aliasKeys, 32 * a);
      this.aliasHash = grown(this.aliasHash, 2 * a);
    }
    this.aliasCount = a + 1;
    this.aliasFlow[a] = f;
    this.aliasHash[a] = h;
    const w = this.aliasKeys;
    const q = 16 * a;
    const x = kSrcIsA ? k.src : k.dst, y = kSrcIsA ? k.dst : k.src;
    w[q] = k.capture;
    w[q + 1] = k.proto | (k.depth << 8) | (k.version << 16);
    w[q + 2] = ((kSrcIsA ? k.srcPort : k.dstPort) | ((kSrcIsA ? k.dstPort : k.srcPort) << 16)) >>> 0;
    w[q + 3] = k.iface;
    for (let j = 0; j < 4; j++) { w[q + 4 + j] = x[j]!; w[q + 8 + j] = y[j]!; }
    this.natAlias[f] = a;
    if ((this.live + 1) * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    this.insertSlot(-(a + 1), h ^ 1);
    this.live++;
    return a;
  }

  /** Whether flow f's key is at capture point (capture, iface): what lookups were given. */
  atPoint(f: number, capture: number, iface: number): boolean {
    return this.keys[16 * f] === capture && this.keys[16 * f + 3] === iface;
  }

  /** 0 when k matches flow f forward, 1 reversed, -1 not at all. */
  private matches(f: number, k: FlowKey): number {
    const w = this.keys;
    const o = 16 * f;
    if (w[o] !== k.capture || w[o + 1] !== (k.proto | (k.depth << 8) | (k.version << 16)) || w[o + 3] !== k.iface) return -1;
    const s = k.src, d = k.dst;
    const ports = w[o + 2]!;
    if (ports === ((k.srcPort | (k.dstPort << 16)) >>> 0)
      && w[o + 4] === s[0] && w[o + 8] === d[0] && w[o + 5] === s[1] && w[o + 6] === s[2] && w[o + 7] === s[3]
      && w[o + 9] === d[1] && w[o + 10] === d[2] && w[o + 11] === d[3]) return 0;
    if (ports === ((k.dstPort | (k.srcPort << 16)) >>> 0)
      && w[o + 4] === d[0] && w[o + 8] === s[0] && w[o + 5] === d[1] && w[o + 6] === d[2] && w[o + 7] === d[3]
      && w[o + 9] === s[1] && w[o + 10] === s[2] && w[o + 11] === s[3]) return 1;
    return -1;
  }

  /**
   * Adds a flow for key `k` (A = k.src, or k.dst when `swap`) and indexes it.
   * `replace` is a flow of the same key that this one supersedes (-1 none).
   */
  create(k: FlowKey, h: number, swap: boolean, replace: number, packet: number, sec: number, nsec: number): number {
    const f = this.count;
    if (f === this.capacity) this.ensure(f + 1);
    this.count = f + 1;
    this.capture[f] = k.capture;
    this.iface[f] = k.iface;
    this.depth[f] = k.depth;
    this.version[f] = k.version;
    this.proto[f] = k.proto;
    const a = this.addr;
    const o = 8 * f;
    const x = swap ? k.dst : k.src, y = swap ? k.src : k.dst;
    a[o] = x[0]!; a[o + 1] = x[1]!; a[o + 2] = x[2]!; a[o + 3] = x[3]!;
    a[o + 4] = y[0]!; a[o + 5] = y[1]!; a[o + 6] = y[2]!; a[o + 7] = y[3]!;
    this.portA[f] = swap ? k.dstPort : k.srcPort;
    this.portB[f] = swap ? k.srcPort : k.dstPort;
    const w = this.keys;
    const q = 16 * f;
    w[q] = k.capture;
    w[q + 1] = k.proto | (k.depth << 8) | (k.version << 16);
    w[q + 2] = (this.portA[f]! | (this.portB[f]! << 16)) >>> 0;
    w[q + 3] = k.iface;
    for (let j = 0; j < 8; j++) w[q + 4 + j] = a[o + j]!;
    const c = this.counters;
    const e = 8 * f;
    c[e + 4] = sec; c[e + 5] = nsec; c[e + 6] = sec; c[e + 7] = nsec;
    this.firstPacket[f] = packet;
    this.hash[f] = h;
    if (replace >= 0) {
      this.superseded[replace] = 1;
      // Its NAT alias stops matching: the new conversation finds its own.
      const na = this.natAlias[replace]!;
      if (na >= 0) this.aliasFlow[na] = -1;
      // Take over the replaced flow's slot.
      let at = h >>> this.shift;
      while (this.slots[2 * at] !== replace + 1) at = (at + 1) & this.mask;
      this.slots[2 * at] = f + 1;
    } else {
      if ((this.live + 1) * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
      this.insert(f, h);
      this.live++;
    }
    return f;
  }

  private insert(f: number, h: number): void {
    this.insertSlot(f + 1, h);
  }

  /** Puts `v` (flow id + 1, or -(alias + 1)) in the first free slot of hash h. */
  private insertSlot(v: number, h: number): void {
    let at = h >>> this.shift;
    while (this.slots[2 * at] !== 0) at = (at + 1) & this.mask;
    this.slots[2 * at] = v;
    this.slots[2 * at + 1] = h;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(2 * size);
    this.mask = size - 1;
    this.shift = Math.clz32(size) + 1;
    for (let f = 0; f < this.count; f++) if (this.superseded[f] === 0) this.insert(f, this.hash[f]!);
    for (let a = 0; a < this.aliasCount; a++) this.insertSlot(-(a + 1), this.aliasHash[a]! ^ 1);
  }

  /** Counts one packet of `frameLen` bytes in direction `dir` at time (sec relative to baseSec, nsec). */
  count1(f: number, dir: number, frameLen: number, sec: number, nsec: number): void {
    const c = this.counters;
    const e = 8 * f;
    c[e + dir]!++;
    c[e + 2 + dir]! += frameLen;
    const ls = c[e + 6]!;
    if (sec > ls || (sec === ls && nsec > c[e + 7]!)) { c[e + 6] = sec; c[e + 7] = nsec; }
    else {
      const fs = c[e + 4]!;
      if (sec < fs || (sec === fs && nsec < c[e + 5]!)) { c[e + 4] = sec; c[e + 5] = nsec; }
    }
  }

  packetsAtoB(f: number): number { return this.counters[8 * f]!; }
  packetsBtoA(f: number): number { return this.counters[8 * f + 1]!; }
  bytesAtoB(f: number): number { return this.counters[8 * f + 2]!; }
  bytesBtoA(f: number): number { return this.counters[8 * f + 3]!; }
  firstSec(f: number): number { return this.counters[8 * f + 4]! + (this.baseSec[this.capture[f]!] ?? 0); }
  firstNsec(f: number): number { return this.counters[8 * f + 5]!; }
  lastSec(f: number): number { return this.counters[8 * f + 6]! + (this.baseSec[this.capture[f]!] ?? 0); }
  lastNsec(f: number): number { return this.counters[8 * f + 7]!; }

  /** Records that `inner` was carried by `outer` in a tunnel of `type` and `vni`. */
  link(inner: number, outer: number, type: number, vni: number): void {
    const t1 = this.tunnelOuter[inner]!;
    if (t1 === outer || this.tunnelOuter2[inner] === outer) return;
    if (t1 < 0) {
      this.tunnelOuter[inner] = outer;
      this.tunnelType[inner] = type;
      this.tunnelVni[inner] = vni;
    } else if (this.tunnelOuter2[inner]! < 0) {
      this.tunnelOuter2[inner] = outer;
    } else {
      const key = inner * 0x4000000 + outer;
      if (this.extraLinks.has(key)) return;
      this.extraLinks.add(key);
    }
    const n = this.linkCount;
    if (n === this.linkInner.length) {
      this.linkInner = grown(this.linkInner, 2 * n);
      this.linkOuter = grown(this.linkOuter, 2 * n);
      this.linkType = grown(this.linkType, 2 * n);
      this.linkVni = grown(this.linkVni, 2 * n);
    }
    this.linkInner[n] = inner;
    this.linkOuter[n] = outer;
    this.linkType[n] = type;
    this.linkVni[n] = vni;
    this.linkCount = n + 1;
    this.innerCount[outer]!++;
  }

  packets(f: number): number {
    return this.counters[8 * f]! + this.counters[8 * f + 1]!;
  }

  bytes(f: number): number {
    return this.counters[8 * f + 2]! + this.counters[8 * f + 3]!;
  }
}
