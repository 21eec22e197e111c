/**
 * Parquet files of the tables (parquet-tables.ts), written by hyparquet-writer
 * (pure JavaScript: the same code in the CLI, Electron's engine worker and the
 * browser's Web Worker; docs/decisions/0014-parquet-writer.md). Exact
 * physical and logical types from an explicit schema, Snappy compression,
 * dictionary pages where they pay, statistics. `parquetZip`: every table of
 * a session as one zip (the app's Export → "Parquet (all tables, zip)").
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { zipSync } from 'fflate';
import type { AnalysisJson } from '../engine/contract.js';
import { packetsTable, parquetTables, type PacketTableCapture, type ParquetColumn, type ParquetTable, type ParquetTableOptions } from './parquet-tables.js';

type WriteOptions = Parameters<typeof parquetWriteBuffer>[0];
type SchemaElement = NonNullable<WriteOptions['schema']>[number];

function element(c: ParquetColumn): SchemaElement {
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

/** One table as a Parquet file's bytes. */
export function parquetBytes(t: ParquetTable): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'root', num_children: t.columns.length }, ...t.columns.map(element)];
  const buf = parquetWriteBuffer({
    schema,
    columnData: t.columns.map((c) => ({ name: c.name, data: c.data as unknown[] })) as WriteOptions['columnData'],
    createdBy: 'overlayscope 0.1.0 (hyparquet-writer)',
  });
  return new Uint8Array(buf);
}

export interface ParquetExportOptions extends ParquetTableOptions {
  /** The captures, to add the `packets` table (one row a packet a capture point). */
  packets?: readonly PacketTableCapture[];
}

/** Every table (and `packets` when asked) as `[name, Parquet bytes]`, made one at a time. */
export function* parquetFiles(doc: AnalysisJson, options: ParquetExportOptions = {}): Generator<[string, Uint8Array]> {
  for (const t of parquetTables(doc, options)) yield [`${t.name}.parquet`, parquetBytes(t)];
  if (options.packets) yield ['packets.parquet', parquetBytes(packetsTable(options.packets, doc, options))];
}

/** Every table as one zip of `<stem>/<table>.parquet` (stored: Parquet pages are compressed already). */
export function parquetZip(doc: AnalysisJson, stem: string, options: ParquetExportOptions = {}): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, bytes] of parquetFiles(doc, options)) entries[`${stem}/${name}`] = [bytes, { level: 0 }];
  return zipSync(entries);
}
