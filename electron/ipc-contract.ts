/**
 * The one IPC contract between the desktop shell's main process and its
 * preload: every channel and its signature. Both sides import this file (and
 * the renderer imports its types), so a renamed or retyped call fails to
 * compile on both. The analyzer part is derived from src/api.ts.
 *
 * Types and constants only: no Electron or Node imports (the preload is
 * bundled for a sandboxed renderer).
 */
import type { AnalyzerApi, Progress, SourceRef } from '../src/api.js';
import { ANALYZER_METHODS } from '../src/api.js';

/** AnalyzerApi calls that cross IPC as request/response (onProgress is an event). */
export type EngineMethod = Exclude<keyof AnalyzerApi, 'onProgress'>;

export const ENGINE_METHODS = ANALYZER_METHODS.filter((m): m is EngineMethod => m !== 'onProgress');

/** `engine:<method>`: one channel per AnalyzerApi call. */
export type EngineChannel<K extends EngineMethod = EngineMethod> = `engine:${K}`;
export const engineChannel = <K extends EngineMethod>(m: K): EngineChannel<K> => `engine:${m}`;

export type EngineArgs<K extends EngineMethod> = Parameters<AnalyzerApi[K]>;
export type EngineResult<K extends EngineMethod> = Awaited<ReturnType<AnalyzerApi[K]>>;

/** Captures served with the app (the lab scenarios). */
export interface LabCapture {
  name: string;
  /** Relative to the app: `lab/captures/<scenario>/<point>.pcap`. */
  url: string;
  size: number;
}
export interface LabScenario {
  name: string;
  captures: LabCapture[];
  merged: LabCapture | null;
}
export interface LabManifest {
  scenarios: LabScenario[];
  cluster: LabCapture | null;
}

/** Menu commands main sends to a window. */
export const MENU_COMMANDS = ['open', 'add-capture', 'load-cluster', 'export-report', 'compare', 'open-recent'] as const;
export type MenuCommandName = (typeof MENU_COMMANDS)[number];
export interface MenuCommand {
  command: MenuCommandName;
  /** For open-recent and open: the files chosen in main (path refs). */
  sources?: SourceRef[];
}

/**
 * What Export report… writes: the engine's formats (zip: flows.csv, http.csv, dns.csv in one file), plus PDF (the HTML report printed by Chromium),
 * and the hand-offs of AnalyzerApi.exportData: `parquet` (every Parquet table in one zip) and `pcapng` (for Wireshark).
 */
export const EXPORT_FORMATS = ['html', 'pdf', 'md', 'csv', 'json', 'zip', 'parquet', 'pcapng'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export interface SavedReport {
  path: string;
  format: ExportFormat;
}

/** The desktop-only calls (native dialogs, recent files, links). */
export interface ShellApi {
  /** Native open dialog for captures; [] when cancelled. */
  pickCaptures(): Promise<SourceRef[]>;
  /** Native open dialog for kubectl JSON/YAML. */
  pickCluster(): Promise<SourceRef[]>;
  /**
   * Export report…: the native save dialog offers every format (`preferred`
   * first); the chosen file's extension picks the format; main gets the
   * report from this window's engine (PDF: the HTML report printed in a
   * hidden sandboxed window) and writes it atomically, never over a capture
   * of the session. null when cancelled.
   */
  saveReportAs(preferred: ExportFormat): Promise<SavedReport | null>;
  /** The local path of a dropped File (Electron's webUtils), as a path ref. */
  refForFile(file: File): SourceRef;
  recentFiles(): Promise<string[]>;
  labManifest(): Promise<LabManifest | null>;
  /** Opens an http(s) link in the user's browser; anything else is refused. */
  openExternal(url: string): Promise<void>;
  onMenu(listener: (cmd: MenuCommand) => void): () => void;
}

export const SHELL_METHODS = ['pickCaptures', 'pickCluster', 'saveReportAs', 'refForFile', 'recentFiles', 'labManifest', 'openExternal', 'onMenu'] as const satisfies ReadonlyArray<keyof ShellApi>;

/** Shell calls that cross IPC (refForFile and onMenu stay in the preload). */
export type ShellInvoke = Exclude<keyof ShellApi, 'refForFile' | 'onMenu'>;
export const SHELL_INVOKES = ['pickCaptures', 'pickCluster', 'saveReportAs', 'recentFiles', 'labManifest', 'openExternal'] as const satisfies ReadonlyArray<ShellInvoke>;
export type ShellChannel<K extends ShellInvoke = ShellInvoke> = `shell:${K}`;
export const shellChannel = <K extends ShellInvoke>(m: K): ShellChannel<K> => `shell:${m}`;
export type ShellArgs<K extends ShellInvoke> = Parameters<ShellApi[K]>;
export type ShellResult<K extends ShellInvoke> = Awaited<ReturnType<ShellApi[K]>>;

/** Events main pushes to a window. */
export const EVENT_PROGRESS = 'event:progress';
export const EVENT_MENU = 'event:menu';
export interface EventPayloads {
  [EVENT_PROGRESS]: Progress;
  [EVENT_MENU]: MenuCommand;
}

/** `window.overlayscope`: the AnalyzerApi methods by name, plus `shell`. */
export type OverlayScopeBridge = AnalyzerApi & { shell: ShellApi };

/** The app's own origin (custom protocol); senders from anywhere else are refused. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'overlayscope';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
