/**
 * The browser build opens the other tools' layouts (issue 16) in one step:
 * a Kubeshark export (fixtures/kubeshark) dropped on the window opens as its
 * three node captures, the CLI's packets per capture, each capture saying its
 * source (Kubeshark, its node) in the Overview, Services named from the name
 * history without kubectl; an Inspektor Gadget pcapng says its zero timestamps
 * (and its flows' RTT and HTTP durations are "—", titled why); an Antrea
 * pcapng and ksniff's pod files (with cluster.json) give the CLI's packets
 * and capture points, computed here from dist/cli.js.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, ROOT } from '../helpers/corpus.js';
import { ARTIFACTS, chromiumPresent, dropFiles, LAB, loadFiles, pageErrors, startHarness, type Harness } from './browser.js';

/** The CLI's capture points for FILES (dist/cli.js analyze --format json), the reference the app must equal. */
function cliPoints(args: string[]): Array<{ name: string; file: string; packets: number; source: { tool: string; node?: string | null; pod?: string; timestamps?: string } }> {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'analyze', ...args, '--format', 'json'], { cwd: ROOT, timeout: 120_000, maxBuffer: 256 << 20, encoding: 'utf8' });
  return JSON.parse(out).capturePoints;
}

describe.skipIf(!chromiumPresent)('capture tools\' layouts in the browser build', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); }, 300_000);
  afterAll(async () => { await h?.close(); });

  it('a dropped Kubeshark export: 337, 243 and 24 packets, each capture\'s source and node, Services named', async () => {
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await dropFiles(page, [{ name: 'nginx-proxy.tar.gz', bytes: readFileSync(fixturePath('kubeshark/nginx-proxy.tar.gz')) }]);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
    expect(await page.locator('[data-testid=total-packets]').innerText()).toMatch(/^604$/);
    expect(await page.locator('[data-testid=capture-packets]').allInnerTexts()).toEqual(['337', '243', '24']);
    const sources = await page.locator('[data-testid=capture-source]').allInnerTexts();
    expect(sources).toHaveLength(3);
    ['node1', 'node2', 'node3'].forEach((n, i) => {
      expect(sources[i]).toContain('Kubeshark');
      expect(sources[i]).toContain(`node ${n}`);
      expect(sources[i]).toMatch(new RegExp(`nginx-proxy\\.tar\\.gz: ${n}_192\\.168\\.56\\.1\\d\\.pcap`));
    });
    expect(await page.locator('[data-testid=cluster-state]').innerText()).toMatch(/loaded/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-kubeshark-overview.png') });
    await page.click('[data-testid=tab-overlay]');
    await page.waitForTimeout(1500);
    expect(await page.locator('main').innerText()).toContain('default/nginx-proxy');
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-kubeshark-overlay.png'), fullPage: true });
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  it('dropped Calico PacketCapture files: each its pod\'s point on its node, named from the file name', async () => {
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    const dir = fixturePath('calico/nginx-proxy/default/lab-capture');
    const files = readdirSync(dir).sort();
    await dropFiles(page, files.map((f) => ({ name: f, bytes: readFileSync(path.join(dir, f)) })));
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
    expect(await page.locator('[data-testid=total-packets]').innerText()).toMatch(/^368$/);
    expect(await page.locator('[data-testid=capture-packets]').allInnerTexts()).toEqual(['101', '243', '24']);
    const sources = await page.locator('[data-testid=capture-source]').allInnerTexts();
    expect(sources).toEqual([
      expect.stringMatching(/^Calico PacketCapture · node node1 · pod default\/web-6b9c8d7f5-4xk2p · cali[0-9a-f]{11}$/),
      expect.stringMatching(/^Calico PacketCapture · node node2 · pod default\/nginx-proxy-7c5d9b8f4-tq6wn · cali[0-9a-f]{11}$/),
      expect.stringMatching(/^Calico PacketCapture · node node3 · pod default\/web-6b9c8d7f5-r8mzt · cali[0-9a-f]{11}$/),
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-calico-overview.png') });
    // A plain capture says nothing more than its file name.
    await dropFiles(page, [{ name: 'node1-eth0.pcap', bytes: readFileSync(fixturePath('lab/captures/nginx-proxy/node1-eth0.pcap')) }]);
    await page.waitForFunction(() => document.querySelector('[data-testid=total-packets]')?.textContent === '337', undefined, { timeout: 60_000 });
    expect(await page.locator('[data-testid=capture-source]').count()).toBe(0);
    // ... and its times are real: HTTP durations measured, no untimed note (the IG test's opposite).
    await page.click('[data-testid=tab-http]');
    await page.waitForSelector('[data-testid=http-ttfb]', { timeout: 30_000 });
    const ttfb = page.locator('[data-testid=http-ttfb]');
    expect(await ttfb.count()).toBeGreaterThan(0);
    for (const t of await ttfb.allInnerTexts()) expect(t).toMatch(/^\d+\.\d+ ms$/);
    expect(await ttfb.first().getAttribute('title')).toBeNull();
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  it('a dropped Antrea PacketCapture pcapng: the CLI\'s packets, its source Antrea with coarse timestamps', async () => {
    const dir = fixturePath('antrea');
    const file = readdirSync(dir).find((f) => f.endsWith('.pcapng'))!;
    const cli = cliPoints([path.join(dir, file)]);
    expect(cli).toHaveLength(1);
    expect(cli[0]!.source.tool).toBe('antrea');
    expect(cli[0]!.source.timestamps).toBe('coarse');
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await dropFiles(page, [{ name: file, bytes: readFileSync(path.join(dir, file)) }]);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
    expect(await page.locator('[data-testid=total-packets]').innerText()).toBe(String(cli[0]!.packets));
    expect(await page.locator('[data-testid=capture-packets]').allInnerTexts()).toEqual([String(cli[0]!.packets)]);
    const source = await page.locator('[data-testid=capture-source]').allInnerTexts();
    expect(source).toHaveLength(1);
    expect(source[0]).toContain('Antrea PacketCapture');
    expect(source[0]).toMatch(/coarse/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-antrea-overview.png') });
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  it('ksniff\'s three pod files opened with cluster.json: each its pod\'s point on its node, the CLI\'s packets with --cluster', async () => {
    const dir = fixturePath('ksniff/nginx-proxy');
    const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f));
    const cluster = path.join(LAB, 'cluster.json');
    const cli = cliPoints([...files, '--cluster', cluster]);
    expect(cli).toHaveLength(3);
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await loadFiles(page, [...files, cluster]);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=capture-source]').length === 3, undefined, { timeout: 60_000 });
    expect(await page.locator('[data-testid=cluster-state]').innerText()).toMatch(/loaded/);
    const total = cli.reduce((a, c) => a + c.packets, 0);
    expect(await page.locator('[data-testid=total-packets]').innerText()).toBe(total.toLocaleString('en-US'));
    const rows = page.locator('[data-testid=captures-table] tbody tr');
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const row = rows.nth(i);
      const fileName = (await row.locator('td').nth(1).getAttribute('title'))!.split(/[\\/]/).pop()!;
      const ref = cli.find((c) => path.basename(c.file) === fileName)!;
      expect(ref, fileName).toBeTruthy();
      expect(ref.source.tool).toBe('ksniff');
      expect(await row.locator('[data-testid=capture-packets]').innerText()).toBe(String(ref.packets));
      const src = await row.locator('[data-testid=capture-source]').innerText();
      expect(src).toContain('ksniff / kubectl debug');
      expect(src).toContain(`node ${ref.source.node}`);
      expect(src).toContain(`pod ${ref.source.pod}`);
      expect(await row.locator('td').first().innerText()).toContain(ref.name);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-ksniff-overview.png') });
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  it('a dropped Inspektor Gadget pcapng: its containers as capture points, its zero timestamps said', async () => {
    const page = await h.newPage();
    await page.goto(`${h.url}?autoload=0`);
    await page.waitForSelector('text=Open a capture');
    await dropFiles(page, [{ name: 'nginx-proxy.pcapng', bytes: readFileSync(fixturePath('inspektor-gadget/nginx-proxy.pcapng')) }]);
    await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
    expect(await page.locator('[data-testid=total-packets]').innerText()).toMatch(/^368$/);
    const source = await page.locator('[data-testid=capture-source]').allInnerTexts();
    expect(source).toHaveLength(1);
    expect(source[0]).toContain('Inspektor Gadget');
    expect(source[0]).toContain('timestamps all 0');
    expect(source[0]).toContain('4 containers on node1, node2, node3');
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-gadget-overview.png') });
    // No durations from zero timestamps: the JSON's nulls are the tables' "—", each saying why.
    const untimedTitle = /timestamps are all zero/;
    await page.click('[data-testid=tab-http]');
    await page.waitForSelector('[data-testid=http-ttfb]', { timeout: 30_000 });
    for (const id of ['http-ttfb', 'http-total']) {
      const cells = page.locator(`[data-testid=${id}]`);
      expect(await cells.count()).toBeGreaterThan(0);
      expect(new Set(await cells.allInnerTexts())).toEqual(new Set(['—']));
      for (const c of await cells.all()) expect(await c.getAttribute('title')).toMatch(untimedTitle);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-gadget-http.png') });
    await page.click('[data-testid=tab-flows]');
    await page.waitForSelector('[data-testid=flows-table]', { timeout: 30_000 });
    await page.click('button:has-text("Columns")');
    await page.locator('.chooser-item', { hasText: 'RTT' }).locator('input').check();
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=flow-rtt]', { timeout: 30_000 });
    const rtts = page.locator('[data-testid=flow-rtt]');
    expect(await rtts.count()).toBeGreaterThan(0);
    expect(new Set(await rtts.allInnerTexts())).toEqual(new Set(['—']));
    for (const c of await rtts.all()) expect(await c.getAttribute('title')).toMatch(untimedTitle);
    await page.screenshot({ path: path.join(ARTIFACTS, 'bundles-gadget-flows.png') });
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);
});
