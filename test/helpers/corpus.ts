/**
 * The public capture corpus at ../shared/corpus (not committed here). Tests
 * that need it call `corpusOrSkip()`: where the folder is absent they are
 * skipped with a message saying so, never silently.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = process.env['OVERLAYSCOPE_CORPUS'] ?? path.resolve(ROOT, '../shared/corpus');
export const CORPUS_FILES = path.join(CORPUS, 'files');
export const corpusPresent = existsSync(CORPUS_FILES);

let warned = false;
export function corpusSkipReason(): string | null {
  if (corpusPresent) return null;
  if (!warned) {
    warned = true;
    console.warn(`SKIPPED: corpus tests need ${CORPUS_FILES} (../shared/corpus beside the checkout); it is absent here`);
  }
  return 'corpus absent';
}

export function corpusFiles(): string[] {
  return corpusPresent ? readdirSync(CORPUS_FILES).sort() : [];
}

export function corpusPath(name: string): string {
  return path.join(CORPUS_FILES, name);
}

export function groundTruth(name: string): string {
  return readFileSync(path.join(CORPUS, 'ground-truth', `${name}.txt`), 'utf8');
}

export function fixturePath(...parts: string[]): string {
  return path.join(ROOT, 'fixtures', ...parts);
}
