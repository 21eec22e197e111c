/**
 * Comparison of two sides (each one capture or a session of capture points):
 * metrics side by side with the difference, the per-hop breakdown that shows
 * where the packets come from, and an explanation in plain words computed
 * from those numbers (never from assumptions about the setup).
 *
 * The JSON form is the `overlayscope.comparison/v1` contract (docs/cli.md).
 */
import type { ComparisonMetric, ComparisonPointRow, ComparisonView } from '../api.js';
import { TUNNEL_NAMES } from '../dissect/layers.js';
import { NO_DNAT_SEEN } from '../overlay/overlay.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { legName, profileSession, type LegSummary, type TrafficProfile, type TunnelTypeProfile } from './traffic-profile.js';
import { pairPoints } from './sides.js';

export interface ComparisonSide {
  label: string;
  files: string[];
  points: string[];
  firstTime: string | null;
  durationSec: number;
  requests: number;
  /** Each capture point's role (its name without the scenario prefix), in the order of `points`. */
  roles?: string[];
  hasCluster?: boolean;
}

/** Everything a comparison shows; `view()` is the AnalyzerApi shape, `toJSON()` the CLI contract. */
export interface Comparison {
  a: TrafficProfile;
  b: TrafficProfile;
  metrics: ComparisonMetric[];
  explanation: string[];
  perHop: Array<{ hop: string; a: number; b: number }>;
  latency: Array<{ request: number; a: number | null; b: number | null }>;
  timeline: { bucketSec: number; rows: Array<{ t: number; a: number; b: number }> };
  /** Capture points paired by role across the sides (src/compare/sides.ts). */
  points: ComparisonPointRow[];
  hasCluster: { a: boolean; b: boolean };
}

export interface ComparisonJson {
  schema: 'overlayscope.comparison/v1';
  a: ComparisonSide;
  b: ComparisonSide;
  metrics: ComparisonMetric[];
  explanation: string[];
  perHop: Array<{ hop: string; a: number; b: number }>;
  latency: Array<{ request: number; a: number | null; b: number | null; aTotal: number | null; bTotal: number | null }>;
  timeline: { bucketSec: number; rows: Array<{ t: number; a: number; b: number }> };
  legs: { a: LegSummary[]; b: LegSummary[] };
  points: ComparisonPointRow[];
}

/** Profiles both sessions and compares them. */
export async function compareSessions(a: AnalysisSession, b: AnalysisSession, labels: { a: string; b: string }, opts: CompareOptions = {}): Promise<Comparison> {
  const pa = await profileSession(a, labels.a);
  const pb = await profileSession(b, labels.b);
  return compareProfiles(pa, pb, { ...opts, hasCluster: { a: !!a.options.clusterMetadata, b: !!b.options.clusterMetadata } });
}

export interface CompareOptions {
  /** Capture points paired by the user: [point or role of A, point or role of B]. */
  pairs?: ReadonlyArray<readonly [string, string]>;
  hasCluster?: { a: boolean; b: boolean };
}

/** Which way a metric improves: fewer packets, bytes, connections, hops and milliseconds are better; keep-alive reuse is better higher. */
export function betterOf(name: string): 'lower' | 'higher' | undefined {
  if (/^(capture points|HTTP requests|offloaded|connections to a Service|bytes \(all|packets \(all)/.test(name)) return undefined;
  if (/reusing/.test(name)) return 'higher';
  return 'lower';
}

const per = (x: number, n: number): number | null => (n > 0 ? round(x / n) : null);

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : round((s[m - 1]! + s[m]!) / 2);
}

function max(xs: readonly number[]): number | null {
  return xs.length ? Math.max(...xs) : null;
}

function leg(p: TrafficProfile, n: number): LegSummary | undefined {
  return p.legs.find((l) => l.leg === n);
}

export function compareProfiles(a: TrafficProfile, b: TrafficProfile, opts: CompareOptions = {}): Comparison {
  const metrics: ComparisonMetric[] = [];
  const add = (group: string, name: string, unit: string, va: number | null, vb: number | null): void => {
    const better = betterOf(name);
    metrics.push({ group, name, unit, a: va, b: vb, delta: va === null || vb === null ? null : round(vb - va), ...(better ? { better } : {}) });
  };
  const ra = a.requests;
  const rb = b.requests;

  add('totals', 'capture points', 'points', a.points.length, b.points.length);
  add('totals', 'packets (all capture points)', 'packets', a.packets, b.packets);
  add('totals', 'bytes (all capture points)', 'bytes', a.bytes, b.bytes);
  add('totals', 'distinct packets (each transmission on each link once)', 'packets', a.frames, b.frames);
  add('requests', 'HTTP requests (sent by clients)', 'requests', ra, rb);
  add('requests', 'HTTP requests on every leg (proxied requests included)', 'requests', a.httpRequests, b.httpRequests);
  add('requests', 'packets per request, end to end', 'packets', per(a.requestFrames, ra), per(b.requestFrames, rb));
  add('requests', 'packets per request, end to end, as wire segments (offloaded super-packets split by the MSS)', 'segments', per(a.requestWireSegments, ra), per(b.requestWireSegments, rb));
  add('requests', 'TCP data segments per request, end to end (payload split by the MSS: the same with offloads on or off; pure ACKs not counted)', 'segments', per(a.requestDataSegments, ra), per(b.requestDataSegments, rb));
  add('requests', 'distinct packets per request, all traffic (ARP, DNS, other connections included)', 'packets', per(a.frames, ra), per(b.frames, rb));
  add('requests', 'distinct packets per request, all traffic, as wire segments', 'segments', per(a.wireSegments, ra), per(b.wireSegments, rb));
  add('requests', 'packets per request, all capture points', 'packets', per(a.packets, ra), per(b.packets, rb));
  add('requests', 'packets per request, all capture points, as wire segments', 'segments', per(a.packetWireSegments, ra), per(b.packetWireSegments, rb));
  add('totals', 'offloaded frames (longer than a 1500-byte MTU allows)', 'packets', a.offloadFrames, b.offloadFrames);
  add('requests', 'proxy hops per request', 'hops', per(Math.max(0, a.httpRequests - ra), ra), per(Math.max(0, b.httpRequests - rb), rb));
  add('connections', 'TCP connections opened', 'connections', a.tcpConnectionsOpened, b.tcpConnectionsOpened);
  add('connections', 'TCP connections opened per request', 'connections', per(a.tcpConnectionsOpened, ra), per(b.tcpConnectionsOpened, rb));
  const maxLeg = Math.max(0, ...a.legs.map((l) => l.leg), ...b.legs.map((l) => l.leg));
  for (let n = 1; n <= maxLeg; n++) {
    const la = leg(a, n);
    const lb = leg(b, n);
    add('connections', `${legName(n)}s opened per request`, 'connections', per(la?.connectionsOpened ?? 0, ra), per(lb?.connectionsOpened ?? 0, rb));
    add('connections', `requests reusing ${/^[aeiou]/.test(legName(n)) ? 'an' : 'a'} ${legName(n)} (keep-alive)`, 'requests', la?.reusedRequests ?? 0, lb?.reusedRequests ?? 0);
  }
  add('connections', 'address translations (DNAT/SNAT) per request', 'translations',
    per(a.legs.reduce((s, l) => s + l.translations, 0), ra), per(b.legs.reduce((s, l) => s + l.translations, 0), rb));
  // One set of rows per tunnel type either side holds, named by the type.
  const types = tunnelTypes(a, b);
  for (const { type, name } of types) {
    const ta = a.tunnels.find((t) => t.type === type);
    const tb = b.tunnels.find((t) => t.type === type);
    add('overlay', `${name} packets`, 'packets', ta?.packets ?? 0, tb?.packets ?? 0);
    add('overlay', `${name} packets per request`, 'packets', per(ta?.packets ?? 0, ra), per(tb?.packets ?? 0, rb));
    add('overlay', `${name} crossings per request (request messages)`, 'crossings', per(ta?.requestCrossings ?? 0, ra), per(tb?.requestCrossings ?? 0, rb));
    add('overlay', `${name} bytes`, 'bytes', ta?.bytes ?? 0, tb?.bytes ?? 0);
    if (types.length > 1) add('overlay', `${name} encapsulation bytes per request`, 'bytes', per(ta?.encapsulationBytes ?? 0, ra), per(tb?.encapsulationBytes ?? 0, rb));
  }
  if (types.length > 1) {
    add('overlay', 'tunnel packets (every type; a frame inside two types once)', 'packets', a.tunnelPackets, b.tunnelPackets);
    add('overlay', 'tunnel packets per request (every type)', 'packets', per(a.tunnelPackets, ra), per(b.tunnelPackets, rb));
  }
  add('overlay', 'encapsulation bytes', 'bytes', a.encapsulationBytes, b.encapsulationBytes);
  if (a.serviceConnections || b.serviceConnections) {
    const sa = a.serviceConnections;
    const sb = b.serviceConnections;
    add('connections', 'connections to a Service through a visible DNAT (ClusterIP, NodePort)', 'connections', sa?.dnat ?? null, sb?.dnat ?? null);
    add('connections', `connections to a Service endpoint with ${NO_DNAT_SEEN}`, 'connections', sa?.direct ?? null, sb?.direct ?? null);
  }
  add('overlay', 'encapsulation bytes per request', 'bytes', per(a.encapsulationBytes, ra), per(b.encapsulationBytes, rb));
  const timing = (p: TrafficProfile, k: 'handshakeMs' | 'ttfbMs' | 'totalMs'): number[] =>
    p.requestList.map((r) => r[k]).filter((x): x is number => x !== null);
  for (const [k, name] of [['handshakeMs', 'handshake RTT'], ['ttfbMs', 'time to first byte'], ['totalMs', 'total time']] as const) {
    add('timing', `${name}, median`, 'ms', median(timing(a, k)), median(timing(b, k)));
    add('timing', `${name}, max`, 'ms', max(timing(a, k)), max(timing(b, k)));
  }
  add('errors', 'TCP retransmissions', 'segments', a.retransmissions, b.retransmissions);
  add('errors', 'TCP resets', 'packets', a.resets, b.resets);
  // Per capture point, paired by role (`nginx-proxy.client` and `ingress.client` are both `client`;
  // a point only one side has shows null on the other).
  const pairs = pairPoints({ names: a.points.map((p) => p.name), label: a.label }, { names: b.points.map((p) => p.name), label: b.label }, opts.pairs ?? []);
  const points: ComparisonPointRow[] = [];
  for (const pair of pairs) {
    const pa = pair.a >= 0 ? a.points[pair.a]! : undefined;
    const pb = pair.b >= 0 ? b.points[pair.b]! : undefined;
    const name = pair.role;
    add('capture points', `packets at ${name}`, 'packets', pa?.packets ?? null, pb?.packets ?? null);
    add('capture points', `bytes at ${name}`, 'bytes', pa?.bytes ?? null, pb?.bytes ?? null);
    add('capture points', `packets per request at ${name}`, 'packets', pa ? per(pa.packets, ra) : null, pb ? per(pb.packets, rb) : null);
    add('capture points', `wire segments per request at ${name}`, 'segments', pa ? per(pa.wireSegments, ra) : null, pb ? per(pb.wireSegments, rb) : null);
    points.push({
      role: name,
      a: pa ? { name: pa.name, packets: pa.packets, bytes: pa.bytes, packetsPerRequest: per(pa.packets, ra) } : null,
      b: pb ? { name: pb.name, packets: pb.packets, bytes: pb.bytes, packetsPerRequest: per(pb.packets, rb) } : null,
    });
  }

  const hopNames = [...new Set([...a.hops.map((h) => h.hop), ...b.hops.map((h) => h.hop)])];
  const perHop = hopNames.map((hop) => ({
    hop,
    a: per(a.hops.find((h) => h.hop === hop)?.frames ?? 0, ra) ?? 0,
    b: per(b.hops.find((h) => h.hop === hop)?.frames ?? 0, rb) ?? 0,
  }));
  const n = Math.max(a.requestList.length, b.requestList.length);
  const latency = Array.from({ length: n }, (_, i) => ({
    request: i + 1,
    a: a.requestList[i]?.ttfbMs ?? null,
    b: b.requestList[i]?.ttfbMs ?? null,
  }));
  const bucketSec = Math.max(a.timeline.bucketSec, b.timeline.bucketSec);
  const rebucket = (p: TrafficProfile): number[] => {
    const out: number[] = [];
    p.timeline.frames.forEach((v, i) => {
      const k = Math.floor((i * p.timeline.bucketSec) / bucketSec + 1e-9);
      out[k] = (out[k] ?? 0) + v;
    });
    return out;
  };
  const ta = rebucket(a);
  const tb = rebucket(b);
  const rows = Array.from({ length: Math.max(ta.length, tb.length) }, (_, i) => ({ t: round(i * bucketSec, 6), a: ta[i] ?? 0, b: tb[i] ?? 0 }));
  return { a, b, metrics, explanation: explain(a, b), perHop, latency, timeline: { bucketSec, rows }, points, hasCluster: opts.hasCluster ?? { a: false, b: false } };
}

/** The tunnel types either side holds, in type id order (VXLAN, Geneve, IP-in-IP, GRE, NVGRE, ERSPAN, WireGuard). */
function tunnelTypes(a: TrafficProfile, b: TrafficProfile): Array<Pick<TunnelTypeProfile, 'type' | 'name'>> {
  const out: Array<Pick<TunnelTypeProfile, 'type' | 'name'>> = [];
  for (const t of [...a.tunnels, ...b.tunnels]) if (!out.some((x) => x.type === t.type)) out.push({ type: t.type, name: t.name });
  const order = TUNNEL_NAMES as readonly string[];
  return out.sort((x, y) => order.indexOf(x.type) - order.indexOf(y.type));
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 2 : 1).replace(/\.?0+$/, '');
}

/** Figures said side by side share their decimals (the report's rule: none when all are whole, else 2 below 10, 1 from 10 up), thousands grouped: "75.0 … 58.8", "2,170 … 2,430". */
function fmtSame(...xs: number[]): string[] {
  const d = xs.every((x) => Number.isInteger(x)) ? 0 : Math.max(...xs.map(Math.abs)) < 10 ? 2 : 1;
  return xs.map((x) => (x < 0 ? '−' : '') + Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
}

function pct(from: number, to: number): string {
  if (from === 0) return '';
  return ` (${to < from ? '−' : '+'}${Math.round((Math.abs(to - from) / from) * 100)}\u00a0%)`;
}

/** Plain-words explanation of the difference, from the numbers. */
export function explain(a: TrafficProfile, b: TrafficProfile): string[] {
  const out: string[] = [];
  // Each side is named with its label once, the first time it appears; "A" and "B" after that
  // (the view shows which is which beside the table), so the sentences stay short.
  const A = '\u0001A';
  const B = '\u0001B';
  const named = { A: false, B: false };
  const finish = (lines: string[]): string[] => lines.map((l) => l.replace(/\u0001([AB])/g, (_m, w: 'A' | 'B') => {
    if (named[w]) return w;
    named[w] = true;
    return `${w} (${w === 'A' ? a.label : b.label})`;
  }));
  if (!a.requests || !b.requests) {
    out.push(`${!a.requests ? A : B} has no HTTP request from a client, so per-request figures are not available; totals are compared as they are.`);
    if (a.frames !== b.frames) out.push(`${a.frames < b.frames ? A : B} has ${Math.abs(b.frames - a.frames)} fewer distinct packets (${a.frames} vs ${b.frames}).`);
    return finish(out);
  }
  const ea = a.requestFrames / a.requests;
  const eb = b.requestFrames / b.requests;
  const d = ea - eb;
  if (Math.abs(d) < 0.05 * Math.max(ea, eb)) {
    out.push(`Both need about the same number of packets per request end to end: ${fmt(ea)} for A, ${fmt(eb)} for B (each transmission on each link counted once; ${a.requests} and ${b.requests} client requests).`);
  } else {
    const [less, more, lv, mv] = d > 0 ? [B, A, eb, ea] : [A, B, ea, eb];
    out.push(`${less} needs ${fmt(Math.abs(d))} fewer packets per request end to end: ${fmt(lv)} against ${fmt(mv)} for ${more}${pct(mv, lv)}; each transmission on each link is counted once (${a.requests} and ${b.requests} client requests).`);
  }
  // Offloads: super-packets make the captured counts differ from what the wire carried.
  if (a.offloadFrames > 0 || b.offloadFrames > 0) {
    const on = [a.offloadFrames > 0 ? `${A} holds ${a.offloadFrames} offloaded super-packets (up to ${a.largestFrame} bytes)` : '',
      b.offloadFrames > 0 ? `${B} holds ${b.offloadFrames} (up to ${b.largestFrame} bytes)` : ''].filter(Boolean).join(' and ');
    out.push(`Captured with offloads on: ${on}, so packets were counted as captured, not as sent. As wire segments (each super-packet split by its connection's MSS): ${fmt(a.requestWireSegments / a.requests)} per request for A, ${fmt(b.requestWireSegments / b.requests)} for B; TCP data segments alone, which offloads do not change: ${fmt(a.requestDataSegments / a.requests)} and ${fmt(b.requestDataSegments / b.requests)} (a receiver with GRO sends fewer ACKs: one a super-packet).`);
  }
  // Where: per leg.
  const maxLeg = Math.max(0, ...a.legs.map((l) => l.leg), ...b.legs.map((l) => l.leg));
  let biggest: { leg: number; diff: number } | null = null;
  const legLines: string[] = [];
  for (let n = 1; n <= maxLeg; n++) {
    const la = a.legs.find((l) => l.leg === n);
    const lb = b.legs.find((l) => l.leg === n);
    const fa = (la?.frames ?? 0) / a.requests;
    const fb = (lb?.frames ?? 0) / b.requests;
    const [sa, sb] = fmtSame(fa, fb);
    legLines.push(`${legName(n)}: ${sa} packets per request in A, ${sb} in B`);
    if (!biggest || Math.abs(fa - fb) > Math.abs(biggest.diff)) biggest = { leg: n, diff: fa - fb };
  }
  if (biggest && Math.abs(biggest.diff) >= 0.5) {
    out.push(`Most of the difference is on the ${legName(biggest.leg)} (${legLines.join('; ')}).`);
  } else if (legLines.length) {
    out.push(`Per leg: ${legLines.join('; ')}.`);
  }
  // Why: connections opened and reused, per leg.
  for (let n = 1; n <= maxLeg; n++) {
    const la = a.legs.find((l) => l.leg === n);
    const lb = b.legs.find((l) => l.leg === n);
    if (!la || !lb) {
      const only = la ? A : B;
      const other = la ? B : A;
      out.push(`${only} has ${/^[aeiou]/.test(legName(n)) ? 'an' : 'a'} ${legName(n)} that ${other} does not: ${other}'s requests take one proxy hop fewer.`);
      continue;
    }
    const ca = la.connectionsOpened / a.requests;
    const cb = lb.connectionsOpened / b.requests;
    if (Math.abs(ca - cb) < 0.05) continue;
    const [reuser, opener, lr, lo, pr, po] = ca > cb ? [B, A, lb, la, b, a] : [A, B, la, lb, a, b];
    const costEach = lo.connectionsOpened ? lo.controlFrames / lo.connectionsOpened : 0;
    const saved = lo.connectionsOpened / po.requests - lr.connectionsOpened / pr.requests;
    const legFramesSaved = lo.frames / po.requests - lr.frames / pr.requests;
    const [co, cr] = fmtSame(lo.connectionsOpened / po.requests, lr.connectionsOpened / pr.requests);
    out.push(`${reuser} reuses its ${legName(n)}s (keep-alive): ${lr.reusedRequests} of ${lr.requests} requests on that leg open no new TCP connection, against ${lo.reusedRequests} of ${lo.requests} for ${opener}; ${opener} opens ${co} new ${legName(n)}${co === '1' ? '' : 's'} per request, ${reuser} ${cr}.`);
    if (costEach > 0) {
      const explained = saved * costEach;
      out.push(`Each new ${legName(n)} costs ${opener} ${fmt(costEach)} packets of handshake and teardown end to end (SYN, SYN/ACK, ACK, FINs and their ACKs, on every link it crosses), so the ${fmt(saved)} connection${saved === 1 ? '' : 's'} per request that ${reuser} avoids account for about ${fmt(explained)} of the ${fmt(legFramesSaved)} fewer packets per request on that leg.`);
    }
  }
  // Why: address translations.
  for (let n = 1; n <= maxLeg; n++) {
    const la = a.legs.find((l) => l.leg === n);
    const lb = b.legs.find((l) => l.leg === n);
    if (!la || !lb) continue;
    const ta = la.connections ? la.translations / la.connections : 0;
    const tb = lb.connections ? lb.translations / lb.connections : 0;
    if (Math.abs(ta - tb) < 0.05) continue;
    const [nat, direct, ln] = ta > tb ? [A, B, la] : [B, A, lb];
    out.push(`${nat}'s ${legName(n)}s are address-translated on the way (a Service DNAT: ${ln.translationExample ?? 'the destination is rewritten'}); ${direct}'s go straight to the pod endpoints, with no Service address in between.`);
  }
  // Services reached with no DNAT in between (with metadata).
  if (a.serviceConnections && b.serviceConnections && (a.serviceConnections.direct > 0 || b.serviceConnections.direct > 0)) {
    const line = (x: string, s: { dnat: number; direct: number }): string => `${x}: ${s.direct} of ${s.dnat + s.direct} connection${s.dnat + s.direct === 1 ? '' : 's'} to Services go straight to an endpoint with ${NO_DNAT_SEEN}, ${s.dnat} through a visible DNAT`;
    out.push(`${line(A, a.serviceConnections)}; ${line(B, b.serviceConnections)}.`);
  }
  // Overlay: per tunnel type present.
  const types = tunnelTypes(a, b);
  for (const { type, name } of types) {
    const ta = a.tunnels.find((t) => t.type === type);
    const tb = b.tunnels.find((t) => t.type === type);
    const va = (ta?.packets ?? 0) / a.requests;
    const vb = (tb?.packets ?? 0) / b.requests;
    // With one type the encapsulation figure is the whole session's (as the metric); with several, this type's.
    const ea2 = (types.length > 1 ? ta?.encapsulationBytes ?? 0 : a.encapsulationBytes) / a.requests;
    const eb2 = (types.length > 1 ? tb?.encapsulationBytes ?? 0 : b.encapsulationBytes) / b.requests;
    const what = `${types.length > 1 ? `${name} ` : ''}encapsulation`;
    if (!ta || !tb) {
      const [has, none, v, e] = ta ? [A, B, va, ea2] : [B, A, vb, eb2];
      out.push(`${has} sends ${fmt(v)} ${name} packets per request and ${none} none: ${fmt(e)} bytes of ${what} per request.`);
    } else if (Math.abs(va - vb) >= 0.05 * Math.max(va, vb, 1)) {
      const [less, lv, mv] = va > vb ? [B, vb, va] : [A, va, vb];
      const [pd, pl, pm] = fmtSame(mv - lv, lv, mv);
      const [bd, bl, bm] = fmtSame(Math.abs(ea2 - eb2), Math.min(ea2, eb2), Math.max(ea2, eb2));
      out.push(`${less} sends ${pd} fewer ${name} packets per request (${pl} against ${pm}), ${bd} fewer bytes of ${what} per request (${bl} B against ${bm} B).`);
    } else {
      out.push(`Both send about as many ${name} packets per request (${fmt(va)} and ${fmt(vb)}).`);
    }
    const ca = (ta?.requestCrossings ?? 0) / a.requests;
    const cb = (tb?.requestCrossings ?? 0) / b.requests;
    if (ca > 0 || cb > 0) out.push(`Each request message crosses the ${name} overlay ${fmt(ca)} times in A and ${fmt(cb)} times in B.`);
  }
  // Timing (reported, not claimed as a cause).
  const med = (p: TrafficProfile): number | null => {
    const xs = p.requestList.map((r) => r.ttfbMs).filter((x): x is number => x !== null).sort((x, y) => x - y);
    if (!xs.length) return null;
    const m = xs.length >> 1;
    return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
  };
  const ma = med(a);
  const mb = med(b);
  if (ma !== null && mb !== null) out.push(`Median time to first byte at the client: ${fmt(ma)} ms in A, ${fmt(mb)} ms in B (${a.requestList.length} and ${b.requestList.length} requests; few requests make this a rough figure).`);
  if (a.retransmissions || b.retransmissions || a.resets || b.resets) {
    out.push(`Retransmissions: ${a.retransmissions} in A, ${b.retransmissions} in B; resets: ${a.resets} in A, ${b.resets} in B.`);
  }
  return finish(out);
}

export function comparisonView(c: Comparison): ComparisonView & { timeline: Comparison['timeline'] } {
  return {
    labelA: c.a.label,
    labelB: c.b.label,
    metrics: c.metrics,
    explanation: c.explanation,
    perHop: c.perHop,
    latency: c.latency,
    timeline: c.timeline,
    points: c.points,
    sides: {
      a: { label: c.a.label, files: c.a.files.length, points: c.a.points.length, requests: c.a.requests, hasCluster: c.hasCluster.a },
      b: { label: c.b.label, files: c.b.files.length, points: c.b.points.length, requests: c.b.requests, hasCluster: c.hasCluster.b },
    },
  };
}

function side(p: TrafficProfile, roles: string[], hasCluster: boolean): ComparisonSide {
  return { label: p.label, files: p.files, points: p.points.map((x) => x.name), firstTime: p.firstTime, durationSec: p.durationSec, requests: p.requests, roles, hasCluster };
}

/** Each point's role on one side, from the pairs. */
function rolesOf(c: Comparison, which: 'a' | 'b'): string[] {
  const p = c[which];
  return p.points.map((pt) => c.points.find((r) => r[which]?.name === pt.name)?.role ?? pt.name);
}

export function comparisonJson(c: Comparison): ComparisonJson {
  const n = Math.max(c.a.requestList.length, c.b.requestList.length);
  return {
    schema: 'overlayscope.comparison/v1',
    a: side(c.a, rolesOf(c, 'a'), c.hasCluster.a),
    b: side(c.b, rolesOf(c, 'b'), c.hasCluster.b),
    metrics: c.metrics,
    explanation: c.explanation,
    perHop: c.perHop,
    latency: Array.from({ length: n }, (_, i) => ({
      request: i + 1,
      a: c.a.requestList[i]?.ttfbMs ?? null,
      b: c.b.requestList[i]?.ttfbMs ?? null,
      aTotal: c.a.requestList[i]?.totalMs ?? null,
      bTotal: c.b.requestList[i]?.totalMs ?? null,
    })),
    timeline: c.timeline,
    legs: { a: c.a.legs, b: c.b.legs },
    points: c.points,
  };
}
