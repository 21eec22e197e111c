/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): a flow's
 * direction-independent hash, the same in Zeek, Suricata, Wireshark and
 * Elastic, so a flow found here can be looked up there.
 *
 *   "1:" + base64(SHA-1(seed:16 | src addr | dst addr | proto:8 | 0:8 | src port:16 | dst port:16))
 *
 * all in network byte order, the endpoints ordered so that (addr, port) of
 * the source is the smaller (addresses compared as bytes, then ports). Ports
 * only for TCP, UDP, SCTP, ICMP and ICMPv6; ICMP's "ports" are its type and
 * the counterpart type of a request/reply pair (or the code for one-way
 * types, which are never reordered). The input is at most 40 bytes: one
 * SHA-1 block, filled in place (no allocation but the result string).
 * Checked against the spec's baseline vectors and tshark's `communityid`
 * field by test/export/community-id.test.ts.
 */
import { parseIpv4 } from '../dissect/addr.js';
import { sha1Block } from './sha1.js';

const PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58, PROTO_SCTP = 132;

/** ICMP type -> its counterpart (request <-> reply), from the spec (Zeek's ICMP4_counterpart). */
const ICMP4_COUNTERPART = new Map<number, number>([[8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [17, 18], [18, 17]]);
/** ICMPv6 type -> its counterpart. */
const ICMP6_COUNTERPART = new Map<number, number>([[128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135], [130, 131], [131, 130], [139, 140], [140, 139], [144, 145], [145, 144]]);

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Whether the protocol's Community ID includes ports (TCP, UDP, SCTP, ICMP, ICMPv6). */
export function communityIdHasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === PROTO_ICMP || proto === PROTO_ICMPV6;
}

/** A Community ID v1 hasher with its seed (0 by default, 0..65535). */
export class CommunityId {
  private readonly bytes = new Uint8Array(64);
  private readonly view = new DataView(this.bytes.buffer);
  private readonly block = new Int32Array(16);
  private readonly digest = new Int32Array(5);

  constructor(readonly seed = 0) {
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffff)) throw new RangeError(`Community ID seed must be an integer 0-65535, not ${seed}`);
  }

  /**
   * The Community ID of a flow tuple whose addresses are big-endian 32-bit
   * words (`words` 1 for IPv4, 4 for IPv6) at `src[srcAt..]` and
   * `dst[dstAt..]`, in either direction. For TCP/UDP/SCTP the ports; for
   * ICMP/ICMPv6 use `icmp`; other protocols ignore the ports.
   */
  tuple(words: 1 | 4, proto: number, src: ArrayLike<number>, srcAt: number, dst: ArrayLike<number>, dstAt: number, sport: number, dport: number): string {
    if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) throw new RangeError('ICMP Community IDs take the type and code: use icmp()');
    return this.hash(words, proto, src, srcAt, dst, dstAt, sport, dport, communityIdHasPorts(proto), false);
  }

  /** The Community ID of an ICMP (proto 1) or ICMPv6 (58) packet from its type and code. */
  icmp(words: 1 | 4, proto: number, src: ArrayLike<number>, srcAt: number, dst: ArrayLike<number>, dstAt: number, type: number, code: number): string {
    const counterpart = (proto === PROTO_ICMPV6 ? ICMP6_COUNTERPART : ICMP4_COUNTERPART).get(type);
    return counterpart === undefined
      ? this.hash(words, proto, src, srcAt, dst, dstAt, type, code, true, true)
      : this.hash(words, proto, src, srcAt, dst, dstAt, type, counterpart, true, false);
  }

  private hash(words: number, proto: number, src: ArrayLike<number>, srcAt: number, dst: ArrayLike<number>, dstAt: number, sport: number, dport: number, ports: boolean, oneWay: boolean): string {
    // Order: the smaller (address, port) first, unless a one-way ICMP type.
    let swap = false;
    if (!oneWay) {
      let cmp = 0;
      for (let k = 0; k < words && cmp === 0; k++) {
        const a = src[srcAt + k]! >>> 0, b = dst[dstAt + k]! >>> 0;
        cmp = a < b ? -1 : a > b ? 1 : 0;
      }
      swap = cmp > 0 || (cmp === 0 && ports && sport > dport);
    }
    const v = this.view;
    v.setUint16(0, this.seed);
    let p = 2;
    for (let k = 0; k < words; k++) { v.setUint32(p, (swap ? dst[dstAt + k]! : src[srcAt + k]!) >>> 0); p += 4; }
    for (let k = 0; k < words; k++) { v.setUint32(p, (swap ? src[srcAt + k]! : dst[dstAt + k]!) >>> 0); p += 4; }
    v.setUint8(p++, proto);
    v.setUint8(p++, 0);
    if (ports) {
      v.setUint16(p, swap ? dport : sport); p += 2;
      v.setUint16(p, swap ? sport : dport); p += 2;
    }
    // Padding (FIPS 180-4 5.1.1): 0x80, zeros, the length in bits in the last word.
    this.bytes[p] = 0x80;
    this.bytes.fill(0, p + 1, 60);
    v.setUint32(60, p * 8);
    const block = this.block;
    for (let k = 0; k < 16; k++) block[k] = v.getInt32(4 * k);
    sha1Block(block, this.digest);
    return '1:' + base64Digest(this.digest);
  }
}

/** Base64 of the 20 digest bytes (5 words): 28 characters, one '=' of padding. */
function base64Digest(h: Int32Array): string {
  let s = '';
  // 20 bytes = 6 groups of 3 + 2 bytes.
  const byte = (i: number): number => (h[i >> 2]! >>> (24 - 8 * (i & 3))) & 255;
  for (let i = 0; i < 18; i += 3) {
    const x = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    s += B64[x >>> 18]! + B64[(x >>> 12) & 63]! + B64[(x >>> 6) & 63]! + B64[x & 63]!;
  }
  const x = (byte(18) << 16) | (byte(19) << 8);
  return s + B64[x >>> 18]! + B64[(x >>> 12) & 63]! + B64[(x >>> 6) & 63]! + '=';
}

/** An IPv4 or IPv6 address text as big-endian words (1 or 4), or null. */
export function addressWords(s: string): number[] | null {
  const v4 = parseIpv4(s);
  if (v4 !== null) return [v4];
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const w = parseIpv4(it);
        if (w === null) return null;
        out.push(w >>> 16, w & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(it)) out.push(parseInt(it, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!), tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const g = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return [0, 1, 2, 3].map((k) => ((g[2 * k]! << 16) | g[2 * k + 1]!) >>> 0);
}

/**
 * The Community ID of a tuple given as text (addresses of one family): ports
 * are the TCP/UDP/SCTP ports, or ICMP type and code; null ports for a
 * protocol without them. Throws on an address that is not IPv4 or IPv6.
 */
export function communityIdOf(proto: number, saddr: string, daddr: string, sport: number | null, dport: number | null, seed = 0): string {
  const s = addressWords(saddr), d = addressWords(daddr);
  if (!s || !d || s.length !== d.length) throw new RangeError(`Community ID: addresses '${saddr}' and '${daddr}' are not both IPv4 or both IPv6`);
  const words = s.length as 1 | 4;
  const h = new CommunityId(seed);
  if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) return h.icmp(words, proto, s, 0, d, 0, sport ?? 0, dport ?? 0);
  return h.tuple(words, proto, s, 0, d, 0, sport ?? 0, dport ?? 0);
}
