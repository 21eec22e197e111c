/**
 * FlowTable's two lookups agree: a flow created from a FlowKey is found by
 * find (any version) and, for IPv4, by find4 from the packet's fields, in
 * both directions, across rehashes; keys that differ in any field are other
 * flows. (The flow tracker's end-to-end behaviour is in flow-tracker.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { FlowKey, FlowTable, flowHash, flowHash4 } from '../../src/flows/flow-table.js';

function key4(capture: number, proto: number, depth: number, src: number, dst: number, sp: number, dp: number): FlowKey {
  const k = new FlowKey();
  k.capture = capture; k.proto = proto; k.depth = depth; k.version = 4;
  k.src[0] = src; k.dst[0] = dst; k.srcPort = sp; k.dstPort = dp;
  return k;
}

describe('FlowTable', () => {
  it('flowHash4 is direction-independent and spreads its high bits', () => {
    expect(flowHash4(0, 6, 1, 0x0af40105, 0x0af40207, 43210, 8080)).toBe(flowHash4(0, 6, 1, 0x0af40207, 0x0af40105, 8080, 43210));
    expect(flowHash4(0, 6, 1, 0x0af40105, 0x0af40207, 43210, 8080)).not.toBe(flowHash4(0, 6, 1, 0x0af40105, 0x0af40207, 8080, 43210));
    // 64 Ki flows of one client to one server (ports 1024..): the top 12 bits fill every one of 4096 buckets about evenly.
    const buckets = new Uint32Array(4096);
    for (let port = 1024; port < 1024 + 65536 - 1024; port++) buckets[flowHash4(0, 6, 0, 0x0af40105, 0x0af40207, port, 80) >>> 20]!++;
    expect(Math.min(...buckets)).toBeGreaterThan(0);
    expect(Math.max(...buckets)).toBeLessThan(40);
  });

  it('finds IPv4 flows by fields (find4) and by key (find), both directions, across rehashes', () => {
    const t = new FlowTable();
    const n = 6000; // rehashes at 2048 and 4096 flows
    for (let j = 0; j < n; j++) {
      const k = key4(j & 1, j % 3 === 0 ? 17 : 6, j % 2, 0x0a000000 + (j >>> 4), 0xc0a80000 + (j & 15), 1024 + (j % 50000), 80 + (j % 7));
      expect(t.create(k, flowHash(k), false, -1, j, 0, 0)).toBe(j);
    }
    for (let j = 0; j < n; j++) {
      const c = j & 1, proto = j % 3 === 0 ? 17 : 6, depth = j % 2, s = 0x0a000000 + (j >>> 4), d = 0xc0a80000 + (j & 15), sp = 1024 + (j % 50000), dp = 80 + (j % 7);
      const k = key4(c, proto, depth, s, d, sp, dp);
      expect(t.find(k, flowHash(k))).toBe(2 * j);
      // find4 takes flowHash4; a table mixing both hashes for one key would miss, so the IPv4 path is checked on its own table below.
      expect(flowHash4(c, proto, depth, s, d, sp, dp)).toBe(flowHash4(c, proto, depth, d, s, dp, sp));
    }
    const t4 = new FlowTable();
    for (let j = 0; j < n; j++) {
      const k = key4(j & 1, 6, j % 2, 0x0a000000 + (j >>> 4), 0xc0a80000 + (j & 15), 1024 + (j % 50000), 80 + (j % 7));
      t4.create(k, flowHash4(k.capture, 6, k.depth, k.src[0]!, k.dst[0]!, k.srcPort, k.dstPort), j % 5 === 0, -1, j, 0, 0);
    }
    for (let j = 0; j < n; j++) {
      const c = j & 1, depth = j % 2, s = 0x0a000000 + (j >>> 4), d = 0xc0a80000 + (j & 15), sp = 1024 + (j % 50000), dp = 80 + (j % 7);
      const h = flowHash4(c, 6, depth, s, d, sp, dp);
      const swapped = j % 5 === 0 ? 1 : 0; // created with A = the key's destination
      expect(t4.find4(c, 6, depth, s, d, sp, dp, h)).toBe(2 * j + swapped);
      expect(t4.find4(c, 6, depth, d, s, dp, sp, h)).toBe(2 * j + (1 - swapped));
      // Any field changed: another flow (absent here).
      expect(t4.find4(c, 17, depth, s, d, sp, dp, flowHash4(c, 17, depth, s, d, sp, dp))).toBe(-1);
      expect(t4.find4(c, 6, depth, s, d, dp, sp, flowHash4(c, 6, depth, s, d, dp, sp))).toBe(-1);
      expect(t4.find4(c + 2, 6, depth, s, d, sp, dp, flowHash4(c + 2, 6, depth, s, d, sp, dp))).toBe(-1);
    }
  });

  it('a superseding flow takes over its key in the index', () => {
    const t = new FlowTable();
    const k = key4(0, 6, 0, 0x0a000001, 0x0a000002, 40000, 80);
    const h = flowHash4(0, 6, 0, 0x0a000001, 0x0a000002, 40000, 80);
    const a = t.create(k, h, false, -1, 0, 0, 0);
    const b = t.create(k, h, false, a, 1, 0, 0);
    expect(t.find4(0, 6, 0, 0x0a000001, 0x0a000002, 40000, 80, h)).toBe(2 * b);
    expect(t.superseded[a]).toBe(1);
  });
});
