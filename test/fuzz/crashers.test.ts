/**
 * Regression tests from the fuzzer's findings: every minimised input kept in
 * fixtures/crashers/ (with a JSON note of what it triggered and how it was
 * found) is run through the same analysis as the fuzzer, in-process, and
 * must neither throw, nor hang, nor break an invariant.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/corpus.js';
import { analyzeInput } from './lib/harness.js';

interface CrasherNote {
  file: string;
  kind: string;
  triggered: string;
  found: { seed: number; input: number; base: string; ops: string[]; chunkSize: number; size: number };
  fixed?: string;
}

const dir = fixturePath('crashers');
const notes: CrasherNote[] = existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as CrasherNote)
  : [];

describe('fuzz crashers', () => {
  it('every kept input has its note and every note its input', () => {
    const inputs = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(pcap|pcapng|bin)$/.test(f)).sort() : [];
    expect(inputs).toEqual(notes.map((n) => n.file).sort());
    for (const n of notes) {
      expect(n.triggered, n.file).toBeTruthy();
      expect(n.found.seed, n.file).toBeTypeOf('number');
    }
  });

  it.each(notes.map((n) => [n.file, n] as const))('%s no longer fails', async (_file, n) => {
    const bytes = new Uint8Array(readFileSync(`${dir}/${n.file}`));
    const t0 = performance.now();
    const r = await analyzeInput(bytes, n.file, n.found.chunkSize || undefined);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.violations).toEqual([]);
  });
});
