/**
 * A journey (src/api.ts `Journey`: one hop per capture point a request or
 * response was seen at) turned into what a person reads: lanes per entity
 * (the client, a node with its NodePort, a pod, a Service), each packet's
 * copies along one stretch folded into one crossing with its trail of
 * capture points, the translations between crossings in the direction the
 * packet was rewritten, tunnel stretches named by their nodes, and whether
 * a proxy's upstream connection was reused (keep-alive).
 */
import type { Endpoint, Identity, Journey, JourneyHop, OverlayView } from '../../../src/api.js';
import { tunnelText } from '../../../src/api.js';

export interface Lane {
  key: string;
  /** What it is: a node, pod or Service name, "client", or the address. */
  title: string;
  /** Second line: addresses, NodePort, node, namespace; "(inferred)" when no metadata named it. */
  sub: string;
  kind: Identity['kind'] | 'client';
  inferred: boolean;
  /** Every address (ip:port) of the journey drawn on this lane. */
  addresses: string[];
}

export interface Crossing {
  kind: 'crossing';
  from: number;
  to: number;
  src: Endpoint;
  dst: Endpoint;
  /** request, upstream request N, upstream response N, response */
  note: string;
  /** Capture points that saw this packet, in order. */
  trail: string[];
  /** Per trail point: the tunnel it was inside there, as "node1 → node2 (VXLAN VNI 1)"; null outside a tunnel. */
  tunnels: Array<string | null>;
  time: string;
  lastTime: string;
  /** ms from the previous crossing's last sighting to this one's first; null for the first. */
  latencyMs: number | null;
  packets: number;
}

export interface NatStep {
  kind: 'nat';
  /** "192.168.56.11:30080 → 10.244.2.10:80 (DNAT)": the packet's address as it was → as it became. */
  changes: string[];
  /** Between which capture points the rewrite happened. */
  between: [string, string];
  /** The lanes of the crossings before and after. */
  lanes: number[];
}

export type Step = Crossing | NatStep;

/** A proxy's upstream connection that an earlier journey already used. */
export interface Reuse {
  /** 1-based: this request's number on that connection. */
  request: number;
  /** Index (in the view's journeys) of the journey that opened it. */
  openedBy: number;
  connection: string;
}

export interface JourneyModel {
  lanes: Lane[];
  steps: Step[];
  /** Per upstream leg (1-based index), when the connection is reused. */
  reuse: Map<number, Reuse>;
}

const ep = (e: Endpoint): string => (e.port == null ? e.ip : e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
const same = (a: Endpoint, b: Endpoint) => a.ip === b.ip && a.port === b.port;

export function identityOf(view: Pick<OverlayView, 'identities'>, e: Endpoint): Identity | null {
  const m = view.identities;
  if (!m) return null;
  return m[`${e.ip}|${e.port ?? ''}`] ?? m[`${e.ip}|`] ?? null;
}

const shortName = (i: Identity): string => (i.namespace && i.name.startsWith(`${i.namespace}/`) ? i.name.slice(i.namespace.length + 1) : i.name);

/** The lane an address belongs to: a node (its NodePorts too), a pod, a Service; else the client or the bare address. */
function laneOf(view: Pick<OverlayView, 'identities'>, e: Endpoint, clientIp: string): Omit<Lane, 'addresses'> {
  const i = identityOf(view, e);
  const inf = i?.inferred === true;
  const mark = inf ? ' (inferred)' : '';
  if (i?.kind === 'service' && i.node) {
    // A NodePort: the node's lane, the port in its subtitle.
    const port = /NodePort (\d+)/.exec(i.detail ?? i.name)?.[1] ?? String(e.port ?? '');
    return { key: `node:${i.node}`, title: i.node, sub: `NodePort ${port}${inf ? '' : ` · ${i.name}`}${mark}`, kind: 'node', inferred: inf };
  }
  if (i?.kind === 'service') return { key: `svc:${i.name}`, title: inf ? i.name : shortName(i), sub: `${inf ? 'ClusterIP' : `Service${i.namespace ? ` · ${i.namespace}` : ''}`} ${ep(e)}${mark}`, kind: 'service', inferred: inf };
  if (i?.kind === 'node') return { key: `node:${i.name}`, title: i.name, sub: `node${mark}`, kind: 'node', inferred: inf };
  if (i?.kind === 'pod') {
    // Inferred pods have no name: one lane per address.
    if (inf) return { key: `pod:${e.ip}`, title: i.name, sub: `pod ${e.ip}${mark}`, kind: 'pod', inferred: true };
    return { key: `pod:${i.name}`, title: shortName(i), sub: `pod${i.namespace ? ` · ${i.namespace}` : ''}${i.node ? ` · on ${i.node}` : ''}`, kind: 'pod', inferred: false };
  }
  if (i?.kind === 'external' || !i) {
    if (e.ip === clientIp) return { key: `client:${e.ip}`, title: 'client', sub: e.ip, kind: 'client', inferred: false };
    return { key: `ip:${e.ip}`, title: e.ip, sub: i ? 'external' : 'address', kind: i?.kind ?? 'unknown', inferred: false };
  }
  return { key: `ip:${e.ip}`, title: e.ip, sub: i.kind, kind: i.kind, inferred: false };
}

/** A node's name for an underlay address (tunnel ends), else the address. */
function nodeName(view: Pick<OverlayView, 'identities' | 'nodes'>, ip: string): string {
  const i = view.identities?.[`${ip}|`];
  if (i?.kind === 'node') return i.name;
  return view.nodes.find((n) => n.ip === ip)?.name ?? ip;
}

export function tunnelLabel(view: Pick<OverlayView, 'identities' | 'nodes'>, t: NonNullable<JourneyHop['tunnel']>): string {
  return `${nodeName(view, t.outerSrc)} → ${nodeName(view, t.outerDst)} (${tunnelText(t)})`;
}

const isReply = (note: string) => note.includes('response');

/** What changed between two sightings of one packet, as it was → as it became, named as the hop's translation names it. */
function natChanges(prev: JourneyHop, cur: JourneyHop): string[] {
  const reply = isReply(cur.note);
  const out: string[] = [];
  // A request is rewritten at its destination by DNAT and at its source by SNAT; a reply the other way round.
  const dstWhat = reply ? 'un-SNAT' : 'DNAT';
  const srcWhat = reply ? 'un-DNAT' : 'SNAT';
  // The Service's side first: DNAT on the way in, un-DNAT on the way back.
  if (!same(prev.dst, cur.dst)) out.push(`${ep(prev.dst)} → ${ep(cur.dst)} (${dstWhat})`);
  if (!same(prev.src, cur.src)) out[reply ? 'unshift' : 'push'](`${ep(prev.src)} → ${ep(cur.src)} (${srcWhat})`);
  return out;
}

/** The connection of a journey's upstream leg n (1-based): its first hop's addresses. */
function upstreamConnection(j: Journey, n: number): string | null {
  const h = j.hops.find((x) => x.note === `upstream request ${n}`);
  return h ? `${ep(h.src)} → ${ep(h.dst)}` : null;
}

/** Upstream legs of each journey that reuse a connection an earlier journey opened (journeys in time order). */
export function connectionReuse(journeys: readonly Journey[]): Array<Map<number, Reuse>> {
  const order = journeys.map((j, i) => ({ i, t: j.hops[0]?.time ?? '' })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.i - b.i));
  const uses = new Map<string, { openedBy: number; count: number }>();
  const out = journeys.map(() => new Map<number, Reuse>());
  for (const { i } of order) {
    for (let n = 1; n <= 8; n++) {
      const c = upstreamConnection(journeys[i]!, n);
      if (!c) break;
      const u = uses.get(c);
      if (u) { u.count++; out[i]!.set(n, { request: u.count, openedBy: u.openedBy, connection: c }); }
      else uses.set(c, { openedBy: i, count: 1 });
    }
  }
  return out;
}

export function journeyModel(view: Pick<OverlayView, 'identities' | 'nodes'>, j: Journey, reuse: Map<number, Reuse> = new Map()): JourneyModel {
  const lanes: Lane[] = [];
  const clientIp = j.hops[0]?.src.ip ?? '';
  const lane = (e: Endpoint): number => {
    const l = laneOf(view, e, clientIp);
    let k = lanes.findIndex((x) => x.key === l.key);
    if (k < 0) { k = lanes.length; lanes.push({ ...l, addresses: [] }); }
    if (!lanes[k]!.addresses.includes(ep(e))) lanes[k]!.addresses.push(ep(e));
    return k;
  };
  const steps: Step[] = [];
  let cur: Crossing | null = null;
  let prevHop: JourneyHop | null = null;
  for (const h of j.hops) {
    const continues = cur && prevHop && cur.note === h.note && same(cur.src, h.src) && same(cur.dst, h.dst);
    if (!continues) {
      if (cur && prevHop && cur.note === h.note) {
        const changes = natChanges(prevHop, h);
        if (changes.length) steps.push({ kind: 'nat', changes, between: [prevHop.point, h.point], lanes: [] });
      }
      const from = lane(h.src), to = lane(h.dst);
      cur = {
        kind: 'crossing', from, to, src: h.src, dst: h.dst, note: h.note, trail: [], tunnels: [], time: h.time, lastTime: h.time,
        // The first hop's latency is the time since the previous hop: the previous crossing's last sighting.
        latencyMs: steps.length ? h.latencyMs : null,
        packets: 0,
      };
      steps.push(cur);
    }
    cur!.trail.push(h.point);
    cur!.tunnels.push(h.tunnel ? tunnelLabel(view, h.tunnel) : null);
    cur!.lastTime = h.time;
    cur!.packets = Math.max(cur!.packets, h.packets);
    prevHop = h;
  }
  // NAT steps sit between two crossings: the lanes they join.
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    if (s.kind !== 'nat') continue;
    const a = steps[k - 1], b = steps[k + 1];
    s.lanes = [...new Set([a, b].flatMap((x) => (x && x.kind === 'crossing' ? [x.from, x.to] : [])))];
  }
  return { lanes, steps, reuse };
}

/** Consecutive tunnel stretches of a trail, deduplicated: ["node1 → node2 (VXLAN VNI 1)"]. */
export function trailTunnels(c: Crossing): string[] {
  const out: string[] = [];
  for (const t of c.tunnels) if (t && out[out.length - 1] !== t) out.push(t);
  return out;
}

/** How the picker tells journeys apart: time, client port, backend, request line. */
export function journeyChoice(view: Pick<OverlayView, 'identities' | 'nodes'>, j: Journey, index: number, reuse: Map<number, Reuse>): string {
  const first = j.hops[0];
  const time = first ? first.time.slice(first.time.indexOf('T') + 1, first.time.indexOf('T') + 13) : '';
  // The backend: where the last request stretch (of the deepest leg) arrived.
  const reqs = j.hops.filter((h) => !isReply(h.note));
  const last = reqs[reqs.length - 1];
  let backend = '';
  if (last) {
    const i = identityOf(view, last.dst);
    backend = i && i.kind === 'pod' ? (i.inferred ? `${last.dst.ip} (${i.name})` : shortName(i)) : ep(last.dst);
  }
  const parts = [`#${index + 1}`, time, first ? `client :${first.src.port}` : '', backend ? `→ ${backend}` : '', j.label];
  if (reuse.size) parts.push(`keep-alive (request ${[...reuse.values()][0]!.request} on its upstream connection)`);
  if (!j.complete) parts.push('(incomplete)');
  return parts.filter(Boolean).join(' · ');
}
