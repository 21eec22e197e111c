/**
 * What capture tools hand over, made ready for one analysis: Retina bundles
 * and iptables dumps (../capture-bundles.ts), Kubeshark exports (records put
 * in time order, names from the resolver history: kubeshark.ts), Inspektor
 * Gadget pcapng (pods from its interface descriptions, zero timestamps
 * flagged: inspektor-gadget.ts). Returns the sources to read (some replaced
 * by an ordered copy), where each came from, the options to merge, and notes.
 */
import type { CaptureOrigin, InputNote, OpenedInputs } from '../../capture/open-inputs.js';
import { timeOrderedPcap } from '../../capture/bundles/time-ordered-pcap.js';
import type { ByteSource } from '../../capture/types.js';
import type { AnalyzeOptions } from '../../pipeline/analyze.js';
import { bundleOptions, type BundleOptions } from '../capture-bundles.js';
import { emptyMetadata, type ClusterMetadata } from '../cluster-metadata.js';
import { gadgetPods, looksLikeGadget, MAX_GADGET_SCAN_BYTES, scanGadgetCapture } from './inspektor-gadget.js';
import { gadgetPointName } from '../../capture/bundles/gadget-interface.js';
import { KUBESHARK_HISTORY, kubesharkNodeFile, metadataFromNameHistory } from './kubeshark.js';
import { calicoFile } from './calico.js';
import { looksLikeAntrea } from './antrea.js';
import { assignPodAddresses, scanAddresses, type AddressCounts } from './pod-addresses.js';

export interface PreparedInputs {
  /** The captures to read, in the order opened (a Kubeshark pcap: its time-ordered copy). */
  sources: ByteSource[];
  origins: CaptureOrigin[];
  options: BundleOptions['options'];
  notes: string[];
  /** The notes about one capture (records put in time order, zero timestamps), for the session's inputNotes (severity `note`: not errors). */
  inputNotes: InputNote[];
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}
function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(0, i) : '';
}

/** a + b: lists joined, a's entries first (a Service or pod named in both keeps a's). */
export function mergeMetadata(a: ClusterMetadata, b: ClusterMetadata): ClusterMetadata {
  const out = emptyMetadata();
  out.files = [...new Set([...a.files, ...b.files])];
  out.nodes = [...a.nodes, ...b.nodes.filter((n) => !a.nodes.some((x) => x.name === n.name))];
  out.services = [...a.services, ...b.services.filter((s) => !a.services.some((x) => x.namespace === s.namespace && x.name === s.name))];
  out.pods = [...a.pods, ...b.pods.filter((p) => !a.pods.some((x) => x.namespace === p.namespace && x.name === p.name))];
  out.endpoints = [...a.endpoints, ...b.endpoints];
  out.ingresses = [...a.ingresses, ...b.ingresses];
  return out;
}

/** A classic pcap or pcapng (first interface) of Linux cooked captures (SLL 113, SLL2 276): what `tcpdump -i any` writes. */
export function cookedCapture(head: Uint8Array): boolean {
  if (head.length < 24) return false;
  const dv = new DataView(head.buffer, head.byteOffset, head.length);
  const m = dv.getUint32(0, true);
  let lt = -1;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) lt = dv.getUint32(20, true) & 0xffff;
  else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) lt = dv.getUint32(20, false) & 0xffff;
  else if (m === 0x0a0d0d0a && head.length >= 12) {
    const le = dv.getUint32(8, true) === 0x1a2b3c4d;
    const shbLen = dv.getUint32(4, le);
    if (shbLen + 10 <= head.length && dv.getUint32(shbLen, le) === 1) lt = dv.getUint16(shbLen + 8, le);
  }
  return lt === 113 || lt === 276;
}

export async function prepareInputs(inputs: OpenedInputs, given: AnalyzeOptions = {}): Promise<PreparedInputs> {
  const names = inputs.captures.map((c) => c.name);
  const b = bundleOptions(names, inputs.origins, inputs.sidecars, given);
  const notes = [...b.notes];
  const inputNotes: InputNote[] = [];
  const fileNote = (i: number, layer: string, reason: string): void => {
    notes.push(`${names[i]}: ${reason}`);
    inputNotes.push({ file: names[i]!, offset: 0, layer, reason, severity: 'note' });
  };
  const sources = [...inputs.captures];
  const origins: CaptureOrigin[] = inputs.origins.map((o, i) => {
    const x = b.bundles[i];
    return x ? { ...o, tool: x.tool, node: x.node, started: x.started, sidecars: x.files } : { ...o };
  });
  const options: BundleOptions['options'] = { ...b.options };
  let found: ClusterMetadata | null = null;
  const add = (md: ClusterMetadata): void => { found = found ? mergeMetadata(found, md) : md; };

  // Kubeshark: name_resolution_history.json beside the node pcaps.
  const histories = inputs.sidecars.filter((s) => baseName(s.member) === KUBESHARK_HISTORY);
  for (const h of histories) {
    const hist = metadataFromNameHistory(h.name, h.text);
    notes.push(...hist.notes);
    const dir = dirName(h.name);
    const nodes: ClusterMetadata['nodes'] = [];
    names.forEach((n, i) => {
      if (dirName(n) !== dir || origins[i]!.tool) return;
      const nf = kubesharkNodeFile(baseName(n));
      origins[i] = { ...origins[i]!, tool: 'kubeshark', ...(nf ? { node: nf.node } : {}), sidecars: [h.name] };
      if (nf && !nodes.some((x) => x.name === nf.node)) nodes.push({ name: nf.node, internalIps: [nf.ip], podCidrs: [], vtepMac: null, vni: null, labels: {}, from: `Kubeshark file name ${baseName(n)}` });
    });
    hist.metadata.nodes = nodes;
    add(hist.metadata);
  }
  for (let i = 0; i < sources.length; i++) {
    if (origins[i]!.tool !== 'kubeshark') continue;
    const r = await timeOrderedPcap(sources[i]!);
    if (r.refused) notes.push(`${names[i]}: records not checked for time order: ${r.refused}`);
    if (r.outOfOrder) {
      sources[i] = r.source;
      origins[i] = { ...origins[i]!, reordered: r.outOfOrder };
      fileNote(i, 'kubeshark', `${r.outOfOrder} of ${r.records} records are earlier than a record before them (Kubeshark appends each stream's pcap after the last): read in time order (packet numbers and offsets are those of the ordered copy)`);
    }
  }

  // Inspektor Gadget: interface descriptions naming pods; zero timestamps.
  const gadgetHosts: Array<[string, string]> = [];
  for (let i = 0; i < sources.length; i++) {
    if (origins[i]!.tool) continue;
    const src = sources[i]!;
    let head: Uint8Array;
    try { head = await src.read(0, Math.min(src.size, 64 * 1024)); } catch { continue; }
    if (!looksLikeGadget(head)) continue;
    if (src.size > MAX_GADGET_SCAN_BYTES) { notes.push(`${names[i]}: an Inspektor Gadget capture over ${MAX_GADGET_SCAN_BYTES} bytes: pods not named from it`); continue; }
    const scan = await scanGadgetCapture(src).catch(() => null);
    if (!scan || !scan.interfaces.length) continue;
    const nodes = [...new Set(scan.interfaces.map((x) => x.context.node).filter((x): x is string => !!x))];
    origins[i] = { ...origins[i]!, tool: 'inspektor-gadget', ...(nodes.length === 1 ? { node: nodes[0]! } : {}),
      ...(scan.packets && scan.zeroTimes === scan.packets ? { timestamps: 'zero' as const } : {}) };
    for (const x of scan.interfaces) if (x.context.node) gadgetHosts.push([x.context.node, gadgetPointName(x.context)]);
    const pods = gadgetPods(scan).map((p) => ({ ...p, from: `Inspektor Gadget interface descriptions (${baseName(names[i]!)})` }));
    if (pods.length) { const md = emptyMetadata(); md.files = [names[i]!]; md.pods = pods; add(md); }
    if (scan.packets && scan.zeroTimes === scan.packets) {
      fileNote(i, 'inspektor-gadget', `every timestamp is 0 (Inspektor Gadget's tcpdump gadget records no capture time): packet order is the file's, and durations, latencies and times between packets from it are not real`);
    } else if (scan.zeroTimes) {
      fileNote(i, 'inspektor-gadget', `${scan.zeroTimes} of ${scan.packets} timestamps are 0: durations and latencies involving them are not real`);
    }
    const unnamed = scan.interfaces.filter((x) => x.packets > 0 && !x.podIp).length;
    if (unnamed) notes.push(`${names[i]}: ${unnamed} of ${scan.interfaces.length} containers' interfaces carry no one address most of their packets are from or to: their pods are not given an address`);
  }

  // Antrea PacketCapture: <uid>.pcapng written by gopacket in userspace: timestamps flagged as coarse.
  for (let i = 0; i < sources.length; i++) {
    if (origins[i]!.tool) continue;
    let head: Uint8Array;
    try { head = await sources[i]!.read(0, Math.min(sources[i]!.size, 4096)); } catch { continue; }
    if (!looksLikeAntrea(origins[i]!.member ?? names[i]!, head)) continue;
    origins[i] = { ...origins[i]!, tool: 'antrea', timestamps: 'coarse' };
    fileNote(i, 'antrea', 'an Antrea PacketCapture file: its timestamps were taken in userspace by the agent, later and coarser than a kernel capture\'s: latencies from it are approximate');
  }

  // Calico PacketCapture: <namespace>/<capture>/<workload endpoint>_<cali iface>.pcap; pods' addresses from their packets.
  const calico: Array<{ i: number; counts: AddressCounts; pod: string; namespace: string; node: string }> = [];
  for (let i = 0; i < sources.length; i++) {
    if (origins[i]!.tool) continue;
    const c = calicoFile(origins[i]!.member ?? names[i]!);
    if (!c) continue;
    const namespace = c.namespace ?? 'default';
    origins[i] = { ...origins[i]!, tool: 'calico', node: c.node, pod: `${namespace}/${c.pod}`, interface: c.hostInterface };
    if (!c.namespace) notes.push(`${names[i]}: a Calico capture file outside its <namespace>/<capture>/ folder: pod ${c.pod} taken to be in namespace default`);
    if (sources[i]!.size > MAX_GADGET_SCAN_BYTES) continue;
    const scan = await scanAddresses(sources[i]!).catch(() => null);
    const first = scan ? [...scan.interfaces.values()][0] : undefined;
    if (first) calico.push({ i, counts: first, pod: c.pod, namespace, node: c.node });
  }
  if (calico.length) {
    const ips = assignPodAddresses(calico.map((x) => x.counts));
    const md = emptyMetadata();
    md.files = calico.map((x) => names[x.i]!);
    calico.forEach((x, k) => {
      const ip = ips[k];
      if (!ip || md.pods.some((p) => p.namespace === x.namespace && p.name === x.pod)) return;
      md.pods.push({ namespace: x.namespace, name: x.pod, node: x.node, ips: [ip], labels: {}, owner: null, hostNetwork: false, startMs: null, endMs: null, from: `Calico file name ${baseName(names[x.i]!)}` });
    });
    if (md.pods.length) add(md);
  }

  // ksniff / kubectl debug: a pod's `tcpdump -i any` capture (SLL or SLL2) in a file named after the pod (`-o <pod>.pcap`),
  // recognised when the metadata (given, or from the tools above) names that pod.
  const known: ClusterMetadata | null = given.clusterMetadata ?? found ?? options.clusterMetadata ?? null;
  if (known?.pods.length) {
    for (let i = 0; i < sources.length; i++) {
      if (origins[i]!.tool) continue;
      const stem = baseName(origins[i]!.member ?? names[i]!).replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
      const pod = known.pods.find((p) => p.name === stem || `${p.namespace}_${p.name}` === stem || `${p.namespace}-${p.name}` === stem);
      if (!pod) continue;
      let head: Uint8Array;
      try { head = await sources[i]!.read(0, Math.min(sources[i]!.size, 4096)); } catch { continue; }
      if (!cookedCapture(head)) continue;
      origins[i] = { ...origins[i]!, tool: 'ksniff', pod: `${pod.namespace}/${pod.name}`, ...(pod.node ? { node: pod.node } : {}) };
    }
  }

  // Hosts: each point the layouts put on a node shares that node's clock (a file's point is its stem; a gadget interface, namespace/pod/container).
  if (!given.hosts) {
    const hosts: Record<string, string> = { ...(options.hosts ?? {}) };
    const before = Object.keys(hosts).length;
    origins.forEach((o, i) => {
      if ((o.tool === 'kubeshark' || o.tool === 'calico' || o.tool === 'ksniff') && o.node) hosts[baseName(names[i]!).replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '')] = o.node;
    });
    for (const [ctxNode, point] of gadgetHosts) hosts[point] = ctxNode;
    if (Object.keys(hosts).length > before) options.hosts = hosts;
  }

  const tools: ClusterMetadata | null = found;
  if (tools) {
    if (given.clusterMetadata) notes.push('names from the kubectl metadata given; the capture tools\' names (' + (tools as ClusterMetadata).files.join(', ') + ') are not used');
    else options.clusterMetadata = options.clusterMetadata ? mergeMetadata(options.clusterMetadata, tools) : tools;
  }
  return { sources, origins, options, notes, inputNotes };
}
