/**
 * `overlayscope export-pcapng CAPTURE... --out FILE`: one pcapng of the
 * session for Wireshark: every record of every capture in time order across
 * capture points, one interface per capture point (if_name the point,
 * if_description its host, file and interface), a Name Resolution Block
 * naming pods, Services and nodes (with --cluster), and per packet a comment
 * with its flow, tunnel, translation and journey hop. Written whole or not at
 * all, never over an input (src/host/node/atomic-write.ts).
 */
import path from 'node:path';
import type { CliContext } from './commands.js';
import { one, parseArgs, portList } from './args.js';
import { InputError, UsageError } from './errors.js';
import { CLOCK_SPEC, clockOptions } from './clock-args.js';
import type { AnalyzeOptions } from '../engine/analyze.js';
import type { AnalysisSession } from '../engine/session.js';
import { readFile } from 'node:fs/promises';
import { ClusterMetadataError, parseClusterMetadata } from '../overlay/cluster-metadata.js';
import { DissectConfig } from '../dissect/config.js';
import { DecodedPacket } from '../dissect/decoded.js';
import { decodePacket, linkTypeDecoded } from '../dissect/decoder.js';
import { ipToString } from '../dissect/addr.js';
import { TUNNEL_NAMES } from '../dissect/layers.js';
import { endpoints, transportName } from '../flows/flow-output.js';
import { addressWords } from '../export/community-id.js';
import { enhancedPacket, interfaceDescription, nameResolution, sectionHeader } from '../export/pcapng-writer.js';

export const EXPORT_PCAPNG_HELP = `Usage: overlayscope export-pcapng CAPTURE... --out FILE [options]

One pcapng of the session for Wireshark: every packet of every capture in
time order across capture points (as captured: no clock correction), one
interface per capture point (if_name the point, if_description its host, file
and interface), a Name Resolution Block naming pods (name.namespace.pod),
Services (name.namespace.svc) and nodes when --cluster is given, and a
comment on each packet: its flow, tunnel, translation and journey hop.

Options:
  --out FILE           the pcapng to write (whole or not at all; never a capture read)
  --cluster FILE       kubectl metadata (repeatable)
  --vxlan-port N,...   UDP ports decoded as VXLAN (default 4789,8472)
  --geneve-port N,...  UDP ports decoded as Geneve (default 6081)
  --wireguard-port N,...
                       UDP ports decoded as WireGuard (default 51820)
  -h, --help           this help
Open it with: wireshark -o nameres.network_name:TRUE FILE (tshark: -N n).`;

interface Hop { journey: number; hop: number; label: string; note: string; translation: string | null; tunnel: string | null; timeNs: number }

/** ISO time (any precision) as ns since the epoch. */
function isoNs(iso: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return NaN;
  return Date.parse(`${m[1]}Z`) * 1e6 + Number((m[2] ?? '').padEnd(9, '0').slice(0, 9));
}

function addrBytes(ip: string): Uint8Array | null {
  const w = addressWords(ip);
  if (!w) return null;
  const out = new Uint8Array(4 * w.length);
  const dv = new DataView(out.buffer);
  w.forEach((x, i) => dv.setUint32(4 * i, x >>> 0));
  return out;
}

export async function runExportPcapng(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, {
    help: {}, out: { value: true }, cluster: { value: true, multiple: true },
    'vxlan-port': { value: true }, 'geneve-port': { value: true }, 'wireguard-port': { value: true }, ...CLOCK_SPEC,
  });
  if (args.flags.has('help')) { ctx.stdout(EXPORT_PCAPNG_HELP + '\n'); return 0; }
  if (!args.positional.length) throw new UsageError(`export-pcapng needs at least one capture file\n\n${EXPORT_PCAPNG_HELP}`);
  const out = one(args, 'out');
  if (!out) throw new UsageError(`export-pcapng needs --out FILE\n\n${EXPORT_PCAPNG_HELP}`);
  const vxlanPorts = portList(one(args, 'vxlan-port'), 'vxlan-port');
  const genevePorts = portList(one(args, 'geneve-port'), 'geneve-port');
  const wireguardPorts = portList(one(args, 'wireguard-port'), 'wireguard-port');
  const clusterFiles = args.options.get('cluster') ?? [];
  let clusterMetadata = null;
  if (clusterFiles.length) {
    const files = await Promise.all(clusterFiles.map(async (p) => ({
      name: p, text: await readFile(p, 'utf8').catch((e: NodeJS.ErrnoException) => { throw new InputError(`${p}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`); }),
    })));
    try { clusterMetadata = parseClusterMetadata(files); } catch (e) {
      if (e instanceof ClusterMetadataError) throw new InputError(`cluster metadata: ${e.message}`);
      throw e;
    }
  }
  const dissect = { ...(vxlanPorts ? { vxlanPorts } : {}), ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}) };
  const opts: AnalyzeOptions = { ...dissect, ...(clusterMetadata ? { clusterMetadata } : {}), ...clockOptions(args) };
  const session = await ctx.open(args.positional, opts);
  const pieces = await pcapngPieces(session, new DissectConfig(dissect));
  if (ctx.writePieces) await ctx.writePieces(out, pieces, args.positional);
  else throw new InputError('export-pcapng: this host cannot write binary files');
  let failed = false;
  for (const c of session.captures) {
    for (const i of c.issues) {
      if (i.severity !== 'error') continue;
      failed = true;
      ctx.stderr(`overlayscope: ${i.capture}: offset ${i.offset}: ${i.layer}: ${i.reason}${c.packets ? ` (${c.packets} packets read before it are exported)` : ''}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** The pcapng of a session as blocks, in file order. */
export async function pcapngPieces(session: AnalysisSession, cfg: DissectConfig): Promise<Uint8Array[]> {
  const j = session.toJSON() as Record<string, unknown> & { capturePoints?: Array<{ name: string; file: string; interface: number }>; journeys?: Array<{ id: number; label: string; hops: Array<{ point: string; time: string; src: { ip: string; port: number | null }; dst: { ip: string; port: number | null }; translation: string | null; tunnel: { type: string; vni: number; outerSrc: string; outerDst: string } | null; note: string }> }>; nodes?: Array<{ ip: string; name: string | null }>; pods?: Array<{ ip: string; name: string; namespace: string }>; services?: Array<{ name: string; namespace: string; clusterIp: string | null }>; clocks?: Array<{ host: string; capturePoints: string[] }> };
  const caps = session.captures;
  // Names of addresses: nodes, pods, Services.
  const names = new Map<string, string[]>();
  const addName = (ip: string | null | undefined, n: string): void => { if (!ip) return; const l = names.get(ip) ?? []; if (!l.includes(n)) l.push(n); names.set(ip, l); };
  for (const p of j.pods ?? []) addName(p.ip, `${p.name}.${p.namespace}.pod`);
  for (const s of j.services ?? []) addName(s.clusterIp, `${s.name}.${s.namespace}.svc`);
  for (const n of j.nodes ?? []) if (n.name) addName(n.ip, n.name);
  const nodeName = (ip: string): string => (j.nodes ?? []).find((n) => n.ip === ip)?.name ?? ip;
  // Capture points: (capture, interface) -> IDB id.
  const hostOf = new Map<string, string>();
  for (const c of j.clocks ?? []) for (const p of c.capturePoints) hostOf.set(p, c.host);
  const pointName = (c: number, iface: number): string => {
    const file = caps[c]!.file;
    const named = (j.capturePoints ?? []).find((p) => p.file === file && p.interface === iface);
    if (named) return named.name;
    const stem = path.basename(file).replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
    return caps[c]!.interfaces.length > 1 ? `${stem}/${caps[c]!.interfaces[iface]?.name ?? `if${iface}`}` : stem;
  };
  const idbOf = new Map<string, number>();
  const blocks: Uint8Array[] = [];
  const idbs: Uint8Array[] = [];
  const points: string[] = [];
  const idb = (c: number, iface: number): number => {
    const key = `${c}/${iface}`;
    let id = idbOf.get(key);
    if (id === undefined) {
      id = idbs.length;
      idbOf.set(key, id);
      const i = caps[c]!.interfaces[iface];
      const point = pointName(c, iface);
      points.push(point);
      const host = hostOf.get(point);
      idbs.push(interfaceDescription(i?.linkType ?? 1, i?.snapLen ?? 262144, point,
        `${host ? `host ${host}; ` : ''}file ${path.basename(caps[c]!.file)}; interface ${iface}${i?.name ? ` (${i.name})` : ''}`));
    }
    return id;
  };
  // Every capture point gets its interface, packets or not, in capture order.
  for (let c = 0; c < caps.length; c++) for (const i of caps[c]!.interfaces) idb(c, i.id);
  // Journey hops by point and direction (src > dst), in time order.
  const hops = new Map<string, Hop[]>();
  for (const jr of j.journeys ?? []) {
    jr.hops.forEach((h, k) => {
      const key = `${h.point}|${h.src.ip}:${h.src.port ?? ''}>${h.dst.ip}:${h.dst.port ?? ''}`;
      const list = hops.get(key) ?? [];
      list.push({ journey: jr.id, hop: k, label: jr.label, note: h.note, translation: h.translation,
        tunnel: h.tunnel ? `${nodeName(h.tunnel.outerSrc)} → ${nodeName(h.tunnel.outerDst)} ${h.tunnel.type.toUpperCase()}${h.tunnel.vni >= 0 ? ` ${h.tunnel.vni}` : ''}` : null,
        timeNs: isoNs(h.time) });
      hops.set(key, list);
    });
  }
  for (const l of hops.values()) l.sort((a, b) => a.timeNs - b.timeNs);
  // Every packet of every capture, in time order (ties: capture, then file order).
  let total = 0;
  for (const c of caps) total += c.index.count;
  const capOf = new Uint16Array(total), numOf = new Uint32Array(total);
  let k = 0;
  for (let c = 0; c < caps.length; c++) for (let n = 0; n < caps[c]!.index.count; n++) { capOf[k] = c; numOf[k] = n; k++; }
  const order = Array.from({ length: total }, (_, i) => i);
  order.sort((x, y) => {
    const ix = caps[capOf[x]!]!.index, iy = caps[capOf[y]!]!.index;
    return ix.tsSec(numOf[x]!) - iy.tsSec(numOf[y]!) || ix.tsNsec(numOf[x]!) - iy.tsNsec(numOf[y]!) || capOf[x]! - capOf[y]! || numOf[x]! - numOf[y]!;
  });
  const t = session.flows.table;
  const flowText = new Map<number, string>();
  const flowLabel = (f: number): string => {
    let s = flowText.get(f);
    if (s === undefined) {
      const { a, b } = endpoints(t, f);
      const ep = (e: { ip: string; port: number | null }): string => (e.port === null ? e.ip : e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
      s = `flow ${f} ${transportName(t.proto[f]!)} ${ep(a)} ↔ ${ep(b)}${t.depth[f]! > 0 ? ` (depth ${t.depth[f]})` : ''}`;
      flowText.set(f, s);
    }
    return s;
  };
  const p = new DecodedPacket();
  const packets: Uint8Array[] = [];
  for (const i of order) {
    const c = capOf[i]!, n = numOf[i]!;
    const cap = caps[c]!, index = cap.index;
    const ifc = index.iface(n);
    const id = idb(c, ifc);
    const caplen = index.capLen(n);
    const data = await session.sources[c]!.read(index.fileOffset(n), caplen);
    const parts: string[] = [];
    const inner = index.flowId[n] ?? -1, outer = index.outerFlowId[n] ?? -1;
    if (inner >= 0) parts.push(flowLabel(inner));
    const linkType = cap.interfaces[ifc]?.linkType ?? -1;
    let hop: Hop | null = null;
    if (inner >= 0 && linkTypeDecoded(linkType)) {
      decodePacket(p, data, 0, data.length, linkType, cfg);
      // The innermost level of the packet and its direction: the journey hop it belongs to.
      let lv = -1;
      for (let x = 0; x < p.netCount; x++) if (p.netQuoted[x] === 0) lv = x;
      if (lv >= 0) {
        const v = p.ipVersion[lv]!;
        const ports = p.l4Present[lv] !== 0;
        const key = `${points[id]}|${ipToString(v, p.ipSrc, 4 * lv)}:${ports ? p.srcPort[lv] : ''}>${ipToString(v, p.ipDst, 4 * lv)}:${ports ? p.dstPort[lv] : ''}`;
        const list = hops.get(key);
        if (list) {
          const ns = index.tsSec(n) * 1e9 + index.tsNsec(n);
          hop = list[0]!;
          for (const h of list) if (h.timeNs <= ns + 1e3) hop = h;
        }
        if (outer >= 0 && outer !== inner && lv > 0) {
          // The tunnel this packet crossed: outermost level's addresses, the innermost tunnel's type and id.
          const ov = p.ipVersion[0]!;
          const tt = t.tunnelOuter[inner]! >= 0 ? TUNNEL_NAMES[t.tunnelType[inner]!] ?? 'tunnel' : 'tunnel';
          const vni = t.tunnelOuter[inner]! >= 0 && tt !== 'ipip' ? ` ${t.tunnelVni[inner]}` : '';
          parts.push(`tunnel ${nodeName(ipToString(ov, p.ipSrc, 0))} → ${nodeName(ipToString(ov, p.ipDst, 0))} ${tt.toUpperCase()}${vni}`);
        }
      }
    }
    if (hop) {
      if (hop.translation) parts.push(hop.translation);
      parts.push(`journey ${hop.journey} "${hop.label}" hop ${hop.hop + 1} ${hop.note}`);
    }
    packets.push(enhancedPacket(id, index.tsSec(n), index.tsNsec(n), data, index.origLen(n), parts.length ? parts.join(' | ') : null));
  }
  blocks.push(sectionHeader('OverlayScope 0.1.0', `OverlayScope session of ${caps.length} capture(s), ${total} packets in time order as captured (no clock correction); one interface per capture point`));
  blocks.push(...idbs);
  const nrb = [...names].flatMap(([ip, n]) => { const a = addrBytes(ip); return a ? [{ addr: a, names: n }] : []; });
  if (nrb.length) blocks.push(nameResolution(nrb));
  blocks.push(...packets);
  return blocks;
}
