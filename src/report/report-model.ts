/**
 * What a report holds, whatever its format: the analysis (the
 * `overlayscope.analysis/v1` document, overlay included) and, when there is
 * one, a comparison. The formats (html.ts, markdown.ts, csv-report.ts,
 * json-report.ts) render this; chart data comes from here too, so the app,
 * the HTML report and the PDF show the same figures.
 */
import type { Journey, OverlayNode, TranslationRow, TunnelEdge } from '../api.js';
import type { ComparisonJson } from '../compare/compare.js';
import type { AnalysisJson } from '../session/contract.js';
import { comparisonCharts, type ChartSpec } from './chart-spec.js';

export interface ReportAnalysis extends AnalysisJson {
  nodes?: OverlayNode[];
  pods?: Array<{ ip: string; name: string | null; namespace: string | null; node: string | null }>;
  services?: Array<{ name: string; namespace: string; clusterIp: string | null; ports: Array<{ port: number; nodePort: number | null; targetPort: string | number | null; protocol: string }> }>;
  tunnels?: TunnelEdge[];
  translations?: TranslationRow[];
  journeys?: Journey[];
  capturePoints?: Array<{ name: string; file: string; interface: number; packets: number; copies: number }>;
}

export interface ReportInput {
  /** Shown as the report's title (may come from file names: escaped like capture text). */
  label: string;
  /** ISO time the report was made. */
  generatedAt: string;
  analysis: ReportAnalysis | null;
  comparison?: ComparisonJson | null;
}

export const REPORT_SECTIONS = ['summary', 'flows', 'http', 'dns', 'overlay', 'translations', 'journeys', 'comparison', 'issues'] as const;
export type ReportSection = (typeof REPORT_SECTIONS)[number];

export const SECTION_TITLES: Record<ReportSection, string> = {
  summary: 'Summary',
  flows: 'Flows',
  http: 'HTTP transactions',
  dns: 'DNS transactions',
  overlay: 'Overlay',
  translations: 'Translations (Service DNAT, SNAT)',
  journeys: 'Journeys',
  comparison: 'Comparison',
  issues: 'Issues',
};

/** Rows shown in an HTML or Markdown table before it says "N more" (CSV and JSON have every row). */
export const MAX_TABLE_ROWS = 500;

export function endpointText(e: { ip: string; port: number | null } | null | undefined): string {
  if (!e) return '';
  if (e.port === null || e.port === undefined) return e.ip;
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** The charts of a report: the session's protocols and, with a comparison, the three comparison charts. */
export function reportCharts(input: ReportInput): ChartSpec[] {
  const out: ChartSpec[] = [];
  const a = input.analysis;
  if (a) {
    const protos = Object.entries(a.protocols).sort((x, y) => y[1] - x[1]).slice(0, 16);
    if (protos.length) {
      out.push({ kind: 'bars', id: 'protocols', title: 'Packets by protocol (any depth)', unit: 'packets', series: ['packets'], rows: protos.map(([label, n]) => ({ label, values: [n] })) });
    }
  }
  const c = input.comparison;
  if (c) {
    out.push(...comparisonChartsOf(c));
  }
  return out;
}

export function comparisonChartsOf(c: ComparisonJson): ChartSpec[] {
  return comparisonCharts({ labelA: c.a.label, labelB: c.b.label, perHop: c.perHop, latency: c.latency, timeline: c.timeline });
}

/** Groups of comparison metrics, in order. */
export function metricGroups(c: ComparisonJson): Array<{ group: string; metrics: ComparisonJson['metrics'] }> {
  const groups: Array<{ group: string; metrics: ComparisonJson['metrics'] }> = [];
  for (const m of c.metrics) {
    let g = groups.find((x) => x.group === m.group);
    if (!g) { g = { group: m.group, metrics: [] }; groups.push(g); }
    g.metrics.push(m);
  }
  return groups;
}

export function fmtValue(v: number | null | undefined, unit = ''): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = Number.isInteger(v) ? v.toLocaleString('en-US') : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 10 ? 1 : 2).replace(/\.?0+$/, '');
  return unit === 'ms' ? `${s} ms` : s;
}

export function fmtDelta(v: number | null | undefined, unit = ''): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  return `${v > 0 ? '+' : '−'}${fmtValue(Math.abs(v), unit)}`;
}

/**
 * The decimals one row's values share (the one rounding rule of the app, the
 * reports and the CLI): none when all are whole, else 2 below 10 and 1 from
 * 10 up, by the largest; so "96.0" stands beside "79.8", never "96" beside "79.80".
 */
export function rowDecimals(values: ReadonlyArray<number | null | undefined>): number {
  const xs = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  if (xs.every((v) => Number.isInteger(v))) return 0;
  return Math.max(...xs.map((v) => Math.abs(v))) < 10 ? 2 : 1;
}

/** A value with the given decimals and thousands separators; signed: "+1.5", "−2.0", "0". */
export function fmtFixed(v: number | null | undefined, decimals: number, signed = false, unit = ''): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  const zero = Number(abs.replace(/,/g, '')) === 0;
  const sign = zero ? '' : v < 0 ? '−' : signed ? '+' : '';
  return `${sign}${abs}${unit === 'ms' ? ' ms' : ''}`;
}

/** "1 hop", "2 hops", "1 capture point". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
