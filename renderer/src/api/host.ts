/**
 * Where the UI runs: inside the desktop app (window.overlayscope from the
 * preload, engine in the main process's worker thread) or in a browser (the
 * engine in a Web Worker). Views only see this.
 */
import type { AnalyzerApi, SourceRef } from '../../../src/api.js';
import type { LabManifest, OverlayScopeBridge, ShellApi } from '../../../electron/ipc-contract.js';
import { createWorkerClient } from './worker-client.js';

export interface Host {
  kind: 'electron' | 'browser';
  api: AnalyzerApi;
  shell: ShellApi | null;
  labManifest(): Promise<LabManifest | null>;
  /** Files the user picked or dropped, as SourceRefs: read locally, never uploaded. */
  refsForFiles(files: readonly File[]): SourceRef[];
}

declare global {
  interface Window {
    overlayscope?: OverlayScopeBridge;
  }
}

export function createHost(): Host {
  const bridge = window.overlayscope;
  if (bridge) {
    return {
      kind: 'electron',
      api: bridge,
      shell: bridge.shell,
      labManifest: () => bridge.shell.labManifest(),
      refsForFiles: (files) => files.map((f) => bridge.shell.refForFile(f)),
    };
  }
  const worker = new Worker(new URL('../../worker/engine-worker.ts', import.meta.url), { type: 'module', name: 'overlayscope-engine' });
  return {
    kind: 'browser',
    api: createWorkerClient(worker),
    shell: null,
    async labManifest() {
      try {
        const res = await fetch('lab/index.json');
        if (!res.ok) return null;
        const m = (await res.json()) as LabManifest;
        // Absolute URLs: the worker resolves against its own script URL otherwise.
        const abs = <T extends { url: string }>(c: T): T => ({ ...c, url: new URL(c.url, document.baseURI).href });
        return {
          scenarios: m.scenarios.map((s) => ({ ...s, captures: s.captures.map(abs), merged: s.merged ? abs(s.merged) : null })),
          cluster: m.cluster ? abs(m.cluster) : null,
        };
      } catch {
        return null;
      }
    },
    refsForFiles: (files) => files.map((f) => ({ kind: 'blob', blob: f, name: f.name })),
  };
}
