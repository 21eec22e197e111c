/**
 * A pod's address from its own capture: every packet on a pod's interface is
 * from or to the pod, so its address is in (nearly) all of them. When two
 * addresses are (the pod talks only to one other captured pod), the one that
 * is another capture's only candidate is that pod's. Used for capture tools
 * whose metadata names the pod but not its address (Inspektor Gadget's
 * interface descriptions, Calico's workload endpoint file names).
 */
import { readCapture } from '../../capture/read-capture.js';
import type { ByteSource } from '../../capture/types.js';

export interface AddressCounts {
  /** IPv4 address (as a number) -> packets it is the source or destination of. */
  counts: Map<number, number>;
  ipPackets: number;
  packets: number;
  linkType: number;
  description: string | null;
}

export interface AddressScan {
  /** Per interface id. */
  interfaces: Map<number, AddressCounts>;
  packets: number;
  /** Packets whose timestamp is 0. */
  zeroTimes: number;
}

/** One pass over a capture: per interface, the IPv4 addresses of its Ethernet frames. */
export async function scanAddresses(src: ByteSource): Promise<AddressScan> {
  const interfaces = new Map<number, AddressCounts>();
  let packets = 0;
  let zeroTimes = 0;
  await readCapture(src, {
    onInterface(i) {
      if (!interfaces.has(i.id)) interfaces.set(i.id, { counts: new Map(), ipPackets: 0, packets: 0, linkType: i.linkType, description: i.description });
    },
    onRecord(rec, bytes, start) {
      packets++;
      if (rec.tsSec === 0 && rec.tsNsec === 0) zeroTimes++;
      const g = interfaces.get(rec.interfaceId);
      if (!g) return;
      g.packets++;
      // Ethernet (LINKTYPE 1), one optional 802.1Q tag, IPv4.
      if (g.linkType !== 1) return;
      let p = start + 12;
      const end = start + rec.capturedLength;
      if (p + 2 > end) return;
      let type = (bytes[p]! << 8) | bytes[p + 1]!;
      if (type === 0x8100 && p + 6 <= end) { p += 4; type = (bytes[p]! << 8) | bytes[p + 1]!; }
      p += 2;
      if (type !== 0x0800 || p + 20 > end) return;
      g.ipPackets++;
      for (const at of [p + 12, p + 16]) {
        const ip = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
        if (g.counts.size < 65536 || g.counts.has(ip)) g.counts.set(ip, (g.counts.get(ip) ?? 0) + 1);
      }
    },
    onIssue() { /* the analysis reports the file's issues */ },
  });
  return { interfaces, packets, zeroTimes };
}

/** Each pod capture's address (dotted), or null when none stands out. */
export function assignPodAddresses(list: readonly AddressCounts[]): Array<string | null> {
  // Candidates: the addresses in (nearly: 95 %) all of a capture's IPv4 packets; an address that is
  // another capture's only candidate is taken off the others' lists, until nothing changes.
  const cands = list.map((g) => new Set([...g.counts].filter(([, n]) => g.ipPackets > 0 && n >= 0.95 * g.ipPackets).map(([ip]) => ip)));
  for (let round = 0; round < cands.length; round++) {
    let changed = false;
    cands.forEach((c, i) => {
      if (c.size !== 1) return;
      const ip = [...c][0]!;
      cands.forEach((oc, k) => { if (k !== i && oc.size > 1 && oc.delete(ip)) changed = true; });
    });
    if (!changed) break;
  }
  return cands.map((c) => {
    if (c.size !== 1) return null;
    const ip = [...c][0]!;
    return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
  });
}
