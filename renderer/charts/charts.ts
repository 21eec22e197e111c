/**
 * Chart components shared by the app and the HTML report: pure functions of
 * their props, fixed width and height, plain SVG, so react-dom/server's
 * renderToStaticMarkup draws them completely (Recharts 3 renders an empty
 * wrapper on the server: its layout comes from effects that never run
 * there; docs/decisions/0007-report-charts.md). Text is rendered by React,
 * so whatever a capture put in a label arrives escaped.
 *
 * Written with createElement (no JSX) so the Node host's tsconfig, which has
 * no JSX setting, type-checks them too.
 */
import { createElement as h, type ReactElement } from 'react';
import { CHART_LINE_HEIGHT, CHART_ROW_HEIGHT, CHART_WIDTH, type ChartSpec } from '../../src/report/chart-spec.js';

export const SERIES_COLORS = ['#2f6fb3', '#d9822b', '#3a9a5b', '#a34fa3', '#c23b3b', '#6b6b6b'];
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
const AXIS = '#888';

/** A rounded, readable number. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (Number.isInteger(v)) return String(v);
  return (a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** 0..max in about `n` steps of 1, 2 or 5 × 10^k. */
export function niceTicks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999 && out.length < 50; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function legend(series: readonly string[], x: number, y: number): ReactElement {
  return h('g', { className: 'chart-legend' }, series.map((s, i) => h('g', { key: i, transform: `translate(${x + i * 170},${y})` },
    h('rect', { width: 10, height: 10, y: -9, fill: SERIES_COLORS[i % SERIES_COLORS.length] }),
    h('text', { x: 14, fontSize: 11, fill: '#333' }, clip(s, 24)))));
}

export interface BarsProps { spec: Extract<ChartSpec, { kind: 'bars' }>; width?: number }

/** Grouped horizontal bars (packets per request by hop, packets by protocol). */
export function BarsChart({ spec, width = CHART_WIDTH }: BarsProps): ReactElement {
  const labelW = 210;
  const top = 34;
  const rowH = CHART_ROW_HEIGHT * Math.max(1, spec.series.length) * 0.75 + 8;
  const height = top + spec.rows.length * rowH + 34;
  const plotW = width - labelW - 46;
  let max = 0;
  for (const r of spec.rows) for (const v of r.values) if (v !== null && v > max) max = v;
  const ticks = niceTicks(max);
  const top2 = ticks[ticks.length - 1]!;
  const xs = (v: number): number => labelW + (v / top2) * plotW;
  const barH = (rowH - 8) / Math.max(1, spec.series.length);
  return h('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': spec.title, className: `chart chart-${spec.id}`, fontFamily: FONT },
    h('title', null, spec.title),
    h('text', { x: 0, y: 14, fontSize: 13, fontWeight: 600, fill: '#222' }, spec.title),
    legend(spec.series, labelW, 28),
    ticks.map((t, i) => h('g', { key: `t${i}` },
      h('line', { x1: xs(t), x2: xs(t), y1: top, y2: height - 30, stroke: '#e4e4e4' }),
      h('text', { x: xs(t), y: height - 16, fontSize: 10, fill: AXIS, textAnchor: 'middle' }, fmtNum(t)))),
    h('text', { x: labelW + plotW / 2, y: height - 3, fontSize: 10, fill: AXIS, textAnchor: 'middle' }, spec.unit),
    spec.rows.map((r, i) => {
      const y = top + i * rowH + 4;
      return h('g', { key: `r${i}` },
        h('text', { x: labelW - 6, y: y + (rowH - 8) / 2 + 4, fontSize: 11, fill: '#333', textAnchor: 'end' }, clip(r.label, 34)),
        r.values.map((v, k) => (v === null ? null : h('g', { key: k },
          h('rect', { x: labelW, y: y + k * barH, width: Math.max(0, xs(v) - labelW), height: Math.max(1, barH - 1), fill: SERIES_COLORS[k % SERIES_COLORS.length] }),
          h('text', { x: xs(v) + 3, y: y + k * barH + barH / 2 + 3.5, fontSize: 10, fill: '#444' }, fmtNum(v))))));
    }));
}

export interface LinesProps { spec: Extract<ChartSpec, { kind: 'lines' }>; width?: number; height?: number }

/** Lines with dots over a numeric x axis (latency per request, packets over time). */
export function LinesChart({ spec, width = CHART_WIDTH, height = CHART_LINE_HEIGHT }: LinesProps): ReactElement {
  const left = 48;
  const right = 14;
  const top = 36;
  const bottom = 36;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  let maxX = 0;
  let minX = Infinity;
  let maxY = 0;
  for (const p of spec.points) {
    if (p.x > maxX) maxX = p.x;
    if (p.x < minX) minX = p.x;
    for (const v of p.values) if (v !== null && v > maxY) maxY = v;
  }
  if (!Number.isFinite(minX)) minX = 0;
  if (maxX <= minX) maxX = minX + 1;
  const yt = niceTicks(maxY);
  const topY = yt[yt.length - 1]!;
  const xs = (x: number): number => left + ((x - minX) / (maxX - minX)) * plotW;
  const ys = (y: number): number => top + plotH - (y / topY) * plotH;
  const xt = niceTicks(maxX - minX, 6).map((t) => t + minX).filter((t) => t <= maxX + 1e-9);
  const dots = spec.points.length <= 60;
  return h('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': spec.title, className: `chart chart-${spec.id}`, fontFamily: FONT },
    h('title', null, spec.title),
    h('text', { x: 0, y: 14, fontSize: 13, fontWeight: 600, fill: '#222' }, spec.title),
    legend(spec.series, left, 30),
    yt.map((t, i) => h('g', { key: `y${i}` },
      h('line', { x1: left, x2: left + plotW, y1: ys(t), y2: ys(t), stroke: '#e4e4e4' }),
      h('text', { x: left - 4, y: ys(t) + 3, fontSize: 10, fill: AXIS, textAnchor: 'end' }, fmtNum(t)))),
    xt.map((t, i) => h('text', { key: `x${i}`, x: xs(t), y: top + plotH + 14, fontSize: 10, fill: AXIS, textAnchor: 'middle' }, fmtNum(t))),
    h('text', { x: left + plotW / 2, y: height - 4, fontSize: 10, fill: AXIS, textAnchor: 'middle' }, spec.xLabel),
    h('text', { x: 10, y: top + plotH / 2, fontSize: 10, fill: AXIS, textAnchor: 'middle', transform: `rotate(-90 10 ${top + plotH / 2})` }, spec.unit),
    h('line', { x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH, stroke: AXIS }),
    spec.series.map((_, k) => {
      const pts = spec.points.filter((p) => p.values[k] !== null && p.values[k] !== undefined);
      const color = SERIES_COLORS[k % SERIES_COLORS.length];
      return h('g', { key: `s${k}` },
        h('polyline', { points: pts.map((p) => `${xs(p.x).toFixed(1)},${ys(p.values[k]!).toFixed(1)}`).join(' '), fill: 'none', stroke: color, strokeWidth: 1.6 }),
        dots ? pts.map((p, i) => h('circle', { key: i, cx: xs(p.x), cy: ys(p.values[k]!), r: 2.6, fill: color })) : null);
    }));
}

/** Any chart spec as its component. */
export function Chart({ spec }: { spec: ChartSpec }): ReactElement {
  return spec.kind === 'bars' ? h(BarsChart, { spec }) : h(LinesChart, { spec });
}
