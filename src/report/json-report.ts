/** The JSON report: the analysis contract (and the comparison when there is one), inert if pasted into HTML. */
import { safeJson } from './escape.js';
import type { ReportInput } from './report-model.js';

export function jsonReport(input: ReportInput): string {
  if (input.analysis && !input.comparison) return safeJson(input.analysis) + '\n';
  if (!input.analysis && input.comparison) return safeJson(input.comparison) + '\n';
  return safeJson({ ...(input.analysis ?? {}), comparison: input.comparison ?? null }) + '\n';
}
