/**
 * A session of capture points that are one generated overlay capture
 * (bench/gen-overlay.mjs, the bench's generator) hard-linked `count` times
 * into `dir`: big sessions for the threads tests without the disk they would
 * take as copies. Returns the points' paths, point-0.pcap ... in order.
 */
import { spawnSync } from 'node:child_process';
import { linkSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './corpus.js';

export function overlayPoints(dir: string, count: number, packets = 100_000): string[] {
  const file = path.join(dir, `overlay-${packets}.pcap`);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'gen-overlay.mjs'), '--out', file, '--packets', String(packets), '--quiet'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`gen-overlay failed: ${r.stderr}`);
  return Array.from({ length: count }, (_, i) => { const f = path.join(dir, `point-${i}.pcap`); linkSync(file, f); return f; });
}
