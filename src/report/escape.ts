/**
 * Escaping of text taken from captures (hosts, URIs, header values, DNS
 * names) for each report format. Captures are untrusted: a Host header may
 * hold markup, a formula or 10 KB of anything.
 */

/** Longest text shown in one HTML or Markdown cell; the rest is cut with a note of its length. */
export const MAX_CELL_CHARS = 160;

/** C0/C1 controls (but tab) and lone surrogates become visible escapes; they have no business in a report. */
export function visibleText(s: string): string {
  return s.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Cuts long text, saying how much was left out. */
export function clipText(s: string, max = MAX_CELL_CHARS): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… (${s.length - max} more characters)`;
}

/**
 * A title from a label: cut at a word near `max` with an ellipsis, without
 * the cell's "(N more characters)" (a title is not data).
 */
export function clipTitle(s: string, max = 80, ellipsis = '…'): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const sp = cut.lastIndexOf(' ');
  return `${(sp > max * 0.6 ? cut.slice(0, sp) : cut).replace(/[\s,;:+]+$/, '')}${ellipsis}`;
}

/** HTML text and attribute values (both quotes escaped, so it is safe in either). */
export function escapeHtml(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return s.replace(/[&<>"'`]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!);
}

/** Capture text for an HTML cell: visible controls, clipped, escaped. */
export function htmlText(v: unknown, max = MAX_CELL_CHARS): string {
  if (v === null || v === undefined) return '';
  return escapeHtml(clipText(visibleText(String(v)), max));
}

/**
 * Markdown (CommonMark/GFM) text: HTML-significant characters become
 * entities (Markdown passes raw HTML through) and every punctuation mark
 * that could start emphasis, a link, an image, code, a heading or a table
 * cell is backslash-escaped, so the text stays text.
 */
export function escapeMarkdown(v: unknown, max = MAX_CELL_CHARS): string {
  if (v === null || v === undefined) return '';
  const s = clipText(visibleText(String(v)), max);
  return s
    .replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    // At the start of a line of text, "1. " and "- " open a list and "=" or "-" alone a heading underline;
    // "10.244.1.2" opens nothing, so addresses keep their dots as they are.
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
    .replace(/^[-=](?=\s|[-=]*$)/, (c) => `\\${c}`)
    // Four leading spaces (or a tab) would open an indented code block: spaces as entities open nothing.
    .replace(/^[ \t]+/, (m) => m.replace(/ /g, '&#32;').replace(/\t/g, '&#9;'));
}

/** JSON that stays inert even if someone pastes it into an HTML page. */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
