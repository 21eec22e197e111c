/**
 * Hostile inputs built from real packets: a real VXLAN frame wrapped in
 * itself many times, a real HTTP request whose header block never ends, a
 * real DNS query whose names loop through compression pointers. Each falls
 * back to a hand-built packet only when no seed capture holds a real one.
 */
import type { Rng } from './rng.js';
import { buildPcap, framesOf, type FrameSpec } from './structure.js';

/** Where the IPv4 header and its transport sit in an Ethernet frame (VLAN tags skipped). */
interface Ip4At { ip: number; ihl: number; proto: number; l4: number }

export function ipv4In(f: Uint8Array): Ip4At | null {
  let o = 12;
  for (let k = 0; k < 3 && o + 2 <= f.length; k++) {
    const t = (f[o]! << 8) | f[o + 1]!;
    if (t === 0x8100 || t === 0x88a8) { o += 4; continue; }
    if (t !== 0x0800) return null;
    const ip = o + 2;
    if (ip + 20 > f.length || f[ip]! >> 4 !== 4) return null;
    const ihl = (f[ip]! & 0xf) * 4;
    if (ihl < 20 || ip + ihl > f.length) return null;
    return { ip, ihl, proto: f[ip + 9]!, l4: ip + ihl };
  }
  return null;
}

function set16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function set32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff;
}

/** Header prefix `f[0 .. cut)` followed by `payload`, with IPv4 total and UDP lengths made true. */
function withPayload(f: Uint8Array, at: Ip4At, cut: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(cut + payload.length);
  out.set(f.subarray(0, cut));
  out.set(payload, cut);
  const ipLen = out.length - at.ip;
  set16(out, at.ip + 2, ipLen > 0xffff ? 0 : ipLen);
  if (at.proto === 17) {
    const udpLen = out.length - at.l4;
    set16(out, at.l4 + 4, udpLen > 0xffff ? 0 : udpLen);
  }
  return out;
}

const te = new TextEncoder();

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!.map((x) => parseInt(x, 16)));
}

/** Eth / IPv4 10.0.0.1 → 10.0.0.2 / UDP sport → dport, then payload (lengths true). */
export function handUdp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const head = hex('0200000000020200000000010800' + '450000000001000040110000' + '0a0000010a000002' + '0000000000000000');
  set16(head, 34, sport);
  set16(head, 36, dport);
  return withPayload(head, { ip: 14, ihl: 20, proto: 17, l4: 34 }, head.length, payload);
}

/** Eth / IPv4 / TCP (PSH|ACK) with payload. */
export function handTcp(sport: number, dport: number, seq: number, payload: Uint8Array): Uint8Array {
  const head = hex('0200000000020200000000010800' + '450000000001000040060000' + '0a0000010a000002'
    + '0000000000000000000000005018ffff00000000');
  set16(head, 34, sport);
  set16(head, 36, dport);
  set32(head, 38, seq);
  return withPayload(head, { ip: 14, ihl: 20, proto: 6, l4: 34 }, head.length, payload);
}

export interface SeedFrames {
  /** Ethernet frames of every seed capture with link type 1. */
  ether: Uint8Array[];
}

export function collectEther(seeds: readonly Uint8Array[], maxFrames = 20_000): SeedFrames {
  const ether: Uint8Array[] = [];
  for (const s of seeds) {
    const { linkType, frames } = framesOf(s);
    if (linkType !== 1) continue;
    for (const f of frames) {
      if (ether.length >= maxFrames) break;
      ether.push(f);
    }
  }
  return { ether };
}

function udpPorts(f: Uint8Array, at: Ip4At): [number, number] {
  return [(f[at.l4]! << 8) | f[at.l4 + 1]!, (f[at.l4 + 2]! << 8) | f[at.l4 + 3]!];
}

export function realVxlan(s: SeedFrames): Uint8Array | null {
  for (const f of s.ether) {
    const at = ipv4In(f);
    if (!at || at.proto !== 17 || at.l4 + 8 + 8 + 14 > f.length) continue;
    const [, d] = udpPorts(f, at);
    if ((d === 4789 || d === 8472) && (f[at.l4 + 8]! & 0x08) !== 0) return f;
  }
  return null;
}

/** A real VXLAN frame's outer headers wrapped around itself `depth` more times. */
export function nestedVxlan(s: SeedFrames, depth: number): Uint8Array {
  let f = realVxlan(s);
  let at = f ? ipv4In(f) : null;
  if (!f || !at) {
    const inner = handUdp(1000, 2000, te.encode('inner'));
    f = handUdp(40000, 4789, concatBytes(hex('0800000000000100'), inner));
    at = ipv4In(f)!;
  }
  const cut = at.l4 + 16;
  let frame = f;
  for (let k = 0; k < depth; k++) frame = withPayload(f, at, cut, frame);
  return frame;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a);
  r.set(b, a.length);
  return r;
}

function realTcpHttp(s: SeedFrames): { f: Uint8Array; at: Ip4At; payloadAt: number } | null {
  for (const f of s.ether) {
    const at = ipv4In(f);
    if (!at || at.proto !== 6 || at.l4 + 20 > f.length) continue;
    const payloadAt = at.l4 + (f[at.l4 + 12]! >> 4) * 4;
    if (payloadAt + 4 <= f.length && f[payloadAt] === 0x47 && f[payloadAt + 1] === 0x45 && f[payloadAt + 2] === 0x54 && f[payloadAt + 3] === 0x20) {
      return { f, at, payloadAt };
    }
  }
  return null;
}

/**
 * An HTTP request whose header block never ends: a real GET's headers, then
 * `segments` TCP segments of more header lines (or one endless line), in
 * sequence, never the empty line.
 */
export function httpWithoutEnd(s: SeedFrames, rng: Rng, segments: number): FrameSpec[] {
  const real = realTcpHttp(s);
  const base = real ?? (() => {
    const f = handTcp(40000, 80, 1000, te.encode('GET / HTTP/1.1\r\n'));
    const at = ipv4In(f)!;
    return { f, at, payloadAt: at.l4 + 20 };
  })();
  const { f, at, payloadAt } = base;
  const seq0 = ((f[at.l4 + 4]! << 24) | (f[at.l4 + 5]! << 16) | (f[at.l4 + 6]! << 8) | f[at.l4 + 7]!) >>> 0;
  const oneLine = rng.chance(0.3);
  const segLen = rng.pick([1, 100, 1200, 1448]);
  const frames: FrameSpec[] = [];
  let seq = seq0;
  for (let k = 0; k < segments; k++) {
    let payload: Uint8Array;
    if (k === 0) payload = te.encode(`GET /${'a'.repeat(rng.int(0, 64))} HTTP/1.1\r\nHost: fuzz.example\r\n`);
    else if (oneLine) payload = new Uint8Array(segLen).fill(0x41);
    else {
      const line = `X-Fill-${k}: ${'v'.repeat(Math.max(0, segLen - 16))}\r\n`;
      payload = te.encode(line);
    }
    const frame = withPayload(f, at, payloadAt, payload);
    set32(frame, at.l4 + 4, seq);
    seq = (seq + payload.length) >>> 0;
    frames.push({ data: frame, sec: 1_700_000_000, usec: k });
  }
  return frames;
}

function realDns(s: SeedFrames): { f: Uint8Array; at: Ip4At } | null {
  for (const f of s.ether) {
    const at = ipv4In(f);
    if (!at || at.proto !== 17 || at.l4 + 8 + 12 > f.length) continue;
    const [, d] = udpPorts(f, at);
    if (d === 53) return { f, at };
  }
  return null;
}

/** DNS messages built to hurt: pointer loops, long pointer chains, names past 255 bytes, lying counts. */
export function hostileDnsMessage(rng: Rng): Uint8Array {
  const kind = rng.below(6);
  const bytes: number[] = [0x12, 0x34, rng.chance(0.5) ? 0x81 : 0x01, 0x00];
  const counts = [1, rng.chance(0.5) ? 1 : 0, 0, 0];
  if (rng.chance(0.2)) counts[0] = 0xffff;
  if (rng.chance(0.2)) counts[1] = 0xffff;
  for (const c of counts) bytes.push(c >> 8, c & 0xff);
  switch (kind) {
    case 0: // a name that points at itself
      bytes.push(0xc0, 12);
      break;
    case 1: { // a label, then a pointer back to the label: a loop through a label
      bytes.push(1, 0x61, 0xc0, 12);
      break;
    }
    case 2: { // a chain of pointers, each to the one before, longer than any hop bound
      const n = rng.int(10, 300);
      bytes.push(1, 0x61, 0);
      let prev = 12;
      for (let k = 0; k < n; k++) {
        const here = bytes.length;
        bytes.push(0xc0 | (prev >> 8), prev & 0xff);
        prev = here;
        if (here > 0x3fff) break;
      }
      break;
    }
    case 3: { // a name of many labels, past 255 bytes
      const labels = rng.int(10, 200);
      for (let k = 0; k < labels; k++) { bytes.push(63); for (let j = 0; j < 63; j++) bytes.push(0x61 + (j % 26)); }
      bytes.push(0);
      break;
    }
    case 4: // pointer past the end of the message
      bytes.push(0xff, 0xff);
      break;
    default: { // a question, then answers pointing into each other and at the end
      bytes.push(3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1);
      const answers = rng.int(1, 100);
      for (let k = 0; k < answers; k++) {
        bytes.push(0xc0, rng.pick([12, bytes.length, 0xff]), 0, rng.pick([1, 5, 12, 28, 33]), 0, 1, 0, 0, 0, 60);
        const rd = rng.pick([0, 2, 4, 16, 0xffff]);
        bytes.push(rd >> 8, rd & 0xff, 0xc0, 12, 0xc0, bytes.length);
      }
    }
  }
  if (counts[1]! > 0 && kind < 5) bytes.push(0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 0, 0, 1);
  return Uint8Array.from(bytes);
}

export function dnsFrame(s: SeedFrames, msg: Uint8Array, overTcp: boolean): Uint8Array {
  if (overTcp) {
    const framed = new Uint8Array(2 + msg.length);
    framed[0] = (msg.length >> 8) & 0xff;
    framed[1] = msg.length & 0xff;
    framed.set(msg, 2);
    return handTcp(40000, 53, 1, framed);
  }
  const real = realDns(s);
  if (!real) return handUdp(40000, 53, msg);
  return withPayload(real.f, real.at, real.at.l4 + 8, msg);
}

/** Whole hostile captures, by name. */
export function synthCapture(kind: string, s: SeedFrames, rng: Rng): Uint8Array {
  switch (kind) {
    case 'nested-vxlan': {
      const depth = rng.pick([2, 7, 8, 9, 12, 13, 30, 64, 200]);
      return buildPcap(1, [{ data: nestedVxlan(s, depth) }, { data: nestedVxlan(s, 1) }]);
    }
    case 'http-without-end':
      return buildPcap(1, httpWithoutEnd(s, rng, rng.pick([2, 50, 400, 1500])));
    case 'dns-hostile': {
      const frames: FrameSpec[] = [];
      const n = rng.int(1, 20);
      for (let k = 0; k < n; k++) frames.push({ data: dnsFrame(s, hostileDnsMessage(rng), rng.chance(0.3)) });
      return buildPcap(1, frames);
    }
    default:
      throw new Error(`unknown synthetic capture ${kind}`);
  }
}

export const SYNTH_KINDS = ['nested-vxlan', 'http-without-end', 'dns-hostile'] as const;
