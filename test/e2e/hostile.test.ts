/**
 * Text from captures is shown as text: a capture whose HTTP Host, URI and
 * headers and whose DNS name hold markup and event handlers
 * (test/report/crafted-capture.ts) is opened in the browser build; the
 * strings appear literally, no element or handler from them reaches the
 * DOM, no dialog opens. And the renderer never uses raw HTML at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/corpus.js';
import { craftHostileCapture, EVIL } from '../report/crafted-capture.js';
import { ARTIFACTS, LAB, chromiumPresent, dropFiles, startHarness, type Harness } from './browser.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []));
}

describe('renderer source', () => {
  it('never renders raw HTML', () => {
    for (const f of sources(path.join(ROOT, 'renderer'))) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/dangerouslySetInnerHTML|\.innerHTML\s*=|outerHTML\s*=|insertAdjacentHTML|document\.write/);
    }
  });
});

const SOURCE = path.join(LAB, 'captures', 'nginx-proxy', 'client-eth0.pcap');
let labPresent = false;
try { labPresent = readdirSync(path.dirname(SOURCE)).includes('client-eth0.pcap'); } catch { /* absent */ }

describe.skipIf(!chromiumPresent || !labPresent)('a hostile capture in the browser build', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-hostile-'));
    craftHostileCapture(SOURCE, path.join(dir, 'hostile.pcap'));
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the markup as text in every view and runs none of it', async () => {
    const page = await h.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await dropFiles(page, [{ name: 'hostile.pcap', bytes: readFileSync(path.join(dir, 'hostile.pcap')) }]);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 30_000 });
    const views: Array<[string, string]> = [['packets', 'packets-table'], ['http', 'http-table'], ['dns', 'dns-table']];
    let literal = 0;
    for (const [tab, table] of views) {
      await page.click(`[data-testid=tab-${tab}]`);
      await page.waitForSelector(`[data-testid=${table}] [role=row][aria-rowindex="1"], [data-testid=not-available]`);
      if (tab === 'packets') await page.fill('input[aria-label="Packet filter"]', 'script');
      await page.waitForTimeout(300);
      const text = await page.locator('main').innerText();
      if (text.includes('<script>')) literal++;
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'hostile-dns.png') });
    expect(literal).toBeGreaterThan(0);
    // Nothing from the capture became markup.
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.evaluate(() => Array.from(document.querySelectorAll("*")).some((el) => Array.from(el.attributes).some((a) => a.name.startsWith('on'))))).toBe(false);
    expect(await page.evaluate(() => document.documentElement.outerHTML.includes('<script>alert(1)</script>'))).toBe(false);
    expect(dialogs).toEqual([]);
    expect(EVIL.script).toBe('<script>alert(1)</script>');
  });
});
