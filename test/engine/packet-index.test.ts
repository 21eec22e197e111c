/**
 * PacketIndex: blocks of 64 Ki packets with narrow fields and a per-block
 * fallback to wider ones. Every value read back must be the value pushed,
 * across block boundaries, the growing first block, and each fallback.
 */
import { describe, expect, it } from 'vitest';
import { INDEX_BLOCK, PacketIndex } from '../../src/pipeline/packet-index.js';

interface Rec { off: number; sec: number; nsec: number; cap: number; len: number; ifc: number; mask: number }

function pushAll(recs: Rec[]): PacketIndex {
  const ix = new PacketIndex();
  for (const r of recs) ix.push(r.off, r.sec, r.nsec, r.cap, r.len, r.ifc, r.mask);
  return ix;
}

function expectSame(ix: PacketIndex, recs: Rec[]): void {
  expect(ix.count).toBe(recs.length);
  for (let n = 0; n < recs.length; n++) {
    const r = recs[n]!;
    const got = { off: ix.fileOffset(n), sec: ix.tsSec(n), nsec: ix.tsNsec(n), cap: ix.capLen(n), len: ix.origLen(n), ifc: ix.iface(n), mask: ix.layerMask(n) };
    if (got.off !== r.off || got.sec !== r.sec || got.nsec !== r.nsec || got.cap !== r.cap || got.len !== r.len || got.ifc !== r.ifc || got.mask !== r.mask) {
      expect({ n, ...got }).toEqual({ n, ...r });
    }
  }
}

describe('PacketIndex', () => {
  it('reads back every field across the growing first block and several full blocks', () => {
    const recs: Rec[] = [];
    let off = 24;
    for (let n = 0; n < 2 * INDEX_BLOCK + 1234; n++) {
      const cap = 60 + (n * 7919) % 1454;
      recs.push({ off: off + 16, sec: 1_700_000_000 + (n >> 10), nsec: (n * 1_000_003) % 1_000_000_000, cap, len: cap + (n % 3), ifc: n % 4, mask: (n * 2654435761) >>> 0 });
      off += 16 + cap;
    }
    const ix = pushAll(recs);
    expectSame(ix, recs);
    // Flow ids start at -1 and keep what was written through growth.
    expect(ix.flowId.length).toBeGreaterThanOrEqual(recs.length);
    expect(ix.flowId[recs.length - 1]).toBe(-1);
    expect(ix.outerFlowId[0]).toBe(-1);
    // 21 bytes a packet in whole blocks, 8 in the flow arrays (with their doubling slack).
    expect(ix.memoryBytes).toBe(Math.ceil(recs.length / INDEX_BLOCK) * INDEX_BLOCK * 21 + ix.flowId.length * 8);
  });

  it('keeps offsets beyond 4 GiB in one block, seconds far from the first, lengths of 64 KiB and more, and interface ids over 255 exact', () => {
    const recs: Rec[] = [
      { off: 40, sec: 1_700_000_000, nsec: 1, cap: 10, len: 10, ifc: 0, mask: 1 },
      // 5 GiB further in the same block: the block's offsets become Float64.
      { off: 5 * 2 ** 30 + 7, sec: 1_700_000_001, nsec: 2, cap: 16 * 1024 * 1024, len: 16 * 1024 * 1024, ifc: 1, mask: 0 },
      // Before the first record by more than Int32 allows (a corrupt or odd clock), and a record without time (0).
      { off: 5 * 2 ** 30 + 100, sec: 0, nsec: 0, cap: 0, len: 0, ifc: 0xffff, mask: 0xffffffff },
      { off: 2 ** 52, sec: 2 ** 32 + 5, nsec: 999_999_999, cap: 1, len: 2 ** 32 - 1, ifc: 300, mask: 2 },
    ];
    expectSame(pushAll(recs), recs);
  });

  it('applies the fallbacks per block: a wide value in a later block leaves earlier blocks exact', () => {
    const recs: Rec[] = [];
    for (let n = 0; n < INDEX_BLOCK + 10; n++) recs.push({ off: 100 + n, sec: 1000, nsec: n, cap: 1, len: 1, ifc: 3, mask: 0 });
    recs.push({ off: 100 + 2 ** 33, sec: -5 + 2 ** 40, nsec: 0, cap: 70_000, len: 90_000, ifc: 65535, mask: 0 });
    expectSame(pushAll(recs), recs);
  });
});
