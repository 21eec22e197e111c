/**
 * Cluster metadata import: what `kubectl get nodes,pods,services,endpoints,
 * endpointslices,ingresses -A -o json` (or `-o yaml`) prints, a v1 List, or
 * single objects, or several YAML documents; several files merge. Unknown
 * kinds are ignored. A malformed file or item is an error naming the file
 * and the item.
 *
 * `IdentityResolver` turns an address (and port, and packet time) into an
 * identity: node (InternalIP, and the flannel VTEP / cni0 addresses of its
 * pod CIDR), pod (namespace/name, node, labels, owner), Service (ClusterIP,
 * NodePort on any node IP, port name), or external. Pod IPs are resolved by
 * time: a reused IP names the pod that held it when the packet was sent.
 */
import { parseAllDocuments } from 'yaml';
import type { Identity } from '../api.js';
import { ipv6ToString, parseIpv4, parseIpv6 } from '../dissect/addr.js';

export interface MetadataFile {
  /** Shown in errors. */
  name: string;
  text: string;
}

export class ClusterMetadataError extends Error {
  constructor(readonly file: string, readonly item: string | null, readonly reason: string) {
    super(`${file}${item ? `: ${item}` : ''}: ${reason}`);
    this.name = 'ClusterMetadataError';
  }
}

export interface NodeInfo {
  /** Where it came from when not kubectl (a capture tool's file or layout): shown with the name (Identity.from). */
  from?: string;
  name: string;
  internalIps: string[];
  podCidrs: string[];
  vtepMac: string | null;
  vni: number | null;
  labels: Record<string, string>;
}

export interface PodInfo {
  /** Where it came from when not kubectl (a capture tool's file or layout): shown with the name (Identity.from). */
  from?: string;
  namespace: string;
  name: string;
  node: string | null;
  ips: string[];
  labels: Record<string, string>;
  /** "Kind/name" of the controller owner. */
  owner: string | null;
  hostNetwork: boolean;
  /** ms since the epoch; null when unknown (treated as always). */
  startMs: number | null;
  endMs: number | null;
}

export interface ServicePortInfo {
  name: string | null;
  port: number;
  nodePort: number | null;
  targetPort: string | number | null;
  protocol: string;
}

export interface ServiceInfo {
  /** Where it came from when not kubectl (a capture tool's file or layout): shown with the name (Identity.from). */
  from?: string;
  namespace: string;
  name: string;
  type: string;
  clusterIps: string[];
  ports: ServicePortInfo[];
}

export interface EndpointInfo {
  /** namespace/name of the Service. */
  service: string;
  ip: string;
  port: number | null;
  portName: string | null;
}

export interface IngressRule {
  namespace: string;
  name: string;
  host: string | null;
  path: string | null;
  /** Exact, Prefix or ImplementationSpecific (matched as Prefix); null when absent. */
  pathType: string | null;
  service: string | null;
  port: string | number | null;
}

export interface ClusterMetadata {
  files: string[];
  nodes: NodeInfo[];
  pods: PodInfo[];
  services: ServiceInfo[];
  endpoints: EndpointInfo[];
  ingresses: IngressRule[];
}

// The pipeline's AnalyzeOptions carry it (the pipeline below never imports the overlay).
declare module '../pipeline/analyze.js' {
  interface AnalyzeOptions {
    /** kubectl metadata naming nodes, pods and Services. */
    clusterMetadata?: ClusterMetadata | null;
  }
}

export function emptyMetadata(): ClusterMetadata {
  return { files: [], nodes: [], pods: [], services: [], endpoints: [], ingresses: [] };
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parses and merges several kubectl outputs. */
export function parseClusterMetadata(files: readonly MetadataFile[]): ClusterMetadata {
  const md = emptyMetadata();
  for (const f of files) addMetadataFile(md, f);
  // Endpoints and EndpointSlices both list the same addresses: keep one of each.
  const seen = new Set<string>();
  md.endpoints = md.endpoints.filter((e) => {
    const k = `${e.service}|${e.ip}|${e.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return md;
}

function documentsOf(f: MetadataFile): unknown[] {
  const t = f.text.replace(/^\uFEFF/, '');
  if (!t.trim()) throw new ClusterMetadataError(f.name, null, 'the file is empty');
  const first = t.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return [JSON.parse(t)];
    } catch (e) {
      throw new ClusterMetadataError(f.name, null, `not valid JSON: ${(e as Error).message}`);
    }
  }
  const docs = parseAllDocuments(t);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  list.forEach((d, i) => {
    if (d.errors.length) {
      const err = d.errors[0]!;
      throw new ClusterMetadataError(f.name, list.length > 1 ? `document ${i + 1}` : null, `not valid YAML or JSON: ${err.message.split('\n')[0]}`);
    }
    const v = d.toJS({ maxAliasCount: 100 });
    if (v !== null && v !== undefined) out.push(v);
  });
  return out;
}

export function addMetadataFile(md: ClusterMetadata, f: MetadataFile): void {
  const docs = documentsOf(f);
  md.files.push(f.name);
  docs.forEach((doc, di) => {
    const where = docs.length > 1 ? `document ${di + 1} ` : '';
    if (Array.isArray(doc)) {
      doc.forEach((item, i) => addItem(md, f.name, `${where}[${i}]`, item));
      return;
    }
    if (!isObj(doc)) throw new ClusterMetadataError(f.name, where.trim() || null, 'expected a Kubernetes object or a List');
    if (Array.isArray(doc['items']) && (typeof doc['kind'] !== 'string' || doc['kind'].endsWith('List'))) {
      (doc['items'] as unknown[]).forEach((item, i) => addItem(md, f.name, `${where}items[${i}]`, item));
      return;
    }
    if (doc['items'] !== undefined && !Array.isArray(doc['items']) && typeof doc['kind'] === 'string' && doc['kind'].endsWith('List')) {
      throw new ClusterMetadataError(f.name, where.trim() || null, `${doc['kind']}: items is not a list`);
    }
    addItem(md, f.name, where.trim() || 'the object', doc);
  });
}

function str(x: unknown): string | null {
  return typeof x === 'string' ? x : null;
}

function labelsOf(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(x)) for (const [k, v] of Object.entries(x)) if (typeof v === 'string') out[k] = v;
  return out;
}

function timeMs(x: unknown): number | null {
  if (typeof x !== 'string') return null;
  const t = Date.parse(x);
  return Number.isFinite(t) ? t : null;
}

/** The address, IPv6 in RFC 5952 text as packets print it (kubectl may say `fd00:10:244:0::5`); a named error when it is none. */
function checkIp(file: string, item: string, ip: unknown, field: string): string {
  if (typeof ip === 'string' && parseIpv4(ip) !== null) return ip;
  const v6 = typeof ip === 'string' ? parseIpv6(ip) : null;
  if (!v6) throw new ClusterMetadataError(file, item, `${field} is not an IP address: ${JSON.stringify(ip)?.slice(0, 60)}`);
  return ipv6ToString(v6);
}

function addItem(md: ClusterMetadata, file: string, where: string, item: unknown): void {
  if (!isObj(item)) throw new ClusterMetadataError(file, where, 'not an object');
  const kind = item['kind'];
  if (typeof kind !== 'string') throw new ClusterMetadataError(file, where, 'has no kind');
  const meta = item['metadata'];
  const known = ['Node', 'Pod', 'Service', 'Endpoints', 'EndpointSlice', 'Ingress'];
  if (!known.includes(kind)) return; // unknown kinds are ignored
  if (!isObj(meta) || typeof meta['name'] !== 'string') throw new ClusterMetadataError(file, `${where} (${kind})`, 'metadata.name is missing');
  const ns = str(meta['namespace']) ?? 'default';
  const label = `${where} (${kind} ${kind === 'Node' ? '' : ns + '/'}${meta['name']})`;
  const spec = isObj(item['spec']) ? item['spec'] : {};
  const status = isObj(item['status']) ? item['status'] : {};
  switch (kind) {
    case 'Node': {
      const addrs = Array.isArray(status['addresses']) ? status['addresses'] : [];
      const internalIps: string[] = [];
      for (const a of addrs) {
        if (isObj(a) && a['type'] === 'InternalIP') internalIps.push(checkIp(file, label, a['address'], 'status.addresses[].address'));
      }
      const podCidrs = Array.isArray(spec['podCIDRs']) ? spec['podCIDRs'].filter((c): c is string => typeof c === 'string')
        : typeof spec['podCIDR'] === 'string' ? [spec['podCIDR']] : [];
      const ann = labelsOf(meta['annotations']);
      let vtepMac: string | null = null;
      let vni: number | null = null;
      const bd = ann['flannel.alpha.coreos.com/backend-data'];
      if (bd) {
        try {
          const j = JSON.parse(bd) as Obj;
          vtepMac = str(j['VtepMAC'])?.toLowerCase() ?? null;
          vni = typeof j['VNI'] === 'number' ? j['VNI'] : null;
        } catch { /* an annotation we cannot read is not an error */ }
      }
      md.nodes.push({ name: meta['name'], internalIps, podCidrs, vtepMac, vni, labels: labelsOf(meta['labels']) });
      return;
    }
    case 'Pod': {
      const ips: string[] = [];
      if (Array.isArray(status['podIPs'])) {
        for (const p of status['podIPs']) if (isObj(p)) ips.push(checkIp(file, label, p['ip'], 'status.podIPs[].ip'));
      }
      if (!ips.length && status['podIP'] !== undefined) ips.push(checkIp(file, label, status['podIP'], 'status.podIP'));
      const owners = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'].filter(isObj) : [];
      const ctl = owners.find((o) => o['controller'] === true) ?? owners[0];
      let end = timeMs(meta['deletionTimestamp']);
      const phase = str(status['phase']);
      if (end === null && (phase === 'Succeeded' || phase === 'Failed') && Array.isArray(status['containerStatuses'])) {
        for (const c of status['containerStatuses']) {
          const fin = isObj(c) && isObj(c['state']) && isObj(c['state']['terminated']) ? timeMs(c['state']['terminated']['finishedAt']) : null;
          if (fin !== null && (end === null || fin > end)) end = fin;
        }
      }
      md.pods.push({
        namespace: ns, name: meta['name'], node: str(spec['nodeName']), ips, labels: labelsOf(meta['labels']),
        owner: ctl ? `${str(ctl['kind']) ?? '?'}/${str(ctl['name']) ?? '?'}` : null,
        hostNetwork: spec['hostNetwork'] === true,
        startMs: timeMs(status['startTime']) ?? timeMs(meta['creationTimestamp']),
        endMs: end,
      });
      return;
    }
    case 'Service': {
      const clusterIps: string[] = [];
      const list = Array.isArray(spec['clusterIPs']) ? spec['clusterIPs'] : spec['clusterIP'] !== undefined ? [spec['clusterIP']] : [];
      for (const ip of list) if (ip !== 'None' && ip !== '') clusterIps.push(checkIp(file, label, ip, 'spec.clusterIP'));
      const ports: ServicePortInfo[] = [];
      const sp = Array.isArray(spec['ports']) ? spec['ports'] : [];
      sp.forEach((p, i) => {
        if (!isObj(p) || typeof p['port'] !== 'number') throw new ClusterMetadataError(file, label, `spec.ports[${i}].port is not a number`);
        const tp = p['targetPort'];
        ports.push({
          name: str(p['name']), port: p['port'], nodePort: typeof p['nodePort'] === 'number' ? p['nodePort'] : null,
          targetPort: typeof tp === 'number' || typeof tp === 'string' ? tp : null, protocol: str(p['protocol']) ?? 'TCP',
        });
      });
      md.services.push({ namespace: ns, name: meta['name'], type: str(spec['type']) ?? 'ClusterIP', clusterIps, ports });
      return;
    }
    case 'Endpoints': {
      const subsets = Array.isArray(item['subsets']) ? item['subsets'] : [];
      for (const s of subsets) {
        if (!isObj(s)) continue;
        const ports = (Array.isArray(s['ports']) ? s['ports'] : []).filter(isObj);
        for (const a of [...(Array.isArray(s['addresses']) ? s['addresses'] : []), ...(Array.isArray(s['notReadyAddresses']) ? s['notReadyAddresses'] : [])]) {
          if (!isObj(a)) continue;
          const ip = checkIp(file, label, a['ip'], 'subsets[].addresses[].ip');
          if (!ports.length) md.endpoints.push({ service: `${ns}/${meta['name']}`, ip, port: null, portName: null });
          for (const p of ports) md.endpoints.push({ service: `${ns}/${meta['name']}`, ip, port: typeof p['port'] === 'number' ? p['port'] : null, portName: str(p['name']) });
        }
      }
      return;
    }
    case 'EndpointSlice': {
      const svc = labelsOf(meta['labels'])['kubernetes.io/service-name'];
      if (!svc) return;
      const ports = (Array.isArray(item['ports']) ? item['ports'] : []).filter(isObj);
      for (const e of Array.isArray(item['endpoints']) ? item['endpoints'] : []) {
        if (!isObj(e) || !Array.isArray(e['addresses'])) continue;
        for (const ipx of e['addresses']) {
          const ip = checkIp(file, label, ipx, 'endpoints[].addresses[]');
          if (!ports.length) md.endpoints.push({ service: `${ns}/${svc}`, ip, port: null, portName: null });
          for (const p of ports) md.endpoints.push({ service: `${ns}/${svc}`, ip, port: typeof p['port'] === 'number' ? p['port'] : null, portName: str(p['name']) });
        }
      }
      return;
    }
    case 'Ingress': {
      const rules = Array.isArray(spec['rules']) ? spec['rules'] : [];
      for (const r of rules) {
        if (!isObj(r)) continue;
        const paths = isObj(r['http']) && Array.isArray(r['http']['paths']) ? r['http']['paths'] : [];
        for (const p of paths) {
          if (!isObj(p)) continue;
          const be = isObj(p['backend']) && isObj(p['backend']['service']) ? p['backend']['service'] : null;
          const port = be && isObj(be['port']) ? (typeof be['port']['number'] === 'number' ? be['port']['number'] : str(be['port']['name'])) : null;
          md.ingresses.push({ namespace: ns, name: meta['name'], host: str(r['host']), path: str(p['path']), pathType: str(p['pathType']), service: be ? str(be['name']) : null, port });
        }
      }
      return;
    }
  }
}

// ---------------------------------------------------------------- resolver

interface Cidr4 { net: number; bits: number; node: NodeInfo }
interface Cidr6 { words: [number, number, number, number]; bits: number; node: NodeInfo }

/** `fd00:10:244:1::/64` as its network's four words and prefix length; null when not an IPv6 CIDR. */
export function parseCidr6(c: string): { words: [number, number, number, number]; bits: number } | null {
  const [a, b] = c.split('/');
  const w = parseIpv6(a ?? '');
  const bits = Number(b);
  if (!w || !Number.isInteger(bits) || bits < 0 || bits > 128) return null;
  const words = w.map((x, k) => {
    const keep = Math.max(0, Math.min(32, bits - 32 * k));
    return keep === 0 ? 0 : (x & ((0xffffffff << (32 - keep)) >>> 0)) >>> 0;
  }) as [number, number, number, number];
  return { words, bits };
}

/** Whether IPv6 address `w` (four words) lies in the CIDR `c`. */
export function cidr6Contains(c: { words: ArrayLike<number>; bits: number }, w: ArrayLike<number>): boolean {
  for (let k = 0; k < 4; k++) {
    const keep = Math.max(0, Math.min(32, c.bits - 32 * k));
    if (keep === 0) return true;
    const mask = (0xffffffff << (32 - keep)) >>> 0;
    if (((w[k]! & mask) >>> 0) !== c.words[k]) return false;
  }
  return true;
}

/** `10.244.1.0/24` as network address and prefix length; null when not an IPv4 CIDR. */
export function parseCidr4(c: string): { net: number; bits: number } | null {
  const [a, b] = c.split('/');
  const ip = parseIpv4(a ?? '');
  const bits = Number(b);
  if (ip === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return null;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: (ip & mask) >>> 0, bits };
}

/** Whether IPv4 address `ip` (a uint32) lies in the CIDR `c` (network address and prefix length). */
export function cidrContains(c: { net: number; bits: number }, ip: number): boolean {
  return c.bits === 0 || ((ip & ((0xffffffff << (32 - c.bits)) >>> 0)) >>> 0) === c.net;
}

export class IdentityResolver {
  private readonly nodesByIp = new Map<string, NodeInfo>();
  private readonly vtepIps = new Map<string, { node: NodeInfo; detail: string }>();
  private readonly podsByIp = new Map<string, PodInfo[]>();
  private readonly servicesByIp = new Map<string, ServiceInfo>();
  private readonly nodePorts = new Map<number, { svc: ServiceInfo; port: ServicePortInfo }>();
  private readonly endpointServices = new Map<string, EndpointInfo[]>();
  private readonly cidrs: Cidr4[] = [];
  private readonly cidrs6: Cidr6[] = [];

  constructor(readonly metadata: ClusterMetadata) {
    for (const n of metadata.nodes) {
      for (const ip of n.internalIps) this.nodesByIp.set(ip, n);
      for (const c of n.podCidrs) {
        const p6 = parseCidr6(c);
        if (p6) {
          // Dual-stack: flannel-v6.1 gets the network address of the node's IPv6 pod CIDR, cni0 the first host address.
          this.cidrs6.push({ ...p6, node: n });
          if (n.vtepMac) this.vtepIps.set(ipv6ToString(p6.words), { node: n, detail: 'flannel-v6.1 (VTEP) address' });
          this.vtepIps.set(ipv6ToString([p6.words[0], p6.words[1], p6.words[2], (p6.words[3] + 1) >>> 0]), { node: n, detail: 'cni0 (pod CIDR gateway) address' });
          continue;
        }
        const p = parseCidr4(c);
        if (!p) continue;
        this.cidrs.push({ ...p, node: n });
        // Flannel gives the node's flannel.1 the pod CIDR's network address, and the bridge CNI gives cni0 the first host address.
        if (n.vtepMac) this.vtepIps.set(ipStr(p.net), { node: n, detail: 'flannel.1 (VTEP) address' });
        this.vtepIps.set(ipStr(p.net + 1), { node: n, detail: 'cni0 (pod CIDR gateway) address' });
      }
    }
    for (const p of metadata.pods) {
      if (p.hostNetwork) continue;
      for (const ip of p.ips) {
        const l = this.podsByIp.get(ip) ?? [];
        l.push(p);
        this.podsByIp.set(ip, l);
      }
    }
    for (const s of metadata.services) {
      for (const ip of s.clusterIps) this.servicesByIp.set(ip, s);
      for (const port of s.ports) if (port.nodePort !== null) this.nodePorts.set(port.nodePort, { svc: s, port });
    }
    for (const e of metadata.endpoints) {
      const k = `${e.ip}|${e.port}`;
      const l = this.endpointServices.get(k) ?? [];
      l.push(e);
      this.endpointServices.set(k, l);
    }
  }

  get nodeIps(): string[] {
    return [...this.nodesByIp.keys()];
  }

  nodeNameOf(ip: string): string | null {
    return this.nodesByIp.get(ip)?.name ?? null;
  }

  /** The IPv4 pod CIDRs the metadata gives the node with InternalIP `ip` (`podCIDR`/`podCIDRs`), as network and prefix length. */
  podCidrsOfNode(ip: string): Array<{ cidr: string; net: number; bits: number }> {
    const n = this.nodesByIp.get(ip);
    if (!n) return [];
    return this.cidrs.filter((c) => c.node === n).map((c) => ({ cidr: `${ipStr(c.net)}/${c.bits}`, net: c.net, bits: c.bits }));
  }

  /** The IPv6 pod CIDRs the metadata gives the node with InternalIP `ip` (dual-stack `podCIDRs`), as network words and prefix length. */
  podCidrs6OfNode(ip: string): Array<{ cidr: string; words: [number, number, number, number]; bits: number }> {
    const n = this.nodesByIp.get(ip);
    if (!n) return [];
    return this.cidrs6.filter((c) => c.node === n).map((c) => ({ cidr: `${ipv6ToString(c.words)}/${c.bits}`, words: c.words, bits: c.bits }));
  }

  /** The pod holding `ip` at `timeMs` (null time: the latest started pod). */
  podAt(ip: string, timeMs: number | null): PodInfo | null {
    const l = this.podsByIp.get(ip);
    if (!l?.length) return null;
    if (l.length === 1) return l[0]!;
    if (timeMs !== null) {
      const live = l.filter((p) => (p.startMs === null || p.startMs <= timeMs) && (p.endMs === null || timeMs < p.endMs));
      if (live.length) return live.reduce((a, b) => ((a.startMs ?? 0) >= (b.startMs ?? 0) ? a : b));
      // Between lifetimes: the pod that started last before the packet, else the first to start.
      const before = l.filter((p) => p.startMs !== null && p.startMs <= timeMs);
      if (before.length) return before.reduce((a, b) => (a.startMs! >= b.startMs! ? a : b));
    }
    return l.reduce((a, b) => ((a.startMs ?? 0) >= (b.startMs ?? 0) ? a : b));
  }

  /** The Service a (ip, port) names as a ClusterIP or a NodePort; null when neither. */
  serviceAt(ip: string, port: number | null): { service: ServiceInfo; port: ServicePortInfo | null; via: 'clusterIP' | 'nodePort' } | null {
    const s = this.servicesByIp.get(ip);
    if (s) return { service: s, port: s.ports.find((p) => p.port === port) ?? null, via: 'clusterIP' };
    if (port !== null && this.nodesByIp.has(ip)) {
      const np = this.nodePorts.get(port);
      if (np) return { service: np.svc, port: np.port, via: 'nodePort' };
    }
    return null;
  }

  /** Services whose endpoints include (ip, port). */
  servicesServedBy(ip: string, port: number | null): string[] {
    const l = [...(this.endpointServices.get(`${ip}|${port}`) ?? []), ...(this.endpointServices.get(`${ip}|null`) ?? [])];
    return [...new Set(l.map((e) => e.service))];
  }

  resolve(ip: string, port: number | null, timeMs: number | null): Identity {
    const svc = this.serviceAt(ip, port);
    if (svc) {
      const s = svc.service;
      const portName = svc.port?.name ? `:${svc.port.name}` : '';
      return {
        kind: 'service', name: `${s.namespace}/${s.name}`, namespace: s.namespace,
        ...(svc.via === 'nodePort' ? { node: this.nodesByIp.get(ip)?.name ?? '' } : {}),
        detail: svc.via === 'nodePort' ? `NodePort ${port} on ${this.nodesByIp.get(ip)?.name}${portName}` : `ClusterIP${port !== null ? ` port ${port}` : ''}${portName}`,
        ...(s.from ? { from: s.from } : {}),
      };
    }
    const node = this.nodesByIp.get(ip);
    if (node) return { kind: 'node', name: node.name, node: node.name, detail: 'InternalIP', ...(node.from ? { from: node.from } : {}) };
    const pod = this.podAt(ip, timeMs);
    if (pod) {
      return {
        kind: 'pod', name: `${pod.namespace}/${pod.name}`, namespace: pod.namespace, ...(pod.node ? { node: pod.node } : {}),
        detail: [pod.owner ? `owner ${pod.owner}` : null, ...Object.entries(pod.labels).map(([k, v]) => `${k}=${v}`)].filter(Boolean).join(', '),
        ...(pod.from ? { from: pod.from } : {}),
      };
    }
    const vt = this.vtepIps.get(ip);
    if (vt) return { kind: 'node', name: vt.node.name, node: vt.node.name, detail: vt.detail, ...(vt.node.from ? { from: vt.node.from } : {}) };
    const a = parseIpv4(ip);
    if (a !== null) {
      for (const c of this.cidrs) {
        if (cidrContains(c, a)) {
          return { kind: 'unknown', name: ip, node: c.node.name, detail: `in the pod CIDR of ${c.node.name}, no pod known` };
        }
      }
    } else if (this.cidrs6.length) {
      const w = parseIpv6(ip);
      const c = w ? this.cidrs6.find((x) => cidr6Contains(x, w)) : undefined;
      if (c) return { kind: 'unknown', name: ip, node: c.node.name, detail: `in the pod CIDR of ${c.node.name}, no pod known` };
    }
    return { kind: 'external', name: ip };
  }
}

function ipStr(a: number): string {
  a >>>= 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
