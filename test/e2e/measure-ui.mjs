// Measures the browser build on a big capture (not part of npm test: it needs
// a ~1 GB file). Opens FILE through the file input (Chromium reads it from
// disk, as when a user picks it), records: time to first counts (the live
// packet count in the progress bar), time to the full summary, frame gaps
// and long tasks on the UI thread while loading; then scrolls the TABLE
// (flows when the engine serves them, else packets) and records frame times.
//   npm run build:web && node test/e2e/measure-ui.mjs FILE [--table flows|packets]
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';
import { startWebServer } from '../../scripts/web-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const file = process.argv[2];
const tableArg = process.argv.includes('--table') ? process.argv[process.argv.indexOf('--table') + 1] : null;
if (!file) { console.error('usage: node test/e2e/measure-ui.mjs FILE [--table flows|packets]'); process.exit(2); }

const srv = await startWebServer({ webDir: path.join(root, 'dist-web'), labDir: path.join(root, 'fixtures/lab'), port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0; };
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${srv.url}?autoload=0`);
  await page.waitForSelector('text=Open a capture');
  await page.evaluate(() => {
    const w = window;
    w.__m = { frames: [], longTasks: [], firstCounts: null, t0: 0, running: true };
    new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__m.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: false });
    let last = performance.now();
    const tick = (t) => { if (!w.__m.running) return; w.__m.frames.push(t - last); last = t; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid=live-packets]');
      if (w.__m.firstCounts == null && el && Number(el.textContent.replace(/\D/g, '')) > 0) w.__m.firstCounts = performance.now();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const t0 = await page.evaluate(() => (window.__m.t0 = performance.now()));
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForSelector('[data-testid=total-packets]', { timeout: 600_000 });
  const load = await page.evaluate(() => { const m = window.__m; m.running = false; return { ...m, done: performance.now() }; });
  const packets = await page.textContent('[data-testid=total-packets]');
  const frames = load.frames.slice(1);
  console.log(`file: ${file} (${(statSync(file).size / 1e9).toFixed(2)} GB), ${packets} packets`);
  console.log(`time to first counts: ${((load.firstCounts - t0) / 1000).toFixed(2)} s; time to full summary: ${((load.done - t0) / 1000).toFixed(2)} s`);
  console.log(`UI thread while loading: ${frames.length} frames, frame interval p50 ${pct(frames, 0.5).toFixed(1)} ms, p95 ${pct(frames, 0.95).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms; long tasks (>50 ms): ${load.longTasks.length}, longest ${Math.max(0, ...load.longTasks).toFixed(0)} ms`);
  await page.screenshot({ path: path.join(root, 'test-artifacts', 'big-overview.png') });

  // Scroll a big table.
  await page.click('[data-testid=tab-flows]');
  await page.waitForTimeout(1500);
  const flowsAvailable = (await page.locator('[data-testid=flows-table]').count()) > 0;
  const table = tableArg ?? (flowsAvailable ? 'flows' : 'packets');
  if (table === 'packets') await page.click('[data-testid=tab-packets]');
  const sel = `[data-testid=${table}-table] [role=grid]`;
  await page.waitForSelector(`${sel} [role=row][aria-rowindex="1"]`, { timeout: 60_000 });
  const rows = await page.getAttribute(sel, 'aria-rowcount');
  const scroll = await page.evaluate(async (s) => {
    const el = document.querySelector(s);
    const frames = [];
    const long = [];
    const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
    po.observe({ type: 'longtask' });
    let blank = 0, seen = 0;
    // 1) steady wheel-like scrolling: 120 px per frame for 600 frames; 2) jumps to random places.
    await new Promise((resolve) => {
      let n = 0, last = performance.now();
      const step = (t) => {
        frames.push(t - last); last = t;
        if (n < 600) el.scrollTop += 120;
        else el.scrollTop = Math.floor(Math.random() * el.scrollHeight);
        n++;
        const rowsInView = el.querySelectorAll('[role=row][aria-rowindex]');
        seen += rowsInView.length;
        blank += el.querySelectorAll('.dt-placeholder').length;
        if (n < 700) requestAnimationFrame(step); else resolve();
      };
      requestAnimationFrame(step);
    });
    po.disconnect();
    return { frames: frames.slice(1), long, blankShare: blank / Math.max(1, seen) };
  }, sel);
  const report = (name, f) => `${name} (${f.length} frames): p50 ${pct(f, 0.5).toFixed(1)} ms, p95 ${pct(f, 0.95).toFixed(1)} ms, p99 ${pct(f, 0.99).toFixed(1)} ms, max ${Math.max(...f).toFixed(1)} ms, frames > 50 ms: ${f.filter((x) => x > 50).length}`;
  console.log(`${table} table: ${rows} rows; long tasks while scrolling: ${scroll.long.length}; rows still loading when painted: ${(scroll.blankShare * 100).toFixed(1)}%`);
  console.log(`  ${report('steady scroll, 120 px a frame', scroll.frames.slice(0, 599))}`);
  console.log(`  ${report('jumps to random rows', scroll.frames.slice(599))}`);
  await page.screenshot({ path: path.join(root, 'test-artifacts', `big-${table}.png`) });
} finally {
  await browser.close();
  await srv.close();
}
