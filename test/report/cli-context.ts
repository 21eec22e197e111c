/** Runs CLI commands in-process with the real file adapters, collecting stdout and stderr. */
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { writeFileAtomic } from '../../src/host/node/atomic-write.js';
import type { CliContext } from '../../src/cli/commands.js';

export function testContext(): CliContext & { out: string; err: string } {
  const ctx = {
    out: '',
    err: '',
    stdout(s: string) { ctx.out += s; },
    stderr(s: string) { ctx.err += s; },
    stderrIsTTY: false,
    open: async (paths: string[], opts: object) => AnalysisSession.open(await Promise.all(paths.map((p) => fileSource(p))), opts),
    write: (file: string, data: string, protect: string[]) => writeFileAtomic(file, data, protect),
  };
  return ctx;
}
