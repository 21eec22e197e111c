/**
 * The open session as the views see it: summary, progress of the running
 * open, the error that stopped it, and the actions (open files, open the lab
 * captures, add captures, load cluster metadata, cancel).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ClockSettings, OpenOptions, Progress, SessionSummary, SourceRef } from '../../src/api.js';
import type { LabManifest } from '../../electron/ipc-contract.js';
import type { Host } from './api/host.js';
import { analysisThreads } from './components/ThreadsSetting.js';

export interface SessionState {
  host: Host;
  summary: SessionSummary | null;
  busy: boolean;
  error: string | null;
  /** Bumped whenever the session changes, so views refetch. */
  version: number;
  lab: LabManifest | null;
  open(sources: SourceRef[], options?: OpenOptions): Promise<void>;
  add(sources: SourceRef[]): Promise<void>;
  /** `replace`: instead of the metadata loaded before (default: added to it). */
  loadCluster(sources: SourceRef[], options?: { replace?: boolean }): Promise<void>;
  /** States hosts and clock correction; re-analyses the session. */
  setClocks(settings: ClockSettings): Promise<void>;
  openLab(scenario?: string): Promise<void>;
  cancel(): void;
  dismissError(): void;
}

const Ctx = createContext<SessionState | null>(null);
/** Progress lives in its own context: only the progress bar re-renders 20 times a second while loading. */
const ProgressCtx = createContext<Progress | null>(null);

export function useProgress(): Progress | null {
  return useContext(ProgressCtx);
}

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function labRefs(lab: LabManifest, scenario: string): SourceRef[] {
  const sc = lab.scenarios.find((s) => s.name === scenario) ?? lab.scenarios[0];
  return sc ? sc.captures.map((c) => ({ kind: 'url', url: c.url, name: c.name })) : [];
}

export function SessionProvider({ host, children }: { host: Host; children: ReactNode }) {
  const [summary, setSummary] = useState<SessionSummary | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [lab, setLab] = useState<LabManifest | null>(null);
  const pendingProgress = useRef<Progress | null>(null);

  useEffect(() => {
    // Progress arrives often; paint it at most once a frame.
    let raf = 0;
    const off = host.api.onProgress((p) => {
      pendingProgress.current = p;
      if (!raf) raf = requestAnimationFrame(() => { raf = 0; setProgress(pendingProgress.current); });
    });
    return () => { off(); if (raf) cancelAnimationFrame(raf); };
  }, [host]);

  const run = useCallback(async (work: () => Promise<SessionSummary>) => {
    setBusy(true);
    setError(null);
    try {
      const s = await work();
      setSummary(s);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      // What was read before a failure stays available.
      const s = await host.api.getSummary().catch(() => null);
      if (s) setSummary(s);
    } finally {
      setBusy(false);
      setVersion((v) => v + 1);
    }
  }, [host]);

  // The "Analysis threads" setting applies to each open (and stays with the session's re-analyses).
  const open = useCallback((sources: SourceRef[], options?: OpenOptions) => run(() => host.api.openSession(sources, { threads: analysisThreads(), ...options })), [host, run]);
  const add = useCallback((sources: SourceRef[]) => run(() => host.api.addCaptures(sources)), [host, run]);
  const loadCluster = useCallback((sources: SourceRef[], options?: { replace?: boolean }) => run(() => host.api.loadCluster(sources, options)), [host, run]);
  const setClocks = useCallback((settings: ClockSettings) => run(() => host.api.setClocks(settings)), [host, run]);
  const openLab = useCallback(async (scenario = 'nginx-proxy') => {
    const m = lab ?? (await host.labManifest());
    if (!m || !m.scenarios.length) { setError('No lab captures are served with this build'); return; }
    const cluster: SourceRef[] = m.cluster ? [{ kind: 'url', url: m.cluster.url, name: m.cluster.name }] : [];
    await open(labRefs(m, scenario), { label: `lab: ${scenario}`, cluster });
  }, [host, lab, open]);

  useEffect(() => {
    host.labManifest().then(setLab, () => setLab(null));
  }, [host]);

  const value = useMemo<SessionState>(() => ({
    host, summary, busy, error, version, lab, open, add, loadCluster, setClocks, openLab,
    cancel: () => { void host.api.cancel(); },
    dismissError: () => setError(null),
  }), [host, summary, busy, error, version, lab, open, add, loadCluster, setClocks, openLab]);
  return <Ctx.Provider value={value}><ProgressCtx.Provider value={progress}>{children}</ProgressCtx.Provider></Ctx.Provider>;
}
