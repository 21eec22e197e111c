/**
 * A classic pcap whose records are not in time order, presented in time
 * order. Kubeshark's `pcapdump` copies a node's per-stream pcap files and
 * appends them one after another into one file (cmd/pcapDumpRunner.go,
 * mergePCAPs: one pcapgo writer, every record of file 1, then of file 2...):
 * each stream is in order, the file is not. Flows, TCP analysis and journeys
 * assume a capture point's packets arrive in time order, so such a file is
 * read through a copy sorted by timestamp (stable: records with equal
 * timestamps keep their file order). The capture file itself is never
 * changed; the copy lives in memory (bounded by `maxBytes`).
 */
import { bytesSource } from '../bytes-source.js';
import type { ByteSource } from '../types.js';

export interface TimeOrderResult {
  /** The source to read: the original when already in order (or not a classic pcap), else the sorted copy. */
  source: ByteSource;
  records: number;
  /** Records earlier than one before them in the file. */
  outOfOrder: number;
  /** Why the file was not ordered although it needed it (too big), or null. */
  refused: string | null;
}

/** Default bound on the in-memory sorted copy. */
export const MAX_ORDERED_BYTES = 512 * 1024 * 1024;

/** Reads a classic pcap's record headers; sorts it when some record goes back in time. */
export async function timeOrderedPcap(src: ByteSource, maxBytes = MAX_ORDERED_BYTES): Promise<TimeOrderResult> {
  const same = (records: number, outOfOrder: number, refused: string | null = null): TimeOrderResult => ({ source: src, records, outOfOrder, refused });
  if (src.size < 24) return same(0, 0);
  const head = await src.read(0, 24);
  const magicLe = new DataView(head.buffer, head.byteOffset, 24).getUint32(0, true);
  let le: boolean;
  let nano: boolean;
  switch (magicLe) {
    case 0xa1b2c3d4: le = true; nano = false; break;
    case 0xa1b23c4d: le = true; nano = true; break;
    case 0xd4c3b2a1: le = false; nano = false; break;
    case 0x4d3cb2a1: le = false; nano = true; break;
    default: return same(0, 0);
  }
  if (src.size > maxBytes) {
    return same(0, 0, `${src.size} bytes is over the ${maxBytes}-byte bound for ordering in memory: read in file order`);
  }
  const bytes = new Uint8Array(src.size);
  let filled = 0;
  for await (const c of src.chunks(1024 * 1024)) {
    bytes.set(c.subarray(0, Math.min(c.length, bytes.length - filled)), filled);
    filled += c.length;
    if (filled >= bytes.length) break;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, filled);
  const offsets: number[] = [];
  const sec: number[] = [];
  const frac: number[] = [];
  let pos = 24;
  let outOfOrder = 0;
  let lastSec = -1;
  let lastFrac = -1;
  // Whole records only; a cut record at the end stays at the end (the reader reports it).
  while (pos + 16 <= filled) {
    const caplen = view.getUint32(pos + 8, le);
    if (pos + 16 + caplen > filled) break;
    const s = view.getUint32(pos, le);
    const f = view.getUint32(pos + 4, le) * (nano ? 1 : 1000);
    if (s < lastSec || (s === lastSec && f < lastFrac)) outOfOrder++;
    else { lastSec = s; lastFrac = f; }
    offsets.push(pos);
    sec.push(s);
    frac.push(f);
    pos += 16 + caplen;
  }
  if (!outOfOrder) return same(offsets.length, 0);
  const order = offsets.map((_o, i) => i);
  order.sort((a, b) => sec[a]! - sec[b]! || frac[a]! - frac[b]! || a - b);
  const out = new Uint8Array(filled);
  out.set(bytes.subarray(0, 24), 0);
  let w = 24;
  for (const i of order) {
    const o = offsets[i]!;
    const len = 16 + view.getUint32(o + 8, le);
    out.set(bytes.subarray(o, o + len), w);
    w += len;
  }
  out.set(bytes.subarray(pos, filled), w);
  return { source: bytesSource(out, src.name), records: offsets.length, outOfOrder, refused: null };
}
