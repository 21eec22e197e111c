/** The table format never sends control characters from a capture to the terminal. */
import { describe, expect, it } from 'vitest';
import { renderAnalysisTable } from '../../src/cli/format.js';
import type { AnalysisJson } from '../../src/session/contract.js';

describe('renderAnalysisTable', () => {
  it('shows HTTP method, host and URI with control characters escaped', () => {
    const a: AnalysisJson = {
      schema: 'overlayscope.analysis/v1', captures: [], packets: 1, protocols: {}, flows: [], dns: [], issues: [],
      http: [{ flow: 0, method: 'GET\u001b[2J', host: 'evil\u0007.test', uri: '/\u001b]0;title\u0007x\r\ny', status: 200, requestTime: null, responseTime: null }],
    };
    const text = renderAnalysisTable(a);
    const line = text.split('\n').find((l) => l.includes('flow 0'))!;
    expect(line).toBe('  flow 0  GET\\x1b[2J evil\\x07.test/\\x1b]0;title\\x07x\\x0d\\x0ay  → 200');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
