/**
 * What capture tools hand over beside the packets, turned into analysis
 * options (issue 16). Retina (microsoft/retina, `kubectl retina capture`):
 * per node `<capture>-<node>-<YYYYMMDDhhmmss>UTC.tar.gz` holding `<same>.pcap`
 * (`tcpdump -i any`), `ip-resources.txt` (`ip -d -j addr show`, `ip -d -j
 * neighbor show`, `ip rule list`, `ip route show table all`) and
 * `iptables-rules.txt` (`iptables-save`, then `iptables -vnx -L` per table),
 * each file "Summary:" then "Execute:" with every command line before its output
 * (pkg/capture/provider/network_capture_unix.go, file/capture_filename.go).
 *
 * From them: the node (the host of the capture's clock) and start time from
 * the name; SLL2 interface index names, the node's address, its pod CIDR and
 * VTEP from `ip -j addr`; Services from kube-proxy's rules
 * (iptables-services.ts). Any iptables-save text file opened beside captures
 * gives Services too. kubectl metadata, when given, is used as given.
 */
import type { CaptureOrigin, Sidecar } from '../capture/open-inputs.js';
import type { AnalyzeOptions } from '../pipeline/analyze.js';
import { emptyMetadata, type ClusterMetadata, type NodeInfo } from './cluster-metadata.js';
import { looksLikeIptablesSave, servicesFromIptables } from './iptables-services.js';

/** A capture's bundle as the tool named it. */
export interface BundleCapture {
  tool: 'retina';
  /** The capture's name (Retina's Capture resource). */
  capture: string;
  node: string;
  /** ISO-8601, whole seconds (Retina's start timestamp). */
  started: string;
  /** The sidecar files read with it (display names). */
  files: string[];
}

export interface BundleOptions {
  /** Options to merge into the analysis (only what the user did not give). */
  options: Pick<AnalyzeOptions, 'interfaceName' | 'hosts' | 'clusterMetadata'>;
  /** Per capture (index as in `origins`), its bundle, or null. */
  bundles: Array<BundleCapture | null>;
  notes: string[];
}

const RETINA = /^(.+)-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})UTC(?:\.pcap|\.tar\.gz)?$/;

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}
function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(0, i) : '';
}

/**
 * `<capture>-<node>` cannot be split by itself (both may hold dashes): the
 * captures of one Retina run share the capture name, so the longest prefix
 * (ending at a dash) their stems share is it; a lone bundle splits after
 * `retina-capture-<id>-` (kubectl retina's generated names) or its first dash.
 */
export function splitRetinaStems(stems: readonly string[]): Array<{ capture: string; node: string } | null> {
  const byTime = new Map<string, string[]>();
  const parsed = stems.map((s) => {
    const m = RETINA.exec(s);
    if (!m) return null;
    const key = m.slice(2, 8).join('');
    const list = byTime.get(key) ?? [];
    list.push(m[1]!);
    byTime.set(key, list);
    return { head: m[1]!, key };
  });
  return parsed.map((p) => {
    if (!p) return null;
    const group = byTime.get(p.key)!;
    let prefix: string;
    if (group.length > 1 && new Set(group).size > 1) {
      prefix = group.reduce((a, b) => { let i = 0; while (i < a.length && a[i] === b[i]) i++; return a.slice(0, i); });
      prefix = prefix.slice(0, prefix.lastIndexOf('-') + 1);
    } else {
      const gen = /^retina-capture-[a-z0-9]+-/.exec(p.head);
      prefix = gen ? gen[0] : p.head.slice(0, p.head.indexOf('-') + 1);
    }
    if (!prefix || prefix.length >= p.head.length) return null;
    return { capture: prefix.slice(0, -1), node: p.head.slice(prefix.length) };
  });
}

/** The output of one command in a Retina metadata file ("Execute:" section), or null. */
export function commandOutput(text: string, command: RegExp): string | null {
  const exec = text.indexOf('\nExecute:\n');
  const body = exec >= 0 ? text.slice(exec + 10) : text;
  const lines = body.split('\n');
  const isCommand = (l: string): boolean => /^\S*\/?(ip|iptables|iptables-save|ip6tables|ss|nft)( |$)/.test(l) && !l.startsWith('#');
  for (let i = 0; i < lines.length; i++) {
    if (!command.test(lines[i]!)) continue;
    const out: string[] = [];
    for (let k = i + 1; k < lines.length && !isCommand(lines[k]!); k++) out.push(lines[k]!);
    return out.join('\n').trim();
  }
  return null;
}

interface IpAddrEntry { ifindex?: unknown; ifname?: unknown; address?: unknown; master?: unknown; linkinfo?: { info_kind?: unknown; info_data?: { local?: unknown; id?: unknown } }; addr_info?: Array<{ family?: unknown; local?: unknown; prefixlen?: unknown; scope?: unknown }> }

export interface NodeNetwork {
  /** ifindex -> interface name. */
  interfaces: Map<number, string>;
  node: NodeInfo | null;
}

/** `ip -d -j addr show` (Retina's ip-resources.txt, or the bare JSON): interface names, and the node's address, pod CIDR and VTEP. */
export function parseIpAddr(text: string, nodeName: string): NodeNetwork | null {
  const json = text.trimStart().startsWith('[') ? text.trim() : commandOutput(text, /\bip (-d )?-j (-d )?addr( show)?\s*$/);
  if (!json) return null;
  let list: unknown;
  try { list = JSON.parse(json.split('\n')[0]!); } catch { return null; }
  if (!Array.isArray(list)) return null;
  const interfaces = new Map<number, string>();
  let nodeIp: string | null = null;
  let fallbackIp: string | null = null;
  let podCidr: string | null = null;
  let vtepMac: string | null = null;
  let vni: number | null = null;
  for (const x of list.slice(0, 4096) as IpAddrEntry[]) {
    if (typeof x?.ifindex !== 'number' || typeof x.ifname !== 'string') continue;
    const name = x.ifname.slice(0, 64);
    interfaces.set(x.ifindex, name);
    const v4 = (x.addr_info ?? []).filter((a) => a.family === 'inet' && typeof a.local === 'string' && a.scope === 'global');
    const kind = x.linkinfo?.info_kind;
    if (kind === 'vxlan') {
      if (typeof x.linkinfo?.info_data?.local === 'string') nodeIp = x.linkinfo.info_data.local;
      if (typeof x.address === 'string') vtepMac = x.address;
      if (typeof x.linkinfo?.info_data?.id === 'number') vni = x.linkinfo.info_data.id;
    } else if (/^(cni0|cbr0)$/.test(name) && v4[0] && typeof v4[0].prefixlen === 'number') {
      podCidr = network(v4[0].local as string, v4[0].prefixlen);
    } else if (!x.master && !/^(lo|docker|veth|cali|tunl|flannel|cilium|kube-ipvs|genev|vxlan)/.test(name) && v4[0]) {
      fallbackIp ??= v4[0].local as string;
    }
  }
  nodeIp ??= fallbackIp;
  const node: NodeInfo | null = nodeIp ? { name: nodeName, internalIps: [nodeIp], podCidrs: podCidr ? [podCidr] : [], vtepMac, vni, labels: {} } : null;
  return { interfaces, node };
}

function network(ip: string, bits: number): string | null {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255)) || !(bits >= 0 && bits <= 32)) return null;
  const n = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
  const m = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const v = (n & m) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${bits}`;
}

/** The interface point names cookedPointName makes (src/pipeline/cooked-points.ts). */
function stemOf(file: string): string {
  return baseName(file).replace(/\.(pcapng|pcap|cap|ntar)(\.gz)?$/i, '');
}

/**
 * Options from the bundles and sidecar files among the inputs. `given`: what
 * the user gave (kubectl metadata wins over rules; interface names and hosts
 * given win too).
 */
export function bundleOptions(captureNames: readonly string[], origins: readonly CaptureOrigin[], sidecars: readonly Sidecar[], given: AnalyzeOptions = {}): BundleOptions {
  const notes: string[] = [];
  const stems = captureNames.map((n, i) => {
    const o = origins[i];
    // A bundle's pcap carries the bundle's name; so does the archive holding it.
    const own = stemOf(n);
    return RETINA.test(own) ? own : o?.archive ? baseName(o.archive).replace(/\.tar\.gz$|\.tgz$/i, '') : own;
  });
  const split = splitRetinaStems(stems);
  const bundles: Array<BundleCapture | null> = [];
  const names = new Map<string, Map<number, string>>();
  const hosts: Record<string, string> = {};
  const nodes: NodeInfo[] = [];
  const usedSidecars = new Set<Sidecar>();
  captureNames.forEach((file, i) => {
    const s = split[i];
    const m = RETINA.exec(stems[i]!);
    if (!s || !m) { bundles.push(null); return; }
    const dir = dirName(file);
    const beside = sidecars.filter((c) => dirName(c.name) === dir);
    const ipRes = beside.find((c) => baseName(c.member) === 'ip-resources.txt');
    const files: string[] = [];
    if (ipRes) {
      usedSidecars.add(ipRes);
      files.push(ipRes.name);
      const net = parseIpAddr(ipRes.text, s.node);
      if (!net) notes.push(`${ipRes.name}: no \`ip -d -j addr show\` output: interface indexes are named by their traffic`);
      else {
        names.set(stemOf(file), net.interfaces);
        for (const [k, n] of net.interfaces) hosts[`${stemOf(file)}/if${k} ${n}`] = s.node;
        if (net.node && !nodes.some((x) => x.name === s.node)) nodes.push({ ...net.node, from: `ip -j addr in ${ipRes.name}` });
      }
    }
    for (const c of beside) if (baseName(c.member) !== 'ip-resources.txt') files.push(c.name);
    bundles.push({ tool: 'retina', capture: s.capture, node: s.node, started: `${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}:${m[7]}Z`, files });
  });
  const options: BundleOptions['options'] = {};
  if (names.size && !given.interfaceName) {
    options.interfaceName = (file, ifindex) => names.get(stemOf(file))?.get(ifindex) ?? null;
    if (!given.hosts) options.hosts = hosts;
  }
  const rules = sidecars.filter((c) => looksLikeIptablesSave(c.text));
  if (!given.clusterMetadata && (rules.length || nodes.length)) {
    const md: ClusterMetadata = emptyMetadata();
    if (rules.length) {
      const r = servicesFromIptables(rules.map((c) => ({ name: c.name, text: c.text })));
      Object.assign(md, r.metadata);
      const from = `iptables rules (${[...new Set(rules.map((c) => c.name.split(/[\\/]/).slice(-2).join('/')))].join(', ')})`;
      md.services = md.services.map((x) => ({ ...x, from: from.length > 300 ? `${from.slice(0, 299)}…` : from }));
      notes.push(...r.notes);
    }
    md.nodes = nodes;
    md.files = [...md.files, ...[...usedSidecars].map((c) => c.name)];
    if (md.services.length || md.nodes.length) options.clusterMetadata = md;
  } else if (given.clusterMetadata && rules.length) {
    notes.push(`Services from the kubectl metadata given; the iptables rules of ${rules.length} file(s) beside the captures are not used for names`);
  }
  return { options, bundles, notes };
}
