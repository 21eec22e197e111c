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
import type { ByteSource } from '../../capture/types.js';
import { assignPodAddresses, scanAddresses, type AddressCounts } from './pod-addresses.js';
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
  const scan = await scanAddresses(src);
  const list: Array<{ id: number; context: GadgetContext; counts: AddressCounts }> = [];
  for (const [id, g] of scan.interfaces) {
    const context = gadgetContext(g.description);
    if (context) list.push({ id, context, counts: g });
  }
  const ips = assignPodAddresses(list.map((x) => x.counts));
  return { interfaces: list.map((x, i) => ({ id: x.id, context: x.context, podIp: ips[i]!, packets: x.counts.packets })), packets: scan.packets, zeroTimes: scan.zeroTimes };
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
