/**
 * Opening a folder in the desktop app (File > Open Folder…, a dropped or
 * recent folder): main turns a folder ref into its files as the CLI reads a
 * folder (electron/folder-refs.ts vs src/host/node/open-paths.ts), then the
 * engine worker opens them as one session. Tested through the IPC contract:
 * the guarded engine:openSession handler (validator, trusted sender) with the
 * main process's expansion in front of the real bundled engine worker, on
 * the lab's Retina bundles and on a folder of mixed files, against
 * `overlayscope analyze FOLDER`.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SessionSummary, SourceRef } from '../../src/api.js';
import { pathSources } from '../../src/host/node/open-paths.js';
import { EngineHost } from '../../electron/engine-host.js';
import { expandFolderArgs, expandFolderRefs, folderFiles, FolderError } from '../../electron/folder-refs.js';
import { APP_ORIGIN, engineChannel } from '../../electron/ipc-contract.js';
import { guardedHandler, UntrustedSenderError } from '../../electron/ipc-main.js';
import { ENGINE_VALIDATORS } from '../../electron/ipc-validate.js';
import { menuTemplate, type MenuActions } from '../../electron/menu.js';
import { isTrustedSender, type SenderInfo } from '../../electron/trusted-sender.js';
import { ROOT } from '../helpers/corpus.js';

const RETINA = path.join(ROOT, 'fixtures/retina/nginx-proxy');
const LAB = path.join(ROOT, 'fixtures/lab/captures/nginx-proxy');
const WORKER = path.join(ROOT, 'dist-electron/engine-worker.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'folder-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mixed = path.join(dir, 'mixed');
const empty = path.join(dir, 'nothing-here');

beforeAll(() => {
  mkdirSync(path.join(mixed, 'sub'), { recursive: true });
  mkdirSync(empty);
  // Two plain captures, one gzipped (named .bin: found by its magic), a text file beside them,
  // and what a folder also holds: notes, an empty file, a sub-folder, something that is no capture.
  copyFileSync(path.join(LAB, 'node1-eth0.pcap'), path.join(mixed, 'node1-eth0.pcap'));
  copyFileSync(path.join(LAB, 'client-eth0.pcap'), path.join(mixed, 'client-eth0.pcap'));
  writeFileSync(path.join(mixed, 'node2-eth0.bin'), gzipSync(readFileSync(path.join(LAB, 'node2-eth0.pcap'))));
  writeFileSync(path.join(mixed, 'iptables-rules.txt'), '*nat\nCOMMIT\n');
  writeFileSync(path.join(mixed, 'README.md'), '# notes\n');
  writeFileSync(path.join(mixed, 'empty.pcap'), '');
  writeFileSync(path.join(mixed, 'photo.jpg'), Buffer.from('ffd8ffe000104a464946', 'hex'));
  copyFileSync(path.join(LAB, 'node3-eth0.pcap'), path.join(mixed, 'sub', 'node3-eth0.pcap'));
  writeFileSync(path.join(empty, 'notes.md'), 'nothing\n');
});

describe('a folder as files (electron/folder-refs.ts)', () => {
  it.each([['the Retina bundles', RETINA], ['a folder of mixed files', mixed]])('%s: the same files, in the same order, as the CLI reads', async (_what, folder) => {
    const cli = (await pathSources(folder)).map((s) => s.name);
    expect(await folderFiles(folder)).toEqual(cli);
  });

  it('a mixed folder: captures (a gzip by its magic) and the text file; not notes, empty files, sub-folders or other files', async () => {
    expect((await folderFiles(mixed)).map((f) => path.basename(f))).toEqual(['client-eth0.pcap', 'iptables-rules.txt', 'node1-eth0.pcap', 'node2-eth0.bin']);
  });

  it('a folder with nothing to read, or none at all: a FolderError naming it', async () => {
    await expect(folderFiles(empty)).rejects.toThrow(new FolderError(empty, 'folder holds no capture, archive or capture tool file'));
    await expect(folderFiles(path.join(dir, 'gone'))).rejects.toThrow(/gone: no such folder$/);
  });

  it('refs: folders replaced by their files in place; files and lab URLs kept; only the capture arguments of openSession, addCaptures and compare', async () => {
    const file: SourceRef = { kind: 'path', path: path.join(LAB, 'node1-eth0.pcap') };
    const url: SourceRef = { kind: 'url', url: 'lab/captures/nginx-proxy/client-eth0.pcap', name: 'client-eth0.pcap' };
    const got = await expandFolderRefs([file, { kind: 'path', path: mixed }, url]);
    expect(got).toEqual([file, ...(await folderFiles(mixed)).map((p) => ({ kind: 'path', path: p })), url]);
    const folder: SourceRef = { kind: 'path', path: RETINA };
    const files = (await folderFiles(RETINA)).map((p) => ({ kind: 'path', path: p }));
    expect(await expandFolderArgs('openSession', [[folder], { label: 'x' }])).toEqual([files, { label: 'x' }]);
    expect(await expandFolderArgs('addCaptures', [[folder]])).toEqual([files]);
    expect(await expandFolderArgs('compare', [[folder], [file], { a: 'a', b: 'b' }])).toEqual([files, [file], { a: 'a', b: 'b' }]);
    // Cluster metadata and other calls are left alone.
    expect(await expandFolderArgs('loadCluster', [[folder]])).toEqual([[folder]]);
    expect(await expandFolderArgs('openSession', [[file], { cluster: [folder] }])).toEqual([[file], { cluster: [folder] }]);
  });
});

describe('File > Open Folder…', () => {
  it('is in the File menu under Open…, with its own accelerator, and calls openFolder', () => {
    const actions = Object.fromEntries(['open', 'openFolder', 'openRecent', 'addCapture', 'loadCluster', 'exportReport', 'compare', 'newWindow', 'close'].map((k) => [k, vi.fn()])) as unknown as MenuActions;
    const file = menuTemplate(actions, [], 'linux').find((m) => m.label === 'File')!;
    const items = file.submenu as Array<{ label?: string; accelerator?: string; click?: () => void }>;
    const labels = items.map((i) => i.label);
    expect(labels.indexOf('Open Folder…')).toBe(labels.indexOf('Open…') + 1);
    const folder = items.find((i) => i.label === 'Open Folder…')!;
    const accels = items.map((i) => i.accelerator).filter(Boolean);
    expect(new Set(accels).size).toBe(accels.length);
    folder.click!();
    expect(actions.openFolder).toHaveBeenCalledTimes(1);
    expect(actions.open).not.toHaveBeenCalled();
  });
});

const TRUSTED = 5;
const good: SenderInfo = { sender: { id: TRUSTED }, senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null } };
const evil: SenderInfo = { sender: { id: TRUSTED }, senderFrame: { url: 'https://evil.example/', parent: null } };

describe.skipIf(!existsSync(RETINA) || !existsSync(LAB))('a folder through the IPC contract into the engine worker', () => {
  let host: EngineHost;
  const seen: unknown[][] = [];
  let openSession: (e: SenderInfo, ...args: unknown[]) => Promise<unknown>;

  beforeAll(() => {
    const srcNewest = Math.max(...['electron', 'src'].flatMap((d) => readdirSync(path.join(ROOT, d), { recursive: true }).map((f) => statSync(path.join(ROOT, d, String(f))).mtimeMs)));
    if (!existsSync(WORKER) || statSync(WORKER).mtimeMs < srcNewest) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'vite.electron.config.ts', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      if (r.status !== 0) throw new Error(r.stderr);
    }
    host = new EngineHost(WORKER, null, () => undefined);
    // As electron/main.ts registers it: the guarded wrapper, then the folder expansion, then the worker.
    openSession = guardedHandler(engineChannel('openSession'), (e) => isTrustedSender(e, new Set([TRUSTED])),
      ENGINE_VALIDATORS.openSession as (a: unknown) => unknown[],
      async (_e, ...given) => {
        const args = await expandFolderArgs('openSession', given);
        seen.push(args);
        return host.call('openSession', args);
      });
  }, 300_000);
  afterAll(async () => { await host?.dispose(); });

  function cli(folder: string): { packets: number; flows: unknown[]; captures: Array<{ file: string; packets: number }> } {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/overlayscope.js'), 'analyze', folder, '--format', 'json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(r.stdout) as ReturnType<typeof cli>;
  }

  it.each([['the Retina bundles (archives: members and sidecars)', RETINA], ['a folder of mixed files', mixed]])('%s: one session with the CLI\'s capture points, packets and flows', async (_what, folder) => {
    const want = cli(folder);
    const s = (await openSession(good, [{ kind: 'path', path: folder }])) as SessionSummary;
    expect(s.packets).toBe(want.packets);
    expect(s.flows).toBe(want.flows.length);
    expect(s.captures.map((c) => c.packets)).toEqual(want.captures.map((c) => c.packets));
    expect(s.captures.length).toBeGreaterThanOrEqual(3);
    // The worker was handed the folder's files, never the folder.
    expect((seen.at(-1)![0] as SourceRef[]).map((r) => (r as { path: string }).path)).toEqual(await folderFiles(folder));
  }, 180_000);

  it('an untrusted sender is refused before the folder is listed; a folder with nothing to read is a named error', async () => {
    const before = seen.length;
    await expect(openSession(evil, [{ kind: 'path', path: mixed }])).rejects.toBeInstanceOf(UntrustedSenderError);
    expect(seen.length).toBe(before);
    await expect(openSession(good, [{ kind: 'path', path: empty }])).rejects.toThrow(`${empty}: folder holds no capture, archive or capture tool file`);
  });
});
