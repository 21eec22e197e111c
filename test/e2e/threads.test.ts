/**
 * The "Analysis threads" setting (issue #18, decision 0015 §6–§7) in the
 * browser build, in Debian's Chromium: the header's Settings popover offers
 * Auto / 1 / 2 / 4, remembers the choice (localStorage) and applies it to the
 * next open. With 2 threads and two or more captures the engine's Web Worker
 * reads the first share of them and nested capture workers
 * (renderer/worker/capture-worker.ts) the others, merged in capture order
 * (src/host/browser/analyze-workers.ts, the capture split); one capture keeps
 * the stage split (a nested flow worker, renderer/worker/flow-worker.ts). The
 * lab's nginx-proxy set (14 per-point captures) then shows the same numbers as
 * with 1 (packets, flows, HTTP, DNS, issues, each capture, translations and
 * journeys) and the CLI's (dist/cli.js), and the session says how it ran
 * ("2 threads · capture split"). A worker that fails (its script throws)
 * leaves the session analysed on one thread with the reason, the same numbers;
 * Cancel ends the workers and keeps what the engine thread read.
 * Screenshots of the popover, light and dark, and after a Cancel: test-artifacts/settings-threads-*.png.
 * The desktop app's engine worker (electron/engine-worker.ts, built by
 * vite.electron.config.ts with analyze-worker.js beside it) runs in Node here
 * (no Electron binary): threads 1, 2 and 4 give the same summary, flows,
 * HTTP rows and overlay, on 1, 2 and 4 threads of the capture split.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CORPUS_FILES, ROOT } from '../helpers/corpus.js';
import { overlayPoints } from '../helpers/overlay-points.js';
import { ENGINE_VALIDATORS } from '../../electron/ipc-validate.js';
import { ARTIFACTS, LAB, chromiumPresent, loadFiles, pageErrors, startHarness, type Harness } from './browser.js';

const SET = path.join(LAB, 'captures', 'nginx-proxy');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const files = existsSync(SET) ? readdirSync(SET).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(SET, f)) : [];
const TEST202 = path.join(CORPUS_FILES, 'gopacket__le__test202.pcapng');
const num = (s: string | null) => Number((s ?? '').replace(/[^0-9]/g, ''));

/** Chooses `value` in the Settings popover (as a user does) and closes it. */
async function chooseThreads(page: Page, value: string): Promise<void> {
  await page.click('[data-testid=settings-button]');
  await page.selectOption('[data-testid=threads-select]', value);
  await page.keyboard.press('Escape');
}

/** What the session's popover says about the threads used ("This session: 2 threads"). */
async function threadsUsed(page: Page): Promise<string> {
  await page.click('[data-testid=settings-button]');
  const t = (await page.textContent('[data-testid=threads-used]')) ?? '';
  await page.keyboard.press('Escape');
  return t;
}

/** Everything the app shows of the session that the flows feed: overview figures, captures, overlay (translations, journeys, the first journey's diagram). */
async function shown(page: Page): Promise<{ stats: string; captures: string; overlay: string; journeys: string[] }> {
  await page.click('[data-testid=tab-overview]');
  const stats = await page.innerText('[data-testid=view-overview] .stats');
  const captures = await page.innerText('[data-testid=captures-table]');
  await page.click('[data-testid=tab-overlay]');
  await page.waitForSelector('[data-testid=journey-diagram]', { timeout: 60_000 });
  const overlay = await page.innerText('[data-testid=view-overlay]');
  const journeys = await page.$$eval('select[aria-label=Journey] option', (os) => os.map((o) => o.textContent ?? ''));
  await page.click('[data-testid=tab-overview]');
  return { stats, captures, overlay, journeys };
}

describe.skipIf(!chromiumPresent || files.length < 2)('analysis threads in the browser build', () => {
  let h: Harness;
  let cli: { packets: number; flows: number; http: number };
  let one: Awaited<ReturnType<typeof shown>>;
  beforeAll(async () => {
    h = await startHarness();
    const j = JSON.parse(execFileSync(process.execPath, [CLI, 'analyze', ...files, '--format', 'json'], { maxBuffer: 1 << 28, encoding: 'utf8' })) as { packets: number; flows: unknown[]; http: unknown[] };
    cli = { packets: j.packets, flows: j.flows.length, http: j.http.length };
  }, 120_000);
  afterAll(async () => { await h?.close(); });

  it('the setting is remembered; 2 threads (the capture split) give the same session as 1 and as the CLI, and the capture workers really ran', async () => {
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    // Auto by default: the cores (up to 4) for two or more captures of 768 MiB or more, else 1 (the hint says so).
    const cores = Math.min(4, await page.evaluate(() => navigator.hardwareConcurrency));
    await page.click('[data-testid=settings-button]');
    expect(await page.inputValue('[data-testid=threads-select]')).toBe('auto');
    expect(await page.textContent('[data-testid=threads-select] option[value=auto]')).toBe(cores > 1 ? `Auto (${cores} for 2+ captures of 768 MiB+, else 1)` : 'Auto (1)');
    expect(await page.textContent('[data-testid=threads-hint]')).toContain(`Auto uses this machine's cores, up to 4 (${cores} here), for two or more captures of 768 MiB or more in all, and 1 otherwise`);
    await page.keyboard.press('Escape');

    await chooseThreads(page, '1');
    await loadFiles(page, files);
    expect(await threadsUsed(page)).toBe('This session: 1 thread');
    one = await shown(page);

    await chooseThreads(page, '2');
    // Remembered across a reload, applied to the next open.
    await page.reload();
    await page.waitForSelector('text=Open a capture');
    expect(await page.evaluate(() => localStorage.getItem('overlayscope.analysisThreads'))).toBe('2');
    const started: string[] = [];
    page.on('worker', (w) => started.push(w.url()));
    await loadFiles(page, files);
    // The engine worker and one capture worker (the engine thread reads the first share itself); no flow worker.
    expect(started.filter((u) => u.includes('capture-worker'))).toHaveLength(1);
    expect(started.filter((u) => u.includes('flow-worker'))).toHaveLength(0);
    expect(await threadsUsed(page)).toBe('This session: 2 threads · capture split');
    const two = await shown(page);

    expect(two).toEqual(one);
    expect(num(await page.textContent('[data-testid=total-packets]'))).toBe(cli.packets);
    expect(num(await page.textContent('[data-testid=total-flows]'))).toBe(cli.flows);
    expect(one.stats).toContain(`${cli.http}\nHTTP transactions`);
    expect(one.journeys.length).toBeGreaterThanOrEqual(5);

    // 4 threads: three capture workers beside the engine thread, the same session.
    await chooseThreads(page, '4');
    await page.reload();
    await page.waitForSelector('text=Open a capture');
    started.length = 0;
    await loadFiles(page, files);
    expect(started.filter((u) => u.includes('capture-worker'))).toHaveLength(3);
    expect(await threadsUsed(page)).toBe('This session: 4 threads · capture split');
    await page.click('[data-testid=tab-overview]');
    expect(await page.innerText('[data-testid=view-overview] .stats')).toBe(one.stats);
    expect(await page.innerText('[data-testid=captures-table]')).toBe(one.captures);
    expect(pageErrors(page)).toEqual([]);

    for (const dark of [false, true]) {
      // The same popover in the dark theme (the header's toggle).
      if (dark) await page.click('button[aria-label="Toggle dark theme"]');
      await page.click('[data-testid=settings-button]');
      await page.waitForSelector('[data-testid=threads-used]');
      await page.screenshot({ path: path.join(ARTIFACTS, `settings-threads-${dark ? 'dark' : 'light'}.png`) });
      // The popover lies inside the window.
      const box = (await page.locator('[data-testid=settings-popover]').boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(1440);
      await page.keyboard.press('Escape');
    }
    await page.click('button[aria-label="Toggle dark theme"]');
  }, 240_000);

  it('the lab captures served with the app (URLs) take one thread with Auto (1.3 MB, under its bound); 2 threads on them the capture split; one capture the stage split', async () => {
    const page = await h.newPage();
    // Auto (nothing chosen): the 14 lab captures are 1.3 MB, under Auto's 768 MiB: one thread, said so.
    await page.goto(h.url);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
    expect(await threadsUsed(page)).toBe('This session: Auto: 1 thread');
    // The same URLs with 2 threads chosen: the capture split.
    await page.evaluate(() => localStorage.setItem('overlayscope.analysisThreads', '2'));
    await page.reload();
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
    expect(await threadsUsed(page)).toBe('This session: 2 threads · capture split');
    expect(num(await page.textContent('[data-testid=total-packets]'))).toBe(cli.packets);

    const single = files.find((f) => f.endsWith('node1-eth0.pcap'))!;
    const j = JSON.parse(execFileSync(process.execPath, [CLI, 'analyze', single, '--format', 'json'], { maxBuffer: 1 << 26, encoding: 'utf8' })) as { packets: number; flows: unknown[] };
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    const worker = page.waitForEvent('worker', { predicate: (w) => w.url().includes('flow-worker'), timeout: 30_000 });
    await loadFiles(page, [single]);
    await worker;
    expect(await threadsUsed(page)).toBe('This session: 2 threads · stage split');
    expect(num(await page.textContent('[data-testid=total-packets]'))).toBe(j.packets);
    expect(num(await page.textContent('[data-testid=total-flows]'))).toBe(j.flows.length);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('a capture worker that fails: the session is analysed on one thread, says why, the same numbers', async () => {
    // A second server whose capture worker script throws as it loads: a real failure of the real worker start.
    const asset = readdirSync(path.join(ROOT, 'dist-web', 'assets')).find((f) => /^capture-worker-.*\.js$/.test(f));
    expect(asset, 'the build has a capture worker bundle').toBeTruthy();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-threads-'));
    writeFileSync(path.join(dir, asset!.slice('capture-worker-'.length)), 'throw new Error("broken on purpose");\n');
    const broken = await startHarness({ '/assets/capture-worker-': dir });
    try {
      const p = await broken.newPage();
      await p.addInitScript(() => localStorage.setItem('overlayscope.analysisThreads', '2'));
      await p.goto(`${broken.url}?autoload=0`);
      await p.waitForSelector('text=Open a capture');
      await loadFiles(p, files);
      const used = await threadsUsed(p);
      expect(used).toMatch(/^This session: 1 thread \(2 asked for\) · a capture worker failed: .*broken on purpose.*; analysed on one thread$/);
      expect(await shown(p)).toEqual(one);
    } finally {
      await broken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it.skipIf(!existsSync(TEST202))('a capture whose packet times lie years apart: analysed on one thread, the note gives the refusal, the CLI\'s figures', async () => {
    // gopacket's test202 holds a record dated years after its others: its rows' times cannot be rebased exactly (decision 0015 §7).
    const pair = [files.find((f) => f.endsWith('node1-eth0.pcap'))!, TEST202];
    const j = JSON.parse(execFileSync(process.execPath, [CLI, 'analyze', ...pair, '--format', 'json'], { maxBuffer: 1 << 26, encoding: 'utf8' })) as { packets: number; flows: unknown[] };
    const page = await h.newPage();
    await page.addInitScript(() => localStorage.setItem('overlayscope.analysisThreads', '2'));
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await loadFiles(page, pair);
    expect(await threadsUsed(page)).toBe('This session: 1 thread (2 asked for) · the capture split cannot be merged exactly (gopacket__le__test202.pcapng: packet times more than 52 days apart in one capture): analysed on one thread');
    expect(num(await page.textContent('[data-testid=total-packets]'))).toBe(j.packets);
    expect(num(await page.textContent('[data-testid=total-flows]'))).toBe(j.flows.length);
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('Cancel ends the capture workers promptly; the captures read in order are kept, the rest are marked cancelled', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-threads-cancel-'));
    try {
      // Four capture points (hard links, ~330 MB to read): time to cancel.
      const points = overlayPoints(dir, 4);
      const page = await h.newPage();
      await page.addInitScript(() => localStorage.setItem('overlayscope.analysisThreads', '2'));
      await page.goto(`${h.url}?autoload=0`);
      await page.waitForSelector('text=Open a capture');
      await page.setInputFiles('[data-testid=file-input]', points);
      // Reading has begun: the live packet count grows (the engine thread reads the first share into the session itself).
      await page.waitForFunction(() => Number((document.querySelector('[data-testid=live-packets]')?.textContent ?? '').replace(/\D/g, '')) > 0, null, { timeout: 30_000, polling: 50 });
      const t0 = Date.now();
      await page.click('[data-testid=cancel]');
      await page.waitForSelector('[data-testid=total-packets]', { timeout: 30_000 });
      expect(Date.now() - t0).toBeLessThan(20_000);
      // The captures read in order (this thread's share, then the workers' as merged) are kept; not what came after them.
      const used = await threadsUsed(page);
      const m = /^This session: 2 threads · capture split · the open was cancelled: the captures read in order are kept \(([123]) of 4 captures(, in part|, the last in part)?\), not what the other threads read after them$/.exec(used);
      expect(m, used).toBeTruthy();
      const kept = Number(m![1]);
      await page.click('[data-testid=settings-button]');
      await page.screenshot({ path: path.join(ARTIFACTS, 'settings-threads-cancelled.png') });
      await page.keyboard.press('Escape');
      const rows = await page.$$eval('[data-testid=captures-table] tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      expect(rows).toHaveLength(4);
      // The captures after those kept are not complete; a capture read to its end has all its packets.
      for (const r of rows.slice(kept)) expect(r).toContain('cancelled');
      for (const r of rows.filter((x) => x.includes('complete'))) expect(r).toMatch(/100,000|100000/);
      const total = num(await page.textContent('[data-testid=total-packets]'));
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(kept * 100_000);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/** The desktop engine worker's request/response protocol (renderer/worker/protocol.ts), driven from Node. */
function engineClient(bundle: string) {
  const w = new Worker(bundle, { workerData: { labDir: LAB } });
  let id = 0;
  const pending = new Map<number, (m: { ok: boolean; result?: unknown; error?: { message: string } }) => void>();
  const progress: { packets?: number; phase?: string }[] = [];
  w.on('message', (m: { id?: number; ok: boolean; event?: string; progress?: { packets?: number; phase?: string } }) => {
    if (typeof m.id === 'number') pending.get(m.id)?.(m);
    else if (m.event === 'progress' && m.progress) progress.push(m.progress);
  });
  const call = <T>(method: string, args: unknown[]) => new Promise<T>((resolve, reject) => {
    const i = ++id;
    pending.set(i, (m) => (m.ok ? resolve(m.result as T) : reject(new Error(m.error?.message))));
    w.postMessage({ id: i, method, args });
  });
  return { call, progress, close: () => w.terminate() };
}

describe.skipIf(files.length < 2)('analysis threads in the desktop engine worker (Node, no Electron binary)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-electron-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'vite.electron.config.ts', '--logLevel', 'error', '--outDir', dir],
      { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`vite build (electron) failed:\n${r.stderr}`);
  }, 300_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('threads 1, 2 and 4: the same session; 2 and 4 ran the capture split with the worker bundled beside the engine; one capture the stage split', async () => {
    expect(existsSync(path.join(dir, 'analyze-worker.js'))).toBe(true);
    const engine = engineClient(path.join(dir, 'engine-worker.js'));
    try {
      const refs = files.map((f) => ({ kind: 'path', path: f }));
      const seen = [];
      for (const threads of [1, 2, 4]) {
        const { session: _id, threads: used, ...summary } = await engine.call<Record<string, unknown>>('openSession', [refs, { threads }]);
        const flows = await engine.call('getFlows', [{ offset: 0, limit: 10_000 }]);
        const http = await engine.call('getHttp', [{ offset: 0, limit: 10_000 }]);
        const overlay = await engine.call('getOverlay', []);
        seen.push({ used, same: { summary, flows, http, overlay } });
      }
      expect(seen.map((x) => x.used)).toEqual([
        { requested: 1, used: 1 },
        { requested: 2, used: 2, split: 'capture' },
        { requested: 4, used: 4, split: 'capture' },
      ]);
      expect(seen[1]!.same).toEqual(seen[0]!.same);
      expect(seen[2]!.same).toEqual(seen[0]!.same);
      expect((seen[0]!.same.summary as { packets: number }).packets).toBeGreaterThan(1000);
      // One capture: the stage split (a flow worker), the same as one thread.
      const single = [{ kind: 'path', path: files.find((f) => f.endsWith('node1-eth0.pcap'))! }];
      const alone = [];
      for (const threads of [1, 2]) {
        const { session: _id, threads: used, ...summary } = await engine.call<Record<string, unknown>>('openSession', [single, { threads }]);
        alone.push({ used, summary, flows: await engine.call('getFlows', [{ offset: 0, limit: 10_000 }]) });
      }
      expect(alone.map((x) => x.used)).toEqual([{ requested: 1, used: 1 }, { requested: 2, used: 2, split: 'stage' }]);
      expect(alone[1]!.summary).toEqual(alone[0]!.summary);
      expect(alone[1]!.flows).toEqual(alone[0]!.flows);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('Auto: one thread for the lab (1.3 MB), the capture split on min(cores, 4) threads for ten 83 MB captures (830 MB)', async () => {
    const gen = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-electron-auto-'));
    const engine = engineClient(path.join(dir, 'engine-worker.js'));
    try {
      const lab = await engine.call<{ threads: unknown; packets: number }>('openSession', [files.map((f) => ({ kind: 'path', path: f })), { threads: 'auto' }]);
      expect(lab.threads).toEqual({ requested: 1, used: 1, auto: true });
      const refs = overlayPoints(gen, 10).map((f) => ({ kind: 'path', path: f }));
      const cores = Math.min(4, os.availableParallelism());
      const big = await engine.call<{ threads: unknown; packets: number; captures: { complete: boolean }[] }>('openSession', [refs, { threads: 'auto' }]);
      expect(big.threads).toEqual(cores > 1 ? { requested: cores, used: cores, split: 'capture', auto: true } : { requested: 1, used: 1, auto: true });
      expect(big.packets).toBe(1_000_000);
      expect(big.captures.every((c) => c.complete)).toBe(true);
    } finally {
      await engine.close();
      rmSync(gen, { recursive: true, force: true });
    }
  }, 180_000);

  it('Cancel during the capture split stops every thread promptly: the captures read in order are kept, the rest marked cancelled', async () => {
    const gen = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-electron-cancel-'));
    const engine = engineClient(path.join(dir, 'engine-worker.js'));
    try {
      // Six capture points (hard links, ~500 MB to read, ~6 s on one thread here): time to cancel.
      const refs = overlayPoints(gen, 6).map((f) => ({ kind: 'path', path: f }));
      const open = engine.call<{ threads: { used: number; split?: string; note?: string }; packets: number }>('openSession', [refs, { threads: 2 }]);
      const t0 = Date.now();
      while (!engine.progress.some((p) => (p.packets ?? 0) > 0) && Date.now() - t0 < 30_000) await new Promise((res) => setTimeout(res, 20));
      const c0 = Date.now();
      await engine.call('cancel', []);
      const opened = await open;
      // Before this fix the capture split read on to the end of every capture (~6 s here) and kept it all.
      expect(Date.now() - c0).toBeLessThan(3_000);
      expect(opened.threads).toMatchObject({ used: 2, split: 'capture' });
      const m = /^the open was cancelled: the captures read in order are kept \(([0-5]) of 6 captures(, and the next in part)?\), not what the other threads read after them$/.exec(opened.threads.note ?? '');
      expect(m, opened.threads.note).toBeTruthy();
      const kept = Number(m![1]);
      const summary = await engine.call<{ captures: { complete: boolean; packets: number }[]; packets: number }>('getSummary', []);
      expect(summary.captures.map((c) => c.complete)).toEqual(refs.map((_, i) => i < kept));
      for (const c of summary.captures.slice(0, kept)) expect(c.packets).toBe(100_000);
      expect(summary.captures.slice(kept + 1).every((c) => c.packets === 0)).toBe(true);
      expect(summary.packets).toBeLessThan(6 * 100_000);
    } finally {
      await engine.close();
      rmSync(gen, { recursive: true, force: true });
    }
  }, 180_000);

  it('a capture worker that fails (its bundle throws): analysed on one thread, the note says why, the same session', async () => {
    // The engine bundle beside a broken analyze-worker.js: a real failure of the real worker start.
    const broken = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-electron-broken-'));
    try {
      cpSync(dir, broken, { recursive: true });
      writeFileSync(path.join(broken, 'analyze-worker.js'), 'throw new Error("broken on purpose");\n');
      const refs = files.map((f) => ({ kind: 'path', path: f }));
      const seen = [];
      for (const [bundle, threads] of [[dir, 1], [broken, 2]] as const) {
        const engine = engineClient(path.join(bundle, 'engine-worker.js'));
        try {
          const { session: _id, threads: used, ...summary } = await engine.call<Record<string, unknown>>('openSession', [refs, { threads }]);
          seen.push({ used, summary, flows: await engine.call('getFlows', [{ offset: 0, limit: 10_000 }]) });
        } finally {
          await engine.close();
        }
      }
      expect(seen[1]!.used).toMatchObject({ requested: 2, used: 1 });
      expect((seen[1]!.used as { note: string }).note).toMatch(/^a capture worker failed: .*broken on purpose.*; analysed on one thread$/);
      expect(seen[1]!.summary).toEqual(seen[0]!.summary);
      expect(seen[1]!.flows).toEqual(seen[0]!.flows);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('OpenOptions.threads over IPC', () => {
  const ref = { kind: 'path', path: '/tmp/x.pcap' };
  it('passes auto or an integer 1-64 and refuses anything else, naming the field', () => {
    expect(ENGINE_VALIDATORS.openSession([[ref], { threads: 'auto' }])).toEqual([[ref], { threads: 'auto' }]);
    expect(ENGINE_VALIDATORS.openSession([[ref], { threads: 2 }])).toEqual([[ref], { threads: 2 }]);
    expect(ENGINE_VALIDATORS.openSession([[ref], { threads: 64 }])).toEqual([[ref], { threads: 64 }]);
    for (const bad of [0, 65, 1.5, '2', 'Auto', null, -1]) {
      expect(() => ENGINE_VALIDATORS.openSession([[ref], { threads: bad }])).toThrow(/options\.threads must be an integer in 1\.\.64/);
    }
  });
});
