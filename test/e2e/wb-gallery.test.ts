/**
 * Every view of the app, in Debian's Chromium, at 1280×720 and 1440×900,
 * light and dark, saved as test-artifacts/views/<view>-<WxH>-<theme>.png for
 * a person to look at (issue 14's acceptance). On the lab's nginx-proxy set
 * with its cluster.json: Overview, Flows, Packets with a packet selected,
 * Follow stream, Overlay (its diagram, then a journey), HTTP, DNS, Compare;
 * the empty window; a capture cut short (its error with the offset) and a
 * file that is no capture. At each size, checks that fail when a person
 * would stumble: no page-level horizontal scrollbar; each table's key
 * columns shown whole without scrolling sideways; the view's headings
 * there; no text over another in the diagrams; no error on the console.
 * Key values shown cut (their whole value in the cell's title) are listed in
 * test-artifacts/views/cut-values.txt for the person looking.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';
import { ARTIFACTS, LAB, chromiumPresent, loadFiles, pageErrors, startHarness, type Harness } from './browser.js';
import { cutKeyValues, diagramTextOverlaps, headings, keyColumnsShown, pageOverflow, simpleTablesShown } from './layout-checks.js';

const VIEWS = path.join(ARTIFACTS, 'views');
/** Key values shown cut, per view and size: test-artifacts/views/cut-values.txt. */
const CUT = path.join(VIEWS, 'cut-values.txt');
const SIZES = [[1280, 720], [1440, 900]] as const;
const SCENARIO = path.join(LAB, 'captures', 'nginx-proxy');
const labFiles = (() => { try { return readdirSync(SCENARIO).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(SCENARIO, f)); } catch { return []; } })();
const labPresent = labFiles.length > 0;
/** A corpus capture whose last record is cut short (ui.test.ts: 2,696 packets read, stopped at offset 2,715,459). */
const BROKEN = 'suricata__http-mime-truncated__input.pcap';

if (!chromiumPresent) console.warn('SKIPPED: the view gallery needs Chromium at /usr/bin/chromium');
if (!labPresent) console.warn('SKIPPED: the view gallery needs fixtures/lab captures');

interface Shot {
  /** Key columns per virtualized table shown: shown whole, without scrolling sideways. */
  tables?: Record<string, string[]>;
  /** Headings the view shows (a prefix of each suffices). */
  headings?: string[];
  /** Before the screenshot at each size (scroll something into view). */
  arrange?: (page: Page) => Promise<void>;
}

/** At each size: the checks, then a screenshot per theme. Problems are gathered, not thrown, so that every view gets its screenshots. */
async function gallery(page: Page, view: string, shot: Shot, problems: string[]): Promise<void> {
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(250); // ResizeObserver-driven layouts (charts, tables) settle
    await shot.arrange?.(page);
    const at = `${view} ${w}x${h}`;
    for (const p of await pageOverflow(page)) problems.push(`${at}: ${p}`);
    for (const [t, cols] of Object.entries(shot.tables ?? {})) {
      for (const p of await keyColumnsShown(page, t, cols)) problems.push(`${at}: ${p}`);
      // Cut values are written down for a person (the whole value is in each cell's title), not failed on.
      for (const c of await cutKeyValues(page, t, cols)) appendFileSync(CUT, `${at}: ${c}\n`);
    }
    for (const p of await simpleTablesShown(page)) problems.push(`${at}: ${p}`);
    const hs = await headings(page);
    for (const want of shot.headings ?? []) if (!hs.some((x) => x.startsWith(want))) problems.push(`${at}: no heading '${want}' (shown: ${hs.join(' | ')})`);
    for (const p of await diagramTextOverlaps(page)) problems.push(`${at}: text over text: ${p}`);
    for (const theme of ['light', 'dark'] as const) {
      // The toggle by script: a modal (Follow stream) covers the toolbar.
      if ((await page.getAttribute('html', 'data-theme')) !== theme) await page.$eval('button[aria-label="Toggle dark theme"]', (b) => (b as HTMLButtonElement).click());
      await page.waitForTimeout(50);
      await page.screenshot({ path: path.join(VIEWS, `${view}-${w}x${h}-${theme}.png`) });
    }
  }
}

async function tab(page: Page, name: string, ready: string): Promise<void> {
  await page.click(`[data-testid=tab-${name}]`);
  await page.waitForSelector(ready, { timeout: 60_000 });
}

/** The rows of a virtualized table have loaded. */
async function rowsLoaded(page: Page, testId: string): Promise<void> {
  await page.waitForSelector(`[data-testid=${testId}] [role=row][aria-rowindex="1"]:not(.loading)`, { timeout: 60_000 });
  await page.waitForFunction((t) => !document.querySelector(`[data-testid=${t}] [role=row].loading`), testId, { timeout: 60_000 });
}

let h: Harness;

describe.skipIf(!chromiumPresent || !labPresent)('the views, as a set (gallery)', () => {
  beforeAll(async () => {
    h = await startHarness();
    mkdirSync(VIEWS, { recursive: true });
    writeFileSync(CUT, '');
  });
  afterAll(async () => { await h?.close(); });

  it('the empty window, and a file that is no capture', async () => {
    const problems: string[] = [];
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await gallery(page, 'empty', { headings: ['Open a capture'] }, problems);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-gallery-'));
    try {
      const bad = path.join(dir, 'notes.pcap');
      writeFileSync(bad, 'these are notes about the lab, not a capture\n'.repeat(20));
      await page.setInputFiles('[data-testid=file-input]', [bad]);
      await page.waitForSelector('[data-testid=open-error], [data-testid=capture-error]', { timeout: 30_000 });
      const msg = await page.textContent('[data-testid=open-error], [data-testid=capture-error]');
      expect(msg).toContain('notes.pcap');
      // Opened as a capture that stopped at its first bytes: said so plainly, no "0 packets read before it", no zero duration, no empty charts.
      expect(msg).toMatch(/offset 0 .*No packet could be read from it\./);
      expect(await page.textContent('[data-testid=total-duration]')).toBe('—');
      expect(await page.locator('[data-testid=chart-protocols], [data-testid=chart-timeline]').count()).toBe(0);
      await gallery(page, 'error-not-a-capture', { headings: ['Captures', 'Issues'] }, problems);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  }, 120_000);

  it.skipIf(!corpusPresent)('a capture cut short: its error, the packets read before it, a chart title in plain units, the duration card = the table\'s', async () => {
    const problems: string[] = [];
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await loadFiles(page, [corpusPath(BROKEN)]);
    await page.waitForSelector('[data-testid=capture-error]');
    await page.waitForSelector('[data-testid=chart-timeline]');
    const hs = await headings(page);
    const timeline = hs.find((x) => x.startsWith('Packets over time'))!;
    // "(0.000009999999999999999 s buckets)" was issue 14's; a bucket reads as a short number and its unit.
    const bucket = (await page.textContent('[data-testid=view-overview] h2:has-text("Packets over time") .muted'))!;
    expect(timeline).toBeTruthy();
    expect(bucket).toMatch(/^\(\d{1,3}(\.\d{1,2})? (ns|µs|ms|s|min|h) buckets\)$/);
    // One capture: the session's duration card and the capture's row say the same.
    const card = await page.locator('.stat', { hasText: 'duration' }).locator('.stat-value').textContent();
    const row = await page.locator('[data-testid=captures-table] tbody tr').first().locator('td').nth(7).textContent();
    expect(card).toBe(row);
    await gallery(page, 'error-cut-capture', { headings: ['Captures', 'Protocols', 'Packets over time', 'Issues'] }, problems);
    expect(problems).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  }, 120_000);

  it('the lab\'s nginx-proxy set with cluster.json: every view at both sizes, light and dark', async () => {
    const problems: string[] = [];
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await loadFiles(page, [...labFiles, path.join(LAB, 'cluster.json')]);
    await page.waitForSelector('[data-testid=chart-timeline]');
    await gallery(page, 'overview', { headings: ['Captures', 'Hosts and clocks', 'Protocols', 'Packets over time', 'Issues'] }, problems);
    // Below the fold: the charts.
    await page.waitForSelector('[data-testid=chart-protocols] .recharts-bar-rectangle');
    // The timeline's legend: one entry per capture point (the Captures table's names and colours), each area's colour,
    // its text readable (contrast 4.5:1 at least against the card) in light and dark.
    const legend = await page.$$eval('[data-testid=timeline-legend] li', (ls) => ls.map((l) => [l.textContent, getComputedStyle(l.querySelector('.swatch')!).backgroundColor]));
    const table = await page.$$eval('[data-testid=captures-table] tbody tr td:first-child', (ts) => ts.map((t) => [t.textContent, getComputedStyle(t.querySelector('.swatch')!).backgroundColor]));
    expect(legend.length).toBe(labFiles.length);
    expect(legend).toEqual(table);
    const areas = await page.$$eval('[data-testid=chart-timeline] .recharts-area-area', (as) => as.map((a) => a.getAttribute('fill')));
    expect(areas.length).toBe(labFiles.length);
    const hex = (rgb: string) => `#${(rgb.match(/\d+/g) ?? []).slice(0, 3).map((v) => Number(v).toString(16).padStart(2, '0')).join('')}`;
    expect(areas).toEqual(legend.map(([, c]) => hex(c!)));
    for (const theme of ['light', 'dark'] as const) {
      if ((await page.getAttribute('html', 'data-theme')) !== theme) await page.click('button[aria-label="Toggle dark theme"]');
      const ratio = await page.$eval('[data-testid=timeline-legend] li', (li) => {
        const lum = (c: string) => { const [r, g, b] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => { const x = Number(v) / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!; };
        let bg = li as Element | null;
        while (bg && /rgba\(0, 0, 0, 0\)|transparent/.test(getComputedStyle(bg).backgroundColor)) bg = bg.parentElement;
        const [a, b] = [lum(getComputedStyle(li).color), lum(getComputedStyle(bg ?? document.body).backgroundColor)];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      });
      expect(ratio, `legend text contrast in ${theme}`).toBeGreaterThanOrEqual(4.5);
    }
    // Hovering an entry brings its series forward.
    await page.hover('[data-testid=timeline-legend] li[data-series="2"]');
    const opacities = await page.$$eval('[data-testid=chart-timeline] .recharts-area-area', (as) => as.map((a) => Number(a.getAttribute('fill-opacity'))));
    expect(opacities[2]).toBeGreaterThan(Math.max(...opacities.filter((_o, i) => i !== 2)));
    await page.mouse.move(0, 0);
    await gallery(page, 'overview-charts', {
      headings: ['Protocols', 'Packets over time'],
      arrange: (p) => p.locator('[data-testid=chart-protocols]').evaluate((e) => e.scrollIntoView({ block: 'center' })),
    }, problems);

    await tab(page, 'flows', '[data-testid=view-flows]');
    await rowsLoaded(page, 'flows-table');
    // A valid display filter typed (not applied): Wireshark's green in light, a dark green in dark, its text readable in both.
    await page.fill('[data-testid=flows-filter-bar] [data-testid=filter-input]', 'tcp.port == 8080');
    await page.waitForSelector('[data-testid=flows-filter-bar][data-state=ok]', { timeout: 30_000 });
    for (const theme of ['light', 'dark'] as const) {
      if ((await page.getAttribute('html', 'data-theme')) !== theme) await page.click('button[aria-label="Toggle dark theme"]');
      const [bg, fg] = await page.$eval('[data-testid=flows-filter-bar] [data-testid=filter-input]', (e) => {
        const lum = (c: string) => { const [r, g, b] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => { const x = Number(v) / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!; };
        const st = getComputedStyle(e);
        return [lum(st.backgroundColor), lum(st.color)];
      });
      const contrast = (Math.max(bg, fg) + 0.05) / (Math.min(bg, fg) + 0.05);
      expect(contrast, `filter text contrast in ${theme}`).toBeGreaterThanOrEqual(7);
      // In dark, no light field glaring among the dark panels (#afffaf is 0.87).
      if (theme === 'dark') expect(bg).toBeLessThan(0.05); else expect(bg).toBeGreaterThan(0.7);
    }
    await gallery(page, 'flows', { tables: { 'flows-table': ['#', 'Start', 'Seen at', 'Endpoint A', 'A is', 'Endpoint B', 'B is', 'Packets', 'Bytes'] } }, problems);

    await tab(page, 'packets', '[data-testid=view-packets]');
    await rowsLoaded(page, 'packets-table');
    // A packet of the proxied HTTP request: the detail pane with its layers and bytes.
    await page.selectOption('select[aria-label=Protocol]', 'http');
    await page.waitForFunction(() => (document.querySelector('[data-testid=packets-table] [role=row][aria-rowindex="1"]')?.textContent ?? '').includes('GET'), undefined, { timeout: 60_000 });
    await page.click('[data-testid=packets-table] [role=row][aria-rowindex="1"]');
    await page.waitForSelector('[data-testid=layer-tree]');
    await gallery(page, 'packets', { tables: { 'packets-table': ['No.', 'Time (s)', 'Capture point', 'Source', 'Destination'] } }, problems);

    // Follow stream from that packet: the head names its two endpoints and the capture point, the legend each direction.
    const [src, dst] = await page.$$eval('[data-testid=packets-table] [role=row][aria-rowindex="1"] [role=gridcell]', (cs) => ['c-src', 'c-dst'].map((k) => cs.find((c) => c.classList.contains(k))?.textContent?.trim() ?? ''));
    await page.click('[data-testid=packet-detail] button:has-text("Follow stream")');
    await page.waitForSelector('[data-testid=stream] .seg');
    await page.waitForSelector('[data-testid=stream-legend]');
    const head = (await page.textContent('[data-testid=stream-head]'))!;
    expect(head).toContain(`${src}:`);
    expect(head).toContain(`${dst}:`);
    expect(await page.locator('[data-testid=stream-legend] .seg-key').count()).toBe(2);
    await gallery(page, 'stream', {}, problems);
    await page.click('[role=dialog] button:has-text("Close")');

    await tab(page, 'overlay', '[data-testid=journey-diagram]');
    await gallery(page, 'overlay', { headings: ['Nodes, pod subnets and tunnels', 'Translations', 'Journeys'] }, problems);
    await gallery(page, 'overlay-journey', {
      headings: ['Journeys'],
      arrange: (p) => p.locator('select[aria-label=Journey]').evaluate((e) => e.scrollIntoView({ block: 'start' })),
    }, problems);

    await tab(page, 'http', '[data-testid=view-http]');
    await rowsLoaded(page, 'http-table');
    await gallery(page, 'http', { tables: { 'http-table': ['#', 'Request time', 'Capture point', 'Method', 'Host', 'URI', 'Status'] } }, problems);

    await tab(page, 'dns', '[data-testid=view-dns]');
    await page.waitForSelector('[data-testid=dns-table]');
    await gallery(page, 'dns', { tables: { 'dns-table': ['#', 'Query time', 'Capture point', 'Name', 'Type', 'Rcode'] } }, problems);

    await tab(page, 'compare', '[data-testid=view-compare]');
    await page.click('[data-testid=compare-run]');
    await page.waitForSelector('[data-testid=compare-table], [data-testid=error-state]', { timeout: 90_000 });
    expect(await page.locator('[data-testid=error-state]').count()).toBe(0);
    await gallery(page, 'compare', { headings: ['What makes the difference', 'Metrics'] }, problems);

    expect(problems).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  }, 300_000);
});
