/**
 * The readers over the whole corpus: every record's time, lengths and
 * interface equal tshark's (ground truth), whatever the chunk size; a file
 * cut at any byte keeps every record before the cut and names the offset;
 * the format comes from the magic number, never the name.
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../src/capture/sniff.js';
import { corpusFiles, corpusPath, corpusPresent, groundTruth } from '../helpers/corpus.js';
import { parseGroundTruth } from '../conformance/ground-truth.js';
import { frames, readBytes } from './records.js';

function load(file: string): Uint8Array {
  return new Uint8Array(readFileSync(corpusPath(file)));
}

/**
 * tshark's frame.time_epoch as ours: a fraction of 10 digits (an invalid ns
 * field >= 10^9) is carried into seconds, as we do; tshark prints such a
 * field as is, and one >= 2^31 as a negative time (its sign dropped here).
 */
function tsharkTime(s: string): string {
  if (s === '') return '';
  const [signed, frac = ''] = s.split('.');
  const sec = frac.length > 9 ? signed!.replace(/^-/, '') : signed;
  if (frac.length <= 9) return `${sec}.${frac.padEnd(9, '0')}`;
  const f = BigInt(frac);
  return `${BigInt(sec!) + f / 1_000_000_000n}.${String(f % 1_000_000_000n).padStart(9, '0')}`;
}

describe.skipIf(!corpusPresent)('readers over every corpus capture', () => {
  const files = corpusFiles();

  it.each(files)('%s: every record\'s time, lengths and interface equal tshark\'s', async (file) => {
    const gt = parseGroundTruth(groundTruth(file));
    const { recs, ifaces } = await readBytes(load(file));
    // An SLL2 file's interface indexes are interfaces of our own (src/capture/cooked-interfaces.ts); tshark's is the file's.
    const fileIface = (id: number): number => ifaces.find((i) => i.id === id)?.parentId ?? id;
    expect(recs.length).toBe(gt.packets);
    // We number interfaces across the whole file; tshark 4.0's frame.interface_id restarts in each
    // pcapng section: subtract the interfaces of earlier sections (docs/known-differences.md).
    const fr = frames(load(file));
    const sectionBase = (offset: number): number => {
      let base = 0, inSection = 0;
      for (const f of fr) {
        if (f.start >= offset) break;
        if (f.type === 0x0a0d0d0a) { base += inSection; inSection = 0; }
        if (f.type === 1) inSection++;
      }
      return base;
    };
    const ours = recs.map((r) => [r.timeless ? '' : `${r.sec}.${String(r.nsec).padStart(9, '0')}`, String(r.len), String(r.caplen),
      r.iface === 0xffff ? '' : String(fileIface(r.iface) - sectionBase(r.offset))]);
    const pcap = sniffFormat(load(file)) === 'pcap';
    const theirs = gt.frames.map((f) => [tsharkTime(f['frame.time_epoch']!), f['frame.len']!, f['frame.cap_len']!, pcap ? '0' : f['frame.interface_id']!]);
    expect(ours).toEqual(theirs);
  });

  it.each(files.filter((f) => statSync(corpusPath(f)).size < 3_000_000))('%s: the same records and issues whatever the chunk size', async (file) => {
    const bytes = load(file);
    const whole = await readBytes(bytes, bytes.length + 1);
    const sizes = bytes.length < 60_000 ? [1, 3, 16, 17, 4093] : [4093, 65_536];
    for (const chunk of sizes) {
      const r = await readBytes(bytes, chunk);
      expect(r.recs, `chunk ${chunk}`).toEqual(whole.recs);
      expect(r.issues, `chunk ${chunk}`).toEqual(whole.issues);
    }
  });

  it.each(['zeek__get.pcap', 'gopacket__le__test202.pcapng', 'gopacket__be__test202.pcapng', 'arkime__bigendian.pcap', 'tcpdump__tcp-handshake-nano.pcap'])(
    '%s cut at every byte: every record before the cut kept, an error naming the offset of the frame cut', async (file) => {
      const bytes = load(file);
      const full = await readBytes(bytes);
      const fr = frames(bytes);
      expect(fr.at(-1)!.end).toBe(bytes.length);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const r = await readBytes(bytes.subarray(0, cut), 997, file);
        const complete = fr.filter((f) => f.end <= cut);
        const kept = complete.filter((f) => f.record).length;
        expect(r.recs, `cut at ${cut}`).toEqual(full.recs.slice(0, kept));
        const errors = r.issues.filter((i) => i.severity === 'error');
        const broken = fr.find((f) => f.start < cut && f.end > cut);
        if (cut === 0) {
          expect(errors.map((e) => e.reason)).toEqual(['not a capture file: the file is empty']);
        } else if (cut < 4) {
          expect(errors.map((e) => e.reason)).toEqual([`not a capture file: the file is only ${cut} bytes long`]);
        } else if (!broken) {
          expect(errors, `cut at ${cut}, a frame boundary`).toEqual([]);
        } else {
          expect(errors.length, `cut at ${cut}`).toBe(1);
          expect(errors[0]!.capture).toBe(file);
          // pcapng needs 12 bytes of a block to know its length; a section header needs its magic.
          expect(errors[0]!.offset, `cut at ${cut}`).toBe(broken.start);
          expect(errors[0]!.reason).toMatch(/^file cut short: \d+ of the \d+ bytes of /);
          expect(errors[0]!.reason).toContain(`${cut - broken.start} of the`);
        }
      }
    });
});

describe('format detection from the magic number', () => {
  it.skipIf(!corpusPresent)('reads a pcapng named .pcap and a pcap named .pcapng by their magic', async () => {
    const ng = await readBytes(load('gopacket__le__test202.pcapng'), 1 << 20, 'looks-like.pcap');
    expect(ng.summary.format).toBe('pcapng');
    expect(ng.recs.length).toBe(11);
    const pc = await readBytes(load('ndpi__vxlan.pcap'), 1 << 20, 'looks-like.pcapng');
    expect(pc.summary.format).toBe('pcap');
    expect(pc.recs.length).toBe(127);
  });

  it.each([
    ['text', new TextEncoder().encode('# Ground truth\n'), 'not a capture file: magic bytes 23 20 47 72 ("# Gr") are neither pcap nor pcapng'],
    ['gzip', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'not a capture file: magic bytes 1f 8b 08 00 are neither pcap nor pcapng'],
    ['empty', new Uint8Array(0), 'not a capture file: the file is empty'],
  ] as Array<[string, Uint8Array, string]>)('refuses %s with the reason at offset 0', async (_what, bytes, reason) => {
    const r = await readBytes(bytes, 4096, 'x.pcap');
    expect(r.recs).toEqual([]);
    expect(r.issues).toEqual([{ capture: 'x.pcap', packet: null, offset: 0, layer: 'file', reason, severity: 'error' }]);
  });
});
