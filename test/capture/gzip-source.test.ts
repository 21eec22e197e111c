/**
 * Gzip-compressed captures (src/capture/inflate-source.ts, open-inputs.ts):
 * compressed here by Node's zlib (an independent deflate), read back through
 * the chunk driver they give the same records, bytes and times as the plain
 * file, and capinfos (which reads .gz itself) counts the same packets; found
 * by magic whatever the name; a stream cut anywhere names the gzip layer and
 * the offset and keeps every record inflated before it; a compression bomb
 * stops at the ratio bound.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { inflatedSource, type InflateCounters } from '../../src/capture/inflate-source.js';
import { openInputs } from '../../src/capture/open-inputs.js';
import { readCapture } from '../../src/capture/read-capture.js';
import type { ByteSource } from '../../src/capture/types.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';
import { recordRow } from '../helpers/records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gzip-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every record as [index, offset, caplen, len, iface, sec, nsec, FNV-1a of its bytes], and every issue. */
async function read(source: ByteSource): Promise<{ recs: number[][]; issues: Array<{ offset: number; layer: string; reason: string; severity: string }>; packets: number; stopped: boolean }> {
  const recs: number[][] = [];
  const issues: Array<{ offset: number; layer: string; reason: string; severity: string }> = [];
  const summary = await readCapture(source, {
    onInterface() {},
    onRecord(r, b, s) { recs.push(recordRow(r, b, s)); },
    onIssue(i) { issues.push({ offset: i.offset, layer: i.layer, reason: i.reason, severity: i.severity }); },
  });
  return { recs, issues, packets: summary.packets, stopped: summary.stopped };
}

async function opened(bytes: Uint8Array, name: string): Promise<ByteSource> {
  const o = await openInputs([bytesSource(bytes, name)]);
  expect(o.captures).toHaveLength(1);
  return o.captures[0]!;
}

const CAPTURES = [
  ['any-interface SLL2 pcap', fixturePath('lab/captures/ingress-any-sll2/node1-any.pcap')],
  ['pcapng', fixturePath('lab/captures/ingress.pcapng')],
] as const;

describe('gzip-compressed captures', () => {
  it.each(CAPTURES)('%s: the same records and bytes as the plain file; capinfos counts the same packets', async (_what, file) => {
    const plain = new Uint8Array(readFileSync(file));
    const gz = new Uint8Array(gzipSync(plain, { level: 6 }));
    // Named neither .gz nor after its format: found by magic.
    const gzPath = path.join(dir, `${path.basename(file)}.bin`);
    writeFileSync(gzPath, gz);
    const want = await read(bytesSource(plain, 'plain'));
    const got = await read(await opened(gz, 'capture.bin'));
    expect(got.issues).toEqual(want.issues);
    expect(got.recs).toEqual(want.recs);
    const capinfos = Number(/Number of packets:\s+(\d+)/.exec(execFileSync('capinfos', ['-c', gzPath], { encoding: 'utf8', timeout: 60_000 }))![1]);
    expect(got.packets).toBe(capinfos);
    // Through the file source too (read by offset, as archive members and packet detail read it).
    const fromFile = await read(await inflatedSource({ kind: 'gzip', source: await fileSource(gzPath) }));
    expect(fromFile.recs).toEqual(want.recs);
  });

  it('members one after another (cat a.gz b.gz) read as one stream', async () => {
    const plain = new Uint8Array(readFileSync(CAPTURES[0][1]));
    const cut = 100_003;
    const a = gzipSync(plain.subarray(0, cut));
    const b = gzipSync(plain.subarray(cut));
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    const want = await read(bytesSource(plain, 'plain'));
    const got = await read(await opened(both, 'two-members'));
    expect(got.issues).toEqual([]);
    expect(got.recs).toEqual(want.recs);
  });

  it('a packet read back by offset (the packet detail) equals the plain file\'s, forwards and backwards', async () => {
    const file = CAPTURES[1][1];
    const plain = new Uint8Array(readFileSync(file));
    const gzPath = path.join(dir, 'detail.gz');
    writeFileSync(gzPath, gzipSync(plain));
    const s1 = await AnalysisSession.open([await fileSource(file)]);
    const o = await openInputs([await fileSource(gzPath)]);
    const s2 = await AnalysisSession.open(o.captures);
    expect(s2.packets).toBe(s1.packets);
    const n = s1.captures[0]!.packets;
    for (const k of [n - 1, 0, Math.floor(n / 2), 3, n - 2]) {
      const a = await s1.readPacket(0, k);
      const b = await s2.readPacket(0, k);
      expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    }
    const flows = (s: AnalysisSession, file: string): string => JSON.stringify(s.toJSON().flows).split(JSON.stringify(file)).join('"F"');
    expect(flows(s2, o.captures[0]!.name) === flows(s1, file)).toBe(true);
  });

  it('a stream cut anywhere: a gzip error naming the offset; every record inflated before it is kept', async () => {
    const plain = new Uint8Array(readFileSync(CAPTURES[0][1]));
    const gz = new Uint8Array(gzipSync(plain));
    const full = await read(bytesSource(plain, 'plain'));
    for (const cut of [11, 500, 4096, Math.floor(gz.length / 3), Math.floor(gz.length / 2), gz.length - 9, gz.length - 1]) {
      const got = await read(await opened(gz.subarray(0, cut), 'cut.pcap.gz'));
      const err = got.issues.filter((i) => i.severity === 'error');
      expect(err, `cut at ${cut}`).toHaveLength(1);
      expect(err[0]!.layer).toBe('gzip');
      expect(err[0]!.reason).toMatch(/cut short at compressed offset \d+|trailer missing/);
      expect(got.stopped).toBe(true);
      // What was inflated before the cut: exactly the plain file's records that end before err.offset.
      const inflated = err[0]!.offset;
      expect(inflated).toBeLessThanOrEqual(plain.length);
      const whole = full.recs.filter((r) => r[1]! + 16 + r[2]! <= inflated);
      expect(got.recs).toEqual(whole);
    }
  });

  it('a damaged stream: one error (deflate\'s, naming the compressed offset, or the reader\'s on the garbage); what came before is kept', async () => {
    const plain = new Uint8Array(readFileSync(CAPTURES[0][1]));
    const full = await read(bytesSource(plain, 'plain'));
    const size = gzipSync(plain).length;
    for (const at of [Math.floor(size * 0.3), Math.floor(size * 0.6), Math.floor(size * 0.9)]) {
      const gz = new Uint8Array(gzipSync(plain));
      gz.fill(0xff, at, at + 50);
      const got = await read(await opened(gz, 'damaged.pcap.gz'));
      const err = got.issues.filter((i) => i.severity === 'error');
      expect(err).toHaveLength(1);
      if (err[0]!.layer === 'gzip') expect(err[0]!.reason).toMatch(/at compressed offset \d+/);
      expect(got.packets).toBeGreaterThan(0);
      expect(got.recs.slice(0, 3)).toEqual(full.recs.slice(0, 3));
    }
  });

  it('a flipped byte deflate cannot notice (a stored block): the CRC-32 names it', async () => {
    const plain = new Uint8Array(readFileSync(CAPTURES[0][1]));
    const gz = new Uint8Array(gzipSync(plain, { level: 0 }));
    gz[Math.floor(gz.length / 2)]! ^= 0x01;
    const got = await read(await opened(gz, 'flipped.pcap.gz'));
    const err = got.issues.filter((i) => i.severity === 'error');
    expect(err).toHaveLength(1);
    expect(err[0]!.layer).toBe('gzip');
    expect(err[0]!.reason).toMatch(/CRC-32 mismatch/);
    // Every record was read; the error says the bytes cannot be trusted.
    expect(got.packets).toBe((await read(bytesSource(plain, 'p'))).packets);
  });

  it.each([
    ['one gzip member', 'gzip'], ['gzip members one after another', 'members'], ['a zip member\'s raw deflate', 'deflate'],
  ] as const)('restart points (%s): reads by offset in any order equal the plain file\'s, served from the nearest verified point; a damaged point is refused, never used', async (_what, how) => {
    // 3 MiB alternating 16 KiB of noise (stored blocks) and 16 KiB of a lab capture (dynamic Huffman blocks, ~40:1).
    const lab = new Uint8Array(readFileSync(CAPTURES[1][1]));
    const plain = new Uint8Array(3 * 1024 * 1024);
    let x = 2463534242;
    for (let o = 0; o < plain.length; o += 32 * 1024) {
      for (let i = o; i < Math.min(plain.length, o + 16 * 1024); i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; plain[i] = x & 0xff; }
      plain.set(lab.subarray(o % (lab.length - 16 * 1024)).subarray(0, Math.min(16 * 1024, plain.length - o - 16 * 1024)), o + 16 * 1024);
    }
    const third = Math.floor(plain.length / 3);
    const z = how === 'gzip' ? gzipSync(plain)
      : how === 'members' ? Buffer.concat([gzipSync(plain.subarray(0, third)), gzipSync(plain.subarray(third, 2 * third), { level: 1 }), gzipSync(plain.subarray(2 * third))])
      : deflateRawSync(plain);
    const every = 64 * 1024;
    const src = await inflatedSource({ kind: how === 'deflate' ? 'deflate' : 'gzip', source: bytesSource(new Uint8Array(z), 'z'), checkpointEvery: every });
    const counters = (src as unknown as { counters: InflateCounters }).counters;
    // The analysis's pass makes the points.
    let n = 0;
    for await (const c of src.chunks(1 << 20)) n += c.length;
    expect(n).toBe(plain.length);
    // A point after a push (32 KiB of input) once `every` bytes have been inflated since the last.
    expect(counters.checkpoints).toBeGreaterThan(8);
    // Backwards, then scattered: each read equals the plain bytes.
    const offsets = [plain.length - 300, Math.floor(plain.length * 0.7), Math.floor(plain.length * 0.4), 10, plain.length - 70_000, ...Array.from({ length: 20 }, (_, k) => (k * 7919 * 37) % (plain.length - 200))];
    for (const at of offsets) {
      const got = await src.read(at, 200);
      expect(Buffer.from(got).equals(Buffer.from(plain.subarray(at, at + 200))), `at ${at}`).toBe(true);
    }
    expect(counters.fromCheckpoint).toBeGreaterThan(5);
    expect(counters.fromStart).toBeLessThanOrEqual(3);
    expect(counters.refused).toBe(0);
    // A point whose state is damaged inflates other bytes: refused (dropped), the read served from elsewhere, still right.
    const points = (src as unknown as { points: { list: Array<{ out: number; in: number }> } }).points.list;
    const victim = points[points.length - 2]!;
    // Its compressed offset off by 3: the inflater restarts mid-code.
    victim.in += 3;
    const at = victim.out + 100;
    const before = counters.refused;
    (src as unknown as { cursors: unknown[] }).cursors.length = 0;
    // No cursor left: the damaged point is the nearest.
    const got = await src.read(at, 200);
    expect(Buffer.from(got).equals(Buffer.from(plain.subarray(at, at + 200)))).toBe(true);
    expect(counters.refused).toBe(before + 1);
  });

  it('a compression bomb stops at the ratio bound, named, without holding what it inflates', async () => {
    // 1 GiB of zeros would be ~1 MB of gzip; 256 MiB is enough to pass the check point.
    const zeros = new Uint8Array(16 * 1024 * 1024);
    const parts: Buffer[] = [];
    for (let i = 0; i < 16; i++) parts.push(gzipSync(zeros, { level: 9 }));
    const bomb = new Uint8Array(Buffer.concat(parts));
    expect(bomb.length).toBeLessThan(1_000_000);
    const src = await inflatedSource({ kind: 'gzip', source: bytesSource(bomb, 'bomb.gz') });
    let total = 0;
    const err = await (async () => {
      try {
        for await (const c of src.chunks(1 << 20)) total += c.length;
      } catch (e) { return e as Error; }
      return null;
    })();
    expect(err?.name).toBe('SourceError');
    expect(err?.message).toMatch(/compression bomb/);
    expect(total).toBeLessThan(80 * 1024 * 1024);
  });
});
