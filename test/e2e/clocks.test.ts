/**
 * The Overview in Debian's Chromium says how far each host's clock is from
 * the reference host's: the lab's nginx-proxy captures shifted per host with
 * editcap (fixtures/lab/captures-skew/skew-vm: node2 +37 ms, node3 -120 ms,
 * client +4 ms). Screenshot: test-artifacts/overview-clocks.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness } from './browser.js';

const SET = path.join(LAB, 'captures-skew', 'skew-vm', 'nginx-proxy');
const files = (() => { try { return readdirSync(SET).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(SET, f)); } catch { return []; } })();

describe.skipIf(!chromiumPresent || files.length === 0)('Overview: hosts and clocks', () => {
  let h: Harness;
  let page: Page;
  beforeAll(async () => {
    h = await startHarness();
    page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
  });
  afterAll(async () => { await h?.close(); });

  it('names each host, its offset from the reference clock and that times were corrected', async () => {
    await page.setInputFiles('[data-testid=file-input]', files);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 30_000 });
    const card = page.locator('[data-testid=host-clocks]');
    await card.waitFor({ timeout: 30_000 });
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, "overview-clocks.png"), fullPage: false });
    const notes = await page.locator('[data-testid=clock-note]').allInnerTexts();
    // node1 and node3 against node2 (the reference: linked to the most hosts): 37 ms and 157 ms behind.
    expect(notes.some((n) => /^node1's clock is 3[67](\.\d+)? ± [\d.]+ ms behind node2's; times corrected/.test(n)), notes.join('\n')).toBe(true);
    expect(notes.some((n) => /^node3's clock is 15[67](\.\d+)? ± [\d.]+ ms behind node2's; times corrected/.test(n)), notes.join('\n')).toBe(true);
    const text = await card.innerText();
    expect(text).toContain('node1-cni0, node1-eth0, node1-flannel.1');
    expect(text).toContain('reference');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'overview-clocks.png'), fullPage: false });
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);

  it('states a host and turns correction off from the Overview (re-analysed, as the CLI\'s --host and --no-clock-correction)', async () => {
    await page.click('[data-testid=edit-hosts]');
    const editor = page.locator('[data-testid=host-editor]');
    await editor.waitFor();
    await page.fill('input[aria-label="host of client-eth0"]', 'laptop');
    await editor.locator('input[type=checkbox]').uncheck();
    await editor.screenshot({ path: path.join(ARTIFACTS, 'overview-hosts-editor.png') });
    await page.click('[data-testid=apply-hosts]');
    await page.waitForFunction(() => /laptop/.test(document.querySelector('[data-testid=host-clocks]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    const text = await page.locator('[data-testid=host-clocks]').innerText();
    expect(text).toMatch(/laptop\s+client-eth0/);
    const notes = await page.locator('[data-testid=clock-note]').allInnerTexts();
    expect(notes.length).toBeGreaterThan(0);
    for (const n of notes) expect(n).toMatch(/times not corrected/);
    expect(text).not.toMatch(/\bcorrected\b(?! \()/);
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);
});
