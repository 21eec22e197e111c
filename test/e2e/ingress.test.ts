/**
 * The Overlay view in Debian's Chromium names the Ingress rule a journey
 * followed: the lab's ingress scenario opened with its cluster metadata.
 * Screenshot: test-artifacts/overlay-ingress.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness } from './browser.js';

const SCENARIO = path.join(LAB, 'captures', 'ingress');
const files = (() => { try { return readdirSync(SCENARIO).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(SCENARIO, f)); } catch { return []; } })();

describe.skipIf(!chromiumPresent || files.length === 0)('Overlay view: the Ingress a journey followed', () => {
  let h: Harness;
  let page: Page;
  beforeAll(async () => {
    h = await startHarness();
    page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
  });
  afterAll(async () => { await h?.close(); });

  it('shows the rule, its backend Service and the controller under the journey', async () => {
    await page.setInputFiles('[data-testid=file-input]', [...files, path.join(LAB, 'cluster.json')]);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 30_000 });
    await page.click('[data-testid=tab-overlay]');
    await page.waitForSelector('[data-testid=view-overlay]');
    const line = page.locator('[data-testid=journey-ingress]');
    await line.waitFor({ timeout: 30_000 });
    const text = await line.innerText();
    expect(text).toMatch(/Via Ingress default\/web/);
    expect(text).toContain('web.overlayscope.test/');
    expect(text).toContain('default/web:80');
    expect(text).toMatch(/controller ingress-nginx\/ingress-nginx-controller-/);
    await line.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'overlay-ingress.png'), fullPage: true });
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);
});
