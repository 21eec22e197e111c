/**
 * CSV (RFC 4180) with formula-injection neutralised: a text cell that begins
 * with =, +, -, @, tab or carriage return gets a leading apostrophe, so a
 * spreadsheet shows it as text instead of evaluating it (OWASP guidance).
 * Numbers are written as numbers.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function csvRow(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}
