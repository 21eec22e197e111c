/**
 * The IPC contract: every handler goes through the guarded wrapper, which
 * refuses untrusted senders and malformed arguments before any handler runs;
 * the preload exposes exactly the contract's methods, each on its own channel.
 * Electron's objects are minimal fakes here (no Electron binary on these
 * machines); the logic under test is the real module code.
 */
import { describe, expect, it, vi } from 'vitest';
import { ANALYZER_METHODS } from '../../src/api.js';
import {
  APP_ORIGIN, ENGINE_METHODS, EVENT_MENU, EVENT_PROGRESS, SHELL_INVOKES, SHELL_METHODS, engineChannel, shellChannel,
  type EngineMethod, type ShellInvoke,
} from '../../electron/ipc-contract.js';
import { ENGINE_VALIDATORS, IpcArgumentError, MAX_PAGE, SHELL_VALIDATORS } from '../../electron/ipc-validate.js';
import { guardedHandler, handle, UntrustedSenderError, type IpcMainLike } from '../../electron/ipc-main.js';
import { createBridge, type IpcRendererLike } from '../../electron/preload-api.js';
import { isTrustedSender, type SenderInfo } from '../../electron/trusted-sender.js';

const TRUSTED_ID = 7;
const trustedSet = new Set([TRUSTED_ID]);
const good: SenderInfo = { sender: { id: TRUSTED_ID }, senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null } };
const untrusted: Array<[string, SenderInfo]> = [
  ['another origin', { sender: { id: TRUSTED_ID }, senderFrame: { url: 'https://evil.example/index.html', parent: null } }],
  ['a file: page', { sender: { id: TRUSTED_ID }, senderFrame: { url: 'file:///etc/passwd', parent: null } }],
  ['a look-alike host', { sender: { id: TRUSTED_ID }, senderFrame: { url: 'app://overlayscope.evil/index.html', parent: null } }],
  ['a subframe', { sender: { id: TRUSTED_ID }, senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: {} } }],
  ['an unknown webContents', { sender: { id: 99 }, senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null } }],
  ['no frame', { sender: { id: TRUSTED_ID }, senderFrame: null }],
  ['an unparsable URL', { sender: { id: TRUSTED_ID }, senderFrame: { url: 'not a url', parent: null } }],
];

const path = { kind: 'path', path: '/data/node1-eth0.pcap' };
/** Valid arguments for every call. */
const VALID: { [K in EngineMethod]: unknown[] } = {
  openSession: [[path], { vxlanPorts: [8472], label: 'lab', cluster: [{ kind: 'path', path: '/data/cluster.json' }] }],
  addCaptures: [[path]],
  loadCluster: [[{ kind: 'path', path: '/data/cluster.json' }], { replace: true }],
  setClocks: [{ hosts: JSON.parse('{"pod-web-a-eth0": "node1", "__proto__": "node2"}'), clockCorrection: false }],
  cancel: [],
  getSummary: [],
  getIssues: [{ offset: 0, limit: 100 }],
  getPackets: [{ offset: 200, limit: 200, flow: 3, protocol: 'tcp', text: '10.244.1.5', capture: 1 }],
  getPacketDetail: [0, 41],
  checkFilter: ['ip.addr == 10.244.1.0/24 && tcp.port == 8080'],
  getFlows: [{ offset: 0, limit: 200, pod: 'web-a', depth: 1, sort: { key: 'packets', dir: 'desc' } }],
  getFlowDetail: [12],
  getStream: [12],
  getHttp: [{ offset: 0, limit: 50, text: 'GET' }],
  getDns: [{ offset: 0, limit: 50 }],
  getOverlay: [],
  compare: [[{ kind: 'url', url: 'lab/captures/nginx-proxy/node1-eth0.pcap', name: 'node1-eth0.pcap' }], [path], { a: 'proxy', b: 'ingress' }, { vxlanPorts: [8472] },
    { a: { session: true }, b: { cluster: [{ kind: 'path', path: '/data/cluster-b.json' }] }, pairs: [['client', 'client-eth0']] }],
  exportReport: ['html'],
  exportData: ['parquet'],
};
/** Malformed arguments for every call (each must be refused). */
const BAD: { [K in EngineMethod]: unknown[][] } = {
  openSession: [[], ['/etc/passwd'], [[{ kind: 'path', path: 'relative.pcap' }]], [[{ kind: 'blob', name: 'x' }]], [[path], { vxlanPorts: [70000] }], [[path], { evil: 1 }],
    [[{ kind: 'url', url: 'lab/../../etc/passwd', name: 'x' }]], [[{ kind: 'url', url: 'https://evil.example/x.pcap', name: 'x' }]], [[{ kind: 'path', path: '/a\0b' }]], [Array(300).fill(path)]],
  addCaptures: [[], [{}], [[path], 1]],
  loadCluster: [['cluster.json'], [[{ kind: 'path', path: '/data/cluster.json' }], { replace: 'yes' }], [[{ kind: 'path', path: '/data/cluster.json' }], { evil: 1 }], [[{ kind: 'path', path: '/data/cluster.json' }], 1]],
  setClocks: [[], [{ hosts: {} }], [{ hosts: { a: 1 }, clockCorrection: true }], [{ hosts: [], clockCorrection: true }], [{ hosts: {}, clockCorrection: 'yes' }], [{ hosts: {}, clockCorrection: true, evil: 1 }], [{ hosts: { a: 'x'.repeat(5000) }, clockCorrection: true }]],
  cancel: [[1]],
  getSummary: [['x']],
  getIssues: [[{ offset: -1, limit: 10 }], [{ offset: 0, limit: MAX_PAGE + 1 }], [{ offset: 0 }], [null]],
  getPackets: [[{ offset: 0, limit: 10, flow: -2 }], [{ offset: 0, limit: 10, text: 'x'.repeat(5000) }], [{ offset: 0.5, limit: 10 }], [{ offset: 0, limit: 10, __proto__x: 1 }]],
  getPacketDetail: [[0], ['0', 1], [0, -1], [0, 1.5]],
  checkFilter: [[], [1], ['x'.repeat(64 * 1024 + 1)], ['tcp', 'udp']],
  getFlows: [[{ offset: 0, limit: 10, sort: { key: 'packets', dir: 'up' } }], [{ offset: 0, limit: 10, depth: 'deep' }], [{ offset: 0, limit: 1e9 }]],
  getFlowDetail: [['12'], [], [-1]],
  getStream: [[{}]],
  getHttp: [[{ offset: 0, limit: 10, text: 5 }]],
  getDns: [[{ offset: 0, limit: 10, host: 'x' }]],
  getOverlay: [[{}]],
  compare: [[[path]], [[path], [path], 'labels'], [[path], [path], { a: 'x', c: 'y' }],
    [[path], [path], {}, {}, 'sides'], [[path], [path], {}, {}, { a: { session: 'yes' } }], [[path], [path], {}, {}, { c: {} }],
    [[path], [path], {}, {}, { b: { cluster: ['/etc/passwd'] } }], [[path], [path], {}, {}, { pairs: [['a']] }], [[path], [path], {}, {}, { pairs: [['a', 'x'.repeat(600)]] }],
    [[path], [path], {}, {}, {}, 'sixth']],
  exportReport: [['pdf'], [], ['html', 'md']],
  exportData: [['zip'], [], ['parquet', 'pcapng'], [{ evil: 1 }]],
};
const SHELL_VALID: { [K in ShellInvoke]: unknown[] } = {
  pickCaptures: [], pickCluster: [], recentFiles: [], labManifest: [],
  saveReportAs: ['pdf'],
  openExternal: ['https://kubernetes.io/docs/'],
};
const SHELL_BAD: { [K in ShellInvoke]: unknown[][] } = {
  pickCaptures: [['/tmp']], pickCluster: [[1]], recentFiles: [[true]], labManifest: [['x']],
  saveReportAs: [[], ['docx'], ['PDF'], [{ fileName: 'r.html', mime: 'text/html', text: '' }], ['pdf', '/tmp/x.pdf']],
  openExternal: [['file:///etc/passwd'], ['javascript:alert(1)'], ['smb://host/share'], [42]],
};

describe('trusted sender', () => {
  it('accepts the top frame of our own window on our own origin', () => {
    expect(isTrustedSender(good, trustedSet)).toBe(true);
  });
  it.each(untrusted)('refuses %s', (_name, e) => {
    expect(isTrustedSender(e, trustedSet)).toBe(false);
  });
});

describe('the guarded handler wrapper', () => {
  it('has a validator for every engine call and every shell call, and nothing else', () => {
    expect(Object.keys(ENGINE_VALIDATORS).sort()).toEqual([...ENGINE_METHODS].sort());
    expect(ENGINE_METHODS.length).toBe(ANALYZER_METHODS.length - 1);
    expect(Object.keys(SHELL_VALIDATORS).sort()).toEqual([...SHELL_INVOKES].sort());
  });

  describe.each(ENGINE_METHODS.map((m) => [m] as const))('engine:%s', (method) => {
    const run = vi.fn(async (_e: SenderInfo, ...args: unknown[]) => args);
    const h = guardedHandler(engineChannel(method), (e) => isTrustedSender(e, trustedSet), ENGINE_VALIDATORS[method] as (a: unknown) => unknown[], run);
    it('passes valid arguments through, rebuilt', async () => {
      run.mockClear();
      const out = await h(good, ...VALID[method]);
      expect(run).toHaveBeenCalledTimes(1);
      expect(out).toEqual(VALID[method]);
    });
    it.each(untrusted)('rejects %s before validating or running', async (_n, e) => {
      run.mockClear();
      await expect(h(e, ...VALID[method])).rejects.toBeInstanceOf(UntrustedSenderError);
      expect(run).not.toHaveBeenCalled();
    });
    it.each(BAD[method].map((args, i) => [i, args] as const))('rejects malformed arguments #%i', async (_i, args) => {
      run.mockClear();
      await expect(h(good, ...args)).rejects.toBeInstanceOf(IpcArgumentError);
      expect(run).not.toHaveBeenCalled();
    });
  });

  describe.each(SHELL_INVOKES.map((m) => [m] as const))('shell:%s', (method) => {
    const run = vi.fn(async (_e: SenderInfo, ..._a: unknown[]) => 'ok');
    const h = guardedHandler(shellChannel(method), (e) => isTrustedSender(e, trustedSet), SHELL_VALIDATORS[method] as (a: unknown) => unknown[], run);
    it('accepts valid arguments', async () => {
      await expect(h(good, ...SHELL_VALID[method])).resolves.toBe('ok');
    });
    it.each(untrusted)('rejects %s', async (_n, e) => {
      await expect(h(e, ...SHELL_VALID[method])).rejects.toBeInstanceOf(UntrustedSenderError);
    });
    it.each(SHELL_BAD[method].map((args, i) => [i, args] as const))('rejects malformed arguments #%i', async (_i, args) => {
      run.mockClear();
      await expect(h(good, ...args)).rejects.toBeInstanceOf(IpcArgumentError);
      expect(run).not.toHaveBeenCalled();
    });
  });

  it('registers through ipcMain.handle with the guard in place', async () => {
    const registered = new Map<string, (e: SenderInfo, ...a: unknown[]) => unknown>();
    const ipc: IpcMainLike = { handle: (c, l) => { registered.set(c, l); }, removeHandler: (c) => { registered.delete(c); } };
    const run = vi.fn(async (_e: SenderInfo, ..._a: unknown[]) => 1);
    handle(ipc, engineChannel('getFlowDetail'), (e) => isTrustedSender(e, trustedSet), ENGINE_VALIDATORS.getFlowDetail, run);
    const l = registered.get('engine:getFlowDetail')!;
    await expect(l(untrusted[0]![1], 1)).rejects.toThrow(/untrusted sender/);
    await expect(l(good, 'x')).rejects.toThrow(/getFlowDetail: id must be an integer/);
    await expect(l(good, 1)).resolves.toBe(1);
    expect(run).toHaveBeenCalledTimes(1);
  });
});

describe('the preload bridge', () => {
  function fakeIpc() {
    const calls: Array<[string, unknown[]]> = [];
    const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
    const ipc: IpcRendererLike = {
      invoke: async (channel, ...args) => { calls.push([channel, args]); return channel; },
      on: (c, l) => { if (!listeners.has(c)) listeners.set(c, new Set()); listeners.get(c)!.add(l); },
      removeListener: (c, l) => { listeners.get(c)?.delete(l); },
    };
    return { ipc, calls, listeners };
  }

  it('exposes exactly the AnalyzerApi methods plus shell, and shell exactly its methods', () => {
    const { ipc } = fakeIpc();
    const bridge = createBridge(ipc, { getPathForFile: () => '/x' }) as unknown as Record<string, unknown>;
    expect(Object.keys(bridge).filter((k) => k !== 'shell').sort()).toEqual([...ANALYZER_METHODS].sort());
    expect(Object.keys(bridge['shell'] as object).sort()).toEqual([...SHELL_METHODS].sort());
    for (const k of Object.keys(bridge)) if (k !== 'shell') expect(typeof bridge[k]).toBe('function');
    expect(bridge).not.toHaveProperty('invoke');
    expect(bridge).not.toHaveProperty('send');
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('sends each call on its own channel with its arguments', async () => {
    const { ipc, calls } = fakeIpc();
    const bridge = createBridge(ipc, { getPathForFile: () => '/x' });
    for (const m of ENGINE_METHODS) {
      await (bridge[m] as (...a: unknown[]) => Promise<unknown>)(...VALID[m]);
    }
    expect(calls.map((c) => c[0])).toEqual(ENGINE_METHODS.map((m) => `engine:${m}`));
    expect(calls[0]![1]).toEqual(VALID.openSession);
    await bridge.shell.openExternal('https://example.org/');
    expect(calls.at(-1)).toEqual(['shell:openExternal', ['https://example.org/']]);
  });

  it('delivers progress and menu events and unsubscribes', () => {
    const { ipc, listeners } = fakeIpc();
    const bridge = createBridge(ipc, { getPathForFile: (f) => `/home/u/${f.name}` });
    const got: unknown[] = [];
    const off = bridge.onProgress((p) => got.push(p));
    const offMenu = bridge.shell.onMenu((c) => got.push(c));
    for (const l of listeners.get(EVENT_PROGRESS)!) l({}, { phase: 'reading', bytesRead: 1 });
    for (const l of listeners.get(EVENT_MENU)!) l({}, { command: 'compare' });
    expect(got).toEqual([{ phase: 'reading', bytesRead: 1 }, { command: 'compare' }]);
    off();
    offMenu();
    expect(listeners.get(EVENT_PROGRESS)!.size).toBe(0);
    expect(listeners.get(EVENT_MENU)!.size).toBe(0);
    expect(bridge.shell.refForFile({ name: 'a.pcap' } as File)).toEqual({ kind: 'path', path: '/home/u/a.pcap' });
  });
});
