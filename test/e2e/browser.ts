/**
 * E2E plumbing: the built renderer (dist-web/) served on 127.0.0.1 by the
 * same server `npm start` uses, and Debian's Chromium driven by
 * playwright-core. Skips with a clear reason where Chromium is absent.
 */
import { existsSync, mkdirSync, statSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWebServer } from '../../scripts/web-server.mjs';
import { ROOT } from '../helpers/corpus.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const chromiumPresent = existsSync(CHROMIUM);
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const LAB = path.join(ROOT, 'fixtures', 'lab');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist-web/ unless it is newer than renderer/ and src/ (npm test builds it first). */
export function ensureWebBuild(): void {
  const index = path.join(ROOT, 'dist-web', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(newest(path.join(ROOT, 'renderer')), newest(path.join(ROOT, 'src')))) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stderr}`);
}

export interface Harness {
  browser: Browser;
  url: string;
  close(): Promise<void>;
  newPage(opts?: { dark?: boolean }): Promise<Page>;
}

export async function startHarness(extra: Record<string, string> = {}): Promise<Harness> {
  ensureWebBuild();
  mkdirSync(ARTIFACTS, { recursive: true });
  const srv = await startWebServer({ webDir: path.join(ROOT, 'dist-web'), labDir: LAB, port: 0, extra });
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const errors: string[] = [];
  return {
    browser,
    url: srv.url,
    async newPage(opts = {}) {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: opts.dark ? 'dark' : 'light' });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      (page as Page & { errors?: string[] }).errors = errors;
      return page;
    },
    async close() {
      await browser.close();
      await srv.close();
    },
  };
}

/** Opens FILES through the app's file input (the page already on the app) and waits until the totals show. */
export async function loadFiles(page: Page, files: string[], timeout = 60_000): Promise<void> {
  await page.setInputFiles('[data-testid=file-input]', files);
  await page.waitForSelector('[data-testid=total-packets]', { timeout });
}

export function pageErrors(page: Page): string[] {
  return (page as Page & { errors?: string[] }).errors ?? [];
}

/** Drops files on the window the way a file manager does (a DataTransfer with File objects). */
export async function dropFiles(page: Page, files: Array<{ name: string; bytes: Buffer }>, shift = false): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: f.bytes.toString('base64') }));
  const dt = await page.evaluateHandle((list) => {
    const d = new DataTransfer();
    for (const f of list) {
      const bin = atob(f.b64);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      d.items.add(new File([u8], f.name, { type: 'application/vnd.tcpdump.pcap' }));
    }
    return d;
  }, payload);
  await page.dispatchEvent('.app', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('.app', 'drop', { dataTransfer: dt, shiftKey: shift });
}
