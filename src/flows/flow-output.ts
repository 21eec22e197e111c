/**
 * Flows, HTTP and DNS transactions as the CLI JSON contract's objects
 * (FlowJson, HttpJson: defined here, assembled into AnalysisJson by
 * src/session/contract.ts) and the UI's rows (FlowRow,
 * HttpRow, DnsRow in src/api.ts). Times are ISO strings at the capture's
 * precision; addresses are formatted here, once per flow, not per packet.
 */
import type { DnsRow, Endpoint, FlowRow, HttpRow } from '../api.js';
import { ipToString } from '../dissect/addr.js';
import { TUNNEL_IPIP, TUNNEL_NAMES, type TunnelType } from '../dissect/layers.js';

/** A tunnel's identifier as the contract gives it: -1 for IP-in-IP, which has none (as `tunnels[]` and journey hops say). */
const tunnelId = (type: number, vni: number): number => (type === TUNNEL_IPIP ? -1 : vni);
import type { CaptureResult } from '../pipeline/analyze.js';
import { JsonBytes, JsonLit } from '../pipeline/json-bytes.js';
import { formatTime } from '../pipeline/time.js';
import { CommunityId } from './community-id.js';
import type { FlowTracker } from './flow-tracker.js';
import type { DnsTransaction } from './dns-transactions.js';
import type { HttpTransaction } from './http-transactions.js';

/** The contract's (`overlayscope.analysis/v1`, docs/cli.md) flow and HTTP objects; src/session/contract.ts re-exports them. */
export interface EndpointJson { ip: string; port: number | null }

export interface FlowJson {
  id: number;
  capture?: string | string[];
  /** The flow's interface in its capture (its capture point) when the capture holds several: a pcapng interface, an SLL2 interface index, an SLL hop (captures[].interfaces[id]). */
  interface?: number;
  transport: string;
  a: EndpointJson;
  b: EndpointJson;
  depth: number;
  packets: number;
  bytes: number;
  packetsAtoB: number;
  packetsBtoA: number;
  bytesAtoB: number;
  bytesBtoA: number;
  firstTime: string;
  lastTime: string;
  tunnel: null | { type: TunnelType; vni: number; outerFlow: number };
  /** Community ID v1 (corelight/community-id-spec, seed 0 unless --community-id-seed); null for ICMP, ICMPv6 and SCTP flows. */
  communityId?: string | null;
  [extra: string]: unknown;
}

export interface HttpJson {
  flow: number;
  method: string | null;
  host: string | null;
  uri: string | null;
  status: number | null;
  requestTime: string | null;
  responseTime: string | null;
  [extra: string]: unknown;
}

const PROTO_NAMES: Record<number, string> = {
  1: 'icmp', 2: 'igmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmpv6', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp',
};

export function transportName(proto: number): string {
  return PROTO_NAMES[proto] ?? `ip-proto-${proto}`;
}

/** Context to format a tracker's results: the captures it saw (names, precision). */
export interface FlowContext {
  readonly flows: FlowTracker;
  readonly captures: readonly CaptureResult[];
  /** Seed of the flows' Community IDs (0 when absent): setCommunityIdSeed. */
  communityIdSeed?: number;
}

/** Sets the seed of the Community IDs `ctx`'s flow rows carry (CLI --community-id-seed). */
export function setCommunityIdSeed(ctx: FlowContext, seed: number): void {
  hasherFor(seed);
  ctx.communityIdSeed = seed;
}

const hashers = new Map<number, CommunityId>();
function hasherFor(seed: number): CommunityId {
  let h = hashers.get(seed);
  if (!h) hashers.set(seed, h = new CommunityId(seed));
  return h;
}

/**
 * Community ID v1 of flow f (src/flows/community-id.ts); null for ICMP and
 * ICMPv6 (a flow here holds every type between two addresses, the ID needs
 * the type) and SCTP (its ports are not decoded).
 */
export function flowCommunityId(ctx: FlowContext, f: number, h = hasherFor(ctx.communityIdSeed ?? 0)): string | null {
  const t = ctx.flows.table;
  const proto = t.proto[f]!;
  if (proto === 1 || proto === 58 || proto === 132) return null;
  return h.tuple(t.version[f] === 4 ? 1 : 4, proto, t.addr, 8 * f, t.addr, 8 * f + 4, t.portA[f]!, t.portB[f]!);
}

function precisionOf(ctx: FlowContext, capture: number): number {
  return ctx.captures[capture]?.precision ?? 9;
}

function fileOf(ctx: FlowContext, capture: number): string {
  return ctx.captures[capture]?.file ?? `capture ${capture}`;
}

export function endpoints(t: FlowContext['flows']['table'], f: number): { a: Endpoint; b: Endpoint } {
  const v = t.version[f]!;
  const ports = t.proto[f] === 6 || t.proto[f] === 17;
  return {
    a: { ip: ipToString(v, t.addr, 8 * f), port: ports ? t.portA[f]! : null },
    b: { ip: ipToString(v, t.addr, 8 * f + 4), port: ports ? t.portB[f]! : null },
  };
}

/** Whether a capture holds several interfaces (then a flow names its interface: its capture point). */
function multiInterface(ctx: FlowContext, capture: number): boolean {
  return (ctx.captures[capture]?.interfaces.length ?? 0) > 1;
}

function time(ctx: FlowContext, capture: number, sec: number, nsec: number): string | null {
  return sec < 0 ? null : formatTime(sec, nsec, precisionOf(ctx, capture));
}

/** Milliseconds from a to b, to the µs. */
function ms(aSec: number, aNsec: number, bSec: number, bNsec: number): number | null {
  const us = microseconds(aSec, aNsec, bSec, bNsec);
  return us === null ? null : us / 1e3;
}

/** Whole microseconds from a to b (rounded); null when either is absent. */
function microseconds(aSec: number, aNsec: number, bSec: number, bNsec: number): number | null {
  if (aSec < 0 || bSec < 0) return null;
  return Math.round(((bSec - aSec) * 1e9 + (bNsec - aNsec)) / 1e3);
}

function tunnelOf(t: FlowContext['flows']['table'], f: number): FlowJson['tunnel'] {
  const o = t.tunnelOuter[f]!;
  if (o < 0) return null;
  return { type: TUNNEL_NAMES[t.tunnelType[f]!] as TunnelType, vni: tunnelId(t.tunnelType[f]!, t.tunnelVni[f]!), outerFlow: o };
}

/**
 * Every tunnel link of the tracker, as compressed rows of typed arrays (no Map,
 * no object per flow): the outer flows of each inner flow and the inner flows
 * of each outer flow, each list in link order. On the 2 M-packet bench file
 * (126 k flows) the Maps of arrays of objects it replaces cost ~0.2 s of CPU.
 */
export class TunnelLinks {
  /** Links of inner flow f: `byInner[innerStart[f] .. innerStart[f+1])` (link numbers). */
  private readonly innerStart: Int32Array;
  private readonly byInner: Int32Array;
  /** Links of outer flow f: `byOuter[outerStart[f] .. outerStart[f+1])`. */
  private readonly outerStart: Int32Array;
  private readonly byOuter: Int32Array;

  constructor(private readonly table: FlowContext['flows']['table']) {
    const t = table;
    const n = t.count, L = t.linkCount;
    this.innerStart = new Int32Array(n + 1);
    this.outerStart = new Int32Array(n + 1);
    for (let l = 0; l < L; l++) { this.innerStart[t.linkInner[l]! + 1]!++; this.outerStart[t.linkOuter[l]! + 1]!++; }
    for (let f = 0; f < n; f++) { this.innerStart[f + 1]! += this.innerStart[f]!; this.outerStart[f + 1]! += this.outerStart[f]!; }
    this.byInner = new Int32Array(L);
    this.byOuter = new Int32Array(L);
    const ci = this.innerStart.slice(0, n), co = this.outerStart.slice(0, n);
    for (let l = 0; l < L; l++) { this.byInner[ci[t.linkInner[l]!]!++] = l; this.byOuter[co[t.linkOuter[l]!]!++] = l; }
  }

  /** How many outer flows carried inner flow f. */
  outerCount(f: number): number { return this.innerStart[f + 1]! - this.innerStart[f]!; }

  /** The tunnels (type, VNI, outer flow) that carried inner flow f, in link order. */
  outersOf(f: number): Array<{ type: string; vni: number; outerFlow: number }> {
    const t = this.table;
    const out: Array<{ type: string; vni: number; outerFlow: number }> = [];
    for (let k = this.innerStart[f]!; k < this.innerStart[f + 1]!; k++) {
      const l = this.byInner[k]!;
      out.push({ type: TUNNEL_NAMES[t.linkType[l]!]!, vni: tunnelId(t.linkType[l]!, t.linkVni[l]!), outerFlow: t.linkOuter[l]! });
    }
    return out;
  }

  /** Link number of the k-th tunnel (k < outerCount(f)) that carried inner flow f. */
  outerLink(f: number, k: number): number { return this.byInner[this.innerStart[f]! + k]!; }

  /** The k-th inner flow (k < innerCount(f)) outer flow f carried. */
  innerAt(f: number, k: number): number { return this.table.linkInner[this.byOuter[this.outerStart[f]! + k]!]!; }

  /** How many inner flows outer flow f carried. */
  innerCount(f: number): number { return this.outerStart[f + 1]! - this.outerStart[f]!; }

  /** The inner flows outer flow f carried, in link order. */
  innersOf(f: number): number[] {
    const out: number[] = [];
    for (let k = this.outerStart[f]!; k < this.outerStart[f + 1]!; k++) out.push(this.table.linkInner[this.byOuter[k]!]!);
    return out;
  }
}

export function tunnelLinks(ctx: FlowContext): TunnelLinks {
  return new TunnelLinks(ctx.flows.table);
}

/** TCP details of flow f (null for other transports). */
export function tcpDetail(ctx: FlowContext, f: number): Record<string, unknown> | null {
  const t = ctx.flows.table;
  if (t.proto[f] !== 6) return null;
  const c = ctx.flows.tcp;
  const rtt = c.rttNs[f]!;
  return {
    state: c.describe(f),
    handshake: { syn: (c.state[f]! & 1) !== 0, synAck: (c.state[f]! & 2) !== 0, ack: (c.state[f]! & 4) !== 0 },
    rttMs: rtt >= 0 ? Math.round(rtt / 1e3) / 1e3 : null,
    retransmissions: c.retransmissions[f]!,
    outOfOrder: c.outOfOrder[f]!,
    zeroWindows: c.zeroWindows[f]!,
    resets: c.resets[f]!,
    isnA: c.isnSet[2 * f] ? c.isn[2 * f]! : null,
    isnB: c.isnSet[2 * f + 1] ? c.isn[2 * f + 1]! : null,
    ipIdA: c.firstIpId[2 * f]! >= 0 ? c.firstIpId[2 * f]! : null,
    ipIdB: c.firstIpId[2 * f + 1]! >= 0 ? c.firstIpId[2 * f + 1]! : null,
  };
}

/** Flow f as the contract's FlowJson. `links` from tunnelLinks(ctx). */
export function flowJson(ctx: FlowContext, f: number, links: TunnelLinks): FlowJson {
  const t = ctx.flows.table;
  const cap = t.capture[f]!;
  const { a, b } = endpoints(t, f);
  const j: FlowJson = {
    id: f,
    capture: fileOf(ctx, cap),
    // The capture point within a file of several interfaces (pcapng interfaces, SLL2 indexes, SLL hops).
    ...(multiInterface(ctx, cap) ? { interface: t.iface[f]! } : {}),
    transport: transportName(t.proto[f]!),
    a, b,
    depth: t.depth[f]!,
    packets: t.packets(f),
    bytes: t.bytes(f),
    packetsAtoB: t.packetsAtoB(f),
    packetsBtoA: t.packetsBtoA(f),
    bytesAtoB: t.bytesAtoB(f),
    bytesBtoA: t.bytesBtoA(f),
    firstTime: formatTime(t.firstSec(f), t.firstNsec(f), precisionOf(ctx, cap)),
    lastTime: formatTime(t.lastSec(f), t.lastNsec(f), precisionOf(ctx, cap)),
    tunnel: tunnelOf(t, f),
    communityId: flowCommunityId(ctx, f),
  };
  if (links.outerCount(f) > 1) j['outerFlows'] = links.outersOf(f);
  if (links.innerCount(f) > 0) j['innerFlows'] = links.innersOf(f);
  const tcp = tcpDetail(ctx, f);
  if (tcp) j['tcp'] = tcp;
  const nat = natJson(t, f);
  if (nat) j['nat'] = nat;
  return j;
}

/**
 * The NAT translation of a flow joined from two half-views (nat-half-views.ts),
 * or null: `original` is the tuple the reply direction showed (un-NATed),
 * `translated` the request direction's (the flow's a and b), both oriented
 * client to server; `kind` names what differs.
 */
export function natJson(t: FlowContext['flows']['table'], f: number): { kind: 'dnat' | 'snat' | 'dnat+snat'; original: { a: Endpoint; b: Endpoint }; translated: { a: Endpoint; b: Endpoint } } | null {
  const al = t.natAlias[f]!;
  if (al < 0) return null;
  const v = t.version[f]!;
  const w = t.aliasKeys;
  const ports = w[16 * al + 2]!;
  const original = {
    a: { ip: ipToString(v, w, 16 * al + 4), port: ports & 0xffff },
    b: { ip: ipToString(v, w, 16 * al + 8), port: ports >>> 16 },
  };
  const translated = endpoints(t, f);
  const d = original.b.ip !== translated.b.ip || original.b.port !== translated.b.port;
  const s = original.a.ip !== translated.a.ip || original.a.port !== translated.a.port;
  return { kind: d && s ? 'dnat+snat' : s ? 'snat' : 'dnat', original, translated };
}

/**
 * Flows as the exact text `JSON.stringify(flowJson(ctx, f, links))` gives,
 * built without the object, as UTF-8 bytes (`write`) or a string (`flow`):
 * on the 2 M-packet bench file (126 k flows, 63 MB of JSON) the objects and
 * their serialisation were the largest part of writing the JSON, then the
 * strings and their conversion to UTF-8 (JsonBytes). Strings from the
 * capture (file names) and the TCP state are escaped as JSON.stringify does;
 * the other fields are numbers, addresses and times.
 * test/flows/flow-output.test.ts checks every flow of real captures against
 * the object path.
 */
export class FlowJsonText {
  /** `"file"` by capture and `"tcp"` by protocol number, encoded once. */
  private readonly files: JsonLit[] = [];
  private readonly transports: JsonLit[] = [];
  /** `{"type":"vxlan","vni":` by tunnel type; null for a type without a name (`{"vni":`: JSON.stringify leaves an undefined value out). */
  private readonly tunnelTypes: Array<JsonLit | null> = [];
  /** `JSON.stringify(describe(f))` by TCP state byte (they contain '→'). */
  private readonly states: JsonLit[] = [];
  private scratch: JsonBytes | null = null;
  private readonly communityId: CommunityId;

  constructor(private readonly ctx: FlowContext, private readonly links: TunnelLinks) {
    this.communityId = hasherFor(ctx.communityIdSeed ?? 0);
  }

  /** Flow f's JSON text. */
  flow(f: number): string {
    const out = this.scratch ??= new JsonBytes(1 << 12);
    out.pos = 0;
    this.write(f, out);
    return out.toString();
  }

  /** Writes flow f's JSON text into `out` as UTF-8. */
  write(f: number, out: JsonBytes): void {
    const ctx = this.ctx;
    const t = ctx.flows.table;
    const cap = t.capture[f]!;
    const proto = t.proto[f]!;
    const v = t.version[f]!;
    const ports = proto === 6 || proto === 17;
    const prec = precisionOf(ctx, cap);
    out.put(K.id);
    out.uint(f);
    out.put(K.capture);
    out.put(this.files[cap] ??= new JsonLit(JSON.stringify(fileOf(ctx, cap))));
    if (multiInterface(ctx, cap)) {
      out.put(K.iface);
      out.uint(t.iface[f]!);
    }
    out.put(K.transport);
    out.put(this.transports[proto] ??= new JsonLit(JSON.stringify(transportName(proto))));
    out.put(K.aIp);
    this.ip(v, 8 * f, out);
    out.put(K.port);
    if (ports) out.uint(t.portA[f]!); else out.put(K.null);
    out.put(K.bIp);
    this.ip(v, 8 * f + 4, out);
    out.put(K.port);
    if (ports) out.uint(t.portB[f]!); else out.put(K.null);
    out.put(K.depth);
    out.num(t.depth[f]!);
    out.put(K.packets);
    out.num(t.packets(f));
    out.put(K.bytes);
    out.num(t.bytes(f));
    out.put(K.packetsAtoB);
    out.num(t.packetsAtoB(f));
    out.put(K.packetsBtoA);
    out.num(t.packetsBtoA(f));
    out.put(K.bytesAtoB);
    out.num(t.bytesAtoB(f));
    out.put(K.bytesBtoA);
    out.num(t.bytesBtoA(f));
    out.put(K.firstTime);
    out.time(t.firstSec(f), t.firstNsec(f), prec);
    out.put(K.lastTime);
    out.time(t.lastSec(f), t.lastNsec(f), prec);
    out.put(K.tunnel);
    const o = t.tunnelOuter[f]!;
    if (o < 0) out.put(K.null);
    else this.tunnel(t.tunnelType[f]!, t.tunnelVni[f]!, o, out);
    out.put(K.communityId);
    out.str(flowCommunityId(ctx, f, this.communityId));
    const links = this.links;
    const outers = links.outerCount(f);
    if (outers > 1) {
      out.put(K.outerFlows);
      for (let k = 0; k < outers; k++) {
        const l = links.outerLink(f, k);
        if (k) out.put(K.comma);
        this.tunnel(t.linkType[l]!, t.linkVni[l]!, t.linkOuter[l]!, out);
      }
      out.put(K.close);
    }
    const inners = links.innerCount(f);
    if (inners > 0) {
      out.put(K.innerFlows);
      for (let k = 0; k < inners; k++) {
        if (k) out.put(K.comma);
        out.num(links.innerAt(f, k));
      }
      out.put(K.close);
    }
    if (proto === 6) {
      const c = ctx.flows.tcp;
      const rtt = c.rttNs[f]!;
      const st = c.state[f]!;
      const a = 2 * f, b = 2 * f + 1;
      out.put(K.tcpState);
      // describe(f) is a function of state[f] (a byte): its text is made once per state.
      out.put(this.states[st] ??= new JsonLit(JSON.stringify(c.describe(f))));
      out.put(HANDSHAKE[st & 7]!);
      if (rtt >= 0) out.thousandths(Math.round(rtt / 1e3)); else out.put(K.null);
      out.put(K.retransmissions);
      out.num(c.retransmissions[f]!);
      out.put(K.outOfOrder);
      out.num(c.outOfOrder[f]!);
      out.put(K.zeroWindows);
      out.num(c.zeroWindows[f]!);
      out.put(K.resets);
      out.num(c.resets[f]!);
      out.put(K.isnA);
      out.num(c.isnSet[a] ? c.isn[a]! : null);
      out.put(K.isnB);
      out.num(c.isnSet[b] ? c.isn[b]! : null);
      out.put(K.ipIdA);
      out.num(c.firstIpId[a]! >= 0 ? c.firstIpId[a]! : null);
      out.put(K.ipIdB);
      out.num(c.firstIpId[b]! >= 0 ? c.firstIpId[b]! : null);
      out.put(K.end);
      // NAT half-views are rare (a few flows): their text is made as a string.
      if (t.natAlias[f]! >= 0) out.put(new JsonLit(`,"nat":${JSON.stringify(natJson(t, f))}`));
    }
    out.put(K.end);
  }

  /** Address `at` of the flow table as a JSON string (IPv4 without a string). */
  private ip(version: number, at: number, out: JsonBytes): void {
    if (version === 4) out.ipv4(this.ctx.flows.table.addr[at]! >>> 0);
    else out.str(ipToString(version, this.ctx.flows.table.addr, at));
  }

  /** `{"type":"vxlan","vni":1,"outerFlow":0}`. */
  private tunnel(type: number, vni: number, outer: number, out: JsonBytes): void {
    let name = this.tunnelTypes[type];
    if (name === undefined) {
      const s = TUNNEL_NAMES[type] as string | undefined;
      this.tunnelTypes[type] = name = s === undefined ? null : new JsonLit(`{"type":${JSON.stringify(s)},"vni":`);
    }
    out.put(name ?? K.vni);
    out.num(tunnelId(type, vni));
    out.put(K.outerFlow);
    out.num(outer);
    out.put(K.end);
  }
}

/** The keys and punctuation of a flow row (JsonLit: copied a word at a time). */
const K = {
  id: new JsonLit('{"id":'),
  capture: new JsonLit(',"capture":'),
  iface: new JsonLit(',"interface":'),
  transport: new JsonLit(',"transport":'),
  aIp: new JsonLit(',"a":{"ip":'),
  port: new JsonLit(',"port":'),
  bIp: new JsonLit('},"b":{"ip":'),
  depth: new JsonLit('},"depth":'),
  packets: new JsonLit(',"packets":'),
  bytes: new JsonLit(',"bytes":'),
  packetsAtoB: new JsonLit(',"packetsAtoB":'),
  packetsBtoA: new JsonLit(',"packetsBtoA":'),
  bytesAtoB: new JsonLit(',"bytesAtoB":'),
  bytesBtoA: new JsonLit(',"bytesBtoA":'),
  firstTime: new JsonLit(',"firstTime":'),
  lastTime: new JsonLit(',"lastTime":'),
  tunnel: new JsonLit(',"tunnel":'),
  communityId: new JsonLit(',"communityId":'),
  vni: new JsonLit('{"vni":'),
  outerFlow: new JsonLit(',"outerFlow":'),
  outerFlows: new JsonLit(',"outerFlows":['),
  innerFlows: new JsonLit(',"innerFlows":['),
  tcpState: new JsonLit(',"tcp":{"state":'),
  retransmissions: new JsonLit(',"retransmissions":'),
  outOfOrder: new JsonLit(',"outOfOrder":'),
  zeroWindows: new JsonLit(',"zeroWindows":'),
  resets: new JsonLit(',"resets":'),
  isnA: new JsonLit(',"isnA":'),
  isnB: new JsonLit(',"isnB":'),
  ipIdA: new JsonLit(',"ipIdA":'),
  ipIdB: new JsonLit(',"ipIdB":'),
  null: new JsonLit('null'),
  comma: new JsonLit(','),
  close: new JsonLit(']'),
  end: new JsonLit('}'),
};

export function flowRow(ctx: FlowContext, f: number): FlowRow {
  const t = ctx.flows.table;
  const cap = t.capture[f]!;
  const { a, b } = endpoints(t, f);
  const c = ctx.flows.tcp;
  const isTcp = t.proto[f] === 6;
  const rtt = isTcp ? c.rttNs[f]! : -1;
  return {
    id: f,
    captures: [fileOf(ctx, cap)],
    transport: transportName(t.proto[f]!),
    a, b,
    depth: t.depth[f]!,
    packets: t.packets(f),
    bytes: t.bytes(f),
    packetsAtoB: t.packetsAtoB(f),
    packetsBtoA: t.packetsBtoA(f),
    bytesAtoB: t.bytesAtoB(f),
    bytesBtoA: t.bytesBtoA(f),
    firstTime: formatTime(t.firstSec(f), t.firstNsec(f), precisionOf(ctx, cap)),
    lastTime: formatTime(t.lastSec(f), t.lastNsec(f), precisionOf(ctx, cap)),
    durationSec: (t.lastSec(f) - t.firstSec(f)) + (t.lastNsec(f) - t.firstNsec(f)) / 1e9,
    tunnel: tunnelOf(t, f),
    innerFlows: t.innerCount[f]!,
    identityA: null,
    identityB: null,
    service: null,
    tcpState: isTcp ? c.describe(f) : null,
    rttMs: rtt >= 0 ? Math.round(rtt / 1e3) / 1e3 : null,
    retransmissions: isTcp ? c.retransmissions[f]! : 0,
    resets: isTcp ? c.resets[f]! : 0,
  };
}

export function httpJson(ctx: FlowContext, h: HttpTransaction): HttpJson {
  return {
    flow: h.flow,
    method: h.method,
    host: h.host,
    uri: h.uri,
    status: h.status,
    requestTime: time(ctx, h.capture, h.reqSec, h.reqNsec),
    responseTime: time(ctx, h.capture, h.respSec, h.respNsec),
    id: h.id,
    reason: h.reason,
    version: h.version,
    ttfbMs: ms(h.reqSec, h.reqNsec, h.respSec, h.respNsec),
    totalMs: ms(h.reqSec, h.reqNsec, h.endSec, h.endNsec),
    requestBytes: h.requestBytes,
    responseBytes: h.responseBytes,
    complete: h.complete,
  };
}

/**
 * HTTP transaction h as the exact text `JSON.stringify(httpJson(ctx, h))`
 * gives, without the object (checked by test/flows/flow-output.test.ts).
 */
export function httpJsonText(ctx: FlowContext, h: HttpTransaction): string {
  const out = new JsonBytes(1 << 10);
  writeHttpJson(ctx, h, out);
  return out.toString();
}

/** Writes httpJsonText(ctx, h) into `out` as UTF-8. */
export function writeHttpJson(ctx: FlowContext, h: HttpTransaction, out: JsonBytes): void {
  const prec = precisionOf(ctx, h.capture);
  out.put(H.flow);
  out.num(h.flow);
  out.put(H.method);
  out.str(h.method);
  out.put(H.host);
  out.str(h.host);
  out.put(H.uri);
  out.str(h.uri);
  out.put(H.status);
  out.num(h.status);
  out.put(H.requestTime);
  if (h.reqSec < 0) out.put(K.null); else out.time(h.reqSec, h.reqNsec, prec);
  out.put(H.responseTime);
  if (h.respSec < 0) out.put(K.null); else out.time(h.respSec, h.respNsec, prec);
  out.put(H.id);
  out.num(h.id);
  out.put(H.reason);
  out.str(h.reason);
  out.put(H.version);
  out.str(h.version);
  out.put(H.ttfbMs);
  const ttfb = microseconds(h.reqSec, h.reqNsec, h.respSec, h.respNsec);
  if (ttfb === null) out.put(K.null); else out.thousandths(ttfb);
  out.put(H.totalMs);
  const total = microseconds(h.reqSec, h.reqNsec, h.endSec, h.endNsec);
  if (total === null) out.put(K.null); else out.thousandths(total);
  out.put(H.requestBytes);
  out.num(h.requestBytes);
  out.put(H.responseBytes);
  out.num(h.responseBytes);
  out.put(H.complete);
  out.bool(h.complete);
  out.put(K.end);
}

/** The handshake flags (state bits 1, 2, 4) and the key after them, one text for each of the 8 combinations. */
const HANDSHAKE = Array.from({ length: 8 }, (_, b) =>
  new JsonLit(`,"handshake":{"syn":${(b & 1) !== 0},"synAck":${(b & 2) !== 0},"ack":${(b & 4) !== 0}},"rttMs":`));

/** The keys of an HTTP transaction row. */
const H = {
  flow: new JsonLit('{"flow":'),
  method: new JsonLit(',"method":'),
  host: new JsonLit(',"host":'),
  uri: new JsonLit(',"uri":'),
  status: new JsonLit(',"status":'),
  requestTime: new JsonLit(',"requestTime":'),
  responseTime: new JsonLit(',"responseTime":'),
  id: new JsonLit(',"id":'),
  reason: new JsonLit(',"reason":'),
  version: new JsonLit(',"version":'),
  ttfbMs: new JsonLit(',"ttfbMs":'),
  totalMs: new JsonLit(',"totalMs":'),
  requestBytes: new JsonLit(',"requestBytes":'),
  responseBytes: new JsonLit(',"responseBytes":'),
  complete: new JsonLit(',"complete":'),
};

export function httpRow(ctx: FlowContext, h: HttpTransaction): HttpRow {
  const t = ctx.flows.table;
  const { a, b } = endpoints(t, h.flow);
  const clientIsB = h.clientDir === 1;
  return {
    id: h.id,
    flow: h.flow,
    method: h.method,
    host: h.host,
    uri: h.uri,
    status: h.status,
    reason: h.reason,
    requestTime: time(ctx, h.capture, h.reqSec, h.reqNsec),
    responseTime: time(ctx, h.capture, h.respSec, h.respNsec),
    ttfbMs: ms(h.reqSec, h.reqNsec, h.respSec, h.respNsec),
    totalMs: ms(h.reqSec, h.reqNsec, h.endSec, h.endNsec),
    requestBytes: h.requestBytes,
    responseBytes: h.responseBytes,
    capture: fileOf(ctx, h.capture),
    client: clientIsB ? b : a,
    server: clientIsB ? a : b,
  };
}

export function dnsRow(ctx: FlowContext, d: DnsTransaction): DnsRow {
  return {
    id: d.id,
    flow: d.flow,
    queryId: d.queryId,
    name: d.name,
    type: d.type,
    rcode: d.rcode,
    answers: d.answers,
    queryTime: time(ctx, d.capture, d.querySec, d.queryNsec),
    latencyMs: ms(d.querySec, d.queryNsec, d.answerSec, d.answerNsec),
    capture: fileOf(ctx, d.capture),
  };
}

/** The contract's `dns` entries: the DnsRow fields plus the answer time. */
export function dnsJson(ctx: FlowContext, d: DnsTransaction): Record<string, unknown> {
  return { ...dnsRow(ctx, d), answerTime: time(ctx, d.capture, d.answerSec, d.answerNsec) };
}

/** Writes `JSON.stringify(dnsJson(ctx, d))` into `out` as UTF-8, without the object (checked by test/flows/flow-output.test.ts). */
export function writeDnsJson(ctx: FlowContext, d: DnsTransaction, out: JsonBytes): void {
  const prec = precisionOf(ctx, d.capture);
  out.put(D.id);
  out.num(d.id);
  out.put(D.flow);
  out.num(d.flow);
  out.put(D.queryId);
  out.num(d.queryId);
  out.put(D.name);
  out.str(d.name);
  out.put(D.type);
  out.str(d.type);
  out.put(D.rcode);
  out.str(d.rcode);
  out.put(D.answers);
  for (let i = 0; i < d.answers.length; i++) {
    if (i) out.put(K.comma);
    out.str(d.answers[i]!);
  }
  out.put(D.queryTime);
  if (d.querySec < 0) out.put(K.null); else out.time(d.querySec, d.queryNsec, prec);
  out.put(D.latencyMs);
  const latency = microseconds(d.querySec, d.queryNsec, d.answerSec, d.answerNsec);
  if (latency === null) out.put(K.null); else out.thousandths(latency);
  out.put(D.capture);
  out.str(fileOf(ctx, d.capture));
  out.put(D.answerTime);
  if (d.answerSec < 0) out.put(K.null); else out.time(d.answerSec, d.answerNsec, prec);
  out.put(K.end);
}

/** The keys of a DNS transaction row. */
const D = {
  id: new JsonLit('{"id":'),
  flow: new JsonLit(',"flow":'),
  queryId: new JsonLit(',"queryId":'),
  name: new JsonLit(',"name":'),
  type: new JsonLit(',"type":'),
  rcode: new JsonLit(',"rcode":'),
  answers: new JsonLit(',"answers":['),
  queryTime: new JsonLit('],"queryTime":'),
  latencyMs: new JsonLit(',"latencyMs":'),
  capture: new JsonLit(',"capture":'),
  answerTime: new JsonLit(',"answerTime":'),
};
