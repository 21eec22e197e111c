/**
 * Resolves the browser build's SourceRefs: picked or dropped files (blobs,
 * read locally, never uploaded) and the captures served with the app (same
 * origin only: the lab captures under /lab/).
 */
import type { SourceRef } from '../../src/api.js';
import type { ByteSource } from '../../src/capture/types.js';
import { blobSource } from '../../src/host/browser/file-source.js';

export function sameOriginUrl(url: string, base: string): URL {
  const u = new URL(url, base);
  const b = new URL(base);
  if (u.origin !== b.origin) throw new Error(`${url}: only captures served with the app can be opened by URL`);
  return u;
}

export async function resolveBrowserSource(ref: SourceRef, base: string): Promise<ByteSource> {
  switch (ref.kind) {
    case 'blob':
      return blobSource(ref.blob, ref.name);
    case 'url': {
      const u = sameOriginUrl(ref.url, base);
      const res = await fetch(u);
      if (!res.ok) throw new Error(`${ref.name}: could not load ${u.pathname} (HTTP ${res.status})`);
      return blobSource(await res.blob(), ref.name);
    }
    case 'path':
      throw new Error(`${ref.path}: local paths can only be opened in the desktop app; pick or drop the file instead`);
  }
}
