/** One entry for every report format. */
import type { ExportedReport, ReportFormat } from '../api.js';
import type { ChartRenderer } from './chart-spec.js';
import { csvReport, csvZip } from './csv-report.js';
import { clipTitle } from './escape.js';
import { htmlReport } from './html.js';
import { jsonReport } from './json-report.js';
import { markdownReport } from './markdown.js';
import type { ReportInput } from './report-model.js';

export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'csv', 'json', 'zip'];

const MIME: Record<ReportFormat, string> = {
  html: 'text/html;charset=utf-8',
  md: 'text/markdown;charset=utf-8',
  csv: 'text/csv;charset=utf-8',
  json: 'application/json',
  zip: 'application/zip',
};

export function renderReport(input: ReportInput, format: ReportFormat, charts: ChartRenderer | null = null): string {
  switch (format) {
    case 'html': return htmlReport(input, charts);
    case 'md': return markdownReport(input);
    case 'csv': return csvReport(input);
    case 'json': return jsonReport(input);
    case 'zip': throw new Error('a zip report is binary: use exportReport or csvZip');
    default: {
      const never: never = format;
      throw new Error(`unknown report format '${String(never)}'`);
    }
  }
}

/** A file name stem from a label: letters, digits, dot, dash and underscore only, cut at 60 characters. */
export function reportStem(label: string): string {
  return clipTitle(label, 60, '').normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[-.]+|[-.]+$/g, '').slice(0, 60).replace(/[-.]+$/, '') || 'report';
}

/** A file name from a label; the CSV (the flow table alone) says so: overlayscope-LABEL-flows.csv. */
export function reportFileName(label: string, format: ReportFormat): string {
  return `overlayscope-${reportStem(label)}${format === 'csv' ? '-flows' : format === 'zip' ? '-tables' : ''}.${format}`;
}

export function exportReport(input: ReportInput, format: ReportFormat, charts: ChartRenderer | null = null): ExportedReport {
  if (format === 'zip') {
    return { fileName: reportFileName(input.label, format), mime: MIME.zip, text: '', bytes: csvZip(input, `overlayscope-${reportStem(input.label)}`) };
  }
  return { fileName: reportFileName(input.label, format), mime: MIME[format], text: renderReport(input, format, charts) };
}
