/**
 * Export report… in the desktop app. The save dialog offers every format
 * (the one the user asked for first); the extension of the file chosen picks
 * the format (the dialog does not say which filter was selected); the report
 * comes from the window's engine; a PDF is the HTML report printed by
 * Chromium (electron/pdf-print.ts). The file is written whole or not at all
 * (temporary file + rename) and never over a capture or metadata file of the
 * session. Pure functions and injected dependencies: tested without Electron.
 */
import path from 'node:path';
import type { PrintToPDFOptions } from 'electron';
import type { DataExportFormat, ExportedReport, ReportFormat } from '../src/api.js';
import { writeFileAtomic } from '../src/host/node/atomic-write.js';
import { EXPORT_FORMATS, type ExportFormat, type SavedReport } from './ipc-contract.js';

export interface FileFilter {
  name: string;
  extensions: string[];
}

const FILTERS: Record<ExportFormat, FileFilter> = {
  html: { name: 'HTML report', extensions: ['html', 'htm'] },
  pdf: { name: 'PDF', extensions: ['pdf'] },
  md: { name: 'Markdown', extensions: ['md', 'markdown'] },
  csv: { name: 'CSV (flows)', extensions: ['csv'] },
  json: { name: 'JSON (analysis contract)', extensions: ['json'] },
  zip: { name: 'CSV tables (zip)', extensions: ['zip'] },
  parquet: { name: 'Parquet tables (zip)', extensions: ['zip'] },
  pcapng: { name: 'pcapng for Wireshark', extensions: ['pcapng'] },
};

/** The formats made by AnalyzerApi.exportData rather than exportReport. */
export function isDataFormat(f: ExportFormat): f is DataExportFormat {
  return f === 'parquet' || f === 'pcapng';
}

/** The save dialog's filters: the preferred format first, then the others in menu order. */
export function saveDialogFilters(preferred: ExportFormat): FileFilter[] {
  return [preferred, ...EXPORT_FORMATS.filter((f) => f !== preferred)].map((f) => ({ ...FILTERS[f], extensions: [...FILTERS[f].extensions] }));
}

/** The format a chosen path asks for: its extension, else the format the user picked in the app. */
export function formatForPath(filePath: string, preferred: ExportFormat): ExportFormat {
  const ext = path.extname(filePath).slice(1).toLowerCase();
  // Two formats share .zip (CSV tables, Parquet tables): the one asked for wins.
  if (FILTERS[preferred].extensions.includes(ext)) return preferred;
  for (const f of EXPORT_FORMATS) if (FILTERS[f].extensions.includes(ext)) return f;
  return preferred;
}

/** What the engine renders for a format: a PDF is printed from the HTML report. */
export function engineFormat(f: ExportFormat): ReportFormat {
  // A data format's file name is built like the JSON report's (defaultReportPath gives it its extension).
  return f === 'pdf' ? 'html' : isDataFormat(f) ? 'json' : f;
}

/** `dir/<stem>.<ext>` for the dialog, from the engine's file name for the report. */
export function defaultReportPath(dir: string, engineFileName: string, format: ExportFormat): string {
  const base = path.basename(engineFileName);
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  return path.join(dir, `${stem || 'overlayscope-report'}${format === 'parquet' ? '-parquet' : ''}.${FILTERS[format].extensions[0]}`);
}

/** US and Canadian users print on Letter; everyone else on A4. */
export function pageSizeForLocale(locale: string): 'A4' | 'Letter' {
  return /^[a-z]{2,3}[-_](US|CA|MX|PH)\b/i.test(locale) ? 'Letter' : 'A4';
}

/**
 * Options for webContents.printToPDF: landscape, backgrounds on (tag colours, chart
 * fills), margins the report's own layout does not add, and a footer with
 * the page number (Chromium fills the classes; the page's JavaScript stays off).
 */
export function pdfPrintOptions(locale: string): PrintToPDFOptions {
  return {
    pageSize: pageSizeForLocale(locale),
    // Landscape: the flow table has a dozen columns; portrait cuts its right side off.
    landscape: true,
    printBackground: true,
    preferCSSPageSize: false,
    scale: 0.75,
    margins: { top: 0.5, bottom: 0.6, left: 0.5, right: 0.5 },
    displayHeaderFooter: true,
    headerTemplate: '<span></span>',
    footerTemplate: '<div style="width:100%;font:8px sans-serif;color:#777;text-align:center;"><span class="title"></span> · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
  };
}

export interface ReportExportDeps {
  /** The window's engine: AnalyzerApi.exportReport. */
  exportFromEngine(format: ReportFormat): Promise<ExportedReport>;
  /** The window's engine: AnalyzerApi.exportData (Parquet tables, pcapng). */
  exportDataFromEngine?(format: DataExportFormat): Promise<ExportedReport>;
  /** Prints HTML to PDF bytes (the hidden window of pdf-print.ts). */
  printPdf(html: string): Promise<Uint8Array>;
  /** Files the session reads (captures, cluster metadata): never overwritten. */
  protect: readonly string[];
}

/** Renders the report in `format` and writes it to `target` atomically. */
export async function writeReport(target: string, format: ExportFormat, deps: ReportExportDeps): Promise<SavedReport> {
  if (isDataFormat(format)) {
    if (!deps.exportDataFromEngine) throw new Error(`Export: ${FILTERS[format].name} is not available here`);
    const data = await deps.exportDataFromEngine(format);
    await writeFileAtomic(target, data.bytes ?? data.text, deps.protect);
    return { path: target, format };
  }
  const report = await deps.exportFromEngine(engineFormat(format));
  const data = format === 'pdf' ? await deps.printPdf(report.text) : report.bytes ?? report.text;
  await writeFileAtomic(target, data, deps.protect);
  return { path: target, format };
}

export interface SaveDialogLike {
  (options: { title: string; defaultPath: string; filters: FileFilter[] }): Promise<{ canceled: boolean; filePath?: string }>;
}

/** The whole Export report… flow: dialog, then the format from the path, then the write. */
export async function saveReportAs(preferred: ExportFormat, defaultDir: string, engineFileName: string, showSaveDialog: SaveDialogLike, deps: ReportExportDeps): Promise<SavedReport | null> {
  const r = await showSaveDialog({ title: 'Export report', defaultPath: defaultReportPath(defaultDir, engineFileName, preferred), filters: saveDialogFilters(preferred) });
  if (r.canceled || !r.filePath) return null;
  return writeReport(r.filePath, formatForPath(r.filePath, preferred), deps);
}
