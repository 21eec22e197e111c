/** Format detection from the magic number, never from the file name. */
import { u32 } from './bytes.js';
import type { CaptureFormat } from './types.js';

export function sniffFormat(head: Uint8Array): CaptureFormat | null {
  if (head.length < 4) return null;
  const be = u32(head, 0, false);
  const le = u32(head, 0, true);
  if (be === 0x0a0d0d0a) return 'pcapng';
  for (const m of [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34]) {
    if (be === m || le === m) return 'pcap';
  }
  return null;
}

/** A readable name for an unrecognised magic number, for the error message. */
export function describeMagic(head: Uint8Array): string {
  if (head.length === 0) return 'the file is empty';
  if (head.length < 4) return `the file is only ${head.length} bytes long`;
  const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = head.subarray(0, 4).every((b) => b >= 0x20 && b < 0x7f);
  return `magic bytes ${hex}${text ? ` ("${String.fromCharCode(...head.subarray(0, 4))}")` : ''} are neither pcap nor pcapng`;
}
