/**
 * Kubernetes Services from a node's kube-proxy rules (`iptables-save`, as
 * Retina's iptables-rules.txt or a user's own dump), into the same
 * ClusterMetadata model kubectl's output fills (cluster-metadata.ts), so that
 * without any kubectl file translations and journeys still carry Service names.
 *
 * kube-proxy (iptables mode, pkg/proxy/iptables/proxier.go) writes, in the nat table:
 *   -A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-X
 *   -A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-X (or KUBE-SVC-X)
 *   -A KUBE-EXT-X -j KUBE-SVC-X
 *   -A KUBE-SVC-X -m comment --comment "default/web:http -> 10.244.1.10:8080" -m statistic --mode random --probability 0.5 -j KUBE-SEP-Y
 *   -A KUBE-SEP-Y -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.10:8080
 * Several nodes' dumps merge (the same Service on every node is one).
 * kube-proxy in IPVS or nftables mode keeps its Services elsewhere: said in a note.
 */
import { emptyMetadata, type ClusterMetadata, type EndpointInfo, type ServiceInfo } from './cluster-metadata.js';

export interface IptablesFile {
  /** Shown in notes. */
  name: string;
  text: string;
}

export interface IptablesServices {
  metadata: ClusterMetadata;
  /** What was found instead of Services, or skipped (one line each, naming the file). */
  notes: string[];
  /** Per Service (namespace/name) and endpoint, the probability kube-proxy gives it on each node, in rule order. */
  weights: Array<{ service: string; port: string | null; endpoint: string; probability: number | null; file: string }>;
}

/** True when the text looks like `iptables-save` output (a `*table` line and `-A CHAIN` rules). */
export function looksLikeIptablesSave(text: string): boolean {
  return /^\*(nat|filter|mangle|raw)\s*$/m.test(text) && /^(\[\d+:\d+\] )?-A \S+/m.test(text);
}

/** Splits a rule into arguments as iptables-save quotes them ("..." with \" inside). */
export function ruleArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n && out.length < 256) {
    while (i < n && line[i] === ' ') i++;
    if (i >= n) break;
    let arg = '';
    if (line[i] === '"') {
      i++;
      while (i < n && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < n) i++;
        arg += line[i];
        i++;
      }
      i++;
    } else {
      while (i < n && line[i] !== ' ') arg += line[i++];
    }
    out.push(arg);
  }
  return out;
}

interface Rule { chain: string; opts: Map<string, string>; negated: Set<string>; jump: string | null }

function parseRule(line: string): Rule | null {
  const a = ruleArgs(line.replace(/^\[\d+:\d+\]\s+/, ''));
  if (a[0] !== '-A' || !a[1]) return null;
  const opts = new Map<string, string>();
  const negated = new Set<string>();
  let jump: string | null = null;
  let neg = false;
  for (let k = 2; k < a.length; k++) {
    const t = a[k]!;
    if (t === '!') { neg = true; continue; }
    if (t === '-j' || t === '-g') { jump = a[++k] ?? null; continue; }
    if (t.startsWith('-')) {
      const v = a[k + 1] !== undefined && !a[k + 1]!.startsWith('-') ? a[++k]! : '';
      // The first of a repeated option wins except --comment (one per rule in kube-proxy's).
      if (!opts.has(t)) opts.set(t, v);
      if (neg) negated.add(t);
    }
    neg = false;
  }
  return { chain: a[1], opts, negated, jump };
}

/** "ns/name:port" (or "ns/name" for an unnamed port) with kube-proxy's suffixes removed. */
function serviceOf(comment: string): { ns: string; name: string; port: string | null } | null {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(?::([^\s]+))?/.exec(comment);
  if (!m) return null;
  return { ns: m[1]!, name: m[3]!, port: m[5] ?? null };
}

function ipPort(s: string): { ip: string; port: number | null } | null {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { ip: v6[1]!.toLowerCase(), port: v6[2] ? Number(v6[2]) : null };
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(s);
  if (v4) return { ip: v4[1]!, port: v4[2] ? Number(v4[2]) : null };
  // A bare IPv6 address (a rule's -d): no port.
  if (/^[0-9a-fA-F:.]+$/.test(s) && s.split(':').length > 2) return { ip: s.toLowerCase(), port: null };
  return null;
}

/** The Services, ClusterIPs, NodePorts and endpoints that one or more nodes' kube-proxy rules describe. */
export function servicesFromIptables(files: readonly IptablesFile[]): IptablesServices {
  const md = emptyMetadata();
  const notes: string[] = [];
  const weights: IptablesServices['weights'] = [];
  const services = new Map<string, ServiceInfo>();
  const endpoints = new Map<string, EndpointInfo>();
  const svcOf = (ns: string, name: string): ServiceInfo => {
    const k = `${ns}/${name}`;
    let s = services.get(k);
    if (!s) {
      s = { namespace: ns, name, type: 'ClusterIP', clusterIps: [], ports: [] };
      services.set(k, s);
    }
    return s;
  };
  const portOf = (s: ServiceInfo, name: string | null, protocol: string) => {
    let p = s.ports.find((x) => x.name === name && x.protocol === protocol);
    if (!p) {
      p = { name, port: 0, nodePort: null, targetPort: null, protocol };
      s.ports.push(p);
    }
    return p;
  };
  for (const f of files) {
    md.files.push(f.name);
    const lines = f.text.split(/\r?\n/);
    let table = '';
    const rules: Rule[] = [];
    let ipvs = false;
    for (const raw of lines.slice(0, 2_000_000)) {
      const line = raw.trim();
      if (line.startsWith('*')) { table = line.slice(1); continue; }
      if (/KUBE-CLUSTER-IP|KUBE-LOOP-BACK|KUBE-NODE-PORT-/.test(line) && /match-set/.test(line)) ipvs = true;
      if (table !== 'nat' || !/-A KUBE-/.test(line)) continue;
      const r = parseRule(line);
      if (r) rules.push(r);
    }
    if (/^table (ip|ip6|inet) kube-proxy/m.test(f.text)) notes.push(`${f.name}: kube-proxy in nftables mode (table kube-proxy): Services are read from iptables rules only; give \`iptables-save\` of an iptables-mode node or kubectl output`);
    // Chain -> Service port, from the SVC chains' and SEP chains' comments.
    const chainSvc = new Map<string, { ns: string; name: string; port: string | null; protocol: string }>();
    let found = 0;
    for (const r of rules) {
      const comment = r.opts.get('--comment') ?? '';
      const protocol = (r.opts.get('-p') ?? 'tcp').toUpperCase();
      if (r.chain === 'KUBE-SERVICES' && r.jump?.startsWith('KUBE-SVC-') && /cluster IP$/.test(comment)) {
        const sv = serviceOf(comment);
        const dst = ipPort((r.opts.get('-d') ?? '').replace(/\/(32|128)$/, ''));
        const dport = Number(r.opts.get('--dport'));
        if (!sv || !dst || !Number.isInteger(dport)) continue;
        const s = svcOf(sv.ns, sv.name);
        if (!s.clusterIps.includes(dst.ip)) s.clusterIps.push(dst.ip);
        portOf(s, sv.port, protocol).port = dport;
        chainSvc.set(r.jump, { ...sv, protocol });
        found++;
      }
    }
    // KUBE-EXT-X jumps to KUBE-SVC-X: NodePorts may name either.
    const extTo = new Map<string, string>();
    for (const r of rules) if (r.chain.startsWith('KUBE-EXT-') && r.jump?.startsWith('KUBE-SVC-')) extTo.set(r.chain, r.jump);
    for (const r of rules) {
      if (r.chain !== 'KUBE-NODEPORTS' || !r.jump) continue;
      const comment = r.opts.get('--comment') ?? '';
      const sv = serviceOf(comment);
      const dport = Number(r.opts.get('--dport'));
      if (!sv || !Number.isInteger(dport) || /health check/.test(comment)) continue;
      const protocol = (r.opts.get('-p') ?? 'tcp').toUpperCase();
      const s = svcOf(sv.ns, sv.name);
      portOf(s, sv.port, protocol).nodePort = dport;
      s.type = 'NodePort';
      const svcChain = r.jump.startsWith('KUBE-EXT-') ? extTo.get(r.jump) : r.jump;
      if (svcChain) chainSvc.set(svcChain, { ...sv, protocol });
    }
    // SVC chains: probabilities per endpoint, in rule order (the last rule takes what is left).
    for (const r of rules) {
      if (!r.chain.startsWith('KUBE-SVC-') || !r.jump?.startsWith('KUBE-SEP-')) continue;
      const comment = r.opts.get('--comment') ?? '';
      const sv = serviceOf(comment) ?? chainSvc.get(r.chain) ?? null;
      if (!sv) continue;
      const arrow = / -> (\S+)$/.exec(comment);
      const p = r.opts.get('--probability');
      weights.push({ service: `${sv.ns}/${sv.name}`, port: sv.port, endpoint: arrow?.[1] ?? r.jump, probability: p !== undefined ? Number(p) : null, file: f.name });
    }
    for (const r of rules) {
      if (!r.chain.startsWith('KUBE-SEP-') || r.jump !== 'DNAT') continue;
      const sv = serviceOf(r.opts.get('--comment') ?? '');
      const to = ipPort(r.opts.get('--to-destination') ?? '');
      if (!sv || !to) continue;
      const protocol = (r.opts.get('-p') ?? 'tcp').toUpperCase();
      const s = svcOf(sv.ns, sv.name);
      const port = portOf(s, sv.port, protocol);
      port.targetPort ??= to.port;
      const key = `${sv.ns}/${sv.name}|${to.ip}|${to.port}`;
      if (!endpoints.has(key)) endpoints.set(key, { service: `${sv.ns}/${sv.name}`, ip: to.ip, port: to.port, portName: sv.port });
      found++;
    }
    if (ipvs) notes.push(`${f.name}: kube-proxy in IPVS mode (ipset KUBE-CLUSTER-IP rules): ClusterIPs and endpoints are in the IPVS tables (\`ipvsadm -Ln\`), not in these rules${found ? `; ${found} Service rules found besides` : ''}`);
    else if (!found) notes.push(`${f.name}: no kube-proxy Service rules (KUBE-SERVICES, KUBE-SEP-* DNAT) in the nat table`);
  }
  md.services = [...services.values()].filter((s) => s.clusterIps.length || s.ports.some((p) => p.nodePort !== null));
  md.endpoints = [...endpoints.values()];
  return { metadata: md, notes, weights };
}
