/**
 * Paths as the CLI and the desktop app name them, opened as captures: a file
 * (a capture, a .gz, an archive, a text file beside them) or a folder (its
 * files that are one of those, in name order; not recursive). Files are
 * opened read-only; archives are read in place (src/capture/open-inputs.ts).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSidecarName, openInputs, sniffInput, type OpenedInputs } from '../../capture/open-inputs.js';
import type { ContainerLimits } from '../../capture/source-error.js';
import type { ByteSource } from '../../capture/types.js';
import { fileSource } from './file-source.js';

export class PathError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'PathError';
  }
}

async function openFile(p: string): Promise<ByteSource> {
  try {
    return await fileSource(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PathError(p, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message);
  }
}

/** The sources a path stands for: itself, or a folder's capture, archive and text files. */
export async function pathSources(p: string): Promise<ByteSource[]> {
  const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
    throw new PathError(p, e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message);
  });
  if (!st.isDirectory()) return [await openFile(p)];
  const out: ByteSource[] = [];
  for (const n of (await readdir(p)).sort()) {
    const full = join(p, n);
    const s = await stat(full).catch(() => null);
    if (!s?.isFile() || s.size === 0) continue;
    const src = await openFile(full);
    if (sniffInput(await src.read(0, 512)) !== null || isSidecarName(n)) out.push(src);
  }
  if (!out.length) throw new PathError(p, 'folder holds no capture, archive or capture tool file');
  return out;
}

export async function openPaths(paths: readonly string[], limits?: Partial<ContainerLimits>): Promise<OpenedInputs> {
  const sources: ByteSource[] = [];
  for (const p of paths) sources.push(...await pathSources(p));
  return openInputs(sources, limits);
}
