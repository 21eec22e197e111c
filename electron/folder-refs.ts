/**
 * A folder opened in the desktop app (File > Open Folder…, a dropped folder,
 * a recent folder, `overlayscope-desktop DIR`) becomes the files in it that
 * one session reads, as the CLI reads a folder (src/host/node/open-paths.ts):
 * its captures, .gz streams, archives and capture tools' text files, in name
 * order, not recursive; empty files and sub-folders skipped. Only the first
 * bytes of each file are read here (its magic); parsing stays in the engine
 * worker. Runs in the main process, before the engine gets the refs, so the
 * files are also the session's inputs that exports may never overwrite.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceRef } from '../src/api.js';
import { isSidecarName, sniffInput } from '../src/capture/open-inputs.js';

/** Files read from one folder at most (a capture folder holds tens; a wrong pick, a home folder, thousands). */
export const MAX_FOLDER_FILES = 1024;

export class FolderError extends Error {
  constructor(readonly folder: string, reason: string) {
    super(`${folder}: ${reason}`);
    this.name = 'FolderError';
  }
}

async function head(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const b = new Uint8Array(512);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The files of `dir` one session reads, as absolute paths in name order. */
export async function folderFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FolderError(dir, code === 'ENOENT' ? 'no such folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message);
  }
  for (const n of names) {
    const full = path.join(dir, n);
    const s = await stat(full).catch(() => null);
    if (!s?.isFile() || s.size === 0) continue;
    const h = await head(full).catch(() => null);
    if (!h || (sniffInput(h) === null && !isSidecarName(n))) continue;
    if (out.length >= MAX_FOLDER_FILES) throw new FolderError(dir, `holds more than ${MAX_FOLDER_FILES} capture, archive or text files: open fewer at once`);
    out.push(full);
  }
  if (!out.length) throw new FolderError(dir, 'folder holds no capture, archive or capture tool file');
  return out;
}

/** Path refs that name folders replaced by their files (other refs unchanged, order kept). */
export async function expandFolderRefs(refs: readonly SourceRef[]): Promise<SourceRef[]> {
  const out: SourceRef[] = [];
  for (const r of refs) {
    if (r.kind === 'path' && (await stat(r.path).catch(() => null))?.isDirectory()) {
      for (const f of await folderFiles(r.path)) out.push({ kind: 'path', path: f });
    } else out.push(r);
  }
  return out;
}

/** An engine call's arguments with the folders among its capture refs replaced by their files (openSession, addCaptures, compare's two sides). */
export async function expandFolderArgs(method: string, args: readonly unknown[]): Promise<unknown[]> {
  const out = [...args];
  const sides = method === 'openSession' || method === 'addCaptures' ? [0] : method === 'compare' ? [0, 1] : [];
  for (const i of sides) if (Array.isArray(out[i])) out[i] = await expandFolderRefs(out[i] as SourceRef[]);
  return out;
}
