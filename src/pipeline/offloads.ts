/**
 * Offloaded frames: captured with segmentation/receive offloads on (the Linux
 * default), a capture holds GSO/TSO/GRO super-packets up to 64 KB (BIG TCP:
 * larger, IPv4 total length 0) where the wire carried MTU-sized segments, and
 * transmit checksums not filled in yet. Neither is corruption: the decoder
 * takes a total length of 0 as "the frame is the packet" and checks no
 * checksum, so nothing is flagged; this says how many frames were larger than
 * a 1500-byte MTU allows, so packet counts are read as captured, not as sent
 * (src/compare gives wire segments too).
 *
 * Computed after reading from the packet index (original length, interface,
 * layers): nothing is added to the per-packet path.
 */
import { L_VLAN } from '../dissect/layers.js';
import type { CaptureResult } from './analyze.js';

/** Link-layer header bytes in front of the IP packet, by pcap link type; others are not judged. */
const LINK_HEADER: Record<number, number> = {
  1: 14, // Ethernet
  113: 16, // Linux cooked (SLL)
  276: 20, // Linux cooked v2 (SLL2)
  101: 0, 12: 0, 14: 0, 228: 0, 229: 0, // raw IP
};

/** The largest IP packet a standard Ethernet MTU allows. */
export const STANDARD_MTU = 1500;

export interface OffloadSummary {
  /** Frames longer than `limit`. */
  frames: number;
  /** The longest of them (original length). */
  largest: number;
  /** Longest frame a 1500-byte MTU allows on this capture's link type (Ethernet 1514, 1518 with a VLAN tag). */
  limit: number;
}

/** Frames of capture `c` longer than its MTU allows, or null when there are none. */
export function offloadSummary(c: CaptureResult): OffloadSummary | null {
  const idx = c.index;
  const limits = c.interfaces.map((i) => {
    const h = LINK_HEADER[i.linkType];
    return h === undefined ? Infinity : h + STANDARD_MTU;
  });
  if (!limits.some(Number.isFinite)) return null;
  let frames = 0;
  let largest = 0;
  let limit = 0;
  const vlanBit = 1 << L_VLAN;
  for (let n = 0; n < idx.count; n++) {
    const len = idx.origLen(n);
    const base = limits[idx.iface(n)] ?? Infinity;
    if (len <= base) continue;
    // One 802.1Q tag adds 4 bytes to a full-sized frame.
    const lim = (idx.layerMask(n) & vlanBit) !== 0 ? base + 4 : base;
    if (len <= lim) continue;
    frames++;
    if (len > largest) largest = len;
    if (limit === 0 || lim < limit) limit = lim;
  }
  return frames ? { frames, largest, limit } : null;
}

/** The plain-words note, e.g. "node1-eth0.pcap: offloads were on: 10 of 110 frames exceed 1514 bytes, up to 4452 ...". */
export function offloadNote(file: string, packets: number, o: OffloadSummary): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return `${name}: offloads were on: ${o.frames} of ${packets} frames exceed ${o.limit} bytes, up to ${o.largest}`
    + ' (GSO/TSO/GRO super-packets, or a larger MTU): packets are counted as captured, not as the segments on the wire'
    + ' (compare gives both); checksums left to the NIC are not checked';
}
