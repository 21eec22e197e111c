/** A ByteSource over a byte range of another: an archive member's stored bytes. */
import type { ByteSource } from './types.js';

export function sliceSource(src: ByteSource, start: number, length: number, name: string): ByteSource {
  const size = Math.max(0, length);
  return {
    name,
    size,
    async *chunks(chunkSize: number, signal?: AbortSignal) {
      for (let pos = 0; pos < size; ) {
        if (signal?.aborted) return;
        const b = await src.read(start + pos, Math.min(chunkSize, size - pos));
        // The container ended before the member did (a truncated archive): what there is, is all.
        if (b.length === 0) return;
        pos += b.length;
        yield b;
      }
    },
    async read(offset: number, length: number) {
      if (offset >= size) return new Uint8Array(0);
      return src.read(start + offset, Math.min(length, size - offset));
    },
  };
}
