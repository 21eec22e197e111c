/**
 * The overlay: nodes with their pod subnets and pods, Services, and the
 * tunnels between nodes (packet counts on the edges), drawn as SVG; the
 * DNAT/SNAT translations; and one request's journey as a sequence diagram.
 */
import { useState } from 'react';
import type { OverlayView } from '../../../src/api.js';
import { tunnelText } from '../../../src/api.js';
import { ErrorState, Empty, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { JourneyDiagram } from '../components/JourneyDiagram.js';
import { connectionReuse, journeyChoice } from '../components/journey-model.js';
import { fmtBytes, fmtEndpoint, fmtInt } from '../format.js';

const NODE_W = 300;
const GAP = 90;

const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const toNum = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  if (!net || !bits || ip.includes(':') || net.includes(':')) return false;
  const b = Number(bits);
  const size = 2 ** (32 - b);
  return Math.floor(toNum(ip) / size) === Math.floor(toNum(net) / size);
}

export function OverlayDiagram({ view }: { view: OverlayView }) {
  const nodes = view.nodes;
  const podsOf = (n: OverlayView['nodes'][number]) => view.pods.filter((p) => (p.node && p.node === n.name) || n.podCidrs.some((c) => ipInCidr(p.ip, c.cidr)));
  const maxPods = Math.max(0, ...nodes.map((n) => Math.min(8, podsOf(n).length)));
  const nodeH = 92 + 18 * Math.max(...nodes.map((n) => n.podCidrs.length), 1) + 18 * maxPods;
  const width = Math.max(720, nodes.length * (NODE_W + GAP) + GAP);
  const svcY0 = nodeH + 50;
  const svcs = view.services.slice(0, 12);
  const height0 = svcY0 + (svcs.length ? 90 : 20);
  const x = (i: number) => GAP + i * (NODE_W + GAP);
  const index = new Map(nodes.map((n, i) => [n.ip, i]));
  const maxPk = Math.max(1, ...view.tunnels.map((t) => t.packets));
  const nodeName = (ip: string) => nodes.find((n) => n.ip === ip)?.name ?? ip;
  const maxLift = Math.max(0, ...view.tunnels.map((t, k) => {
    const ia = index.get(t.a) ?? 0; const ib = index.get(t.b) ?? 0;
    const pair = [t.a, t.b].sort().join('|');
    const nth = view.tunnels.slice(0, k).filter((o) => [o.a, o.b].sort().join('|') === pair).length;
    return 30 + Math.abs(ib - ia) * 28 + nth * 34;
  }));
  // Room above the nodes for the highest tunnel label.
  const topY = maxLift + 40;
  const height = topY + height0;
  const svcY = topY + svcY0;
  const edges = view.tunnels.flatMap((t, k) => {
    const ia = index.get(t.a);
    const ib = index.get(t.b);
    if (ia == null || ib == null) return [];
    // Several tunnels between the same two nodes (each direction, each VNI): stack them.
    const pair = [t.a, t.b].sort().join('|');
    const nth = view.tunnels.slice(0, k).filter((o) => [o.a, o.b].sort().join('|') === pair).length;
    const x1 = x(ia) + NODE_W / 2;
    const x2 = x(ib) + NODE_W / 2;
    return [{ k, t, x1, x2, mid: (x1 + x2) / 2, lift: 30 + Math.abs(ib - ia) * 28 + nth * 34, w: 1.5 + 5 * (t.packets / maxPk) }];
  });
  return (
    <svg className="overlay-svg" viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label="Overlay diagram" data-testid="overlay-diagram">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" className="arrowhead" /></marker>
      </defs>
      {/* Arcs first, labels after: a label is never crossed by another tunnel's arc. */}
      {edges.map((e) => (
        <path key={`p${e.k}`} className="tunnel-edge" d={`M${e.x1},${topY} Q${e.mid},${topY - e.lift * 2} ${e.x2},${topY}`} strokeWidth={e.w} fill="none" />
      ))}
      {edges.map(({ k, t, mid, lift }) => {
        const label = `${nodeName(t.a)} → ${nodeName(t.b)} · ${tunnelText(t)}: ${fmtInt(t.packets)} pkts · ${fmtBytes(t.bytes)}`;
        const sub = `${fmtInt(t.innerFlows)} inner flows · ${fmtBytes(t.overheadBytes)} overhead`;
        // A badge behind the text (estimated width): arcs run under it, never through the words.
        const w = Math.max(label.length * 7.4, sub.length * 6) + 16;
        return (
          <g key={`l${k}`} className="tunnel-label">
            <rect x={mid - w / 2} y={topY - lift - 20} width={w} height={33} rx={5} className="edge-badge" />
            <text x={mid} y={topY - lift - 6} textAnchor="middle" className="edge-label">{label}</text>
            <text x={mid} y={topY - lift + 8} textAnchor="middle" className="edge-sub">{sub}</text>
          </g>
        );
      })}
      {nodes.map((n, i) => {
        const pods = podsOf(n);
        let y = topY + 24;
        return (
          <g key={n.ip} transform={`translate(${x(i)},0)`} className="node-box">
            <rect x={0} y={topY} width={NODE_W} height={nodeH} rx={10} />
            <text x={12} y={y} className="node-name">{n.name ?? n.ip}</text>
            <text x={12} y={(y += 18)} className="node-sub">{`${n.ip}${n.vtepMacs[0] ? ` · VTEP ${n.vtepMacs[0]}` : ''}`}</text>
            {n.podCidrs.map((c) => <text key={c.cidr} x={12} y={(y += 18)} className="node-cidr">{`pod subnet ${c.cidr}`}<title>{`${c.source === 'cluster' ? 'from the cluster metadata (kubectl podCIDRs); ' : 'inferred from the traffic; '}${c.evidence} packets of evidence`}</title></text>)}
            {pods.slice(0, 8).map((p) => (
              <g key={p.ip}>
                <rect x={10} y={(y += 20) - 13} width={NODE_W - 20} height={17} rx={4} className="pod-box" />
                <text x={16} y={y} className="pod-text">{clip(`${p.name ?? '(pod)'} ${p.ip}`, 40)}<title>{`${p.namespace ?? ''}/${p.name ?? ''} ${p.ip}`}</title></text>
              </g>
            ))}
            {pods.length > 8 ? <text x={12} y={y + 18} className="node-sub">{`+${pods.length - 8} more pods`}</text> : null}
          </g>
        );
      })}
      {svcs.map((s, i) => (
        <g key={`${s.namespace}/${s.name}`} transform={`translate(${GAP + i * 200},${svcY})`} className="svc-box">
          <rect width={185} height={58} rx={8} />
          <text x={10} y={20} className="svc-name">{clip(`${s.namespace}/${s.name}`, 24)}<title>{`${s.namespace}/${s.name}`}</title></text>
          <text x={10} y={37} className="node-sub">{s.clusterIp ? `ClusterIP ${s.clusterIp}` : 'headless'}</text>
          <text x={10} y={52} className="node-sub">{s.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(' ')}</text>
        </g>
      ))}
    </svg>
  );
}

const reuseCache = new WeakMap<OverlayView, ReturnType<typeof connectionReuse>>();
/** Keep-alive reuse of upstream connections across the view's journeys (made once per view). */
function reuses(v: OverlayView): ReturnType<typeof connectionReuse> {
  let r = reuseCache.get(v);
  if (!r) reuseCache.set(v, (r = connectionReuse(v.journeys)));
  return r;
}

export function Overlay() {
  const { host, version } = useSession();
  const st = useAsync(() => host.api.getOverlay(), [host, version]);
  const [journey, setJourney] = useState(0);
  if (st.status === 'loading') return <Loading what="the overlay" />;
  if (st.status === 'error') return <div className="view"><ErrorState error={st.error} what="The overlay view" /></div>;
  const v = st.value;
  const j = v.journeys[journey];
  const reuse = reuses(v);
  return (
    <div className="view overlay" data-testid="view-overlay">
      <section className="card">
        <h2>Nodes, pod subnets and tunnels</h2>
        {v.nodes.length ? <OverlayDiagram view={v} /> : <Empty title="No overlay seen">No tunnel traffic between nodes in these captures (VXLAN, Geneve, IP-in-IP, GRE, ERSPAN, WireGuard).</Empty>}
      </section>
      <section className="card">
        <h2>Translations (DNAT / SNAT) <span className="muted small">{v.translations.length}</span></h2>
        {v.translations.length ? (
          <table className="simple" data-testid="translations">
            <thead><tr><th>Kind</th><th>Service</th><th>Original</th><th>Translated</th><th>Seen at</th><th>Evidence</th></tr></thead>
            <tbody>{v.translations.map((t, i) => (
              <tr key={i}><td>{t.kind}</td><td>{t.service ?? '—'}</td>
                <td className="mono small">{fmtEndpoint(t.original.src)} → {fmtEndpoint(t.original.dst)}</td>
                <td className="mono small">{fmtEndpoint(t.translated.src)} → {fmtEndpoint(t.translated.dst)}</td>
                <td className="small">{t.originalSeenAt.join(', ')} → {t.translatedSeenAt.join(', ')}</td><td className="small">{t.evidence}</td></tr>
            ))}</tbody>
          </table>
        ) : <div className="muted">No address translations found.</div>}
      </section>
      <section className="card">
        <h2>Journeys</h2>
        {v.journeys.length ? (
          <>
            <select className="input" value={journey} onChange={(e) => setJourney(Number(e.target.value))} aria-label="Journey">
              {v.journeys.map((x, i) => <option key={x.id} value={i}>{journeyChoice(v, x, i, reuse[i]!)}</option>)}
            </select>
            {j?.ingress ? (
              <div className="small" data-testid="journey-ingress">
                Via Ingress <strong>{j.ingress.namespace}/{j.ingress.name}</strong>: rule <span className="mono">{j.ingress.host ?? '*'}{j.ingress.path ?? '/'}</span> → Service <span className="mono">{j.ingress.service ?? '?'}{j.ingress.port !== null ? `:${j.ingress.port}` : ''}</span>, controller <span className="mono">{j.ingress.controller}</span>
              </div>
            ) : null}
            {j ? <JourneyDiagram journey={j} view={v} reuse={reuse[journey]} /> : null}
          </>
        ) : <div className="muted">No request journey: a journey needs an HTTP request seen at two or more capture points, or at one point both before and after NAT or a tunnel, or a proxy&apos;s upstream request that it caused.</div>}
      </section>
    </div>
  );
}
