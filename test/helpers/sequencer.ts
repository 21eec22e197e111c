/**
 * The order vitest starts test files in (vitest.config.ts, sequence.sequencer).
 * On a clean clone vitest knows no durations and starts the largest files
 * first, which put the longest ones (traffic-profile: 67 tshark runs) among
 * the last: the run could end with one core busy and the other idle. Here
 * the files that took longest in a run of the whole suite (per-file durations
 * in node_modules/.vite/vitest/.../results.json, 2026-12-04, loaded machine)
 * start first, in that order; the one that produces the corpus's tshark pass
 * (test/helpers/tshark-corpus.ts) leads, and the other reader of that pass
 * starts only after the slow group, when the pass is cached, not while it is
 * being made (it would wait on the lock, a worker idle). The rest keep
 * vitest's own order (cached durations, else size).
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first (seconds in that loaded run). */
export const SLOW_FIRST = [
  'test/compare/traffic-profile.test.ts', // 188 s: makes the tshark pass for test/flows/conversations-conformance.test.ts
  'test/filter/conformance.test.ts', // 209 s
  'test/engine/parallel-equality.test.ts', // 121 s
  'test/engine/flow-split.test.ts', // 101 s
  'test/filter/cli.test.ts', // 90 s
  'test/filter/tcp-analysis.test.ts', // 78 s
  'test/filter/tree-filters.test.ts', // 76 s
  'test/e2e/filter.test.ts', // 73 s
  'test/filter/session-facts.test.ts', // 69 s
  'test/e2e/journeys.test.ts', // 55 s
];
/** Started right after SLOW_FIRST: readers of what a file there caches. */
export const AFTER_SLOW = ['test/flows/conversations-conformance.test.ts'];

const rank = (rel: string): number => {
  const i = SLOW_FIRST.indexOf(rel);
  if (i >= 0) return i;
  const j = AFTER_SLOW.indexOf(rel);
  return j >= 0 ? SLOW_FIRST.length + j : SLOW_FIRST.length + AFTER_SLOW.length;
};

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root.replace(/\/?$/, '/');
    const rel = (f: TestSpecification): string => (f.moduleId.startsWith(root) ? f.moduleId.slice(root.length) : f.moduleId);
    // Array.prototype.sort is stable: files of equal rank keep vitest's order.
    const out = base.map((f, k) => ({ f, k, r: rank(rel(f)) })).sort((a, b) => a.r - b.r || a.k - b.k).map((x) => x.f);
    // OVERLAYSCOPE_PRINT_ORDER=1 prints the order on stderr.
    if (process.env['OVERLAYSCOPE_PRINT_ORDER'] === '1') process.stderr.write(`test file order:\n${out.map((f) => `  ${rel(f)}`).join('\n')}\n`);
    return out;
  }
}
