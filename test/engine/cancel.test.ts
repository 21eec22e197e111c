/**
 * Cancel keeps what was read and says what was not: on a real lab session
 * (14 capture points), a cancel at any moment leaves every capture read to its
 * end complete, the one being read (if any) and those after it cancelled, and
 * never invents an error for a capture it did not read ("not a capture file:
 * the file is empty" was reported for the next capture when Cancel came as
 * one capture ended).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../../src/host/node/file-source.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fixturePath } from '../helpers/corpus.js';

const DIR = fixturePath('lab', 'captures', 'nginx-proxy');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(DIR, f));

interface Cut { complete: boolean[]; packets: number[]; errors: string[] }

/** Runs the session, calling `at(progress)` on each progress report; `at` may abort. */
async function run(at: (read: number, captureEnds: number[], abort: () => void) => void, chunkSize?: number): Promise<Cut> {
  const sources = await Promise.all(FILES.map((f) => fileSource(f)));
  const ends: number[] = [];
  let sum = 0;
  for (const s of sources) ends.push(sum += s.size);
  const ctl = new AbortController();
  const session = new AnalysisSession(sources, {
    signal: ctl.signal,
    ...(chunkSize ? { chunkSize } : {}),
    onProgress: (read) => at(read, ends, () => ctl.abort()),
  });
  await session.run();
  const json = session.toJSON() as { captures: { complete: boolean; packets: number; issues: { reason: string }[] }[] };
  return {
    complete: json.captures.map((c) => c.complete),
    packets: json.captures.map((c) => c.packets),
    errors: json.captures.flatMap((c, i) => c.issues.map((x) => `${path.basename(FILES[i]!)}: ${x.reason}`)),
  };
}

describe('cancel', () => {
  it('uncancelled, every capture is complete and has no file error (the reference)', async () => {
    const r = await run(() => undefined);
    expect(r.complete.every(Boolean)).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.packets.filter((n) => n > 0).length).toBeGreaterThan(10);
  });

  it('Cancel exactly as each capture ends: it and those before are complete, the rest cancelled, no invented errors', async () => {
    const ref = await run(() => undefined);
    for (let k = 0; k < FILES.length - 1; k++) {
      const r = await run((read, ends, abort) => { if (read === ends[k]) abort(); });
      expect(r.errors, `cancel at the end of capture ${k + 1}`).toEqual([]);
      expect(r.complete, `cancel at the end of capture ${k + 1}`).toEqual(FILES.map((_, i) => i <= k));
      expect(r.packets.slice(0, k + 1)).toEqual(ref.packets.slice(0, k + 1));
      expect(r.packets.slice(k + 1).every((n) => n === 0)).toBe(true);
    }
  });

  it('Cancel in the middle of a capture: the records before are kept, that capture and the rest are not complete', async () => {
    const ref = await run(() => undefined);
    const k = FILES.findIndex((f) => f.endsWith('node1-eth0.pcap'));
    // 4 KiB chunks: the first report past the capture's first chunk is inside it.
    const r = await run((read, ends, abort) => { if (read > (k ? ends[k - 1]! : 0) + 4096 && read < ends[k]!) abort(); }, 4096);
    expect(r.errors).toEqual([]);
    expect(r.complete).toEqual(FILES.map((_, i) => i < k));
    expect(r.packets[k]).toBeGreaterThan(0);
    expect(r.packets[k]).toBeLessThan(ref.packets[k]!);
  });

  it('Cancel before anything is read: nothing is complete and nothing is called broken', async () => {
    const r = await run((_read, _ends, abort) => abort());
    expect(r.errors).toEqual([]);
    expect(r.complete.slice(1).every((c) => !c)).toBe(true);
  });
});
