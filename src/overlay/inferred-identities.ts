/**
 * What an address is when there is no cluster metadata, from what the
 * captures themselves show (every identity here says `inferred: true`):
 *
 * - a node: a tunnel endpoint (VTEP) address. Its name is the host of the
 *   capture points that see it in every tunnel packet they see (`node1` for
 *   `node1-eth0`, `node1-flannel.1`: the address common to all the tunnels a
 *   node's NIC carries is the node's own), else `node <address>`;
 * - a node's overlay addresses: in the pod subnet a VTEP sends from (overlay
 *   nodes(): /24s inferred from the inner sources), the network address is
 *   the node's tunnel device (Flannel gives flannel.1 the subnet's .0) and the
 *   first host address its bridge (cni0 gets .1 from the bridge CNI);
 * - "pod on node2": any other address in a node's pod subnet;
 * - a NodePort: a node address and port whose connections were seen DNATed;
 * - a Service: any other destination seen DNATed (a ClusterIP).
 *
 * Anything else (the client, the Internet) stays unknown (null).
 */
import type { Identity, OverlayNode, TranslationRow, TunnelEdge } from '../api.js';
import { parseIpv4 } from '../dissect/addr.js';
import { cidrContains, parseCidr4 } from './cluster-metadata.js';
import { splitPointName } from './hosts.js';
import type { OverlayAnalysis } from './overlay.js';

export interface InferredNode {
  /** Underlay (tunnel endpoint) address. */
  ip: string;
  name: string;
  /** Where the name came from: the host of its capture points, or its address. */
  namedBy: 'capture-points' | 'address';
  /** Pod subnets it sends from (inferred from the tunnels, or the metadata's when it has them). */
  podCidrs: string[];
}

export interface InferenceInputs {
  nodes: readonly OverlayNode[];
  tunnels: ReadonlyArray<Pick<TunnelEdge, 'a' | 'b'> & { seenAt: Record<string, number> }>;
  /** Hosts (capture points sharing one clock): name and points. */
  hosts: ReadonlyArray<{ host: string; capturePoints: readonly string[] }>;
  translations: readonly TranslationRow[];
}

interface Subnet { net: number; bits: number; cidr: string; node: InferredNode }

const key = (ip: string, port: number | null) => `${ip}|${port ?? ''}`;

export class InferredIdentities {
  readonly nodes: InferredNode[];
  private readonly byIp = new Map<string, InferredNode>();
  private readonly byName = new Map<string, InferredNode>();
  private readonly subnets: Subnet[] = [];
  /** node address|port -> the pod endpoints it was DNATed to. */
  private readonly nodePorts = new Map<string, Set<string>>();
  /** other DNATed destination address|port -> endpoints. */
  private readonly services = new Map<string, Set<string>>();

  constructor(input: InferenceInputs) {
    const names = nodeNames(input);
    this.nodes = input.nodes.map((n) => {
      const name = names.get(n.ip);
      return { ip: n.ip, name: name ?? `node ${n.ip}`, namedBy: name ? 'capture-points' as const : 'address' as const, podCidrs: n.podCidrs.map((c) => c.cidr) };
    });
    for (const n of this.nodes) {
      this.byIp.set(n.ip, n);
      this.byName.set(n.name, n);
      for (const c of n.podCidrs) {
        const p = parseCidr4(c);
        if (p) this.subnets.push({ ...p, cidr: c, node: n });
      }
    }
    for (const t of input.translations) {
      if (t.kind === 'snat') continue;
      const to = `${t.translated.dst.ip}:${t.translated.dst.port}`;
      const k = key(t.original.dst.ip, t.original.dst.port);
      const m = this.byIp.has(t.original.dst.ip) ? this.nodePorts : this.services;
      const s = m.get(k) ?? new Set<string>();
      s.add(to);
      m.set(k, s);
    }
  }

  /** The node an inferred name or address stands for. */
  node(nameOrIp: string): InferredNode | null {
    return this.byName.get(nameOrIp) ?? this.byIp.get(nameOrIp) ?? null;
  }

  /** The node whose pod subnet holds `ip`, with the subnet. */
  subnetOf(ip: string): Subnet | null {
    const a = parseIpv4(ip);
    if (a === null) return null;
    return this.subnets.find((s) => cidrContains(s, a)) ?? null;
  }

  /** What `ip` (and `port`) is, as inferred from the captures; null when nothing says. */
  resolve(ip: string, port: number | null): Identity | null {
    const np = port !== null ? this.nodePorts.get(key(ip, port)) : undefined;
    const node = this.byIp.get(ip);
    if (np && node) {
      return { kind: 'service', name: `NodePort ${port} on ${node.name}`, node: node.name, inferred: true,
        detail: `inferred: connections to ${ip}:${port} were DNATed to ${[...np].sort().join(', ')}` };
    }
    const svc = this.services.get(key(ip, port));
    if (svc) {
      return { kind: 'service', name: `Service ${ip}:${port}`, inferred: true,
        detail: `inferred: a ClusterIP (connections to it were DNATed to ${[...svc].sort().join(', ')})` };
    }
    if (node) return { kind: 'node', name: node.name, node: node.name, inferred: true, detail: 'inferred: a tunnel endpoint (VTEP) address' };
    const s = this.subnetOf(ip);
    if (!s) return null;
    const a = parseIpv4(ip)!;
    const n = s.node.name;
    if (s.bits < 31 && a === s.net) return { kind: 'node', name: n, node: n, inferred: true, detail: `inferred: the network address of ${n}'s pod subnet ${s.cidr} (Flannel's tunnel device flannel.1)` };
    if (s.bits < 31 && a === s.net + 1) return { kind: 'node', name: n, node: n, inferred: true, detail: `inferred: the first address of ${n}'s pod subnet ${s.cidr} (the bridge cni0, the pods' gateway)` };
    return { kind: 'pod', name: `pod on ${n}`, node: n, inferred: true, detail: `inferred: in ${n}'s pod subnet ${s.cidr}, seen in its tunnel traffic` };
  }
}

/**
 * Node address -> the name of the host whose capture points see it in every
 * tunnel packet they see (the one address all of a node NIC's tunnels share).
 * A host that sees one pair of nodes only (node1 talking to node2 alone)
 * has two candidates: the one another host already holds is not its own,
 * and a NodePort it was seen to DNAT (before and after at its points) is.
 */
function nodeNames(input: InferenceInputs): Map<string, string> {
  const cands = new Map<string, Set<string>>();
  for (const h of input.hosts) {
    const pts = new Set(h.capturePoints);
    const name = hostLabel(h);
    if (!name || cands.has(name)) continue;
    const edges = input.tunnels.filter((t) => Object.keys(t.seenAt).some((p) => pts.has(p)));
    if (!edges.length) continue;
    let common = input.nodes.map((n) => n.ip).filter((ip) => edges.every((t) => t.a === ip || t.b === ip));
    // Two candidates (one node pair): a NodePort DNAT seen here on both sides was done by this node, to its own address.
    if (common.length > 1) {
      const natHere = new Set(input.translations.filter((t) => t.kind !== 'snat' && t.originalSeenAt.some((p) => pts.has(p)) && t.translatedSeenAt.some((p) => pts.has(p))).map((t) => t.original.dst.ip));
      const mine = common.filter((ip) => natHere.has(ip));
      if (mine.length === 1) common = mine;
    }
    if (common.length) cands.set(name, new Set(common));
  }
  const out = new Map<string, string>();
  // Each round settles the hosts left with one candidate; bounded by the number of hosts.
  for (let round = 0; round <= cands.size; round++) {
    const settled = new Map<string, string[]>();
    for (const [name, c] of cands) if (c.size === 1) { const ip = [...c][0]!; settled.set(ip, [...(settled.get(ip) ?? []), name]); }
    if (!settled.size) break;
    for (const [ip, names] of settled) {
      for (const n of names) cands.delete(n);
      // Two hosts claiming one address: neither is trusted.
      if (names.length === 1 && ![...out.keys()].includes(ip)) out.set(ip, names[0]!);
      for (const c of cands.values()) c.delete(ip);
    }
  }
  return out;
}

/**
 * A host's name as people would say it: `node1` for the points `node1-eth0`,
 * ..., for a point alone named `node2-eth0`, and for an any-interface file
 * `node1-any` (host `file:3`); a stated host name as stated.
 */
function hostLabel(h: { host: string; capturePoints: readonly string[] }): string | null {
  const file = h.host.startsWith('file:');
  const base = file ? (h.capturePoints[0] ?? '').replace(/[:/].*$/, '') : h.host;
  return splitPointName(base)?.host ?? (file ? null : base);
}

/**
 * The resolver's answer for an address in a node's pod CIDR that names no
 * pod (metadata without that pod: a pod started later, or metadata from
 * node and iptables dumps alone) as what it surely is: a pod on that node,
 * inferred. Every other identity is returned as it is.
 */
export function podOnNode(id: Identity | null): Identity | null {
  if (!id || id.kind !== 'unknown' || !id.node) return id;
  return { kind: 'pod', name: `pod on ${id.node}`, node: id.node, inferred: true, detail: `inferred: ${id.detail ?? `in the pod CIDR of ${id.node}`}` };
}

const cache = new WeakMap<OverlayAnalysis, InferredIdentities>();

/** The inference for an overlay analysis (made once). */
export function inferredIdentities(o: OverlayAnalysis): InferredIdentities {
  let x = cache.get(o);
  if (!x) {
    x = new InferredIdentities({ nodes: o.nodes(), tunnels: o.tunnels(), hosts: o.clocks(), translations: o.translations() });
    cache.set(o, x);
  }
  return x;
}
