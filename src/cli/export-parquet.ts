/**
 * `analyze --format parquet --out DIR [--packets]`: the analysis as Parquet
 * tables (src/export/parquet-tables.ts, written by src/export/parquet-file.ts,
 * hyparquet-writer; docs/decisions/0014-parquet-writer.md): DIR/flows.parquet,
 * http, dns, translations, journeys, captures (and packets), each written
 * whole or not at all, never over an input.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CliContext } from './commands.js';
import type { AnalysisJson } from '../engine/contract.js';
import { parquetFiles, type ParquetExportOptions } from '../export/parquet-file.js';
import type { ParquetSource } from '../export/parquet-tables.js';

export { parquetBytes } from '../export/parquet-file.js';

/** Writes DIR/<table>.parquet for every table; returns the files written. */
export async function writeParquetTables(doc: AnalysisJson | ParquetSource, dir: string, ctx: CliContext, protect: string[], options: ParquetExportOptions = {}): Promise<string[]> {
  if (!ctx.writePieces) throw new Error('this host cannot write binary files');
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [name, bytes] of parquetFiles(doc, options)) {
    const file = path.join(dir, name);
    await ctx.writePieces(file, [bytes], protect);
    files.push(file);
  }
  return files;
}
