/**
 * Compare in Debian's Chromium with the user's own captures: the lab's two
 * folders picked with Folder… give sides labelled by their folder, 14 capture
 * points paired by role with values on both sides, and the A/B/Δ columns
 * inside the viewport at 1280×720 and 1440×900; the open session is side A by
 * default, a side's label can be changed, a side has its own metadata.
 * Screenshots light and dark: test-artifacts/compare-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness, loadFiles } from './browser.js';

const NGINX = path.join(LAB, 'captures', 'nginx-proxy');
const INGRESS = path.join(LAB, 'captures', 'ingress');
const files = (dir: string): string[] => { try { return readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f)); } catch { return []; } };
const present = files(NGINX).length === 14 && files(INGRESS).length === 14;

if (!chromiumPresent) console.warn('SKIPPED: compare-sessions e2e needs Chromium at /usr/bin/chromium');

/** The right edge of every A/B/Δ header and cell of a table, against the viewport width. */
async function rightmost(page: Page, table: string): Promise<{ right: number; width: number; cells: number }> {
  return page.evaluate((sel) => {
    const t = document.querySelector(sel)!;
    let right = 0;
    let cells = 0;
    for (const c of Array.from(t.querySelectorAll('th.num, td.num'))) {
      const r = (c as HTMLElement).getBoundingClientRect();
      right = Math.max(right, r.right);
      cells++;
      // A cut value would scroll inside its cell.
      if ((c as HTMLElement).scrollWidth > (c as HTMLElement).clientWidth + 1) right = Math.max(right, 1e6);
    }
    return { right, width: document.documentElement.clientWidth, cells };
  }, table);
}

describe.skipIf(!chromiumPresent || !present)('Compare: your own captures', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  for (const [w, ht, dark] of [[1280, 720, false], [1440, 900, false], [1280, 720, true], [1440, 900, true]] as const) {
    it(`two lab folders at ${w}×${ht}${dark ? ', dark' : ''}: labelled nginx-proxy and ingress, 14 paired capture points, A/B/Δ in view`, async () => {
      const page = await h.newPage({ dark });
      await page.setViewportSize({ width: w, height: ht });
      await page.goto(`${h.url}?autoload=0`);
      await page.click('[data-testid=tab-compare]');
      await page.waitForSelector('[data-testid=view-compare]');
      await page.setInputFiles('[data-testid=side-a-folder]', NGINX);
      await page.setInputFiles('[data-testid=side-b-folder]', INGRESS);
      expect(await page.textContent('[data-testid=side-a-source]')).toBe('folder nginx-proxy, 14 captures');
      expect(await page.textContent('[data-testid=side-b-source]')).toBe('folder ingress, 14 captures');
      await page.click('[data-testid=compare-run]');
      await page.waitForSelector('[data-testid=compare-points], [data-testid=error-state]', { timeout: 60_000 });
      expect(await page.locator('[data-testid=error-state]').count()).toBe(0);
      expect(await page.textContent('[data-testid=compare-legend-a]')).toMatch(/^A = nginx-proxy \(14 capture points, 5 client requests/);
      expect(await page.textContent('[data-testid=compare-legend-b]')).toMatch(/^B = ingress \(14 capture points, 5 client requests/);
      const rows = page.locator('[data-testid=compare-point-row]');
      expect(await rows.count()).toBe(14);
      const roles: string[] = [];
      for (let i = 0; i < 14; i++) {
        const cells = await rows.nth(i).locator('td').allTextContents();
        roles.push(cells[0]!);
        // Packets on both sides: numbers, never "—".
        expect(cells[1], cells[0]).toMatch(/^\d[\d,]*$/);
        expect(cells[2], cells[0]).toMatch(/^\d[\d,]*$/);
      }
      expect(roles.sort()).toEqual(files(NGINX).map((f) => path.basename(f, '.pcap')).sort());
      // The labels are said once, not in every header and sentence.
      const heads = await page.locator('[data-testid=compare-table] thead th').allTextContents();
      expect(heads).toEqual(['Metric', 'A', 'B', 'Δ']);
      const why = await page.textContent('[data-testid=compare-explanation]');
      expect(why!.match(/nginx-proxy/g)?.length ?? 0).toBeLessThanOrEqual(2);
      // Figures said side by side share their decimals ("75.0 … 58.8", not "75 … 58.8"); bytes grouped, with their unit.
      const legs = [...why!.matchAll(/: ([\d,.]+) packets per request in A, ([\d,.]+) in B/g)];
      expect(legs.length).toBeGreaterThan(0);
      for (const [, x, y] of legs) expect((x!.split('.')[1] ?? '').length, `${x} beside ${y}`).toBe((y!.split('.')[1] ?? '').length);
      expect(why).toMatch(/fewer bytes of encapsulation per request \(\d{1,3}(,\d{3})* B against \d{1,3}(,\d{3})* B\)/);
      // Fewer packets in B is an improvement, coloured so; keep-alive reuse up is one too.
      const row = (name: string) => page.locator('[data-testid=compare-table] tr', { has: page.locator(`td.metric-name:text-is("${name}")`) });
      expect(await row('packets per request, end to end').locator('td').nth(3).getAttribute('class')).toMatch(/\bok\b/);
      expect(await row('requests reusing an upstream connection (keep-alive)').locator('td').nth(3).getAttribute('class')).toMatch(/\bok\b/);
      // One rounding rule a row: A, B and Δ with the same decimals.
      const cells = await row('packets per request, end to end').locator('td.num').allTextContents();
      const decimals = cells.map((c) => (c.split('.')[1] ?? '').replace(/\D/g, '').length);
      expect(new Set(decimals).size).toBe(1);
      for (const t of ['[data-testid=compare-table]', '[data-testid=compare-points]']) {
        const r = await rightmost(page, t);
        expect(r.cells).toBeGreaterThan(10);
        expect(r.right, `${t} at ${w}px`).toBeLessThanOrEqual(r.width);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `compare-folders-${w}x${ht}${dark ? '-dark' : ''}.png`) });
      await page.locator('[data-testid=compare-points]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(ARTIFACTS, `compare-points-${w}x${ht}${dark ? '-dark' : ''}.png`) });
      expect(pageErrors(page)).toEqual([]);
      await page.context().close();
    }, 120_000);
  }

  it('files named <scenario>.<point>.pcap in one folder (the issue\'s own case): sides labelled by the common prefix, 14 points paired by role, not 28 rows with "—" on one side', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-compare-'));
    try {
      const copies = (src: string, prefix: string) => files(src).map((f) => {
        const to = path.join(dir, `${prefix}.${path.basename(f)}`);
        copyFileSync(f, to);
        return to;
      });
      const aFiles = copies(NGINX, 'nginx-proxy');
      const bFiles = copies(INGRESS, 'ingress');
      const page = await h.newPage();
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(`${h.url}?autoload=0`);
      await page.click('[data-testid=tab-compare]');
      await page.setInputFiles('[data-testid=side-a-files]', aFiles);
      await page.setInputFiles('[data-testid=side-b-files]', bFiles);
      expect(await page.textContent('[data-testid=side-a-source]')).toBe('14 files');
      // Before running, the label fields already guess what the engine will name the sides.
      expect(await page.getAttribute('[data-testid=side-a-label]', 'placeholder')).toBe('nginx-proxy');
      expect(await page.getAttribute('[data-testid=side-b-label]', 'placeholder')).toBe('ingress');
      await page.click('[data-testid=compare-run]');
      await page.waitForSelector('[data-testid=compare-points], [data-testid=error-state]', { timeout: 60_000 });
      expect(await page.locator('[data-testid=error-state]').count()).toBe(0);
      expect(await page.textContent('[data-testid=compare-legend-a]')).toMatch(/^A = nginx-proxy \(14 capture points/);
      expect(await page.textContent('[data-testid=compare-legend-b]')).toMatch(/^B = ingress \(14 capture points/);
      const rows = page.locator('[data-testid=compare-point-row]');
      expect(await rows.count()).toBe(14);
      const roles: string[] = [];
      for (let i = 0; i < 14; i++) {
        const cells = await rows.nth(i).locator('td').allTextContents();
        // The role, and under it each side's own name of the point.
        const [role, names] = cells[0]!.split(/(?=A: )/);
        roles.push(role!);
        expect(names).toBe(`A: nginx-proxy.${role} · B: ingress.${role}`);
        expect(cells[1], cells[0]).toMatch(/^\d[\d,]*$/);
        expect(cells[2], cells[0]).toMatch(/^\d[\d,]*$/);
      }
      expect(roles.sort()).toEqual(files(NGINX).map((f) => path.basename(f, '.pcap')).sort());
      for (const t of ['[data-testid=compare-table]', '[data-testid=compare-points]']) expect((await rightmost(page, t)).right).toBeLessThanOrEqual(1280);
      await page.screenshot({ path: path.join(ARTIFACTS, 'compare-prefixed-files-1280x720.png') });
      expect(pageErrors(page)).toEqual([]);
      await page.context().close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('the open session is side A by default; a label typed is used; each side has its own metadata', async () => {
    const page = await h.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${h.url}?autoload=0`);
    await loadFiles(page, [...files(NGINX), path.join(LAB, 'cluster.json')]);
    await page.click('[data-testid=tab-compare]');
    expect(await page.textContent('[data-testid=side-a-source]')).toMatch(/^the open session.*14 capture points$/);
    expect(await page.textContent('[data-testid=side-a-cluster]')).toBe("the session's");
    await page.setInputFiles('[data-testid=side-b-folder]', INGRESS);
    await page.fill('[data-testid=side-a-label]', 'kube-proxy path');
    // A pairing stated by the user: the two proxies' pods as one row.
    await page.fill('[data-testid=compare-pairs]', 'pod-nginx-proxy-eth0=pod-ingress-nginx-eth0');
    await page.click('[data-testid=compare-run]');
    await page.waitForSelector('[data-testid=compare-points], [data-testid=error-state]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=compare-legend-a]')).toMatch(/^A = kube-proxy path \(14 capture points, 5 client requests, metadata loaded\)/);
    expect(await page.textContent('[data-testid=compare-legend-b]')).toMatch(/^B = ingress \(14 capture points, 5 client requests\)/);
    // 12 points paired by role, the stated pair, and each side's other proxy pod alone (A's idle ingress pod, B's idle nginx-proxy pod): 15 rows.
    expect(await page.locator('[data-testid=compare-point-row]').count()).toBe(15);
    const proxyRow = await page.locator('[data-testid=compare-point-row]', { hasText: 'B: pod-ingress-nginx-eth0' }).locator('td').allTextContents();
    expect(proxyRow[0]).toMatch(/^pod-nginx-proxy-eth0/);
    expect(Number(proxyRow[1]!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(Number(proxyRow[2]!.replace(/,/g, ''))).toBeGreaterThan(0);
    // Metadata on A only: the Service connections rows show A's figures and "—" for B.
    const svc = page.locator('[data-testid=compare-table] tr', { has: page.locator('td.metric-name:text-matches("through a visible DNAT")') });
    const cells = await svc.locator('td').allTextContents();
    expect(cells[1]).toMatch(/^\d+$/);
    expect(cells[2]).toBe('—');
    await page.screenshot({ path: path.join(ARTIFACTS, 'compare-session-1280x720.png'), fullPage: true });
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  }, 120_000);
});
