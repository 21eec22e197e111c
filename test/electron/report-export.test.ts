/**
 * PDF and report export from the desktop app (electron/report-export.ts,
 * electron/pdf-print.ts): the format chosen from the save dialog's path, the
 * print options, the locked-down hidden window, the atomic write that never
 * touches a capture. No Electron binary here: the hidden window is played by
 * Debian's Chromium through playwright-core (the same Chromium printing code
 * webContents.printToPDF uses), honouring the window's options (JavaScript
 * off); the report comes from the real bundled engine worker thread.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PrintToPDFOptions } from 'electron';
import { chromium, type Browser } from 'playwright-core';
import type { ExportedReport, ReportFormat, SessionSummary } from '../../src/api.js';
import { EXPORT_FORMATS } from '../../electron/ipc-contract.js';
import { isPdfRequestAllowed, PDF_PARTITION, PDF_TEMP_PREFIX, pdfWindowOptions, printHtmlToPdf, type PdfWindowFactory } from '../../electron/pdf-print.js';
import {
  defaultReportPath, engineFormat, formatForPath, pageSizeForLocale, pdfPrintOptions, saveDialogFilters, saveReportAs, writeReport,
  type ReportExportDeps,
} from '../../electron/report-export.js';
import { EngineHost } from '../../electron/engine-host.js';
import { ROOT } from '../helpers/corpus.js';
import { unzipSync } from 'fflate';
import { DuckDBInstance } from '@duckdb/node-api';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const chromiumPresent = existsSync(CHROMIUM);
const havePoppler = spawnSync('pdftotext', ['-v']).error === undefined && spawnSync('pdfinfo', ['-v']).error === undefined;
const LAB = path.join(ROOT, 'fixtures/lab/captures/nginx-proxy');
const labPresent = existsSync(LAB);
const WORKER = path.join(ROOT, 'dist-electron/engine-worker.js');

if (!chromiumPresent) console.warn(`SKIPPED: PDF printing tests need Chromium at ${CHROMIUM}`);
if (!havePoppler) console.warn('SKIPPED: PDF checks need poppler-utils (pdftotext, pdfinfo)');

describe('choosing the format and the file', () => {
  it('offers every format in the save dialog, the one asked for first', () => {
    for (const f of EXPORT_FORMATS) {
      const filters = saveDialogFilters(f);
      expect(filters).toHaveLength(EXPORT_FORMATS.length);
      // .zip is CSV tables unless Parquet tables were asked for.
      expect(formatForPath(`x.${filters[0]!.extensions[0]}`, f === 'parquet' ? 'parquet' : 'html')).toBe(f);
    }
    expect(saveDialogFilters('pdf').map((x) => x.name)).toEqual(['PDF', 'HTML report', 'Markdown', 'CSV (flows)', 'JSON (analysis contract)', 'CSV tables (zip)', 'Parquet tables (zip)', 'pcapng for Wireshark']);
  });
  it.each([
    ['/home/u/report.pdf', 'html', 'pdf'], ['/home/u/REPORT.PDF', 'csv', 'pdf'], ['/home/u/r.htm', 'pdf', 'html'], ['/home/u/r.markdown', 'pdf', 'md'],
    ['/home/u/flows.csv', 'pdf', 'csv'], ['/home/u/a.json', 'pdf', 'json'],
    ['/home/u/t.zip', 'html', 'zip'], ['/home/u/t.zip', 'parquet', 'parquet'], ['/home/u/s.pcapng', 'html', 'pcapng'],
    // No extension, or one we do not write: the format picked in the app.
    ['/home/u/report', 'pdf', 'pdf'], ['/home/u/report.txt', 'md', 'md'], ['/home/u/my.report', 'html', 'html'], ['/home/u/.pdf', 'csv', 'csv'],
  ] as const)('%s with %s picked → %s', (p, preferred, want) => {
    expect(formatForPath(p, preferred)).toBe(want);
  });
  it('prints PDFs from the HTML report and names the file after the engine\'s', () => {
    expect(engineFormat('pdf')).toBe('html');
    expect(engineFormat('csv')).toBe('csv');
    expect(defaultReportPath('/home/u/Documents', 'overlayscope-lab-nginx-proxy.html', 'pdf')).toBe('/home/u/Documents/overlayscope-lab-nginx-proxy.pdf');
    expect(defaultReportPath('/d', 'overlayscope-x.json', 'md')).toBe('/d/overlayscope-x.md');
    expect(defaultReportPath('/d', '', 'pdf')).toBe('/d/overlayscope-report.pdf');
  });
  it('prints on Letter in the US and Canada, A4 elsewhere, with backgrounds and page numbers', () => {
    expect(pageSizeForLocale('en-US')).toBe('Letter');
    expect(pageSizeForLocale('fr-CA')).toBe('Letter');
    expect(pageSizeForLocale('en-GB')).toBe('A4');
    expect(pageSizeForLocale('de')).toBe('A4');
    const o = pdfPrintOptions('de-DE');
    expect(o).toMatchObject({ pageSize: 'A4', printBackground: true, landscape: true, displayHeaderFooter: true });
    expect(o.footerTemplate).toContain('pageNumber');
    expect(o.footerTemplate).not.toMatch(/<script/i);
  });
});

describe('the hidden report window', () => {
  it('is hidden, sandboxed, without JavaScript, Node or a preload, in an in-memory session', () => {
    const o = pdfWindowOptions();
    expect(o.show).toBe(false);
    expect(o.webPreferences).toMatchObject({ javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, webviewTag: false, webSecurity: true });
    expect(o.webPreferences?.preload).toBeUndefined();
    expect(o.webPreferences?.partition).toBe(PDF_PARTITION);
    expect(PDF_PARTITION.startsWith('persist:')).toBe(false);
  });
  it.each([
    [`file://${path.join(os.tmpdir(), `${PDF_TEMP_PREFIX}abc`, 'report.html')}`, true],
    ['data:image/png;base64,AAAA', true],
    [`file://${path.join(os.tmpdir(), `${PDF_TEMP_PREFIX}abc`, 'other.html')}`, false],
    [`file://${path.join(os.tmpdir(), `${PDF_TEMP_PREFIX}abc`, '..', 'x', 'report.html')}`, false],
    ['file:///etc/passwd', false],
    [`file://evil.example${path.join(os.tmpdir(), `${PDF_TEMP_PREFIX}abc`, 'report.html')}`, false],
    ['https://example.org/track.png', false],
    ['http://127.0.0.1:8080/', false],
    ['app://overlayscope/index.html', false],
    ['not a url', false],
  ])('request %s allowed: %s', (url, allowed) => {
    expect(isPdfRequestAllowed(url)).toBe(allowed);
  });
});

/** A BrowserWindow played by Chromium: a fresh context honouring webPreferences.javascript, printToPDF mapped to page.pdf. */
function chromiumWindows(browser: Browser) {
  const made: Array<{ options: Parameters<PdfWindowFactory>[0]; destroyed: boolean; listeners: Map<string, Function>; openHandler: ((d: { url: string }) => { action: string }) | null; printed: PrintToPDFOptions | null }> = [];
  const factory: PdfWindowFactory = (options) => {
    const rec = { options, destroyed: false, listeners: new Map<string, Function>(), openHandler: null as ((d: { url: string }) => { action: string }) | null, printed: null as PrintToPDFOptions | null };
    made.push(rec);
    const ctx = browser.newContext({ javaScriptEnabled: options.webPreferences?.javascript !== false, offline: true });
    const page = ctx.then((c) => c.newPage());
    // A window that is never loaded, or closed as the browser goes away, must not leave a rejection nobody awaits.
    page.catch(() => undefined);
    return {
      webContents: {
        on: (ev, l) => { rec.listeners.set(ev, l); },
        setWindowOpenHandler: (h) => { rec.openHandler = h; },
        async printToPDF(o) {
          rec.printed = o;
          const m = o.margins ?? {};
          const size = typeof o.pageSize === 'string' ? { format: o.pageSize } : {};
          return (await page).pdf({
            ...size, scale: o.scale ?? 1, landscape: !!o.landscape, printBackground: !!o.printBackground, preferCSSPageSize: !!o.preferCSSPageSize,
            displayHeaderFooter: !!o.displayHeaderFooter, headerTemplate: o.headerTemplate ?? '', footerTemplate: o.footerTemplate ?? '',
            margin: { top: `${m.top ?? 0.4}in`, bottom: `${m.bottom ?? 0.4}in`, left: `${m.left ?? 0.4}in`, right: `${m.right ?? 0.4}in` },
          });
        },
      },
      async loadFile(file) { await (await page).goto(pathToFileURL(file).href); },
      isDestroyed: () => rec.destroyed,
      destroy: () => { rec.destroyed = true; ctx.then((c) => c.close()).catch(() => undefined); },
    };
  };
  return { factory, made };
}

const pdfText = (file: string) => spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout;
const pdfPages = (file: string) => Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [file], { encoding: 'utf8' }).stdout)?.[1] ?? 0);
const tempsLeft = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith(PDF_TEMP_PREFIX));

describe.skipIf(!chromiumPresent || !havePoppler)('printing a report to PDF (Chromium as the hidden window)', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-pdf-test-'));
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the page with page numbers, runs none of its script, denies navigation, and cleans up', async () => {
    const { factory, made } = chromiumWindows(browser);
    const before = tempsLeft();
    const html = '<!doctype html><html><head><title>lab: nginx-proxy</title><style>.tag{background:#2a6}</style></head><body><h1>OverlayScope report</h1>'
      + '<p id="x">static text</p><p><span class="tag">vxlan</span></p>'
      + '<script>document.getElementById("x").textContent = "SCRIPT RAN"</script></body></html>';
    const pdf = await printHtmlToPdf(html, factory, pdfPrintOptions('en-GB'));
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    const out = path.join(dir, 'small.pdf');
    writeFileSync(out, pdf);
    const text = pdfText(out);
    expect(text).toContain('static text');
    expect(text).not.toContain('SCRIPT RAN');
    expect(text).toMatch(/page 1 of 1/);
    expect(made).toHaveLength(1);
    expect(made[0]!.destroyed).toBe(true);
    expect(made[0]!.printed?.pageSize).toBe('A4');
    for (const ev of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const e = { preventDefault: vi.fn() };
      made[0]!.listeners.get(ev)!(e, 'https://evil.example/');
      expect(e.preventDefault, ev).toHaveBeenCalled();
    }
    expect(made[0]!.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(tempsLeft()).toEqual(before);
  });

  it('destroys the window and removes the temporary report when printing fails', async () => {
    const before = tempsLeft();
    let destroyed = false;
    const failing: PdfWindowFactory = () => ({
      webContents: { on: () => undefined, setWindowOpenHandler: () => undefined, printToPDF: async () => { throw new Error('printing failed: out of paper'); } },
      loadFile: async () => undefined,
      isDestroyed: () => destroyed,
      destroy: () => { destroyed = true; },
    });
    await expect(printHtmlToPdf('<p>x</p>', failing, pdfPrintOptions('en-US'))).rejects.toThrow(/out of paper/);
    expect(destroyed).toBe(true);
    expect(tempsLeft()).toEqual(before);
    const notPdf: PdfWindowFactory = () => ({
      webContents: { on: () => undefined, setWindowOpenHandler: () => undefined, printToPDF: async () => new Uint8Array([60, 104, 116, 109, 108]) },
      loadFile: async () => undefined, isDestroyed: () => false, destroy: () => undefined,
    });
    await expect(printHtmlToPdf('<p>x</p>', notPdf, pdfPrintOptions('en-US'))).rejects.toThrow(/no PDF/);
  });

  describe.skipIf(!labPresent)('the lab session exported from the engine worker thread', () => {
    let host: EngineHost;
    let capture: string;
    let deps: ReportExportDeps;
    let factory: PdfWindowFactory;
    beforeAll(async () => {
      const srcNewest = Math.max(...['electron', 'src', 'renderer/charts'].flatMap((d) => readdirSync(path.join(ROOT, d), { recursive: true }).map((f) => statSync(path.join(ROOT, d, String(f))).mtimeMs)));
      if (!existsSync(WORKER) || statSync(WORKER).mtimeMs < srcNewest) {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'vite.electron.config.ts', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
      }
      // The captures the session reads, copied where an export could be pointed at them.
      const files = readdirSync(LAB).filter((f) => f.endsWith('.pcap')).sort();
      for (const f of files) copyFileSync(path.join(LAB, f), path.join(dir, f));
      capture = path.join(dir, files[0]!);
      host = new EngineHost(WORKER, null, () => undefined);
      const paths = files.map((f) => path.join(dir, f));
      const s = (await host.call('openSession', [paths.map((p) => ({ kind: 'path', path: p })), { label: 'lab: nginx-proxy' }])) as SessionSummary;
      expect(s.captures).toHaveLength(files.length);
      factory = chromiumWindows(browser).factory;
      deps = {
        exportFromEngine: (f: ReportFormat) => host.call('exportReport', [f]) as Promise<ExportedReport>,
        exportDataFromEngine: (f) => host.call('exportData', [f]) as Promise<ExportedReport>,
        printPdf: (html) => printHtmlToPdf(html, factory, pdfPrintOptions('en-US')),
        protect: paths,
      };
    }, 120_000);
    afterAll(async () => { await host?.dispose(); });

    it('writes a PDF with every section of the HTML report and its charts', async () => {
      const html = (await deps.exportFromEngine('html')).text;
      expect(html).toMatch(/<svg[^>]*>/);
      const target = path.join(dir, 'lab.pdf');
      expect(await writeReport(target, 'pdf', deps)).toEqual({ path: target, format: 'pdf' });
      const text = pdfText(target);
      for (const s of ['Summary', 'Flows', 'HTTP transactions', 'Overlay', 'Issues']) expect(text, s).toContain(s);
      expect(text).toContain('Packets by protocol');
      expect(pdfPages(target)).toBeGreaterThan(1);
      expect(text).toMatch(new RegExp(`page 1 of ${pdfPages(target)}`));
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
      copyFileSync(target, path.join(ROOT, 'test-artifacts', 'desktop-report.pdf'));
    }, 120_000);

    it('Parquet tables (zip) and pcapng for Wireshark from the engine worker thread: DuckDB reads every table, tshark every packet', async () => {
      const zipPath = path.join(dir, 'lab-parquet.zip');
      expect(await writeReport(zipPath, 'parquet', deps)).toEqual({ path: zipPath, format: 'parquet' });
      const entries = unzipSync(readFileSync(zipPath));
      const tables = Object.keys(entries).map((k) => path.basename(k, '.parquet')).sort();
      expect(tables).toEqual(['captures', 'dns', 'flows', 'http', 'journeys', 'packets', 'translations']);
      const out = mkdtempSync(path.join(os.tmpdir(), 'parquet-app-'));
      for (const [k, v] of Object.entries(entries)) writeFileSync(path.join(out, path.basename(k)), v);
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      const n = async (sql: string): Promise<number> => Number(Object.values((await c.runAndReadAll(sql)).getRowObjectsJson()[0]!)[0]);
      const summary = (await host.call('getSummary', [])) as SessionSummary;
      expect(await n(`select count(*) from '${out}/packets.parquet'`)).toBe(summary.packets);
      expect(await n(`select count(*) from '${out}/flows.parquet'`)).toBe(summary.flows);
      expect(await n(`select count(distinct sessionId) from '${out}/flows.parquet' where sessionId = 'lab: nginx-proxy'`)).toBe(1);
      c.closeSync();
      rmSync(out, { recursive: true, force: true });
      const pcapng = path.join(dir, 'lab.pcapng');
      expect(await writeReport(pcapng, 'pcapng', deps)).toEqual({ path: pcapng, format: 'pcapng' });
      const frames = spawnSync('tshark', ['-r', pcapng, '-T', 'fields', '-e', 'frame.comment'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 });
      expect(frames.status).toBe(0);
      const comments = frames.stdout.split('\n').slice(0, -1);
      expect(comments.length).toBe(summary.packets);
      expect(comments.filter((x) => x.startsWith('flow ')).length).toBeGreaterThan(0.9 * comments.length);
      // Never over a capture of the session.
      await expect(writeReport(capture, 'pcapng', deps)).rejects.toThrow();
    }, 180_000);

    it('takes the format from the chosen file\'s extension, else the one picked in the app', async () => {
      const dialog = vi.fn(async (o: { defaultPath: string }) => ({ canceled: false, filePath: path.join(dir, 'flows.csv'), seen: o }));
      const saved = await saveReportAs('pdf', dir, 'overlayscope-lab-nginx-proxy.html', dialog, deps);
      expect(dialog.mock.calls[0]![0].defaultPath).toBe(path.join(dir, 'overlayscope-lab-nginx-proxy.pdf'));
      expect(saved).toEqual({ path: path.join(dir, 'flows.csv'), format: 'csv' });
      const csv = readFileSync(path.join(dir, 'flows.csv'), 'utf8');
      expect(csv.split('\r\n').length).toBeGreaterThan(10);
      expect(csv.split('\r\n')[0]).toMatch(/,/);
      // The tables as one zip (binary: written as bytes), each table its own file.
      const zipped = await saveReportAs('csv', dir, 'x.csv', async () => ({ canceled: false, filePath: path.join(dir, 'tables.zip') }), deps);
      expect(zipped).toEqual({ path: path.join(dir, 'tables.zip'), format: 'zip' });
      expect(readFileSync(path.join(dir, 'tables.zip')).subarray(0, 4).toString('hex')).toBe('504b0304');
      const members = spawnSync('unzip', ['-Z1', path.join(dir, 'tables.zip')], { encoding: 'utf8', timeout: 30_000 }).stdout.split('\n').filter(Boolean).map((m) => path.basename(m)).sort();
      expect(members).toEqual(['dns.csv', 'flows.csv', 'http.csv']);
      const noExt = await saveReportAs('pdf', dir, 'x.html', async () => ({ canceled: false, filePath: path.join(dir, 'report') }), deps);
      expect(noExt?.format).toBe('pdf');
      expect(readFileSync(path.join(dir, 'report')).subarray(0, 5).toString()).toBe('%PDF-');
      expect(await saveReportAs('pdf', dir, 'x.html', async () => ({ canceled: true }), deps)).toBeNull();
    }, 120_000);

    it('never writes over a capture of the session', async () => {
      const before = readFileSync(capture);
      // The capture itself, and a link to it that looks like a PDF.
      const link = path.join(dir, 'looks-like-a-report.pdf');
      symlinkSync(capture, link);
      for (const target of [capture, link]) {
        await expect(saveReportAs('pdf', dir, 'x.html', async () => ({ canceled: false, filePath: target }), deps)).rejects.toThrow(/refusing to overwrite a capture/);
        await expect(writeReport(target, 'html', deps)).rejects.toThrow(/refusing to overwrite a capture/);
      }
      expect(readFileSync(capture).equals(before)).toBe(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }, 120_000);
  });
});
