/**
 * What a compiled filter reads: the reused decoded packet and its bytes, the
 * frame's numbers (as Wireshark's frame.* fields), and the session's overlay
 * facts. One instance is reused for every packet of a run (`next()` per
 * packet); parsed application data (HTTP first line and headers, DNS) is
 * parsed at most once a packet and only when a filter asks for it.
 */
import type { DecodedPacket } from '../dissect/decoded.js';
import { parseDnsMessage, type DnsMessage } from '../dissect/dns-message.js';
import type { TcpOccurrences } from './tcp-analysis.js';

/** Who an address is (cluster metadata or inference), for the k8s.* fields. */
export interface EndpointFacts {
  /** Names it answers to (a pod as `name` and `namespace/name`, a Service likewise). */
  pod: string | string[] | null;
  namespace: string | null;
  node: string | null;
  service: string | string[] | null;
}

/** A flow's totals (the flow.* fields): packets and bytes (frame lengths) both ways, seconds from its first packet to its last. */
export interface FlowFacts { id: number; packets: number; bytes: number; duration: number }

/** The session's facts the OverlayScope fields read; each is optional (a plain capture has none). */
export interface FilterFacts {
  /** Name of the capture point of the packet (`x.capture`, `x.index`, `x.interfaceId`). */
  capturePoint?(x: FilterInput): string | null;
  /** Name of the host (shared kernel clock) of the packet's capture point. */
  captureHost?(x: FilterInput): string | null;
  /** The node whose address (InternalIP or VTEP) `ip` is. */
  nodeName?(ip: string): string | null;
  /** Who `ip` (and `port`) is at `timeMs` (ms since the epoch). */
  endpoint?(ip: string, port: number | null, timeMs: number | null): EndpointFacts | null;
  /** The id of the request journey the packet is part of (-1 none). */
  journey?(x: FilterInput): number;
  /** Whether the packet is one side of a seen address translation (its connection seen with other addresses elsewhere). */
  translated?(x: FilterInput): boolean;
  /** The packet's (innermost) flow in the session: its id and totals; null when it has none. */
  flow?(x: FilterInput): FlowFacts | null;
}

export interface HttpHead {
  method: string | null;
  uri: string | null;
  version: string | null;
  code: number | null;
  phrase: string | null;
  /** Header names lower-cased, values trimmed (latin1: one char a byte). */
  headers: Array<[string, string]>;
}

const MAX_HTTP_HEAD = 16 * 1024;

export class FilterInput {
  p!: DecodedPacket;
  /** The frame's bytes: `b[base .. base + caplen)` (FCS excluded, as decoded). */
  b!: Uint8Array;
  base = 0;
  caplen = 0;
  /** 1-based frame number in its capture. */
  frameNumber = 0;
  frameLen = 0;
  frameCapLen = 0;
  /** Seconds since the first packet of the capture (Wireshark's frame.time_relative). */
  timeRelative = 0;
  /** Milliseconds since the epoch (null when the record has no time). */
  timeMs: number | null = null;
  interfaceId = 0;
  /** Whether the file gives frames an interface id (pcapng; tshark shows frame.interface_id only then). */
  hasInterface = false;
  capture = 0;
  /** 0-based packet index in its capture (for the session's per-packet facts). */
  index = 0;
  facts: FilterFacts = {};
  /** The TCP sequence analysis of this packet's headers (set by the runner when the filter reads it; null: not available). */
  tcp: TcpOccurrences | null = null;

  private gen = 0;
  private httpGen = -1;
  private http: HttpHead | null = null;
  private dnsGen = -1;
  private dns: DnsMessage | null = null;

  /** Points at the next packet (the caller then sets the frame fields). */
  next(p: DecodedPacket, b: Uint8Array, base: number, caplen: number): this {
    this.p = p;
    this.b = b;
    this.base = base;
    this.caplen = caplen;
    this.gen++;
    return this;
  }

  httpHead(): HttpHead | null {
    if (this.httpGen === this.gen) return this.http;
    this.httpGen = this.gen;
    this.http = null;
    const p = this.p;
    if (p.httpNet < 0) return null;
    const start = this.base + p.payloadStart[p.httpNet]!;
    const len = Math.min(p.payloadLength[p.httpNet]!, MAX_HTTP_HEAD, this.b.length - start);
    this.http = parseHttpHead(this.b, start, Math.max(0, len));
    return this.http;
  }

  dnsMessage(): DnsMessage | null {
    if (this.dnsGen === this.gen) return this.dns;
    this.dnsGen = this.gen;
    this.dns = null;
    const p = this.p;
    if (p.dnsNet < 0) return null;
    const at = this.base + p.payloadStart[p.dnsNet]! + (p.ipProto[p.dnsNet] === 6 ? 2 : 0);
    const end = this.base + p.payloadStart[p.dnsNet]! + p.payloadLength[p.dnsNet]!;
    if (end - at < 12) return null;
    this.dns = parseDnsMessage(this.b, at, end - at);
    return this.dns;
  }
}

function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let k = s; k < e; k++) out += String.fromCharCode(b[k]!);
  return out;
}

/** The start line and header fields of an HTTP/1.x message (up to the blank line or the end of the segment). */
export function parseHttpHead(b: Uint8Array, start: number, len: number): HttpHead {
  const end = start + len;
  const lines: Array<[number, number]> = [];
  let s = start;
  for (let k = start; k < end; k++) {
    if (b[k] === 0x0a) {
      const e = k > s && b[k - 1] === 0x0d ? k - 1 : k;
      if (e === s) { s = -1; break; }
      lines.push([s, e]);
      s = k + 1;
    }
  }
  if (s >= 0 && s < end && lines.length === 0) lines.push([s, end]);
  const h: HttpHead = { method: null, uri: null, version: null, code: null, phrase: null, headers: [] };
  if (!lines.length) return h;
  const first = latin1(b, lines[0]![0], lines[0]![1]);
  if (first.startsWith('HTTP/')) {
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
    if (m) { h.version = m[1]!; h.code = Number(m[2]); h.phrase = m[3] ?? ''; }
  } else {
    const sp1 = first.indexOf(' ');
    const sp2 = first.lastIndexOf(' ');
    h.method = sp1 < 0 ? first : first.slice(0, sp1);
    if (sp1 >= 0) {
      h.uri = sp2 > sp1 ? first.slice(sp1 + 1, sp2) : first.slice(sp1 + 1);
      if (sp2 > sp1) h.version = first.slice(sp2 + 1);
    }
  }
  for (let k = 1; k < lines.length; k++) {
    const [ls, le] = lines[k]!;
    let colon = -1;
    for (let q = ls; q < le; q++) if (b[q] === 0x3a) { colon = q; break; }
    if (colon < 0) continue;
    h.headers.push([latin1(b, ls, colon).trim().toLowerCase(), latin1(b, colon + 1, le).trim()]);
  }
  return h;
}
