/**
 * Inspektor Gadget `tcpdump` gadget pcapng (see src/capture/bundles/gadget-interface.ts
 * for the layout): each interface is one container of one pod on one node.
 * One pass over the file finds each interface's pod address (the IPv4
 * address in every packet a pod's interface carries; when two are, as when
 * the pod talks only to another captured pod, the one that is not the other
 * pod's) and whether its timestamps are all zero. The pods
 * become identities (no kubectl file needed); zero timestamps are flagged.
 */
import { gadgetContext, type GadgetContext } from '../../capture/bundles/gadget-interface.js';
import { readCapture } from '../../capture/read-capture.js';
import type { ByteSource, CaptureInterface } from '../../capture/types.js';
import type { PodInfo } from '../cluster-metadata.js';

export interface GadgetInterface {
  id: number;
  context: GadgetContext;
  /** The pod's IPv4 address, from its packets; null when none stands out. */
  podIp: string | null;
  packets: number;
}

export interface GadgetScan {
  interfaces: GadgetInterface[];
  packets: number;
  /** Packets whose timestamp is 0 (the gadget's: no capture time). */
  zeroTimes: number;
}

/** Bound on one scanned file (it is read once more by the analysis). */
export const MAX_GADGET_SCAN_BYTES = 1024 * 1024 * 1024;

/** True when a pcapng's first bytes hold an Inspektor Gadget interface description. */
export function looksLikeGadget(head: Uint8Array): boolean {
  if (head.length < 4 || head[0] !== 0x0a || head[1] !== 0x0d || head[2] !== 0x0d || head[3] !== 0x0a) return false;
  const text = new TextDecoder('latin1').decode(head);
  return /k8s\.(node|namespace|podName|containerName)=/.test(text);
}

/** One pass: each gadget interface's pod address and the zero timestamps. */
export async function scanGadgetCapture(src: ByteSource): Promise<GadgetScan> {
  const ifaces = new Map<number, { context: GadgetContext; linkType: number; counts: Map<number, number>; packets: number; ipPackets: number }>();
  let packets = 0;
  let zeroTimes = 0;
  await readCapture(src, {
    onInterface(i: CaptureInterface) {
      const c = gadgetContext(i.description);
      if (c && !ifaces.has(i.id)) ifaces.set(i.id, { context: c, linkType: i.linkType, counts: new Map(), packets: 0, ipPackets: 0 });
    },
    onRecord(rec, bytes, start) {
      packets++;
      if (rec.tsSec === 0 && rec.tsNsec === 0) zeroTimes++;
      const g = ifaces.get(rec.interfaceId);
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
  // Candidates: the addresses in (nearly: 95 %) all of an interface's IPv4 packets. A pod talking only to
  // another captured pod has two (both in every packet): an address that is another interface's only
  // candidate is that pod's, so it is taken off the others' lists, until nothing changes.
  const cands = new Map<number, Set<number>>();
  for (const [id, g] of ifaces) cands.set(id, new Set([...g.counts].filter(([, n]) => n >= 0.95 * g.ipPackets).map(([ip]) => ip)));
  for (let round = 0; round < ifaces.size; round++) {
    let changed = false;
    for (const [id, c] of cands) {
      if (c.size !== 1) continue;
      const ip = [...c][0]!;
      for (const [other, oc] of cands) if (other !== id && oc.size > 1 && oc.delete(ip)) changed = true;
    }
    if (!changed) break;
  }
  const interfaces: GadgetInterface[] = [];
  for (const [id, g] of ifaces) {
    const c = cands.get(id)!;
    const ip = c.size === 1 ? [...c][0]! : null;
    const podIp = ip !== null ? `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}` : null;
    interfaces.push({ id, context: g.context, podIp, packets: g.packets });
  }
  return { interfaces, packets, zeroTimes };
}

/** The pods a scan names (one per pod: its containers share the address). */
export function gadgetPods(scan: GadgetScan): PodInfo[] {
  const pods = new Map<string, PodInfo>();
  for (const i of scan.interfaces) {
    const c = i.context;
    if (!c.pod || !i.podIp) continue;
    const k = `${c.namespace ?? 'default'}/${c.pod}`;
    const have = pods.get(k);
    if (have) { if (!have.ips.includes(i.podIp)) have.ips.push(i.podIp); continue; }
    pods.set(k, { namespace: c.namespace ?? 'default', name: c.pod, node: c.node, ips: [i.podIp], labels: {}, owner: null, hostNetwork: false, startMs: null, endMs: null });
  }
  return [...pods.values()];
}
