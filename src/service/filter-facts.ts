/**
 * The session's facts a display filter's own fields read (src/filter/input.ts
 * FilterFacts): who an address is (k8s.*) from the cluster metadata's
 * time-aware resolver (or, without metadata, the overlay's inference), node
 * names (overlay.tunnel), capture points and hosts, translations, journeys.
 */
import type { Journey } from '../api.js';
import { ipToString } from '../dissect/addr.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import type { EndpointFacts, FilterFacts, FilterInput, FlowFacts } from '../filter/input.js';
import type { IdentityResolver } from '../overlay/cluster-metadata.js';
import { splitPointName } from '../overlay/hosts.js';
import { inferredIdentities } from '../overlay/inferred-identities.js';
import { capturePointName } from './capture-point.js';

/** Facts from cluster metadata alone (the CLI, before a session exists). */
export function resolverFacts(resolver: IdentityResolver | null, point?: (capture: number, iface: number) => string | null): FilterFacts {
  const facts: FilterFacts = {};
  if (point) facts.capturePoint = (x) => point(x.capture, x.interfaceId);
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

/**
 * Facts of a whole session (the app's packet browser; the CLI's second pass
 * when a filter reads them): on top of the metadata's, capture point and host
 * names per interface, overlay node names, the translations and journeys.
 * Packets are found by their capture point, innermost addresses and ports,
 * and (journeys) clock-corrected time, as the overlay's rows are.
 */
export function sessionFacts(session: AnalysisSession): FilterFacts {
  const overlay = session.overlay();
  const o = overlay.observer;
  const facts = resolverFacts(overlay.resolver);
  const fileNames = session.captures.map((c) => capturePointName(c.file, c.interfaces));
  const pointOf = (x: FilterInput): number => {
    const ix = session.captures[x.capture]?.index;
    return ix && x.index < ix.count ? o.findPoint(x.capture, ix.iface(x.index)) : -1;
  };
  facts.capturePoint = (x) => {
    const p = pointOf(x);
    return p >= 0 ? overlay.pointName(p) : fileNames[x.capture] ?? null;
  };
  const grouping = overlay.clockState.grouping;
  // A host as people say it (as inferred-identities names nodes): node1 for node1-eth0, node1-cni0, ...; client for client-eth0 alone; node1-any for an any-interface file.
  const hostNames = grouping.hosts.map((h) => {
    const first = h.points[0] === undefined ? '' : overlay.pointName(h.points[0]);
    const file = h.name.startsWith('file:');
    const base = file ? first.replace(/[:/ ].*$/, '') : h.name;
    return splitPointName(base)?.host ?? (file ? base : h.name);
  });
  facts.captureHost = (x) => {
    const p = pointOf(x);
    const h = p >= 0 ? grouping.hostOf[p] ?? -1 : -1;
    return h >= 0 ? hostNames[h] ?? null : null;
  };
  if (!overlay.resolver) {
    // No metadata: nodes as the overlay inferred them (named after their capture points), pods' nodes from the pod CIDRs.
    const inferred = inferredIdentities(overlay);
    facts.nodeName = (ip) => inferred.node(ip)?.name ?? null;
    const cache = new Map<string, EndpointFacts | null>();
    facts.endpoint = (ip, port) => {
      const key = `${ip}|${port}`;
      let e = cache.get(key);
      if (e === undefined) {
        const id = inferred.resolve(ip, port);
        const node = id?.kind === 'node' ? id.name : id?.node ?? null;
        e = node ? { pod: null, namespace: null, node, service: null } : null;
        if (cache.size > 100_000) cache.clear();
        cache.set(key, e);
      }
      return e;
    };
  }

  let translated: Set<string> | null = null;
  facts.translated = (x) => {
    if (!translated) {
      translated = new Set();
      for (const t of overlay.translations()) {
        for (const p of t.originalSeenAt) translated.add(`${p}|${pairKey(t.original.src, t.original.dst)}`);
        for (const p of t.translatedSeenAt) translated.add(`${p}|${pairKey(t.translated.src, t.translated.dst)}`);
      }
    }
    const k = packetPair(x);
    return k !== null && translated.has(`${facts.capturePoint!(x)}|${k}`);
  };

  const table = session.flows.table;
  const flowFacts: FlowFacts = { id: 0, packets: 0, bytes: 0, duration: 0 };
  facts.flow = (x) => {
    const ix = session.captures[x.capture]?.index;
    const f = ix && x.index < ix.count ? ix.flowId[x.index]! : -1;
    if (f < 0 || f >= table.count) return null;
    flowFacts.id = f;
    flowFacts.packets = table.packets(f);
    flowFacts.bytes = table.bytes(f);
    flowFacts.duration = (table.lastSec(f) - table.firstSec(f)) + (table.lastNsec(f) - table.firstNsec(f)) / 1e9;
    return flowFacts;
  };

  let journeys: JourneyWindows | null = null;
  facts.journey = (x) => {
    journeys ??= journeyWindows(overlay.journeys());
    const k = packetPair(x);
    if (k === null || journeys.byKey.size === 0) return -1;
    const i = x.p.innermostNet();
    const starts = journeys.byKey.get(`${facts.capturePoint!(x)}|${x.p.netDepth[i]! > 0 ? 1 : 0}|${k}`);
    if (!starts) return -1;
    const ix = session.captures[x.capture]!.index;
    const s = ix.tsSec(x.index), ns = ix.tsNsec(x.index);
    const t = (s - journeys.baseSec) * 1e9 + ns - overlay.correctionNs(x.capture, ix.iface(x.index), s, ns);
    // The journey whose request passed here last before the packet (the first one also takes what came before it: the handshake).
    let pick = starts[0]!;
    for (const w of starts) { if (w.t <= t) pick = w; else break; }
    return pick.id;
  };
  return facts;
}

interface JourneyWindows {
  baseSec: number;
  /** `point|tunnelled|pair` -> where each journey's request (or response) first passed there, in time order. */
  byKey: Map<string, Array<{ t: number; id: number }>>;
}

function journeyWindows(list: readonly Journey[]): JourneyWindows {
  const byKey = new Map<string, Array<{ t: number; id: number }>>();
  let baseSec = NaN;
  for (const j of list) {
    const first = new Map<string, number>();
    for (const h of j.hops) {
      const ts = parseIsoNs(h.time);
      if (!ts) continue;
      if (Number.isNaN(baseSec)) baseSec = ts.sec;
      const t = (ts.sec - baseSec) * 1e9 + ts.nsec;
      const key = `${h.point}|${h.tunnel ? 1 : 0}|${pairKey(h.src, h.dst)}`;
      const prev = first.get(key);
      if (prev === undefined || t < prev) first.set(key, t);
    }
    for (const [key, t] of first) {
      let l = byKey.get(key);
      if (!l) byKey.set(key, (l = []));
      l.push({ t, id: j.id });
    }
  }
  for (const l of byKey.values()) l.sort((a, b) => a.t - b.t || a.id - b.id);
  return { baseSec: Number.isNaN(baseSec) ? 0 : baseSec, byKey };
}

/** `2026-12-03T15:35:36.471814Z` -> seconds since the epoch and nanoseconds. */
function parseIsoNs(s: string): { sec: number; nsec: number } | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(ms)) return null;
  return { sec: Math.floor(ms / 1000), nsec: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
}

/** The two endpoints in a fixed order (either direction of a connection). */
function pairKey(a: { ip: string; port: number | null }, b: { ip: string; port: number | null }): string {
  const x = `${a.ip}|${a.port ?? ''}`, y = `${b.ip}|${b.port ?? ''}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** The packet's innermost TCP/UDP endpoints as pairKey gives them, or null. */
function packetPair(x: FilterInput): string | null {
  const p = x.p;
  const i = p.innermostNet();
  if (i < 0 || p.l4Present[i] !== 1 || (p.ipProto[i] !== 6 && p.ipProto[i] !== 17)) return null;
  const v = p.ipVersion[i]!;
  return pairKey({ ip: ipToString(v, p.ipSrc, i * 4), port: p.srcPort[i]! }, { ip: ipToString(v, p.ipDst, i * 4), port: p.dstPort[i]! });
}
