/**
 * The hooks the later engine parts (flows, compare, report, export) register
 * with the service (`registerServiceExtension`, src/service/analyzer-service.ts).
 * A file of its own so an extension imports it without importing the service
 * that imports the extension (no circle).
 */
import type {
  ComparisonView, DataExportFormat, DnsRow, ExportedReport, FlowDetail, FlowQuery, FlowRow, HttpRow, Page, ReportFormat, StreamView, TxQuery,
} from '../api.js';
import type { AnalysisSession } from '../session/analysis-session.js';

/** Hooks the later engine parts (flows, overlay, compare, report) register. */
export interface ServiceExtensions {
  /** `only`: the flows a display filter left (q.filter), null for all. */
  queryFlows?(session: AnalysisSession, q: FlowQuery, only?: ReadonlySet<number> | null): Page<FlowRow>;
  flowDetail?(session: AnalysisSession, id: number): FlowDetail;
  flowStream?(session: AnalysisSession, id: number): Promise<StreamView>;
  queryHttp?(session: AnalysisSession, q: TxQuery): Page<HttpRow>;
  queryDns?(session: AnalysisSession, q: TxQuery): Page<DnsRow>;
  compare?(a: AnalysisSession, b: AnalysisSession, labels: { a: string; b: string }, options?: { pairs?: Array<[string, string]> }): ComparisonView | Promise<ComparisonView>;
  exportReport?(session: AnalysisSession, format: ReportFormat, label: string): ExportedReport;
  exportData?(session: AnalysisSession, format: DataExportFormat, label: string): Promise<ExportedReport>;
  /** Counts for the summary. */
  counts?(session: AnalysisSession): { flows: number; http: number; dns: number };
}
