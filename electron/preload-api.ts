/**
 * Builds `window.overlayscope` from Electron's ipcRenderer and webUtils:
 * one named, typed method per contract call (no generic invoke), each bound
 * to its own channel. Pure: the preload passes the real objects in, the
 * tests pass fakes.
 */
import type { Progress, SourceRef } from '../src/api.js';
import {
  ENGINE_METHODS, EVENT_MENU, EVENT_PROGRESS, SHELL_INVOKES, engineChannel, shellChannel,
  type EngineMethod, type MenuCommand, type OverlayScopeBridge, type ShellInvoke,
} from './ipc-contract.js';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}
export interface WebUtilsLike {
  getPathForFile(file: File): string;
}

export function createBridge(ipc: IpcRendererLike, webUtils: WebUtilsLike): OverlayScopeBridge {
  const engine = {} as Record<EngineMethod, (...a: unknown[]) => Promise<unknown>>;
  for (const m of ENGINE_METHODS) {
    const channel = engineChannel(m);
    engine[m] = (...args: unknown[]) => ipc.invoke(channel, ...args);
  }
  const shellCalls = {} as Record<ShellInvoke, (...a: unknown[]) => Promise<unknown>>;
  for (const m of SHELL_INVOKES) {
    const channel = shellChannel(m);
    shellCalls[m] = (...args: unknown[]) => ipc.invoke(channel, ...args);
  }
  const subscribe = <T>(channel: string, listener: (v: T) => void): (() => void) => {
    const l = (_e: unknown, payload: unknown) => listener(payload as T);
    ipc.on(channel, l);
    return () => { ipc.removeListener(channel, l); };
  };
  const bridge = {
    ...engine,
    onProgress: (listener: (p: Progress) => void) => subscribe<Progress>(EVENT_PROGRESS, listener),
    shell: {
      ...shellCalls,
      refForFile: (file: File): SourceRef => ({ kind: 'path', path: webUtils.getPathForFile(file) }),
      onMenu: (listener: (c: MenuCommand) => void) => subscribe<MenuCommand>(EVENT_MENU, listener),
    },
  };
  return Object.freeze({ ...bridge, shell: Object.freeze(bridge.shell) }) as unknown as OverlayScopeBridge;
}
