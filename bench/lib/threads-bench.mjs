// `analyze --threads 2` against `--threads 1` (issue #18, docs/decisions/0015-parallel-analysis.md):
// on the big bench file and on a session of 14 files of the same total packets (one a capture
// point, as a lab session), in pairs (1 then 2 threads) per repetition. Each run's JSON must be
// byte-identical to the 1-thread run's; OVERLAYSCOPE_TRACE_THREADS makes the CLI say which split ran
// (one file: the stage split, a flow worker; several: the capture split, a worker per share of the
// files) and when each thread finished reading (the stage costs of the scaling model).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate, GEN_VERSION } from '../gen-overlay.mjs';

export const SESSION_FILES = 14;
export const THREADS_SPEEDUP_MIN = 1.6;
export const THREADS_RSS_RATIO_MAX = 1.5;

/** bench/out/session14-<N>-s<seed>/point-KK.pcap: 14 generated files of ceil(N/14) packets (seeds seed+K), reused when their truth files match. */
export function ensureSession(outDir, packets, seed) {
  const dir = path.join(outDir, `session${SESSION_FILES}-${packets}-s${seed}`);
  fs.mkdirSync(dir, { recursive: true });
  const each = Math.ceil(packets / SESSION_FILES);
  const files = [];
  for (let k = 0; k < SESSION_FILES; k++) {
    const file = path.join(dir, `point-${String(k + 1).padStart(2, '0')}.pcap`);
    const tf = `${file}.truth.json`;
    let ok = false;
    try {
      const t = JSON.parse(fs.readFileSync(tf, 'utf8'));
      ok = t.version === GEN_VERSION && t.args?.packets === each && t.args?.seed === seed + k && fs.statSync(file).size === t.bytes.file;
    } catch { /* generate */ }
    if (!ok) {
      console.log(`bench: generating ${path.basename(dir)}/${path.basename(file)} (${each} packets) ...`);
      generate({ out: file, packets: each, seed: seed + k, quiet: true });
    }
    files.push(file);
  }
  return { dir, files, packetsEach: each };
}

/**
 * The big file cut in two by packet count (`editcap -F pcap -c`), for the ceiling below:
 * bench/out/halves-<name>/half-1.pcap, half-2.pcap, reused when their sizes add up to the file's.
 * null when editcap is missing.
 */
export function ensureHalves(outDir, big, packets) {
  const dir = path.join(outDir, `halves-${path.basename(big, '.pcap')}`);
  const files = [1, 2].map((k) => path.join(dir, `half-${k}.pcap`));
  const size = (f) => { try { return fs.statSync(f).size; } catch { return -1; } };
  if (files.every((f) => size(f) > 24) && size(files[0]) + size(files[1]) === size(big) + 24) return files;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`bench: cutting ${path.basename(big)} in two with editcap ...`);
  const r = spawnSync('editcap', ['-F', 'pcap', '-c', String(Math.ceil(packets / 2)), big, path.join(dir, 'half.pcap')], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) { console.log(`bench: editcap unavailable or failed (${r.error?.code ?? r.stderr?.toString().trim()}); no ceiling for the big file`); return null; }
  const made = fs.readdirSync(dir).filter((f) => f.startsWith('half_')).sort();
  if (made.length !== 2) return null;
  made.forEach((f, i) => fs.renameSync(path.join(dir, f), files[i]));
  return files;
}

/**
 * The ceiling a 2-thread run cannot beat on this machine: the input cut in two halves, each
 * analysed by its own `--threads 1` PROCESS, the two at once (`sh -c 'A & B & wait'`), with no
 * merge, no stitching across the cut and no shared heap. Its makespan against one process on the
 * whole input is the speedup two cores give this engine's work when nothing at all is serial or
 * shared; each half alone says how much running beside the other slowed it (the contention).
 */
function ceilingRep({ measure, bin, halves, outDir, key }) {
  const outs = halves.map((h, i) => path.join(outDir, `threads-${key}-half${i + 1}.json`));
  const cmd = (i) => [bin, 'analyze', ...halves[i], '--threads', '1', '--format', 'json', '--out', outs[i]];
  const alone = [0, 1].map((i) => measure(process.execPath, cmd(i)));
  const q = (xs) => xs.map((x) => `'${x.replace(/'/g, `'\\''`)}'`).join(' ');
  const both = measure('sh', ['-c', `${q([process.execPath, ...cmd(0)])} & ${q([process.execPath, ...cmd(1)])} & wait`]);
  const bad = [...alone, both].find((m) => m.exit !== 0);
  for (const o of outs) fs.rmSync(o, { force: true });
  return {
    aloneS: alone.map((m) => Number(m.wallS.toFixed(3))), bothS: Number(both.wallS.toFixed(3)),
    rssMB: Math.max(...alone.map((m) => (m.rssKB ?? 0) * 1024 / 1e6)).toFixed(1) * 1, ...(bad ? { error: String(bad.exit) } : {}),
  };
}

/** measure: run.mjs's measure(cmd, args, opts); bin: the CLI to run; big: the big file; session: ensureSession's; halves: ensureHalves' (or null). */
export function benchThreads({ measure, bin, big, session, halves, reps, outDir, root }) {
  const half = session.files.length >> 1;
  const inputs = [
    { key: 'big', label: path.relative(root, big), files: [big], halves: halves ? halves.map((h) => [h]) : null },
    { key: 'session', label: `${path.relative(root, session.dir)}/*.pcap (${session.files.length} files)`, files: session.files, halves: [session.files.slice(0, half), session.files.slice(half)] },
  ];
  const before = process.env.OVERLAYSCOPE_TRACE_THREADS;
  process.env.OVERLAYSCOPE_TRACE_THREADS = '1';
  const load = { start: os.loadavg().map((x) => Number(x.toFixed(2))) };
  const out = {};
  try {
    for (const inp of inputs) {
      const pairs = [];
      for (let rep = 1; rep <= reps; rep++) {
        const pair = { rep };
        for (const t of [1, 2]) {
          const json = path.join(outDir, `threads-${inp.key}-${t}.json`);
          const m = measure(process.execPath, [bin, 'analyze', ...inp.files, '--threads', String(t), '--format', 'json', '--out', json]);
          const stage = /main thread read in ([\d.]+) s, the flow worker finished at ([\d.]+) s, adopted in ([\d.]+) ms/.exec(m.stderrTail);
          // Since the merge overlaps the reading (decision 0015 §7): 'merged in M ms (done at D s, T ms after the last reader)'.
          const shares = /capture (?:workers|threads) finished at ([\d., ]+) s, merged in ([\d.]+) ms(?: \(done at ([\d.]+) s, ([\d.]+) ms after the last reader\))?/.exec(m.stderrTail);
          const split = /cannot be merged exactly/.test(m.stderrTail) ? 'fallback' : shares ? 'captures' : stage ? 'stage' : t > 1 ? 'none' : 'one thread';
          const done = shares ? shares[1].split(', ').map(Number) : null;
          pair[t] = {
            wallS: Number(m.wallS.toFixed(3)), rssMB: m.rssKB == null ? null : Number((m.rssKB * 1024 / 1e6).toFixed(1)), exit: m.exit,
            worker: split === 'stage' || split === 'captures', split,
            ...(stage ? { mainReadS: Number(stage[1]), workerDoneS: Number(stage[2]), adoptMs: Number(stage[3]) } : {}),
            // Capture split: each worker's end of reading (from the start of reading), the merge, and what follows (after reading + start-up).
            // mergeMs: all the merge's time; mergeTailMs: the part after the last reader finished (the rest overlapped reading).
            ...(done ? {
              workersDoneS: done, mergeMs: Number(shares[2]), ...(shares[4] ? { mergeTailMs: Number(shares[4]) } : {}),
              afterS: Number((m.wallS - (shares[3] ? Number(shares[3]) : Math.max(...done) + Number(shares[2]) / 1000)).toFixed(3)),
            } : {}),
          };
          if (m.exit !== 0) pair[t].error = m.stderrTail.trim().split('\n').slice(-2).join(' | ');
          console.log(`  threads ${inp.key.padEnd(7)} rep ${rep} --threads ${t} ${m.wallS.toFixed(3).padStart(8)} s  ${pair[t].rssMB ?? 'n/a'} MB  ${split}${stage ? `  (main read ${stage[1]} s, worker done ${stage[2]} s, adopt ${stage[3]} ms)` : ''}${done ? `  (readers done ${done.join(', ')} s, merge ${shares[2]} ms${shares[4] ? `, ${shares[4]} ms after the last reader` : ''}, after ${pair[t].afterS} s)` : ''}${m.exit !== 0 ? `  exit ${m.exit}` : ''}`);
        }
        const a = path.join(outDir, `threads-${inp.key}-1.json`), b = path.join(outDir, `threads-${inp.key}-2.json`);
        pair.identical = pair[1].exit === 0 && pair[2].exit === 0 && fs.readFileSync(a).equals(fs.readFileSync(b));
        if (inp.halves) {
          pair.ceiling = ceilingRep({ measure, bin, halves: inp.halves, outDir, key: inp.key });
          console.log(`  threads ${inp.key.padEnd(7)} rep ${rep} ceiling: halves alone ${pair.ceiling.aloneS.join(', ')} s, both at once ${pair.ceiling.bothS} s (two --threads 1 processes, no merge)${pair.ceiling.error ? `  exit ${pair.ceiling.error}` : ''}`);
        }
        pairs.push(pair);
      }
      const ok = pairs.filter((p) => p[1].exit === 0 && p[2].exit === 0);
      const med = (xs) => { const s = [...xs].sort((x, y) => x - y); return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null; };
      const peak = (t) => (ok.length ? Math.max(...ok.map((p) => p[t].rssMB)) : null);
      out[inp.key] = {
        input: inp.label, pairs,
        medianWallS: { 1: med(ok.map((p) => p[1].wallS)), 2: med(ok.map((p) => p[2].wallS)) },
        speedup: med(ok.map((p) => p[1].wallS / p[2].wallS)),
        peakRssMB: { 1: peak(1), 2: peak(2) },
        rssRatio: peak(1) && peak(2) ? Number((peak(2) / peak(1)).toFixed(2)) : null,
        identical: pairs.every((p) => p.identical), workerRan: ok.every((p) => p[2].worker),
        ...ceilingSummary(ok.filter((p) => p.ceiling && !p.ceiling.error), med),
      };
    }
  } finally {
    if (before === undefined) delete process.env.OVERLAYSCOPE_TRACE_THREADS; else process.env.OVERLAYSCOPE_TRACE_THREADS = before;
  }
  load.end = os.loadavg().map((x) => Number(x.toFixed(2)));
  return { ...out, loadAverage: load, cores: os.cpus().length };
}

/**
 * ceiling: median over reps of (1 thread on the whole) / (both halves at once); contention: median
 * of (both at once) / (the slower half alone). The 2-thread split's T(2) is the halves' makespan
 * plus its merge and the serial work after reading, so speedup <= ceiling (decision 0015 §9).
 */
function ceilingSummary(ps, med) {
  if (!ps.length) return {};
  return {
    ceiling: Number(med(ps.map((p) => p[1].wallS / p.ceiling.bothS)).toFixed(2)),
    contention: Number(med(ps.map((p) => p.ceiling.bothS / Math.max(...p.ceiling.aloneS))).toFixed(2)),
    halvesMedianS: { alone: med(ps.map((p) => Math.max(...p.ceiling.aloneS))), both: med(ps.map((p) => p.ceiling.bothS)) },
  };
}

/**
 * The scaling model for N cores from this run's stage costs (decision 0015 §4, §9): the serial part
 * s = what the 2-thread run spends outside its readers (start-up, merge tail, stitching, output:
 * its wall time minus the moment its last reader finished, counted from the start of reading);
 * the parallel part p = T(1) - s, shared by N threads each slowed by the contention c measured
 * above (two processes on two cores; with more cores than threads the GC and I/O helper threads
 * have cores to spare, so c is pessimistic there, while memory bandwidth may make it optimistic).
 * The big file's split by flow adds, per thread, the framing and header decode of the whole file
 * (dup: the floor tool's time): T(N) = s + dup + (p - dup) c / N.
 */
export function scalingModel(x, { floorS, key }) {
  const p2 = x.pairs.filter((p) => p[1].exit === 0 && p[2].exit === 0);
  if (!p2.length) return null;
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
  const outside = p2.map((p) => p[2].afterS ?? (p[2].workerDoneS != null ? p[2].wallS - p[2].workerDoneS : null)).filter((v) => v != null);
  const dup = key === 'big' ? floorS : 0;
  if (!outside.length || dup == null) return null;
  const t1 = x.medianWallS[1], serial = med(outside), par = t1 - serial, c = x.contention ?? 1;
  const rows = [2, 4, 8, 16].map((n) => ({ n, t: serial + dup + (par - dup) * c / n }));
  return { t1, serialS: serial, parallelS: par, dupS: dup, contention: c, rows: rows.map((r) => ({ ...r, speedup: t1 / r.t })), limit: t1 / (serial + dup) };
}

/** The target rows for run.mjs's table. */
export function threadsTargets(r) {
  const rows = [];
  for (const key of ['big', 'session']) {
    const x = r[key];
    if (!x) continue;
    rows.push({
      id: `threads-speedup-${key}`,
      what: `analyze --threads 2 at least ${THREADS_SPEEDUP_MIN}x faster than --threads 1 on ${x.input}, JSON byte-identical (issue #18)`,
      measured: x.speedup == null ? null : Number(x.speedup.toFixed(2)), unit: 'x',
      verdict: x.speedup == null ? 'not measured' : x.speedup >= THREADS_SPEEDUP_MIN && x.identical && x.workerRan ? 'PASS' : 'FAIL',
    });
    rows.push({
      id: `threads-rss-${key}`,
      what: `analyze --threads 2 peak RSS at most ${THREADS_RSS_RATIO_MAX}x --threads 1's on ${x.input} (issue #18)`,
      measured: x.rssRatio, unit: 'x',
      verdict: x.rssRatio == null ? 'not measured' : x.rssRatio <= THREADS_RSS_RATIO_MAX ? 'PASS' : 'FAIL',
    });
  }
  return rows;
}

/** Markdown lines for RESULTS.md. extra: { tsharkBigS, floorBigS } from the full run (absent with --threads-only: the big file's model and the tshark ratio are left out). */
export function threadsMarkdown(r, extra = {}) {
  const L = [];
  L.push(`## Threads: \`analyze --threads 2\` vs \`--threads 1\` (issue #18; ${r.cores} cores; load average ${r.loadAverage.start.join(' ')} before, ${r.loadAverage.end.join(' ')} after)`);
  L.push('');
  L.push('| input | rep | 1 thread s | peak RSS MB | 2 threads s | peak RSS MB | split | main read s | worker(s) done s | adopt / merge ms | identical |');
  L.push('|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|');
  for (const key of ['big', 'session']) {
    const x = r[key];
    if (!x) continue;
    for (const p of x.pairs) L.push(`| ${key} | ${p.rep} | ${p[1].wallS} | ${p[1].rssMB ?? 'n/a'} | ${p[2].wallS} | ${p[2].rssMB ?? 'n/a'} | ${p[2].split ?? 'n/a'} | ${p[2].mainReadS ?? 'n/a'} | ${p[2].workerDoneS ?? p[2].workersDoneS?.join(', ') ?? 'n/a'} | ${p[2].adoptMs ?? p[2].mergeMs ?? 'n/a'} | ${p.identical ? 'yes' : '**no**'} |`);
  }
  L.push('');
  for (const key of ['big', 'session']) {
    const x = r[key];
    if (x) L.push(`- ${x.input}: speedup ${x.speedup?.toFixed(2) ?? 'n/a'}× (median of pairs), peak RSS ${x.peakRssMB[2]} vs ${x.peakRssMB[1]} MB (${x.rssRatio ?? 'n/a'}×), byte-identical: ${x.identical ? 'yes' : '**no**'}, worker ran: ${x.workerRan ? 'yes' : '**no**'}`);
  }
  L.push('');
  const say = (x = '') => L.push(x);
  const withCeiling = ['big', 'session'].filter((k) => r[k]?.pairs.some((p) => p.ceiling));
  if (withCeiling.length) {
    say('### The ceiling on this machine: two independent processes, no merge');
    say();
    say('Each input cut in two (the big file by `editcap -F pcap -c`, the session into captures 1–7 and 8–14), each half analysed by its own `--threads 1` process, both at once: no merge, no stitching across the cut, nothing shared. No 2-thread split of the same work can finish sooner, so `1 thread / both at once` bounds its speedup here.');
    say();
    say('| input | rep | 1 thread s (whole) | half 1 alone s | half 2 alone s | both at once s | ceiling | 2 threads s (real split) |');
    say('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const k of withCeiling) for (const p of r[k].pairs) if (p.ceiling) say(`| ${k} | ${p.rep} | ${p[1].wallS} | ${p.ceiling.aloneS[0]} | ${p.ceiling.aloneS[1]} | ${p.ceiling.bothS} | ${(p[1].wallS / p.ceiling.bothS).toFixed(2)}× | ${p[2].wallS} |`);
    say();
    for (const k of withCeiling) if (r[k].ceiling != null) say(`- ${k}: ceiling ${r[k].ceiling}× (median of reps) against the target ${THREADS_SPEEDUP_MIN}×; two processes at once run ${r[k].contention}× as long as the slower one alone (two cores shared: each process alone keeps more than one core busy, with GC and I/O threads).`);
    say();
  }
  if (extra.tsharkBigS != null && r.big?.medianWallS?.[2]) { say(`- tshark / analyze with 2 threads (big file, medians): ${(extra.tsharkBigS / r.big.medianWallS[2]).toFixed(2)}× (1 thread: ${(extra.tsharkBigS / r.big.medianWallS[1]).toFixed(2)}×).`); say(); }
  const models = ['big', 'session'].map((k) => r[k] && [k, scalingModel(r[k], { floorS: extra.floorBigS, key: k })]).filter((m) => m && m[1]);
  if (models.length) {
    say('### Scaling model for more cores (from this run\'s stage costs)');
    say();
    say('T(N) = serial + dup + (T(1) − serial − dup) × c / N, with serial = what the 2-thread run spends outside its readers (start-up, merge tail, stitching, output), dup = what each thread repeats (the big file split by flow: the floor tool\'s framing and header decode of the whole file; the capture split: nothing), c = the contention measured above. Decision 0015 §4 and §9.');
    say();
    say('| input | T(1) s | serial s | dup s | c | 2 cores | 4 cores | 8 cores | 16 cores | limit |');
    say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [k, m] of models) say(`| ${k} | ${m.t1.toFixed(2)} | ${m.serialS.toFixed(2)} | ${m.dupS.toFixed(2)} | ${m.contention} | ${m.rows.map((x) => `${x.speedup.toFixed(2)}×`).join(' | ')} | ${m.limit.toFixed(2)}× |`);
    say();
  }
  if (extra.floorBigS == null) { say('- The big file\'s model and the tshark ratio need the full run (`npm run bench`): the floor and tshark times come from it.'); say(); }
  return L;
}
