/**
 * Display filters through the AnalyzerApi (the app's engine side): packets of
 * a lab session filtered equal tshark's frames per capture point, checkFilter
 * answers with the error's place, and a flow matches when any of its packets
 * does (a tunnelled packet: its inner and its outer flow).
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import type { SourceRef } from '../../src/api.js';
import { createAnalyzerService, type SourceResolver } from '../../src/service/analyzer-service.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';
import { tsharkFrames } from './scan.js';

const resolver: SourceResolver = {
  async resolve(ref: SourceRef) {
    if (ref.kind !== 'path') throw new Error('test resolver reads paths only');
    return fileSource(ref.path);
  },
};
const FILES = ['node1-eth0', 'pod-web-a-eth0'].map((p) => fixturePath('lab', 'captures', 'nginx-proxy', `${p}.pcap`));
const FILTER = 'ip.addr == 10.244.1.0/24 && tcp.port == 8080';

describe.skipIf(!FILES.every((f) => existsSync(f)))('display filters in the AnalyzerApi', () => {
  it('getPackets({ filter }) gives tshark\'s frames of each capture point; checkFilter places errors', async () => {
    const api = createAnalyzerService(resolver);
    await api.openSession(FILES.map((f) => ({ kind: 'path', path: f })));
    const page = await api.getPackets({ offset: 0, limit: 1000, filter: FILTER });
    for (const [c, f] of FILES.entries()) {
      const ours = page.rows.filter((r) => r.capture === c).map((r) => r.index + 1).sort((a, b) => a - b);
      expect(ours).toEqual(await tsharkFrames(f, FILTER));
    }
    expect(page.total).toBe(page.rows.length);
    await expect(api.getPackets({ offset: 0, limit: 10, filter: 'ip.adr == 1.2.3.4' })).rejects.toThrow("unknown field 'ip.adr' at 1:1 (did you mean ip.addr?)");
    expect(await api.checkFilter('tcp.port == 80 and ip.scr == 10.0.0.1')).toEqual({ ok: false, message: "unknown field 'ip.scr' at 1:20 (did you mean ip.src?)", line: 1, column: 20, offset: 19, fields: [] });
    expect(await api.checkFilter(FILTER)).toEqual({ ok: true, message: null, line: 0, column: 0, offset: 0, fields: ['ip.addr', 'tcp.port'] });
  }, 120_000);

  const ANY = ['node2-any', 'node3-any'].map((p) => fixturePath('lab', 'captures', 'nginx-proxy-any-sll2', `${p}.pcap`));
  it.skipIf(!ANY.every((f) => existsSync(f)))('relative numbers and TCP analysis: tshark\'s frames per capture, also when the scan keeps one capture or a protocol only', async () => {
    const api = createAnalyzerService(resolver);
    const files = [...ANY, FILES[0]!];
    await api.openSession(files.map((f) => ({ kind: 'path', path: f })));
    for (const filter of ['tcp.analysis.retransmission', 'tcp.port == 8080 or tcp.analysis.fast_retransmission', 'tcp.seq == 1 && tcp.ack == 1 && tcp.len > 0']) {
      const page = await api.getPackets({ offset: 0, limit: 1000, filter });
      for (const [c, f] of files.entries()) {
        const ours = page.rows.filter((r) => r.capture === c).map((r) => r.index + 1).sort((a, b) => a - b);
        expect(ours, `${filter} on ${f}`).toEqual(await tsharkFrames(f, filter));
      }
    }
    // The scan of one capture only (packets of the others skipped): the analysis still saw them all, in file order.
    const one = await api.getPackets({ offset: 0, limit: 1000, capture: 1, protocol: 'tcp', filter: 'tcp.analysis.retransmission' });
    const want = await tsharkFrames(ANY[1]!, 'tcp.analysis.retransmission') as number[];
    expect(want.length).toBeGreaterThan(0);
    expect(one.rows.map((r) => r.index + 1).sort((a, b) => a - b)).toEqual(want);
  }, 180_000);

  it('getFlows({ filter }): a flow matches when any of its packets does', async () => {
    const api = createAnalyzerService(resolver);
    await api.openSession(FILES.map((f) => ({ kind: 'path', path: f })));
    const all = await api.getFlows({ offset: 0, limit: 1000 });
    const page = await api.getFlows({ offset: 0, limit: 1000, filter: 'tcp.flags.syn == 1 && tcp.port == 8080' });
    expect(page.total).toBeGreaterThan(0);
    expect(page.total).toBeLessThan(all.total);
    // Every TCP flow on 8080 opens with a SYN in these captures; the outer VXLAN flows that carried one match too.
    const tcp8080 = all.rows.filter((r) => r.transport === 'tcp' && (r.a.port === 8080 || r.b.port === 8080));
    const matched = new Set(page.rows.map((r) => r.id));
    expect(tcp8080.length).toBeGreaterThan(0);
    for (const r of tcp8080) expect(matched.has(r.id)).toBe(true);
    for (const r of page.rows) expect(r.transport === 'tcp' ? [r.a.port, r.b.port].includes(8080) : r.depth === 0 && r.transport === 'udp').toBe(true);
    const none = await api.getFlows({ offset: 0, limit: 10, filter: 'arp' });
    expect(none.total).toBe(0);
  }, 120_000);

  it('getFlows({ filter: flow.packets > N }): the flows over N packets (and the tunnel flows carrying them)', async () => {
    const api = createAnalyzerService(resolver);
    await api.openSession(FILES.map((f) => ({ kind: 'path', path: f })));
    const all = await api.getFlows({ offset: 0, limit: 1000 });
    const page = await api.getFlows({ offset: 0, limit: 1000, filter: 'flow.packets > 12' });
    const matched = new Set(page.rows.map((r) => r.id));
    // Every non-tunnel flow over 12 packets is kept; every kept one is over 12 or a depth-0 UDP (VXLAN) flow carrying one.
    const big = all.rows.filter((r) => r.packets > 12 && r.tunnel === null);
    expect(big.length).toBeGreaterThan(0);
    for (const r of big) expect(matched.has(r.id), `flow ${r.id} (${r.packets} packets)`).toBe(true);
    for (const r of page.rows) expect(r.packets > 12 || (r.depth === 0 && r.transport === 'udp')).toBe(true);
    expect(page.total).toBeLessThan(all.total);
  }, 120_000);
});
