/**
 * Recently opened captures, kept in the user's settings folder as JSON and
 * written atomically (temp file + fsync + rename), so a crash never leaves a
 * half-written list.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../src/host/node/atomic-write.js';

export const MAX_RECENT = 12;

/** The list after opening `paths`: newest first, no duplicates, at most MAX_RECENT. */
export function addRecent(list: readonly string[], paths: readonly string[]): string[] {
  const out = [...paths.filter((p) => typeof p === 'string' && p.length > 0)];
  for (const p of list) if (!out.includes(p)) out.push(p);
  return out.slice(0, MAX_RECENT);
}

export class RecentFiles {
  private list: string[] = [];
  constructor(private readonly file: string) {}

  static inDir(userData: string): RecentFiles {
    return new RecentFiles(path.join(userData, 'recent-files.json'));
  }

  async load(): Promise<string[]> {
    try {
      const data: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      const files = (data as { files?: unknown }).files;
      this.list = Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string').slice(0, MAX_RECENT) : [];
    } catch {
      this.list = [];
    }
    return this.get();
  }

  get(): string[] {
    return [...this.list];
  }

  async add(paths: readonly string[]): Promise<string[]> {
    this.list = addRecent(this.list, paths);
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, files: this.list }, null, 2) + '\n');
    return this.get();
  }
}
