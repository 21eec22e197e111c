/**
 * In Debian's Chromium: the Overview says a capture was made with offloads on
 * (fixtures/offloads/offloads-on.pcap: super-packets up to 65226 bytes), and
 * the Flows view shows the translation of a connection joined from two NAT
 * half-views (the lab's node2-cni0.pcap, nginx-proxy: the proxy's request
 * after DNAT, the reply from the ClusterIP). Screenshots:
 * test-artifacts/overview-offloads.png, flows-nat.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness } from './browser.js';

const ON = path.join(LAB, '..', 'offloads', 'offloads-on.pcap');
const CNI0 = path.join(LAB, 'captures', 'nginx-proxy', 'node2-cni0.pcap');

describe.skipIf(!chromiumPresent || !existsSync(ON) || !existsSync(CNI0))('offloads and NAT half-views in the app', () => {
  let h: Harness;
  let page: Page;
  beforeAll(async () => {
    h = await startHarness();
    page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
  });
  afterAll(async () => { await h?.close(); });

  it('the Overview notes the offloaded super-packets of a capture', async () => {
    await page.setInputFiles('[data-testid=file-input]', [ON]);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 30_000 });
    const note = page.locator('[data-testid=offload-note]');
    await note.waitFor({ timeout: 30_000 });
    expect(await note.innerText()).toMatch(/^offloads-on: offloads were on: 25 of 72 frames exceed 1,?514 bytes,\s+up to 65,?226 \(GSO\/TSO\/GRO super-packets\)/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'overview-offloads.png'), fullPage: false });
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);

  it('a flow joined from NAT half-views shows its translation', async () => {
    await page.setInputFiles('[data-testid=file-input]', [CNI0]);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 30_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid=offload-note]'));
    await page.click('[data-testid=tab-flows]');
    await page.waitForSelector('[data-testid=view-flows]');
    await page.fill('input[aria-label="Flow filter"]', '8080');
    await page.waitForFunction(() => /^5 of/.test(document.querySelector('[data-testid=flow-count]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.click('[data-testid=flows-table] [role=row][aria-rowindex="1"]');
    const nat = page.locator('[data-testid=flow-nat]');
    await nat.waitFor({ timeout: 30_000 });
    expect(await nat.innerText()).toMatch(/^dnat: 10\.244\.2\.10:\d+ → 10\.96\.0\.10:80 seen as 10\.244\.2\.10:\d+ → 10\.244\.[13]\.10:8080/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'flows-nat.png'), fullPage: false });
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);
});
