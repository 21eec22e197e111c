/**
 * Kubeshark's exports (kubeshark/kubeshark, kubeshark/worker): a tar.gz of
 * one pcap per node (each the node's per-stream pcap files appended one
 * after another: cmd/pcapDumpRunner.go mergePCAPs, so records are not in time
 * order) and `name_resolution_history.json`, the worker's resolver history
 * (worker pkg/resolver: GetDumpNameResolutionHistoryMap, json.Marshal of
 * `map[int64]map[string]*api.Resolution`): Unix seconds → the whole
 * address map at that time, keys `ip` and `ip:port`, each a Resolution with
 * `Name`, `Namespace` and the Kubernetes object it came from (`Pod`,
 * `EndpointSlice`: a v1.Endpoints, `Service`), merged as SaveResolution
 * merges them (a backend pod's address keeps its Pod and gets the
 * Endpoints' Service name).
 *
 * Here: each history becomes time-aware cluster metadata (a pod holds an
 * address from the snapshot it appears in to the one it is gone from;
 * Services with their ClusterIPs and ports, endpoints), and a node's pcap
 * named `<node>_<ip>.pcap` (the worker's `%s_%s` node/IP naming of what it
 * uploads) names its capture point's node.
 */
import { emptyMetadata, type ClusterMetadata, type EndpointInfo, type PodInfo, type ServiceInfo, type ServicePortInfo } from '../cluster-metadata.js';

export const KUBESHARK_HISTORY = 'name_resolution_history.json';

/** `<node>_<IPv4>.pcap`: the node and its address, or null. */
export function kubesharkNodeFile(base: string): { node: string; ip: string } | null {
  const m = /^(.+)_(\d{1,3}(?:\.\d{1,3}){3})\.pcap$/.exec(base);
  return m ? { node: m[1]!, ip: m[2]! } : null;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | null => (typeof x === 'string' && x.length ? x.slice(0, 253) : null);
/** A Resolution field by its Go name or its lower-camel JSON name. */
const field = (r: Obj, name: string): unknown => r[name] ?? r[name[0]!.toLowerCase() + name.slice(1)];

/** `ip` or `ip:port` (IPv4, or IPv6 with a `:port` after the last colon). */
export function splitAddressKey(key: string): { ip: string; port: number | null } | null {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(key);
  if (v4) return { ip: v4[1]!, port: v4[2] ? Number(v4[2]) : null };
  if (!key.includes(':')) return null;
  const last = key.lastIndexOf(':');
  const tail = key.slice(last + 1);
  // "fd00::1:80" is ambiguous; a key whose tail is a port of a Service or endpoint is written by the worker as ip:port.
  if (/^\d{1,5}$/.test(tail) && key.slice(0, last).includes(':') && !key.endsWith('::' + tail)) return { ip: key.slice(0, last), port: Number(tail) };
  return { ip: key, port: null };
}

function podOf(ip: string, r: Obj): PodInfo | null {
  const pod = field(r, 'Pod');
  const meta = isObj(pod) && isObj(pod['metadata']) ? pod['metadata'] : null;
  const spec = isObj(pod) && isObj(pod['spec']) ? pod['spec'] : null;
  const name = str(meta?.['name']) ?? (field(r, 'EndpointSlice') ? null : str(field(r, 'Name')));
  const namespace = str(meta?.['namespace']) ?? str(field(r, 'Namespace')) ?? 'default';
  if (!name) return null;
  const labels: Record<string, string> = {};
  if (isObj(meta?.['labels'])) for (const [k, v] of Object.entries(meta['labels']).slice(0, 64)) if (typeof v === 'string') labels[k.slice(0, 253)] = v.slice(0, 253);
  const owners = Array.isArray(meta?.['ownerReferences']) ? meta['ownerReferences'] : [];
  const owner = isObj(owners[0]) && str(owners[0]['kind']) && str(owners[0]['name']) ? `${owners[0]['kind']}/${owners[0]['name']}` : null;
  return { namespace, name, node: str(spec?.['nodeName']), ips: [ip], labels, owner, hostNetwork: spec?.['hostNetwork'] === true, startMs: null, endMs: null };
}

function serviceOf(ip: string, r: Obj): ServiceInfo | null {
  const s = field(r, 'Service');
  if (!isObj(s)) return null;
  const meta = isObj(s['metadata']) ? s['metadata'] : {};
  const spec = isObj(s['spec']) ? s['spec'] : {};
  const name = str(meta['name']) ?? str(field(r, 'Name'));
  if (!name) return null;
  const ports: ServicePortInfo[] = [];
  if (Array.isArray(spec['ports'])) {
    for (const p of spec['ports'].slice(0, 256)) {
      if (!isObj(p) || typeof p['port'] !== 'number') continue;
      ports.push({ name: str(p['name']), port: p['port'], nodePort: typeof p['nodePort'] === 'number' ? p['nodePort'] : null,
        targetPort: typeof p['targetPort'] === 'number' || typeof p['targetPort'] === 'string' ? p['targetPort'] : null, protocol: str(p['protocol']) ?? 'TCP' });
    }
  }
  return { namespace: str(meta['namespace']) ?? str(field(r, 'Namespace')) ?? 'default', name, type: str(spec['type']) ?? 'ClusterIP', clusterIps: [ip], ports };
}

/** The Service an Endpoints object (a Resolution's EndpointSlice) belongs to: `namespace/name`. */
function endpointsService(r: Obj): string | null {
  const e = field(r, 'EndpointSlice');
  if (!isObj(e)) return null;
  const meta = isObj(e['metadata']) ? e['metadata'] : {};
  const name = str(meta['name']) ?? str(field(r, 'Name'));
  return name ? `${str(meta['namespace']) ?? str(field(r, 'Namespace')) ?? 'default'}/${name}` : null;
}

export interface NameHistory {
  metadata: ClusterMetadata;
  /** Snapshots read, and the time span they cover (Unix seconds). */
  snapshots: number;
  first: number | null;
  last: number | null;
  notes: string[];
}

/** Bounds: snapshots and entries read from one history. */
export const HISTORY_LIMITS = { maxSnapshots: 100_000, maxEntries: 2_000_000 };

/** Time-aware cluster metadata from a Kubeshark name_resolution_history.json. */
export function metadataFromNameHistory(file: string, text: string): NameHistory {
  const notes: string[] = [];
  const md = emptyMetadata();
  md.files = [file];
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) {
    return { metadata: md, snapshots: 0, first: null, last: null, notes: [`${file}: not valid JSON (${(e as Error).message}): no names from it`] };
  }
  if (!isObj(doc)) return { metadata: md, snapshots: 0, first: null, last: null, notes: [`${file}: not a map of times to address maps: no names from it`] };
  let times = Object.keys(doc).filter((k) => /^\d{1,12}$/.test(k) && isObj(doc[k])).map(Number).sort((a, b) => a - b);
  if (times.length > HISTORY_LIMITS.maxSnapshots) {
    notes.push(`${file}: ${times.length} snapshots, over the bound of ${HISTORY_LIMITS.maxSnapshots}: the latest ${HISTORY_LIMITS.maxSnapshots} read`);
    times = times.slice(-HISTORY_LIMITS.maxSnapshots);
  }
  // Per address: the identity in each snapshot; runs of one identity become a pod's lifetime at that address.
  const open = new Map<string, { key: string; pod: PodInfo }>();
  const pods: PodInfo[] = [];
  const services = new Map<string, ServiceInfo>();
  const endpoints = new Map<string, EndpointInfo>();
  let entries = 0;
  let cut = false;
  for (const t of times) {
    const snap = doc[String(t)] as Obj;
    const seen = new Set<string>();
    for (const [key, r] of Object.entries(snap)) {
      if (++entries > HISTORY_LIMITS.maxEntries) { cut = true; break; }
      if (!isObj(r)) continue;
      const a = splitAddressKey(key);
      if (!a) continue;
      const svc = serviceOf(a.ip, r);
      const ep = endpointsService(r);
      if (svc) {
        const id = `${svc.namespace}/${svc.name}`;
        const have = services.get(id);
        if (!have) services.set(id, svc);
        else {
          if (!have.clusterIps.includes(a.ip)) have.clusterIps.push(a.ip);
          for (const p of svc.ports) if (!have.ports.some((q) => q.port === p.port)) have.ports.push(p);
        }
        if (a.port !== null) {
          const s = services.get(id)!;
          if (!s.ports.some((q) => q.port === a.port)) s.ports.push({ name: null, port: a.port, nodePort: null, targetPort: null, protocol: 'TCP' });
        }
        continue;
      }
      if (ep) endpoints.set(`${ep}|${a.ip}|${a.port}`, { service: ep, ip: a.ip, port: a.port, portName: null });
      if (a.port !== null) continue;
      const pod = podOf(a.ip, r);
      if (!pod || pod.hostNetwork) continue;
      const k = `${pod.namespace}/${pod.name}`;
      seen.add(a.ip);
      const cur = open.get(a.ip);
      if (cur?.key === k) continue;
      if (cur) cur.pod.endMs = t * 1000;
      pod.startMs = t * 1000;
      pods.push(pod);
      open.set(a.ip, { key: k, pod });
    }
    // An address gone from the map: its pod's time there ended.
    for (const [ip, cur] of open) if (!seen.has(ip)) { cur.pod.endMs = t * 1000; open.delete(ip); }
    if (cut) break;
  }
  if (cut) notes.push(`${file}: more than ${HISTORY_LIMITS.maxEntries} entries: the rest not read`);
  // Before the first snapshot nothing was recorded: the first holder of each address is taken to have held it since.
  const firstAt = new Set<string>();
  for (const p of pods) if (!firstAt.has(p.ips[0]!)) { firstAt.add(p.ips[0]!); p.startMs = null; }
  for (const p of pods) p.from = file;
  for (const s of services.values()) s.from = file;
  md.pods = pods;
  md.services = [...services.values()];
  md.endpoints = [...endpoints.values()].filter((e) => e.port !== null || ![...endpoints.values()].some((x) => x.ip === e.ip && x.service === e.service && x.port !== null));
  return { metadata: md, snapshots: times.length, first: times[0] ?? null, last: times[times.length - 1] ?? null, notes };
}
