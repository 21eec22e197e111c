/** Reads the machine-readable tables of docs/known-differences.md. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/corpus.js';

export interface KnownDifference {
  file: string;
  protocol: string;
  ours: number;
  tshark: number;
  reason: string;
}

export const KNOWN_DIFFERENCES_FILE = path.join(ROOT, 'docs', 'known-differences.md');

/** Rows of the table between `<!-- conformance:<name>:begin -->` and `...:end -->`. */
export function knownDifferences(name: string, text = readFileSync(KNOWN_DIFFERENCES_FILE, 'utf8')): KnownDifference[] {
  const begin = text.indexOf(`<!-- conformance:${name}:begin -->`);
  const end = text.indexOf(`<!-- conformance:${name}:end -->`);
  if (begin < 0 || end < begin) throw new Error(`${KNOWN_DIFFERENCES_FILE}: no conformance:${name} table`);
  const rows: KnownDifference[] = [];
  for (const line of text.slice(begin, end).split('\n')) {
    if (!line.startsWith('|') || /^\|\s*(file|---)/.test(line)) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 5) throw new Error(`${KNOWN_DIFFERENCES_FILE}: a row of conformance:${name} needs 5 cells: ${line}`);
    const [file, protocol, ours, tshark, reason] = cells as [string, string, string, string, string];
    if (!/^\d+$/.test(ours) || !/^\d+$/.test(tshark) || reason.length < 20) {
      throw new Error(`${KNOWN_DIFFERENCES_FILE}: malformed row (counts must be numbers, the reason a sentence): ${line}`);
    }
    rows.push({ file, protocol, ours: Number(ours), tshark: Number(tshark), reason });
  }
  return rows;
}
