/**
 * Inspektor Gadget `tcpdump` gadget pcapng (see src/capture/bundles/gadget-interface.ts
 * for the layout): each interface is one container of one pod on one node.
 * One pass over the file finds each interface's pod address (the IPv4
 * address in most of its packets: every packet a pod's interface carries is
 * from or to the pod) and whether its timestamps are all zero. The pods
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
  const interfaces: GadgetInterface[] = [];
  for (const [id, g] of ifaces) {
    let best: [number, number] | null = null;
    for (const e of g.counts) if (!best || e[1] > best[1]) best = e;
    const podIp = best && best[1] * 2 > g.ipPackets ? `${best[0] >>> 24}.${(best[0] >>> 16) & 255}.${(best[0] >>> 8) & 255}.${best[0] & 255}` : null;
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
