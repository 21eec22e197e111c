/**
 * What a report chart shows, as plain data. The engine builds these; a host
 * renders them to SVG with the shared React components in renderer/charts
 * (the engine itself never imports React). Text in a spec may come from a
 * capture: renderers must escape it (React does).
 */
export type ChartSpec =
  /** Grouped horizontal bars: one row per category, one bar per series. */
  | { kind: 'bars'; id: string; title: string; unit: string; series: string[]; rows: Array<{ label: string; values: Array<number | null> }> }
  /** Lines over a numeric x axis: one line per series. */
  | { kind: 'lines'; id: string; title: string; xLabel: string; unit: string; series: string[]; points: Array<{ x: number; values: Array<number | null> }> };

/** Renders a chart spec to an SVG element's markup (no script, no event handler). */
export type ChartRenderer = (spec: ChartSpec) => string;

/** Fixed sizes: the same in the app, the HTML report and its PDF. */
export const CHART_WIDTH = 560;
export const CHART_ROW_HEIGHT = 22;
export const CHART_LINE_HEIGHT = 240;

/** What the comparison charts need: the AnalyzerApi ComparisonView has it (timeline since this module), so does comparison/v1. */
export interface ComparisonChartInput {
  labelA: string;
  labelB: string;
  perHop: ReadonlyArray<{ hop: string; a: number; b: number }>;
  latency: ReadonlyArray<{ request: number; a: number | null; b: number | null }>;
  timeline?: { bucketSec: number; rows: ReadonlyArray<{ t: number; a: number; b: number }> };
}

/** The three comparison charts (packets per request by hop, TTFB per request, both timelines), the same in the app and the report. */
export function comparisonCharts(c: ComparisonChartInput): ChartSpec[] {
  const series = [`A: ${c.labelA}`, `B: ${c.labelB}`];
  const out: ChartSpec[] = [
    { kind: 'bars', id: 'per-hop', title: 'Packets per request by hop', unit: 'packets per request', series, rows: c.perHop.map((h) => ({ label: h.hop, values: [h.a, h.b] })) },
    { kind: 'lines', id: 'latency', title: 'Time to first byte per request', xLabel: 'request', unit: 'ms', series, points: c.latency.map((l) => ({ x: l.request, values: [l.a, l.b] })) },
  ];
  if (c.timeline) {
    out.push({ kind: 'lines', id: 'timeline', title: 'Packets over time (distinct packets, both captures from their start)', xLabel: 'seconds', unit: `packets per ${durationText(c.timeline.bucketSec)}`, series, points: c.timeline.rows.map((r) => ({ x: r.t, values: [r.a, r.b] })) });
  }
  return out;
}

/**
 * A bucket width or short duration as people write it: "10 µs", "2 ms",
 * "0.5 s", "5 min" (never 0.000009999999999999999 s: the value is rounded to
 * 3 significant digits in the largest unit that keeps it at 1 or more).
 */
export function durationText(sec: number): string {
  if (!Number.isFinite(sec) || sec <= 0) return `${sec} s`;
  const units: Array<[number, string]> = [[3600, 'h'], [60, 'min'], [1, 's'], [1e-3, 'ms'], [1e-6, 'µs'], [1e-9, 'ns']];
  for (const [f, u] of units) {
    if (sec >= f * 0.9995 || u === 'ns') return `${Number((sec / f).toPrecision(3))} ${u}`;
  }
  return `${sec} s`;
}
