/**
 * Offloaded frames (src/pipeline/offloads.ts): frames longer than a 1500-byte
 * MTU allows are counted per capture and noted, never reported as issues.
 * tshark is the reference for which frames are long (`frame.len`), on the
 * offloads fixture (fixtures/offloads: the same traffic with offloads on and
 * off) and on the corpus's GSO and BIG TCP captures (IPv4 total length 0).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { renderAnalysisTable } from '../../src/cli/format.js';
import { renderReport } from '../../src/report/report.js';
import { createAnalyzerService } from '../../src/service/analyzer-service.js';
import { CORPUS, corpusPresent, corpusSkipReason, fixturePath } from '../helpers/corpus.js';

const ENCAP = path.resolve(CORPUS, '../corpus-encap/files');

async function analysis(file: string) {
  const s = await AnalysisSession.open([await fileSource(file)]);
  return s.toJSON();
}

/** tshark's frame lengths of a file. */
function frameLengths(file: string): number[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.len'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

describe('offloaded frames', () => {
  it('offloads on: every frame over 1514 bytes counted, the largest named, a note, no issue', async () => {
    const file = fixturePath('offloads', 'offloads-on.pcap');
    const lens = frameLengths(file);
    const long = lens.filter((l) => l > 1514);
    expect(long.length).toBeGreaterThan(0);
    const doc = await analysis(file);
    const c = doc.captures[0]!;
    expect(c.offload).toEqual({ frames: long.length, largest: Math.max(...long), limit: 1514 });
    expect(doc.issues).toEqual([]);
    const notes = doc['notes'] as string[];
    expect(notes[0]).toBe(`offloads-on.pcap: offloads were on: ${long.length} of ${lens.length} frames exceed 1514 bytes, up to ${Math.max(...long)}`
      + ' (GSO/TSO/GRO super-packets, or a larger MTU): packets are counted as captured, not as the segments on the wire (compare gives both); checksums left to the NIC are not checked');
    expect(renderAnalysisTable(doc)).toContain(`offloads were on: ${long.length} of ${lens.length} frames exceed 1514 bytes, up to ${Math.max(...long)}`);
    const md = renderReport({ label: 'offloads', generatedAt: '2026-12-03T00:00:00Z', analysis: doc }, 'md');
    expect(md).toContain(`offloads-on.pcap: offloads were on: ${long.length} of ${lens.length} frames exceed 1514 bytes, up to ${Math.max(...long).toLocaleString('en')}`);
  });

  it('the app gets the same per capture (SessionSummary.captures[].offload, shown by the Overview)', async () => {
    const api = createAnalyzerService({ async resolve(ref) { if (ref.kind !== 'path') throw new Error('paths only'); return fileSource(ref.path); } });
    const on = fixturePath('offloads', 'offloads-on.pcap');
    const off = fixturePath('offloads', 'offloads-off.pcap');
    const s = await api.openSession([{ kind: 'path', path: on }, { kind: 'path', path: off }]);
    const long = frameLengths(on).filter((l) => l > 1514);
    expect(s.captures.map((c) => c.offload)).toEqual([{ frames: long.length, largest: Math.max(...long), limit: 1514 }, null]);
  });

  it('offloads off: no frame over the MTU, no note', async () => {
    const file = fixturePath('offloads', 'offloads-off.pcap');
    expect(Math.max(...frameLengths(file))).toBe(1514);
    const doc = await analysis(file);
    expect(doc.captures[0]!.offload).toBeNull();
    expect((doc['notes'] as string[]).some((n) => n.includes('offloads'))).toBe(false);
  });

  it('a full-sized frame under a Linux cooked header is not an offload (SLL2 1520, SLL 1516 bytes)', async () => {
    for (const [kind, max] of [['sll2', 1520], ['sll', 1516]] as const) {
      const file = fixturePath('any-interface', 'captures', kind, 'node1-any.pcap');
      expect(Math.max(...frameLengths(file)), file).toBe(max);
      expect((await analysis(file)).captures[0]!.offload, file).toBeNull();
    }
  });

  it('the lab (offloads off, VXLAN MTU 1450) has none', async () => {
    const doc = await analysis(fixturePath('lab', 'captures', 'nginx-proxy.pcapng'));
    expect(doc.captures[0]!.offload).toBeNull();
  });

  it.skipIf(!corpusPresent)('GSO and BIG TCP corpus captures: recognised as the frame tshark sees, no issue', async () => {
    corpusSkipReason();
    const files = [
      path.join(CORPUS, 'files', 'tcpdump__gso-ipv4-vxlan-ipv4.pcap'),
      path.join(CORPUS, 'files', 'tcpdump__gso-ipv6-vxlan-ipv6.pcap'),
      path.join(CORPUS, 'files', 'tcpdump__bigtcp-ipv4-vxlan-ipv4.pcap'),
      path.join(ENCAP, 'tcpdump__gso-ipv4-geneve-ipv4.pcap'),
      path.join(ENCAP, 'tcpdump__bigtcp-ipv4-geneve-ipv4.pcap'),
    ];
    for (const f of files) {
      const lens = frameLengths(f);
      const doc = await analysis(f);
      expect(doc.captures[0]!.offload, f).toEqual({ frames: lens.filter((l) => l > 1514).length, largest: Math.max(...lens), limit: 1514 });
      expect(doc.issues, f).toEqual([]);
      // The super-packet is decoded to its inner TCP, its bytes counted whole (BIG TCP: IPv4 total length 0).
      expect(doc.protocols['tcp'], f).toBe(lens.length);
      const inner = doc.flows.find((fl) => fl.depth === 1)!;
      expect(inner.bytes, f).toBe(lens.reduce((a, b) => a + b, 0));
    }
  });
});
