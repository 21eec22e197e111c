/**
 * The overlay view of a session: nodes (VTEPs) with their MACs, VNIs and pod
 * CIDRs inferred from tunnel traffic; the node-to-node tunnel matrix; the
 * translations found by stitching connections across capture points; request
 * journeys; and, with cluster metadata, the names of everything.
 */
import type { Endpoint, Identity, Journey, OverlayNode, OverlayView, TranslationRow, TunnelEdge } from '../api.js';
import { ipv4ToString, ipv6ToString } from '../dissect/addr.js';
import { TUNNEL_WIREGUARD } from '../dissect/layers.js';
import type { CaptureResult } from '../pipeline/analyze.js';
import type { FlowJson } from '../flows/flow-output.js';
import type { ClusterMetadata } from './cluster-metadata.js';
import { cidr6Contains, cidrContains, IdentityResolver } from './cluster-metadata.js';
import { httpExchanges, JourneyTable, showsMoreThanOneHop } from './journeys.js';
import { journeyIngress } from './ingress.js';
import { macToText, tunnelTypeOf, type OverlayObserver } from './overlay-observer.js';
import { tuplesWorthStitching } from './one-point.js';
import { stitch, translationKind, type StitchResult } from './stitch.js';
import { measureClocks, type ClockOptions, type ClockState } from './clock-state.js';
import type { HostClock } from './clocks.js';

/** What a WireGuard edge says: it is a tunnel whose contents the captures cannot show. */
export const WIREGUARD_NOTE = 'encrypted (WireGuard): the packets inside cannot be seen, so no inner flows, pod CIDRs or journeys come from this tunnel';

/** How a flow reached its Service: through a visible DNAT (or addressed to the Service), or straight to an endpoint. */
export type ServiceVia = 'dnat' | 'direct';

/** What a flow straight to a Service endpoint says (docs/cli.md, "Services without visible DNAT"). */
export const NO_DNAT_SEEN = 'no DNAT seen (socket-level load balancing or direct access to the pod)';

export interface CapturePointJson {
  name: string;
  file: string;
  interface: number;
  /** TCP/UDP packets seen at this point (innermost level). */
  packets: number;
  /** Of those, copies of a packet already seen at another point or depth (counted here, not a retransmission). */
  copies: number;
}

/** What `toJSON` adds to `overlayscope.analysis/v1` (see docs/cli.md, "Overlay"). */
export interface OverlayJson extends OverlayView {
  /** The tunnel matrix, with the packets seen at each capture point (copies included). */
  tunnels: Array<TunnelEdge & { seenAt: Record<string, number> }>;
  capturePoints: CapturePointJson[];
  /** One entry per host (capture points sharing a clock): its offset from the reference host's clock. */
  clocks: HostClock[];
  /** Whether cluster metadata named the addresses. */
  cluster: { files: string[] } | null;
  /** What the overlay could not do with these captures, and why (e.g. one capture point: no translations or journeys). */
  notes: string[];
}

/** A capture point's name: the interface name in a multi-interface pcapng, else the file name without extension. */
export function capturePointName(c: CaptureResult, iface: number): string {
  const i = c.interfaces.find((x) => x.id === iface);
  const stem = (c.file.split(/[\\/]/).pop() ?? c.file).replace(/\.(pcapng|pcap|cap|ntar)(\.gz)?$/i, '');
  if (c.interfaces.length > 1 && i) return i.name ?? i.description ?? `${stem}#${iface}`;
  return stem;
}


type OwnedCidrs = Map<number, Array<{ cidr: string; evidence: number; source: 'cluster' | 'traffic' }>>;

/** Counts n packets from traffic bucket `key` sent by VTEP `vtep`. */
function addEvidence<K>(buckets: Map<K, Map<number, number>>, key: K, vtep: number, n: number): void {
  let m = buckets.get(key);
  if (!m) buckets.set(key, (m = new Map()));
  m.set(vtep, (m.get(vtep) ?? 0) + n);
}

/** Each traffic bucket, in `order`, becomes a pod CIDR (`cidr(key)`) of the VTEP with the most evidence in it. */
function claimBuckets<K>(buckets: Map<K, Map<number, number>>, order: (a: K, b: K) => number, cidr: (key: K) => string, owned: OwnedCidrs): void {
  for (const [k, m] of [...buckets].sort((x, y) => order(x[0], y[0]))) {
    const [owner, evidence] = [...m].sort((x, y) => y[1] - x[1])[0]!;
    owned.set(owner, [...(owned.get(owner) ?? []), { cidr: cidr(k), evidence, source: 'traffic' }]);
  }
}

export class OverlayAnalysis {
  readonly stitched: StitchResult;
  readonly resolver: IdentityResolver | null;
  private readonly names: string[];

  /** Capture points grouped into hosts (one clock each), and each host's clock. */
  readonly clockState: ClockState;

  constructor(readonly observer: OverlayObserver, readonly captures: readonly CaptureResult[], readonly cluster: ClusterMetadata | null, options: ClockOptions = {}) {
    this.resolver = cluster ? new IdentityResolver(cluster) : null;
    this.names = observer.points.map((p) => capturePointName(captures[p.capture]!, p.iface));
    // Two points with one name (the same file name in two folders): make them distinct.
    const count = new Map<string, number>();
    for (const n of this.names) count.set(n, (count.get(n) ?? 0) + 1);
    this.names = this.names.map((n, i) => (count.get(n)! > 1 ? `${n} (${captures[observer.points[i]!.capture]!.file})` : n));
    // Clocks first: stitching, translations and journeys order packets across hosts.
    this.clockState = observer.clockState ??= measureClocks(this, options);
    // One capture point: only the connections it can say more about (see one-point.ts). Two or more: the
    // clocks' stitch when it is this one (no time corrected, no copy beyond the same-packet window).
    this.stitched = observer.points.length < 2 ? stitch(observer, tuplesWorthStitching(observer)) : this.clockState.stitched ?? stitch(observer, null);
  }

  pointName(p: number): string {
    return this.names[p] ?? `point ${p}`;
  }

  private get precision(): number {
    return this.captures.reduce((a, c) => Math.max(a, c.precision), 6);
  }

  capturePoints(): CapturePointJson[] {
    const o = this.observer;
    const copies = new Float64Array(o.points.length);
    const copyOf = this.stitched.copyOf;
    // One-point rows are a few packets of each connection: their copies are not counted.
    for (let r = o.sparseRows; r < copyOf.length; r++) if (copyOf[r]! >= 0) copies[o.tPoint[o.tuple[r]!]!]++;
    return o.points.map((p, i) => ({ name: this.pointName(i), file: this.captures[p.capture]!.file, interface: p.iface, packets: o.pointPackets[i]!, copies: copies[i]! }));
  }

  nodes(): OverlayNode[] {
    const vteps = this.observer.vtepList();
    const vtepIps = new Set(vteps.map((v) => v.ip));
    // A node's pod CIDRs from the cluster metadata (kubectl's spec.podCIDRs) when it has them; the
    // evidence is the inner packets the VTEP sent from inside each. Inner sources outside them (or
    // every source, without metadata) are summarised as /24 buckets inferred from the traffic.
    const declared = new Map<number, Array<{ cidr: string; net: number; bits: number; evidence: number; source: 'cluster' }>>();
    for (const v of vteps) {
      const l = this.resolver?.podCidrsOfNode(this.observer.outerText(v.ip)) ?? [];
      if (l.length) declared.set(v.ip, l.map((c) => ({ ...c, evidence: 0, source: 'cluster' as const })));
    }
    // /24 buckets of inner sources behind each VTEP; a bucket claimed by two VTEPs goes to the one with more evidence.
    const buckets = new Map<number, Map<number, number>>();
    for (const v of vteps) {
      const mine = declared.get(v.ip);
      for (const [ip, n] of v.innerSources) {
        if (vtepIps.has(ip)) continue;
        const c = mine?.find((x) => cidrContains(x, ip));
        if (c) { c.evidence += n; continue; }
        addEvidence(buckets, (ip & 0xffffff00) >>> 0, v.ip, n);
      }
    }
    const owned: OwnedCidrs = new Map();
    for (const [ip, l] of declared) owned.set(ip, l.map((c) => ({ cidr: c.cidr, evidence: c.evidence, source: c.source })));
    claimBuckets(buckets, (x, y) => x - y, (b) => `${ipv4ToString(b)}/24`, owned);
    // Dual-stack pods: inner IPv6 sources as /64 networks (Kubernetes' per-node IPv6 pod CIDRs are /64
    // or shorter), claimed as the IPv4 buckets; the metadata's IPv6 pod CIDRs take their evidence first.
    const buckets6 = new Map<string, Map<number, number>>();
    const net64 = (k: string): [number, number, number, number] => { const [w0, w1] = k.split(',').map(Number) as [number, number]; return [w0, w1, 0, 0]; };
    for (const v of vteps) {
      const mine = this.resolver?.podCidrs6OfNode(this.observer.outerText(v.ip)) ?? [];
      if (!v.innerSources6.size && !mine.length) continue;
      const declared6 = mine.map((c) => ({ ...c, evidence: 0, source: 'cluster' as const }));
      for (const [k, n] of v.innerSources6) {
        const c = declared6.find((x) => cidr6Contains(x, net64(k)));
        if (c) c.evidence += n;
        else addEvidence(buckets6, k, v.ip, n);
      }
      owned.set(v.ip, [...(owned.get(v.ip) ?? []), ...declared6.map((c) => ({ cidr: c.cidr, evidence: c.evidence, source: c.source }))]);
    }
    claimBuckets(buckets6, (x, y) => (x < y ? -1 : 1), (k) => `${ipv6ToString(net64(k))}/64`, owned);
    return vteps.sort((a, b) => a.ip - b.ip).map((v) => {
      const ip = this.observer.outerText(v.ip);
      return {
        ip, name: this.resolver?.nodeNameOf(ip) ?? null,
        vtepMacs: [...v.macs].sort((a, b) => a - b).map(macToText),
        vnis: [...v.vnis].sort((a, b) => a - b),
        podCidrs: owned.get(v.ip) ?? [],
      };
    });
  }

  tunnels(): Array<TunnelEdge & { seenAt: Record<string, number> }> {
    return this.observer.edges().sort((a, b) => a.src - b.src || a.dst - b.dst || a.vni - b.vni).map((t) => ({
      a: this.observer.outerText(t.src), b: this.observer.outerText(t.dst), type: tunnelTypeOf(t.type), vni: t.vni,
      packets: t.packets, bytes: t.bytes, overheadBytes: t.overheadBytes, innerFlows: t.innerFlows.size,
      ...(t.type === TUNNEL_WIREGUARD ? { handshakes: t.handshakes, note: WIREGUARD_NOTE } : {}),
      seenAt: Object.fromEntries(t.seenAt.flatMap((n, p) => (n > 0 ? [[this.pointName(p), n]] : []))),
    }));
  }

  translations(): TranslationRow[] {
    const out: TranslationRow[] = [];
    for (const c of this.stitched.connections) {
      if (c.tuples.length < 2) continue;
      const a = c.tuples[0]!;
      // The translated side: the tuple the server saw, the last one the request reached.
      const b = c.tuples[c.tuples.length - 1]!;
      const kind = translationKind(a, b);
      if (!kind) continue;
      const svc = this.resolver?.serviceAt(a.dst, a.dport);
      const evidence = [
        c.streams.some((s) => s.syn) ? 'same TCP initial sequence number' : 'same TCP sequence numbers, IP ids and payloads',
        `${c.streams.length} directional streams at ${new Set(c.streams.map((s) => s.point)).size} capture points`,
      ].join('; ');
      out.push({
        kind, service: svc ? `${svc.service.namespace}/${svc.service.name}` : null,
        original: { src: { ip: a.src, port: a.sport }, dst: { ip: a.dst, port: a.dport } },
        translated: { src: { ip: b.src, port: b.sport }, dst: { ip: b.dst, port: b.dport } },
        originalSeenAt: [...a.points].map((p) => this.pointName(p)).sort(),
        translatedSeenAt: [...b.points].map((p) => this.pointName(p)).sort(),
        evidence,
      });
    }
    return out;
  }

  /**
   * One per client HTTP request. With one capture point, only those that show
   * more than `http` lists: the request seen there before and after NAT (at
   * two depths), or the upstream request a proxy there sent for it.
   */
  journeys(): Journey[] {
    return this.journeyTable().all();
  }

  /** The journeys, each made when asked for: as objects, or written as JSON bytes (the CLI's writer). */
  journeyTable(): JourneyTable {
    const o = this.observer;
    const ex = httpExchanges(o, this.stitched);
    const onePoint = o.points.length < 2;
    const resolver = this.resolver;
    return new JourneyTable(o, this.stitched, ex, (p) => this.pointName(p), this.precision, {
      keep: onePoint ? showsMoreThanOneHop : undefined,
      flowPackets: o.sparseRows > 0 ? this.flowPackets() : undefined,
      ingress: resolver?.metadata.ingresses.length ? (j, ex, root) => {
        const timeMs = (this.stitched.baseSec + ex.firstT(root) / 1e9) * 1000;
        return journeyIngress(j, ex.line(root), resolver, timeMs);
      } : undefined,
    });
  }

  /** Packets per flow id, counted from the packet index (for hops made of one-point rows). */
  private flowPackets(): (flow: number) => number {
    let counts: Float64Array | null = null;
    return (flow) => {
      if (!counts) {
        let max = -1;
        for (const c of this.captures) { const ids = c.index.flowId; for (let k = 0; k < c.index.count; k++) if (ids[k]! > max) max = ids[k]!; }
        counts = new Float64Array(max + 1);
        for (const c of this.captures) { const ids = c.index.flowId; for (let k = 0; k < c.index.count; k++) { const f = ids[k]!; if (f >= 0) counts[f]!++; } }
      }
      return counts[flow] ?? 0;
    };
  }

  candidateServices(tr: readonly TranslationRow[]): OverlayView['candidateServices'] {
    const m = new Map<string, { ip: string; port: number; evidence: number }>();
    for (const t of tr) {
      if (t.kind === 'snat') continue;
      const k = `${t.original.dst.ip}|${t.original.dst.port}`;
      const e = m.get(k) ?? { ip: t.original.dst.ip, port: t.original.dst.port ?? 0, evidence: 0 };
      e.evidence++;
      m.set(k, e);
    }
    return [...m.values()].sort((a, b) => b.evidence - a.evidence || (a.ip < b.ip ? -1 : 1));
  }

  pods(): OverlayView['pods'] {
    const md = this.cluster;
    if (!md) return [];
    return md.pods.filter((p) => !p.hostNetwork).flatMap((p) => p.ips.map((ip) => ({ ip, name: p.name, namespace: p.namespace, node: p.node })));
  }

  services(): OverlayView['services'] {
    return (this.cluster?.services ?? []).map((s) => ({
      name: s.name, namespace: s.namespace, clusterIp: s.clusterIps[0] ?? null,
      ports: s.ports.map((p) => ({ port: p.port, nodePort: p.nodePort, targetPort: p.targetPort, protocol: p.protocol })),
    }));
  }

  /** Each host's clock (hosts.ts, clocks.ts): `clocks` of the contract. */
  clocks(): HostClock[] {
    return this.clockState.clocks;
  }

  /** ns to subtract from the time of a packet of capture `c`, interface `iface` (clock correction; 0 when none). */
  correctionNs(c: number, iface: number, tsSec: number, tsNsec: number): number {
    const st = this.clockState;
    if (!st.corrected) return 0;
    const p = this.observer.findPoint(c, iface);
    const base = Number.isFinite(this.observer.baseSec) ? this.observer.baseSec : tsSec;
    const t = (tsSec - base) * 1e9 + tsNsec;
    if (p >= 0) return st.correctionNs(p, t);
    const cap = this.captures[c];
    return cap ? st.correctionByName(capturePointName(cap, iface), t) : 0;
  }

  /** Why translations or journeys are missing or partial. */
  notes(): string[] {
    const o = this.observer;
    const out: string[] = [...this.clockState.notes];
    if (o.points.length === 1) {
      out.push('one capture point: translations are the connections it saw both before and after NAT (a node NIC sees a NodePort request and, inside VXLAN, the translated one); '
        + `journeys are the requests it saw at two depths or that a proxy there relayed upstream${o.recording ? '' : '; copies are not counted'}. `
        + 'Capture points on both sides of each NAT (several files, or a pcapng with several interfaces) give the rest');
    }
    const late = o.lateStart;
    if (late) {
      out.push(`capture point ${this.pointName(late.point)} first appeared at packet ${late.packet} of ${this.captures[late.capture]!.file}: `
        + 'packets before it were read as from one capture point (rows only for TCP SYN, SYN/ACK and HTTP heads), so before it translations and journeys are those one point shows, '
        + 'and copies and tunnel de-duplication start there');
    }
    return out;
  }

  /**
   * `options.journeys` false: `journeys` is an empty placeholder (keeping the
   * key order) for a writer that takes them from journeyTable() one at a time.
   */
  toJSON(options: { journeys?: boolean } = {}): OverlayJson {
    const translations = this.translations();
    return {
      capturePoints: this.capturePoints(),
      clocks: this.clocks(),
      cluster: this.cluster ? { files: this.cluster.files } : null,
      notes: this.notes(),
      nodes: this.nodes(),
      pods: this.pods(),
      services: this.services(),
      tunnels: this.tunnels(),
      translations,
      journeys: options.journeys === false ? [] : this.journeys(),
      candidateServices: this.candidateServices(translations),
    };
  }

  /** Identity of an endpoint at a time (ISO or null), or null without metadata. */
  identity(e: Endpoint, time: string | null): Identity | null {
    if (!this.resolver) return null;
    const ms = time ? Date.parse(time) : NaN;
    return this.resolver.resolve(e.ip, e.port, Number.isFinite(ms) ? ms : null);
  }

  /** The Service a flow was sent to (ClusterIP/NodePort) or, toward an endpoint, the Service(s) it serves. */
  serviceOfFlow(a: Endpoint, b: Endpoint): string | null {
    const r = this.resolver;
    if (!r) return null;
    for (const x of [b, a]) {
      const s = r.serviceAt(x.ip, x.port);
      if (s) return `${s.service.namespace}/${s.service.name}`;
    }
    const served = [...r.servicesServedBy(b.ip, b.port), ...r.servicesServedBy(a.ip, a.port)];
    return served.length ? [...new Set(served)].join(',') : null;
  }

  private dnatKeys: Set<string> | null = null;

  /**
   * How a flow with a `service` reached it: `dnat` when it is addressed to
   * the Service (ClusterIP, NodePort) or is a view of a connection whose
   * destination was seen translated (a stitched DNAT); `direct` when it goes
   * to an endpoint of the Service on its target port and no translation of
   * its connection was seen: the client addressed the pod itself, or a
   * socket-level load balancer (Cilium's kube-proxy replacement, Calico's
   * eBPF dataplane) picked the backend at connect(), before any packet
   * existed. Null without a Service.
   */
  serviceVia(a: Endpoint, b: Endpoint): ServiceVia | null {
    const r = this.resolver;
    if (!r) return null;
    if (r.serviceAt(b.ip, b.port) || r.serviceAt(a.ip, a.port)) return 'dnat';
    if (!r.servicesServedBy(b.ip, b.port).length && !r.servicesServedBy(a.ip, a.port).length) return null;
    if (!this.dnatKeys) {
      // Every address tuple of a connection whose destination was rewritten, in both orientations.
      const keys = new Set<string>();
      for (const c of this.stitched.connections) {
        if (c.tuples.length < 2) continue;
        const kind = translationKind(c.tuples[0]!, c.tuples[c.tuples.length - 1]!);
        if (kind !== 'dnat' && kind !== 'dnat+snat') continue;
        for (const t of c.tuples) { keys.add(`${t.src}|${t.sport}|${t.dst}|${t.dport}`); keys.add(`${t.dst}|${t.dport}|${t.src}|${t.sport}`); }
      }
      this.dnatKeys = keys;
    }
    return this.dnatKeys.has(`${a.ip}|${a.port}|${b.ip}|${b.port}`) ? 'dnat' : 'direct';
  }

  /** Adds `identity`, `service` and, with a Service, `serviceVia` (and `serviceNote` when direct) to the contract's flows (with metadata). */
  annotateFlows(flows: FlowJson[]): void {
    if (!this.resolver) return;
    for (const f of flows) {
      f['identity'] = { a: this.identity(f.a, f.firstTime), b: this.identity(f.b, f.firstTime) };
      const svc = this.serviceOfFlow(f.a, f.b);
      f['service'] = svc;
      if (svc === null) continue;
      const via = this.serviceVia(f.a, f.b);
      if (via === null) continue;
      f['serviceVia'] = via;
      if (via === 'direct') f['serviceNote'] = NO_DNAT_SEEN;
    }
  }
}
