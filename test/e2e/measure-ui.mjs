// Measures the browser build on a big capture (not part of npm test: it needs
// a ~1 GB file, e.g. node bench/gen-overlay.mjs --out bench/out/ui-1m.pcap
// --packets 1250000). Opens FILE through the file input (Chromium reads it
// from disk, as when a user picks it) and reports:
// - time to first counts (the live packet count in the progress bar), time
//   to the full summary, frame gaps and long tasks on the UI thread until the
//   overview's charts are drawn;
// - scrolling the TABLE (flows when the engine serves them, else packets):
//   600 frames of steady scrolling (120 px a frame, a fast wheel), 100 frames
//   of jumps to random rows (dragging the scrollbar), frame times, the share
//   of rows in view still loading when painted, main-thread script/style/
//   layout per frame (Chromium's counters), and how long the rows take to
//   fill after 20 jumps that wait.
// The machine's load skews every figure: note `uptime`, run it several times.
//   npm run build:web && node test/e2e/measure-ui.mjs FILE [--table flows|packets] [--trace] [--profile]
// WEB_DIR=dir serves another build (to compare two builds on the same engine).
// --trace records Chromium traces (test-artifacts/load-trace.json,
// scroll-trace-*.json) and prints the longest UI task while loading and where
// the scrolling time went; --profile prints CPU profiles (self time by function).
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, statSync } from 'node:fs';
import { startWebServer } from '../../scripts/web-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const file = process.argv[2];
const tableArg = process.argv.includes('--table') ? process.argv[process.argv.indexOf('--table') + 1] : null;
const trace = process.argv.includes('--trace');
const profile = process.argv.includes('--profile');
if (!file) { console.error('usage: node test/e2e/measure-ui.mjs FILE [--table flows|packets]'); process.exit(2); }

const srv = await startWebServer({ webDir: process.env.WEB_DIR ?? path.join(root, 'dist-web'), labDir: path.join(root, 'fixtures/lab'), port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
/** The longest task on the UI thread in a trace, and what took its time (events inside it by name). */
function longestTask(file) {
  const events = JSON.parse(readFileSync(file, 'utf8')).traceEvents;
  const main = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const onMain = events.filter((e) => e.ph === 'X' && main.has(`${e.pid}:${e.tid}`) && e.dur);
  const task = onMain.filter((e) => e.name === 'RunTask').sort((a, b) => b.dur - a.dur)[0];
  if (!task) return;
  const inside = new Map();
  for (const e of onMain) {
    if (e === task || e.ts < task.ts || e.ts + e.dur > task.ts + task.dur) continue;
    const k = e.name === 'FunctionCall' ? `FunctionCall ${e.args?.data?.functionName ?? ''} ${(e.args?.data?.url ?? '').split('/').pop()}` : e.name === 'EventDispatch' ? `EventDispatch ${e.args?.data?.type}` : e.name;
    inside.set(k, (inside.get(k) ?? 0) + e.dur / 1000);
  }
  console.log(`longest UI task while loading: ${(task.dur / 1000).toFixed(0)} ms; inside it (nested times overlap): ` + [...inside].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', '));
  return { from: task.ts, to: task.ts + task.dur };
}

/** Self time by function over a CPU profile: where the UI thread's script time went. */
function printProfile(name, p, window = null) {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const stacks = new Map();
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window.from || t > window.to)) return;
    if (window) {
      // Inclusive time of each function on the stack.
      const seen = new Set();
      for (let n = id; n != null; n = parent.get(n)) {
        const f = nodes.get(n).callFrame;
        const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
        if (seen.has(k)) continue;
        seen.add(k);
        stacks.set(k, (stacks.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
      }
    }
    const f = nodes.get(id).callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  if (window) console.log(`CPU profile, ${name}, inclusive:\n` + [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`).join('\n'));
  console.log(`CPU profile, ${name}:\n` + [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`).join('\n'));
}
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
  const loadCdp = profile ? await page.context().newCDPSession(page) : null;
  if (loadCdp) { await loadCdp.send('Profiler.enable'); await loadCdp.send('Profiler.setSamplingInterval', { interval: 500 }); await loadCdp.send('Profiler.start'); }
  const loadTrace = path.join(root, 'test-artifacts', 'load-trace.json');
  if (trace) await browser.startTracing(page, { path: loadTrace, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'v8'] });
  const t0 = await page.evaluate(() => (window.__m.t0 = performance.now()));
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForSelector('[data-testid=total-packets]', { timeout: 600_000 });
  const done = await page.evaluate(() => performance.now());
  // Keep watching until the overview's charts are drawn too (they may come after the numbers).
  await page.waitForSelector('[data-testid=chart-timeline] svg', { timeout: 60_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
  const load = await page.evaluate((d) => { const m = window.__m; m.running = false; return { ...m, done: d }; }, done);
  const packets = await page.textContent('[data-testid=total-packets]');
  const loadProfile = loadCdp ? (await loadCdp.send('Profiler.stop')).profile : null;
  if (loadProfile) printProfile('load', loadProfile);
  if (trace) {
    await browser.stopTracing();
    const task = longestTask(loadTrace);
    if (task && loadProfile) printProfile('the longest task while loading', loadProfile, task);
  }
  const frames = load.frames.slice(1);
  console.log(`file: ${file} (${(statSync(file).size / 1e9).toFixed(2)} GB), ${packets} packets`);
  console.log(`time to first counts: ${((load.firstCounts - t0) / 1000).toFixed(2)} s; time to full summary: ${((load.done - t0) / 1000).toFixed(2)} s`);
  console.log(`UI thread while loading (until the charts are drawn): ${frames.length} frames, frame interval p50 ${pct(frames, 0.5).toFixed(1)} ms, p95 ${pct(frames, 0.95).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms; long tasks (>50 ms): ${load.longTasks.length}, longest ${Math.max(0, ...load.longTasks).toFixed(0)} ms`);
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
  const tracePath = path.join(root, 'test-artifacts', `scroll-trace-${table}.json`);
  if (trace) await browser.startTracing(page, { path: tracePath, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'cc'] });
  // What the user sees now: the rows in the visible part of the grid (rows are 26 px under a
  // 29 px sticky header: positions from aria-rowindex, no style reads; overscan rows do not
  // count). A part of the view with no row rendered at all counts as blank.
  await page.evaluate((s) => {
    const el = document.querySelector(s);
    window.__grid = el;
    window.__visible = () => {
      const top = el.scrollTop + 29, bottom = el.scrollTop + el.clientHeight;
      let n = 0, b = 0;
      for (const r of el.querySelectorAll('[role=row][aria-rowindex]')) {
        const y = 29 + (Number(r.getAttribute('aria-rowindex')) - 1) * 26;
        if (y + 26 <= top || y >= bottom) continue;
        n++;
        if (r.firstElementChild?.classList.contains('dt-placeholder')) b++;
      }
      const expected = Math.max(0, Math.ceil((bottom - top) / 26));
      return { s: Math.max(n, expected), b: b + Math.max(0, expected - n) };
    };
  }, sel);
  // Main-thread time by kind (Chromium's own counters, no tracing overhead).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  /** Scrolls for `count` frames: steady (120 px a frame, like a fast wheel) or jumps to random rows. */
  const scrollPhase = async (mode, count) => {
    if (profile) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 250 }); await cdp.send('Profiler.start'); }
    const m0 = await metrics();
    const r = await page.evaluate(async ({ mode, count }) => {
      const el = window.__grid;
      const frames = [], long = [];
      const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
      po.observe({ type: 'longtask' });
      let blank = 0, seen = 0;
      await new Promise((resolve) => {
        let n = 0, last = performance.now();
        const step = (t) => {
          frames.push(t - last); last = t;
          // What this frame shows, rendered for the scroll position set last frame.
          if (n > 0) { const v = window.__visible(); seen += v.s; blank += v.b; }
          if (mode === 'steady') el.scrollTop += 120;
          else el.scrollTop = Math.floor(Math.random() * el.scrollHeight);
          n++;
          if (n <= count) requestAnimationFrame(step); else resolve();
        };
        requestAnimationFrame(step);
      });
      po.disconnect();
      return { frames: frames.slice(1), long, blank, seen };
    }, { mode, count });
    const m1 = await metrics();
    if (profile) {
      // Self time by function over the phase: where the UI thread's script time went.
      printProfile(mode, (await cdp.send('Profiler.stop')).profile);
    }
    const d = (k) => ((m1[k] - m0[k]) * 1000 / count).toFixed(1);
    r.perFrame = `script ${d('ScriptDuration')} ms, style ${d('RecalcStyleDuration')} ms, layout ${d('LayoutDuration')} ms, all tasks ${d('TaskDuration')} ms a frame`;
    return r;
  };
  const steady = await scrollPhase('steady', 600);
  const jumps = await scrollPhase('jumps', 100);
  // Jumps that wait: how long until the rows at a new place are filled.
  const fill = await page.evaluate(async () => {
    const el = window.__grid;
    const out = [];
    for (let j = 0; j < 20; j++) {
      el.scrollTop = Math.floor(((j * 7919) % 1000) / 1000 * el.scrollHeight);
      const t0 = performance.now();
      await new Promise((resolve) => {
        const check = () => {
          if (window.__visible().b === 0) { out.push(performance.now() - t0); resolve(); }
          else if (performance.now() - t0 > 10000) { out.push(Infinity); resolve(); }
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      });
    }
    return out;
  });
  const scroll = {
    frames: [...steady.frames, ...jumps.frames], long: [...steady.long, ...jumps.long],
    blankShare: (steady.blank + jumps.blank) / Math.max(1, steady.seen + jumps.seen), steadyBlank: steady.blank / Math.max(1, steady.seen), fill,
  };
  if (trace) {
    await browser.stopTracing();
    const events = JSON.parse(readFileSync(tracePath, 'utf8')).traceEvents;
    const main = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
    const sum = new Map();
    for (const e of events) {
      if (e.ph !== 'X' || !main.has(`${e.pid}:${e.tid}`) || !e.dur) continue;
      sum.set(e.name, (sum.get(e.name) ?? 0) + e.dur / 1000);
    }
    const names = ['RunTask', 'FunctionCall', 'FireAnimationFrame', 'EventDispatch', 'TimerFire', 'v8.run', 'V8.GCScavenger', 'MajorGC', 'MinorGC', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'UpdateLayer', 'HitTest', 'ScrollLayer', 'ParseHTML', 'v8.deserialize'];
    console.log(`UI thread while scrolling (trace ${path.relative(root, tracePath)}): ` + names.filter((n) => sum.has(n)).map((n) => `${n} ${sum.get(n).toFixed(0)} ms`).join(', '));
  }
  const report = (name, f) => `${name} (${f.length} frames): p50 ${pct(f, 0.5).toFixed(1)} ms, p95 ${pct(f, 0.95).toFixed(1)} ms, p99 ${pct(f, 0.99).toFixed(1)} ms, max ${Math.max(...f).toFixed(1)} ms, frames > 50 ms: ${f.filter((x) => x > 50).length}`;
  console.log(`${table} table: ${rows} rows; long tasks while scrolling: ${scroll.long.length}; rows in view still loading when painted: ${(scroll.blankShare * 100).toFixed(1)}% (steady scroll ${(scroll.steadyBlank * 100).toFixed(1)}%); after a jump, rows filled in p50 ${pct(scroll.fill, 0.5).toFixed(0)} ms, max ${Math.max(...scroll.fill).toFixed(0)} ms`);
  console.log(`  ${report('steady scroll, 120 px a frame', steady.frames)}; ${steady.perFrame}`);
  console.log(`  ${report('jumps to random rows', jumps.frames)}; ${jumps.perFrame}`);
  await page.screenshot({ path: path.join(root, 'test-artifacts', `big-${table}.png`) });
} finally {
  await browser.close();
  await srv.close();
}
