/**
 * SLL2 interface indexes as interfaces (src/capture/cooked-interfaces.ts)
 * under input the file controls: a file with more indexes than
 * MAX_COOKED_INTERFACES keeps the rest on its own interface with one warning;
 * a record cut before the index stays on the file's interface; the first index
 * takes the file's interface's id.
 */
import { describe, expect, it } from 'vitest';
import { MAX_COOKED_INTERFACES } from '../../src/capture/cooked-interfaces.js';
import { readBytes } from './records.js';

/** A classic pcap (µs, little-endian, LINKTYPE_LINUX_SLL2) whose records are SLL2 headers with these indexes (-1: a 6-byte cut record). */
function sll2Pcap(indexes: number[]): Uint8Array {
  const recs = indexes.map((x) => (x < 0 ? 6 : 20));
  const out = new Uint8Array(24 + recs.reduce((a, n) => a + 16 + n, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true); dv.setUint16(4, 2, true); dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true); dv.setUint32(20, 276, true);
  let o = 24;
  indexes.forEach((x, k) => {
    const n = recs[k]!;
    dv.setUint32(o, 1_700_000_000, true); dv.setUint32(o + 4, k, true); dv.setUint32(o + 8, n, true); dv.setUint32(o + 12, n, true);
    o += 16;
    if (x >= 0) { dv.setUint32(o + 4, x, false); dv.setUint16(o + 8, 1, false); }
    o += n;
  });
  return out;
}

describe('SLL2 interface indexes as interfaces', () => {
  it('the first index takes interface 0, the next ones 1, 2, ... in order of appearance; a cut record stays on 0', async () => {
    const r = await readBytes(sll2Pcap([7, 3, 7, -1, 0xffffffff, 3]));
    expect(r.issues).toEqual([]);
    expect(r.ifaces.map((i) => [i.id, i.parentId, i.ifindex])).toEqual([[0, 0, 7], [1, 0, 3], [2, 0, 0xffffffff]]);
    expect(r.recs.map((x) => x.iface)).toEqual([0, 1, 0, 0, 2, 1]);
  });

  it(`past ${MAX_COOKED_INTERFACES} indexes, further ones stay on the file's interface, with one warning`, async () => {
    const n = MAX_COOKED_INTERFACES + 50;
    const r = await readBytes(sll2Pcap(Array.from({ length: n }, (_, k) => k + 1)));
    // 4096 indexes in all: the first on interface 0, 4095 more.
    expect(r.ifaces.length).toBe(MAX_COOKED_INTERFACES);
    expect(r.recs.length).toBe(n);
    expect(r.recs.slice(0, MAX_COOKED_INTERFACES).map((x) => x.iface)).toEqual(Array.from({ length: MAX_COOKED_INTERFACES }, (_, k) => k));
    expect(r.recs.slice(MAX_COOKED_INTERFACES).every((x) => x.iface === 0)).toBe(true);
    expect(r.issues.map((i) => [i.severity, i.layer, i.packet])).toEqual([['warning', 'sll2', MAX_COOKED_INTERFACES + 1]]);
    expect(r.issues[0]!.reason).toMatch(/more than 4096 interface indexes/);
  });
});
