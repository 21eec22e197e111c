/**
 * The browser build's ByteSource over a File/Blob (src/host/browser/file-source.ts)
 * reads packets back through 512 KiB windows: on the largest corpus capture
 * (2.7 MB, several windows) every packet read back through it equals the
 * node file source's bytes and decodes the same; arbitrary reads (crossing
 * window edges, larger than a window, backwards, past the end, concurrent)
 * equal the file's bytes; returned packets are copies.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { blobSource, READ_WINDOW } from '../../src/host/browser/file-source.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';

const FILE = 'suricata__http-mime-truncated__input.pcap';

describe.skipIf(!corpusPresent)('blobSource: windowed reads', () => {
  it('every packet of a multi-window capture reads back as from the file', async () => {
    const path = corpusPath(FILE);
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(3 * READ_WINDOW);
    const viaBlob = await AnalysisSession.open([blobSource(new Blob([bytes]), FILE)]);
    const viaFile = await AnalysisSession.open([await fileSource(path)]);
    const count = viaFile.captures[0]!.index.count;
    expect(viaBlob.captures[0]!.index.count).toBe(count);
    expect(count).toBeGreaterThan(1000);
    for (let n = 0; n < count; n++) {
      const a = await viaBlob.readPacket(0, n);
      const b = await viaFile.readPacket(0, n);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      expect(a.decoded.layerCount).toBe(b.decoded.layerCount);
    }
    // Backwards too (a page sorted newest first).
    for (let n = count - 1; n >= 0; n -= 97) {
      const a = await viaBlob.readPacket(0, n);
      expect(Buffer.from(a.bytes).equals(Buffer.from((await viaFile.readPacket(0, n)).bytes))).toBe(true);
    }
  }, 60_000);

  it('arbitrary reads equal the bytes; past the end is cut; concurrent reads agree; results are copies', async () => {
    const bytes = readFileSync(corpusPath(FILE));
    const src = blobSource(new Blob([bytes]), FILE);
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    const cases: Array<[number, number]> = [
      [0, 24], [READ_WINDOW - 10, 20], [READ_WINDOW - 1, 1], [READ_WINDOW, 1], [READ_WINDOW * 2 - 5, READ_WINDOW + 100],
      [bytes.length - 10, 100], [bytes.length, 10], [bytes.length - 1, 1], [5, 0],
    ];
    for (let i = 0; i < 300; i++) cases.push([rnd(bytes.length), 1 + rnd(i % 50 === 0 ? 2 * READ_WINDOW : 3000)]);
    for (const [off, len] of cases) {
      const got = await src.read(off, len);
      expect(Buffer.from(got).equals(bytes.subarray(off, Math.min(bytes.length, off + len))), `read(${off}, ${len})`).toBe(true);
    }
    const together = await Promise.all(cases.slice(0, 60).map(([off, len]) => src.read(off, len)));
    together.forEach((got, i) => {
      const [off, len] = cases[i]!;
      expect(Buffer.from(got).equals(bytes.subarray(off, Math.min(bytes.length, off + len)))).toBe(true);
    });
    const one = await src.read(100, 16);
    expect(one.buffer.byteLength).toBe(16);
    one.fill(0);
    expect(Buffer.from(await src.read(100, 16)).equals(bytes.subarray(100, 116))).toBe(true);
  });
});
