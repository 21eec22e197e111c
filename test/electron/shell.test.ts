/**
 * The shell's pure parts: security settings and the one place that denies
 * navigation/new windows/webviews, the menu, recent files written
 * atomically, and the engine worker thread (the real bundled worker on the
 * real lab captures, against the CLI's numbers).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebContents } from 'electron';
import type { SessionSummary } from '../../src/api.js';
import { CONTENT_SECURITY_POLICY, hardenWebContents, isAppUrl, safeOpenExternal, secureWebPreferences } from '../../electron/security.js';
import { menuTemplate, type MenuActions } from '../../electron/menu.js';
import { addRecent, MAX_RECENT, RecentFiles } from '../../electron/recent-files.js';
import { EngineHost } from '../../electron/engine-host.js';
import { ROOT } from '../helpers/corpus.js';

describe('security settings', () => {
  it('every window is isolated and sandboxed without Node', () => {
    const p = secureWebPreferences('/app/preload.cjs');
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true });
  });
  it('the CSP allows only our own scripts and no inline code', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    // The renderer's own meta CSP says the same.
    const html = readFileSync(path.join(ROOT, 'renderer/index.html'), 'utf8');
    expect(html).toContain("default-src 'none'; script-src 'self'");
  });
  it('denies navigation away, new windows and webviews; http(s) links go to the browser', async () => {
    const handlers = new Map<string, (e: { preventDefault(): void }, url?: string) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | null = null;
    const contents = {
      on: (ev: string, l: (e: { preventDefault(): void }, url?: string) => void) => { handlers.set(ev, l); return contents; },
      setWindowOpenHandler: (h: (d: { url: string }) => { action: string }) => { openHandler = h; },
    };
    const opened: string[] = [];
    hardenWebContents(contents as unknown as WebContents, async (u) => { opened.push(u); });
    const nav = (ev: string, url: string) => { const e = { preventDefault: vi.fn() }; handlers.get(ev)!(e, url); return e.preventDefault.mock.calls.length > 0; };
    expect(nav('will-navigate', 'https://evil.example/')).toBe(true);
    expect(nav('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(nav('will-navigate', 'app://overlayscope/index.html')).toBe(false);
    expect(nav('will-redirect', 'http://127.0.0.1/')).toBe(true);
    const wv = { preventDefault: vi.fn() };
    handlers.get('will-attach-webview')!(wv);
    expect(wv.preventDefault).toHaveBeenCalled();
    expect(openHandler!({ url: 'https://kubernetes.io/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://kubernetes.io/']);
  });
  it('opens only http(s) externally', async () => {
    const open = vi.fn(async () => undefined);
    const safe = safeOpenExternal(open);
    await safe('https://example.org/');
    await expect(safe('file:///etc/passwd')).rejects.toThrow(/only http/);
    await expect(safe('javascript:alert(1)')).rejects.toThrow(/only http/);
    expect(open).toHaveBeenCalledTimes(1);
    expect(isAppUrl('app://overlayscope/x')).toBe(true);
    expect(isAppUrl('app://other/x')).toBe(false);
  });
});

describe('application menu', () => {
  const labels = (items: Array<{ label?: string; submenu?: unknown }>): string[] =>
    items.flatMap((i) => [i.label ?? '', ...(Array.isArray(i.submenu) ? labels(i.submenu as Array<{ label?: string }>) : [])]).filter(Boolean);
  it('has the file commands the issue names, and Open Recent lists the recent files', () => {
    const actions = Object.fromEntries(['open', 'openRecent', 'addCapture', 'loadCluster', 'exportReport', 'compare', 'newWindow', 'close'].map((k) => [k, vi.fn()])) as unknown as MenuActions;
    const t = menuTemplate(actions, ['/caps/a.pcap'], 'linux');
    const all = labels(t as Array<{ label?: string }>);
    for (const l of ['Open…', 'Open Recent', 'Add Capture to Session…', 'Load Cluster Metadata…', 'Export Report…', 'Compare…', 'Close', '/caps/a.pcap']) expect(all).toContain(l);
    const file = (t.find((m) => m.label === 'File')!.submenu as Array<{ label?: string; click?: () => void; submenu?: Array<{ click?: () => void }> }>);
    file.find((i) => i.label === 'Open Recent')!.submenu![0]!.click!();
    expect(actions.openRecent).toHaveBeenCalledWith('/caps/a.pcap');
    expect(labels(menuTemplate(actions, [], 'linux') as Array<{ label?: string }>)).toContain('No recent captures');
  });
});

describe('recent files', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-recent-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('keeps newest first, without duplicates, at most MAX_RECENT', () => {
    expect(addRecent(['/a', '/b'], ['/b', '/c'])).toEqual(['/b', '/c', '/a']);
    expect(addRecent(Array.from({ length: 20 }, (_, i) => `/f${i}`), ['/new'])).toHaveLength(MAX_RECENT);
  });
  it('writes atomically and reads back; a corrupt file reads as empty', async () => {
    const r = RecentFiles.inDir(dir);
    expect(await r.load()).toEqual([]);
    await r.add(['/caps/one.pcap']);
    await r.add(['/caps/two.pcap']);
    expect(await RecentFiles.inDir(dir).load()).toEqual(['/caps/two.pcap', '/caps/one.pcap']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'recent-files.json'), '{not json');
    expect(await RecentFiles.inDir(dir).load()).toEqual([]);
  });
});

const LAB = path.join(ROOT, 'fixtures/lab/captures/nginx-proxy');
const labPresent = existsSync(LAB);
const WORKER = path.join(ROOT, 'dist-electron/engine-worker.js');

describe.skipIf(!labPresent)('engine worker thread (the bundled dist-electron/engine-worker.js)', () => {
  let host: EngineHost;
  const progress: Array<{ phase: string }> = [];
  beforeAll(() => {
    const srcNewest = Math.max(...['electron', 'src'].flatMap((d) => readdirSync(path.join(ROOT, d), { recursive: true }).map((f) => statSync(path.join(ROOT, d, String(f))).mtimeMs)));
    if (!existsSync(WORKER) || statSync(WORKER).mtimeMs < srcNewest) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'vite.electron.config.ts', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
    }
    host = new EngineHost(WORKER, path.join(ROOT, 'fixtures/lab'), (p) => progress.push(p));
  });
  afterAll(async () => { await host?.dispose(); });

  it('opens captures by path off the main thread and matches the CLI', async () => {
    const files = readdirSync(LAB).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(LAB, f));
    const cli = JSON.parse(spawnSync(process.execPath, [path.join(ROOT, 'bin/overlayscope.js'), 'analyze', ...files, '--format', 'json'], { encoding: 'utf8' }).stdout) as { packets: number };
    const s = (await host.call('openSession', [files.map((p) => ({ kind: 'path', path: p }))])) as SessionSummary;
    expect(s.packets).toBe(cli.packets);
    expect(s.captures).toHaveLength(files.length);
    expect(progress.at(-1)?.phase).toBe('done');
    const page = (await host.call('getPackets', [{ offset: 0, limit: 5 }])) as { total: number; rows: unknown[] };
    expect(page.total).toBe(cli.packets);
    expect(page.rows).toHaveLength(5);
  });

  it('opens a bundled lab capture by its lab/ URL and refuses to leave the lab folder', async () => {
    const s = (await host.call('openSession', [[{ kind: 'url', url: 'lab/captures/nginx-proxy/node1-eth0.pcap', name: 'node1-eth0.pcap' }]])) as SessionSummary;
    expect(s.captures[0]!.packets).toBeGreaterThan(0);
    await expect(host.call('openSession', [[{ kind: 'url', url: 'lab/../../../package.json', name: 'x' }]])).rejects.toThrow(/outside the bundled lab captures/);
    await expect(host.call('openSession', [[{ kind: 'path', path: '/nonexistent/x.pcap' }]])).rejects.toThrow(/ENOENT|no such file/);
  });
});
