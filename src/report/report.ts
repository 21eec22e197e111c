/** One entry for every report format. */
import type { ExportedReport, ReportFormat } from '../api.js';
import type { ChartRenderer } from './chart-spec.js';
import { csvReport } from './csv-report.js';
import { htmlReport } from './html.js';
import { jsonReport } from './json-report.js';
import { markdownReport } from './markdown.js';
import type { ReportInput } from './report-model.js';

export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'csv', 'json'];

const MIME: Record<ReportFormat, string> = {
  html: 'text/html;charset=utf-8',
  md: 'text/markdown;charset=utf-8',
  csv: 'text/csv;charset=utf-8',
  json: 'application/json',
};

export function renderReport(input: ReportInput, format: ReportFormat, charts: ChartRenderer | null = null): string {
  switch (format) {
    case 'html': return htmlReport(input, charts);
    case 'md': return markdownReport(input);
    case 'csv': return csvReport(input);
    case 'json': return jsonReport(input);
    default: {
      const never: never = format;
      throw new Error(`unknown report format '${String(never)}'`);
    }
  }
}

/** A file name from a label: letters, digits, dot, dash and underscore only. */
export function reportFileName(label: string, format: ReportFormat): string {
  const stem = label.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[-.]+|[-.]+$/g, '').slice(0, 80) || 'report';
  return `overlayscope-${stem}.${format}`;
}

export function exportReport(input: ReportInput, format: ReportFormat, charts: ChartRenderer | null = null): ExportedReport {
  return { fileName: reportFileName(input.label, format), mime: MIME[format], text: renderReport(input, format, charts) };
}
