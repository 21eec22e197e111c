/**
 * Writes a file whole or not at all: a temporary file in the same directory,
 * fsync, then rename over the target. A crash mid-write leaves the previous
 * version intact. Refuses to overwrite any of `protect` (the captures read).
 */
import { open, readdir, rename, rm, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * `data` may be pieces (written in order, e.g. a JSON document too big for one
 * string); a piece is written before the next is taken, so pieces may be views
 * of one reused buffer.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array | Iterable<string | Uint8Array>, protect: readonly string[] = []): Promise<void> {
  const abs = path.resolve(target);
  for (const p of protect) {
    const a = await realpath(p).catch(() => path.resolve(p));
    const b = await realpath(abs).catch(() => abs);
    if (a === b) throw new Error(`${target}: refusing to overwrite a capture that is being read`);
  }
  await removeStaleTemps(abs);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await fh.writeFile(data);
    else {
      for (const piece of data) {
        if (typeof piece === 'string') await fh.write(piece);
        else for (let at = 0; at < piece.length;) at += (await fh.write(piece, at, piece.length - at)).bytesWritten;
      }
    }
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

/**
 * Removes temporary files of earlier writes to `abs` whose writer process is
 * gone (killed mid-write): `.NAME.PID.TIME.tmp` beside the target.
 */
async function removeStaleTemps(abs: string): Promise<void> {
  const dir = path.dirname(abs);
  const prefix = `.${path.basename(abs)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp')) continue;
    const m = /^(\d+)\.\d+\.tmp$/.exec(n.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    await rm(path.join(dir, n), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
