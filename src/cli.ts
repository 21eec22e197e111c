/**
 * overlayscope: the headless CLI. Same engine, same results as the app.
 * Exit codes: 0 success; 1 the input could not be analysed; 2 bad usage.
 * See docs/cli.md for the JSON contract.
 */
import { openPaths, PathError } from './host/node/open-paths.js';
import { inputErrors, openSession } from './cli/open-session.js';
import { writeFileAtomic } from './host/node/atomic-write.js';
import { runAnalyze, runCompare, runPackets, runReport, type CliContext } from './cli/commands.js';
import { runExportPcapng } from './cli/export-pcapng.js';
import { UsageError, InputError } from './cli/errors.js';

const HELP = `overlayscope: packet captures of Kubernetes overlay networks

Usage:
  overlayscope analyze CAPTURE... [--vxlan-port N,...] [--geneve-port N,...] [--wireguard-port N,...] [--format table|json|csv] [--out FILE]
  overlayscope packets CAPTURE [--format ndjson|table] [--limit N] [--out FILE]
  overlayscope compare A B [--label-a NAME --label-b NAME] [--cluster FILE] [--format table|json|md|html] [--out FILE]
  overlayscope report CAPTURE... --format html|md|csv|json [--out FILE]
  overlayscope export-pcapng CAPTURE... --out FILE [--cluster FILE]
  overlayscope help [COMMAND]

Run 'overlayscope COMMAND --help' for a command's options.
Exit codes: 0 success, 1 input could not be analysed, 2 bad usage.`;

/** Set when opening inputs met an error (src/cli/open-session.ts): exit 1 even when every capture read. */
let inputFailed = false;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const ctx: CliContext = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    open: async (paths, opts) => {
      // Files, folders, .gz streams and archives (src/host/node/open-paths.ts, src/capture/open-inputs.ts).
      const inputs = await openPaths(paths).catch((e: unknown) => {
        throw e instanceof PathError ? new InputError(e.message) : e;
      });
      const session = await openSession(inputs, opts, (s) => process.stderr.write(s));
      // A refused or cut-short archive member: the command still reports what was read, and exits 1.
      if (inputErrors(session)) inputFailed = true;
      return session;
    },
    write: (file, data, protect) => writeFileAtomic(file, data, protect),
    writePieces: (file, pieces, protect) => writeFileAtomic(file, pieces, protect),
    stdoutPiece: (s) => new Promise<void>((resolve, reject) => {
      process.stdout.write(s, (e) => (e ? reject(e) : resolve()));
    }),
  };
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    if (cmd === 'help' && rest[0]) return main([rest[0], '--help']);
    ctx.stdout(HELP + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd === '--version') {
    ctx.stdout('overlayscope 0.1.0\n');
    return 0;
  }
  const orInputFailed = (code: number): number => (code === 0 && inputFailed ? 1 : code);
  switch (cmd) {
    case 'analyze': return orInputFailed(await runAnalyze(rest, ctx));
    case 'packets': return runPackets(rest, ctx);
    case 'compare': return orInputFailed(await runCompare(rest, ctx));
    case 'report': return orInputFailed(await runReport(rest, ctx));
    case 'export-pcapng': return orInputFailed(await runExportPcapng(rest, ctx));
    default:
      throw new UsageError(`unknown command '${cmd}'\n\n${HELP}`);
  }
}

/** The reader of our output went away (`overlayscope packets ... | head`): stop quietly, as tools killed by SIGPIPE do. */
const isBrokenPipe = (e: unknown): boolean => (e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
process.stdout.on('error', (e) => {
  if (isBrokenPipe(e)) process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (isBrokenPipe(e)) {
      process.exitCode = 0;
    } else if (e instanceof UsageError) {
      process.stderr.write(`overlayscope: ${e.message}\n`);
      process.exitCode = 2;
    } else if (e instanceof InputError) {
      process.stderr.write(`overlayscope: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      // A bug: say so plainly, with the stack only when asked for.
      process.stderr.write(`overlayscope: internal error: ${(e as Error)?.message ?? String(e)}\n`);
      if (process.env['OVERLAYSCOPE_DEBUG']) process.stderr.write(`${(e as Error)?.stack}\n`);
      process.exitCode = 1;
    }
  },
);
