/**
 * `analyze --format parquet --out DIR`: the analysis as Parquet tables
 * (src/export/parquet-tables.ts) written by hyparquet-writer (pure
 * JavaScript, the same in a browser build; docs/decisions/0013-parquet-writer.md):
 * DIR/flows.parquet, DIR/http.parquet, DIR/dns.parquet, each written whole
 * or not at all. Snappy compression, dictionary encoding where it pays.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { CliContext } from './commands.js';
import type { AnalysisJson } from '../engine/contract.js';
import { parquetTables, type ParquetColumn, type ParquetTable } from '../export/parquet-tables.js';

type SchemaElement = NonNullable<Parameters<typeof parquetWriteBuffer>[0]['schema']>[number];

function element(c: ParquetColumn): SchemaElement {
  const base = { name: c.name, repetition_type: 'OPTIONAL' as const };
  switch (c.type) {
    case 'STRING': return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'INT32': return { ...base, type: 'INT32' };
    case 'INT64': return { ...base, type: 'INT64' };
    case 'DOUBLE': return { ...base, type: 'DOUBLE' };
    case 'BOOLEAN': return { ...base, type: 'BOOLEAN' };
    case 'TIMESTAMP_NANOS': return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } };
  }
}

/** One table as a Parquet file's bytes. */
export function parquetBytes(t: ParquetTable): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'root', num_children: t.columns.length }, ...t.columns.map(element)];
  const buf = parquetWriteBuffer({
    schema,
    columnData: t.columns.map((c) => ({ name: c.name, data: c.data as unknown[] })) as Parameters<typeof parquetWriteBuffer>[0]['columnData'],
    createdBy: 'overlayscope 0.1.0 (hyparquet-writer)',
  });
  return new Uint8Array(buf);
}

/** Writes DIR/<table>.parquet for every table; returns the files written. */
export async function writeParquetTables(doc: AnalysisJson, dir: string, ctx: CliContext, protect: string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const t of parquetTables(doc)) {
    const file = path.join(dir, `${t.name}.parquet`);
    const bytes = parquetBytes(t);
    if (!ctx.writePieces) throw new Error('this host cannot write binary files');
    await ctx.writePieces(file, [bytes], protect);
    files.push(file);
  }
  return files;
}
