import type { ByteSource } from './types.js';

/** A ByteSource over bytes already in memory (fetched lab captures, tests). */
export function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    async *chunks(chunkSize: number) {
      for (let pos = 0; pos < bytes.length; pos += chunkSize) yield bytes.subarray(pos, Math.min(bytes.length, pos + chunkSize));
    },
    async read(offset: number, length: number) {
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
  };
}
