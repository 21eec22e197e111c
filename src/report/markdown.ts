/** The Markdown report: the same document as the HTML report, tables in GFM, every capture text escaped. */
import { escapeMarkdown } from './escape.js';
import { buildReportDocument, type Block, type Cell } from './report-document.js';
import type { ReportInput } from './report-model.js';

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  return escapeMarkdown(v);
}

function blockMd(b: Block): string {
  switch (b.kind) {
    case 'p': return b.note ? `_${escapeMarkdown(b.text, 2000)}_` : escapeMarkdown(b.text, 2000);
    case 'h3': return `### ${escapeMarkdown(b.text, 300)}`;
    case 'list': return b.items.map((i) => `- ${escapeMarkdown(i, 2000)}`).join('\n');
    case 'chart': return `_Chart: ${escapeMarkdown(b.spec.title)} (figures in the table below or beside it)._`;
    case 'charts': return b.specs.map((s) => `_Chart: ${escapeMarkdown(s.title)} (in the HTML report; figures in the tables)._`).join('\n');
    case 'svg': return `_${escapeMarkdown(b.alt, 300)}: drawn in the HTML report; its hops are in the table below._`;
    case 'table': {
      if (!b.total) return '_None._';
      const head = `| ${b.columns.map((c) => escapeMarkdown(c)).join(' | ')} |`;
      const sep = `| ${b.numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`;
      const rows = b.rows.map((r) => `| ${r.map(cell).join(' | ')} |`);
      const more = b.total > b.rows.length ? `\n\n_… and ${b.total - b.rows.length} more rows (the CSV and JSON reports have them all)._` : '';
      return [head, sep, ...rows].join('\n') + more;
    }
    default: {
      const never: never = b;
      return never;
    }
  }
}

export function markdownReport(input: ReportInput): string {
  const doc = buildReportDocument(input);
  const out: string[] = [`# OverlayScope report: ${escapeMarkdown(doc.title, 200)}`, '', `_Generated ${escapeMarkdown(doc.generatedAt)}._`, ''];
  for (const s of doc.sections) {
    out.push(`## ${escapeMarkdown(s.title)}`, '');
    for (const b of s.blocks) out.push(blockMd(b), '');
  }
  return out.join('\n');
}
