/** Real packets taken from real captures, for dissector tests. */
import { readFileSync } from 'node:fs';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { readCapture } from '../../src/capture/read-capture.js';
import type { CaptureInterface } from '../../src/capture/types.js';
import { corpusPath, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';

// Tests on corpus packets are skipped where ../shared/corpus is absent: say so once.
if (!corpusPresent) corpusSkipReason();

export interface RealPacket {
  file: string;
  /** 1-based, as tshark numbers frames. */
  n: number;
  bytes: Uint8Array;
  linkType: number;
  fcsLength: number;
}

const cache = new Map<string, RealPacket[]>();

/** Every packet of a corpus capture (copied out of the reader's buffers). */
export async function corpusPackets(file: string): Promise<RealPacket[]> {
  const hit = cache.get(file);
  if (hit) return hit;
  const bytes = new Uint8Array(readFileSync(corpusPath(file)));
  const out: RealPacket[] = [];
  const ifaces: CaptureInterface[] = [];
  await readCapture(bytesSource(bytes, file), {
    onInterface(i) { ifaces[i.id] = i; },
    onRecord(rec, b, start) {
      out.push({ file, n: rec.index + 1, bytes: b.slice(start, start + rec.capturedLength), linkType: rec.linkType, fcsLength: ifaces[rec.interfaceId]?.fcsLength ?? 0 });
    },
    onIssue() {},
  });
  cache.set(file, out);
  return out;
}

export async function corpusPacket(file: string, n: number): Promise<RealPacket> {
  const all = await corpusPackets(file);
  const p = all[n - 1];
  if (!p) throw new Error(`${file} has no packet ${n} (it has ${all.length})`);
  return p;
}
