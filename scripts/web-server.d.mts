import type { Server } from 'node:http';
import type { LabManifest } from '../electron/ipc-contract.js';
export function labManifest(labDir: string): LabManifest;
export function safeJoin(root: string, rel: string): string | null;
export function startWebServer(opts: { webDir: string; labDir: string; port?: number; host?: string; extra?: Record<string, string> }):
  Promise<{ server: Server; port: number; url: string; close(): Promise<void> }>;
