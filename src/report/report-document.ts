/**
 * The report as a document of sections, paragraphs, tables and charts,
 * independent of the output format: the HTML and the Markdown report render
 * the same document, so they hold the same sections and figures. Every text
 * here is plain (unescaped); each format escapes it.
 */
import { tunnelText } from '../api.js';
import type { ChartSpec } from './chart-spec.js';
import { linkTypeText } from './link-types.js';
import { addressNames, journeySvg } from './journey-svg.js';
import { clipTitle, visibleText } from './escape.js';
import {
  MAX_TABLE_ROWS, SECTION_TITLES, comparisonChartsOf, endpointText, fmtFixed, fmtValue, metricGroups, plural, rowDecimals,
  type ReportInput, type ReportSection,
} from './report-model.js';

export type Cell = string | number | null;

export type Block =
  | { kind: 'p'; text: string; note?: boolean }
  | { kind: 'h3'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; columns: string[]; numeric: boolean[]; rows: Cell[][]; total: number }
  | { kind: 'chart'; spec: ChartSpec }
  | { kind: 'charts'; specs: ChartSpec[] }
  /** A drawing made here (a journey): inline SVG for HTML, left out of Markdown (the table beside it has the figures). */
  | { kind: 'svg'; svg: string; alt: string };

export interface DocSection {
  id: ReportSection;
  title: string;
  blocks: Block[];
}

export interface ReportDocument {
  title: string;
  generatedAt: string;
  sections: DocSection[];
}

function table(columns: string[], rows: Cell[][], numeric?: boolean[]): Block {
  return {
    kind: 'table', columns, total: rows.length,
    rows: rows.slice(0, MAX_TABLE_ROWS),
    numeric: numeric ?? columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number')),
  };
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function buildReportDocument(input: ReportInput): ReportDocument {
  const sections: DocSection[] = [];
  const a = input.analysis;
  const add = (id: ReportSection, blocks: Block[]): void => { sections.push({ id, title: SECTION_TITLES[id], blocks }); };

  if (a) {
    const totalBytes = a.captures.reduce((s, c) => s + c.bytes, 0);
    const first = a.captures.map((c) => c.firstTime).filter((t): t is string => !!t).sort()[0] ?? null;
    const last = a.captures.map((c) => c.lastTime).filter((t): t is string => !!t).sort().pop() ?? null;
    const protos = Object.entries(a.protocols).sort((x, y) => y[1] - x[1]);
    add('summary', [
      { kind: 'p', text: `${a.captures.length} capture${a.captures.length === 1 ? '' : 's'}, ${fmtValue(a.packets)} packets, ${fmtValue(totalBytes)} bytes, from ${first ?? '—'} to ${last ?? '—'}. ${fmtValue(a.flows.length)} flows, ${fmtValue(a.http.length)} HTTP transactions, ${fmtValue(a.dns.length)} DNS transactions.` },
      table(['capture', 'format', 'link types', 'packets', 'bytes', 'first', 'last', 'complete'],
        a.captures.map((c) => [c.file.split(/[\\/]/).pop() ?? c.file, c.format, c.linkTypes.map(linkTypeText).join(', '), c.packets, c.bytes, c.firstTime, c.lastTime, c.complete ? 'yes' : 'no (stopped at an error)'])),
      // Offloaded super-packets (src/pipeline/offloads.ts): the packet counts are as captured, not as sent.
      ...a.captures.filter((c) => c.offload).map((c) => ({ kind: 'p' as const, note: true,
        text: `${c.file.split(/[\\/]/).pop() ?? c.file}: offloads were on: ${fmtValue(c.offload!.frames)} of ${fmtValue(c.packets)} frames exceed ${c.offload!.limit} bytes, up to ${fmtValue(c.offload!.largest)} (GSO/TSO/GRO super-packets): packets are counted as captured, not as the segments on the wire.` })),
      ...(a.capturePoints?.length ? [table(['capture point', 'file', 'TCP/UDP packets', 'copies of packets seen elsewhere'],
        a.capturePoints.map((p) => [p.name, p.file.split(/[\\/]/).pop() ?? p.file, p.packets, p.copies]))] : []),
      { kind: 'chart', spec: { kind: 'bars', id: 'protocols', title: 'Packets by protocol (any depth)', unit: 'packets', series: ['packets'], rows: protos.slice(0, 16).map(([label, n]) => ({ label, values: [n] })) } },
      table(['protocol', 'packets'], protos.map(([p, n]) => [p, n])),
    ]);

    add('flows', [
      { kind: 'p', text: `${fmtValue(a.flows.length)} flows at every depth (depth 0 outermost, 1 inside one tunnel: VXLAN, Geneve, IP-in-IP, GRE, ERSPAN), largest first.` },
      table(['id', 'depth', 'transport', 'A', 'B', 'packets', 'bytes', 'A→B', 'B→A', 'first', 'last', 'tunnel', 'service'],
        [...a.flows].sort((x, y) => y.bytes - x.bytes || x.id - y.id).map((f) => [
          f.id, f.depth, f.transport, endpointText(f.a), endpointText(f.b), f.packets, f.bytes, f.packetsAtoB, f.packetsBtoA, f.firstTime, f.lastTime,
          f.tunnel ? `${tunnelText(f.tunnel)} (flow ${f.tunnel.outerFlow})` : null,
          str((f as { service?: unknown }).service),
        ])),
    ]);

    add('http', [
      table(['flow', 'method', 'host', 'URI', 'status', 'request time', 'TTFB ms', 'total ms'],
        a.http.map((h) => [h.flow, h.method, h.host, h.uri, h.status, h.requestTime, (h['ttfbMs'] as number | null | undefined) ?? null, (h['totalMs'] as number | null | undefined) ?? null]),
        [true, false, false, false, true, false, true, true]),
    ]);

    const dns = a.dns as Array<Record<string, unknown>>;
    add('dns', [
      table(['flow', 'name', 'type', 'rcode', 'answers', 'query time', 'latency ms'],
        dns.map((d) => [d['flow'] as number, str(d['name']), str(d['type']), str(d['rcode']), Array.isArray(d['answers']) ? (d['answers'] as unknown[]).map(String).join(', ') : null, str(d['queryTime']), (d['latencyMs'] as number | null) ?? null]),
        [true, false, false, false, false, false, true]),
    ]);

    const overlay: Block[] = [];
    if (a.nodes?.length) {
      overlay.push({ kind: 'h3', text: 'Nodes (tunnel endpoints)' },
        table(['node IP', 'name', 'VTEP MACs', 'VNIs', 'pod CIDRs'], a.nodes.map((n) => [n.ip, n.name, n.vtepMacs.join(', '), n.vnis.join(', '), n.podCidrs.map((c) => `${c.cidr} (${c.source === 'cluster' ? 'from kubectl, ' : ''}${c.evidence} packets)`).join(', ')])));
    }
    if (a.tunnels?.length) {
      overlay.push({ kind: 'h3', text: 'Tunnels (node to node)' },
        table(['from', 'to', 'type', 'VNI', 'packets', 'bytes', 'encapsulation bytes', 'inner flows'], a.tunnels.map((t) => [t.a, t.b, t.type, t.vni, t.packets, t.bytes, t.overheadBytes, t.innerFlows])));
    }
    if (a.pods?.length) {
      overlay.push({ kind: 'h3', text: 'Pods' }, table(['IP', 'name', 'namespace', 'node'], a.pods.map((p) => [p.ip, p.name, p.namespace, p.node])));
    }
    if (a.services?.length) {
      overlay.push({ kind: 'h3', text: 'Services' }, table(['name', 'namespace', 'ClusterIP', 'ports'],
        a.services.map((s) => [s.name, s.namespace, s.clusterIp, s.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}→${p.targetPort ?? ''}/${p.protocol}`).join(', ')])));
    }
    if (!overlay.length) overlay.push({ kind: 'p', text: 'No VXLAN or Geneve tunnel was seen and no cluster metadata was loaded.', note: true });
    add('overlay', overlay);

    const tr = a.translations ?? [];
    add('translations', tr.length ? [
      table(['kind', 'service', 'original', 'translated', 'original seen at', 'translated seen at', 'evidence'],
        tr.map((t) => [t.kind, t.service, `${endpointText(t.original.src)} → ${endpointText(t.original.dst)}`, `${endpointText(t.translated.src)} → ${endpointText(t.translated.dst)}`,
          t.originalSeenAt.join(', '), t.translatedSeenAt.join(', '), t.evidence])),
    ] : [{ kind: 'p', text: 'No address translation was found (it takes captures from both sides of a NAT).', note: true }]);

    const js = a.journeys ?? [];
    const jb: Block[] = [];
    const names = addressNames(a);
    for (const [k, j] of js.slice(0, 50).entries()) {
      jb.push({ kind: 'h3', text: `${j.label}${j.complete ? '' : ' (incomplete)'}${j.ingress ? ` — via Ingress ${j.ingress.namespace}/${j.ingress.name} (${j.ingress.host ?? '*'}${j.ingress.path ?? '/'} → ${j.ingress.service ?? '?'}${j.ingress.port !== null ? `:${j.ingress.port}` : ''})` : ''}` },
        table(['#', 'capture point', 'time', 'source', 'destination', 'translation', 'tunnel', 'packets', 'ms', 'note'],
          j.hops.map((hp, i) => [i + 1, hp.point, hp.time, endpointText(hp.src), endpointText(hp.dst), hp.translation,
            hp.tunnel ? `${tunnelText(hp.tunnel)} ${hp.tunnel.outerSrc} → ${hp.tunnel.outerDst}` : null, hp.packets, hp.latencyMs, hp.note]),
          [true, false, false, false, false, false, false, true, true, false]));
      // The first 20 journeys drawn (lanes per address, named by the metadata); the tables have them all.
      if (k < 20 && j.hops.length) jb.splice(jb.length - 1, 0, { kind: 'svg', svg: journeySvg(j, names), alt: `Journey ${j.label}` });
    }
    if (js.length > 50) jb.push({ kind: 'p', text: `… and ${js.length - 50} more journeys (all are in the JSON report).`, note: true });
    add('journeys', jb.length ? jb : [{ kind: 'p', text: 'No request journey: a journey needs an HTTP request seen at two or more capture points, or at one point both before and after NAT or a tunnel, or a proxy\'s upstream request that it caused.', note: true }]);
  }

  const c = input.comparison;
  if (c) {
    const blocks: Block[] = [
      { kind: 'p', text: `A: ${c.a.label} (${plural(c.a.points.length, 'capture point')}, ${plural(c.a.requests, 'client request')}). B: ${c.b.label} (${plural(c.b.points.length, 'capture point')}, ${plural(c.b.requests, 'client request')}). Columns say A and B; B − A is the difference.` },
      { kind: 'h3', text: 'What makes the difference' },
      { kind: 'list', items: c.explanation },
      { kind: 'charts', specs: comparisonChartsOf(c) },
      { kind: 'h3', text: 'Packets per request by hop' },
      table(['hop', 'A', 'B', 'B − A'], c.perHop.map((h) => {
        const dh = Math.round((h.b - h.a) * 1000) / 1000;
        const d = rowDecimals([h.a, h.b, dh]);
        return [h.hop, fmtFixed(h.a, d), fmtFixed(h.b, d), fmtFixed(dh, d, true)];
      }), [false, true, true, true]),
    ];
    // Capture points paired by role (src/compare/sides.ts): one row per role with each side's point.
    if (c.points?.length) {
      blocks.push({ kind: 'h3', text: 'Capture points, paired by role' },
        table(['capture point', 'A point', 'B point', 'A packets', 'B packets', 'B − A', 'A per request', 'B per request'], c.points.map((p) => {
          const d = rowDecimals([p.a?.packetsPerRequest ?? null, p.b?.packetsPerRequest ?? null]);
          return [p.role, p.a?.name ?? '—', p.b?.name ?? '—', fmtFixed(p.a?.packets ?? null, 0), fmtFixed(p.b?.packets ?? null, 0),
            p.a && p.b ? fmtFixed(p.b.packets - p.a.packets, 0, true) : '—', fmtFixed(p.a?.packetsPerRequest ?? null, d), fmtFixed(p.b?.packetsPerRequest ?? null, d)];
        }), [false, false, false, true, true, true, true, true]));
    }
    for (const g of metricGroups(c)) {
      blocks.push({ kind: 'h3', text: `Metrics: ${g.group}` },
        table(['metric', 'unit', 'A', 'B', 'B − A'], g.metrics.map((m) => {
          // One rounding rule a row: A, B and B − A with the same decimals.
          const d = rowDecimals([m.a, m.b, m.delta]);
          return [m.name, (m as { unit?: string }).unit ?? '', fmtFixed(m.a, d), fmtFixed(m.b, d), fmtFixed(m.delta, d, true)];
        }),
          [false, false, true, true, true]));
    }
    blocks.push({ kind: 'h3', text: 'Requests' },
      table(['request', `A TTFB ms`, `A total ms`, `B TTFB ms`, `B total ms`], c.latency.map((l) => [l.request, l.a, l.aTotal, l.b, l.bTotal])));
    add('comparison', blocks);
  }

  if (a) {
    const issues = a.issues;
    add('issues', issues.length ? [
      table(['capture', 'packet', 'offset', 'layer', 'reason', 'severity'], issues.map((i) => [i.capture.split(/[\\/]/).pop() ?? i.capture, i.packet, i.offset, i.layer, i.reason, i.severity]),
        [false, true, true, false, false, false]),
    ] : [{ kind: 'p', text: 'Every packet was read and decoded without a problem.', note: true }]);
  }
  return { title: clipTitle(visibleText(input.label), 100), generatedAt: input.generatedAt, sections };
}
