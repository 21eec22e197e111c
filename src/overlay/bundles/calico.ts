/**
 * Calico PacketCapture files (Calico Enterprise/Cloud, visibility/packetcapture.md,
 * "Access packet capture files"): stored per capture as
 * `<namespace>/<packet capture name>/` under the node's capture directory,
 * one file per selected workload endpoint, `<workload endpoint name>_<host
 * interface>.pcap` (rotated files carry an index before `.pcap`). The
 * workload endpoint name is `<node>-<orchestrator>-<workload>-<endpoint>`,
 * each part's dashes doubled (`node1-k8s-web--6b9c8d7f5--4xk2p-eth0`); the
 * host interface is the pod's `cali…` veth. So each file names its node,
 * pod and interface; the namespace is its folder's parent.
 */

export interface CalicoFile {
  namespace: string | null;
  capture: string | null;
  endpoint: string;
  node: string;
  pod: string;
  /** The pod's interface (`eth0`) and the host's (`cali…`). */
  podInterface: string;
  hostInterface: string;
}

/** A workload endpoint name's parts: `<node>-k8s-<pod>-<iface>`, dashes doubled inside each. */
export function parseWorkloadEndpoint(wep: string): { node: string; orchestrator: string; pod: string; endpoint: string } | null {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < wep.length; i++) {
    if (wep[i] === '-') {
      if (wep[i + 1] === '-') { cur += '-'; i++; continue; }
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += wep[i];
  }
  parts.push(cur);
  if (parts.length !== 4 || parts.some((p) => !p)) return null;
  return { node: parts[0]!, orchestrator: parts[1]!, pod: parts[2]!, endpoint: parts[3]! };
}

/** The Calico layout a capture's path says, or null. */
export function calicoFile(path: string): CalicoFile | null {
  const segs = path.split(/[\\/]/);
  const base = segs[segs.length - 1] ?? '';
  const m = /^(.+)_(cali[0-9a-f]{11})(?:\.\d+)?\.pcap$/.exec(base);
  if (!m) return null;
  const w = parseWorkloadEndpoint(m[1]!);
  if (!w || w.orchestrator !== 'k8s') return null;
  return {
    namespace: segs.length >= 3 ? segs[segs.length - 3]! : null,
    capture: segs.length >= 2 ? segs[segs.length - 2]! : null,
    endpoint: m[1]!, node: w.node, pod: w.pod, podInterface: w.endpoint, hostInterface: m[2]!,
  };
}
