/**
 * Parquet files of the tables (parquet-tables.ts), written by hyparquet-writer
 * (pure JavaScript: the same code in the CLI, Electron's engine worker and the
 * browser's Web Worker; docs/decisions/0014-parquet-writer.md). Exact
 * physical and logical types from an explicit schema, Snappy compression,
 * dictionary pages where they pay, statistics. `parquetZip`: every table of
 * a session as one zip (the app's Export → "Parquet (all tables, zip)").
 */
import { ByteWriter, ParquetWriter, type parquetWriteBuffer } from 'hyparquet-writer';
import { zipSync } from 'fflate';
import type { AnalysisJson } from '../engine/contract.js';
import { packetsTable, parquetTables, type PacketTableCapture, type ParquetColumnType, type ParquetSource, type ParquetTable, type ParquetTableOptions } from './parquet-tables.js';

type WriteOptions = Parameters<typeof parquetWriteBuffer>[0];
type SchemaElement = NonNullable<WriteOptions['schema']>[number];

function element(c: { name: string; type: ParquetColumnType }): SchemaElement {
  const base = { name: c.name, repetition_type: 'OPTIONAL' as const };
  switch (c.type) {
    case 'STRING': return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'INT32': return { ...base, type: 'INT32' };
    case 'INT64': return { ...base, type: 'INT64' };
    case 'DOUBLE': return { ...base, type: 'DOUBLE' };
    case 'BOOLEAN': return { ...base, type: 'BOOLEAN' };
    case 'TIMESTAMP_NANOS': return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } };
    case 'TIMESTAMP_MILLIS': return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } };
    default: {
      const never: never = c.type;
      throw new Error(`unknown Parquet column type ${String(never)}`);
    }
  }
}

/** One table as a Parquet file's bytes: one row group a chunk. */
export function parquetBytes(t: ParquetTable): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'root', num_children: t.schema.length }, ...t.schema.map(element)];
  const writer = new ByteWriter();
  const pw = new ParquetWriter({ writer, schema, createdBy: 'overlayscope 0.1.0 (hyparquet-writer)' });
  for (const chunk of t.chunks()) {
    const rows = chunk[0]?.data.length ?? 0;
    pw.write({ columnData: chunk.map((c) => ({ name: c.name, data: c.data as unknown[] })) as WriteOptions['columnData'], rowGroupSize: Math.max(1, rows) });
  }
  pw.finish();
  return new Uint8Array(writer.getBuffer());
}

export interface ParquetExportOptions extends ParquetTableOptions {
  /** The captures, to add the `packets` table (one row a packet a capture point). */
  packets?: readonly PacketTableCapture[];
}

/** Every table (and `packets` when asked) as `[name, Parquet bytes]`, made one at a time (a session: `sessionSource(session)`). */
export function* parquetFiles(input: AnalysisJson | ParquetSource, options: ParquetExportOptions = {}): Generator<[string, Uint8Array]> {
  for (const t of parquetTables(input, options)) yield [`${t.name}.parquet`, parquetBytes(t)];
  const doc = 'flowCount' in input ? (input as ParquetSource).doc : input as AnalysisJson;
  if (options.packets) yield ['packets.parquet', parquetBytes(packetsTable(options.packets, doc, options))];
}

/** Every table as one zip of `<stem>/<table>.parquet` (stored: Parquet pages are compressed already). */
export function parquetZip(input: AnalysisJson | ParquetSource, stem: string, options: ParquetExportOptions = {}): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, bytes] of parquetFiles(input, options)) entries[`${stem}/${name}`] = [bytes, { level: 0 }];
  return zipSync(entries);
}
