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
      out.push({ type: TUNNEL_NAMES[t.linkType[l]!]!, vni: t.linkVni[l]!, outerFlow: t.linkOuter[l]! });
    }
    return out;
  }

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
  if (links.outerCount(f) > 1) j['outerFlows'] = links.outersOf(f);
  if (links.innerCount(f) > 0) j['innerFlows'] = links.innersOf(f);
  const tcp = tcpDetail(ctx, f);
  if (tcp) j['tcp'] = tcp;
  return j;
}

/**
 * Flows as the exact text `JSON.stringify(flowJson(ctx, f, links))` gives,
 * built without the object: on the 2 M-packet bench file (126 k flows) the
 * objects and their serialisation were the largest part of writing the JSON.
 * Strings from the capture (file names) and the TCP state go through
 * JSON.stringify; the other fields are numbers, addresses and times, which
 * need no escaping. test/flows/flow-output.test.ts checks every flow of real
 * captures against the object path.
 */
export class FlowJsonText {
  private readonly files: string[] = [];
  private readonly transports: string[] = [];
  private readonly typeKeys: string[] = [];

  constructor(private readonly ctx: FlowContext, private readonly links: TunnelLinks) {}

  flow(f: number): string {
    const ctx = this.ctx;
    const t = ctx.flows.table;
    const cap = t.capture[f]!;
    const proto = t.proto[f]!;
    const v = t.version[f]!;
    const ports = proto === 6 || proto === 17;
    const prec = precisionOf(ctx, cap);
    const file = this.files[cap] ??= JSON.stringify(fileOf(ctx, cap));
    const transport = this.transports[proto] ??= JSON.stringify(transportName(proto));
    let s = `{"id":${f},"capture":${file},"transport":${transport},"a":{"ip":"${ipToString(v, t.addr, 8 * f)}","port":${ports ? t.portA[f]! : 'null'}},"b":{"ip":"${ipToString(v, t.addr, 8 * f + 4)}","port":${ports ? t.portB[f]! : 'null'}},"depth":${t.depth[f]!},"packets":${t.packets(f)},"bytes":${t.bytes(f)},"packetsAtoB":${t.packetsAtoB(f)},"packetsBtoA":${t.packetsBtoA(f)},"bytesAtoB":${t.bytesAtoB(f)},"bytesBtoA":${t.bytesBtoA(f)},"firstTime":"${formatTime(t.firstSec(f), t.firstNsec(f), prec)}","lastTime":"${formatTime(t.lastSec(f), t.lastNsec(f), prec)}","tunnel":`;
    const o = t.tunnelOuter[f]!;
    s += o < 0 ? 'null' : `{${this.typeKey(t.tunnelType[f]!)}"vni":${t.tunnelVni[f]!},"outerFlow":${o}}`;
    const links = this.links;
    if (links.outerCount(f) > 1) {
      s += ',"outerFlows":[';
      const outers = links.outersOf(f);
      for (let k = 0; k < outers.length; k++) {
        const x = outers[k]!;
        s += `${k ? ',' : ''}{${x.type === undefined ? '' : `"type":${JSON.stringify(x.type)},`}"vni":${x.vni},"outerFlow":${x.outerFlow}}`;
      }
      s += ']';
    }
    if (links.innerCount(f) > 0) s += `,"innerFlows":[${links.innersOf(f).join(',')}]`;
    if (proto === 6) {
      const c = ctx.flows.tcp;
      const rtt = c.rttNs[f]!;
      const st = c.state[f]!;
      const a = 2 * f, b = 2 * f + 1;
      s += `,"tcp":{"state":${JSON.stringify(c.describe(f))},"handshake":{"syn":${(st & 1) !== 0},"synAck":${(st & 2) !== 0},"ack":${(st & 4) !== 0}},"rttMs":${rtt >= 0 ? Math.round(rtt / 1e3) / 1e3 : 'null'},"retransmissions":${c.retransmissions[f]!},"outOfOrder":${c.outOfOrder[f]!},"zeroWindows":${c.zeroWindows[f]!},"resets":${c.resets[f]!},"isnA":${c.isnSet[a] ? c.isn[a]! : 'null'},"isnB":${c.isnSet[b] ? c.isn[b]! : 'null'},"ipIdA":${c.firstIpId[a]! >= 0 ? c.firstIpId[a]! : 'null'},"ipIdB":${c.firstIpId[b]! >= 0 ? c.firstIpId[b]! : 'null'}}`;
    }
    return s + '}';
  }

  /** `"type":"vxlan",`; empty for a type without a name (JSON.stringify leaves an undefined value out). */
  private typeKey(type: number): string {
    const name = TUNNEL_NAMES[type] as string | undefined;
    return this.typeKeys[type] ??= name === undefined ? '' : `"type":${JSON.stringify(name)},`;
  }
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

/** A number as JSON.stringify writes it (NaN and infinities as null). */
function jsonNumber(x: number | null): string {
  return x !== null && Number.isFinite(x) ? String(x) : 'null';
}

/**
 * HTTP transaction h as the exact text `JSON.stringify(httpJson(ctx, h))`
 * gives, without the object; strings from the capture go through
 * JSON.stringify (checked by test/flows/flow-output.test.ts).
 */
export function httpJsonText(ctx: FlowContext, h: HttpTransaction): string {
  const req = time(ctx, h.capture, h.reqSec, h.reqNsec);
  const resp = time(ctx, h.capture, h.respSec, h.respNsec);
  return `{"flow":${jsonNumber(h.flow)},"method":${JSON.stringify(h.method)},"host":${JSON.stringify(h.host)},"uri":${JSON.stringify(h.uri)},"status":${jsonNumber(h.status)},"requestTime":${req === null ? 'null' : JSON.stringify(req)},"responseTime":${resp === null ? 'null' : JSON.stringify(resp)},"id":${jsonNumber(h.id)},"reason":${JSON.stringify(h.reason)},"version":${JSON.stringify(h.version)},"ttfbMs":${jsonNumber(ms(h.reqSec, h.reqNsec, h.respSec, h.respNsec))},"totalMs":${jsonNumber(ms(h.reqSec, h.reqNsec, h.endSec, h.endNsec))},"requestBytes":${jsonNumber(h.requestBytes)},"responseBytes":${jsonNumber(h.responseBytes)},"complete":${h.complete}}`;
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
