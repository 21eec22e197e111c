/**
 * Copies of captures with some packets left out by tcpdump (a real BPF
 * filter over the real files), in a temporary folder: e.g. a lab scenario
 * without the packets to and from a ClusterIP, as a socket-level load
 * balancer would leave it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FilteredCopies {
  /** The copies, in the order of the inputs, same base names. */
  files: string[];
  /** Removes the temporary folder. */
  remove(): void;
}

/** `tcpdump -r FILE -w COPY FILTER...` for each file; throws with tcpdump's message if one fails. */
export function tcpdumpCopies(files: readonly string[], filter: readonly string[], prefix: string): FilteredCopies {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    const out = files.map((f) => {
      const copy = path.join(dir, path.basename(f));
      const r = spawnSync('tcpdump', ['-r', f, '-w', copy, ...filter], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tcpdump ${f}: ${r.stderr}`);
      return copy;
    });
    return { files: out, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
