// Parquet export of the big bench file (issue #17): `analyze FILE --format
// parquet --out DIR` (flows, HTTP, DNS, translations, journeys, captures
// tables; src/export/parquet-file.ts) against `analyze FILE --format json
// --out FILE`, in pairs per repetition. Targets: the Parquet run's wall time
// within 1.5x the JSON run's (median of paired ratios), and its peak RSS
// within the JSON run's (the analysis's, JSON being streamed) + 100 MB.
import fs from 'node:fs';
import path from 'node:path';

export const PARQUET_TIME_RATIO = 1.5;
export const PARQUET_RSS_ALLOWANCE_MB = 100;

/** measure: run.mjs's measure(cmd, args); analyzeTool: its analyze tool (JSON); bin: the CLI run; reps: repetitions. */
export function benchParquet({ measure, analyzeTool, bin, file, reps, outDir, root }) {
  const dir = path.join(outDir, `parquet-${path.basename(file, '.pcap')}`);
  const pairs = [];
  const mb = (kb) => (kb == null ? null : Number((kb * 1024 / 1e6).toFixed(1)));
  for (let rep = 1; rep <= reps; rep++) {
    const pair = { rep };
    for (const [key, cmd, args] of [['json', analyzeTool.cmd, analyzeTool.args(file)], ['parquet', process.execPath, [bin, 'analyze', file, '--format', 'parquet', '--out', dir]]]) {
      const m = measure(cmd, args);
      pair[key] = { wallS: Number(m.wallS.toFixed(3)), rssMB: mb(m.rssKB), exit: m.exit };
      if (m.exit !== 0) pair[key].error = m.stderrTail.trim().split('\n').slice(-2).join(' | ');
      console.log(`  parquet rep ${rep} ${key.padEnd(7)} ${m.wallS.toFixed(3).padStart(8)} s  ${pair[key].rssMB ?? 'n/a'} MB${m.exit !== 0 ? `  exit ${m.exit}` : ''}`);
    }
    pairs.push(pair);
  }
  const ok = pairs.filter((p) => p.json.exit === 0 && p.parquet.exit === 0);
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null; };
  const files = fs.existsSync(dir) ? Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort().map((f) => [f, fs.statSync(path.join(dir, f)).size])) : {};
  return {
    file: path.relative(root, file), outDir: path.relative(root, dir), files, pairs,
    medianWallS: { json: med(ok.map((p) => p.json.wallS)), parquet: med(ok.map((p) => p.parquet.wallS)) },
    parquetOverJsonWall: med(ok.map((p) => p.parquet.wallS / p.json.wallS)),
    jsonPeakRssMB: ok.length ? Math.max(...ok.map((p) => p.json.rssMB)) : null,
    parquetPeakRssMB: ok.length ? Math.max(...ok.map((p) => p.parquet.rssMB)) : null,
  };
}

/** The target rows for run.mjs's table. */
export function parquetTargets(q) {
  const ratio = q.parquetOverJsonWall;
  const over = q.parquetPeakRssMB != null && q.jsonPeakRssMB != null ? Number((q.parquetPeakRssMB - q.jsonPeakRssMB).toFixed(1)) : null;
  return [
    { id: 'parquet-time', what: `analyze --format parquet of the big file within ${PARQUET_TIME_RATIO}x the time of --format json (median of paired ratios; issue #17)`, measured: ratio == null ? null : Number(ratio.toFixed(2)), unit: 'x', verdict: ratio == null ? 'not measured' : ratio <= PARQUET_TIME_RATIO ? 'PASS' : 'FAIL' },
    { id: 'parquet-rss', what: `analyze --format parquet of the big file: peak RSS within the JSON run's + ${PARQUET_RSS_ALLOWANCE_MB} MB (issue #17)`, measured: over, unit: 'MB over json', verdict: over == null ? 'not measured' : over <= PARQUET_RSS_ALLOWANCE_MB ? 'PASS' : 'FAIL' },
  ];
}

/** Markdown lines for RESULTS.md. */
export function parquetMarkdown(q) {
  const L = [];
  L.push(`## Parquet export of the big file: \`${q.file}\` (issue #17)`);
  L.push('');
  L.push('| rep | json s | json peak RSS MB | parquet s | parquet peak RSS MB |');
  L.push('|---:|---:|---:|---:|---:|');
  for (const p of q.pairs) L.push(`| ${p.rep} | ${p.json.wallS} | ${p.json.rssMB ?? 'n/a'} | ${p.parquet.wallS} | ${p.parquet.rssMB ?? 'n/a'} |`);
  L.push('');
  L.push(`- parquet / json wall: ${q.parquetOverJsonWall?.toFixed(2) ?? 'n/a'}× (median of pairs); peak RSS parquet ${q.parquetPeakRssMB} MB vs json ${q.jsonPeakRssMB} MB; files: ${Object.entries(q.files).map(([f, b]) => `${f} ${b.toLocaleString('en-US')} B`).join(', ')}`);
  L.push('');
  return L;
}
