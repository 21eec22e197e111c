/**
 * The tables in Debian's Chromium, at 1280×720 and 1440×900, on the lab's
 * 14-point nginx-proxy set with its cluster metadata: every column of
 * Packets, Flows and HTTP sorts on a header click (aria-sort, rows in order,
 * order changed), DNS on a corpus capture that has DNS; a resized column
 * keeps its width after a reload; the Columns popover closes on Escape and
 * on an outside click; the empty detail pane is a title bar, resizable and
 * collapsible; Packets numbers frames across the session beside the
 * per-file number and shows time three ways (remembered). Screenshots of
 * Packets, Flows and HTTP at both sizes, light and dark, in test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness, loadFiles } from './browser.js';
import { checkEverySort, gotoApp, rowsInView } from './table-helpers.js';

const SCENARIO = path.join(LAB, 'captures', 'nginx-proxy');
const labPresent = (() => { try { return readdirSync(SCENARIO).some((f) => f.endsWith('.pcap')); } catch { return false; } })();
const labFiles = labPresent ? readdirSync(SCENARIO).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(SCENARIO, f)) : [];
const SIZES = [{ width: 1280, height: 720 }, { width: 1440, height: 900 }] as const;

/** The slowest HTTP response of the lab set by tshark's http.time (request to response), with its point and URI path. */
function slowestByTshark(): { point: string; uri: string; ms: number } {
  let best = { point: '', uri: '', ms: -1 };
  for (const f of labFiles) {
    const r = spawnSync('tshark', ['-r', f, '-Y', 'http.response', '-T', 'fields', '-e', 'http.time', '-e', 'http.response_for.uri'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`tshark failed on ${f}: ${r.stderr}`);
    for (const line of r.stdout.trim().split('\n')) {
      const [t, uri] = line.split('\t');
      const ms = Number(t) * 1000;
      if (ms > best.ms) best = { point: path.basename(f, '.pcap'), uri: new URL(uri!).pathname, ms };
    }
  }
  return best;
}

async function openLab(page: Page): Promise<void> {
  await loadFiles(page, [...labFiles, path.join(LAB, 'cluster.json')]);
}

async function tab(page: Page, name: string, view: string, table: string): Promise<void> {
  await page.click(`[data-testid=tab-${name}]`);
  await page.waitForSelector(`[data-testid=${view}]`, { timeout: 30_000 });
  await page.waitForSelector(`[data-testid=${table}] [role=row][aria-rowindex="1"]:not(.loading)`, { timeout: 60_000 });
}

if (!chromiumPresent) console.warn('SKIPPED: e2e tests need Chromium at /usr/bin/chromium');
if (!labPresent) console.warn(`SKIPPED: e2e table tests need ${SCENARIO}`);

describe.skipIf(!chromiumPresent || !labPresent)('tables: sort, resize, popovers, detail pane', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); }, 120_000);
  afterAll(async () => { await h?.close(); });

  for (const size of SIZES) {
    it(`every column of Packets, Flows and HTTP sorts at ${size.width}×${size.height}`, async () => {
      const page = await h.newPage();
      const errorsBefore = pageErrors(page).length;
      await page.setViewportSize(size);
      await gotoApp(page, h.url);
      await page.evaluate(() => localStorage.clear());
      await openLab(page);
      const report: string[] = [];
      for (const [name, view, table] of [['packets', 'view-packets', 'packets-table'], ['flows', 'view-flows', 'flows-table'], ['http', 'view-http', 'http-table']] as const) {
        await tab(page, name, view, table);
        const checks = await checkEverySort(page, table);
        report.push(`${table}: ${checks.length} columns, ${checks.filter((c) => c.changed).length} reordered (${checks.filter((c) => c.distinct < 2).map((c) => c.column).join(', ') || 'none'} one value in view)`);
      }
      console.log(`${size.width}×${size.height}: ${report.join('; ')}`);
      // The capture point is a column in view wherever rows come from several points.
      for (const [name, view, table, col] of [['packets', 'view-packets', 'packets-table', 'point'], ['flows', 'view-flows', 'flows-table', 'captures'], ['http', 'view-http', 'http-table', 'capture']] as const) {
        await tab(page, name, view, table);
        const box = await page.locator(`[data-testid=${table}] [role=columnheader].c-${col}`).boundingBox();
        expect(box, `${table} ${col}`).not.toBeNull();
        expect(box!.x + Math.min(box!.width, 80), `${table}: the capture point column starts in the window`).toBeLessThanOrEqual(size.width);
        // Every header in the window reads whole (no "Resp byt…").
        const cutHeads = await page.$$eval(`[data-testid=${table}] [role=columnheader]`, (els, w) => els.filter((e) => e.getBoundingClientRect().right <= w && e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent), size.width);
        expect(cutHeads, `${table} at ${size.width}px`).toEqual([]);
      }
      expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
      await page.context().close();
    }, 600_000);
  }

  it('every column of Flows sorts, the ones under Columns too, one row per connection and per point (1440×900)', async () => {
    const page = await h.newPage();
    const errorsBefore = pageErrors(page).length;
    await page.setViewportSize({ width: 1440, height: 900 });
    await gotoApp(page, h.url);
    await page.evaluate(() => localStorage.clear());
    await openLab(page);
    const report: string[] = [];
    for (const perConnection of [true, false]) {
      await tab(page, 'flows', 'view-flows', 'flows-table');
      if (!perConnection) {
        await page.uncheck('[data-testid=by-connection]');
        await page.waitForSelector('[data-testid=flows-table] [role=columnheader].c-capture');
        await page.waitForSelector('[data-testid=flows-table] [role=row][aria-rowindex="1"]:not(.loading)');
      }
      // Tick every column the chooser offers.
      await page.click('.chooser > button');
      const boxes = page.locator('.chooser-menu input[type=checkbox]');
      const n = await boxes.count();
      for (let i = 0; i < n; i++) if (!(await boxes.nth(i).isChecked())) await boxes.nth(i).check();
      await page.keyboard.press('Escape');
      await page.waitForSelector('.chooser-menu', { state: 'detached' });
      const shown = await page.locator('[data-testid=flows-table] [role=columnheader]').count();
      expect(shown).toBe(n);
      const checks = await checkEverySort(page, 'flows-table');
      // Every column shown sorts (none is left without a header click that orders it).
      expect(checks.length).toBe(n);
      report.push(`${perConnection ? 'per connection' : 'per point'}: ${checks.length} columns, ${checks.filter((c) => c.changed).length} reordered (${checks.filter((c) => c.distinct < 2).map((c) => c.column).join(', ') || 'none'} one value in view)`);
    }
    console.log(`flows-table, every column: ${report.join('; ')}`);
    expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
    await page.context().close();
  }, 600_000);

  for (const size of SIZES) {
    it.skipIf(!corpusPresent)(`every column of DNS sorts (a corpus capture with DNS queries) at ${size.width}×${size.height}`, async () => {
      for (const dark of [false, true]) {
        const page = await h.newPage({ dark });
        const errorsBefore = pageErrors(page).length;
        await page.setViewportSize(size);
        await gotoApp(page, h.url);
        await loadFiles(page, [corpusPath('ndpi__vxlan.pcap')]);
        await tab(page, 'dns', 'view-dns', 'dns-table');
        if (!dark) {
          const checks = await checkEverySort(page, 'dns-table');
          console.log(`dns-table ${size.width}×${size.height}: ${checks.length} columns, ${checks.filter((c) => c.changed).length} reordered`);
        }
        await page.screenshot({ path: path.join(ARTIFACTS, `tables-dns-${size.width}x${size.height}-${dark ? 'dark' : 'light'}.png`) });
        expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
        await page.context().close();
      }
    }, 300_000);
  }

  it('a resized column keeps its width after a reload; the slowest request is one click away', async () => {
    const page = await h.newPage();
      const errorsBefore = pageErrors(page).length;
    await page.setViewportSize({ width: 1440, height: 900 });
    await gotoApp(page, h.url);
    await page.evaluate(() => localStorage.clear());
    await openLab(page);
    await tab(page, 'flows', 'view-flows', 'flows-table');
    const head = page.locator('[data-testid=flows-table] [role=columnheader].c-a');
    const w0 = (await head.boundingBox())!.width;
    const handle = (await page.locator('[data-testid=flows-table] [role=columnheader].c-a .dt-resize').boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 40, handle.y + handle.height / 2, { steps: 4 });
    await page.mouse.move(handle.x + handle.width / 2 + 90, handle.y + handle.height / 2, { steps: 4 });
    await page.mouse.up();
    const w1 = (await head.boundingBox())!.width;
    expect(Math.abs(w1 - (w0 + 90))).toBeLessThanOrEqual(2);
    // Cells follow their header.
    const cell = await page.locator('[data-testid=flows-table] [role=row][aria-rowindex="1"] .c-a').boundingBox();
    expect(Math.abs(cell!.width - w1)).toBeLessThanOrEqual(1);
    // The drag did not sort.
    expect(await head.getAttribute('aria-sort')).toBe('none');
    await page.reload();
    await openLab(page);
    await tab(page, 'flows', 'view-flows', 'flows-table');
    expect(Math.abs((await page.locator('[data-testid=flows-table] [role=columnheader].c-a').boundingBox())!.width - w1)).toBeLessThanOrEqual(1);

    // HTTP: Total descending puts the slowest request first: the one tshark's http.time says is slowest.
    await tab(page, 'http', 'view-http', 'http-table');
    await page.click('[data-testid=http-table] [role=columnheader].c-total');
    await page.click('[data-testid=http-table] [role=columnheader].c-total');
    await page.waitForSelector('[data-testid=http-table] [role=columnheader].c-total[aria-sort=descending]');
    await page.waitForTimeout(300);
    const rows = await rowsInView(page, 'http-table');
    const slowest = slowestByTshark();
    expect(rows[0]!.cells['capture']!.replace(/\.pcap$/, '')).toBe(slowest.point);
    expect(rows[0]!.cells['uri']).toBe(slowest.uri);
    expect(Number(rows[0]!.cells['total']!.replace(' ms', ''))).toBeCloseTo(slowest.ms, 1);
    // A cut value shows whole on hover: every cell's title is its whole value.
    const cut = await page.$$eval('[data-testid=http-table] [role=gridcell]', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => [e.getAttribute('title'), e.textContent]));
    for (const [title, text] of cut) expect(title, `cut cell ${text}`).toBeTruthy();
    expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('the Columns popover closes on Escape and on an outside click', async () => {
    const page = await h.newPage();
      const errorsBefore = pageErrors(page).length;
    await gotoApp(page, h.url);
    await openLab(page);
    await tab(page, 'flows', 'view-flows', 'flows-table');
    const btn = page.locator('.chooser > button');
    await btn.click();
    await page.waitForSelector('.chooser-menu');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.chooser-menu', { state: 'detached' });
    expect(await btn.getAttribute('aria-expanded')).toBe('false');
    await btn.click();
    await page.waitForSelector('.chooser-menu');
    // A click inside keeps it open (ticking a column).
    await page.locator('.chooser-menu input[type=checkbox]').first().click();
    expect(await page.locator('.chooser-menu').count()).toBe(1);
    await page.mouse.click(700, 600);
    await page.waitForSelector('.chooser-menu', { state: 'detached' });
    expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('Packets: session frame numbers beside per-file numbers, time three ways (remembered), a detail pane that is small when empty, resizable and collapsible', async () => {
    const page = await h.newPage();
      const errorsBefore = pageErrors(page).length;
    await page.setViewportSize({ width: 1280, height: 720 });
    await gotoApp(page, h.url);
    await page.evaluate(() => localStorage.clear());
    await openLab(page);
    await tab(page, 'packets', 'view-packets', 'packets-table');
    // Empty detail: a title bar, not half the window.
    const bar = (await page.locator('[data-testid=packets-split] .split-bar').boundingBox())!;
    expect(bar.height).toBeLessThan(40);
    const list = (await page.locator('[data-testid=packets-table]').boundingBox())!;
    expect(list.height).toBeGreaterThan(720 * 0.6);
    await page.screenshot({ path: path.join(ARTIFACTS, 'tables-packets-empty-1280.png') });
    // TCP flags as Wireshark writes them: "[FIN, ACK]", never "[ACK, FIN]".
    await page.fill('input[aria-label="Packet filter"]', 'FIN');
    await page.waitForFunction(() => /FIN/.test(document.querySelector('[data-testid=packets-table] [role=row][aria-rowindex="1"]:not(.loading)')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.waitForTimeout(300);
    const fins = (await rowsInView(page, 'packets-table')).map((r) => r.cells['info'] ?? '');
    expect(fins.filter((i) => i.includes('[FIN, ACK]')).length).toBeGreaterThan(3);
    for (const i of fins) expect(i).not.toMatch(/\[ACK, FIN/);
    await page.fill('input[aria-label="Packet filter"]', '');
    await page.waitForFunction(() => document.querySelector('[data-testid=packets-table] [role=row][aria-rowindex="1"] .c-frame')?.textContent?.trim() === '1', undefined, { timeout: 30_000 });

    const rows = await rowsInView(page, 'packets-table');
    expect(rows.map((r) => Number(r.cells['frame']))).toEqual(rows.map((_, i) => i + 1));
    // Per-file numbers restart per capture point: some row's file number is below its session number.
    expect(rows.some((r) => Number(r.cells['index']) < Number(r.cells['frame']))).toBe(true);
    // Time: relative (default), absolute (time of day), delta (from the row before).
    const rel = rows.map((r) => Number(r.cells['time']));
    expect(rel[0]).toBe(0);
    await page.selectOption('[data-testid=time-mode]', 'delta');
    await page.waitForSelector('[data-testid=packets-table] [role=columnheader].c-time >> text=Δ time');
    await page.waitForTimeout(200);
    const delta = (await rowsInView(page, 'packets-table')).map((r) => Number(r.cells['time']));
    for (let i = 1; i < Math.min(delta.length, rel.length); i++) expect(delta[i]).toBeCloseTo(rel[i]! - rel[i - 1]!, 5);
    await page.selectOption('[data-testid=time-mode]', 'absolute');
    await page.waitForSelector('[data-testid=packets-table] [role=columnheader].c-time >> text=Time of day');
    await page.waitForTimeout(200);
    // The lab's first packet (truth.json timeline.firstPacket 15:35:36.471814).
    expect((await rowsInView(page, 'packets-table'))[0]!.cells['time']).toMatch(/^15:35:36\.471814/);
    await page.reload();
    await openLab(page);
    await tab(page, 'packets', 'view-packets', 'packets-table');
    expect(await page.inputValue('[data-testid=time-mode]')).toBe('absolute');

    // Select: the detail opens; drag the divider up; collapse; expand again.
    await page.click('[data-testid=packets-table] [role=row][aria-rowindex="3"]');
    await page.waitForSelector('[data-testid=packet-detail]');
    const d0 = (await page.locator('[data-testid=packets-split] .split-bottom').boundingBox())!.height;
    const b = (await page.locator('[data-testid=packets-split] .split-bar').boundingBox())!;
    await page.mouse.move(b.x + 40, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + 40, b.y + b.height / 2 - 100, { steps: 5 });
    await page.mouse.up();
    const d1 = (await page.locator('[data-testid=packets-split] .split-bottom').boundingBox())!.height;
    expect(Math.abs(d1 - (d0 + 100))).toBeLessThanOrEqual(3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'tables-packets-detail-1280.png') });
    await page.click('[data-testid=packets-split-toggle]');
    await page.waitForSelector('[data-testid=packets-split] .split-bottom', { state: 'detached' });
    await page.click('[data-testid=packets-split-toggle]');
    await page.waitForSelector('[data-testid=packet-detail]');
    expect(Math.abs((await page.locator('[data-testid=packets-split] .split-bottom').boundingBox())!.height - d1)).toBeLessThanOrEqual(3);
    expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('screenshots of Packets, Flows and HTTP at both sizes, light and dark', async () => {
    for (const dark of [false, true]) {
      const page = await h.newPage({ dark });
      const errorsBefore = pageErrors(page).length;
      await gotoApp(page, h.url);
      await openLab(page);
      for (const size of SIZES) {
        await page.setViewportSize(size);
        for (const [name, view, table] of [['packets', 'view-packets', 'packets-table'], ['flows', 'view-flows', 'flows-table'], ['http', 'view-http', 'http-table']] as const) {
          await tab(page, name, view, table);
          await page.click(`[data-testid=${table}] [role=row][aria-rowindex="2"]`);
          await page.waitForTimeout(400);
          await page.screenshot({ path: path.join(ARTIFACTS, `tables-${name}-${size.width}x${size.height}-${dark ? 'dark' : 'light'}.png`) });
        }
      }
      expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
      await page.context().close();
    }
  }, 300_000);
});
