/**
 * PDF from the HTML report: the report is loaded into a hidden window of its
 * own (sandboxed, JavaScript off: the report has no script; no preload; an
 * in-memory session whose only allowed request is the report file itself;
 * navigation and new windows denied), printed with webContents.printToPDF,
 * and the window is destroyed whatever happens. The report goes through a
 * private temporary file (a data: URL has a size limit the report can pass),
 * removed afterwards. Electron's objects come in through small interfaces,
 * so the logic is tested with Chromium standing in.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindowConstructorOptions, PrintToPDFOptions } from 'electron';
import { hardenedWebPreferences } from './security.js';

/** The in-memory session (no `persist:` prefix) the report windows use. */
export const PDF_PARTITION = 'overlayscope-report-pdf';
export const PDF_TEMP_PREFIX = 'overlayscope-pdf-';

export function pdfWindowOptions(): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 1100,
    height: 1400,
    paintWhenInitiallyHidden: true,
    webPreferences: { ...hardenedWebPreferences(), javascript: false, partition: PDF_PARTITION },
  };
}

/**
 * Requests the report window may make: the report file itself (inside one of
 * our temporary folders) and data: URLs (its inline images). Anything else,
 * network or another local file, is cancelled.
 */
export function isPdfRequestAllowed(url: string, tmpRoot: string = os.tmpdir()): boolean {
  if (url.startsWith('data:')) return true;
  let file: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) return false;
    file = path.resolve(fileURLToPath(u));
  } catch {
    return false;
  }
  const rel = path.relative(path.resolve(tmpRoot), file);
  const parts = rel.split(path.sep);
  return parts.length === 2 && parts[0]!.startsWith(PDF_TEMP_PREFIX) && parts[1] === 'report.html';
}

type Listener = (event: { preventDefault(): void }, ...rest: unknown[]) => void;

/** The parts of a BrowserWindow the printer uses. */
export interface PdfWindowLike {
  webContents: {
    on(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', listener: Listener): unknown;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
    printToPDF(options: PrintToPDFOptions): Promise<Uint8Array>;
  };
  loadFile(file: string): Promise<void>;
  isDestroyed(): boolean;
  destroy(): void;
}

export type PdfWindowFactory = (options: BrowserWindowConstructorOptions) => PdfWindowLike;

/** Prints `html` to PDF bytes in a fresh hidden window. */
export async function printHtmlToPdf(html: string, makeWindow: PdfWindowFactory, options: PrintToPDFOptions, tmpRoot: string = os.tmpdir()): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(tmpRoot, PDF_TEMP_PREFIX));
  try {
    const file = path.join(dir, 'report.html');
    await writeFile(file, html, { mode: 0o600 });
    const win = makeWindow(pdfWindowOptions());
    try {
      const deny: Listener = (e) => e.preventDefault();
      win.webContents.on('will-navigate', deny);
      win.webContents.on('will-frame-navigate', deny);
      win.webContents.on('will-redirect', deny);
      win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
      await win.loadFile(file);
      const pdf = await win.webContents.printToPDF(options);
      if (pdf.byteLength < 5 || String.fromCharCode(...pdf.subarray(0, 5)) !== '%PDF-') throw new Error('printing the report gave no PDF');
      return pdf;
    } finally {
      if (!win.isDestroyed()) win.destroy();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
