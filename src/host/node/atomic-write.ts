/**
 * Writes a file whole or not at all: a temporary file in the same directory,
 * fsync, then rename over the target. A crash mid-write leaves the previous
 * version intact. Refuses to overwrite any of `protect` (the captures read).
 */
import { open, rename, rm, realpath } from 'node:fs/promises';
import path from 'node:path';

/** `data` may be pieces (written in order, e.g. a JSON document too big for one string). */
export async function writeFileAtomic(target: string, data: string | Uint8Array | Iterable<string>, protect: readonly string[] = []): Promise<void> {
  const abs = path.resolve(target);
  for (const p of protect) {
    const a = await realpath(p).catch(() => path.resolve(p));
    const b = await realpath(abs).catch(() => abs);
    if (a === b) throw new Error(`${target}: refusing to overwrite a capture that is being read`);
  }
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await fh.writeFile(data);
    else for (const piece of data) await fh.write(piece);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, abs);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
