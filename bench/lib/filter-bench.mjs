// Display-filter cost (issue #15): the big file's decode pass against the same
// pass testing a display filter on every packet (bench/filter-pass.mjs, in
// process, read time included), in pairs; target: filter <= 1.3x decode.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { bundleFilterEngine, DEFAULT_FILTER } from '../filter-pass.mjs';

export const FILTER_RATIO_TARGET = 1.3;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

function pass(root, mode, file, filter, timeoutS) {
  const r = spawnSync(process.execPath, [path.join(root, 'bench/filter-pass.mjs'), '--mode', mode, '--filter', filter, file],
    { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`filter-pass ${mode} failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** Pairs of (decode, filter) passes over `file`, `reps` times; medians and the ratio of medians. */
export async function benchFilter({ file, reps, root, filter = DEFAULT_FILTER, timeoutS = 1200 }) {
  await bundleFilterEngine();
  const pairs = [];
  for (let rep = 1; rep <= reps; rep++) {
    const decode = pass(root, 'decode', file, filter, timeoutS);
    const filtered = pass(root, 'filter', file, filter, timeoutS);
    pairs.push({ rep, decodeMs: decode.ms, filterMs: filtered.ms, decodeCpuMs: decode.cpuMs, filterCpuMs: filtered.cpuMs, packets: decode.packets, matched: filtered.matched,
      ratio: Number((filtered.cpuMs / decode.cpuMs).toFixed(3)) });
  }
  const d = median(pairs.map((p) => p.decodeMs));
  const f = median(pairs.map((p) => p.filterMs));
  const dc = median(pairs.map((p) => p.decodeCpuMs));
  const fc = median(pairs.map((p) => p.filterCpuMs));
  // The target's ratio is of CPU times (user + system): wall times on a shared machine swing by 2x run to run.
  return { file: path.relative(root, file), filter, packets: pairs[0]?.packets ?? 0, matched: pairs[0]?.matched ?? 0, pairs, decodeMs: d, filterMs: f,
    decodeCpuMs: dc, filterCpuMs: fc, wallRatio: Number((f / d).toFixed(3)), ratio: Number((fc / dc).toFixed(3)) };
}

export function filterTarget(g) {
  return {
    id: 'display-filter',
    what: `filtering the big file (${g.filter}) costs at most ${FILTER_RATIO_TARGET}x its decode pass, CPU time (issue #15)`,
    measured: g.ratio, unit: 'x decode',
    verdict: g.ratio <= FILTER_RATIO_TARGET ? 'PASS' : 'FAIL',
  };
}

/** Markdown lines for RESULTS.md. */
export function filterMarkdown(g) {
  const L = [];
  L.push(`## Display filter on the big file: \`${g.filter}\` (${g.matched.toLocaleString('en-US')} of ${g.packets.toLocaleString('en-US')} packets match)`);
  L.push('');
  L.push('| rep | decode pass ms (CPU) | filter pass ms (CPU) | CPU ratio |');
  L.push('|---:|---:|---:|---:|');
  for (const p of g.pairs) L.push(`| ${p.rep} | ${p.decodeMs} (${p.decodeCpuMs}) | ${p.filterMs} (${p.filterCpuMs}) | ${p.ratio} |`);
  L.push(`| median | ${g.decodeMs} (${g.decodeCpuMs}) | ${g.filterMs} (${g.filterCpuMs}) | **${g.ratio}** (wall ${g.wallRatio}) |`);
  L.push('');
  return L;
}
