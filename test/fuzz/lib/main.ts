/**
 * Entry of the fuzz bundle (dist/fuzz.js, built by scripts/fuzz.mjs).
 *   node dist/fuzz.js [--count N] [--seed S] [--time-limit SEC] [--jobs J] [--timeout MS]
 *                     [--no-editcap] [--no-minimise] [--crashers DIR] [--json FILE] [--root DIR]
 *   node dist/fuzz.js --child     (a worker: reads inputs over IPC, answers outcomes)
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeInputKeep } from './harness.js';
import { isContainer } from './containers.js';
import { containerTools, editcapPool, formatSummary, fuzz, InputMaker, loadSeeds } from './runner.js';

declare const gc: (() => void) | undefined;

function mem(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function child(): Promise<void> {
  process.on('message', (m: unknown) => {
    const { bytes, name, chunkSize } = m as { bytes: Uint8Array; name: string; chunkSize: number };
    void (async () => {
      try {
        if (typeof gc === 'function') gc();
        const m0 = mem();
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const { result, session } = await analyzeInputKeep(bytes, name, chunkSize || undefined);
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(c0);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        const grown = Math.max(0, mem() - m0);
        if (typeof gc === 'function') gc();
        const retained = Math.max(0, mem() - m0);
        // Keep the session alive until measured.
        if (session && session.captures.length < 0) throw new Error('unreachable');
        process.send!({ ok: true, result, ms, cpuMs, retained, grown });
      } catch (e) {
        const err = e as Error;
        process.send!({ ok: false, message: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, stack: String(err?.stack ?? '') });
      }
    })();
  });
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--child')) { await child(); return -1; }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('npm run fuzz -- [--count N (10000)] [--seed S (1)] [--time-limit SEC] [--jobs J (cores)] [--timeout MS (60000, wall clock)] [--no-editcap] [--no-minimise] [--crashers DIR] [--json FILE]\n       npm run fuzz -- --dump N [--seed S] [--out FILE]   (write input N to a file)\n');
    return 0;
  }
  const root = path.resolve(arg(argv, 'root') ?? process.cwd());
  const corpus = process.env['OVERLAYSCOPE_CORPUS'] ?? path.resolve(root, '../shared/corpus');
  // The encapsulation corpus (IP-in-IP, GRE, ERSPAN, WireGuard) seeds the new dissectors' mutations too.
  const corpusEncap = process.env['OVERLAYSCOPE_CORPUS_ENCAP'] ?? path.resolve(root, '../shared/corpus-encap');
  const count = Number(arg(argv, 'count') ?? 10_000);
  const seed = Number(arg(argv, 'seed') ?? 1);
  const timeLimitSec = Number(arg(argv, 'time-limit') ?? 0);
  const jobs = Number(arg(argv, 'jobs') ?? Math.max(1, Math.min(4, os.availableParallelism())));
  const timeoutMs = Number(arg(argv, 'timeout') ?? 60_000);
  for (const [k, v] of Object.entries({ count, seed, timeLimitSec, jobs, timeoutMs })) {
    if (!Number.isFinite(v) || v < 0) { process.stderr.write(`fuzz: --${k} takes a number\n`); return 2; }
  }
  const dump = arg(argv, 'dump');
  if (dump !== undefined) {
    // Write input N of the seed to a file (to reproduce a finding outside the fuzzer).
    const dirs = [path.join(corpus, 'files'), path.join(corpusEncap, 'files'), path.join(root, 'fixtures', 'lab')];
    const seeds = loadSeeds(dirs);
    const maker = new InputMaker(seed, seeds, argv.includes('--no-editcap') ? [] : editcapPool(seeds, [0.001, 0.01, 0.05], seed, dirs), containerTools(seeds));
    const spec = maker.make(Number(dump));
    const file = arg(argv, 'out') ?? `fuzz-${seed}-${dump}.${spec.bytes[0] === 0x0a ? 'pcapng' : isContainer(spec.bytes) ? 'bin' : 'pcap'}`;
    writeFileSync(file, spec.bytes);
    process.stdout.write(`${file}: ${spec.name} [${spec.ops.join(', ')}] chunk ${spec.chunkSize || 'default'}, ${spec.bytes.length} bytes\n`);
    return 0;
  }
  const summary = await fuzz({
    seed, count, timeLimitSec, jobs, timeoutMs,
    childScript: fileURLToPath(import.meta.url),
    seedDirs: [path.join(corpus, 'files'), path.join(corpusEncap, 'files'), path.join(root, 'fixtures', 'lab')],
    editcapRates: argv.includes('--no-editcap') ? [] : [0.001, 0.01, 0.05],
    crashersDir: arg(argv, 'crashers') ?? path.join(root, 'fixtures', 'crashers'),
    minimise: !argv.includes('--no-minimise'),
    log: (s) => process.stderr.write(s + '\n'),
  });
  const line = formatSummary(summary);
  process.stdout.write(line + '\n');
  for (const f of summary.findings) {
    process.stdout.write(`  ${f.kind}: ${f.signature} (input ${f.spec.index}: ${f.spec.base} [${f.spec.ops.join(', ')}])${f.saved ? ` → ${path.relative(root, f.saved)}` : ''}\n`);
  }
  const json = arg(argv, 'json');
  if (json) writeFileSync(json, JSON.stringify({ ...summary, line }, null, 2) + '\n');
  return summary.crashes + summary.hangs + summary.violations > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`fuzz: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
