/**
 * The HTML report in a real browser (Debian's Chromium through
 * playwright-core): opened from a file, it runs nothing, loads nothing,
 * shows every section and its charts (screenshots in
 * test-artifacts/report/); Chromium's print-to-PDF of the same file (what
 * Electron's printToPDF does in the app) has every section, checked on its
 * text (pdftotext) and on its pages rendered with pdftoppm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { runReport } from '../../src/cli/commands.js';
import { ROOT } from '../helpers/corpus.js';
import { labPresent, LAB } from '../compare/lab.js';
import { testContext } from './cli-context.js';
import { EVIL, craftHostileCapture } from './crafted-capture.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const chromiumPresent = existsSync(CHROMIUM);
const havePoppler = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' }).error === undefined && spawnSync('pdftotext', ['-v']).error === undefined;
const ART = path.join(ROOT, 'test-artifacts', 'report');
const SECTIONS = ['Summary', 'Flows', 'HTTP transactions', 'DNS transactions', 'Overlay', 'Translations', 'Journeys', 'Comparison', 'Issues'];

if (!chromiumPresent) console.warn(`SKIPPED: report browser tests need Chromium at ${CHROMIUM}`);

describe.skipIf(!chromiumPresent || !labPresent)('the HTML report in Chromium', () => {
  let browser: Browser;
  const labHtml = path.join(ART, 'lab-report.html');
  const hostileHtml = path.join(ART, 'hostile-report.html');

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    const ctx = testContext();
    const code = await runReport([...readdirSync(path.join(LAB, 'captures', 'nginx-proxy')).sort().map((f) => path.join(LAB, 'captures', 'nginx-proxy', f)),
      '--cluster', path.join(LAB, 'cluster.json'), '--label', 'nginx-proxy', '--compare-to', path.join(LAB, 'captures', 'ingress'), '--label-b', 'ingress',
      '--format', 'html', '--out', labHtml], ctx);
    expect(ctx.err).toBe('');
    expect(code).toBe(0);
    const hostile = path.join(ART, 'hostile-browser.pcap');
    craftHostileCapture(path.join(LAB, 'captures', 'nginx-proxy', 'client-eth0.pcap'), hostile);
    expect(await runReport([hostile, '--format', 'html', '--out', hostileHtml], testContext())).toBe(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it.each([['lab', 'lab-report.html'], ['hostile', 'hostile-report.html']])('%s report: runs nothing, loads nothing, shows every section', async (name, file) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(pathToFileURL(path.join(ART, file)).href);
    const dom = await page.evaluate(() => {
      const all = Array.from(document.querySelectorAll('*'));
      return {
        scripts: document.scripts.length,
        handlers: all.flatMap((e) => Array.from(e.attributes).filter((a) => a.name.toLowerCase().startsWith('on')).map((a) => `${e.tagName} ${a.name}`)),
        sections: Array.from(document.querySelectorAll('section h2')).map((h) => h.textContent ?? ''),
        charts: document.querySelectorAll('figure.chart-box svg').length,
        chartBars: document.querySelectorAll('svg rect').length,
        text: document.body.innerText,
      };
    });
    await page.screenshot({ path: path.join(ART, `${name}-report.png`), fullPage: true });
    await page.close();
    expect(dom.scripts).toBe(0);
    expect(dom.handlers).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    for (const s of SECTIONS) {
      if (name === 'hostile' && s === 'Comparison') continue;
      expect(dom.sections.some((h) => h.startsWith(s)), s).toBe(true);
    }
    if (name === 'lab') {
      expect(dom.charts).toBe(4); // protocols, per hop, latency, timeline
      expect(dom.chartBars).toBeGreaterThan(10);
      expect(dom.text).toContain('reuses its upstream connections (keep-alive)');
      expect(dom.text).toMatch(/web-6b9c8d7f5|default\/web/); // identities from cluster.json
    } else {
      // The hostile text is on the page as text.
      expect(dom.text).toContain(EVIL.script);
      expect(dom.text).toContain('"onerror=alert(1)');
      expect(dom.text).toContain('=HYPERLINK(');
    }
  }, 60_000);

  it.skipIf(!havePoppler)('prints to a PDF that has every section', () => {
    const pdf = path.join(ART, 'lab-report.pdf');
    rmSync(pdf, { force: true });
    const profile = path.join(ART, 'chromium-profile');
    const r = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', `--user-data-dir=${profile}`,
      '--no-pdf-header-footer', `--print-to-pdf=${pdf}`, pathToFileURL(labHtml).href], { encoding: 'utf8', timeout: 90_000 });
    expect(existsSync(pdf), r.stderr).toBe(true);
    expect(statSync(pdf).size).toBeGreaterThan(10_000);
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout;
    for (const s of SECTIONS) expect(text, s).toContain(s);
    expect(text).toContain('Packets per request by hop');
    expect(text).toContain('reuses its upstream connections');
    const prefix = path.join(ART, 'lab-report-page');
    for (const f of readdirSync(ART)) if (f.startsWith('lab-report-page')) rmSync(path.join(ART, f));
    const pp = spawnSync('pdftoppm', ['-png', '-r', '60', pdf, prefix], { encoding: 'utf8' });
    expect(pp.status, pp.stderr).toBe(0);
    const pages = readdirSync(ART).filter((f) => f.startsWith('lab-report-page') && f.endsWith('.png'));
    expect(pages.length).toBeGreaterThan(3);
    for (const p of pages) expect(statSync(path.join(ART, p)).size).toBeGreaterThan(5_000);
  }, 120_000);
});
