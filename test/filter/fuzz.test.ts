/**
 * Hostile filters: 10,000 random and mutated filter strings (fixed seed):
 * unbalanced parentheses, huge numbers, deep nesting, pathological regular
 * expressions, a 1 MB string. Each gives a FilterError or a filter that runs
 * over real packets; nothing else is thrown and nothing hangs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { compileFilter, FilterError, FilterInput, fieldNames, type CompiledFilter } from '../../src/filter/index.js';
import { fixturePath } from '../helpers/corpus.js';
import { FILTERS } from './filter-table.js';
import { hostileFilters } from './hostile-filters.js';
import { TcpAnalyzer, TcpOccurrences } from '../../src/filter/tcp-analysis.js';

/** A few real frames (Ethernet, VXLAN-encapsulated TCP and HTTP) from the lab's node1-eth0 capture. */
function frames(): Uint8Array[] {
  const b = readFileSync(fixturePath('lab', 'captures', 'nginx-proxy', 'node1-eth0.pcap'));
  const out: Uint8Array[] = [];
  let off = 24;
  while (off + 16 <= b.length && out.length < 60) {
    const incl = b.readUInt32LE(off + 8);
    out.push(new Uint8Array(b.subarray(off + 16, off + 16 + incl)));
    off += 16 + incl;
  }
  return out;
}

describe('10,000 hostile filters: an error or a result, never a crash or a hang', () => {
  it('fixed seed', () => {
    const inputs = hostileFilters(10_000, 20261203, [...FILTERS], fieldNames());
    expect(inputs.length).toBe(10_000);
    const packets = frames();
    const cfg = new DissectConfig({ vxlanPorts: [4789, 8472] });
    const decoded = packets.map((f) => { const p = new DecodedPacket(); decodePacket(p, f, 0, f.length, 1, cfg); return p; });
    let errors = 0, compiled = 0, worst = 0;
    const x = new FilterInput();
    for (const s of inputs) {
      const t0 = performance.now();
      let f: CompiledFilter | null = null;
      try {
        f = compileFilter(s);
      } catch (e) {
        if (!(e instanceof FilterError)) throw new Error(`${(e as Error).name} (not a FilterError) for ${JSON.stringify(s.slice(0, 200))}: ${(e as Error).message}`);
        expect(e.message).toMatch(/ at \d+:\d+/);
        errors++;
      }
      if (f) {
        compiled++;
        // A filter on tcp.seq or tcp.analysis.* is fed the TCP analysis of the packets in order (the runners' contract).
        const tcp = f.tcpAnalysis ? new TcpAnalyzer() : null;
        x.tcp = tcp ? new TcpOccurrences() : null;
        for (let k = 0; k < packets.length; k++) {
          x.next(decoded[k]!, packets[k]!, 0, packets[k]!.length);
          tcp?.next(k, decoded[k]!, packets[k]!, 0, 0, 0, x.tcp!);
          x.frameNumber = k + 1;
          x.frameLen = x.frameCapLen = packets[k]!.length;
          expect(typeof f.test(x)).toBe('boolean');
        }
      }
      const ms = performance.now() - t0;
      if (ms > worst) worst = ms;
      // Bounded time per filter (generous for a shared 2-core machine).
      expect(ms, JSON.stringify(s.slice(0, 120))).toBeLessThan(3000);
    }
    console.log(`hostile filters: ${errors} refused, ${compiled} compiled and run on ${packets.length} packets, slowest ${worst.toFixed(0)} ms`);
    expect(errors).toBeGreaterThan(1000);
    expect(compiled).toBeGreaterThan(300);
  }, 300_000);
});
