/**
 * `overlayView(session)`: the overlay of a session as the AnalyzerApi's
 * `OverlayView` (src/api.ts), for the UI service's `getOverlay()`: the
 * contract's overlay plus what the UI names things with: the identity of
 * every address of the journeys and translations (cluster metadata's names,
 * else inferred ones), node names and pods inferred without metadata, and
 * each Service's endpoints.
 */
import type { Endpoint, Identity, OverlayView } from '../api.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { inferredIdentities, podOnNode } from '../overlay/inferred-identities.js';

export function overlayView(session: AnalysisSession): OverlayView {
  const overlay = session.overlay();
  const o = overlay.toJSON();
  const inferred = overlay.resolver ? null : inferredIdentities(overlay);
  const identities: Record<string, Identity> = {};
  const name = (e: Endpoint, time: string | null): void => {
    for (const port of e.port === null ? [null] : [e.port, null]) {
      const k = `${e.ip}|${port ?? ''}`;
      if (k in identities) continue;
      // In a node's pod CIDR but no pod of the metadata: a pod on that node all the same.
      const id = inferred ? inferred.resolve(e.ip, port) : podOnNode(overlay.identity({ ip: e.ip, port }, time));
      if (id && id.kind !== 'unknown') identities[k] = id;
    }
  };
  for (const j of o.journeys) {
    for (const h of j.hops) {
      name(h.src, h.time);
      name(h.dst, h.time);
      if (h.tunnel) { name({ ip: h.tunnel.outerSrc, port: null }, h.time); name({ ip: h.tunnel.outerDst, port: null }, h.time); }
    }
  }
  for (const t of o.translations) for (const e of [t.original.src, t.original.dst, t.translated.src, t.translated.dst]) name(e, null);
  for (const n of o.nodes) name({ ip: n.ip, port: null }, null);

  let nodes = o.nodes;
  let pods: OverlayView['pods'] = o.pods;
  if (inferred) {
    nodes = o.nodes.map((n) => {
      const x = inferred.node(n.ip);
      return x && x.namedBy === 'capture-points' ? { ...n, name: x.name, nameInferred: true } : n;
    });
    // Pods: the addresses seen that lie in a node's pod subnet (not its tunnel device or bridge).
    const seen = new Set<string>();
    pods = [];
    for (const id of Object.entries(identities)) {
      const [k, v] = id;
      const ip = k.slice(0, k.indexOf('|'));
      if (v.kind !== 'pod' || seen.has(ip)) continue;
      seen.add(ip);
      pods.push({ ip, name: null, namespace: null, node: v.node ?? null, inferred: true });
    }
    pods.sort((a, b) => ipOrder(a.ip) - ipOrder(b.ip));
  }
  const endpoints = overlay.resolver?.metadata.endpoints ?? [];
  const services = o.services.map((s) => {
    const key = `${s.namespace}/${s.name}`;
    const l = endpoints.filter((e) => e.service === key).map((e) => ({ ip: e.ip, port: e.port }));
    const uniq = [...new Map(l.map((e) => [`${e.ip}|${e.port}`, e])).values()];
    return { ...s, endpoints: uniq };
  });
  return {
    nodes, pods, services, tunnels: o.tunnels,
    translations: o.translations, journeys: o.journeys, candidateServices: o.candidateServices,
    identities,
  };
}

function ipOrder(ip: string): number {
  const p = ip.split('.').map(Number);
  return p.length === 4 && p.every((x) => Number.isInteger(x)) ? ((p[0]! * 256 + p[1]!) * 256 + p[2]!) * 256 + p[3]! : Number.MAX_SAFE_INTEGER;
}
