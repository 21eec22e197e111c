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
