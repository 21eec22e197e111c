/** A read record as comparable numbers, for tests that check two readers (or two encodings of one file) give the same records. */
import type { PacketRecord } from '../../src/capture/types.js';

/** [index, offset, caplen, len, iface, sec, nsec, FNV-1a of its bytes `b[s .. s + caplen)`]. */
export function recordRow(r: PacketRecord, b: Uint8Array, s: number): number[] {
  let h = 0x811c9dc5;
  for (let k = s; k < s + r.capturedLength; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  return [r.index, r.offset, r.capturedLength, r.originalLength, r.interfaceId, r.tsSec, r.tsNsec, h >>> 0];
}
