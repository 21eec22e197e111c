/**
 * The hand-offs of AnalyzerApi.exportData (the app's Export → "Parquet (all
 * tables, zip)" and "pcapng for Wireshark"), registered with the service by
 * src/service/analyzer-service.ts: the same code as the CLI's
 * `analyze --format parquet --packets` and `export-pcapng`, run where the
 * engine runs (Electron's engine worker, the browser's Web Worker).
 */
import type { DataExportFormat, ExportedReport } from '../api.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { reportStem } from '../report/report.js';
import { parquetZip } from './parquet-file.js';
import { sessionSource } from './parquet-tables.js';
import { pcapngPieces } from './pcapng-session.js';

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of pieces) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) { out.set(p, at); at += p.length; }
  return out;
}

export const handoffExtension = {
  async exportData(session: AnalysisSession, format: DataExportFormat, label: string): Promise<ExportedReport> {
    const stem = `overlayscope-${reportStem(label)}`;
    switch (format) {
      case 'parquet':
        return { fileName: `${stem}-parquet.zip`, mime: 'application/zip', text: '', bytes: parquetZip(sessionSource(session), `${stem}-parquet`, { session: label, packets: session.captures }) };
      case 'pcapng':
        return { fileName: `${stem}.pcapng`, mime: 'application/x-pcapng', text: '', bytes: concat(await pcapngPieces(session, session.config)) };
      default: {
        const never: never = format;
        throw new Error(`unknown data export '${String(never)}'`);
      }
    }
  },
};
