// The big bench file gzipped (issue #16): does reading a .pcap.gz stream?
//
// The .gz is made once by `gzip -n -6` (Node's zlib when gzip is missing)
// next to the big file and reused while it is newer than the file. Then, in
// pairs (plain, gz) per repetition, `analyze` on the plain file and on the
// .gz: the .gz run's peak RSS must stay within the plain run's + 50 MB (the
// inflater holds its window and one push's output, never the file), and its
// JSON must count what the plain run's does. Last, bench/gzip-page.mjs times
// pages of packets read back by offset (the Packets view): the last page,
// which inflates again from the start, and pages near a kept position.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export const GZIP_RSS_ALLOWANCE_MB = 50;

/** FILE.gz beside FILE, made when missing or older than FILE. Returns { gzFile, seconds | null, bytes }. */
export async function ensureGzip(file) {
  const gzFile = `${file}.gz`;
  const fresh = fs.existsSync(gzFile) && fs.existsSync(`${gzFile}.done`) && fs.statSync(gzFile).mtimeMs >= fs.statSync(file).mtimeMs
    && fs.readFileSync(`${gzFile}.done`, 'utf8').trim() === String(fs.statSync(file).size);
  if (fresh) return { gzFile, seconds: null, bytes: fs.statSync(gzFile).size };
  console.log(`bench: gzipping ${path.basename(file)} (gzip -6) ...`);
  const t0 = process.hrtime.bigint();
  const tmp = `${gzFile}.tmp`;
  const r = spawnSync('sh', ['-c', 'command -v gzip >/dev/null && gzip -n -6 -c "$1" > "$2"', 'sh', file, tmp], { stdio: 'inherit' });
  if (r.status !== 0) await pipeline(fs.createReadStream(file), zlib.createGzip({ level: 6 }), fs.createWriteStream(tmp));
  fs.renameSync(tmp, gzFile);
  fs.writeFileSync(`${gzFile}.done`, `${fs.statSync(file).size}\n`);
  return { gzFile, seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes: fs.statSync(gzFile).size };
}

/**
 * measure: run.mjs's measure(cmd, args, opts); analyzeTool: its analyze tool; reps: repetitions.
 * Returns the figures for results.json.
 */
export async function benchGzip({ measure, analyzeTool, file, truth, reps, root }) {
  const gz = await ensureGzip(file);
  const pairs = [];
  const countsOf = (out) => {
    try {
      const j = JSON.parse(fs.readFileSync(out, 'utf8'));
      return { packets: j.packets, flows: j.flows?.length ?? null, bytes: j.captures?.[0]?.bytes ?? null, errors: (j.issues ?? []).filter((i) => i.severity === 'error').length };
    } catch (e) { return { error: String(e.message).slice(0, 120) }; }
  };
  for (let rep = 1; rep <= reps; rep++) {
    const pair = { rep };
    for (const [key, f] of [['plain', file], ['gz', gz.gzFile]]) {
      const args = analyzeTool.args(f);
      const m = measure(analyzeTool.cmd, args);
      pair[key] = { wallS: Number(m.wallS.toFixed(3)), rssMB: m.rssKB == null ? null : Number((m.rssKB * 1024 / 1e6).toFixed(1)), exit: m.exit, counts: countsOf(args[args.length - 1]) };
      if (m.exit !== 0) pair[key].error = m.stderrTail.trim().split('\n').slice(-2).join(' | ');
      console.log(`  gzip  rep ${rep} analyze ${key.padEnd(5)} ${m.wallS.toFixed(3).padStart(8)} s  ${pair[key].rssMB ?? 'n/a'} MB${m.exit !== 0 ? `  exit ${m.exit}` : ''}`);
    }
    pairs.push(pair);
  }
  const ok = pairs.filter((p) => p.plain.exit === 0 && p.gz.exit === 0);
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null; };
  const plainPeak = ok.length ? Math.max(...ok.map((p) => p.plain.rssMB)) : null;
  const gzPeak = ok.length ? Math.max(...ok.map((p) => p.gz.rssMB)) : null;
  const sameCounts = ok.every((p) => p.gz.counts.packets === truth.packets && p.gz.counts.packets === p.plain.counts.packets && p.gz.counts.flows === p.plain.counts.flows && p.gz.counts.bytes === p.plain.counts.bytes && p.gz.counts.errors === 0);
  // Pages read back by offset (bench/gzip-page.mjs), one child.
  let pages = null;
  const b = spawnSync(process.execPath, [path.join(root, 'bench/gzip-page.mjs'), '--build'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  if (b.status === 0) {
    const m = measure(process.execPath, ['bench/gzip-page.mjs', gz.gzFile], { captureStdout: true });
    try { pages = { ...JSON.parse(m.stdout.trim().split('\n').pop()), wallS: Number(m.wallS.toFixed(3)), rssMB: m.rssKB == null ? null : Number((m.rssKB * 1024 / 1e6).toFixed(1)) }; } catch { pages = { error: `exit ${m.exit}: ${m.stderrTail.trim().split('\n').slice(-2).join(' | ')}` }; }
  } else pages = { error: `bundling bench/gzip-page.mjs failed: ${String(b.stderr).slice(-300)}` };
  return {
    file: path.relative(root, gz.gzFile), bytes: gz.bytes, plainBytes: fs.statSync(file).size, gzipSeconds: gz.seconds == null ? null : Number(gz.seconds.toFixed(1)),
    pairs, plainPeakRssMB: plainPeak, gzPeakRssMB: gzPeak,
    medianWallS: { plain: med(ok.map((p) => p.plain.wallS)), gz: med(ok.map((p) => p.gz.wallS)) },
    gzOverPlainWall: med(ok.map((p) => p.gz.wallS / p.plain.wallS)),
    sameCounts, pages,
  };
}

/** The target row for run.mjs's table. */
export function gzipTarget(g) {
  const measured = g.gzPeakRssMB != null && g.plainPeakRssMB != null ? Number((g.gzPeakRssMB - g.plainPeakRssMB).toFixed(1)) : null;
  return {
    id: 'gzip-streams',
    what: `analyze of the big file as .pcap.gz: peak RSS within the plain file's + ${GZIP_RSS_ALLOWANCE_MB} MB, same packets, flows and bytes (issue #16)`,
    measured, unit: 'MB over plain',
    verdict: measured == null ? 'not measured' : measured <= GZIP_RSS_ALLOWANCE_MB && g.sameCounts ? 'PASS' : 'FAIL',
  };
}

/** Markdown lines for RESULTS.md. */
export function gzipMarkdown(g) {
  const L = [];
  L.push(`## Big file gzipped: \`${g.file}\` (${g.bytes.toLocaleString('en-US')} bytes, from ${g.plainBytes.toLocaleString('en-US')})`);
  L.push('');
  L.push('| rep | plain s | plain peak RSS MB | .gz s | .gz peak RSS MB | .gz packets / flows |');
  L.push('|---:|---:|---:|---:|---:|---|');
  for (const p of g.pairs) L.push(`| ${p.rep} | ${p.plain.wallS} | ${p.plain.rssMB ?? 'n/a'} | ${p.gz.wallS} | ${p.gz.rssMB ?? 'n/a'} | ${p.gz.counts.packets ?? 'n/a'} / ${p.gz.counts.flows ?? 'n/a'} |`);
  L.push('');
  L.push(`- peak RSS: .gz ${g.gzPeakRssMB} MB vs plain ${g.plainPeakRssMB} MB; wall: .gz / plain ${g.gzOverPlainWall?.toFixed(2) ?? 'n/a'}× (median of pairs); counts equal: ${g.sameCounts ? 'yes' : '**no**'}`);
  const pg = g.pages;
  if (pg && !pg.error) {
    L.push(`- pages of ${pg.page} packets read back by offset (bench/gzip-page.mjs; ms wall / ms CPU): the last page, inflating again from the start ${pg.pages.endFromStart.ms} / ${pg.pages.endFromStart.cpuMs}; the page after it ${pg.pages.endNext.ms} / ${pg.pages.endNext.cpuMs}; the first page ${pg.pages.firstPage.ms} / ${pg.pages.firstPage.cpuMs}; a page back from the end ${pg.pages.endAgain.ms} / ${pg.pages.endAgain.cpuMs}; 64 KiB in the middle ${pg.pages.middle64KiB.ms} / ${pg.pages.middle64KiB.cpuMs}; the stream pass (records only) ${pg.streamMs} / ${pg.streamCpuMs}; peak RSS ${pg.rssMB} MB`);
  } else if (pg) L.push(`- pages: ${pg.error}`);
  L.push('');
  return L;
}
