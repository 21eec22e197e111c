/**
 * readCapture over a source with readInto (the Node file source: two buffers
 * in turn, the next read in flight while one is parsed) hands out exactly the
 * records, bytes and issues of the chunk-per-buffer path (bytesSource), at
 * chunk sizes that make records straddle chunks and reuse each buffer often.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { readCapture } from '../../src/capture/read-capture.js';
import type { ByteSource } from '../../src/capture/types.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { corpusFiles, corpusPath, corpusPresent, fixturePath } from '../helpers/corpus.js';
import { recordRow } from '../helpers/records.js';

/** Every record as [index, offset, caplen, len, iface, sec, nsec, FNV-1a of all its bytes], and every issue. */
async function read(source: ByteSource, chunkSize: number): Promise<{ recs: number[][]; issues: string[]; packets: number }> {
  const recs: number[][] = [];
  const issues: string[] = [];
  const summary = await readCapture(source, {
    onInterface() {},
    onRecord(r, b, s) { recs.push(recordRow(r, b, s)); },
    onIssue(i) { issues.push(`${i.severity} ${i.offset} ${i.layer} ${i.reason}`); },
  }, { chunkSize });
  return { recs, issues, packets: summary.packets };
}

const dir = mkdtempSync(path.join(tmpdir(), 'overlayscope-read-into-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function captures(): string[] {
  const lab = fixturePath('lab', 'captures');
  const out: string[] = [];
  if (existsSync(lab)) for (const n of readdirSync(lab)) if (n.endsWith('.pcapng')) out.push(path.join(lab, n));
  if (corpusPresent) out.push(...corpusFiles().slice(0, 12).map(corpusPath));
  return out;
}

describe('readCapture through ByteSource.readInto', () => {
  const files = captures();

  it.each(files)('%s: the same records, bytes and issues as fresh chunks', async (file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const base = await fileSource(file, 'x');
    expect(typeof base.readInto).toBe('function');
    // The file handle readInto keeps is let go each time reading stops.
    let closes = 0;
    const src: ByteSource = { ...base, closeReads: async () => { closes++; await base.closeReads!(); } };
    for (const [k, chunk] of [1000, 64 * 1024, 4 << 20].entries()) {
      const ours = await read(src, chunk);
      expect(closes).toBe(k + 1);
      const ref = await read(bytesSource(bytes, 'x'), chunk);
      expect(ours.packets).toBe(ref.packets);
      expect(ours.recs).toEqual(ref.recs);
      expect(ours.issues).toEqual(ref.issues);
    }
  });

  it('reads a file whose first chunks are shorter than a magic number, and a file cut inside a record', async () => {
    const file = files[0];
    if (!file) { console.warn('SKIPPED: no lab or corpus capture'); return; }
    const bytes = new Uint8Array(readFileSync(file));
    const cut = path.join(dir, 'cut.pcapng');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    for (const chunk of [3, 1000]) {
      const ours = await read(await fileSource(cut, 'x'), chunk);
      const ref = await read(bytesSource(bytes.subarray(0, Math.floor(bytes.length / 2)), 'x'), chunk);
      expect(ours).toEqual(ref);
      expect(ours.issues.some((i) => i.startsWith('error'))).toBe(true);
    }
    const tiny = path.join(dir, 'tiny.bin');
    writeFileSync(tiny, new Uint8Array([0xd4, 0xc3]));
    expect(await read(await fileSource(tiny, 'x'), 1)).toEqual(await read(bytesSource(new Uint8Array([0xd4, 0xc3]), 'x'), 1));
  });
});
