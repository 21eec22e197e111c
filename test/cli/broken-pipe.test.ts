/**
 * The reader of the CLI's output goes away early (`overlayscope packets X | head -1`):
 * the CLI stops quietly with exit 0, as tools killed by SIGPIPE do, instead of an
 * unhandled EPIPE stack trace. The pipe is a real shell pipe into `head`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/corpus.js';

const bin = path.resolve('dist/cli.js');
const built = existsSync(bin);
if (!built) console.warn('SKIPPED: broken-pipe tests need dist/cli.js (node scripts/build-cli.mjs; npm test builds it)');
const capture = fixturePath('lab/captures/nginx-proxy.pcapng');

function pipeIntoHead(args: string): { first: string; cliExit: number; stderr: string } {
  // PIPESTATUS[0] is the CLI's own exit status; its stderr goes to a file we read back.
  const script = `set -o pipefail; node ${JSON.stringify(bin)} ${args} 2>"$ERR" | head -c 200; echo; echo "exit=\${PIPESTATUS[0]}"; cat "$ERR"`;
  const err = path.join(process.env['TMPDIR'] ?? '/tmp', `overlayscope-epipe-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ERR: err } });
  const m = /\nexit=(\d+)\n([\s\S]*)$/.exec(r.stdout);
  if (!m) throw new Error(`unexpected output: ${r.stdout.slice(-400)} ${r.stderr}`);
  spawnSync('rm', ['-f', err]);
  return { first: r.stdout.slice(0, r.stdout.indexOf('\nexit=')), cliExit: Number(m[1]), stderr: m[2]! };
}

describe.skipIf(!built)('CLI output into a pipe closed early', () => {
  it.each([
    ['packets', `packets ${JSON.stringify(capture)}`, '{"n":1,'],
    ['analyze --format json', `analyze ${JSON.stringify(capture)} --format json`, '{'],
    ['analyze (table)', `analyze ${JSON.stringify(capture)}`, ''],
  ])('%s: exits 0 with nothing on stderr', (_name, args, starts) => {
    const r = pipeIntoHead(args);
    expect(r.first.length).toBeGreaterThan(0);
    expect(r.first.startsWith(starts)).toBe(true);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.stderr).toBe('');
    expect(r.cliExit).toBe(0);
  }, 120_000);
});
