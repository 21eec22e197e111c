/**
 * Flows, HTTP and DNS transactions as the CLI JSON contract's objects
 * (FlowJson, HttpJson in src/engine/contract.ts) and the UI's rows (FlowRow,
 * HttpRow, DnsRow in src/api.ts). Times are ISO strings at the capture's
 * precision; addresses are formatted here, once per flow, not per packet.
 */
import type { DnsRow, Endpoint, FlowRow, HttpRow } from '../api.js';
import { ipToString } from '../dissect/addr.js';
import { TUNNEL_NAMES } from '../dissect/layers.js';
import type { CaptureResult } from '../engine/analyze.js';
import type { FlowJson, HttpJson } from '../engine/contract.js';
import { formatTime } from '../engine/time.js';
import type { FlowTracker } from './flow-tracker.js';
import type { DnsTransaction } from './dns-transactions.js';
import type { HttpTransaction } from './http-transactions.js';

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

function time(ctx: FlowContext, capture: number, sec: number, nsec: number): string | null {
  return sec < 0 ? null : formatTime(sec, nsec, precisionOf(ctx, capture));
}

function ms(aSec: number, aNsec: number, bSec: number, bNsec: number): number | null {
  if (aSec < 0 || bSec < 0) return null;
  return Math.round(((bSec - aSec) * 1e9 + (bNsec - aNsec)) / 1e3) / 1e3;
}

function tunnelOf(t: FlowContext['flows']['table'], f: number): FlowJson['tunnel'] {
  const o = t.tunnelOuter[f]!;
  if (o < 0) return null;
  return { type: TUNNEL_NAMES[t.tunnelType[f]!] as 'vxlan' | 'geneve', vni: t.tunnelVni[f]!, outerFlow: o };
}

/** Every tunnel link of the tracker: outer flows of each inner flow and inner flows of each outer flow. */
export function tunnelLinks(ctx: FlowContext): { outerOf: Map<number, Array<{ type: string; vni: number; outerFlow: number }>>; innerOf: Map<number, number[]> } {
  const t = ctx.flows.table;
  const outerOf = new Map<number, Array<{ type: string; vni: number; outerFlow: number }>>();
  const innerOf = new Map<number, number[]>();
  for (let l = 0; l < t.linkCount; l++) {
    const i = t.linkInner[l]!, o = t.linkOuter[l]!;
    let a = outerOf.get(i);
    if (!a) outerOf.set(i, a = []);
    a.push({ type: TUNNEL_NAMES[t.linkType[l]!]!, vni: t.linkVni[l]!, outerFlow: o });
    let b = innerOf.get(o);
    if (!b) innerOf.set(o, b = []);
    b.push(i);
  }
  return { outerOf, innerOf };
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
export function flowJson(ctx: FlowContext, f: number, links: ReturnType<typeof tunnelLinks>): FlowJson {
  const t = ctx.flows.table;
  const cap = t.capture[f]!;
  const { a, b } = endpoints(t, f);
  const j: FlowJson = {
    id: f,
    capture: fileOf(ctx, cap),
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
  };
  const outers = links.outerOf.get(f);
  if (outers && outers.length > 1) j['outerFlows'] = outers;
  const inners = links.innerOf.get(f);
  if (inners) j['innerFlows'] = inners;
  const tcp = tcpDetail(ctx, f);
  if (tcp) j['tcp'] = tcp;
  return j;
}

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
