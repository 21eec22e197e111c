// `analyze --threads 2` against `--threads 1` (issue #18, docs/decisions/0015-parallel-analysis.md):
// on the big bench file and on a session of 14 files of the same total packets (one a capture
// point, as a lab session), in pairs (1 then 2 threads) per repetition. Each run's JSON must be
// byte-identical to the 1-thread run's; OVERLAYSCOPE_TRACE_THREADS makes the CLI say which split ran
// (one file: the stage split, a flow worker; several: the capture split, a worker per share of the
// files) and when each thread finished reading (the stage costs of the scaling model).
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

/** measure: run.mjs's measure(cmd, args, opts); bin: the CLI to run; big: the big file; session: ensureSession's. */
export function benchThreads({ measure, bin, big, session, reps, outDir, root }) {
  const inputs = [
    { key: 'big', label: path.relative(root, big), files: [big] },
    { key: 'session', label: `${path.relative(root, session.dir)}/*.pcap (${session.files.length} files)`, files: session.files },
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
      };
    }
  } finally {
    if (before === undefined) delete process.env.OVERLAYSCOPE_TRACE_THREADS; else process.env.OVERLAYSCOPE_TRACE_THREADS = before;
  }
  load.end = os.loadavg().map((x) => Number(x.toFixed(2)));
  return { ...out, loadAverage: load, cores: os.cpus().length };
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

/** Markdown lines for RESULTS.md. */
export function threadsMarkdown(r) {
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
  return L;
}
