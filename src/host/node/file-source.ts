/** ByteSource over a local file, opened read-only (captures are never modified). */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../../capture/types.js';

export async function fileSource(path: string, displayName: string = path): Promise<ByteSource> {
  const st = await stat(path);
  if (!st.isFile()) throw new Error(`${path}: not a regular file`);
  const size = st.size;
  // The handle sequential reads (readInto) share until closeReads.
  let sequential: Promise<FileHandle> | null = null;
  // The same handle once open: readInto must start the read before it first
  // awaits, or a read requested ahead (readCapture's prefetch) would only be
  // issued after the caller's synchronous parsing, and never overlap it.
  let opened: FileHandle | null = null;
  return {
    name: displayName,
    size,
    async *chunks(chunkSize: number, signal?: AbortSignal) {
      const fh = await open(path, 'r');
      try {
        let pos = 0;
        while (pos < size) {
          if (signal?.aborted) return;
          const buf = new Uint8Array(Math.min(chunkSize, size - pos));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) return;
          pos += bytesRead;
          yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
        }
      } finally {
        await fh.close();
      }
    },
    async readInto(offset: number, into: Uint8Array) {
      if (opened) return (await opened.read(into, 0, into.length, offset)).bytesRead;
      sequential ??= open(path, 'r').then(
        (h) => (opened = h),
        (e: unknown) => {
          sequential = null;
          throw e;
        },
      );
      const fh = await sequential;
      return (await fh.read(into, 0, into.length, offset)).bytesRead;
    },
    async closeReads() {
      const h = sequential;
      sequential = null;
      opened = null;
      if (h) await (await h.catch(() => null))?.close();
    },
    async read(offset: number, length: number) {
      const fh = await open(path, 'r');
      try {
        const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
  };
}
