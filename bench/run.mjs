#!/usr/bin/env node
// OverlayScope benchmark: `npm run bench` (= node scripts/build-cli.mjs && node bench/run.mjs).
//
//   node bench/run.mjs [--reps 3 (big file; small and header-only files get 3x)] [--skip-tshark] [--big-packets 2000000]
//                      [--small-packets 100000] [--seed 1] [--no-reader] [--no-floor]
//                      [--linearity-tolerance 1.5] [--no-write] [--no-snapshot]
//                      [--wait-quiet SECONDS] [--nice N] [--timeout SECONDS] [--no-gzip | --gzip-only]
//                      [--no-threads | --threads-only] [--no-filter | --filter-only] [--no-parquet | --parquet-only]
//
// Each timed child is killed after --timeout seconds (default 1200; coreutils
// `timeout -s KILL`); such a run counts as failed and is reported as a timeout.
// On a shared machine, --nice -15 (root) runs each timed child at a higher
// priority so other work disturbs it less: the child gets its own session
// (setsid), hence its own scheduler autogroup, whose nice is set too (with
// autogroups, plain nice only ranks processes within one session). --wait-quiet
// waits (up to SECONDS) for the 1-minute load average to drop below 1. Both are
// recorded in the results.
//
// 1. Generates (or reuses, when FILE.truth.json matches the generator version
//    and arguments and the size matches) bench/out/overlay-<N>-s<seed>.pcap for
//    the big and the small size, plus bench/out/empty.pcap (header only) whose
//    timings are each tool's fixed start-up cost.
// 2. Warms the page cache (one untimed bare walk of each file): every figure is
//    a warm-cache figure; the disk is not what is measured.
// 3. For each file, repeats --reps times, interleaved (bare, reader, analyze,
//    tshark, bare, reader, ...), each as its own child process under
//    /usr/bin/time -f '%e %M' (peak RSS); wall time is taken with hrtime around
//    the child (finer than %e):
//      bare     node bench/walk.mjs --impl bare FILE   (fs 4 MiB chunks, every record header)
//      reader   node bench/walk.mjs --impl reader FILE (our PcapReader, no dissection; extra, informative)
//      floor    node bench/walk.mjs --impl floor FILE  (bare + minimal Ethernet/IPv4/VXLAN decode and a flow
//               table per depth counting packets and bytes; extra, informative: the least any flow
//               analysis in JavaScript costs here; --no-floor leaves it out)
//      analyze  node bin/overlayscope.js analyze FILE --format json --out bench/out/analyze-<name>.json
//               (run from a snapshot copy of bin/overlayscope.js + dist/cli.js in
//               bench/out/cli-snapshot/, taken once at the start, so every rep times
//               the same build even when others rebuild dist/ meanwhile; --no-snapshot
//               runs bin/overlayscope.js in place)
//      tshark   tshark -r FILE -d udp.port==8472,vxlan -q -z conv,tcp  (stdout to bench/out/tshark-conv-<name>.txt)
// 3b. The big file gzipped (bench/lib/gzip-bench.mjs, issue #16): analyze on the plain file and on
//    its .gz (gzip -6, made once) in pairs; peak RSS of the .gz within the plain's + 50 MB; pages of
//    packets read back by offset from the .gz (bench/gzip-page.mjs). --no-gzip leaves it out;
//    --gzip-only measures only this (and writes bench/out/gzip-only.json, not the results files).
// 3c. Threads (bench/lib/threads-bench.mjs, issue #18): analyze --threads 1 then 2 in pairs on the big
//    file and on a 14-file session of the same total packets (bench/out/session14-*); speedup, peak
//    RSS ratio, JSON byte-identical. --no-threads leaves it out; --threads-only measures only this
//    (and writes bench/out/threads-only.json, not the results files).
// 3d. Parquet export (bench/lib/parquet-bench.mjs, issue #17): analyze --format json then --format parquet
//    (DIR of tables) in pairs on the big file; time within 1.5x, peak RSS within the JSON run's + 100 MB.
//    --no-parquet leaves it out; --parquet-only measures only this (writes bench/out/parquet-only.json).
// 4. Prints medians, paired ratios, peak memory, per-packet costs, targets
//    pass/fail; writes bench/results.json and bench/RESULTS.md.
import { spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, GEN_VERSION, DEFAULT_PACKETS, DEFAULT_SEED } from './gen-overlay.mjs';
import { bundleReader } from './lib/bundle.mjs';
import { benchGzip, gzipMarkdown, gzipTarget } from './lib/gzip-bench.mjs';
import { benchParquet, parquetMarkdown, parquetTargets } from './lib/parquet-bench.mjs';
import { benchThreads, ensureHalves, ensureSession, threadsMarkdown, threadsTargets } from './lib/threads-bench.mjs';
import { benchFilter, filterMarkdown, filterTarget } from './lib/filter-bench.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench/out');
const rel = (p) => path.relative(ROOT, p);

// ---------------------------------------------------------------- options
const opt = {
  reps: 3, skipTshark: false, bigPackets: DEFAULT_PACKETS, smallPackets: 100_000, seed: DEFAULT_SEED,
  reader: true, floor: true, linTol: 1.5, write: true, snapshot: true, waitQuiet: 0, nice: 0, timeout: 1200,
  gzip: true, gzipOnly: false, threads: true, threadsOnly: false, parquet: true, parquetOnly: false, filter: true, filterOnly: false,
};
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i], v = () => a[++i];
    if (k === '--reps') opt.reps = Number(v());
    else if (k === '--skip-tshark') opt.skipTshark = true;
    else if (k === '--big-packets') opt.bigPackets = Number(String(v()).replace(/_/g, ''));
    else if (k === '--small-packets') opt.smallPackets = Number(String(v()).replace(/_/g, ''));
    else if (k === '--seed') opt.seed = Number(v());
    else if (k === '--no-reader') opt.reader = false;
    else if (k === '--no-floor') opt.floor = false;
    else if (k === '--linearity-tolerance') opt.linTol = Number(v());
    else if (k === '--no-write') opt.write = false;
    else if (k === '--no-snapshot') opt.snapshot = false;
    else if (k === '--wait-quiet') opt.waitQuiet = Number(v());
    else if (k === '--nice') opt.nice = Number(v());
    else if (k === '--timeout') opt.timeout = Number(v());
    else if (k === '--no-gzip') opt.gzip = false;
    else if (k === '--gzip-only') opt.gzipOnly = true;
    else if (k === '--no-threads') opt.threads = false;
    else if (k === '--threads-only') opt.threadsOnly = true;
    else if (k === '--no-parquet') opt.parquet = false;
    else if (k === '--parquet-only') opt.parquetOnly = true;
    else if (k === '--no-filter') opt.filter = false;
    else if (k === '--filter-only') opt.filterOnly = true;
    else if (k === '-h' || k === '--help') {
      const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
      console.log(src.slice(0, src.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else { console.error(`bench: unknown argument ${k}`); process.exit(2); }
  }
  if (!(opt.reps >= 1)) throw new Error('--reps must be >= 1');
}

// Targets (the figures the bench reports pass/fail against).
const TARGETS = {
  tsharkOverAnalyzeMin: 40,      // analyze >= 40x faster than the tshark command (big file, medians)
  analyzeOverBareMax: 2.5,       // analyze within 2.5x of the bare record walk (big file, medians)
  analyzePeakRssMaxMB: 300,      // analyze peak RSS <= 300 MB (10^6 bytes; max over all runs on the big file)
  linearityTolerance: opt.linTol, // start-up-corrected per-packet cost, 100k vs big: ratio within [1/tol, tol]
};

// ---------------------------------------------------------------- helpers
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r3 = (x, d = 3) => (x == null || !Number.isFinite(x) ? null : Number(x.toFixed(d)));
const fmt = (x, d = 2) => (x == null ? 'n/a' : x.toFixed(d));
const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim(); } catch { return null; } };
const which = (c) => sh('sh', ['-c', `command -v ${c}`]);

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const TIMEOUT = which('timeout');
const AUTOGROUP = (() => { try { return fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1' && !!which('setsid'); } catch { return false; } })();
if (!TIME) console.error('bench: /usr/bin/time not found (apt-get install time): peak RSS will be missing for tshark; node children report their own maxRSS');

/** Runs one command as a measured child. Returns { wallS, timeWallS, rssKB, exit, stderrTail, stdout }. */
function measure(cmd, args, { stdoutFile = null, captureStdout = false } = {}) {
  const tf = path.join(OUT, `.time-${process.pid}.txt`);
  if (opt.timeout > 0 && TIMEOUT) { args = ['-s', 'KILL', String(opt.timeout), cmd, ...args]; cmd = TIMEOUT; }
  if (opt.nice) {
    args = ['-n', String(opt.nice), cmd, ...args]; cmd = 'nice';
    if (AUTOGROUP) { args = ['-w', 'sh', '-c', `echo ${opt.nice} > /proc/self/autogroup 2>/dev/null; exec "$@"`, 'sh', cmd, ...args]; cmd = 'setsid'; }
  }
  const full = TIME ? [TIME, ['-f', '%e %M', '-o', tf, '--', cmd, ...args]] : [cmd, args];
  let outFd = 'ignore';
  if (stdoutFile) outFd = fs.openSync(stdoutFile, 'w');
  else if (captureStdout) outFd = 'pipe';
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { stdio: ['ignore', outFd, 'pipe'], maxBuffer: 64 * 1024 * 1024, cwd: ROOT });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (typeof outFd === 'number') fs.closeSync(outFd);
  let timeWallS = null, rssKB = null;
  if (TIME && fs.existsSync(tf)) {
    const lines = fs.readFileSync(tf, 'utf8').trim().split('\n');
    const last = lines[lines.length - 1].trim().split(/\s+/);
    if (last.length === 2 && Number.isFinite(Number(last[0]))) { timeWallS = Number(last[0]); rssKB = Number(last[1]); }
    fs.rmSync(tf, { force: true });
  }
  const stderr = (r.stderr ?? Buffer.alloc(0)).toString('utf8');
  const stdout = captureStdout && r.stdout ? r.stdout.toString('utf8') : null;
  if (rssKB == null && stdout) { // fallback without /usr/bin/time: node children report their own maxRSS
    try { rssKB = JSON.parse(stdout.trim().split('\n').pop()).maxRssKB ?? null; } catch { /* not JSON */ }
  }
  let exit = r.status ?? (r.signal ? `signal ${r.signal}` : 'error');
  if (TIMEOUT && opt.timeout > 0 && exit === 137 && wallS >= opt.timeout - 1) exit = `timeout after ${opt.timeout} s`;
  return { wallS, timeWallS, rssKB, exit, stderrTail: stderr.slice(-1500), stdout };
}

const loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));

// ---------------------------------------------------------------- inputs
fs.mkdirSync(OUT, { recursive: true });
function ensureCapture(packets) {
  const file = path.join(OUT, `overlay-${packets}-s${opt.seed}.pcap`);
  const tf = file + '.truth.json';
  if (fs.existsSync(file) && fs.existsSync(tf)) {
    try {
      const t = JSON.parse(fs.readFileSync(tf, 'utf8'));
      if (t.version === GEN_VERSION && t.args?.packets === packets && t.args?.seed === opt.seed && fs.statSync(file).size === t.bytes.file) {
        console.log(`bench: reusing ${rel(file)} (${t.packets} packets, ${(t.bytes.file / 1e9).toFixed(3)} GB)`);
        return { file, truth: t, generatedSeconds: null };
      }
    } catch { /* regenerate */ }
  }
  console.log(`bench: generating ${rel(file)} (${packets} packets) ...`);
  const { truth, seconds } = generate({ out: file, packets, seed: opt.seed, quiet: false });
  return { file, truth, generatedSeconds: seconds };
}
const big = ensureCapture(opt.bigPackets);
const small = ensureCapture(opt.smallPackets);
const emptyFile = path.join(OUT, 'empty.pcap');
{
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6); h.writeUInt32LE(262144, 16); h.writeUInt32LE(1, 20);
  fs.writeFileSync(emptyFile, h);
}

// Generator time: measured now, or carried over from an earlier results.json for the same arguments.
const resultsPath = path.join(ROOT, 'bench/results.json');
let previous = null;
try { previous = JSON.parse(fs.readFileSync(resultsPath, 'utf8')); } catch { /* none */ }
const genInfo = (c) => {
  if (c.generatedSeconds != null) return { seconds: r3(c.generatedSeconds), measuredAt: new Date().toISOString(), measured: 'this run' };
  const p = previous?.inputs?.find?.((i) => i.packets === c.truth.packets && i.seed === opt.seed && i.generatorVersion === GEN_VERSION);
  if (p?.generator?.seconds == null) return { seconds: null, measuredAt: null, measured: 'reused file; not timed' };
  const at = p.generator.measuredAt ?? p.generator.measured?.match(/\d{4}-\d\d-\d\dT[\d:.]+Z/)?.[0] ?? previous.date;
  return { seconds: p.generator.seconds, measuredAt: at, measured: `earlier run, ${at.slice(0, 16)}Z` };
};

// ---------------------------------------------------------------- tools
await bundleReader();
const cliBundle = path.join(ROOT, 'dist/cli.js');
const tsharkPath = opt.skipTshark ? null : which('tshark');
const notes = [];

const tools = [];
tools.push({ id: 'bare', label: 'bare record walk (node, fs 4 MiB chunks)', cmd: process.execPath, args: (f) => ['bench/walk.mjs', '--impl', 'bare', f], capture: true });
if (opt.reader) tools.push({ id: 'reader', label: 'PcapReader only (node, 4 MiB chunks, no dissection)', cmd: process.execPath, args: (f) => ['bench/walk.mjs', '--impl', 'reader', f], capture: true });
if (opt.floor) tools.push({ id: 'floor', label: 'floor: bare + minimal decode + flow table per depth (node)', cmd: process.execPath, args: (f) => ['bench/walk.mjs', '--impl', 'floor', f], capture: true });
const analyzeOut = (f) => path.join(OUT, `analyze-${path.basename(f, '.pcap')}.json`);
let binPath = 'bin/overlayscope.js';
let cliInfo = null;
if (fs.existsSync(cliBundle)) {
  const sha = (p) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  cliInfo = { sha256: sha(cliBundle), mtime: fs.statSync(cliBundle).mtime.toISOString(), bytes: fs.statSync(cliBundle).size, snapshot: null };
  if (opt.snapshot) {
    const snap = path.join(OUT, 'cli-snapshot');
    fs.rmSync(snap, { recursive: true, force: true });
    fs.mkdirSync(path.join(snap, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(snap, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'bin/overlayscope.js'), path.join(snap, 'bin/overlayscope.js'));
    fs.copyFileSync(cliBundle, path.join(snap, 'dist/cli.js'));
    if (fs.existsSync(cliBundle + '.map')) fs.copyFileSync(cliBundle + '.map', path.join(snap, 'dist/cli.js.map'));
    // analyze --threads N's worker bundle, found beside dist/cli.js.
    const workerBundle = path.join(ROOT, 'dist/analyze-worker.js');
    if (fs.existsSync(workerBundle)) fs.copyFileSync(workerBundle, path.join(snap, 'dist/analyze-worker.js'));
    binPath = rel(path.join(snap, 'bin/overlayscope.js'));
    cliInfo.snapshot = binPath;
    cliInfo.sha256 = sha(path.join(snap, 'dist/cli.js'));
  }
}
const analyzeTool = { id: 'analyze', label: 'node bin/overlayscope.js analyze FILE --format json --out OUT', cmd: process.execPath, args: (f) => [binPath, 'analyze', f, '--format', 'json', '--out', analyzeOut(f)] };
let analyzeStatus = 'ok';
if (!fs.existsSync(cliBundle)) {
  analyzeStatus = 'dist/cli.js missing (build failed or src/cli.ts not written yet)';
} else {
  const pre = measure(analyzeTool.cmd, analyzeTool.args(small.file));
  if (pre.exit !== 0) analyzeStatus = `pre-flight on ${rel(small.file)} exited ${pre.exit}: ${pre.stderrTail.trim().split('\n').slice(-3).join(' | ')}`;
}
if (analyzeStatus === 'ok') tools.push(analyzeTool);
else { console.error(`bench: analyze not measured: ${analyzeStatus}`); notes.push(`analyze not measured: ${analyzeStatus}`); }
const tsharkArgs = (f) => ['-r', f, '-d', 'udp.port==8472,vxlan', '-q', '-z', 'conv,tcp'];
if (tsharkPath) tools.push({ id: 'tshark', label: 'tshark -r FILE -d udp.port==8472,vxlan -q -z conv,tcp', cmd: tsharkPath, args: tsharkArgs, stdoutFile: (f) => path.join(OUT, `tshark-conv-${path.basename(f, '.pcap')}.txt`) });
else { notes.push(opt.skipTshark ? 'tshark skipped (--skip-tshark)' : 'tshark not found'); }

// ---------------------------------------------------------------- wait for a quiet machine (optional)
if (opt.waitQuiet > 0) {
  const until = Date.now() + opt.waitQuiet * 1000;
  while (os.loadavg()[0] > 1.0 && Date.now() < until) {
    console.log(`bench: load average ${os.loadavg()[0].toFixed(2)} > 1.0, waiting (up to ${Math.round((until - Date.now()) / 1000)} s more)`);
    await new Promise((res) => setTimeout(res, 10_000));
  }
}

// ---------------------------------------------------------------- warm-up
for (const f of [big.file, small.file]) measure(process.execPath, ['bench/walk.mjs', '--impl', 'bare', f]);

// ---------------------------------------------------------------- the big file gzipped (issue #16)
let gzipResult = null;
if ((opt.gzip || opt.gzipOnly) && tools.includes(analyzeTool)) {
  gzipResult = await benchGzip({ measure, analyzeTool, file: big.file, truth: big.truth, reps: opt.reps, root: ROOT });
  if (opt.gzipOnly) {
    const out = { date: new Date().toISOString(), gitHead: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']), loadAverage: { start: loadAtStart, end: os.loadavg() }, target: gzipTarget(gzipResult), gzip: gzipResult };
    fs.writeFileSync(path.join(OUT, 'gzip-only.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(['', ...gzipMarkdown(gzipResult), `target: ${out.target.what}: ${out.target.measured} ${out.target.unit}: ${out.target.verdict}`].join('\n'));
    console.log(`bench: wrote ${rel(path.join(OUT, 'gzip-only.json'))}`);
    process.exit(0);
  }
}

// ---------------------------------------------------------------- display filter vs decode pass (issue #15)
let filterResult = null;
if (opt.filter || opt.filterOnly) {
  filterResult = await benchFilter({ file: big.file, reps: opt.reps, root: ROOT, timeoutS: opt.timeout });
  if (opt.filterOnly) {
    const out = { date: new Date().toISOString(), gitHead: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']), loadAverage: { start: loadAtStart, end: os.loadavg() }, target: filterTarget(filterResult), filter: filterResult };
    fs.writeFileSync(path.join(OUT, 'filter-only.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(['', ...filterMarkdown(filterResult), `target: ${out.target.what}: ${out.target.measured} ${out.target.unit}: ${out.target.verdict}`].join('\n'));
    console.log(`bench: wrote ${rel(path.join(OUT, 'filter-only.json'))}`);
    process.exit(0);
  }
}

// ---------------------------------------------------------------- Parquet export (issue #17)
let parquetResult = null;
if ((opt.parquet || opt.parquetOnly) && tools.includes(analyzeTool)) {
  parquetResult = benchParquet({ measure, analyzeTool, bin: binPath, file: big.file, reps: opt.reps, outDir: OUT, root: ROOT });
  if (opt.parquetOnly) {
    const out = { date: new Date().toISOString(), gitHead: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']), loadAverage: { start: loadAtStart, end: os.loadavg() }, targets: parquetTargets(parquetResult), parquet: parquetResult };
    fs.writeFileSync(path.join(OUT, 'parquet-only.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(['', ...parquetMarkdown(parquetResult), ...out.targets.map((t) => `target: ${t.what}: ${t.measured} ${t.unit}: ${t.verdict}`)].join('\n'));
    console.log(`bench: wrote ${rel(path.join(OUT, 'parquet-only.json'))}`);
    process.exit(0);
  }
}

// ---------------------------------------------------------------- threads (issue #18)
let threadsResult = null;
if ((opt.threads || opt.threadsOnly) && tools.includes(analyzeTool)) {
  const session = ensureSession(OUT, opt.bigPackets, opt.seed);
  const halves = ensureHalves(OUT, big.file, opt.bigPackets);
  for (const f of [...session.files, ...(halves ?? [])]) measure(process.execPath, ['bench/walk.mjs', '--impl', 'bare', f]);
  threadsResult = benchThreads({ measure, bin: binPath, big: big.file, session, halves, reps: opt.reps, outDir: OUT, root: ROOT });
  if (opt.threadsOnly) {
    const out = { date: new Date().toISOString(), gitHead: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']), targets: threadsTargets(threadsResult), threads: threadsResult };
    fs.writeFileSync(path.join(OUT, 'threads-only.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(['', ...threadsMarkdown(threadsResult), ...out.targets.map((t) => `target: ${t.what}: ${t.measured} ${t.unit}: ${t.verdict}`)].join('\n'));
    console.log(`bench: wrote ${rel(path.join(OUT, 'threads-only.json'))}`);
    process.exit(0);
  }
}

// ---------------------------------------------------------------- timed runs
const files = [
  { key: 'big', file: big.file, truth: big.truth },
  { key: 'small', file: small.file, truth: small.truth },
  { key: 'empty', file: emptyFile, truth: { packets: 0, bytes: { file: 24 } } },
];
const runs = {}; // runs[fileKey][toolId] = [run...]
for (const fx of files) {
  runs[fx.key] = {};
  for (const t of tools) runs[fx.key][t.id] = [];
  // The small and header-only files take seconds: give them 3x the repetitions (less noise in
  // the start-up baseline and the linearity figure).
  const reps = fx.key === 'big' ? opt.reps : opt.reps * 3;
  for (let rep = 1; rep <= reps; rep++) {
    for (const t of tools) {
      const m = measure(t.cmd, t.args(fx.file), { captureStdout: !!t.capture, stdoutFile: t.stdoutFile ? t.stdoutFile(fx.file) : null });
      const run = { rep, wallS: r3(m.wallS, 4), timeWallS: m.timeWallS, rssKB: m.rssKB, exit: m.exit };
      if (m.exit !== 0) run.error = m.stderrTail.trim().split('\n').slice(-3).join(' | ');
      if (t.capture && m.stdout) {
        try { const j = JSON.parse(m.stdout.trim().split('\n').pop()); run.records = j.records; run.innerMs = r3(j.ms, 1); if (j.flows != null) run.flows = j.flows; } catch { /* ignore */ }
      }
      runs[fx.key][t.id].push(run);
      console.log(`  ${fx.key.padEnd(5)} rep ${rep} ${t.id.padEnd(7)} ${fmt(m.wallS, 3).padStart(8)} s  ${m.rssKB == null ? '   n/a' : String(Math.round(m.rssKB / 1024)).padStart(6)} MiB${m.exit !== 0 ? `  exit ${m.exit}` : ''}`);
    }
  }
}

// ---------------------------------------------------------------- statistics
const stats = {};
for (const fx of files) {
  stats[fx.key] = {};
  for (const t of tools) {
    const ok = runs[fx.key][t.id].filter((r) => r.exit === 0);
    const wall = median(ok.map((r) => r.wallS));
    const rss = ok.map((r) => r.rssKB).filter((x) => x != null);
    stats[fx.key][t.id] = {
      runsOk: ok.length, runs: runs[fx.key][t.id].length,
      medianWallS: r3(wall, 4), minWallS: r3(Math.min(...ok.map((r) => r.wallS)), 4), maxWallS: r3(Math.max(...ok.map((r) => r.wallS)), 4),
      peakRssMB: rss.length ? r3(Math.max(...rss) * 1024 / 1e6, 1) : null,
      medianRssMB: rss.length ? r3(median(rss) * 1024 / 1e6, 1) : null,
      usPerPacket: wall != null && fx.truth.packets ? r3(wall * 1e6 / fx.truth.packets, 4) : null,
      mbPerS: wall != null && fx.truth.packets ? r3(fx.truth.bytes.file / 1e6 / wall, 1) : null,
    };
  }
}
// Start-up-corrected per-packet cost (empty-capture median subtracted).
for (const key of ['big', 'small']) {
  for (const t of tools) {
    const s = stats[key][t.id], e = stats.empty[t.id];
    const pk = files.find((f) => f.key === key).truth.packets;
    s.startupS = e?.medianWallS ?? null;
    s.usPerPacketCorrected = s.medianWallS != null && e?.medianWallS != null ? r3((s.medianWallS - e.medianWallS) * 1e6 / pk, 4) : null;
  }
}
const pairedRatio = (key, num, den) => {
  const a = runs[key]?.[num], b = runs[key]?.[den];
  if (!a || !b) return null;
  const rs = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i].exit === 0 && b[i].exit === 0) rs.push(a[i].wallS / b[i].wallS);
  return rs.length ? { medianOfPaired: r3(median(rs), 2), perRep: rs.map((x) => r3(x, 2)), ratioOfMedians: r3(stats[key][num].medianWallS / stats[key][den].medianWallS, 2) } : null;
};
const ratios = {};
for (const key of ['big', 'small']) {
  ratios[key] = {
    tsharkOverAnalyze: pairedRatio(key, 'tshark', 'analyze'),
    analyzeOverBare: pairedRatio(key, 'analyze', 'bare'),
    readerOverBare: pairedRatio(key, 'reader', 'bare'),
    floorOverBare: pairedRatio(key, 'floor', 'bare'),
    analyzeOverFloor: pairedRatio(key, 'analyze', 'floor'),
    tsharkOverBare: pairedRatio(key, 'tshark', 'bare'),
  };
}
const linearity = {};
for (const t of tools) {
  const b = stats.big[t.id].usPerPacketCorrected, s = stats.small[t.id].usPerPacketCorrected;
  linearity[t.id] = {
    usPerPacketBig: b, usPerPacketSmall: s,
    smallOverBig: b && s ? r3(s / b, 2) : null,
    // What the small file costs beyond N_small x the big file's per-packet cost: a fixed cost the
    // header-only run does not pay (JIT warm-up of the packet path, lazily built tables), in ms.
    extraFixedMsSmall: b != null && s != null ? r3((s - b) * opt.smallPackets / 1000, 1) : null,
    rawUsPerPacketBig: stats.big[t.id].usPerPacket, rawUsPerPacketSmall: stats.small[t.id].usPerPacket,
  };
}

const bigAnalyzeRuns = runs.big.analyze ?? [];
const analyzeNeverFinished = bigAnalyzeRuns.length > 0 && bigAnalyzeRuns.every((x) => x.exit !== 0);
const verdict = (measured, pass) => (measured == null
  ? (analyzeNeverFinished ? `FAIL: analyze did not complete on the big file (${bigAnalyzeRuns[0].exit})` : 'not measured')
  : pass ? 'PASS' : 'FAIL');
const an = stats.big.analyze;
const tOverA = ratios.big.tsharkOverAnalyze?.medianOfPaired ?? null;
const aOverB = ratios.big.analyzeOverBare?.medianOfPaired ?? null;
const lin = linearity.analyze?.smallOverBig ?? null;
const targets = [
  { id: 'tshark-speedup', what: `analyze >= ${TARGETS.tsharkOverAnalyzeMin}x faster than \`tshark -r FILE -d udp.port==8472,vxlan -q -z conv,tcp\` (big file, median of paired ratios)`, measured: tOverA, unit: 'x', verdict: verdict(tOverA, tOverA >= TARGETS.tsharkOverAnalyzeMin) },
  { id: 'bare-walk', what: `analyze within ${TARGETS.analyzeOverBareMax}x of the bare record walk (big file, median of paired ratios)`, measured: aOverB, unit: 'x', verdict: verdict(aOverB, aOverB <= TARGETS.analyzeOverBareMax) },
  { id: 'peak-rss', what: `analyze peak RSS <= ${TARGETS.analyzePeakRssMaxMB} MB (max over the big-file runs)`, measured: an?.peakRssMB ?? null, unit: 'MB', verdict: verdict(an?.peakRssMB ?? null, (an?.peakRssMB ?? Infinity) <= TARGETS.analyzePeakRssMaxMB) },
  { id: 'linearity', what: `analyze per-packet cost (start-up subtracted) on ${opt.smallPackets} packets within ${TARGETS.linearityTolerance}x of the big file's (ratio small/big in [${r3(1 / TARGETS.linearityTolerance, 2)}, ${TARGETS.linearityTolerance}])`, measured: lin, unit: 'small/big', verdict: verdict(lin, lin >= 1 / TARGETS.linearityTolerance && lin <= TARGETS.linearityTolerance) },
];
if (gzipResult) targets.push(gzipTarget(gzipResult));
if (parquetResult) targets.push(...parquetTargets(parquetResult));
if (threadsResult) targets.push(...threadsTargets(threadsResult));
if (filterResult) targets.push(filterTarget(filterResult));

// ---------------------------------------------------------------- cross-checks against the truth file
const checks = [];
for (const fx of files.slice(0, 2)) {
  for (const id of ['bare', 'reader', 'floor']) {
    const r = runs[fx.key][id]?.find((x) => x.records != null);
    if (r) checks.push({ file: fx.key, check: `${id} records == truth packets`, expected: fx.truth.packets, got: r.records, ok: r.records === fx.truth.packets });
  }
  if (tsharkPath) {
    const out = path.join(OUT, `tshark-conv-${path.basename(fx.file, '.pcap')}.txt`);
    if (fs.existsSync(out)) {
      const rows = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('<->')).length;
      checks.push({ file: fx.key, check: 'tshark conv,tcp rows == truth tcpConversations.total', expected: fx.truth.tcpConversations.total, got: rows, ok: rows === fx.truth.tcpConversations.total });
    }
  }
  if (tools.includes(analyzeTool) && fs.existsSync(analyzeOut(fx.file))) {
    // Best effort: the report format is owned by the CLI (schema overlayscope.analysis/v1 when
    // this was written); a field that is not there is skipped, not failed.
    try {
      const j = JSON.parse(fs.readFileSync(analyzeOut(fx.file), 'utf8'));
      const get = (o, p) => p.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o);
      const t = fx.truth;
      const want = [
        ['packets', t.packets, 'truth packets'],
        ['captures.0.packets', t.packets, 'truth packets'],
        ['captures.0.fileSize', t.bytes.file, 'truth bytes.file'],
        ['protocols.vxlan', t.vxlanPackets.total, 'truth vxlanPackets.total'],
        ['protocols.tcp', t.tcpPackets.depth0 + t.tcpPackets.depth1, 'truth tcpPackets depth0+depth1'],
        ['protocols.dns', t.dnsQueries + t.dnsResponses, 'truth dnsQueries+dnsResponses'],
      ];
      let any = false;
      for (const [p, expected, what] of want) {
        const got = get(j, p);
        if (typeof got !== 'number') continue;
        any = true;
        checks.push({ file: fx.key, check: `analyze report ${p} == ${what}`, expected, got, ok: got === expected });
      }
      if (!any) checks.push({ file: fx.key, check: 'analyze report has known count fields', expected: 'packets, protocols.*', got: 'none found', ok: null });
      // The floor's flow table must hold the flows analyze finds, or it is not the same work.
      const fl = runs[fx.key].floor?.find((x) => x.flows != null);
      if (fl && Array.isArray(j.flows)) checks.push({ file: fx.key, check: 'floor flows == analyze flows', expected: j.flows.length, got: fl.flows, ok: fl.flows === j.flows.length });
    } catch (e) {
      checks.push({ file: fx.key, check: 'analyze --out is JSON', expected: 'JSON', got: String(e.message).slice(0, 120), ok: false });
    }
  }
}

// ---------------------------------------------------------------- machine and report
const cpus = os.cpus();
const gitHead = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
const machine = {
  node: process.version, v8: process.versions.v8,
  cpuModel: cpus[0]?.model ?? null, cpus: cpus.length, totalMemGiB: r3(os.totalmem() / 2 ** 30, 1),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  tshark: tsharkPath ? (sh(tsharkPath, ['--version']) ?? '').split('\n')[0].replace(/\.$/, '') : null,
  time: TIME ? '/usr/bin/time -f "%e %M" (GNU time; %M = peak RSS, KiB)' : null,
  loadAverage: { start: loadAtStart, end: os.loadavg().map((x) => Number(x.toFixed(2))) },
};
const srcDirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'scripts', 'bin']);
const results = {
  date: new Date().toISOString(),
  gitHead,
  uncommittedEngineFiles: srcDirty == null ? null : srcDirty.split('\n').filter(Boolean).length,
  cli: cliInfo,
  command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine,
  options: opt,
  cache: 'warm: each file walked once, untimed, before the timed runs; 24 GiB RAM holds the files in the page cache',
  inputs: [big, small].map((c) => ({
    file: rel(c.file), packets: c.truth.packets, bytes: c.truth.bytes.file, seed: opt.seed, generatorVersion: GEN_VERSION,
    generator: genInfo(c),
    truth: { connections: c.truth.connections.total, httpRequests: c.truth.httpRequests.total, dnsQueries: c.truth.dnsQueries, vxlan8472: c.truth.vxlanPackets.udp8472, vxlan4789: c.truth.vxlanPackets.udp4789, tcpConversations: c.truth.tcpConversations },
  })),
  tools: tools.map((t) => ({ id: t.id, command: t.label })),
  targets, stats, ratios, linearity, checks, notes, runs,
  ...(gzipResult ? { gzip: gzipResult } : {}),
  ...(parquetResult ? { parquet: parquetResult } : {}),
  ...(threadsResult ? { threads: threadsResult } : {}),
  ...(filterResult ? { filter: filterResult } : {}),
};

const lines = [];
const L = (s = '') => lines.push(s);
L('# OverlayScope benchmark results');
L();
L(`Generated by \`npm run bench\` (\`${results.command}\`) on ${results.date.slice(0, 10)} at git ${gitHead ?? 'n/a'}${results.uncommittedEngineFiles ? ` with ${results.uncommittedEngineFiles} uncommitted files under src/, scripts/, bin/` : ''}. Do not edit by hand.`);
L();
if (cliInfo) L(`CLI bundle measured: dist/cli.js ${cliInfo.bytes} bytes, built ${cliInfo.mtime}, sha256 ${cliInfo.sha256.slice(0, 16)}…${cliInfo.snapshot ? ` (run from the snapshot \`${cliInfo.snapshot}\`, so every repetition timed the same build)` : ''}.`);
L();
L(`Machine: ${machine.cpuModel} (${machine.cpus} cores), ${machine.totalMemGiB} GiB RAM, ${machine.os}, Node ${machine.node}${machine.tshark ? `, ${machine.tshark}` : ''}. Load average (1/5/15 min) at start ${machine.loadAverage.start.join('/')}, at end ${machine.loadAverage.end.join('/')}${Math.max(...machine.loadAverage.start, ...machine.loadAverage.end) > 1.2 ? ' — **other work was running on this 2-core machine; expect noise (compare paired ratios, not single runs)**' : ''}.`);
L(`Method: ${opt.reps} repetitions on the big file, ${opt.reps * 3} on the small and header-only files${opt.nice ? ` (timed children run under \`nice -n ${opt.nice}\`${AUTOGROUP ? ', each in its own session/autogroup with the same nice' : ''})` : ''}, tools interleaved (${tools.map((t) => t.id).join(', ')}, then again), each a separate child process; wall time by hrtime around the child, peak RSS by GNU time \`%M\`. ${results.cache}. Per-packet "corrected" costs subtract the tool's median time on a header-only pcap (start-up).`);
L();
L('## Inputs');
L();
L('| file | packets | bytes | generator | connections | HTTP requests | DNS queries | VXLAN 8472 / 4789 | TCP conversations (depth 0 / 1) |');
L('|---|---:|---:|---|---:|---:|---:|---|---|');
for (const i of results.inputs) {
  L(`| \`${i.file}\` | ${i.packets.toLocaleString('en-US')} | ${i.bytes.toLocaleString('en-US')} | ${i.generator.seconds != null ? `${i.generator.seconds} s (${i.generator.measured})` : i.generator.measured} | ${i.truth.connections} | ${i.truth.httpRequests} | ${i.truth.dnsQueries} | ${i.truth.vxlan8472} / ${i.truth.vxlan4789} | ${i.truth.tcpConversations.depth0} / ${i.truth.tcpConversations.depth1} |`);
}
L();
L('## Targets');
L();
L('| target | measured | verdict |');
L('|---|---:|---|');
for (const t of targets) L(`| ${t.what} | ${t.measured == null ? 'n/a' : `${t.measured} ${t.unit}`} | **${t.verdict}** |`);
L();
for (const key of ['big', 'small', 'empty']) {
  const fx = files.find((f) => f.key === key);
  L(`## ${key === 'big' ? 'Big file' : key === 'small' ? 'Small file' : 'Header-only file (start-up cost)'}: \`${rel(fx.file)}\` (${fx.truth.packets.toLocaleString('en-US')} packets)`);
  L();
  L('| tool | median wall s | min–max s | peak RSS MB | µs/packet | µs/packet, start-up subtracted | MB/s |');
  L('|---|---:|---:|---:|---:|---:|---:|');
  for (const t of tools) {
    const s = stats[key][t.id];
    L(`| ${t.id}: \`${t.label}\` | ${fmt(s.medianWallS, 3)} | ${fmt(s.minWallS, 3)}–${fmt(s.maxWallS, 3)} | ${fmt(s.peakRssMB, 1)} | ${fmt(s.usPerPacket, 3)} | ${fmt(s.usPerPacketCorrected, 3)} | ${fmt(s.mbPerS, 0)} |`);
  }
  if (key !== 'empty') {
    const rr = ratios[key];
    const show = (name, r) => (r ? `${name}: ${r.medianOfPaired}× (paired per rep ${r.perRep.join(', ')}; ratio of medians ${r.ratioOfMedians}×)` : `${name}: n/a`);
    L();
    L(`- ${show('tshark / analyze', rr.tsharkOverAnalyze)}`);
    L(`- ${show('analyze / bare walk', rr.analyzeOverBare)}`);
    L(`- ${show('reader / bare walk', rr.readerOverBare)}`);
    if (rr.floorOverBare) L(`- ${show('floor / bare walk', rr.floorOverBare)}`);
    if (rr.analyzeOverFloor) L(`- ${show('analyze / floor', rr.analyzeOverFloor)}`);
    L(`- ${show('tshark / bare walk', rr.tsharkOverBare)}`);
  }
  L();
}
if (gzipResult) for (const l of gzipMarkdown(gzipResult)) L(l);
if (parquetResult) for (const l of parquetMarkdown(parquetResult)) L(l);
if (threadsResult) for (const l of threadsMarkdown(threadsResult, { tsharkBigS: stats.big.tshark?.medianWallS ?? null, floorBigS: stats.big.floor?.medianWallS ?? null })) L(l);
if (filterResult) for (const l of filterMarkdown(filterResult)) L(l);
L('## Linearity (start-up-subtracted µs per packet)');
L();
L(`| tool | ${opt.smallPackets.toLocaleString('en-US')} packets | ${opt.bigPackets.toLocaleString('en-US')} packets | small / big | small-file fixed cost beyond start-up, ms |`);
L('|---|---:|---:|---:|---:|');
for (const t of tools) { const l = linearity[t.id]; L(`| ${t.id} | ${fmt(l.usPerPacketSmall, 3)} | ${fmt(l.usPerPacketBig, 3)} | ${fmt(l.smallOverBig, 2)} | ${fmt(l.extraFixedMsSmall, 1)} |`); }
L();
L(`Reading it: small/big well above 1 means a fixed cost the header-only run does not pay (JIT warm-up of the packet path, tables built on first use), shown in the last column; it is spread over ${opt.smallPackets.toLocaleString('en-US')} packets on the small file and over ${opt.bigPackets.toLocaleString('en-US')} on the big one. Small/big well below 1 means the per-packet cost grows with the file (superlinear: maps that grow, GC pressure, copying). The target is two-sided, tolerance ${TARGETS.linearityTolerance}×.`);
L();
L('## Cross-checks against the generator\'s truth file');
L();
for (const c of checks) L(`- ${c.file}: ${c.check}: expected ${c.expected}, got ${c.got} — ${c.ok === true ? 'ok' : c.ok === false ? '**MISMATCH**' : 'skipped'}`);
if (!checks.length) L('- none');
L();
if (notes.length) { L('## Notes'); L(); for (const n of notes) L(`- ${n}`); L(); }
L('Raw per-run figures are in `bench/results.json` (`runs`).');
const md = lines.join('\n') + '\n';

console.log('\n' + md);
if (opt.write) {
  fs.writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(ROOT, 'bench/RESULTS.md'), md);
  console.log(`bench: wrote ${rel(resultsPath)} and bench/RESULTS.md`);
}
