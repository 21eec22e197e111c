/**
 * A session from opened inputs (src/capture/open-inputs.ts): what opening
 * skipped or refused is said on stderr, and the session remembers where each
 * capture came from (captures[].source in the JSON).
 */
import type { OpenedInputs } from '../capture/open-inputs.js';
import type { AnalyzeOptions } from '../engine/analyze.js';
import { AnalysisSession } from '../engine/session.js';
import { visibleText } from '../report/escape.js';
import { InputError } from './errors.js';

export async function openSession(inputs: OpenedInputs, opts: AnalyzeOptions, stderr: (s: string) => void): Promise<AnalysisSession> {
  for (const n of inputs.notes) {
    if (n.severity === 'note') continue;
    stderr(`overlayscope: ${visibleText(n.file)}: offset ${n.offset}: ${n.layer}: ${visibleText(n.reason)}\n`);
  }
  if (!inputs.captures.length) {
    const first = inputs.notes.find((n) => n.severity === 'error');
    throw new InputError(first ? `${first.file}: ${first.reason}` : 'no capture among the files opened');
  }
  const session = new AnalysisSession(inputs.captures, opts);
  const plain = inputs.origins.every((o) => o.path.length === 0) && !inputs.notes.length;
  if (!plain) session.inputs = { origins: inputs.origins, notes: inputs.notes };
  return session.run();
}

/** True when opening met an error (a refused or cut-short archive): the command exits 1. */
export function inputErrors(session: AnalysisSession): boolean {
  return session.inputs?.notes.some((n) => n.severity === 'error') ?? false;
}
