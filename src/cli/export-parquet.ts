/**
 * `analyze --format parquet --out DIR [--packets]`: the analysis as Parquet
 * tables (src/export/parquet-tables.ts, written by src/export/parquet-file.ts,
 * docs/decisions/0014-parquet-writer.md): DIR/flows.parquet, http, dns,
 * translations, journeys, captures (and packets), each streamed a row group
 * at a time into a temporary file renamed when whole (written whole or not
 * at all), never over an input.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CliContext } from './commands.js';
import type { AnalysisJson } from '../session/contract.js';
import { parquetPieces, parquetTableList, type ParquetExportOptions } from '../export/parquet-file.js';
import type { ParquetSource } from '../export/parquet-tables.js';

export { parquetBytes } from '../export/parquet-file.js';

/** Writes DIR/<table>.parquet for every table; returns the files written. */
export async function writeParquetTables(doc: AnalysisJson | ParquetSource, dir: string, ctx: CliContext, protect: string[], options: ParquetExportOptions = {}): Promise<string[]> {
  if (!ctx.writePieces) throw new Error('this host cannot write binary files');
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const t of parquetTableList(doc, options)) {
    const file = path.join(dir, `${t.name}.parquet`);
    // A row group at a time (each piece written before the next is made), to a temporary file renamed at the end.
    await ctx.writePieces(file, parquetPieces(t), protect);
    files.push(file);
  }
  return files;
}
