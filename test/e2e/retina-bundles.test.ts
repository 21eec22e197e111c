/**
 * The browser build opens what clusters export (issue 16): Retina's per-node
 * tar.gz bundles dropped on the window (fixtures/retina/nginx-proxy) open as
 * one session of three any-interface captures, the same packets per capture
 * as the CLI; the file pickers accept .gz/.tgz/.tar/.zip.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/corpus.js';
import { ARTIFACTS, chromiumPresent, dropFiles, pageErrors, startHarness, type Harness } from './browser.js';

const DIR = fixturePath('retina/nginx-proxy');

describe.skipIf(!chromiumPresent)('Retina bundles in the browser build', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); }, 300_000);
  afterAll(async () => { await h?.close(); });

  it('three dropped node bundles open as one session: 758, 972 and 96 packets, Services named without kubectl', async () => {
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    for (const input of ['file-input', 'add-input']) {
      const accept = await page.getAttribute(`[data-testid=${input}]`, 'accept');
      for (const ext of ['.gz', '.tgz', '.tar', '.zip']) expect(accept, input).toContain(ext);
    }
    const files = readdirSync(DIR).filter((f) => f.endsWith('.tar.gz')).sort();
    await dropFiles(page, files.map((f) => ({ name: f, bytes: readFileSync(path.join(DIR, f)) })));
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
    expect(await page.locator('[data-testid=total-packets]').innerText()).toMatch(/1[,.\u202f ]?826/);
    const perCapture = await page.locator('[data-testid=capture-packets]').allInnerTexts();
    expect(perCapture).toEqual(['758', '972', '96']);
    expect(await page.locator('[data-testid=capture-error]').count()).toBe(0);
    // Services and nodes came with the bundles: the session says it has cluster metadata.
    expect(await page.locator('[data-testid=cluster-state]').innerText()).toMatch(/loaded/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'retina-overview.png') });
    await page.click('[data-testid=tab-overlay]');
    await page.waitForTimeout(1500);
    const text = await page.locator('main').innerText();
    expect(text).toContain('default/nginx-proxy');
    expect(text).toContain('default/web');
    await page.screenshot({ path: path.join(ARTIFACTS, 'retina-overlay.png'), fullPage: true });
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);
});
