/**
 * Just enough of pcap and pcapng to aim mutations: where the file header,
 * each record header, each record's data and each block lie. Independent of
 * the engine's readers on purpose (a bug there must not hide a target here).
 * Walking stops quietly at the first thing that does not add up.
 */

export interface PcapRecordAt {
  /** Offset of the record header. */
  off: number;
  hdrLen: number;
  caplenAt: number;
  origlenAt: number;
  dataOff: number;
  caplen: number;
}

export interface PcapngBlockAt {
  off: number;
  type: number;
  len: number;
}

export interface CaptureLayout {
  format: 'pcap' | 'pcapng' | 'unknown';
  little: boolean;
  /** pcap: link type field offset (20); pcapng: -1. */
  linkTypeAt: number;
  records: PcapRecordAt[];
  blocks: PcapngBlockAt[];
}

const MAX_UNITS = 200_000;

export function rd32(b: Uint8Array, o: number, little: boolean): number {
  if (o < 0 || o + 4 > b.length) return 0;
  return little
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function wr32(b: Uint8Array, o: number, v: number, little: boolean): void {
  if (o < 0 || o + 4 > b.length) return;
  v >>>= 0;
  if (little) { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = (v >>> 16) & 0xff; b[o + 3] = v >>> 24; }
  else { b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff; }
}

export function rd16(b: Uint8Array, o: number, little: boolean): number {
  if (o < 0 || o + 2 > b.length) return 0;
  return little ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

export function wr16(b: Uint8Array, o: number, v: number, little: boolean): void {
  if (o < 0 || o + 2 > b.length) return;
  if (little) { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; } else { b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff; }
}

export function layout(b: Uint8Array): CaptureLayout {
  const none: CaptureLayout = { format: 'unknown', little: true, linkTypeAt: -1, records: [], blocks: [] };
  if (b.length < 4) return none;
  const be = rd32(b, 0, false);
  const le = rd32(b, 0, true);
  const PCAP = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34];
  if (PCAP.includes(be) || PCAP.includes(le)) {
    const little = PCAP.includes(le);
    const hdrLen = (little ? le : be) === 0xa1b2cd34 ? 24 : 16;
    const out: CaptureLayout = { format: 'pcap', little, linkTypeAt: 20, records: [], blocks: [] };
    let o = 24;
    while (o + hdrLen <= b.length && out.records.length < MAX_UNITS) {
      const caplen = rd32(b, o + 8, little);
      if (o + hdrLen + caplen > b.length) break;
      out.records.push({ off: o, hdrLen, caplenAt: o + 8, origlenAt: o + 12, dataOff: o + hdrLen, caplen });
      o += hdrLen + caplen;
    }
    return out;
  }
  if (le === 0x0a0d0d0a && b.length >= 12) {
    const little = rd32(b, 8, true) === 0x1a2b3c4d;
    const out: CaptureLayout = { format: 'pcapng', little, linkTypeAt: -1, records: [], blocks: [] };
    let o = 0;
    let lit = little;
    while (o + 12 <= b.length && out.blocks.length < MAX_UNITS) {
      if (rd32(b, o, true) === 0x0a0d0d0a) lit = rd32(b, o + 8, true) === 0x1a2b3c4d;
      const type = rd32(b, o, lit);
      const len = rd32(b, o + 4, lit);
      if (len < 12 || len % 4 !== 0 || o + len > b.length) break;
      out.blocks.push({ off: o, type, len });
      if (type === 6 && len >= 32) {
        const caplen = rd32(b, o + 20, lit);
        out.records.push({ off: o, hdrLen: 28, caplenAt: o + 20, origlenAt: o + 24, dataOff: o + 28, caplen: Math.min(caplen, len - 32) });
      } else if (type === 3 && len >= 16) {
        out.records.push({ off: o, hdrLen: 12, caplenAt: -1, origlenAt: o + 8, dataOff: o + 12, caplen: len - 16 });
      }
      o += len;
    }
    return out;
  }
  return none;
}

/** One packet for `buildPcap`. */
export interface FrameSpec {
  data: Uint8Array;
  sec?: number;
  usec?: number;
  /** Original length when it differs from data.length. */
  origLen?: number;
}

/** A little-endian microsecond pcap 2.4 file. */
export function buildPcap(linkType: number, frames: readonly FrameSpec[], snaplen = 262144): Uint8Array {
  let size = 24;
  for (const f of frames) size += 16 + f.data.length;
  const out = new Uint8Array(size);
  wr32(out, 0, 0xa1b2c3d4, true);
  wr16(out, 4, 2, true);
  wr16(out, 6, 4, true);
  wr32(out, 16, snaplen, true);
  wr32(out, 20, linkType, true);
  let o = 24;
  frames.forEach((f, i) => {
    wr32(out, o, f.sec ?? 1_700_000_000 + i, true);
    wr32(out, o + 4, f.usec ?? (i * 1000) % 1_000_000, true);
    wr32(out, o + 8, f.data.length, true);
    wr32(out, o + 12, f.origLen ?? f.data.length, true);
    out.set(f.data, o + 16);
    o += 16 + f.data.length;
  });
  return out;
}

/** pcapng pieces, little-endian. */
export function pcapngBlock(type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  const out = new Uint8Array(len);
  wr32(out, 0, type, true);
  wr32(out, 4, len, true);
  out.set(body, 8);
  wr32(out, len - 4, len, true);
  return out;
}

export function shb(): Uint8Array {
  const body = new Uint8Array(16);
  wr32(body, 0, 0x1a2b3c4d, true);
  wr16(body, 4, 1, true);
  wr16(body, 6, 0, true);
  wr32(body, 8, 0xffffffff, true);
  wr32(body, 12, 0xffffffff, true);
  return pcapngBlock(0x0a0d0d0a, body);
}

export interface OptionSpec { code: number; value: Uint8Array; /** Length to claim when lying. */ claim?: number }

export function options(opts: readonly OptionSpec[], endOfOpt = true): Uint8Array {
  const parts: number[] = [];
  const push16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  for (const o of opts) {
    push16(o.code);
    push16(o.claim ?? o.value.length);
    for (const x of o.value) parts.push(x);
    while (parts.length % 4) parts.push(0);
  }
  if (endOfOpt) parts.push(0, 0, 0, 0);
  return Uint8Array.from(parts);
}

export function idb(linkType: number, snaplen = 262144, opts: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Uint8Array(8 + opts.length);
  wr16(body, 0, linkType, true);
  wr32(body, 4, snaplen, true);
  body.set(opts, 8);
  return pcapngBlock(1, body);
}

export function epb(iface: number, tsUnits: bigint, data: Uint8Array, origLen = data.length, opts: Uint8Array = new Uint8Array(0)): Uint8Array {
  const padded = (data.length + 3) & ~3;
  const body = new Uint8Array(20 + padded + opts.length);
  wr32(body, 0, iface, true);
  wr32(body, 4, Number((tsUnits >> 32n) & 0xffffffffn), true);
  wr32(body, 8, Number(tsUnits & 0xffffffffn), true);
  wr32(body, 12, data.length, true);
  wr32(body, 16, origLen, true);
  body.set(data, 20);
  body.set(opts, 20 + padded);
  return pcapngBlock(6, body);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Record payloads (copies) of a capture, with its link type when known. */
export function framesOf(b: Uint8Array): { linkType: number; frames: Uint8Array[] } {
  const l = layout(b);
  if (l.format === 'pcap') {
    return { linkType: rd32(b, 20, l.little) & 0xffff, frames: l.records.map((r) => b.slice(r.dataOff, r.dataOff + r.caplen)) };
  }
  if (l.format === 'pcapng') {
    const idbBlock = l.blocks.find((x) => x.type === 1);
    const lt = idbBlock ? rd16(b, idbBlock.off + 8, l.little) : 1;
    return { linkType: lt, frames: l.records.map((r) => b.slice(r.dataOff, r.dataOff + r.caplen)) };
  }
  return { linkType: -1, frames: [] };
}
