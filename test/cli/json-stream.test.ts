/** jsonPieces writes the document in pieces: the same JSON value, top-level array elements one a line. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonBytePieces, jsonPieces, LazyArray } from '../../src/cli/json-stream.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';

const LOOPBACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../flows/fixtures/loopback-http.pcap');

describe('jsonPieces', () => {
  it('writes a real analysis as the same JSON value whatever the piece size, one flow a line', async () => {
    const s = await AnalysisSession.open([await fileSource(LOOPBACK, 'loopback-http.pcap')]);
    const json = s.toJSON();
    const whole = [...jsonPieces(json)].join('');
    expect(JSON.parse(whole)).toEqual(JSON.parse(JSON.stringify(json)));
    for (const size of [1, 100]) {
      const pieces = [...jsonPieces(json, size)];
      expect(pieces.join('')).toBe(whole);
      if (size === 1) expect(pieces.length).toBeGreaterThan(10);
    }
    const lines = whole.split('\n');
    expect(lines[0]).toBe('{');
    expect(lines[1]).toBe('  "schema": "overlayscope.analysis/v1",');
    const flowLines = lines.filter((l) => l.startsWith('    {"id":'));
    expect(flowLines).toHaveLength(2);
    expect(JSON.parse(flowLines[0]!.replace(/,$/, ''))).toEqual(JSON.parse(JSON.stringify(json.flows[0])));
  });

  it('writes flows made one at a time (toJSONParts) as toJSON() writes them', async () => {
    const s = await AnalysisSession.open([await fileSource(LOOPBACK, 'loopback-http.pcap')]);
    const parts = s.toJSONParts();
    expect(parts.doc.flows).toEqual([]);
    expect(parts.doc.http).toEqual([]);
    expect(parts.doc.dns).toEqual([]);
    const lazy = [...jsonPieces({ ...parts.doc, flows: new LazyArray(parts.flowCount, parts.flow), http: new LazyArray(parts.httpCount, parts.http), dns: new LazyArray(parts.dnsCount, parts.dns) }, 64)].join('');
    expect(lazy).toBe([...jsonPieces(s.toJSON(), 64)].join(''));
    // Flows and HTTP transactions given as text come out the same.
    const text = [...jsonPieces({ ...parts.doc, flows: new LazyArray(parts.flowCount, parts.flow, parts.flowText), http: new LazyArray(parts.httpCount, parts.http, parts.httpText), dns: new LazyArray(parts.dnsCount, parts.dns) }, 64)].join('');
    expect(text).toBe(lazy);
    // Written as UTF-8 bytes (what the CLI writes), at several piece sizes.
    for (const size of [1, 64, 1 << 16]) {
      const doc = { ...parts.doc, flows: new LazyArray(parts.flowCount, parts.flow, parts.flowText, parts.flowWrite), http: new LazyArray(parts.httpCount, parts.http, parts.httpText, parts.httpWrite), dns: new LazyArray(parts.dnsCount, parts.dns, undefined, parts.dnsWrite) };
      // Each piece is a view of one reused buffer: copied before the next is taken.
      const bytes = Buffer.concat(Array.from(jsonBytePieces(doc, size), (p) => Buffer.from(p)));
      expect(bytes.toString('utf8')).toBe(lazy);
    }
    expect(JSON.parse(lazy).flows).toHaveLength(2);
    expect(JSON.parse(lazy).http.map((h: { uri: string }) => h.uri)).toEqual(['/one', '/two', '/three', '/form']);
  });

  it.each([
    [{}],
    [{ a: [], b: {}, c: null, d: 'x\ny', e: [1, [2, 3], { f: [] }], g: undefined }],
    [{ only: [{ nested: { deep: [1, 2] } }] }],
  ])('is the same JSON value for %j', (v) => {
    const text = [...jsonPieces(v as Record<string, unknown>, 3)].join('');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
    expect(text.endsWith('}\n')).toBe(true);
  });
});
