/** The shared chart components, drawn to static SVG as the report does (src/host/node/report-charts.ts). */
import { describe, expect, it } from 'vitest';
import { renderChartSvg } from '../../src/host/node/report-charts.js';
import { comparisonCharts, type ChartSpec } from '../../renderer/charts/index.js';
import { inertSvg } from '../../src/report/html.js';
import { decodeEntities, tokenize } from './html-tokens.js';

describe('chart components', () => {
  it('bars: one rect per value, labels escaped, nothing executable', () => {
    const spec: ChartSpec = {
      kind: 'bars', id: 'x', title: 'T <script>alert(1)</script>', unit: 'packets', series: ['A: "onerror=x', 'B: =HYPERLINK(1)'],
      rows: [{ label: '<img src=x onerror=alert(1)>', values: [3, 5] }, { label: 'b', values: [7, null] }],
    };
    const svg = renderChartSvg(spec);
    expect(inertSvg(svg)).toBe(svg);
    const { tags, text } = tokenize(svg);
    expect(tags.filter((t) => t.name === 'rect' && !t.close)).toHaveLength(3 + 2); // 3 bars + 2 legend swatches
    expect(tags.some((t) => t.name === 'script' || t.name === 'img' || t.attrs.some((a) => a.name.startsWith('on')))).toBe(false);
    expect(decodeEntities(text.join(''))).toContain('<img src=x onerror=alert(1)>'.slice(0, 33));
    expect(svg).toMatch(/^<svg [^>]*width="560"/);
  });

  it('lines: a polyline per series with a point per value, empty data does not break it', () => {
    const svg = renderChartSvg({ kind: 'lines', id: 'l', title: 'L', xLabel: 'x', unit: 'ms', series: ['a', 'b'], points: [{ x: 1, values: [1, 2] }, { x: 2, values: [3, null] }, { x: 3, values: [2, 4] }] });
    const polys = tokenize(svg).tags.filter((t) => t.name === 'polyline' && !t.close);
    expect(polys.map((p) => p.attrs.find((a) => a.name === 'points')!.value.split(' ').length)).toEqual([3, 2]);
    const empty = renderChartSvg({ kind: 'lines', id: 'e', title: 'E', xLabel: 'x', unit: 'u', series: ['a'], points: [] });
    expect(empty).not.toMatch(/NaN|Infinity/);
    const none = renderChartSvg({ kind: 'bars', id: 'n', title: 'N', unit: 'u', series: ['a'], rows: [] });
    expect(none).not.toMatch(/NaN|Infinity/);
  });

  it('the comparison charts from an AnalyzerApi ComparisonView', () => {
    const specs = comparisonCharts({ labelA: 'a', labelB: 'b', perHop: [{ hop: 'h', a: 1, b: 2 }], latency: [{ request: 1, a: 1, b: null }], timeline: { bucketSec: 0.1, rows: [{ t: 0, a: 1, b: 2 }] } });
    expect(specs.map((s) => s.id)).toEqual(['per-hop', 'latency', 'timeline']);
    for (const s of specs) expect(inertSvg(renderChartSvg(s))).not.toBeNull();
  });
});
