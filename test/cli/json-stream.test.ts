/** jsonPieces writes exactly JSON.stringify(value, null, 2), in pieces. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonPieces, LazyArray } from '../../src/cli/json-stream.js';
import { AnalysisSession } from '../../src/engine/session.js';
import { fileSource } from '../../src/host/node/file-source.js';

const LOOPBACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../flows/fixtures/loopback-http.pcap');

describe('jsonPieces', () => {
  it('equals JSON.stringify(v, null, 2) + newline on a real analysis, for every piece size', async () => {
    const s = await AnalysisSession.open([await fileSource(LOOPBACK, 'loopback-http.pcap')]);
    const json = s.toJSON();
    const whole = JSON.stringify(json, null, 2) + '\n';
    for (const size of [1, 100, 1 << 20]) {
      const pieces = [...jsonPieces(json, size)];
      expect(pieces.join('')).toBe(whole);
      if (size === 1) expect(pieces.length).toBeGreaterThan(10);
    }
  });

  it('writes flows made one at a time (toJSONParts) as toJSON() writes them', async () => {
    const s = await AnalysisSession.open([await fileSource(LOOPBACK, 'loopback-http.pcap')]);
    const parts = s.toJSONParts();
    expect(parts.doc.flows).toEqual([]);
    const lazy = [...jsonPieces({ ...parts.doc, flows: new LazyArray(parts.flowCount, parts.flow) }, 64)].join('');
    expect(lazy).toBe(JSON.stringify(s.toJSON(), null, 2) + '\n');
    expect(JSON.parse(lazy).flows).toHaveLength(2);
  });

  it.each([
    [{}],
    [{ a: [], b: {}, c: null, d: 'x\ny', e: [1, [2, 3], { f: [] }], g: undefined }],
    [{ only: [{ nested: { deep: [1, 2] } }] }],
  ])('equals JSON.stringify for %j', (v) => {
    expect([...jsonPieces(v as Record<string, unknown>, 3)].join('')).toBe(JSON.stringify(v, null, 2) + '\n');
  });
});
