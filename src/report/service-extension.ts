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
import type { AnalysisSession } from '../engine/session.js';
import type { ChartRenderer } from './chart-spec.js';
import { exportReport } from './report.js';
import type { ReportAnalysis } from './report-model.js';

let chartRenderer: ChartRenderer | null = null;
/** The last comparison made in this service: the HTML report adds it as its "Comparison" section. */
let lastComparison: ComparisonJson | null = null;

export function setReportChartRenderer(r: ChartRenderer | null): void {
  chartRenderer = r;
}

export const compareReportExtension = {
  async compare(a: AnalysisSession, b: AnalysisSession, labels: { a: string; b: string }): Promise<ComparisonView> {
    const c = await compareSessions(a, b, labels);
    lastComparison = comparisonJson(c);
    return comparisonView(c);
  },
  exportReport(session: AnalysisSession, format: ReportFormat, label: string): ExportedReport {
    return exportReport({ label, generatedAt: new Date().toISOString(), analysis: session.toJSON() as ReportAnalysis, comparison: lastComparison }, format, chartRenderer);
  },
};
