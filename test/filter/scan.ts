/** Runs a filter over a capture file (ours) and asks tshark the same (the reference), with a time-out and a per-run cache. */
import { execFile } from 'node:child_process';
import { openSync, readSync, closeSync } from 'node:fs';
import { readCapture } from '../../src/capture/read-capture.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { compileFilter } from '../../src/filter/compile.js';
import { FrameFilter } from '../../src/filter/frame-filter.js';
import { fileSource } from '../../src/host/node/file-source.js';

export function isPcapng(file: string): boolean {
  const fd = openSync(file, 'r');
  const b = Buffer.alloc(4);
  try { readSync(fd, b, 0, 4, 0); } finally { closeSync(fd); }
  return b.readUInt32BE(0) === 0x0a0d0d0a;
}

/** Frame numbers (1-based) our filter matches in `file`. */
export async function ourFrames(file: string, filter: string): Promise<number[]> {
  const f = compileFilter(filter);
  const ff = new FrameFilter(f, new DissectConfig({ vxlanPorts: [4789, 8472] }), isPcapng(file));
  const p = new DecodedPacket();
  const out: number[] = [];
  const source = await fileSource(file);
  await readCapture(source, {
    onInterface: (i) => ff.onInterface(i),
    onRecord: (rec, bytes, start) => { if (ff.test(rec, bytes, start, p)) out.push(rec.index + 1); },
    onIssue: () => {},
  });
  return out;
}

const cache = new Map<string, Promise<number[] | { error: string }>>();

/** tshark's frame numbers for `filter` on `file` (-d udp.port==8472,vxlan), or its error text. */
export function tsharkFrames(file: string, filter: string, timeoutMs = 60_000): Promise<number[] | { error: string }> {
  const key = `${file}\u0000${filter}`;
  let p = cache.get(key);
  if (!p) {
    p = new Promise((resolve, reject) => {
      execFile('tshark', ['-n', '-r', file, '-d', 'udp.port==8472,vxlan', '-Y', filter, '-T', 'fields', '-e', 'frame.number'],
        { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err && (err as NodeJS.ErrnoException & { killed?: boolean }).killed) { reject(new Error(`tshark timed out on ${file} -Y ${filter}`)); return; }
          if (err && /filter|dfilter|isn't a valid|neither a field|syntax/i.test(stderr)) { resolve({ error: stderr.trim() }); return; }
          // tshark exits non-zero on a cut-short file after printing every frame it read: keep them.
          resolve(stdout.split('\n').filter(Boolean).map(Number));
        });
    });
    cache.set(key, p);
  }
  return p;
}
