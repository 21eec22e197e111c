/**
 * The Parquet encoder (src/export/parquet-file.ts) against the library it
 * replaced for column chunks: hyparquet-writer's ParquetWriter, fed the same
 * columns as value arrays, must write the same bytes, for every column type
 * with nulls, NaN, -0, INT64 beyond 2^53 and negative, strings that are not
 * ASCII (surrogate pairs, lone surrogates, U+E000-U+FFFF against
 * supplementary characters in the statistics' order), long and repeated
 * strings, BOOLEAN chunks of <= 16 and > 16 rows, several row groups and a
 * page split. Its Snappy gives hyparquet-writer's bytes on real capture bytes
 * of every size. hyparquet reads the values back exactly (ns included).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { parquetReadObjects } from 'hyparquet';
import { parquetBytes, SnappyCompressor } from '../../src/export/parquet-file.js';
import type { ParquetColumnType, ParquetTable, ParquetValue } from '../../src/export/parquet-tables.js';
import { ROOT } from '../helpers/corpus.js';

type Spec = Array<{ name: string; type: ParquetColumnType; data: ParquetValue[] }>;

/** A table of whole columns, cut in row groups of `chunkRows`. */
function tableOf(spec: Spec, chunkRows: number): ParquetTable {
  const rows = spec[0]!.data.length;
  return {
    name: 'flows', rows, chunkRows, schema: spec.map(({ name, type }) => ({ name, type })),
    fill: (start, n, sinks) => { for (let k = 0; k < n; k++) spec.forEach((c, i) => sinks[i]!.set(k, c.data[start + k]!)); },
  };
}

/** The file hyparquet-writer's ParquetWriter makes of the same columns (what parquet-file.ts did before, decision 0014). */
function referenceBytes(spec: Spec, chunkRows: number): Uint8Array {
  const el = (type: ParquetColumnType): Record<string, unknown> => {
    switch (type) {
      case 'STRING': return { type: 'BYTE_ARRAY', converted_type: 'UTF8' };
      case 'INT32': return { type: 'INT32' };
      case 'INT64': return { type: 'INT64' };
      case 'DOUBLE': return { type: 'DOUBLE' };
      case 'BOOLEAN': return { type: 'BOOLEAN' };
      case 'TIMESTAMP_NANOS': return { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } };
      case 'TIMESTAMP_MILLIS': return { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } };
    }
  };
  const schema = [{ name: 'root', num_children: spec.length }, ...spec.map((c) => ({ name: c.name, repetition_type: 'OPTIONAL', ...el(c.type) }))];
  const writer = new ByteWriter();
  const pw = new ParquetWriter({ writer, schema: schema as never, createdBy: 'overlayscope 0.1.0 (hyparquet-writer)' });
  const rows = spec[0]!.data.length;
  // INT64 cells as the old tables gave them: bigint.
  const value = (c: Spec[number], v: ParquetValue): ParquetValue => (v !== null && (c.type === 'INT64' || c.type.startsWith('TIMESTAMP')) ? BigInt(v as number) : v);
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    pw.write({ columnData: spec.map((c) => ({ name: c.name, data: c.data.slice(start, start + n).map((v) => value(c, v)) })) as never, rowGroupSize: n });
  }
  pw.finish();
  return new Uint8Array(writer.getBuffer());
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32; };
}

function sample(rows: number, seed: number): Spec {
  const r = rng(seed);
  const odd = ['a', 'é', 'ß-straße', '日本語', '😀 emoji', '\ud83d', 'x\udc00y', '\ue000', '\uffff', 'z'.repeat(40), 'GET /über/😀/' + 'q'.repeat(30), ''];
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const col = <T extends ParquetValue>(f: (i: number) => T): T[] => Array.from({ length: rows }, (_, i) => f(i));
  return [
    { name: 'sessionId', type: 'STRING', data: col(() => 'session-1') },
    { name: 'odd', type: 'STRING', data: col(() => (r() < 0.1 ? null : pick(odd))) },
    { name: 'unique', type: 'STRING', data: col((i) => `1:${(i * 2654435761 >>> 0).toString(36)}${r() < 0.05 ? '😀' : ''}=`) },
    { name: 'ip', type: 'STRING', data: col(() => `10.244.${Math.floor(r() * 4)}.${Math.floor(r() * 20)}`) },
    { name: 'allNull', type: 'STRING', data: col(() => null) },
    { name: 'port', type: 'INT32', data: col(() => (r() < 0.2 ? null : Math.floor(r() * 65536))) },
    { name: 'small', type: 'INT32', data: col(() => Math.floor(r() * 3) - 1) },
    { name: 'count', type: 'INT64', data: col(() => (r() < 0.1 ? null : Math.floor(r() * 2 ** 40) - 2 ** 20)) },
    { name: 'big', type: 'INT64', data: col(() => (r() < 0.5 ? -(2n ** 62n) + BigInt(Math.floor(r() * 1000)) : 2n ** 62n + BigInt(Math.floor(r() * 3)))) },
    { name: 'time', type: 'TIMESTAMP_NANOS', data: col((i) => (r() < 0.05 ? null : 1_736_935_200_000_112_000n + BigInt(i) * 1_000_003n)) },
    { name: 'ms', type: 'TIMESTAMP_MILLIS', data: col((i) => 1_736_935_200_000 + i) },
    { name: 'rtt', type: 'DOUBLE', data: col(() => { const x = r(); return x < 0.1 ? null : x < 0.15 ? NaN : x < 0.2 ? -0 : x < 0.25 ? 0 : Math.round(x * 1e6) / 1e3; }) },
    { name: 'flag', type: 'BOOLEAN', data: col(() => (r() < 0.1 ? null : r() < 0.7)) },
  ];
}

describe('Parquet encoder', () => {
  it.each([
    ['one row group of 1,000 rows', 1000, 8192],
    ['row groups of 300 rows (the last of 100)', 1000, 300],
    ['BOOLEAN chunks of <= 16 rows', 40, 16],
    ['one row', 1, 8192],
  ])('%s: the same bytes as hyparquet-writer', (_what, rows, chunkRows) => {
    const spec = sample(rows, rows + chunkRows);
    // Column by column (a failure names the column), then the whole table.
    const differ = spec.filter((c) => !Buffer.from(parquetBytes(tableOf([c], chunkRows))).equals(Buffer.from(referenceBytes([c], chunkRows)))).map((c) => c.name);
    expect(differ).toEqual([]);
    const ours = parquetBytes(tableOf(spec, chunkRows));
    expect(Buffer.from(ours).equals(Buffer.from(referenceBytes(spec, chunkRows)))).toBe(true);
  });

  it('a string column over 1 MiB in a row group: pages split as hyparquet-writer splits them', () => {
    const spec: Spec = [{ name: 'uri', type: 'STRING', data: Array.from({ length: 3000 }, (_, i) => `/${i}/${'u'.repeat(500)}`) }];
    const ours = parquetBytes(tableOf(spec, 8192));
    expect(Buffer.from(ours).equals(Buffer.from(referenceBytes(spec, 8192)))).toBe(true);
  });

  it('an empty table: no row group, the schema', () => {
    const spec: Spec = [{ name: 'a', type: 'STRING', data: [] }, { name: 'b', type: 'INT64', data: [] }];
    expect(Buffer.from(parquetBytes(tableOf(spec, 8192))).equals(Buffer.from(referenceBytes(spec, 8192)))).toBe(true);
  });

  it('hyparquet reads every value back (INT64 and ns exact)', async () => {
    const spec = sample(700, 7);
    const bytes = parquetBytes(tableOf(spec, 256));
    const rows = await parquetReadObjects({ file: bytes.slice().buffer, parsers: { timestampFromNanoseconds: (x: bigint) => x, timestampFromMilliseconds: (x: bigint) => x } as never });
    expect(rows.length).toBe(700);
    for (const c of spec) {
      const got = rows.map((r) => (r as Record<string, unknown>)[c.name] ?? null);
      const want = c.data.map((v) => (v === null ? null : c.type === 'INT64' || c.type.startsWith('TIMESTAMP') ? BigInt(v as number) : c.type === 'STRING' ? new TextDecoder().decode(new TextEncoder().encode(v as string)) : v));
      expect(got, c.name).toEqual(want);
    }
  });

  it('Snappy: hyparquet-writer\'s bytes for real capture bytes of every size', () => {
    // The lab's nginx-proxy captures end to end (~1 MB, committed: no generated bench file needed).
    const dir = path.join(ROOT, 'fixtures', 'lab', 'captures', 'nginx-proxy');
    const pcap = Buffer.concat(readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => readFileSync(path.join(dir, f))));
    expect(pcap.length).toBeGreaterThan(11 * 7919 + 300_000);
    const ours = new SnappyCompressor();
    const sizes = [0, 1, 14, 15, 16, 61, 100, 4096, 65535, 65536, 70_000, 300_000];
    for (const [i, size] of sizes.entries()) {
      const input = new Uint8Array(pcap.buffer, pcap.byteOffset + i * 7919, size);
      expect(Buffer.from(ours.compress(input)).equals(Buffer.from(snappyCompress(input))), `size ${size}`).toBe(true);
    }
  });
});
