/**
 * The session's facts a display filter's own fields read (src/filter/input.ts
 * FilterFacts): who an address is (k8s.*) from the cluster metadata's
 * time-aware resolver, node names (overlay.tunnel), capture point names.
 */
import type { EndpointFacts, FilterFacts } from '../filter/input.js';
import type { IdentityResolver } from '../overlay/cluster-metadata.js';

/** Facts from cluster metadata alone (the CLI, before a session exists). */
export function resolverFacts(resolver: IdentityResolver | null, point?: (capture: number, iface: number) => string | null): FilterFacts {
  const facts: FilterFacts = {};
  if (point) facts.capturePoint = point;
  if (!resolver) return facts;
  const cache = new Map<string, EndpointFacts | null>();
  facts.nodeName = (ip) => resolver.nodeNameOf(ip) ?? nodeOfVtep(resolver, ip);
  facts.endpoint = (ip, port, timeMs) => {
    // Pod lifetimes are in ms: a cache key by the second keeps it small and still time-aware.
    const key = `${ip}|${port}|${timeMs === null ? '' : Math.floor(timeMs / 1000)}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const id = resolver.resolve(ip, port, timeMs);
    let e: EndpointFacts | null = null;
    if (id.kind !== 'external') {
      const services = id.kind === 'service' ? [id.name] : resolver.servicesServedBy(ip, port);
      const name = id.kind === 'pod' ? id.name.slice(id.name.indexOf('/') + 1) : null;
      e = {
        pod: id.kind === 'pod' ? [name!, id.name] : null,
        namespace: id.namespace ?? null,
        node: id.node ?? null,
        service: services.length ? services.flatMap((s) => [s, s.slice(s.indexOf('/') + 1)]) : null,
      };
    }
    if (cache.size > 100_000) cache.clear();
    cache.set(key, e);
    return e;
  };
  return facts;
}

function nodeOfVtep(resolver: IdentityResolver, ip: string): string | null {
  const id = resolver.resolve(ip, null, null);
  return id.kind === 'node' ? id.node ?? id.name : null;
}
