/**
 * The overlay: nodes with their pod subnets and pods, Services, and the
 * tunnels between nodes (packet counts on the edges), drawn as SVG; the
 * DNAT/SNAT translations; and one request's journey as a sequence diagram.
 */
import { useState } from 'react';
import type { OverlayView } from '../../../src/api.js';
import { ErrorState, Empty, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { JourneyDiagram } from '../components/JourneyDiagram.js';
import { OverlayDiagram } from '../components/OverlayDiagram.js';
import { connectionReuse, identityOf, journeyChoice } from '../components/journey-model.js';
import { fmtEndpoint } from '../format.js';

/** Without metadata: the Service a translation's original destination was inferred to be ("NodePort 30080 on node1 (inferred)"). */
function inferredService(v: OverlayView, t: OverlayView['translations'][number]): string | null {
  const i = identityOf(v, t.original.dst);
  return i && i.kind === 'service' && i.inferred ? `${i.name} (inferred)` : null;
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
        {v.nodes.length ? <div className="overlay-scroll"><OverlayDiagram view={v} /></div> : <Empty title="No overlay seen">No tunnel traffic between nodes in these captures (VXLAN, Geneve, IP-in-IP, GRE, ERSPAN, WireGuard).</Empty>}
      </section>
      <section className="card">
        <h2>Translations (DNAT / SNAT) <span className="muted small">{v.translations.length}</span></h2>
        {v.translations.length ? (
          <table className="simple" data-testid="translations">
            <thead><tr><th>Kind</th><th>Service</th><th>Original</th><th>Translated</th><th>Seen at</th><th>Evidence</th></tr></thead>
            <tbody>{v.translations.map((t, i) => (
              <tr key={i}><td>{t.kind}</td><td style={{ whiteSpace: 'nowrap' }}>{t.service ?? inferredService(v, t) ?? '—'}</td>
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
