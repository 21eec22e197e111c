/** ByteSource over a browser File or Blob: read locally, never uploaded. */
import type { ByteSource } from '../../capture/types.js';

export function blobSource(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    async *chunks(chunkSize: number, signal?: AbortSignal) {
      for (let pos = 0; pos < blob.size; pos += chunkSize) {
        if (signal?.aborted) return;
        const buf = await blob.slice(pos, Math.min(blob.size, pos + chunkSize)).arrayBuffer();
        yield new Uint8Array(buf);
      }
    },
    async read(offset: number, length: number) {
      return new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + length)).arrayBuffer());
    },
  };
}
