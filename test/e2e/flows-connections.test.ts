/**
 * The Flows view's one row per connection, in Debian's Chromium at
 * 1280×720 and 1440×900, on the lab's 14-point nginx-proxy set with its
 * cluster metadata: each of its TCP connections once (how many, and their
 * client and upstream ports, from fixtures/lab/truth.json, which the lab
 * wrote from curl and conntrack), "seen at N points" with the points
 * listed, expandable to its per-point rows, beside the node-to-node tunnel
 * flows; the Service cell says how the connection reached its Service
 * (every lab Service flow is DNATed: "via DNAT").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness, loadFiles } from './browser.js';
import { gotoApp, rowsInView } from './table-helpers.js';
import { runAnalyze } from '../../src/cli/commands.js';
import { testContext } from '../report/cli-context.js';
import { keyColumnsShown } from './layout-checks.js';

const SCENARIO = path.join(LAB, 'captures', 'nginx-proxy');
const labPresent = (() => { try { return readdirSync(SCENARIO).some((f) => f.endsWith('.pcap')); } catch { return false; } })();
const labFiles = labPresent ? readdirSync(SCENARIO).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(SCENARIO, f)) : [];

interface Truth {
  scenarios: Array<{
    name: string; nodePort: number; service: string;
    requests: Array<{ clientPort: number }>;
    connections: { endToEnd: number; frontendToUpstreamList: Array<{ src: string; sport: number; dst: string; dport: number }> };
  }>;
  client: { ip: string };
  services: Array<{ namespace: string; name: string; clusterIp: string }>;
}
const truth = labPresent ? JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')) as Truth : null;

async function openFlows(page: Page): Promise<void> {
  await loadFiles(page, [...labFiles, path.join(LAB, 'cluster.json')]);
  await page.click('[data-testid=tab-flows]');
  await page.waitForSelector('[data-testid=flows-table] [role=row][aria-rowindex="1"]:not(.loading)', { timeout: 60_000 });
}

async function waitRows(page: Page, table: string, n: number): Promise<void> {
  await page.waitForFunction(({ t, n }) => document.querySelectorAll(`[data-testid=${t}] [role=row][aria-rowindex]:not(.loading)`).length === n
    && document.querySelector(`[data-testid=${t}] [role=grid]`)?.getAttribute('aria-rowcount') === String(n), { t: table, n }, { timeout: 60_000 });
}

if (!chromiumPresent) console.warn('SKIPPED: e2e tests need Chromium at /usr/bin/chromium');
if (!labPresent) console.warn(`SKIPPED: e2e flow tests need ${SCENARIO}`);

describe.skipIf(!chromiumPresent || !labPresent)('Flows: one row per connection across capture points', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); }, 120_000);
  afterAll(async () => { await h?.close(); });

  for (const size of [{ width: 1280, height: 720 }, { width: 1440, height: 900 }]) {
    it(`shows each lab TCP connection once, expandable to its per-point rows, at ${size.width}×${size.height}`, async () => {
      const sc = truth!.scenarios.find((s) => s.name === 'nginx-proxy')!;
      const page = await h.newPage();
      const errorsBefore = pageErrors(page).length;
      await page.setViewportSize(size);
      await gotoApp(page, h.url);
      await page.evaluate(() => localStorage.clear());
      await openFlows(page);
      expect(await page.isChecked('[data-testid=by-connection]')).toBe(true);
      // With the default widths, endpoints, where it was seen, packets and bytes are in view without scrolling sideways
      // (at 1280 the Service and the tunnel may scroll); a one-point "Seen at" reads whole.
      expect(await keyColumnsShown(page, 'flows-table', ['#', 'Start', 'Seen at', 'Endpoint A', 'A is', 'Endpoint B', 'B is', 'Packets', 'Bytes'])).toEqual([]);
      const cutPoints = await page.$$eval('[data-testid=flows-table] [role=row][aria-rowindex] .c-captures', (els) => els.filter((e) => !e.querySelector('b') && e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
      expect(cutPoints).toEqual([]);

      // TCP only: one row per connection, as many as truth.json counts end to end.
      await page.selectOption('select[aria-label=Transport]', 'tcp');
      await waitRows(page, 'flows-table', sc.connections.endToEnd);
      const rows = await rowsInView(page, 'flows-table');
      expect(rows.length).toBe(sc.connections.endToEnd);
      const aPorts = rows.map((r) => Number(r.cells['a']!.split(':').pop()));
      // The client connections shown from the client's side (before NAT), the upstream ones from the proxy pod's.
      const clientPorts = sc.requests.map((r) => r.clientPort);
      const upstreamPorts = sc.connections.frontendToUpstreamList.map((c) => c.sport);
      expect([...aPorts].sort()).toEqual([...clientPorts, ...upstreamPorts].sort());
      for (const r of rows) {
        const port = Number(r.cells['a']!.split(':').pop());
        if (clientPorts.includes(port)) {
          expect(r.cells['a']).toBe(`${truth!.client.ip}:${port}`);
          expect(r.cells['b']).toMatch(new RegExp(`:${sc.nodePort}$`));
          expect(r.cells['service']).toBe(`${sc.service} dnat`);
          // What the client is: "external" (its address is the endpoint beside it), the whole name on hover.
          expect(await page.locator(`[data-testid=flows-table] [role=row][aria-rowindex="${r.index}"] .c-identityA`).innerText()).toBe('external');
          expect(r.cells['identityA']).toBe(`external ${truth!.client.ip}`);
        } else {
          const web = truth!.services.find((s) => s.name === 'web')!;
          expect(r.cells['b']).toBe(`${web.clusterIp}:80`);
          expect(r.cells['service']).toBe(`${web.namespace}/${web.name} dnat`);
        }
      }
      // The Service badge: "via DNAT", titled "nginx-proxy (via DNAT)" / "web (via DNAT)".
      const badges = await page.$$eval('[data-testid=flows-table] [data-testid=service-via]', (els) => els.map((e) => [e.textContent, e.getAttribute('title')]));
      expect(badges.length).toBe(sc.connections.endToEnd);
      for (const [text, title] of badges) {
        expect(text).toBe('via DNAT');
        expect(title).toMatch(/^(nginx-proxy|web) \(via DNAT\)$/);
      }
      // Each badge ends inside its cell: the Service's name gives way first.
      const badgeBoxes = await page.$$eval('[data-testid=flows-table] [data-testid=service-via]', (els) => els.map((e) => [e.getBoundingClientRect().right, e.closest('[role=gridcell]')!.getBoundingClientRect().right]));
      for (const [right, cellRight] of badgeBoxes) expect(right).toBeLessThanOrEqual(cellRight! + 0.5);

      // Seen at N points, the points listed; ▸ expands to the per-point rows, one capture point each.
      const first = rows.find((r) => clientPorts.includes(Number(r.cells['a']!.split(':').pop())))!;
      const points = first.cells['captures']!.split(', ');
      const seen = await page.locator(`[data-testid=flows-table] [role=row][aria-rowindex="${first.index}"] .c-captures`).innerText();
      expect(seen.startsWith(String(points.length))).toBe(true);
      // A client connection crosses the client, node1 (its NodePort, then VXLAN) and node2 to the proxy pod.
      for (const p of ['client-eth0', 'node1-eth0', 'node1-flannel.1', 'node2-eth0', 'node2-cni0', 'pod-nginx-proxy-eth0']) expect(points).toContain(p);
      await page.click(`[data-testid=flows-table] [role=row][aria-rowindex="${first.index}"] [data-testid=expand-connection]`);
      await page.waitForSelector('[data-testid=connection-views-table] [role=row][aria-rowindex="1"]:not(.loading)', { timeout: 30_000 });
      const total = Number(await page.locator('[data-testid=connection-views-table] [role=grid]').getAttribute('aria-rowcount'));
      expect(total).toBeGreaterThanOrEqual(points.length);
      await page.waitForTimeout(300);
      const views = await rowsInView(page, 'connection-views-table');
      const viewPoints = new Set<string>();
      for (let i = 0; i < total; i += views.length || 1) {
        for (const v of await rowsInView(page, 'connection-views-table')) viewPoints.add(v.cells['capture']!.replace(/\.pcap$/, ''));
        await page.locator('[data-testid=connection-views-table] [role=grid]').evaluate((el) => { el.scrollTop += el.clientHeight - 40; });
        await page.waitForTimeout(200);
      }
      expect([...viewPoints].sort()).toEqual([...points].sort());
      await page.screenshot({ path: path.join(ARTIFACTS, `flows-connections-${size.width}x${size.height}.png`) });

      // Beside them, the node-to-node tunnel flows: rows of their own.
      await page.selectOption('select[aria-label=Transport]', 'udp');
      await page.waitForSelector('[data-testid=flows-table] [role=row][aria-rowindex="1"]:not(.loading)');
      await page.waitForTimeout(300);
      const udp = await rowsInView(page, 'flows-table');
      expect(udp.some((r) => /^carries \d+/.test(r.cells['tunnel'] ?? ''))).toBe(true);

      // One row per flow again: many more rows, each at one capture point.
      await page.selectOption('select[aria-label=Transport]', 'tcp');
      await page.uncheck('[data-testid=by-connection]');
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid=flows-table] [role=grid]')?.getAttribute('aria-rowcount')) > n, sc.connections.endToEnd, { timeout: 30_000 });
      expect(await page.locator('[data-testid=flows-table] [role=columnheader].c-capture').count()).toBe(1);
      await page.screenshot({ path: path.join(ARTIFACTS, `flows-per-point-${size.width}x${size.height}.png`) });
      expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
      await page.context().close();
    }, 300_000);

    it(`without metadata, the "(inferred)" marks stay in view in their cells at ${size.width}×${size.height}`, async () => {
      const page = await h.newPage();
      const errorsBefore = pageErrors(page).length;
      await page.setViewportSize(size);
      await gotoApp(page, h.url);
      await page.evaluate(() => localStorage.clear());
      await loadFiles(page, labFiles);
      await page.click('[data-testid=tab-flows]');
      await page.waitForSelector('[data-testid=flows-table] [role=row][aria-rowindex="1"]:not(.loading)', { timeout: 60_000 });
      await page.waitForTimeout(300);
      // Every mark and badge in view lies inside its cell (not cut off by the column's edge) and inside the window.
      const boxes = await page.$$eval('[data-testid=flows-table] [data-testid=inferred-mark], [data-testid=flows-table] [data-testid=service-via]', (els) => els.map((e) => {
        const m = e.getBoundingClientRect();
        const cell = e.closest('[role=gridcell]')!;
        const c = cell.getBoundingClientRect();
        return { mark: e.textContent, left: m.left, right: m.right, cellLeft: c.left, cellRight: c.right, title: cell.getAttribute('title') ?? '', col: Array.from(cell.classList).find((k) => k.startsWith('c-')) };
      }));
      const marks = boxes.filter((b) => b.mark === ' (inferred)');
      expect(marks.length, 'inferred identities in view').toBeGreaterThan(10);
      for (const b of boxes) {
        expect(b.right, `${b.col} "${b.title}": the mark ends inside its cell`).toBeLessThanOrEqual(b.cellRight + 0.5);
        expect(b.left).toBeGreaterThanOrEqual(b.cellLeft);
        if (b.col === 'c-identityA' || b.col === 'c-identityB') expect(b.title).toMatch(/\(inferred\)$/);
      }
      // Marks inside the columns that are in the window are in the window.
      const inWindow = marks.filter((b) => b.cellRight <= size.width);
      expect(inWindow.length).toBeGreaterThan(10);
      // The client's address is shown whole (not "192.168.56.100:53…").
      const cut = await page.$$eval('[data-testid=flows-table] [role=row][aria-rowindex] :is(.c-a, .c-b, .c-firstTime, .c-packets, .c-bytes)', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
      expect(cut).toEqual([]);
      // Every header reads whole ("Proto", "Packets", not "Pro…").
      const cutHeads = await page.$$eval('[data-testid=flows-table] [role=columnheader]', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
      expect(cutHeads).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, `flows-inferred-${size.width}x${size.height}.png`) });
      expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
      await page.context().close();
    }, 300_000);
  }

  it('the Community ID column (under Columns) shows the JSON\'s flows[].communityId for a client connection (1440×900)', async () => {
    const ctx = testContext();
    expect(await runAnalyze([...labFiles, '--cluster', path.join(LAB, 'cluster.json'), '--format', 'json'], ctx)).toBe(0);
    const json = JSON.parse(ctx.out) as { flows: Array<{ id: number; a: { ip: string; port: number | null }; b: { ip: string; port: number | null }; communityId: string | null }> };
    const sc = truth!.scenarios.find((s) => s.name === 'nginx-proxy')!;
    const page = await h.newPage();
    const errorsBefore = pageErrors(page).length;
    await page.setViewportSize({ width: 1440, height: 900 });
    await gotoApp(page, h.url);
    await page.evaluate(() => localStorage.clear());
    await openFlows(page);
    expect(await page.locator('[data-testid=flows-table] [role=columnheader].c-communityId').count(), 'hidden by default').toBe(0);
    await page.click('.chooser > button');
    await page.locator('.chooser-menu label', { hasText: 'Community ID' }).locator('input[type=checkbox]').check();
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=flows-table] [role=columnheader].c-communityId');
    await page.selectOption('select[aria-label=Transport]', 'tcp');
    await waitRows(page, 'flows-table', sc.connections.endToEnd);
    const rows = await rowsInView(page, 'flows-table');
    const clientPorts = sc.requests.map((r) => r.clientPort);
    const row = rows.find((r) => clientPorts.includes(Number(r.cells['a']!.split(':').pop())))!;
    expect(row, 'a client connection row').toBeDefined();
    const ep = (e: { ip: string; port: number | null }) => (e.port === null ? e.ip : `${e.ip}:${e.port}`);
    const flow = json.flows.find((f) => f.id === Number(row.cells['id']!.replace(/\D/g, '')))!;
    // The same flow in both: its endpoints as the row shows them.
    expect([ep(flow.a), ep(flow.b)]).toEqual([row.cells['a'], row.cells['b']]);
    expect(flow.communityId).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
    await page.locator(`[data-testid=flows-table] [role=row][aria-rowindex="${row.index}"] .c-communityId`).scrollIntoViewIfNeeded();
    expect(await page.locator(`[data-testid=flows-table] [role=row][aria-rowindex="${row.index}"] .c-communityId [data-testid=community-id]`).innerText()).toBe(flow.communityId);
    expect(row.cells['communityId']).toBe(flow.communityId);
    // The ID reads whole in its default width (30 characters, not "1:ezq5…").
    const cut = await page.$$eval('[data-testid=flows-table] [role=row][aria-rowindex] .c-communityId', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    expect(cut).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'flows-community-id-1440x900.png') });
    expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
    await page.context().close();
  }, 300_000);
});
