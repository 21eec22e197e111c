/** A filter that cannot be used: what is wrong and where (line:column, 1-based, and the offset). */
export class FilterError extends Error {
  readonly line: number;
  readonly column: number;
  /** What the message says before " at L:C". */
  readonly reason: string;

  constructor(reason: string, src: string, readonly offset: number, hint?: string) {
    const before = src.slice(0, Math.max(0, Math.min(offset, src.length)));
    const line = (before.match(/\n/g)?.length ?? 0) + 1;
    const column = before.length - (before.lastIndexOf('\n') + 1) + 1;
    super(`${reason} at ${line}:${column}${hint ? ` (${hint})` : ''}`);
    this.name = 'FilterError';
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}

/** Text from the filter shown in a message: bounded, control characters escaped. */
export function shown(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return cut.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Edit distance (Levenshtein), bounded by `max`: returns max+1 when farther. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
