/**
 * The desktop shell's main process: windows (one per session, each with its
 * own engine worker thread), the application menu, native dialogs, recent
 * files, and the IPC handlers, every one behind the guarded wrapper. No
 * analysis happens here.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell } from 'electron';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ComparisonOptions, ExportedReport, OpenOptions, SessionSummary, SourceRef } from '../src/api.js';
import { reportFileName } from '../src/report/report.js';
import { labManifest } from '../scripts/web-server.mjs';
import { EngineHost } from './engine-host.js';
import {
  APP_HOST, APP_ORIGIN, APP_SCHEME, ENGINE_METHODS, EVENT_MENU, EVENT_PROGRESS, SHELL_INVOKES, engineChannel, shellChannel,
  type EngineMethod, type ExportFormat, type LabManifest, type MenuCommand, type ShellInvoke,
} from './ipc-contract.js';
import { ENGINE_VALIDATORS, SHELL_VALIDATORS } from './ipc-validate.js';
import { handle } from './ipc-main.js';
import { menuTemplate } from './menu.js';
import { isPdfRequestAllowed, PDF_PARTITION, printHtmlToPdf, type PdfWindowLike } from './pdf-print.js';
import { engineFormat, pdfPrintOptions, saveReportAs } from './report-export.js';
import { RecentFiles } from './recent-files.js';
import { expandFolderArgs } from './folder-refs.js';
import { hardenApp, safeOpenExternal, secureWebPreferences } from './security.js';
import { isTrustedSender, type SenderInfo } from './trusted-sender.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.resolve(here, '..');
const webDir = path.join(appRoot, 'dist-web');
const labDir = [path.join(process.resourcesPath ?? '', 'lab'), path.join(appRoot, 'fixtures', 'lab')].find((d) => existsSync(path.join(d, 'captures'))) ?? null;

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

interface WindowState {
  win: BrowserWindow;
  engine: EngineHost;
  /** Files the window's session reads (captures, cluster metadata): an export never overwrites them. */
  inputs: Set<string>;
}
const windows = new Map<number, WindowState>();
const trusted = new Set<number>();
const recent = RecentFiles.inDir(app.getPath('userData'));
const openExternal = safeOpenExternal((u) => shell.openExternal(u));

const CAPTURE_FILTERS = [{ name: 'Captures and archives', extensions: ['pcap', 'pcapng', 'cap', 'gz', 'tgz', 'tar', 'zip'] }, { name: 'All files', extensions: ['*'] }];
const CLUSTER_FILTERS = [{ name: 'kubectl output', extensions: ['json', 'yaml', 'yml'] }];

function createWindow(initial?: SourceRef[]): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440, height: 900, minWidth: 900, minHeight: 600, show: false, title: 'OverlayScope',
    webPreferences: secureWebPreferences(path.join(here, 'preload.cjs')),
  });
  const id = win.webContents.id;
  const engine = new EngineHost(new URL('./engine-worker.js', import.meta.url), labDir, (p) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_PROGRESS, p);
  });
  windows.set(id, { win, engine, inputs: new Set() });
  trusted.add(id);
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    windows.delete(id);
    trusted.delete(id);
    void engine.dispose();
  });
  if (initial?.length) win.webContents.once('did-finish-load', () => sendMenu(win, { command: 'open', sources: initial }));
  void win.loadURL(`${APP_ORIGIN}/index.html${initial?.length ? '?autoload=0' : ''}`);
  return win;
}

function stateFor(e: SenderInfo): WindowState {
  const s = windows.get(e.sender.id);
  if (!s) throw new Error('no window for this sender');
  return s;
}

function sendMenu(win: BrowserWindow | null | undefined, cmd: MenuCommand): void {
  if (win && !win.isDestroyed()) win.webContents.send(EVENT_MENU, cmd);
}

async function pick(win: BrowserWindow | null, filters: Electron.FileFilter[], title: string): Promise<SourceRef[]> {
  const opts: Electron.OpenDialogOptions = { title, properties: ['openFile', 'multiSelections'], filters };
  const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
  return r.canceled ? [] : r.filePaths.map((p) => ({ kind: 'path', path: p }));
}

/** Open Folder…: one folder, whose captures, archives and text files become one session (electron/folder-refs.ts). */
async function pickFolder(win: BrowserWindow | null): Promise<SourceRef[]> {
  const opts: Electron.OpenDialogOptions = { title: 'Open a folder of captures', properties: ['openDirectory'] };
  const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
  return r.canceled ? [] : r.filePaths.slice(0, 1).map((p) => ({ kind: 'path', path: p }));
}

async function remember(refs: readonly SourceRef[]): Promise<void> {
  const paths = refs.flatMap((r) => (r.kind === 'path' ? [r.path] : []));
  if (!paths.length) return;
  await recent.add(paths).catch(() => undefined);
  buildMenu();
}

function registerIpc(): void {
  const isTrusted = (e: SenderInfo) => isTrustedSender(e, trusted);
  for (const m of ENGINE_METHODS) {
    const method: EngineMethod = m;
    handle(ipcMain as unknown as Parameters<typeof handle>[0], engineChannel(method), isTrusted,
      ENGINE_VALIDATORS[method] as (a: unknown) => unknown[],
      async (e, ...given) => {
        const st = stateFor(e);
        // A folder (Open Folder…, dropped, recent) is its files, as the CLI reads one; they are the inputs exports never overwrite.
        const args = await expandFolderArgs(method, given);
        if (method === 'openSession') st.inputs.clear();
        for (const p of inputPaths(method, args)) st.inputs.add(p);
        const result = await st.engine.call(method, args);
        if (method === 'openSession' || method === 'addCaptures') await remember(given[0] as SourceRef[]);
        return result;
      });
  }
  const shellHandlers: { [K in ShellInvoke]: (e: SenderInfo, ...a: never[]) => Promise<unknown> } = {
    pickCaptures: (e) => pick(stateFor(e).win, CAPTURE_FILTERS, 'Open captures'),
    pickCluster: (e) => pick(stateFor(e).win, CLUSTER_FILTERS, 'Load cluster metadata'),
    saveReportAs: async (e, preferred: ExportFormat) => {
      const st = stateFor(e);
      const summary = (await st.engine.call('getSummary', [])) as SessionSummary | null;
      if (!summary) throw new Error('Export report: open a capture first');
      return saveReportAs(preferred, exportDir(), reportFileName(summary.label, engineFormat(preferred)),
        (opts) => dialog.showSaveDialog(st.win, opts),
        {
          exportFromEngine: (f) => st.engine.call('exportReport', [f]) as Promise<ExportedReport>,
          exportDataFromEngine: (f) => st.engine.call('exportData', [f]) as Promise<ExportedReport>,
          printPdf: (html) => printHtmlToPdf(html, pdfWindow, pdfPrintOptions(app.getLocale())),
          protect: [...st.inputs],
        });
    },
    recentFiles: async () => recent.get(),
    labManifest: async (): Promise<LabManifest | null> => (labDir ? labManifest(labDir) : null),
    openExternal: async (_e, url: string) => openExternal(url),
  };
  for (const m of SHELL_INVOKES) {
    handle(ipcMain as unknown as Parameters<typeof handle>[0], shellChannel(m), isTrusted,
      SHELL_VALIDATORS[m] as (a: unknown) => unknown[], shellHandlers[m] as (e: SenderInfo, ...a: unknown[]) => Promise<unknown>);
  }
}

/** Local paths an engine call reads (captures and cluster metadata). */
function inputPaths(method: EngineMethod, args: unknown[]): string[] {
  const refs: SourceRef[] =
    method === 'openSession' ? [...(args[0] as SourceRef[]), ...((args[1] as OpenOptions | undefined)?.cluster ?? [])]
    : method === 'addCaptures' || method === 'loadCluster' ? (args[0] as SourceRef[])
    : method === 'compare' ? [...(args[0] as SourceRef[]), ...(args[1] as SourceRef[]), ...((args[3] as OpenOptions | undefined)?.cluster ?? []),
      ...((args[4] as ComparisonOptions | undefined)?.a?.cluster ?? []), ...((args[4] as ComparisonOptions | undefined)?.b?.cluster ?? [])]
    : [];
  return refs.flatMap((r) => (r.kind === 'path' ? [r.path] : []));
}

function exportDir(): string {
  try { return app.getPath('documents'); } catch { return app.getPath('home'); }
}

/** A hidden window for printing a report (see pdf-print.ts), in the locked-down report session. */
function pdfWindow(options: Electron.BrowserWindowConstructorOptions): PdfWindowLike {
  const win = new BrowserWindow(options);
  return {
    webContents: {
      on: (event, listener) => win.webContents.on(event as 'will-navigate', listener as (e: Electron.Event) => void),
      setWindowOpenHandler: (h) => win.webContents.setWindowOpenHandler(h),
      printToPDF: (o) => win.webContents.printToPDF(o),
    },
    loadFile: (f) => win.loadFile(f),
    isDestroyed: () => win.isDestroyed(),
    destroy: () => win.destroy(),
  };
}

function lockDownPdfSession(): void {
  const ses = session.fromPartition(PDF_PARTITION);
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isPdfRequestAllowed(details.url) }));
}

function buildMenu(): void {
  const focused = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0] ?? null;
  const template = menuTemplate({
    open: async () => {
      const refs = await pick(focused(), CAPTURE_FILTERS, 'Open captures');
      if (!refs.length) return;
      // One window per session: a window that already shows a session gets a new one.
      const w = focused();
      if (w && windows.get(w.webContents.id)) sendMenu(w, { command: 'open', sources: refs });
      else createWindow(refs);
    },
    openFolder: async () => {
      const refs = await pickFolder(focused());
      if (!refs.length) return;
      const w = focused();
      if (w && windows.get(w.webContents.id)) sendMenu(w, { command: 'open', sources: refs });
      else createWindow(refs);
    },
    openRecent: (p) => { if (existsSync(p)) createWindow([{ kind: 'path', path: p }]); },
    addCapture: async () => { const refs = await pick(focused(), CAPTURE_FILTERS, 'Add captures'); if (refs.length) sendMenu(focused(), { command: 'add-capture', sources: refs }); },
    loadCluster: async () => { const refs = await pick(focused(), CLUSTER_FILTERS, 'Load cluster metadata'); if (refs.length) sendMenu(focused(), { command: 'load-cluster', sources: refs }); },
    exportReport: () => sendMenu(focused(), { command: 'export-report' }),
    compare: () => sendMenu(focused(), { command: 'compare' }),
    newWindow: () => createWindow(),
    close: () => focused()?.close(),
  }, recent.get(), process.platform);
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

app.whenReady().then(async () => {
  hardenApp(app, session.defaultSession, openExternal);
  protocol.handle(APP_SCHEME, (req) => {
    const u = new URL(req.url);
    const rel = decodeURIComponent(u.pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(webDir, rel);
    if (u.host !== APP_HOST || !file.startsWith(webDir + path.sep)) return new Response('not found', { status: 404 });
    return net.fetch(pathToFileURL(file).toString());
  });
  lockDownPdfSession();
  await recent.load();
  registerIpc();
  buildMenu();
  const cliFiles = process.argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-') && existsSync(a));
  createWindow(cliFiles.map((p) => ({ kind: 'path', path: path.resolve(p) })));
  app.on('activate', () => { if (BrowserWindow.getAllWindows().length === 0) createWindow(); });
});

app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
