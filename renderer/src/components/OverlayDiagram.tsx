/**
 * The overlay at a glance: the client(s) and the node they entered by, the
 * nodes with their pod subnets and pods, the tunnels between nodes (one arc
 * and one label per node pair and tunnel, both directions in it), and the
 * Services below with an edge to each pod behind them (metadata's
 * endpoints, else the DNATs seen). Labels are laid out so that none
 * overlaps another: widths from the monospace text, each tunnel label lifted
 * above any label already placed where it would collide.
 */
import type { Identity, OverlayView } from '../../../src/api.js';
import { tunnelText } from '../../../src/api.js';
import { fmtBytes, fmtInt } from '../format.js';
import { identityOf } from './journey-model.js';

/** Width of a character of the diagram's monospace text at 11px. */
const CH = 6.7;
const LINE = 14;
const NODE_W = 300;
const GAP = 60;
/** The client column: its box, then room for the entry edge's words. */
const CLIENT_BOX = 150;
const CLIENT_W = CLIENT_BOX + 120;
/** A pod's row in its node: name, then address. */
const POD_H = 32;
/** One hue per Service: its box's border and its edges, so that edges sharing a channel still tell whose they are. */
const SVC_COLORS = ['#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#2563eb'];

interface Box { x: number; y: number; w: number; h: number }
const overlaps = (a: Box, b: Box, m = 4) => a.x < b.x + b.w + m && b.x < a.x + a.w + m && a.y < b.y + b.h + m && b.y < a.y + a.h + m;
const boxW = (lines: string[]) => Math.ceil(Math.max(...lines.map((l) => l.length * CH))) + 16;

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const toNum = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  if (!net || !bits || ip.includes(':') || net.includes(':')) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNum(ip) / size) === Math.floor(toNum(net) / size);
}

interface SvcBox { key: string; title: string; sub: string[]; inferred: boolean; endpoints: string[] }

/** Services: the metadata's (endpoints from its EndpointSlices), else those inferred from DNATs seen. */
function servicesOf(view: OverlayView): SvcBox[] {
  if (view.services.length) {
    return view.services.slice(0, 12).map((s) => ({
      key: `${s.namespace}/${s.name}`, title: `${s.namespace}/${s.name}`, inferred: false,
      sub: [s.clusterIp ? `ClusterIP ${s.clusterIp}` : 'headless', s.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(' ')],
      endpoints: (s.endpoints ?? []).map((e) => e.ip),
    }));
  }
  const m = new Map<string, SvcBox>();
  for (const t of view.translations) {
    if (t.kind === 'snat') continue;
    const id = identityOf(view, t.original.dst);
    if (!id || id.kind !== 'service') continue;
    const b = m.get(id.name) ?? { key: id.name, title: id.name, sub: [id.node ? 'NodePort (inferred)' : 'ClusterIP (inferred)', 'from the DNATs seen'], inferred: true, endpoints: [] };
    if (!b.endpoints.includes(t.translated.dst.ip)) b.endpoints.push(t.translated.dst.ip);
    m.set(id.name, b);
  }
  return [...m.values()].slice(0, 12);
}

/** Clients: the first source of each journey that is no node, pod or Service, with the node address and port they entered by. */
function clientsOf(view: OverlayView): Array<{ ip: string; entry: string; port: number | null; requests: number; nodePort: Identity | null }> {
  const m = new Map<string, { ip: string; entry: string; port: number | null; requests: number; nodePort: Identity | null }>();
  const isClient = (i: Identity | null) => !i || i.kind === 'external';
  for (const j of view.journeys) {
    const h = j.hops[0];
    if (!h || !isClient(identityOf(view, h.src))) continue;
    const k = `${h.src.ip}|${h.dst.ip}|${h.dst.port}`;
    const e = m.get(k) ?? { ip: h.src.ip, entry: h.dst.ip, port: h.dst.port, requests: 0, nodePort: identityOf(view, h.dst) };
    e.requests++;
    m.set(k, e);
  }
  return [...m.values()].slice(0, 4);
}

export function OverlayDiagram({ view }: { view: OverlayView }) {
  const nodes = view.nodes;
  const nodeName = (ip: string) => nodes.find((n) => n.ip === ip)?.name ?? ip;
  const podsOf = (n: OverlayView['nodes'][number]) => view.pods.filter((p) => (p.node && p.node === n.name) || n.podCidrs.some((c) => ipInCidr(p.ip, c.cidr)));
  const clients = clientsOf(view);
  const svcs = servicesOf(view);
  const x0 = clients.length ? CLIENT_W : 20;
  const maxPods = Math.max(0, ...nodes.map((n) => Math.min(8, podsOf(n).length)));
  const nodeH = 64 + 18 * Math.max(...nodes.map((n) => n.podCidrs.length), 1) + POD_H * maxPods + 8;
  const nx = (i: number) => x0 + i * (NODE_W + GAP);
  const index = new Map(nodes.map((n, i) => [n.ip, i]));

  // Tunnels: one arc and one label per node pair, tunnel type and id; both directions in its label.
  interface Pair { a: number; b: number; type: string; vni: number; dirs: OverlayView['tunnels'] }
  const pairs: Pair[] = [];
  for (const t of view.tunnels) {
    const ia = index.get(t.a), ib = index.get(t.b);
    if (ia == null || ib == null) continue;
    const [a, b] = ia <= ib ? [ia, ib] : [ib, ia];
    let p = pairs.find((x) => x.a === a && x.b === b && x.type === t.type && x.vni === t.vni);
    if (!p) pairs.push((p = { a, b, type: t.type, vni: t.vni, dirs: [] }));
    p.dirs.push(t);
  }
  const maxPk = Math.max(1, ...pairs.map((p) => p.dirs.reduce((s, d) => s + d.packets, 0)));
  // Labels in a coordinate space where the node row's top is y = 0 (shifted down once the highest label is known).
  const placed: Box[] = [];
  const labels = pairs
    .map((p) => {
      const lines = [`${nodes[p.a]!.name ?? nodes[p.a]!.ip} ⇄ ${nodes[p.b]!.name ?? nodes[p.b]!.ip} · ${tunnelText(p)}`,
        ...p.dirs.map((d) => `${nodeName(d.a)} → ${nodeName(d.b)}: ${fmtInt(d.packets)} pkts · ${fmtBytes(d.bytes)} · ${fmtInt(d.innerFlows)} inner flows`)];
      return { p, lines, w: boxW(lines), h: lines.length * LINE + 8 };
    })
    // Short spans first, low; longer spans above them.
    .sort((u, v) => (u.p.b - u.p.a) - (v.p.b - v.p.a) || u.p.a - v.p.a);
  const laid = labels.map((l) => {
    const mid = (nx(l.p.a) + nx(l.p.b)) / 2 + NODE_W / 2;
    const box: Box = { x: Math.max(4, mid - l.w / 2), y: -30 - l.h, w: l.w, h: l.h };
    // Lift until clear of every label placed before (bounded: one step per label).
    for (let k = 0; k <= placed.length && placed.some((q) => overlaps(q, box)); k++) box.y = Math.min(...placed.filter((q) => overlaps(q, box)).map((q) => q.y)) - box.h - 8;
    placed.push(box);
    return { ...l, box, mid };
  });
  const topY = Math.max(20, ...laid.map((l) => -l.box.y + 10));
  const svcY = topY + nodeH + 60;
  const svcH = 20 + 2 * LINE + 8;
  const svcBoxes = svcs.map((s, i) => ({ s, box: { x: x0 + i * 230, y: svcY, w: Math.max(200, boxW([s.title, ...s.sub])), h: svcH } }));
  // Service boxes side by side without touching.
  for (let i = 1; i < svcBoxes.length; i++) svcBoxes[i]!.box.x = Math.max(svcBoxes[i]!.box.x, svcBoxes[i - 1]!.box.x + svcBoxes[i - 1]!.box.w + 16);
  const height = svcY + (svcs.length ? svcH + 16 : 0) + 10;
  const clientBoxes = clients.map((c, i) => {
    const lines = ['client', c.ip];
    return { c, lines, box: { x: 10, y: topY + 20 + i * 70, w: CLIENT_BOX, h: 44 } };
  });
  const width = Math.max(720, nx(nodes.length - 1) + NODE_W + 20, ...laid.map((l) => l.box.x + l.box.w + 10), ...svcBoxes.map((b) => b.box.x + b.box.w + 10));

  // Pod rows inside nodes, for the Service → pod edges.
  const podY = new Map<string, { x: number; y: number; node: number }>();
  nodes.forEach((n, i) => {
    podsOf(n).slice(0, 8).forEach((p, k) => podY.set(p.ip, { x: nx(i) + NODE_W - 26, y: topY + 64 + 18 * Math.max(1, n.podCidrs.length) + k * POD_H + 4, node: i }));
  });
  return (
    <svg className="overlay-svg" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="Overlay diagram" data-testid="overlay-diagram">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" className="arrowhead" /></marker>
        {/* Tunnel arcs are drawn thick by their packets: their arrowheads keep one size. */}
        <marker id="tarrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" className="tunnel-arrowhead" /></marker>
      </defs>
      {/* Arcs first, labels after: a label is never crossed by another tunnel's arc. Each arc peaks under its own label. */}
      {laid.map((l, k) => {
        const x1 = nx(l.p.a) + NODE_W / 2, x2 = nx(l.p.b) + NODE_W / 2;
        const apex = topY + l.box.y + l.box.h;
        const both = new Set(l.p.dirs.map((d) => d.a)).size > 1;
        const w = 1.5 + 5 * (l.p.dirs.reduce((s, d) => s + d.packets, 0) / maxPk);
        return <path key={`p${k}`} className="tunnel-edge" d={`M${x1},${topY} Q${(x1 + x2) / 2},${2 * apex - topY} ${x2},${topY}`} strokeWidth={w} fill="none" markerEnd="url(#tarrow)" markerStart={both ? 'url(#tarrow)' : undefined} />;
      })}
      {clientBoxes.map(({ c, box }, i) => {
        const n = nodes.findIndex((x) => x.ip === c.entry || (c.nodePort?.node && x.name === c.nodePort.node));
        const tx = n >= 0 ? nx(n) : x0;
        const ty = box.y + box.h / 2;
        const what = c.nodePort?.kind === 'service' ? (c.nodePort.node ? `NodePort ${c.port}` : c.nodePort.name) : `${c.entry}:${c.port}`;
        return <g key={`ce${i}`}><line x1={box.x + box.w} y1={ty} x2={tx - 3} y2={ty} className="client-edge" markerEnd="url(#arrow)" />
          <text x={box.x + box.w + 8} y={ty - 20} className="edge-sub" data-testid="diagram-edge-text">{what}</text>
          <text x={box.x + box.w + 8} y={ty - 6} className="edge-sub" data-testid="diagram-edge-text">{`${c.requests} request${c.requests === 1 ? '' : 's'}`}</text></g>;
      })}
      {laid.map((l, k) => (
        <g key={`l${k}`} className="tunnel-label" data-testid="diagram-label">
          <rect x={l.box.x} y={topY + l.box.y} width={l.box.w} height={l.box.h} rx={5} className="edge-badge" />
          {l.lines.map((t, i) => <text key={i} x={l.box.x + 8} y={topY + l.box.y + 15 + i * LINE} className={i === 0 ? 'edge-label' : 'edge-sub'}>{t}</text>)}
        </g>
      ))}
      {clientBoxes.map(({ c, lines, box }, i) => (
        <g key={`c${i}`} className="client-box" data-testid="diagram-label" data-kind="client">
          <rect x={box.x} y={box.y} width={box.w} height={box.h} rx={8} />
          <text x={box.x + 10} y={box.y + 18} className="node-name">{lines[0]}</text>
          <text x={box.x + 10} y={box.y + 35} className="node-sub">{c.ip}</text>
        </g>
      ))}
      {nodes.map((n, i) => {
        const pods = podsOf(n);
        let y = topY + 22;
        return (
          <g key={n.ip} transform={`translate(${nx(i)},0)`} className="node-box" data-testid="diagram-label" data-kind="node">
            <rect x={0} y={topY} width={NODE_W} height={nodeH} rx={10} />
            <text x={12} y={y} className="node-name">{n.name ?? n.ip}{n.nameInferred ? <tspan className="node-sub"> (inferred)</tspan> : null}</text>
            <text x={12} y={(y += 18)} className="node-sub">{`${n.ip}${n.vtepMacs[0] ? ` · VTEP ${n.vtepMacs[0]}` : ''}`}</text>
            {n.podCidrs.map((c) => <text key={c.cidr} x={12} y={(y += 18)} className="node-cidr">{`pod subnet ${c.cidr}${c.source === 'traffic' ? ' (inferred)' : ''}`}<title>{`${c.source === 'cluster' ? 'from the cluster metadata (kubectl podCIDRs); ' : 'inferred from the traffic; '}${c.evidence} packets of evidence`}</title></text>)}
            {pods.slice(0, 8).map((p, k) => {
              const py = topY + 64 + 18 * Math.max(1, n.podCidrs.length) + k * POD_H;
              const name = p.name ?? (p.inferred ? 'pod (inferred)' : '(pod)');
              return (
                // Keyed by name and address: one address can be two pods over the session (a pod replaced, its address reused).
                <g key={`${p.namespace ?? ''}/${p.name ?? ''}|${p.ip}|${k}`} data-testid="diagram-pod" data-ip={p.ip} data-name={p.name ?? ''}>
                  <rect x={10} y={py - 12} width={NODE_W - 36} height={POD_H - 4} rx={4} className="pod-box" />
                  <text x={16} y={py} className="pod-text">{clipTo(name, NODE_W - 48)}<title>{`${p.namespace ? `${p.namespace}/` : ''}${name} ${p.ip}`}</title></text>
                  <text x={16} y={py + 12} className="pod-ip">{`${p.ip}${p.namespace && p.namespace !== 'default' ? ` · ${p.namespace}` : ''}`}</text>
                </g>
              );
            })}
            {pods.length > 8 ? <text x={12} y={topY + nodeH - 6} className="node-sub">{`+${pods.length - 8} more pods`}</text> : null}
          </g>
        );
      })}
      {/* Service → pod: up a channel of its own under the nodes, along the node's right margin, into the pod's row. */}
      {svcBoxes.flatMap(({ s, box }, i) => s.endpoints.flatMap((ip, k) => {
        const p = podY.get(ip);
        if (!p) return [];
        const sx = box.x + 24 + k * 8;
        const cy = topY + nodeH + 10 + (i % 5) * 9;
        const rx = nx(p.node) + NODE_W - 6 - (i % 4) * 4;
        const color = SVC_COLORS[i % SVC_COLORS.length]!;
        return [<path key={`se${i}-${k}`} className="svc-edge" data-testid="diagram-svc-edge" data-service={s.title} data-pod={ip} data-color={color} style={{ stroke: color }} d={`M${sx},${box.y} V${cy} H${rx} V${p.y} H${p.x + 2}`} fill="none" markerEnd="url(#arrow)" />];
      }))}
      {svcBoxes.map(({ s, box }, i) => (
        <g key={s.key} className="svc-box" data-testid="diagram-label" data-kind="service" data-title={s.title} data-color={SVC_COLORS[i % SVC_COLORS.length]}>
          <rect x={box.x} y={box.y} width={box.w} height={box.h} rx={8} style={{ stroke: SVC_COLORS[i % SVC_COLORS.length], strokeWidth: 1.5 }} />
          <text x={box.x + 10} y={box.y + 18} className="svc-name">{s.title}</text>
          {s.sub.map((t, i) => <text key={i} x={box.x + 10} y={box.y + 18 + (i + 1) * LINE} className="node-sub">{t}</text>)}
        </g>
      ))}
    </svg>
  );
}

/** A text cut to a width of the monospace font, with an ellipsis. */
function clipTo(t: string, px: number): string {
  const n = Math.floor(px / 6.3);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
