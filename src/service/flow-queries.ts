/**
 * Pure query functions over a session's flows and transactions, for the UI
 * service (src/service/): pages of rows, never whole tables. Filtering and
 * sorting run on the typed arrays; row objects are built only for the page.
 */
import { tunnelText, type DnsRow, type FlowDetail, type FlowQuery, type FlowRow, type HttpRow, type Page, type PageQuery, type StreamView, type TxQuery } from '../api.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { formatTime } from '../pipeline/time.js';
import { dnsRow, endpoints, flowRow, httpRow, natJson, transportName, type FlowContext } from '../flows/flow-output.js';
import { TCP_SYN } from '../flows/tcp-conversation.js';

/** Most payload bytes a stream view returns, and most packets it reads back. */
export const STREAM_MAX_BYTES = 1024 * 1024;
export const STREAM_MAX_PACKETS = 20_000;

/** Fills identities and Service names of rows (the overlay module's resolver); optional. */
export type FlowDecorator = (row: FlowRow) => void;

/** What a caller above the flows adds to a flow query (the service's connection grouping). */
export interface FlowView {
  /** Only flows for which this holds (checked before the other filters). */
  include?(f: number): boolean;
  /**
   * Rows stand for groups of flows (connections): a flow that matches the filters gives its group's
   * row `group(f)` (a flow id), once. So a filter finds a connection by any of its views.
   */
  group?(f: number): number;
  /** Numeric sort keys the flow table does not know (e.g. `points`). */
  numeric?: Record<string, (f: number) => number>;
}

/** Text and endpoints compared as people read them: "10.244.1.9" before "10.244.1.10", case-insensitive. */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** An identity as the Flows view writes it ("default/web-…", "node node1", "… (inferred)"). */
function identitySortText(i: FlowRow['identityA']): string {
  if (!i || i.kind === 'unknown') return '';
  return `${i.kind === 'pod' || i.kind === 'service' ? i.name : `${i.kind} ${i.name}`}${i.inferred ? ' (inferred)' : ''}`;
}

/** The sort text of a row's column (non-numeric keys): what the Flows view shows. */
function flowSortText(row: FlowRow, key: string): string {
  switch (key) {
    case 'a': case 'b': return epText(row[key]);
    case 'identityA': return identitySortText(row.identityA);
    case 'identityB': return identitySortText(row.identityB);
    case 'tunnel': {
      const t = row.tunnel;
      if (!t) return row.innerFlows ? `carries ${row.innerFlows}` : '';
      return t.from && t.to ? `${t.from} → ${t.to} (${tunnelText(t)})` : `${tunnelText(t)} in #${t.outerFlow}`;
    }
    case 'captures': return row.connection ? row.connection.points.join(', ') : row.captures.join(', ');
    case 'capture': return row.captures.join(', ');
    case 'service': return row.service ? `${row.service} ${row.serviceVia ?? ''}` : '';
    default: {
      const v = (row as unknown as Record<string, unknown>)[key];
      return v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
}

function page<T>(total: number, q: PageQuery, rows: T[]): Page<T> {
  return { total, offset: q.offset, rows };
}

function clampPage(q: PageQuery, total: number): [number, number] {
  const off = Math.max(0, Math.min(total, Math.floor(q.offset) || 0));
  const lim = Math.max(0, Math.min(10_000, Math.floor(q.limit) || 0));
  return [off, Math.min(total, off + lim)];
}

function epText(e: { ip: string; port: number | null }): string {
  return e.port === null ? e.ip : `${e.ip}:${e.port}`;
}

const NUMERIC_SORT: Record<string, (ctx: FlowContext, f: number) => number> = {
  id: (_c, f) => f,
  packets: (c, f) => c.flows.table.packets(f),
  bytes: (c, f) => c.flows.table.bytes(f),
  packetsAtoB: (c, f) => c.flows.table.packetsAtoB(f),
  packetsBtoA: (c, f) => c.flows.table.packetsBtoA(f),
  bytesAtoB: (c, f) => c.flows.table.bytesAtoB(f),
  bytesBtoA: (c, f) => c.flows.table.bytesBtoA(f),
  depth: (c, f) => c.flows.table.depth[f]!,
  firstTime: (c, f) => c.flows.table.firstSec(f) * 1e9 + c.flows.table.firstNsec(f),
  lastTime: (c, f) => c.flows.table.lastSec(f) * 1e9 + c.flows.table.lastNsec(f),
  durationSec: (c, f) => (c.flows.table.lastSec(f) - c.flows.table.firstSec(f)) * 1e9 + (c.flows.table.lastNsec(f) - c.flows.table.firstNsec(f)),
  innerFlows: (c, f) => c.flows.table.innerCount[f]!,
  retransmissions: (c, f) => (c.flows.table.proto[f] === 6 ? c.flows.tcp.retransmissions[f]! : 0),
  resets: (c, f) => (c.flows.table.proto[f] === 6 ? c.flows.tcp.resets[f]! : 0),
  rttMs: (c, f) => (c.flows.table.proto[f] === 6 ? c.flows.tcp.rttNs[f]! : -1),
};

/** A page of flows matching `q`, sorted by `q.sort` (default: id). */
export function queryFlows(session: AnalysisSession, q: FlowQuery, decorate?: FlowDecorator, view: FlowView = {}): Page<FlowRow> {
  const ctx: FlowContext = session;
  const t = session.flows.table;
  const text = q.text?.trim().toLowerCase() ?? '';
  const needRows = text !== '' || q.node !== undefined || q.pod !== undefined || q.service !== undefined;
  let ids: number[] = [];
  const rows = new Map<number, FlowRow>();
  for (let f = 0; f < t.count; f++) {
    if (view.include && !view.include(f)) continue;
    if (q.capture !== undefined && t.capture[f] !== q.capture) continue;
    if (q.depth !== undefined && t.depth[f] !== q.depth) continue;
    if (q.transport !== undefined && transportName(t.proto[f]!) !== q.transport) continue;
    if (needRows) {
      const row = flowRow(ctx, f);
      decorate?.(row);
      if (text && !flowText(row).includes(text)) continue;
      if (q.node !== undefined && !identityMatches(row, 'node', q.node)) continue;
      if (q.pod !== undefined && !identityMatches(row, 'pod', q.pod)) continue;
      if (q.service !== undefined && !(row.service ?? '').toLowerCase().includes(q.service.toLowerCase())) continue;
      rows.set(f, row);
    }
    ids.push(f);
  }
  if (view.group) {
    // One row a group: its own row (the first view) when that matched, else its earliest view that did,
    // so a filter by a pod shows the view where the pod is.
    const start = NUMERIC_SORT['firstTime']!;
    const chosen = new Map<number, number>();
    for (const f of ids) {
      const g = view.group(f);
      const c = chosen.get(g);
      if (c === undefined || (c !== g && (f === g || start(ctx, f) < start(ctx, c)))) chosen.set(g, f);
    }
    ids = [...chosen.values()].sort((x, y) => x - y);
  }
  const key = q.sort?.key ?? 'id';
  const dir = q.sort?.dir === 'desc' ? -1 : 1;
  const extra = view.numeric?.[key as string];
  const num = extra ? (_c: FlowContext, f: number) => extra(f) : NUMERIC_SORT[key as string];
  // Stable: equal keys keep flow id order, in either direction.
  if (num) {
    const k = new Float64Array(t.count);
    for (const f of ids) k[f] = num(ctx, f);
    ids.sort((x, y) => (k[x]! - k[y]!) * dir || x - y);
  } else if (key !== 'id') {
    const k = new Map<number, string>();
    for (const f of ids) {
      let row = rows.get(f);
      if (!row) { row = flowRow(ctx, f); decorate?.(row); rows.set(f, row); }
      k.set(f, flowSortText(row, key as string));
    }
    // Empty values last in either direction.
    ids.sort((x, y) => {
      const a = k.get(x)!, b = k.get(y)!;
      if (a === '' || b === '') return a === b ? x - y : a === '' ? 1 : -1;
      return collator.compare(a, b) * dir || x - y;
    });
  } else if (dir < 0) ids.reverse();
  const [from, to] = clampPage(q, ids.length);
  const out: FlowRow[] = [];
  for (let i = from; i < to; i++) {
    const f = ids[i]!;
    let row = rows.get(f);
    if (!row) { row = flowRow(ctx, f); decorate?.(row); }
    out.push(row);
  }
  return page(ids.length, { offset: from, limit: q.limit }, out);
}

function flowText(r: FlowRow): string {
  return `${r.transport} ${epText(r.a)} ${epText(r.b)} ${r.tcpState ?? ''} ${r.identityA?.name ?? ''} ${r.identityB?.name ?? ''} ${r.service ?? ''} ${r.tunnel ? `${r.tunnel.type} ${r.tunnel.vni}` : ''}`.toLowerCase();
}

function identityMatches(r: FlowRow, kind: 'node' | 'pod', name: string): boolean {
  const n = name.toLowerCase();
  for (const i of [r.identityA, r.identityB]) {
    if (!i) continue;
    if (kind === 'node' && ((i.kind === 'node' && i.name.toLowerCase().includes(n)) || (i.node ?? '').toLowerCase().includes(n))) return true;
    if (kind === 'pod' && i.kind === 'pod' && i.name.toLowerCase().includes(n)) return true;
  }
  return false;
}

/** One flow with the flows it carried (tunnel flows) or that carried it (inner flows). */
export function flowDetail(session: AnalysisSession, id: number, decorate?: FlowDecorator): FlowDetail {
  const t = session.flows.table;
  if (!Number.isInteger(id) || id < 0 || id >= t.count) throw new RangeError(`no flow ${id}`);
  const row = (f: number): FlowRow => { const r = flowRow(session, f); decorate?.(r); return r; };
  const inner: FlowRow[] = [];
  const outer: FlowRow[] = [];
  for (let l = 0; l < t.linkCount; l++) {
    if (t.linkOuter[l] === id && inner.length < 10_000) inner.push(row(t.linkInner[l]!));
    if (t.linkInner[l] === id) outer.push(row(t.linkOuter[l]!));
  }
  return { flow: row(id), inner, outer, nat: natJson(t, id) };
}

function textFilter<T>(rows: T[], text: string | undefined, fields: (r: T) => string): T[] {
  const q = text?.trim().toLowerCase();
  return q ? rows.filter((r) => fields(r).toLowerCase().includes(q)) : rows;
}

/** A time of the contract as a sortable string: ISO-8601 with its fraction padded to nanoseconds. */
function timeKey(iso: string | null): string | null {
  if (iso === null) return null;
  const m = /^(.*?T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}` : iso;
}

type SortValue = number | string | null;

/**
 * Rows in the order of `sort` (a column id of the view; default `time`),
 * stable (ties keep their position in `rows`, the engine's order), null and
 * empty values last in either direction.
 */
function sortRows<T>(rows: T[], sort: TxQuery['sort'], keys: Record<string, (r: T) => SortValue>, fallback: string): T[] {
  const keyOf = keys[sort?.key ?? fallback] ?? keys[fallback]!;
  const dir = sort?.dir === 'desc' ? -1 : 1;
  const k = rows.map(keyOf);
  const order = rows.map((_, i) => i);
  order.sort((x, y) => {
    const a = k[x]!, b = k[y]!;
    const na = a === null || a === '', nb = b === null || b === '';
    if (na || nb) return na && nb ? x - y : na ? 1 : -1;
    const c = typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
    return c * dir || x - y;
  });
  return order.map((i) => rows[i]!);
}

/** HTTP sort keys by the HTTP view's column ids. */
const HTTP_SORT: Record<string, (r: HttpRow) => SortValue> = {
  id: (r) => r.id, time: (r) => timeKey(r.requestTime), method: (r) => r.method, host: (r) => r.host, uri: (r) => r.uri,
  status: (r) => r.status, ttfb: (r) => r.ttfbMs, total: (r) => r.totalMs, req: (r) => r.requestBytes, resp: (r) => r.responseBytes,
  client: (r) => epText(r.client), server: (r) => epText(r.server), capture: (r) => r.capture, flow: (r) => r.flow,
};

/** DNS sort keys by the DNS view's column ids. */
const DNS_SORT: Record<string, (r: DnsRow) => SortValue> = {
  id: (r) => r.id, time: (r) => timeKey(r.queryTime), queryId: (r) => r.queryId, name: (r) => r.name, type: (r) => r.type,
  rcode: (r) => r.rcode, answers: (r) => r.answers.join(', '), latency: (r) => r.latencyMs, capture: (r) => r.capture, flow: (r) => r.flow,
};

/** `decorate`: applied to each row as it is made (before filtering and sorting), e.g. nulling durations from untimed captures. */
export function queryHttp(session: AnalysisSession, q: TxQuery, decorate?: (r: HttpRow) => void): Page<HttpRow> {
  const mk = (h: (typeof session.flows.http.transactions)[number]): HttpRow => { const r = httpRow(session, h); decorate?.(r); return r; };
  let rows: HttpRow[] | null = null;
  const all = session.flows.http.transactions;
  if (q.text?.trim()) {
    rows = textFilter(all.map(mk), q.text,
      (r) => `${r.method ?? ''} ${r.host ?? ''} ${r.uri ?? ''} ${r.status ?? ''} ${r.reason ?? ''} ${epText(r.client)} ${epText(r.server)} ${r.capture}`);
  }
  if (q.sort) rows = sortRows(rows ?? all.map(mk), q.sort, HTTP_SORT, 'time');
  const total = rows ? rows.length : all.length;
  const [from, to] = clampPage(q, total);
  const out = rows ? rows.slice(from, to) : all.slice(from, to).map(mk);
  return page(total, { offset: from, limit: q.limit }, out);
}

export function queryDns(session: AnalysisSession, q: TxQuery): Page<DnsRow> {
  let rows: DnsRow[] | null = null;
  const all = session.flows.dns.transactions;
  if (q.text?.trim()) {
    rows = textFilter(all.map((d) => dnsRow(session, d)), q.text, (r) => `${r.name} ${r.type} ${r.rcode ?? ''} ${r.answers.join(' ')} ${r.capture}`);
  }
  if (q.sort) rows = sortRows(rows ?? all.map((d) => dnsRow(session, d)), q.sort, DNS_SORT, 'time');
  const total = rows ? rows.length : all.length;
  const [from, to] = clampPage(q, total);
  const out = rows ? rows.slice(from, to) : all.slice(from, to).map((d) => dnsRow(session, d));
  return page(total, { offset: from, limit: q.limit }, out);
}

/**
 * The payload of flow `id` in packet order, read back from the file by
 * offsets (packets whose innermost or outermost flow it is), per direction;
 * TCP bytes already shown (retransmissions) are left out. Bounded to
 * STREAM_MAX_BYTES of payload and STREAM_MAX_PACKETS packets read.
 */
export async function flowStream(session: AnalysisSession, id: number): Promise<StreamView> {
  const t = session.flows.table;
  if (!Number.isInteger(id) || id < 0 || id >= t.count) throw new RangeError(`no flow ${id}`);
  const c = t.capture[id]!;
  const cap = session.captures[c]!;
  const idx = cap.index;
  const depth = t.depth[id]!;
  const isTcp = t.proto[id] === 6;
  const { a } = endpoints(t, id);
  const segments: StreamView['segments'] = [];
  let bytes = 0;
  let read = 0;
  let truncated = false;
  const next = [-1, -1];
  const start = t.firstPacket[id]!;
  for (let n = start; n < idx.count; n++) {
    if (idx.flowId[n] !== id && idx.outerFlowId[n] !== id) continue;
    if (read >= STREAM_MAX_PACKETS || bytes >= STREAM_MAX_BYTES) { truncated = true; break; }
    read++;
    const { bytes: b, decoded: p } = await session.readPacket(c, n);
    let level = -1;
    for (let i = 0; i < p.netCount; i++) if (p.netQuoted[i] === 0 && p.netDepth[i] === depth && p.ipProto[i] === t.proto[id]) { level = i; break; }
    if (level < 0) continue;
    const w = 4 * level, o = 8 * id;
    const fromA = p.ipSrc[w] === t.addr[o] && p.ipSrc[w + 1] === t.addr[o + 1] && p.ipSrc[w + 2] === t.addr[o + 2]
      && p.ipSrc[w + 3] === t.addr[o + 3] && p.srcPort[level] === (a.port ?? 0);
    const dirIdx = fromA ? 0 : 1;
    let off = p.payloadStart[level]!;
    let len = p.payloadLength[level]!;
    if (isTcp) {
      let seq = p.tcpSeq[level]!;
      if ((p.tcpFlags[level]! & TCP_SYN) !== 0) seq = (seq + 1) >>> 0;
      const exp = next[dirIdx]!;
      if (exp >= 0) {
        const rel = (seq - exp) | 0;
        if (rel < 0) { const skip = Math.min(len, -rel); off += skip; len -= skip; }
      }
      const end = (seq + p.payloadWireLength[level]!) >>> 0;
      if (exp < 0 || ((end - exp) | 0) > 0) next[dirIdx] = end;
    }
    if (len <= 0) continue;
    if (bytes + len > STREAM_MAX_BYTES) { len = STREAM_MAX_BYTES - bytes; truncated = true; }
    let text = '';
    for (let i = 0; i < len; i += 8192) text += String.fromCharCode.apply(null, Array.from(b.subarray(off + i, off + Math.min(len, i + 8192))));
    bytes += len;
    segments.push({ dir: dirIdx === 0 ? 'AtoB' : 'BtoA', time: formatTime(idx.tsSec(n), idx.tsNsec(n), cap.precision), bytes: len, text });
    if (truncated) break;
  }
  return { flow: id, segments, truncated };
}
