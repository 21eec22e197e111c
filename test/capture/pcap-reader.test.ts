import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PcapReader } from '../../src/capture/pcap-reader.js';
import type { CaptureIssue, PacketRecord } from '../../src/capture/types.js';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';

interface Seen { index: number; offset: number; sec: number; nsec: number; caplen: number; len: number; first: number }

function readAll(bytes: Uint8Array, chunk: number): { recs: Seen[]; issues: CaptureIssue[]; reader: PcapReader } {
  const recs: Seen[] = [];
  const issues: CaptureIssue[] = [];
  const reader = new PcapReader('x.pcap', {
    onInterface() {},
    onRecord(r: PacketRecord, b: Uint8Array, s: number) {
      recs.push({ index: r.index, offset: r.offset, sec: r.tsSec, nsec: r.tsNsec, caplen: r.capturedLength, len: r.originalLength, first: b[s]! });
    },
    onIssue(i) { issues.push(i); },
  });
  for (let p = 0; p < bytes.length; p += chunk) reader.push(bytes.subarray(p, p + chunk));
  reader.end();
  return { recs, issues, reader };
}

describe.skipIf(!corpusPresent)('PcapReader on real captures', () => {
  const file = corpusPath('ndpi__vxlan.pcap');

  it('reads the same records whatever the chunk size', () => {
    const bytes = new Uint8Array(readFileSync(file));
    const whole = readAll(bytes, bytes.length);
    expect(whole.recs.length).toBe(127);
    expect(whole.recs[0]).toMatchObject({ offset: 24, sec: 1639650442, nsec: 645225000, caplen: 126, len: 126 });
    for (const chunk of [1, 7, 16, 17, 1000]) {
      expect(readAll(bytes, chunk).recs).toEqual(whole.recs);
    }
  });

  it('reports a file cut inside a record header with its offset and keeps what came before', () => {
    const bytes = new Uint8Array(readFileSync(corpusPath('suricata__http-mime-truncated__input.pcap')));
    const { recs, issues } = readAll(bytes, 65536);
    expect(recs.length).toBe(2696);
    const err = issues.find((i) => i.severity === 'error')!;
    expect(err.offset).toBe(bytes.length - 1);
    expect(err.reason).toMatch(/cut short: 1 of the 16 bytes/);
  });
});
