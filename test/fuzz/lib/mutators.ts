/**
 * Mutations of real captures, aimed by the file's structure: byte and bit
 * corruption, truncation mid-header / mid-record / mid-block, lying captured
 * and original lengths, lying pcapng block lengths and options, huge length
 * fields, link-type and byte-order swaps, interface ids that name nothing,
 * packet-header corruption, splices of frames of another link type.
 * Each returns new bytes (the input is never changed) and names itself.
 */
import type { Rng } from './rng.js';
import {
  concat, epb, idb, layout, options, rd32, shb, wr16, wr32, type CaptureLayout, type OptionSpec,
} from './structure.js';

export type Mutator = (b: Uint8Array, rng: Rng, l: CaptureLayout, ctx: MutationContext) => Uint8Array;

export interface MutationContext {
  /** Ethernet frames of the seeds, for splices. */
  frames: readonly Uint8Array[];
}

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
  16 * 1024 * 1024, 16 * 1024 * 1024 + 1, 32 * 1024 * 1024, 32 * 1024 * 1024 + 4, 65535, 262144];
const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff, 0x45, 0x46, 0x4f, 0x60, 0x06, 0x11, 0x01, 0x3a, 0x2b, 0x2c, 0x3c, 0x00];
const LINK_TYPES = [0, 1, 9, 12, 14, 101, 105, 108, 113, 127, 147, 228, 229, 274, 276, 0xffff, 65000];

function copy(b: Uint8Array): Uint8Array {
  return b.slice();
}

/** A position to aim at: the whole file, or inside a chosen unit. */
function somewhere(b: Uint8Array, rng: Rng): number {
  return rng.below(b.length);
}

const flipBytes: Mutator = (b, rng) => {
  const out = copy(b);
  if (!out.length) return out;
  const n = rng.pick([1, 1, 2, 4, 16, 64, Math.max(1, Math.floor(out.length / 100))]);
  for (let k = 0; k < n; k++) out[somewhere(out, rng)] = rng.chance(0.5) ? rng.pick(INTERESTING8) : rng.below(256);
  return out;
};

const flipBits: Mutator = (b, rng) => {
  const out = copy(b);
  if (!out.length) return out;
  const n = rng.int(1, 8);
  for (let k = 0; k < n; k++) out[somewhere(out, rng)]! ^= 1 << rng.below(8);
  return out;
};

const truncateRandom: Mutator = (b, rng) => b.slice(0, rng.below(b.length + 1));

const truncateMidHeader: Mutator = (b, rng, l) => {
  if (l.format === 'pcap' && l.records.length && rng.chance(0.85)) {
    const r = rng.pick(l.records);
    return b.slice(0, r.off + rng.int(1, r.hdrLen - 1));
  }
  if (l.format === 'pcapng' && l.blocks.length) {
    const k = rng.pick(l.blocks);
    return b.slice(0, k.off + rng.int(1, 11));
  }
  return b.slice(0, rng.int(1, Math.min(23, b.length)));
};

const truncateMidRecord: Mutator = (b, rng, l) => {
  if (l.format === 'pcapng' && l.blocks.length) {
    const k = rng.pick(l.blocks);
    return b.slice(0, k.off + rng.int(12, Math.max(12, k.len - 1)));
  }
  if (l.records.length) {
    const r = rng.pick(l.records);
    return b.slice(0, r.dataOff + rng.below(Math.max(1, r.caplen)));
  }
  return truncateRandom(b, rng, l, { frames: [] });
};

function lengthValue(rng: Rng, was: number): number {
  switch (rng.below(6)) {
    case 0: return rng.pick(INTERESTING32);
    case 1: return (was + rng.int(-4, 4)) >>> 0;
    case 2: return (was * 2) >>> 0;
    case 3: return rng.u32();
    case 4: return rng.below(65536);
    default: return was + 1;
  }
}

const recordCaplen: Mutator = (b, rng, l) => {
  const rs = l.records.filter((r) => r.caplenAt >= 0);
  if (!rs.length) return hugeField(b, rng, l, { frames: [] });
  const out = copy(b);
  const n = rng.chance(0.8) ? 1 : rng.int(2, 20);
  for (let k = 0; k < n; k++) {
    const r = rng.pick(rs);
    wr32(out, r.caplenAt, lengthValue(rng, r.caplen), l.little);
  }
  return out;
};

const recordOriglen: Mutator = (b, rng, l) => {
  if (!l.records.length) return hugeField(b, rng, l, { frames: [] });
  const out = copy(b);
  const n = rng.chance(0.7) ? 1 : rng.int(2, 50);
  for (let k = 0; k < n; k++) {
    const r = rng.pick(l.records);
    wr32(out, r.origlenAt, lengthValue(rng, r.caplen), l.little);
  }
  return out;
};

const blockLength: Mutator = (b, rng, l) => {
  if (l.format !== 'pcapng' || !l.blocks.length) return recordCaplen(b, rng, l, { frames: [] });
  const out = copy(b);
  const k = rng.pick(l.blocks);
  const v = lengthValue(rng, k.len);
  const where = rng.below(3);
  if (where !== 1) wr32(out, k.off + 4, v, l.little);
  if (where !== 0) wr32(out, k.off + k.len - 4, v, l.little);
  return out;
};

/** Interface options built to hurt: many, lying lengths, odd resolutions, huge FCS and offsets. */
function hostileOptions(rng: Rng): Uint8Array {
  const opts: OptionSpec[] = [];
  const n = rng.pick([1, 3, 10, 1023, 1024, 1025, 3000]);
  for (let k = 0; k < n; k++) {
    switch (rng.below(7)) {
      case 0: opts.push({ code: 9, value: Uint8Array.of(rng.pick([0, 6, 9, 10, 15, 18, 19, 63, 0x80, 0x80 | 20, 0x80 | 52, 0x80 | 63, 0xff])) }); break;
      case 1: opts.push({ code: 13, value: Uint8Array.of(rng.pick([0, 2, 4, 255])) }); break;
      case 2: {
        const v = new Uint8Array(8);
        for (let j = 0; j < 8; j++) v[j] = rng.pick([0, 0xff, 0x7f, 0x80, rng.below(256)]);
        opts.push({ code: 14, value: v });
        break;
      }
      case 3: opts.push({ code: 2, value: new TextEncoder().encode(`eth\u202e<script>${'x'.repeat(rng.below(300))}`) }); break;
      case 4: opts.push({ code: rng.below(65536), value: new Uint8Array(rng.below(40)) }); break;
      case 5: opts.push({ code: 3, value: Uint8Array.of(0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80) }); break;
      default: opts.push({ code: rng.pick([2, 9, 14]), value: new Uint8Array(2), claim: rng.pick([0xffff, 100, 7]) });
    }
  }
  return options(opts, rng.chance(0.7));
}

/** Replace the first interface block with a hostile one, or write a small pcapng around it. */
const pcapngOptions: Mutator = (b, rng, l, ctx) => {
  if (l.format === 'pcapng') {
    const i = l.blocks.findIndex((x) => x.type === 1);
    if (i >= 0) {
      const k = l.blocks[i]!;
      const lt = rd32(b, k.off + 8, l.little) & 0xffff;
      const fresh = idb(l.little ? lt : rng.pick(LINK_TYPES), rng.pick([0, 65535, 262144, 0xffffffff]), hostileOptions(rng));
      if (!l.little) {
        // The rest of the file is big-endian: a little-endian block would be nonsense; corrupt in place instead.
        return flipBytes(b, rng, l, ctx);
      }
      return concat([b.subarray(0, k.off), fresh, b.subarray(k.off + k.len)]);
    }
  }
  const frames = ctx.frames.length ? ctx.frames : [new Uint8Array(60)];
  const parts = [shb(), idb(1, 262144, hostileOptions(rng))];
  const n = rng.int(1, 30);
  for (let k = 0; k < n; k++) {
    const opt = rng.chance(0.3) ? hostileOptions(rng) : new Uint8Array(0);
    const ts = rng.chance(0.5) ? BigInt(rng.u32()) * 4294967296n + BigInt(rng.u32()) : 1_700_000_000_000_000n + BigInt(k);
    parts.push(epb(rng.chance(0.9) ? 0 : rng.pick([1, 2, 0xffffffff]), ts, rng.pick(frames), undefined, opt));
  }
  return concat(parts);
};

const interfaceIds: Mutator = (b, rng, l) => {
  if (l.format !== 'pcapng') return linkType(b, rng, l, { frames: [] });
  const ep = l.blocks.filter((x) => x.type === 6 || x.type === 2);
  if (!ep.length) return blockLength(b, rng, l, { frames: [] });
  const out = copy(b);
  const k = rng.pick(ep);
  if (k.type === 6) wr32(out, k.off + 8, rng.pick([1, 2, 255, 65535, 0xffffffff, rng.u32()]), l.little);
  else wr16(out, k.off + 8, rng.pick([1, 2, 0xffff]), l.little);
  return out;
};

/** Many interface blocks before the packets. */
const manyInterfaces: Mutator = (b, rng, l, ctx) => {
  if (l.format !== 'pcapng' || !l.little) return pcapngOptions(b, rng, l, ctx);
  const after = l.blocks.find((x) => x.type === 0x0a0d0d0a);
  if (!after) return b;
  const n = rng.pick([2, 100, 5000]);
  const one = idb(rng.pick(LINK_TYPES), 65535);
  const many = new Uint8Array(one.length * n);
  for (let k = 0; k < n; k++) many.set(one, k * one.length);
  const at = after.off + after.len;
  return concat([b.subarray(0, at), many, b.subarray(at)]);
};

const hugeField: Mutator = (b, rng) => {
  const out = copy(b);
  if (out.length < 4) return out;
  const n = rng.int(1, 4);
  for (let k = 0; k < n; k++) {
    const at = rng.below(Math.floor(out.length / 4)) * 4;
    wr32(out, at, rng.pick([0xffffffff, 0x80000000, 0x7fffffff, 0x00ffffff, 0x01000001, 0xfffffff0]), rng.chance(0.5));
  }
  return out;
};

const linkType: Mutator = (b, rng, l) => {
  const out = copy(b);
  const lt = rng.pick(LINK_TYPES);
  if (l.format === 'pcap') {
    wr32(out, 20, rng.chance(0.15) ? (lt | (rng.below(1 << 10) << 16) | (rng.below(16) << 28) | 0x04000000) >>> 0 : lt, l.little);
  } else if (l.format === 'pcapng') {
    for (const k of l.blocks) if (k.type === 1 && rng.chance(0.7)) wr16(out, k.off + 8, rng.pick(LINK_TYPES), l.little);
  }
  return out;
};

const byteOrder: Mutator = (b, rng, l) => {
  const out = copy(b);
  if (l.format === 'pcap' || l.format === 'unknown') {
    if (out.length >= 4) out.subarray(0, 4).reverse();
    if (rng.chance(0.5) && out.length >= 4) wr32(out, 0, rng.pick([0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34, 0xd4c3b2a1, 0x4d3cb2a1]), true);
  } else if (out.length >= 12) {
    out.subarray(8, 12).reverse();
  }
  return out;
};

const version: Mutator = (b, rng, l) => {
  const out = copy(b);
  const at = l.format === 'pcapng' ? 12 : 4;
  wr16(out, at, rng.pick([0, 1, 2, 3, 0xffff]), l.little);
  wr16(out, at + 2, rng.pick([0, 1, 2, 3, 4, 5, 0xffff]), l.little);
  return out;
};

/** Corrupt the first bytes of some packets (where link, IP and transport headers live). */
const packetHeaders: Mutator = (b, rng, l) => {
  if (!l.records.length) return flipBytes(b, rng, l, { frames: [] });
  const out = copy(b);
  const n = rng.pick([1, 3, 20, l.records.length]);
  for (let k = 0; k < n; k++) {
    const r = rng.pick(l.records);
    if (!r.caplen) continue;
    const edits = rng.int(1, 4);
    for (let e = 0; e < edits; e++) {
      const at = r.dataOff + rng.below(Math.min(r.caplen, rng.chance(0.7) ? 80 : r.caplen));
      out[at] = rng.chance(0.6) ? rng.pick(INTERESTING8) : rng.below(256);
    }
  }
  return out;
};

/** Overwrite packets with frames from other captures (other link types, other protocols). */
const splice: Mutator = (b, rng, l, ctx) => {
  if (!l.records.length || !ctx.frames.length) return packetHeaders(b, rng, l, ctx);
  const out = copy(b);
  const n = rng.int(1, 10);
  for (let k = 0; k < n; k++) {
    const r = rng.pick(l.records);
    const f = rng.pick(ctx.frames);
    const shift = rng.chance(0.3) ? rng.int(0, 20) : 0;
    out.set(f.subarray(shift, shift + r.caplen), r.dataOff);
  }
  return out;
};

/** Repeat a record many times (many packets from a small seed). */
const repeatRecord: Mutator = (b, rng, l) => {
  if (l.format !== 'pcap' || !l.records.length) return packetHeaders(b, rng, l, { frames: [] });
  const r = rng.pick(l.records);
  const rec = b.subarray(r.off, r.dataOff + r.caplen);
  const n = rng.pick([100, 1000, 12_000]);
  const body = new Uint8Array(rec.length * n);
  for (let k = 0; k < n; k++) body.set(rec, k * rec.length);
  return concat([b.subarray(0, 24), body]);
};

/** Drop or duplicate a range of bytes (desynchronises the framing). */
const shiftRange: Mutator = (b, rng) => {
  if (b.length < 2) return b.slice();
  const at = rng.below(b.length);
  const len = rng.int(1, Math.min(64, b.length - at));
  return rng.chance(0.5)
    ? concat([b.subarray(0, at), b.subarray(at + len)])
    : concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
};

export const MUTATORS: ReadonlyArray<readonly [string, Mutator, number]> = [
  ['flip-bytes', flipBytes, 10],
  ['flip-bits', flipBits, 6],
  ['truncate-random', truncateRandom, 5],
  ['truncate-mid-header', truncateMidHeader, 5],
  ['truncate-mid-record', truncateMidRecord, 5],
  ['caplen', recordCaplen, 7],
  ['origlen', recordOriglen, 4],
  ['block-length', blockLength, 6],
  ['pcapng-options', pcapngOptions, 5],
  ['interface-id', interfaceIds, 3],
  ['many-interfaces', manyInterfaces, 2],
  ['huge-field', hugeField, 5],
  ['link-type', linkType, 6],
  ['byte-order', byteOrder, 2],
  ['version', version, 2],
  ['packet-headers', packetHeaders, 14],
  ['splice', splice, 6],
  ['repeat-record', repeatRecord, 2],
  ['shift-range', shiftRange, 4],
];

const TOTAL_WEIGHT = MUTATORS.reduce((a, m) => a + m[2], 0);

export function pickMutator(rng: Rng): readonly [string, Mutator, number] {
  let x = rng.below(TOTAL_WEIGHT);
  for (const m of MUTATORS) {
    if (x < m[2]) return m;
    x -= m[2];
  }
  return MUTATORS[0]!;
}

/** Applies `n` mutations in turn (re-reading the layout between them). */
export function mutate(b: Uint8Array, rng: Rng, n: number, ctx: MutationContext): { bytes: Uint8Array; ops: string[] } {
  let cur = b;
  const ops: string[] = [];
  for (let k = 0; k < n; k++) {
    const [name, fn] = pickMutator(rng);
    cur = fn(cur, rng, layout(cur), ctx);
    ops.push(name);
    // Keep inputs bounded: a few mutations multiply sizes.
    if (cur.length > 8 * 1024 * 1024) cur = cur.subarray(0, 8 * 1024 * 1024);
  }
  return { bytes: cur, ops };
}
