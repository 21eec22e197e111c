#!/usr/bin/env node
// The app's responsiveness with 1 vs 2 analysis threads (issue #18: "the app
// stays responsive while workers run"; decision 0015). The browser build
// (dist-web/, `npm run build:web`) in Debian's Chromium opens one generated
// capture (or a session of captures: --session DIR, the capture split with 2
// threads) through the file input, as a user does, with the "Analysis
// threads" setting at 1 and at 2 (alternating, ROUNDS pairs), and reports per
// run: the time to the full summary, the UI thread's frame intervals
// (requestAnimationFrame deltas: p50 / p95 / max) and long tasks (> 50 ms)
// from the pick until the overview's charts are drawn, the threads the
// session says it used, and the load average. The same recorder as
// test/e2e/measure-ui.mjs.
//
//   node bench/threads-ui.mjs [--packets N (300000)] [--rounds R (3)] [--file CAPTURE | --session DIR [--first K]]
//
// --session DIR opens DIR's *.pcap files together (e.g. bench/out/session14-2000000-s1,
// the 14-file session of the 2 M packets); --first K only the first K of them.
//
// Not part of `npm run bench` (a browser, minutes): run it by hand; figures in
// docs/decisions/0015-parallel-analysis.md. The machine's load skews every
// figure: it prints `uptime` before and after.
import { chromium } from 'playwright-core';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebServer } from '../scripts/web-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const packets = Number(arg('--packets', '300000'));
const rounds = Number(arg('--rounds', '3'));
if (!(Number.isInteger(packets) && packets > 0 && Number.isInteger(rounds) && rounds > 0 && rounds <= 20)) {
  console.error('usage: node bench/threads-ui.mjs [--packets N] [--rounds 1-20] [--file CAPTURE | --session DIR [--first K]]');
  process.exit(2);
}
const webDir = process.env.WEB_DIR ?? path.join(root, 'dist-web');
if (!existsSync(path.join(webDir, 'index.html'))) { console.error(`threads-ui: no browser build in ${webDir}: npm run build:web`); process.exit(1); }
let file = arg('--file', null);
const sessionDir = arg('--session', null);
let files = null;
if (sessionDir) {
  const first = Number(arg('--first', '0'));
  files = readdirSync(sessionDir).filter((f) => /\.pcap$/.test(f)).sort().map((f) => path.join(sessionDir, f));
  if (first > 0) files = files.slice(0, first);
  if (files.length < 2) { console.error(`threads-ui: ${sessionDir}: fewer than 2 captures`); process.exit(1); }
} else if (!file) {
  const out = path.join(root, 'bench', 'out');
  mkdirSync(out, { recursive: true });
  file = path.join(out, `ui-threads-${packets}.pcap`);
  if (!existsSync(file)) {
    const r = spawnSync(process.execPath, [path.join(root, 'bench', 'gen-overlay.mjs'), '--out', file, '--packets', String(packets), '--quiet'], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) { console.error(`threads-ui: gen-overlay failed: ${r.stderr}`); process.exit(1); }
  }
}
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0; };

const srv = await startWebServer({ webDir, labDir: path.join(root, 'fixtures/lab'), port: 0 });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

/** One open of FILE with the setting at `threads`, in a fresh context (fresh engine worker). */
async function once(threads) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await ctx.newPage();
    // The engine's trace: when each thread finished, the merge.
    const trace = [];
    page.on('console', (m) => { if (m.text().startsWith('overlayscope: threads')) trace.push(m.text().replace(/^overlayscope: threads: /, '')); });
    await page.addInitScript((t) => localStorage.setItem('overlayscope.analysisThreads', JSON.stringify(t)), threads);
    await page.goto(`${srv.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await page.evaluate(() => {
      const w = window;
      w.__m = { frames: [], longTasks: [], running: true };
      new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__m.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: false });
      let last = performance.now();
      const tick = (t) => { if (!w.__m.running) return; w.__m.frames.push(t - last); last = t; requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    const load = os.loadavg()[0];
    const t0 = await page.evaluate(() => performance.now());
    await page.setInputFiles('[data-testid=file-input]', files ?? file);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 900_000 });
    const done = await page.evaluate(() => performance.now());
    await page.waitForSelector('[data-testid=chart-timeline] svg', { timeout: 120_000 }).catch(() => undefined);
    await page.waitForTimeout(300);
    const m = await page.evaluate(() => { const x = window.__m; x.running = false; return x; });
    const total = await page.textContent('[data-testid=total-packets]');
    await page.click('[data-testid=settings-button]');
    const used = (await page.textContent('[data-testid=threads-used]')) ?? '';
    const frames = m.frames.slice(1);
    return {
      threads, used: used.replace(/^This session: /, ''), packets: total, seconds: (done - t0) / 1000,
      p50: pct(frames, 0.5), p95: pct(frames, 0.95), max: Math.max(0, ...frames), frames: frames.length,
      longTasks: m.longTasks.length, longest: Math.max(0, ...m.longTasks), load1: load, trace: trace.join('; '),
    };
  } finally {
    await ctx.close();
  }
}

const inputs = files ?? [file];
const what = files ? `${sessionDir}: ${files.length} captures` : file;
console.log(`threads-ui: ${what} (${(inputs.reduce((a, f) => a + statSync(f).size, 0) / 1e6).toFixed(0)} MB), ${rounds} pair(s), ${os.cpus().length} cores; ${uptime()}`);
const runs = [];
try {
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first: a pair shares the machine's load.
    for (const t of r % 2 ? [2, 1] : [1, 2]) {
      const x = await once(t);
      runs.push(x);
      console.log(`  threads ${x.threads} (used: ${x.used}): ${x.packets} packets, summary in ${x.seconds.toFixed(2)} s; frames ${x.frames}: p50 ${x.p50.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms, max ${x.max.toFixed(0)} ms; long tasks ${x.longTasks} (longest ${x.longest.toFixed(0)} ms); load1 ${x.load1.toFixed(1)}${x.trace ? `\n    ${x.trace}` : ''}`);
    }
  }
} finally {
  await browser.close();
  await srv.close();
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };
for (const t of [1, 2]) {
  const xs = runs.filter((x) => x.threads === t);
  console.log(`threads ${t}, medians of ${xs.length}: summary ${med(xs.map((x) => x.seconds)).toFixed(2)} s, frame p50 ${med(xs.map((x) => x.p50)).toFixed(1)} ms, p95 ${med(xs.map((x) => x.p95)).toFixed(1)} ms, max ${med(xs.map((x) => x.max)).toFixed(0)} ms, long tasks ${med(xs.map((x) => x.longTasks))}`);
}
console.log(`threads-ui: done; ${uptime()}`);
