/**
 * The compare and report parts of AnalyzerApi, handed to the service by
 * src/service/analyzer-service.ts (registerServiceExtension at its end).
 * A host that can draw charts (the Electron engine worker, the browser
 * worker, the CLI) calls setReportChartRenderer with one built on the shared
 * components of renderer/charts; without it the HTML report keeps the
 * figures in tables.
 */
import type { ComparisonView, ExportedReport, ReportFormat } from '../api.js';
import { compareSessions, comparisonJson, comparisonView, type ComparisonJson } from '../compare/compare.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import type { ChartRenderer } from './chart-spec.js';
import { exportReport } from './report.js';
import type { ReportAnalysis } from './report-model.js';

let chartRenderer: ChartRenderer | null = null;
/**
 * The last comparison made in this service: a report adds it as its
 * "Comparison" section when the analysis it exports is one of its two sides
 * (the same capture files); a report of other captures leaves it out.
 */
let lastComparison: ComparisonJson | null = null;

/** Whether `session` read exactly the files of one side of comparison `c`. */
export function comparisonCovers(c: ComparisonJson, session: AnalysisSession): boolean {
  const files = session.captures.map((r) => r.file).sort();
  const same = (side: readonly string[]): boolean => side.length === files.length && [...side].sort().every((f, i) => f === files[i]);
  return same(c.a.files) || same(c.b.files);
}

export function setReportChartRenderer(r: ChartRenderer | null): void {
  chartRenderer = r;
}

export const compareReportExtension = {
  async compare(a: AnalysisSession, b: AnalysisSession, labels: { a: string; b: string }, options: { pairs?: Array<[string, string]> } = {}): Promise<ComparisonView> {
    const c = await compareSessions(a, b, labels, options.pairs ? { pairs: options.pairs } : {});
    lastComparison = comparisonJson(c);
    return comparisonView(c);
  },
  exportReport(session: AnalysisSession, format: ReportFormat, label: string): ExportedReport {
    const comparison = lastComparison && comparisonCovers(lastComparison, session) ? lastComparison : null;
    return exportReport({ label, generatedAt: new Date().toISOString(), analysis: session.toJSON() as ReportAnalysis, comparison }, format, chartRenderer);
  },
};
