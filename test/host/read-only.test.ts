/**
 * Captures are opened read-only and never modified: after analysis, packet
 * reads, reports and comparisons through the real CLI, each capture has the
 * same bytes and the same modification time; an export aimed at a capture is
 * refused and leaves it intact.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath, ROOT } from '../helpers/corpus.js';

const CLI = path.join(ROOT, 'bin', 'overlayscope.js');
let dir: string;
let a: string;
let b: string;

function fingerprint(file: string): { sha: string; mtimeMs: number; size: number } {
  const st = statSync(file);
  return { sha: createHash('sha256').update(readFileSync(file)).digest('hex'), mtimeMs: st.mtimeMs, size: st.size };
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
  mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, 'test-artifacts', 'read-only-'));
  a = path.join(dir, 'nginx-proxy.pcapng');
  b = path.join(dir, 'ingress.pcapng');
  copyFileSync(fixturePath('lab', 'captures', 'nginx-proxy.pcapng'), a);
  copyFileSync(fixturePath('lab', 'captures', 'ingress.pcapng'), b);
});

afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('captures are never modified', () => {
  it('keeps bytes and mtime through analyze, packets, report and compare (CLI) and packet read-back (engine)', async () => {
    const before = [fingerprint(a), fingerprint(b)];
    const outs = ['analysis.json', 'packets.ndjson', 'report.html', 'report.md', 'compare.json'].map((f) => path.join(dir, f));
    const runs = [
      cli('analyze', a, b, '--format', 'json', '--out', outs[0]!),
      cli('packets', a, '--out', outs[1]!),
      cli('report', a, '--format', 'html', '--out', outs[2]!),
      cli('report', b, '--format', 'md', '--out', outs[3]!),
      cli('compare', a, b, '--format', 'json', '--out', outs[4]!),
    ];
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    for (const o of outs) expect(statSync(o).size).toBeGreaterThan(0);
    const s = await AnalysisSession.open([await fileSource(a), await fileSource(b)]);
    for (let n = 0; n < Math.min(50, s.captures[0]!.packets); n++) await s.packetSummary(0, n);
    expect([fingerprint(a), fingerprint(b)]).toEqual(before);
  });

  it('reads a capture the user cannot write (opened read-only)', () => {
    const ro = path.join(dir, 'read-only.pcapng');
    copyFileSync(a, ro);
    chmodSync(ro, 0o444);
    const before = fingerprint(ro);
    const r = cli('analyze', ro, '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).packets).toBeGreaterThan(0);
    expect(fingerprint(ro)).toEqual(before);
  });

  it.each([
    ['analyze', (cap: string) => ['analyze', cap, '--format', 'json', '--out', cap]],
    ['report', (cap: string) => ['report', cap, '--format', 'html', '--out', cap]],
    ['packets', (cap: string) => ['packets', cap, '--out', cap]],
    ['analyze through a symlink', (cap: string) => {
      const link = path.join(dir, `link-${path.basename(cap)}`);
      if (!existsSync(link)) symlinkSync(cap, link);
      return ['analyze', cap, '--format', 'json', '--out', link];
    }],
  ] as const)('%s refuses to write its output over an input capture', (_name, args) => {
    const before = fingerprint(a);
    const r = cli(...args(a));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to overwrite/);
    expect(r.stderr).toContain('nginx-proxy.pcapng');
    expect(fingerprint(a)).toEqual(before);
  });
});
