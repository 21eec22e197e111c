/**
 * Loading a bigger capture in the browser build: the progress bar shows
 * bytes read and a live packet count (the first counts) before the summary,
 * and Cancel stops the read, keeping what was read. The capture is made by
 * the project's benchmark generator (bench/gen-overlay.mjs), ~50 MB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/corpus.js';
import { ARTIFACTS, chromiumPresent, startHarness, type Harness } from './browser.js';

const GEN = path.join(ROOT, 'bench', 'gen-overlay.mjs');
const num = (s: string | null) => Number((s ?? '').replace(/[^0-9]/g, ''));

describe.skipIf(!chromiumPresent || !existsSync(GEN))('progress and cancel in the browser build', () => {
  let h: Harness;
  let dir: string;
  let file: string;
  /** The same capture as 16 capture points (hard links): ~0.8 GB to read, so there is time to cancel. */
  let files: string[] = [];
  const COPIES = 16;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-progress-'));
    file = path.join(dir, 'overlay-60000.pcap');
    const r = spawnSync(process.execPath, [GEN, '--out', file, '--packets', '60000', '--quiet'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gen-overlay failed: ${r.stderr}`);
    files = Array.from({ length: COPIES }, (_, i) => { const f = path.join(dir, `point-${i}.pcap`); linkSync(file, f); return f; });
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows live counts while reading, and Cancel keeps what was read', async () => {
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await page.setInputFiles('[data-testid=file-input]', files);
    await page.waitForFunction(() => Number((document.querySelector('[data-testid=live-packets]')?.textContent ?? '').replace(/\D/g, '')) > 0, null, { timeout: 20_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'progress.png') });
    const live = num(await page.textContent('[data-testid=live-packets]'));
    expect(live).toBeGreaterThan(0);
    expect(live).toBeLessThan(60_000 * COPIES);
    await page.click('[data-testid=cancel]');
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 30_000 });
    const kept = num(await page.textContent('[data-testid=total-packets]'));
    expect(kept).toBeGreaterThanOrEqual(live);
    expect(kept).toBeLessThan(60_000 * COPIES);
    expect(await page.textContent('[data-testid=captures-table]')).toContain('cancelled');
    expect(statSync(file).size).toBeGreaterThan(10_000_000);
  });
});
