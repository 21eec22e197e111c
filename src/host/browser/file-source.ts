/** ByteSource over a browser File or Blob: read locally, never uploaded. */
import type { ByteSource } from '../../capture/types.js';

/**
 * Packets are read back in windows of this size: in Chromium each
 * `Blob.slice().arrayBuffer()` costs ~2 ms whatever its size (a round trip
 * to the browser's blob store), so one read per packet made a display
 * filter over 20,000 packets take 41 s; with windows it takes a few seconds.
 */
export const READ_WINDOW = 512 * 1024;
/** Windows kept per source (a forward scan needs one; a page read around a window edge, two). */
const WINDOWS = 2;

interface Window { start: number; end: number; bytes: Promise<Uint8Array> }

export function blobSource(blob: Blob, name: string): ByteSource {
  const windows: Window[] = [];
  const readBlob = async (start: number, end: number) => new Uint8Array(await blob.slice(start, end).arrayBuffer());
  return {
    name,
    size: blob.size,
    async *chunks(chunkSize: number, signal?: AbortSignal) {
      for (let pos = 0; pos < blob.size; pos += chunkSize) {
        if (signal?.aborted) return;
        yield await readBlob(pos, Math.min(blob.size, pos + chunkSize));
      }
    },
    async read(offset: number, length: number) {
      const end = Math.min(blob.size, offset + length);
      if (end <= offset) return new Uint8Array(0);
      let w = windows.find((x) => x.start <= offset && end <= x.end);
      if (w) {
        // Most recently used last.
        windows.splice(windows.indexOf(w), 1);
        windows.push(w);
      } else {
        const start = offset - (offset % READ_WINDOW);
        const wEnd = Math.min(blob.size, Math.max(start + READ_WINDOW, end));
        w = { start, end: wEnd, bytes: readBlob(start, wEnd) };
        windows.push(w);
        if (windows.length > WINDOWS) windows.shift();
        w.bytes.catch(() => { const i = windows.indexOf(w!); if (i >= 0) windows.splice(i, 1); });
      }
      const bytes = await w.bytes;
      // A copy: callers keep packets (and post them to the page) without pinning or detaching the window.
      return bytes.slice(offset - w.start, end - w.start);
    },
  };
}
