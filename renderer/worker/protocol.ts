/**
 * Messages between the UI thread and the engine Web Worker (browser build).
 * Requests name an AnalyzerApi method; the worker answers with the result or
 * an error that keeps the engine's message (and its name, e.g.
 * NotAvailableError). Progress events are pushed unasked.
 */
import type { AnalyzerApi, Progress } from '../../src/api.js';

export type CallableMethod = Exclude<keyof AnalyzerApi, 'onProgress'>;

export interface WorkerRequest {
  id: number;
  method: CallableMethod;
  args: unknown[];
}

export interface WorkerError {
  name: string;
  message: string;
}

export type WorkerMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WorkerError }
  | { event: 'progress'; progress: Progress };

export const CALLABLE_METHODS: readonly CallableMethod[] = [
  'openSession', 'addCaptures', 'loadCluster', 'setClocks', 'cancel', 'getSummary', 'getIssues', 'getPackets', 'getPacketDetail', 'checkFilter',
  'getFlows', 'getFlowDetail', 'getStream', 'getHttp', 'getDns', 'getOverlay', 'compare', 'exportReport',
  'exportData',
];
