/** Reads the `conformance:filter` table of docs/known-differences.md (a `|` inside a filter is written `\|`). */
import { readFileSync } from 'node:fs';
import { KNOWN_DIFFERENCES_FILE } from '../conformance/known-differences.js';

export interface FilterDifference { file: string; filter: string; ours: number; tshark: number; reason: string }

export function filterDifferences(text = readFileSync(KNOWN_DIFFERENCES_FILE, 'utf8')): FilterDifference[] {
  const begin = text.indexOf('<!-- conformance:filter:begin -->');
  const end = text.indexOf('<!-- conformance:filter:end -->');
  if (begin < 0 || end < begin) throw new Error(`${KNOWN_DIFFERENCES_FILE}: no conformance:filter table`);
  const rows: FilterDifference[] = [];
  for (const line of text.slice(begin, end).split('\n')) {
    if (!line.startsWith('|') || /^\|\s*(file|---)/.test(line)) continue;
    const cells = line.replace(/\\\|/g, '\u0000').split('|').slice(1, -1).map((c) => c.replace(/\u0000/g, '|').trim());
    if (cells.length !== 5) throw new Error(`${KNOWN_DIFFERENCES_FILE}: a row of conformance:filter needs 5 cells: ${line}`);
    const [file, filter, ours, tshark, reason] = cells as [string, string, string, string, string];
    if (!/^\d+$/.test(ours) || !/^\d+$/.test(tshark) || reason.length < 20) throw new Error(`${KNOWN_DIFFERENCES_FILE}: malformed row: ${line}`);
    rows.push({ file, filter: filter.replace(/^`|`$/g, ''), ours: Number(ours), tshark: Number(tshark), reason });
  }
  return rows;
}
