/**
 * A session as one Wireshark-ready pcapng (blocks from pcapng-writer.ts):
 * every record of every capture in time order across capture points (on the
 * reference host's clock when the session corrects clock offsets: the
 * Section Header's comment states the correction, host by host), one
 * Interface Description Block per capture point (if_name the point,
 * if_description its host, source file and interface), a Name Resolution
 * Block naming pods (name.namespace.pod), Services (name.namespace.svc) and
 * nodes, and per packet a comment with its flow, tunnel ("node1 → node2
 * VXLAN 1"), translation and journey hop. Optionally only the packets a
 * display filter matches, or those of one journey. Platform-neutral: the CLI
 * (src/cli/export-pcapng.ts), Electron's engine worker and the browser's Web
 * Worker (Export → "pcapng for Wireshark") all call `pcapngPieces`.
 */
import type { AnalysisSession } from '../session/analysis-session.js';
import type { DissectConfig } from '../dissect/config.js';
import { DecodedPacket } from '../dissect/decoded.js';
import { decodePacket, linkTypeDecoded } from '../dissect/decoder.js';
import { ipToString } from '../dissect/addr.js';
import { TUNNEL_NAMES } from '../dissect/layers.js';
import { endpoints, transportName } from '../flows/flow-output.js';
import type { CompiledFilter } from '../filter/compile.js';
import type { FilterFacts } from '../filter/input.js';
import { FrameFilter } from '../filter/frame-filter.js';
import type { PacketRecord } from '../capture/types.js';
import { addressWords } from '../flows/community-id.js';
import { enhancedPacket, interfaceDescription, nameResolution, sectionHeader } from './pcapng-writer.js';

export interface PcapngExportOptions {
  /** Only the packets this display filter matches (frame fields are each capture's, as tshark gives them). */
  filter?: CompiledFilter | null;
  /** The session's facts for the filter (k8s.* fields); none without. */
  facts?: FilterFacts;
  /** Only the packets of this journey's connections, at the points its hops were seen (`journeys[].id`). */
  journey?: number | null;
}

/** A journey id the session does not have. */
export class UnknownJourneyError extends Error {
  constructor(readonly journey: number, readonly known: number) {
    super(`no journey ${journey}: this session has ${known} journey${known === 1 ? '' : 's'}${known ? ` (ids 0-${known - 1})` : ''}`);
  }
}

interface Hop { journey: number; hop: number; label: string; note: string; translation: string | null; tunnel: string | null; timeNs: number }

/** ISO time (any precision) as ns since the epoch (a double: ~256 ns steps, enough to tell hops apart). */
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

const baseName = (f: string): string => f.split(/[\\/]/).pop() ?? f;

/**
 * --filter's answer for every packet of every capture (1: kept), each capture
 * read in file order as tshark reads it: frame numbers, times since the
 * file's first record and the TCP analysis behind tcp.seq and tcp.analysis.*
 * (state over the records in file order, src/filter/tcp-analysis.ts) are the
 * file's, whatever order the records' times are in. The export then walks
 * time order and skips what was not kept.
 */
async function filterMatches(session: AnalysisSession, cfg: DissectConfig, filter: CompiledFilter, facts: FilterFacts): Promise<Uint8Array[]> {
  const p = new DecodedPacket();
  const record: PacketRecord = { index: 0, offset: 0, dataOffset: 0, tsSec: 0, tsNsec: 0, capturedLength: 0, originalLength: 0, linkType: 0, interfaceId: 0, timeless: false };
  const out: Uint8Array[] = [];
  for (let c = 0; c < session.captures.length; c++) {
    const cap = session.captures[c]!, index = cap.index;
    const ff = new FrameFilter(filter, cfg, cap.format === 'pcapng', facts, c);
    const hit = new Uint8Array(index.count);
    for (let n = 0; n < index.count; n++) {
      const ifc = index.iface(n);
      const caplen = index.capLen(n);
      const data = await session.sources[c]!.read(index.fileOffset(n), caplen);
      const linkType = cap.interfaces[ifc]?.linkType ?? -1;
      const decodable = linkTypeDecoded(linkType);
      if (decodable) decodePacket(p, data, 0, data.length, linkType, cfg);
      record.index = n; record.tsSec = index.tsSec(n); record.tsNsec = index.tsNsec(n);
      record.capturedLength = caplen; record.originalLength = index.origLen(n); record.linkType = linkType; record.interfaceId = ifc;
      hit[n] = ff.matches(record, data, 0, data.length, decodable ? p : null) ? 1 : 0;
    }
    out.push(hit);
  }
  return out;
}

/** The pcapng of a session as blocks, in file order. */
export async function pcapngPieces(session: AnalysisSession, cfg: DissectConfig, options: PcapngExportOptions = {}): Promise<Uint8Array[]> {
  const j = session.toJSON() as Record<string, unknown> & { capturePoints?: Array<{ name: string; file: string; interface: number }>; journeys?: Array<{ id: number; label: string; hops: Array<{ point: string; time: string; src: { ip: string; port: number | null }; dst: { ip: string; port: number | null }; translation: string | null; tunnel: { type: string; vni: number; outerSrc: string; outerDst: string } | null; note: string }> }>; nodes?: Array<{ ip: string; name: string | null }>; pods?: Array<{ ip: string; name: string; namespace: string }>; services?: Array<{ name: string; namespace: string; clusterIp: string | null }>; clocks?: Array<{ host: string; capturePoints: string[]; offsetMs: number; corrected: boolean; reference: boolean }> };
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
    const stem = baseName(file).replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
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
        `${host ? `host ${host}; ` : ''}file ${baseName(caps[c]!.file)}; interface ${iface}${i?.name ? ` (${i.name})` : ''}`));
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
  // --journey: the (point, tuple) pairs of its hops, either direction.
  let journeyKeys: Set<string> | null = null;
  if (options.journey !== undefined && options.journey !== null) {
    const jr = (j.journeys ?? []).find((x) => x.id === options.journey);
    if (!jr) throw new UnknownJourneyError(options.journey, (j.journeys ?? []).length);
    journeyKeys = new Set();
    for (const h of jr.hops) {
      journeyKeys.add(`${h.point}|${h.src.ip}:${h.src.port ?? ''}>${h.dst.ip}:${h.dst.port ?? ''}`);
      journeyKeys.add(`${h.point}|${h.dst.ip}:${h.dst.port ?? ''}>${h.src.ip}:${h.src.port ?? ''}`);
    }
  }
  // Clock correction (src/overlay/clock-state.ts): each packet's time on the reference host's clock.
  const overlay = session.overlay();
  const corrected = overlay.clockState.corrected;
  const correction = (c: number, n: number): number => {
    if (!corrected) return 0;
    const ix = caps[c]!.index;
    return Math.round(overlay.correctionNs(c, ix.iface(n), ix.tsSec(n), ix.tsNsec(n)));
  };
  // Every packet of every capture, in time order (ties: capture, then file order).
  let total = 0;
  for (const c of caps) total += c.index.count;
  const capOf = new Uint16Array(total), numOf = new Uint32Array(total);
  let k = 0;
  for (let c = 0; c < caps.length; c++) for (let n = 0; n < caps[c]!.index.count; n++) { capOf[k] = c; numOf[k] = n; k++; }
  // Times relative to the earliest second (a double holds ns exactly there), corrected.
  let base = Infinity;
  for (const c of caps) if (c.index.count) base = Math.min(base, c.index.tsSec(0));
  const rel = new Float64Array(total);
  const corr = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    const ix = caps[capOf[i]!]!.index, n = numOf[i]!;
    corr[i] = correction(capOf[i]!, n);
    rel[i] = (ix.tsSec(n) - base) * 1e9 + ix.tsNsec(n) - corr[i]!;
  }
  const order = Array.from({ length: total }, (_, i) => i);
  order.sort((x, y) => rel[x]! - rel[y]! || capOf[x]! - capOf[y]! || numOf[x]! - numOf[y]!);
  // --filter: each capture's answers, found in its file order (frame numbers, times and TCP analysis as tshark's).
  const filterHits = options.filter ? await filterMatches(session, cfg, options.filter, options.facts ?? {}) : null;
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
  let kept = 0;
  for (const i of order) {
    const c = capOf[i]!, n = numOf[i]!;
    if (filterHits && filterHits[c]![n] === 0) continue;
    const cap = caps[c]!, index = cap.index;
    const ifc = index.iface(n);
    const id = idb(c, ifc);
    const caplen = index.capLen(n);
    const data = await session.sources[c]!.read(index.fileOffset(n), caplen);
    const parts: string[] = [];
    const inner = index.flowId[n] ?? -1, outer = index.outerFlowId[n] ?? -1;
    if (inner >= 0) parts.push(flowLabel(inner));
    const linkType = cap.interfaces[ifc]?.linkType ?? -1;
    const decodable = linkTypeDecoded(linkType);
    if (decodable && inner >= 0) decodePacket(p, data, 0, data.length, linkType, cfg);
    let hop: Hop | null = null;
    let key: string | null = null;
    if (inner >= 0 && decodable) {
      // The innermost level of the packet and its direction: the journey hop it belongs to.
      let lv = -1;
      for (let x = 0; x < p.netCount; x++) if (p.netQuoted[x] === 0) lv = x;
      if (lv >= 0) {
        const v = p.ipVersion[lv]!;
        const ports = p.l4Present[lv] !== 0;
        key = `${points[id]}|${ipToString(v, p.ipSrc, 4 * lv)}:${ports ? p.srcPort[lv] : ''}>${ipToString(v, p.ipDst, 4 * lv)}:${ports ? p.dstPort[lv] : ''}`;
        const list = hops.get(key);
        if (list) {
          const ns = index.tsSec(n) * 1e9 + index.tsNsec(n) - corr[i]!;
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
    if (journeyKeys && (key === null || !journeyKeys.has(key))) continue;
    if (hop) {
      if (hop.translation) parts.push(hop.translation);
      parts.push(`journey ${hop.journey} "${hop.label}" hop ${hop.hop + 1} ${hop.note}`);
    }
    // The time written: as captured, less the host's clock correction (exact in BigInt ns).
    let sec = index.tsSec(n), nsec = index.tsNsec(n) - corr[i]!;
    if (nsec < 0 || nsec >= 1e9) { const d = Math.floor(nsec / 1e9); sec += d; nsec -= d * 1e9; }
    packets.push(enhancedPacket(id, sec, nsec, data, index.origLen(n), parts.length ? parts.join(' | ') : null));
    kept++;
  }
  const clockText = corrected
    ? `times corrected to ${(j.clocks ?? []).find((x) => x.reference)?.host ?? 'the reference host'}'s clock (${(j.clocks ?? []).filter((x) => x.corrected).map((x) => `${x.host}'s clock ${Math.abs(x.offsetMs)} ms ${x.offsetMs >= 0 ? 'ahead' : 'behind'}, ${x.offsetMs >= 0 ? 'subtracted' : 'added'}`).join('; ')})`
    : 'times as captured (no clock correction)';
  const selection = journeyKeys ? `, only journey ${options.journey}'s connections` : '';
  const filterText = options.filter ? `, only packets matching the display filter ${JSON.stringify(options.filter.source)}` : '';
  blocks.push(sectionHeader('OverlayScope 0.1.0', `OverlayScope session of ${caps.length} capture(s): ${kept} of ${total} packets${selection}${filterText}, in time order across capture points; ${clockText}; one interface per capture point`));
  blocks.push(...idbs);
  const nrb = [...names].flatMap(([ip, n]) => { const a = addrBytes(ip); return a ? [{ addr: a, names: n }] : []; });
  if (nrb.length) blocks.push(nameResolution(nrb));
  blocks.push(...packets);
  return blocks;
}
