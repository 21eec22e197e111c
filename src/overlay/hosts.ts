/**
 * Hosts: the capture points that share one kernel clock. A node's NIC, its
 * bridge, its tunnel device and the pods running on it are one host; so is
 * every interface of one any-interface (`tcpdump -i any`) file. Clock offsets
 * are estimated and corrected per host (clocks.ts).
 *
 * In order, the first rule that decides wins:
 * 1. stated: `--host POINT=HOST` (or the app's setting);
 * 2. one file split into several points by its link layer (the interfaces of
 *    an SLL2 any-interface file) is one host, named after the file;
 * 3. names: points named `<host>-<interface>` (or `<host>:<interface>`,
 *    `<host>/<interface>`) where `<interface>` is a Linux interface name
 *    (eth0, ens5, cni0, flannel.1, vxlan.calico, tunl0, cilium_host, lxc…,
 *    veth…, any) and at least one other point has the same `<host>`;
 * 4. addresses: a point that is still alone whose own address (the one in
 *    most of its packets) is a node's address or lies in a node's pod CIDR
 *    (from cluster metadata, else inferred from the tunnels) joins that
 *    node's host, when a host already holds that node's NIC or is named
 *    after the node;
 * 5. otherwise the point is a host of its own.
 */
import { ipv4ToString, parseIpv4 } from '../dissect/addr.js';
import { cidrContains, parseCidr4, type IdentityResolver } from './cluster-metadata.js';
import type { OverlayObserver } from './overlay-observer.js';

export interface HostGroup {
  name: string;
  points: number[];
  /** Why these points were grouped (for notes): 'stated' | 'file' | 'names' | 'addresses' | 'alone'. */
  rule: 'stated' | 'file' | 'names' | 'addresses' | 'alone';
}

export interface HostGrouping {
  hosts: HostGroup[];
  /** Point id -> host index. */
  hostOf: Int32Array;
}

/** Linux interface names as capture tools write them after the host part. */
const IFACE = /^(eth\d+|en[ospx]\w*|wl\w+|bond\d+|cni\d+|docker\d+|br[-\w]*|flannel[.\w]*|vxlan[.\w]*|genev\w*|tunl\d+|ipip\w*|gre\w*|wg\d+|cilium\w*|lxc\w*|veth\w*|cali\w*|antrea\w*|weave\w*|kube-\w+|lo|any|nodelocaldns)$/;

/** `node1-eth0` -> { host: 'node1', iface: 'eth0' }; null when the name has no interface part. */
export function splitPointName(name: string): { host: string; iface: string } | null {
  for (let i = name.length - 1; i > 0; i--) {
    const ch = name[i];
    if (ch !== '-' && ch !== ':' && ch !== '/' && ch !== '_') continue;
    const iface = name.slice(i + 1);
    if (IFACE.test(iface)) return { host: name.slice(0, i), iface };
  }
  return null;
}

export interface HostInputs {
  /** Capture point names, by point id. */
  names: readonly string[];
  /** Point id -> its capture (file) id. */
  captureOf: readonly number[];
  /** Captures whose several points come from one link layer (an any-interface file). */
  anyInterfaceCaptures?: ReadonlySet<number>;
  /** Point name (or glob-free prefix) -> host, as stated by the user. */
  stated?: ReadonlyMap<string, string>;
  /** Nodes known from the tunnels: address and pod CIDRs (overlay nodes()). */
  nodes?: ReadonlyArray<{ ip: string; name: string | null; podCidrs: ReadonlyArray<{ cidr: string }> }>;
  resolver?: IdentityResolver | null;
}

export function groupHosts(o: OverlayObserver, input: HostInputs): HostGrouping {
  const n = input.names.length;
  const hostName: Array<string | null> = new Array(n).fill(null);
  const rule: Array<HostGroup['rule']> = new Array(n).fill('alone');
  // 1. Stated.
  for (let p = 0; p < n; p++) {
    const h = input.stated?.get(input.names[p]!);
    if (h) { hostName[p] = h; rule[p] = 'stated'; }
  }
  // 2. An any-interface file.
  for (let p = 0; p < n; p++) {
    if (hostName[p] !== null || !input.anyInterfaceCaptures?.has(input.captureOf[p]!)) continue;
    hostName[p] = `file:${input.captureOf[p]}`;
    rule[p] = 'file';
  }
  // 3. Names.
  const byPrefix = new Map<string, number[]>();
  for (let p = 0; p < n; p++) {
    if (hostName[p] !== null) continue;
    const s = splitPointName(input.names[p]!);
    if (!s) continue;
    const l = byPrefix.get(s.host) ?? [];
    l.push(p);
    byPrefix.set(s.host, l);
  }
  for (const [prefix, l] of byPrefix) {
    if (l.length < 2) continue;
    for (const p of l) { hostName[p] = prefix; rule[p] = 'names'; }
  }
  // 4. Addresses, for points still alone.
  const alone: number[] = [];
  for (let p = 0; p < n; p++) if (hostName[p] === null) alone.push(p);
  if (alone.length && (input.nodes?.length || input.resolver)) {
    const own = ownAddresses(o, n);
    // Node address -> the host holding it: a grouped point whose own address is the node's or in its pod CIDR, or a host named after it.
    const nodeHost = new Map<string, string>();
    const nodeList = (input.nodes ?? []).map((x) => ({
      ip: x.ip,
      name: x.name ?? input.resolver?.nodeNameOf(x.ip) ?? null,
      cidrs: x.podCidrs.map((c) => parseCidr4(c.cidr)).filter((c): c is NonNullable<typeof c> => c !== null),
    }));
    // Votes: a grouped point whose own address is the node's counts 2, one inside its pod CIDR 1
    // (a tunnel device also sees the remote pods it talks to: the node's own points outvote it).
    for (const node of nodeList) {
      const ip = parseIpv4(node.ip) ?? -2;
      const votes = new Map<string, number>();
      for (let p = 0; p < n; p++) {
        const h = hostName[p];
        if (h === null) continue;
        if (node.name !== null && h === node.name) votes.set(h, (votes.get(h) ?? 0) + 100);
        const a = own[p]!;
        if (a < 0) continue;
        if (a === ip) votes.set(h, (votes.get(h) ?? 0) + 2);
        else if (node.cidrs.some((c) => cidrContains(c, a))) votes.set(h, (votes.get(h) ?? 0) + 1);
      }
      const ranked = [...votes].sort((x, y) => y[1] - x[1]);
      if (ranked.length && (ranked.length === 1 || ranked[0]![1] > ranked[1]![1])) nodeHost.set(node.ip, ranked[0]![0]);
    }
    for (const p of alone) {
      const a = own[p]!;
      if (a < 0) continue;
      let host: string | undefined;
      // With metadata: the pod's node by name.
      const id = input.resolver?.resolve(ipv4ToString(a), null, null);
      if (id && id.kind === 'pod' && id.node) {
        const node = nodeList.find((x) => x.name === id.node);
        host = node ? nodeHost.get(node.ip) : undefined;
        host ??= [...new Set(hostName.filter((h): h is string => h !== null))].find((h) => h === id.node);
      }
      if (!host) {
        for (const node of nodeList) {
          if ((parseIpv4(node.ip) ?? -2) === a || node.cidrs.some((c) => cidrContains(c, a))) { host = nodeHost.get(node.ip); if (host) break; }
        }
      }
      if (host) { hostName[p] = host; rule[p] = 'addresses'; }
    }
  }
  // 5. Alone.
  for (let p = 0; p < n; p++) if (hostName[p] === null) { hostName[p] = input.names[p]!; rule[p] = 'alone'; }

  const hosts: HostGroup[] = [];
  const index = new Map<string, number>();
  const hostOf = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    const key = hostName[p]!;
    let h = index.get(key);
    if (h === undefined) {
      h = hosts.length;
      index.set(key, h);
      let name = key;
      if (rule[p] === 'file') name = fileHostName(input.names[p]!);
      hosts.push({ name, points: [], rule: rule[p]! });
    }
    hosts[h]!.points.push(p);
    hostOf[p] = h;
  }
  // Two hosts with one display name (two any files of one stem): keep them apart.
  const seen = new Map<string, number>();
  for (const h of hosts) {
    const k = seen.get(h.name) ?? 0;
    seen.set(h.name, k + 1);
    if (k > 0) h.name = `${h.name} (${k + 1})`;
  }
  return { hosts, hostOf };
}

/** The host part of an any-interface file's point name (`node1-any/eth0` -> `node1`), else the name. */
function fileHostName(point: string): string {
  const cut = point.search(/[/:#]/);
  const stem = cut > 0 ? point.slice(0, cut) : point;
  return stem.replace(/[-_.]?(any|all)$/i, '') || stem;
}

/**
 * Each point's own IPv4 address: the one that is an endpoint of most of its
 * rows (outer addresses for tunnelled rows), when it is in at least 60 % of
 * them and clearly more than any other; between two as frequent, the one
 * that sent packets with the higher TTL (its own, not yet routed); -1
 * otherwise.
 */
function ownAddresses(o: OverlayObserver, points: number): Float64Array {
  const rowsOfTuple = new Float64Array(o.tupleCount);
  for (let r = 0; r < o.count; r++) rowsOfTuple[o.tuple[r]!]++;
  const tally: Array<Map<number, number>> = Array.from({ length: points }, () => new Map());
  // Per point and address: the highest TTL of packets it sent (depth 0): a host's own packets are not yet routed.
  const ttlOf: Array<Map<number, number>> = Array.from({ length: points }, () => new Map());
  const total = new Float64Array(points);
  for (let t = 0; t < o.tupleCount; t++) {
    const k = rowsOfTuple[t]!;
    if (k === 0) continue;
    const p = o.tPoint[t]!;
    if (p >= points) continue;
    total[p] += k;
    const m = tally[p]!;
    let a: number, b: number;
    if (o.tDepth[t]! > 0) { a = o.tOuterSrc[t]!; b = o.tOuterDst[t]!; } else if (o.tVer[t] === 4) { a = o.tSrc[t * 4]!; b = o.tDst[t * 4]!; } else continue;
    m.set(a, (m.get(a) ?? 0) + k);
    if (b !== a) m.set(b, (m.get(b) ?? 0) + k);
    if (o.tDepth[t] === 0) {
      const tm = ttlOf[p]!;
      if ((tm.get(a) ?? -1) < o.tTtl[t]!) tm.set(a, o.tTtl[t]!);
    }
  }
  const out = new Float64Array(points).fill(-1);
  for (let p = 0; p < points; p++) {
    let best = -1, bestN = 0, second = 0, secondA = -1;
    for (const [a, k] of tally[p]!) {
      if (k > bestN) { second = bestN; secondA = best; best = a; bestN = k; } else if (k > second) { second = k; secondA = a; }
    }
    if (best < 0 || bestN < 0.6 * total[p]!) continue;
    if (second < 0.9 * bestN) { out[p] = best; continue; }
    // One conversation has two addresses in every row: the point's own is the one whose packets
    // arrive unrouted (higher TTL); with equal TTLs (one bridge) neither can be told.
    const tb = ttlOf[p]!.get(best) ?? -1, ts = ttlOf[p]!.get(secondA) ?? -1;
    if (tb !== ts) out[p] = tb > ts ? best : secondA;
  }
  return out;
}
