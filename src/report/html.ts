/**
 * The standalone HTML report: one file, no external assets, no script, no
 * event handler; charts are inline SVG drawn by the host's ChartRenderer
 * (the shared components of renderer/charts). A strict Content-Security-
 * Policy forbids scripts and any load from outside even if something slipped
 * through. Every text from a capture is escaped (escape.ts).
 */
import type { ChartRenderer, ChartSpec } from './chart-spec.js';
import { escapeHtml, htmlText } from './escape.js';
import { buildReportDocument, type Block, type Cell } from './report-document.js';
import type { ReportInput } from './report-model.js';

export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { color-scheme: light; }
body { font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; margin: 24px auto; max-width: 1180px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #2f6fb3; }
h3 { font-size: 14px; margin: 18px 0 6px; overflow-wrap: anywhere; }
.meta, .note { color: #666; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
table { border-collapse: collapse; margin: 6px 0 10px; width: 100%; table-layout: auto; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: break-word; max-width: 420px; }
th { background: #f2f4f7; font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; }
.more { color: #666; font-style: italic; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; margin: 8px 0; }
.chart-box { border: 1px solid #e3e3e3; padding: 8px; break-inside: avoid; }
figure.journey { margin: 6px 0; overflow-x: auto; break-inside: avoid; }
ul.explanation li { margin: 4px 0; }
section { break-before: auto; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } section.major { break-before: page; } nav { display: none; } }
`;

/**
 * A chart renderer's SVG, kept only if it is what it should be: one <svg>
 * whose tags are all drawing elements without script, handler or link. Text
 * between tags is escaped by the renderer (a raw "<" there would start a tag
 * and be checked as one), so only tags are inspected.
 */
const SVG_TAGS = new Set(['svg', 'g', 'rect', 'line', 'polyline', 'polygon', 'path', 'circle', 'ellipse', 'text', 'tspan', 'title', 'desc', 'defs', 'clippath', 'lineargradient', 'stop']);
export function inertSvg(svg: string): string | null {
  const s = svg.trim();
  if (!/^<svg[\s>]/i.test(s) || !/<\/svg>$/i.test(s)) return null;
  for (const m of s.matchAll(/<\/?([A-Za-z][\w:-]*)([^>]*)>/g)) {
    const name = m[1]!.toLowerCase();
    const attrs = m[2] ?? '';
    if (!SVG_TAGS.has(name)) return null;
    if (/(^|\s)(on[a-z]+|href|xlink:href|src|style)\s*=/i.test(attrs.replace(/"[^"]*"|'[^']*'/g, '""'))) return null;
    if (/javascript:|url\(/i.test(attrs)) return null;
  }
  if (/<!|<\?/.test(s)) return null;
  return s;
}

function cell(v: Cell): string {
  return typeof v === 'number' ? escapeHtml(Number.isInteger(v) ? v.toLocaleString('en-US') : String(Math.round(v * 1000) / 1000)) : htmlText(v);
}

function chartHtml(spec: ChartSpec, render: ChartRenderer | null): string {
  let svg: string | null = null;
  if (render) {
    try { svg = inertSvg(render(spec)); } catch { svg = null; }
  }
  if (svg) return `<figure class="chart-box" data-chart="${escapeHtml(spec.id)}">${svg}</figure>`;
  return `<p class="note" data-chart="${escapeHtml(spec.id)}">Chart “${htmlText(spec.title)}”: its figures are in the tables of this section.</p>`;
}

function blockHtml(b: Block, render: ChartRenderer | null): string {
  switch (b.kind) {
    case 'p': return `<p${b.note ? ' class="note"' : ''}>${htmlText(b.text, 2000)}</p>`;
    case 'h3': return `<h3>${htmlText(b.text, 300)}</h3>`;
    case 'list': return `<ul class="explanation">${b.items.map((i) => `<li>${htmlText(i, 2000)}</li>`).join('')}</ul>`;
    case 'chart': return `<div class="charts">${chartHtml(b.spec, render)}</div>`;
    case 'charts': return `<div class="charts">${b.specs.map((s) => chartHtml(s, render)).join('')}</div>`;
    case 'svg': {
      const svg = inertSvg(b.svg);
      return svg ? `<figure class="journey">${svg}</figure>` : `<p class="note">${htmlText(b.alt)}: drawing left out.</p>`;
    }
    case 'table': {
      if (!b.total) return '<p class="note">None.</p>';
      const head = b.columns.map((c, i) => `<th${b.numeric[i] ? ' class="n"' : ''}>${htmlText(c, 200)}</th>`).join('');
      const rows = b.rows.map((r) => `<tr>${r.map((v, i) => `<td${b.numeric[i] ? ' class="n"' : ''}>${cell(v)}</td>`).join('')}</tr>`).join('\n');
      const more = b.total > b.rows.length ? `<p class="more">… and ${(b.total - b.rows.length).toLocaleString('en-US')} more rows (the CSV and JSON reports have them all).</p>` : '';
      return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>${more}`;
    }
    default: {
      const never: never = b;
      return never;
    }
  }
}

/** The report as one HTML file. `render` draws charts (null: the figures stay in tables). */
export function htmlReport(input: ReportInput, render: ChartRenderer | null): string {
  const doc = buildReportDocument(input);
  const nav = doc.sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('');
  const body = doc.sections.map((s, i) => `<section id="${s.id}" class="${i > 0 && (s.id === 'comparison' || s.id === 'flows' || s.id === 'journeys') ? 'major' : ''}" data-section="${s.id}">
<h2>${escapeHtml(s.title)}</h2>
${s.blocks.map((b) => blockHtml(b, render)).join('\n')}
</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="OverlayScope">
<title>OverlayScope report: ${htmlText(doc.title, 200)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>OverlayScope report: ${htmlText(doc.title, 200)}</h1>
<p class="meta">Generated ${escapeHtml(doc.generatedAt)}. Text from the captures is shown as text; long values are cut (the JSON report has them whole).</p>
<nav><ul>${nav}</ul></nav>
</header>
<main>
${body}
</main>
</body>
</html>
`;
}
