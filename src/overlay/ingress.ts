/**
 * Which Ingress rule a request journey followed, from the cluster metadata
 * and the journey itself: the client's request reached a pod that is an
 * Ingress controller, its Host and path select a rule (Kubernetes' matching:
 * an exact host beats a wildcard, which beats a rule without host; the
 * longest path wins; Prefix matches whole path elements), and the upstream
 * request the controller sent, when it was captured, went to an endpoint
 * (or the ClusterIP) of the rule's backend Service. A plain reverse proxy
 * (not a controller) is never labelled, even when a rule's host matches.
 *
 * A controller is recognised by its pod: a label or name naming an ingress
 * controller (ingress-nginx's `app.kubernetes.io/name: ingress-nginx`,
 * Traefik, Contour/Envoy, Kong, HAProxy), which is what their Helm charts set.
 */
import type { IngressRule, IdentityResolver, PodInfo } from './cluster-metadata.js';
import type { Journey, JourneyIngress } from '../api.js';

const CONTROLLER = /ingress|traefik|contour|envoy|kong|haproxy|skipper|emissary|ambassador/i;

export function isIngressController(pod: PodInfo): boolean {
  if (CONTROLLER.test(pod.name)) return true;
  return Object.entries(pod.labels).some(([k, v]) => (k === 'app' || k.startsWith('app.kubernetes.io/')) && CONTROLLER.test(v));
}

/** The request's host without its port, lower case (null when absent). */
function hostOf(host: string | null): string | null {
  if (!host) return null;
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1) || h;
  const c = h.lastIndexOf(':');
  return c > 0 ? h.slice(0, c) : h;
}

/** The path of a request target (origin form, or the path of an absolute URI), without query or fragment. */
export function pathOf(uri: string | null): string {
  if (!uri) return '/';
  let u = uri;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(u);
  if (abs) u = u.slice(abs[0].length);
  const q = u.search(/[?#]/);
  if (q >= 0) u = u.slice(0, q);
  return u.startsWith('/') ? u : `/${u}`;
}

/** How well a rule's host matches: 3 exact, 2 wildcard, 1 any host, 0 no. */
function hostScore(rule: string | null, host: string | null): number {
  if (!rule) return 1;
  const r = rule.toLowerCase();
  if (host === null) return 0;
  if (r === host) return 3;
  // "*.foo.com" matches exactly one more label (Kubernetes' wildcard host).
  if (r.startsWith('*.')) {
    const dot = host.indexOf('.');
    return dot > 0 && host.slice(dot) === r.slice(1) ? 2 : 0;
  }
  return 0;
}

/** Length of the rule path matched (element-wise prefix, as pathType Prefix), -1 none. */
function pathScore(rule: string | null, exact: boolean, path: string): number {
  const p = rule && rule.length ? rule : '/';
  if (exact) return p === path ? p.length : -1;
  if (p === '/') return 1;
  const base = p.endsWith('/') ? p.slice(0, -1) : p;
  return path === base || path.startsWith(`${base}/`) ? base.length + 1 : -1;
}

/** The rule a request with this Host and target selects, or null. */
export function ingressRuleFor(rules: readonly IngressRule[], host: string | null, uri: string | null): IngressRule | null {
  const h = hostOf(host);
  const path = pathOf(uri);
  let best: IngressRule | null = null;
  let bestHost = 0;
  let bestPath = -1;
  for (const r of rules) {
    const hs = hostScore(r.host, h);
    if (hs === 0) continue;
    const ps = pathScore(r.path, r.pathType === 'Exact', path);
    if (ps < 0) continue;
    if (hs > bestHost || (hs === bestHost && ps > bestPath)) {
      best = r;
      bestHost = hs;
      bestPath = ps;
    }
  }
  return best;
}

/**
 * The Ingress rule journey `j` followed, or null. `line` is its client
 * request's Host and target; `timeMs` when it was made (pod lookups by time).
 */
export function journeyIngress(j: Journey, line: { host: string | null; uri: string | null } | null, resolver: IdentityResolver,
  timeMs: number | null): JourneyIngress | null {
  const rules = resolver.metadata.ingresses;
  if (!rules.length || !line) return null;
  const client = j.hops.filter((h) => h.note === 'request');
  if (!client.length) return null;
  // Where the client's request ended up (after any DNAT): the pod that served it.
  const proxy = client[client.length - 1]!.dst;
  const pod = resolver.podAt(proxy.ip, timeMs);
  if (!pod || !isIngressController(pod)) return null;
  const rule = ingressRuleFor(rules, line.host, line.uri);
  if (!rule) return null;
  const backend = rule.service ? `${rule.namespace}/${rule.service}` : null;
  const upstream = j.hops.filter((h) => h.note === 'upstream request 1');
  if (upstream.length && backend) {
    // The controller's upstream request must have gone to the rule's Service (an endpoint, or its ClusterIP).
    const first = upstream[0]!.dst, last = upstream[upstream.length - 1]!.dst;
    const served = resolver.servicesServedBy(last.ip, last.port).includes(backend);
    const svc = resolver.serviceAt(first.ip, first.port);
    if (!served && !(svc && `${svc.service.namespace}/${svc.service.name}` === backend)) return null;
  }
  return {
    namespace: rule.namespace, name: rule.name, host: rule.host, path: rule.path,
    service: backend, port: rule.port, controller: `${pod.namespace}/${pod.name}`,
  };
}
