/**
 * The header and the Export menu in Debian's Chromium at 1280×720 and
 * 1440×900, on the lab's nginx-proxy folder opened with Folder…: the header
 * names the session after its folder and says whether cluster metadata is
 * loaded (which file, how many nodes, pods and Services, counted here from
 * cluster.json itself), with a popover to see and replace it (Escape and an
 * outside click close it); a capture chosen as metadata is refused with a
 * message naming the file, and the metadata loaded stays. Export → CSV
 * tables (zip) downloads flows.csv, http.csv and dns.csv, each one table
 * (read back by Python's csv and zipfile modules), with as many rows as the
 * CLI's JSON has flows, HTTP and DNS transactions; the HTML report's title
 * and every file name come from the short label; link types by name;
 * Markdown keeps addresses plain. Screenshots: test-artifacts/wb-header-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from '../helpers/corpus.js';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness } from './browser.js';
import { gotoApp } from './table-helpers.js';

const FOLDER = path.join(LAB, 'captures', 'nginx-proxy');
const CLUSTER = path.join(LAB, 'cluster.json');
const labFiles = (() => { try { return readdirSync(FOLDER).filter((f) => f.endsWith('.pcap')).sort(); } catch { return []; } })();
const present = labFiles.length === 14;
const SIZES = [{ width: 1280, height: 720 }, { width: 1440, height: 900 }] as const;

if (!chromiumPresent) console.warn('SKIPPED: wb-exports e2e needs Chromium at /usr/bin/chromium');

/** What cluster.json names, counted from the file itself. */
function clusterCounts(): { nodes: number; pods: number; services: number } {
  const items = (JSON.parse(readFileSync(CLUSTER, 'utf8')) as { items: Array<{ kind: string }> }).items;
  const n = (k: string) => items.filter((i) => i.kind === k).length;
  return { nodes: n('Node'), pods: n('Pod'), services: n('Service') };
}

/** The CLI's figures for the same folder (the JSON contract). */
function cliCounts(): { flows: number; http: number; dns: number } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/overlayscope.js'), 'analyze', FOLDER, '--cluster', CLUSTER, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`overlayscope analyze failed (${r.status}): ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { flows: unknown[]; http: unknown[]; dns?: unknown[] };
  return { flows: j.flows.length, http: j.http.length, dns: j.dns?.length ?? 0 };
}

interface Table { header: string[]; rows: number; widths: number[] }
/** Every member of a zip read by Python's zipfile and csv modules: its header, row count, and the distinct field counts of its rows. */
function readZip(file: string): Record<string, Table> {
  const py = [
    'import csv, io, json, sys, zipfile',
    'out = {}',
    'with zipfile.ZipFile(sys.argv[1]) as z:',
    '    assert z.testzip() is None',
    '    for n in z.namelist():',
    '        rows = list(csv.reader(io.StringIO(z.read(n).decode("utf-8"), newline="")))',
    '        out[n.split("/")[-1]] = {"header": rows[0], "rows": len(rows) - 1, "widths": sorted({len(r) for r in rows})}',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 zipfile/csv failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, Table>;
}

function readCsv(file: string): Table {
  const py = 'import csv, json, sys\nrows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))\nprint(json.dumps({"header": rows[0], "rows": len(rows) - 1, "widths": sorted({len(r) for r in rows})}))';
  const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 csv failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Table;
}

/** Picks an Export menu entry and returns the downloaded file's name and path. */
async function exportAs(page: Page, format: string): Promise<{ name: string; file: string }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.selectOption('[data-testid=export]', format)]);
  const file = (await download.path())!;
  await page.locator('[data-testid=export-message] button', { hasText: 'OK' }).click();
  return { name: download.suggestedFilename(), file };
}

/** The element's box lies inside the window and does not cover any of the header's buttons. */
async function chipFits(page: Page): Promise<void> {
  const { chip, others, width } = await page.evaluate(() => {
    const box = (e: Element) => { const r = e.getBoundingClientRect(); return { l: r.left, r: r.right, t: r.top, b: r.bottom }; };
    return {
      chip: box(document.querySelector('[data-testid=cluster-chip]')!),
      others: Array.from(document.querySelectorAll('.topbar .actions > *, .topbar .brand')).map(box),
      width: document.documentElement.clientWidth,
    };
  });
  expect(chip.r).toBeLessThanOrEqual(width);
  // The session's name beside it is shown whole, not cut to "n…".
  expect(await page.$eval('[data-testid=session-label]', (e) => e.scrollWidth <= e.clientWidth + 1)).toBe(true);
  expect(chip.r - chip.l).toBeGreaterThan(60);
  for (const o of others) expect(chip.r <= o.l || chip.l >= o.r || chip.b <= o.t || chip.t >= o.b, 'the chip overlaps a header control').toBe(true);
}

describe.skipIf(!chromiumPresent || !present)('header and exports: metadata said, tables one a file', () => {
  let h: Harness;
  let cli: { flows: number; http: number; dns: number };
  beforeAll(async () => { cli = cliCounts(); h = await startHarness(); }, 180_000);
  afterAll(async () => { await h?.close(); });

  for (const size of SIZES) {
    it(`the header names the folder and its metadata; Export gives the zip of one-table CSVs at ${size.width}×${size.height}`, async () => {
      const page = await h.newPage();
      const errorsBefore = pageErrors(page).length;
      await page.setViewportSize(size);
      await gotoApp(page, h.url);
      await page.setInputFiles('[data-testid=folder-input]', FOLDER);
      await page.waitForSelector('[data-testid=total-packets]', { timeout: 60_000 });
      expect(await page.textContent('[data-testid=session-label]')).toBe('nginx-proxy · 14 capture points');
      expect(await page.textContent('[data-testid=cluster-chip]')).toBe('no cluster metadata');
      await chipFits(page);

      // Load through the chip's popover: the header says which file and what it names.
      const want = clusterCounts();
      await page.click('[data-testid=cluster-chip]');
      await page.setInputFiles('[data-testid=cluster-replace-input]', CLUSTER);
      const loaded = `cluster.json · ${want.nodes} nodes, ${want.pods} pods, ${want.services} Services`;
      await page.waitForFunction((t) => document.querySelector('[data-testid=cluster-chip]')?.textContent?.replace(/^●\s*/, '') === t, loaded, { timeout: 60_000 });
      await chipFits(page);
      await page.screenshot({ path: path.join(ARTIFACTS, `wb-header-${size.width}x${size.height}.png`) });

      // See it: the popover lists the file; Escape and an outside click close it.
      await page.click('[data-testid=cluster-chip]');
      expect(await page.locator('[data-testid=cluster-files] li').allTextContents()).toEqual(['cluster.json']);
      await page.screenshot({ path: path.join(ARTIFACTS, `wb-header-popover-${size.width}x${size.height}.png`) });
      await page.keyboard.press('Escape');
      await page.waitForSelector('[data-testid=cluster-popover]', { state: 'detached' });
      await page.click('[data-testid=cluster-chip]');
      await page.mouse.click(size.width / 2, size.height - 40);
      await page.waitForSelector('[data-testid=cluster-popover]', { state: 'detached' });

      // A capture chosen as metadata: refused with the file's name; the metadata loaded stays.
      await page.click('[data-testid=cluster-chip]');
      await page.setInputFiles('[data-testid=cluster-replace-input]', path.join(FOLDER, 'client-eth0.pcap'));
      const banner = await page.waitForSelector('[data-testid=open-error]', { timeout: 60_000 });
      expect(await banner.textContent()).toMatch(/client-eth0\.pcap is a capture \(pcap\), not kubectl metadata/);
      expect(await banner.textContent()).not.toMatch(/YAML|yaml|JSON\.parse|Unexpected token/);
      await page.screenshot({ path: path.join(ARTIFACTS, `wb-header-wrong-metadata-${size.width}x${size.height}.png`) });
      await page.click('[data-testid=open-error] button');
      expect((await page.textContent('[data-testid=cluster-chip]'))!.replace(/^●\s*/, '')).toBe(loaded);
      // Replace (not add): still one file.
      await page.click('[data-testid=cluster-chip]');
      await page.setInputFiles('[data-testid=cluster-replace-input]', CLUSTER);
      await page.waitForFunction(() => !document.querySelector('[data-testid=progress]') && document.querySelector('[data-testid=cluster-chip]:not([disabled])'), undefined, { timeout: 60_000 });
      await page.click('[data-testid=cluster-chip]');
      expect(await page.locator('[data-testid=cluster-files] li').allTextContents()).toEqual(['cluster.json']);
      await page.keyboard.press('Escape');

      // Export → CSV tables (zip): flows.csv, http.csv, dns.csv, each one table with the CLI's row counts.
      const zip = await exportAs(page, 'zip');
      expect(zip.name).toBe('overlayscope-nginx-proxy-tables.zip');
      const tables = readZip(zip.file);
      expect(Object.keys(tables).sort()).toEqual(['dns.csv', 'flows.csv', 'http.csv']);
      for (const [name, t] of Object.entries(tables)) expect(t.widths, `${name}: every row as wide as its header`).toEqual([t.header.length]);
      expect(tables['flows.csv']!.rows).toBe(cli.flows);
      expect(tables['http.csv']!.rows).toBe(cli.http);
      expect(tables['dns.csv']!.rows).toBe(cli.dns);
      // Identity columns: each endpoint's kind and name.
      expect(tables['flows.csv']!.header.some((c) => /^a.*kind$/i.test(c) || /a_kind|aKind/.test(c))).toBe(true);
      // The flows CSV alone is the same one table.
      const flows = await exportAs(page, 'csv');
      expect(flows.name).toBe('overlayscope-nginx-proxy-flows.csv');
      const f = readCsv(flows.file);
      expect(f.header).toEqual(tables['flows.csv']!.header);
      expect(f.rows).toBe(cli.flows);

      // HTML: the title from the short label, link types by name.
      const html = await exportAs(page, 'html');
      expect(html.name).toBe('overlayscope-nginx-proxy.html');
      const text = readFileSync(html.file, 'utf8');
      expect(text).toContain('<title>OverlayScope report: nginx-proxy</title>');
      expect(text).not.toMatch(/more characters/);
      expect(text).toMatch(/>Ethernet</);
      // Journeys drawn: one inline SVG a client request (truth.json's), lanes named by cluster.json's pods.
      const truth = JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')) as { scenarios: Array<{ name: string; requests: unknown[] }> };
      const figures = text.match(/<figure class="journey"><svg /g) ?? [];
      expect(figures.length).toBe(truth.scenarios.find((x) => x.name === 'nginx-proxy')!.requests.length);
      const pods = (JSON.parse(readFileSync(CLUSTER, 'utf8')) as { items: Array<{ kind: string; metadata: { name: string } }> }).items.filter((i) => i.kind === 'Pod' && /nginx-proxy|web/.test(i.metadata.name));
      expect(pods.some((p) => text.includes(`>${p.metadata.name}<`) || text.includes(p.metadata.name))).toBe(true);
      // Markdown: addresses as they are, no escaped dots.
      const md = await exportAs(page, 'md');
      expect(md.name).toBe('overlayscope-nginx-proxy.md');
      const mdText = readFileSync(md.file, 'utf8');
      expect(mdText.split('\n')[0]).toBe('# OverlayScope report: nginx-proxy');
      expect(mdText).toContain('10.244.2.10');
      expect(mdText).not.toMatch(/\d\\\.\d/);
      expect(pageErrors(page).slice(errorsBefore).filter((e) => !/is a capture/.test(e))).toEqual([]);
      await page.context().close();
    }, 300_000);
  }
});
