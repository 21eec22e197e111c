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

// ---------------------------------------------------------------------------
// Classic pcap variants, from real files (some with header bytes edited).

import { createRequire } from 'node:module';
import { readBytes } from './records.js';
import { corpusFiles } from '../helpers/corpus.js';

function corpusBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(corpusPath(name)));
}

/** Edits a real pcap: `edit(dv, le)` on a copy. */
function edited(name: string, edit: (dv: DataView, le: boolean, bytes: Uint8Array) => void): Uint8Array {
  const bytes = corpusBytes(name).slice();
  const dv = new DataView(bytes.buffer);
  const le = dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d;
  edit(dv, le, bytes);
  return bytes;
}

/** Record header offsets of a pcap. */
function recordOffsets(bytes: Uint8Array, le: boolean): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let o = 24; o + 16 <= bytes.length; o += 16 + dv.getUint32(o + 8, le)) out.push(o);
  return out;
}

describe.skipIf(!corpusPresent)('classic pcap variants', () => {
  it('reads nanosecond files at full resolution (pcapplusplus__nanosecs.pcap)', async () => {
    const r = await readBytes(corpusBytes('pcapplusplus__nanosecs.pcap'));
    expect(r.ifaces[0]!.precision).toBe(9);
    expect(r.recs.map((x) => [x.sec, x.nsec])).toEqual([[1, 2000], [1, 1234]]);
  });

  it('reads big-endian files (arkime__bigendian.pcap, tcpdump__pptp.pcap) as tshark does', async () => {
    const be = await readBytes(corpusBytes('arkime__bigendian.pcap'));
    expect(be.recs.map((x) => [x.caplen, x.len])).toEqual([[98, 98], [98, 98]]);
    expect(be.ifaces[0]!.linkType).toBe(1);
    expect((await readBytes(corpusBytes('tcpdump__pptp.pcap'))).recs.length).toBe(23);
  });

  it('reads a little-endian file rewritten big-endian to the same records', async () => {
    const le = corpusBytes('zeek__get.pcap');
    const be = le.slice();
    const src = new DataView(le.buffer, le.byteOffset), dst = new DataView(be.buffer);
    for (const at of [0, 8, 12, 16, 20]) dst.setUint32(at, src.getUint32(at, true), false);
    for (const at of [4, 6]) dst.setUint16(at, src.getUint16(at, true), false);
    for (const o of recordOffsets(le, true)) for (let k = 0; k < 16; k += 4) dst.setUint32(o + k, src.getUint32(o + k, true), false);
    const a = await readBytes(le), b = await readBytes(be);
    expect(b.recs).toEqual(a.recs);
    expect(b.recs.length).toBe(14);
  });

  it('reads version 2.2 files, whose records store the original length before the captured one', async () => {
    const normal = corpusBytes('zeek__ip4-trunc.pcap');
    const old = edited('zeek__ip4-trunc.pcap', (dv, le, bytes) => {
      dv.setUint16(6, 2, le);
      for (const o of recordOffsets(bytes, le)) {
        const cap = dv.getUint32(o + 8, le), orig = dv.getUint32(o + 12, le);
        dv.setUint32(o + 8, orig, le); dv.setUint32(o + 12, cap, le);
      }
    });
    const a = await readBytes(normal);
    expect(a.recs[0]!.caplen).toBeLessThan(a.recs[0]!.len);
    expect((await readBytes(old)).recs).toEqual(a.recs);
  });

  it('reads version 2.3 files, swapping lengths only where captured > original (libpcap\'s rule)', async () => {
    const normal = corpusBytes('zeek__ip4-trunc.pcap');
    const v23 = edited('zeek__ip4-trunc.pcap', (dv, le, bytes) => {
      dv.setUint16(6, 3, le);
      for (const o of recordOffsets(bytes, le)) {
        const cap = dv.getUint32(o + 8, le), orig = dv.getUint32(o + 12, le);
        dv.setUint32(o + 8, orig, le); dv.setUint32(o + 12, cap, le);
      }
    });
    expect((await readBytes(v23)).recs).toEqual((await readBytes(normal)).recs);
    // A 2.3 file written in the right order reads unchanged.
    const same = edited('zeek__get.pcap', (dv, le) => dv.setUint16(6, 3, le));
    expect((await readBytes(same)).recs).toEqual((await readBytes(corpusBytes('zeek__get.pcap'))).recs);
  });

  it('warns once when records exceed the snap length, and keeps reading', async () => {
    const small = edited('zeek__get.pcap', (dv, le) => dv.setUint32(16, 64, le));
    const r = await readBytes(small, 1 << 20, 'snap.pcap');
    expect(r.recs.length).toBe(14);
    expect(r.issues).toEqual([{ capture: 'snap.pcap', packet: 1, offset: 24, layer: 'pcap', severity: 'warning',
      reason: `captured length ${r.recs[0]!.caplen} exceeds the file's snap length 64 (reported once)` }]);
  });

  it('flags a record whose captured length exceeds its original length (tcpdump__pim_header_asan-2.pcap) and keeps going', async () => {
    const r = await readBytes(corpusBytes('tcpdump__pim_header_asan-2.pcap'), 1 << 20, 'pim.pcap');
    expect(r.recs.length).toBe(3);
    const bad = r.recs.filter((x) => x.caplen > x.len);
    expect(bad.length).toBeGreaterThan(0);
    expect(r.issues.filter((i) => /exceeds original length/.test(i.reason)).map((i) => i.packet)).toEqual(bad.map((x) => x.index + 1));
    expect(r.issues.every((i) => i.severity === 'warning')).toBe(true);
  });

  it('reads the FCS length from the link-type field when its F bit is set', async () => {
    // 0x24000001: F (bit 26) set, FCS length (bits 28..31) 2 sixteen-bit words = 4 bytes.
    const fcs = edited('zeek__get.pcap', (dv, le) => dv.setUint32(20, 0x24000001, le));
    const r = await readBytes(fcs);
    expect(r.ifaces[0]).toMatchObject({ linkType: 1, fcsLength: 4 });
    expect(r.issues).toEqual([]);
    // Without the F bit the FCS bits mean nothing (tcpdump__heapoverflow-tcp_print.pcap: 0x30000001, tshark reads it as Ethernet).
    const fuzz = await readBytes(corpusBytes('tcpdump__heapoverflow-tcp_print.pcap'));
    expect(fuzz.ifaces[0]).toMatchObject({ linkType: 1, fcsLength: 0 });
  });

  it('warns about reserved link-type bits and reads on (libpcap__linktype-reserved-field-not-zero.pcap)', async () => {
    const r = await readBytes(corpusBytes('libpcap__linktype-reserved-field-not-zero.pcap'), 1 << 20, 'rsv.pcap');
    expect(r.issues).toEqual([{ capture: 'rsv.pcap', packet: null, offset: 20, layer: 'pcap', severity: 'warning',
      reason: 'reserved bits of the link-type field are set (0x00300000); using link type 0' }]);
    expect(r.recs).toEqual([]);
  });

  it('carries an invalid nanosecond field into the seconds with one warning (tcpdump__timestamp_invalid_nano.pcap)', async () => {
    const r = await readBytes(corpusBytes('tcpdump__timestamp_invalid_nano.pcap'), 1 << 20, 'ns.pcap');
    expect(r.recs.map((x) => [x.sec, x.nsec])).toEqual([[1418145369, 999999999], [1418145371, 0], [1418145372, 147483648]]);
    expect(r.issues.map((i) => [i.packet, i.severity])).toEqual([[2, 'warning']]);
  });

  it('refuses unsupported versions naming the offset (libpcap__pcap-invalid-version-1.pcap)', async () => {
    const r = await readBytes(corpusBytes('libpcap__pcap-invalid-version-1.pcap'), 1 << 20, 'v1.pcap');
    expect(r.issues).toEqual([{ capture: 'v1.pcap', packet: null, offset: 4, layer: 'pcap', severity: 'error', reason: 'unsupported pcap version 1.4 (only 2.x exists)' }]);
  });

  it('stops at a record whose length is absurd, keeping every record before it', async () => {
    const bytes = edited('zeek__get.pcap', (dv, le, b) => dv.setUint32(recordOffsets(b, le)[5]! + 8, 0x7fffffff, le));
    const r = await readBytes(bytes, 4096, 'lie.pcap');
    const off = recordOffsets(corpusBytes('zeek__get.pcap'), true)[5]!;
    expect(r.recs.length).toBe(5);
    expect(r.issues).toEqual([{ capture: 'lie.pcap', packet: 6, offset: off, layer: 'pcap', severity: 'error',
      reason: 'record 6 claims a captured length of 2147483647 bytes, more than the 16777216-byte limit: the file is corrupt from here' }]);
  });
});

describe.skipIf(!corpusPresent)('pcap-parser (npm) as an independent check of classic-pcap record framing', () => {
  const require = createRequire(import.meta.url);
  const pcapp = require('pcap-parser') as { parse(input: NodeJS.ReadableStream | string): NodeJS.EventEmitter };
  const { Readable } = require('node:stream') as typeof import('node:stream');

  /** What pcap-parser reads: records, or null when it refuses the file (it reads µs pcap 2.4 only). */
  function parse(bytes: Uint8Array): Promise<Array<[number, number, number, number]> | null> {
    return new Promise((resolve) => {
      const out: Array<[number, number, number, number]> = [];
      let failed = false;
      const p = pcapp.parse(Readable.from([Buffer.from(bytes)]));
      p.on('packetHeader', (h: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }) => {
        out.push([h.timestampSeconds, h.timestampMicroseconds, h.capturedLength, h.originalLength]);
      });
      p.on('error', () => { failed = true; });
      p.on('end', () => resolve(failed ? null : out));
    });
  }

  const classic = (): string[] => corpusFiles().filter((f) => {
    const b = corpusBytes(f);
    return b.length >= 24 && [0xa1b2c3d4, 0xa1b23c4d].includes(new DataView(b.buffer, b.byteOffset).getUint32(0, true))
      || b.length >= 24 && [0xa1b2c3d4, 0xa1b23c4d].includes(new DataView(b.buffer, b.byteOffset).getUint32(0, false));
  });

  it('reads the same record count, lengths and timestamps as we do on every corpus pcap it reads', async () => {
    let checked = 0;
    const refused: string[] = [];
    const notOurs: string[] = [];
    for (const f of classic()) {
      const bytes = corpusBytes(f);
      const theirs = await parse(bytes);
      if (theirs === null) { refused.push(f); continue; }
      const read = await readBytes(bytes);
      const ours = read.recs;
      const error = read.issues.find((i) => i.severity === 'error');
      if (error?.reason.startsWith('unsupported pcap version')) {
        // pcap-parser's version check (major != 2 AND minor != 4) lets version 1.4 through.
        notOurs.push(f);
        continue;
      }
      // pcap-parser emits the header of a last record cut short; we report that record as the error instead.
      const cutShort = error?.reason.startsWith('file cut short') ? 1 : 0;
      expect(theirs.length - ours.length, f).toBe(error && /of the 16 bytes of the header/.test(error.reason) ? 0 : cutShort);
      const whole = theirs.slice(0, ours.length);
      const nanos = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === 0xa1b23c4d || new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, false) === 0xa1b23c4d;
      expect(ours.map((r) => [r.sec, nanos ? r.nsec : r.nsec / 1000, r.caplen, r.len]), f).toEqual(whole.map(([s, frac, c, l]) => {
        // pcap-parser does not know nanosecond files or carry invalid fractions: compare raw fields there.
        const lim = nanos ? 1e9 : 1e6;
        return [s + Math.floor(frac / lim), frac % lim, c, l];
      }));
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
    // It cannot read nanosecond files at all; it reads a version 1.4 file we refuse.
    expect(refused).toEqual(['pcapplusplus__nanosecs.pcap', 'tcpdump__tcp-handshake-nano.pcap', 'tcpdump__timestamp_invalid_nano.pcap']);
    expect(notOurs).toEqual(['libpcap__pcap-invalid-version-1.pcap']);
  });
});
