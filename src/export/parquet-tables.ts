/**
 * The analysis as column tables for Parquet (docs/parquet.md): `flows`,
 * `http`, `dns`, `translations`, `journeys` (one row a hop), `captures`, and
 * optionally `packets` (one row a packet a capture point), one column array per field, with column names after IPFIX
 * and Antrea's flow-aggregator table (flowStartNanoseconds, sourceIP,
 * destinationIP, sourceTransportPort, protocolIdentifier, packetTotalCount,
 * octetTotalCount, reverse*, sourcePodName, ...). Types are exact: times
 * TIMESTAMP(NANOS, UTC) as BigInt ns since the epoch, ports INT32, counters
 * INT64 (numbers, safe integers). Rows go straight into the writer's column
 * buffers (`fill`), a row group at a time: no array of values a column, no
 * object a row held (parquet-file.ts).
 */
import type { AnalysisJson } from '../session/contract.js';

export type ParquetColumnType = 'STRING' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP_NANOS' | 'TIMESTAMP_MILLIS';

/** One cell: null where unset. INT64 and TIMESTAMP_* values are bigint or a safe-integer number. */
export type ParquetValue = string | number | bigint | boolean | null;

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  /** One value a row. */
  data: ParquetValue[];
}

/** Where a table's rows go: one sink a column, `set(row in the row group, value)`. */
export interface ParquetSink {
  set(k: number, v: ParquetValue): void;
}

export type ParquetTableName = 'flows' | 'http' | 'dns' | 'translations' | 'journeys' | 'captures' | 'packets';
/**
 * A table: its columns' names and types, and its rows, given a row group at a
 * time: `fill(start, n, sinks)` sets rows start..start+n-1 (as 0..n-1) into one
 * sink a column, so that a big session's flows never exist as row objects or
 * column arrays.
 */
export interface ParquetTable {
  name: ParquetTableName;
  rows: number;
  schema: ReadonlyArray<{ name: string; type: ParquetColumnType }>;
  /** Rows a row group. */
  chunkRows: number;
  fill(start: number, n: number, sinks: readonly ParquetSink[]): void;
}

/** Rows a chunk (a row group). */
export const PARQUET_CHUNK_ROWS = 8_192;

/** Every row of a table as one set of columns (tests, small tables). */
export function tableColumns(t: ParquetTable): ParquetColumn[] {
  const cols = t.schema.map((c) => ({ name: c.name, type: c.type, data: new Array<ParquetValue>(t.rows).fill(null) }));
  t.fill(0, t.rows, cols.map((c) => ({ set: (k: number, v: ParquetValue) => { c.data[k] = v; } })));
  return cols;
}

/** Every table's name, in the order written. */
export const PARQUET_TABLES: readonly ParquetTableName[] = ['flows', 'http', 'dns', 'translations', 'journeys', 'captures', 'packets'];

export interface ParquetTableOptions {
  /** The `sessionId` column of every table: what tells one session's rows from another's when many are read together. */
  session?: string;
  /** Rows a row group (default PARQUET_CHUNK_ROWS). */
  chunkRows?: number;
}

/** ISO-8601 time (any precision) as ns since the epoch; null for null, text that is not one, or a time past INT64's nanoseconds (2262). */
export function isoToNs(iso: string | null | undefined): bigint | null {
  if (!iso) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(ms)) return null;
  const ns = BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  return ns > 9_223_372_036_854_775_807n ? null : ns;
}

// INT64 cells as numbers (counters are safe integers): no BigInt a cell.
const big = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? Math.trunc(x) : null);
const int = (x: unknown): number | null => (typeof x === 'number' && Number.isInteger(x) ? x : null);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

type Row = Record<string, unknown>;
function get(o: unknown, k1: string, k2?: string, k3?: string): unknown {
  let v = o !== null && typeof o === 'object' ? (o as Row)[k1] : undefined;
  if (k2 === undefined) return v;
  v = v !== null && typeof v === 'object' ? (v as Row)[k2] : undefined;
  if (k3 === undefined) return v;
  return v !== null && typeof v === 'object' ? (v as Row)[k3] : undefined;
}

type Getter = (r: Row) => ParquetValue;

/** A table filled row by row into the sinks: `rowAt(i)` may make each row on demand (a session's flows), so no list of row objects is held. */
function table(name: ParquetTableName, count: number, rowAt: (i: number) => Row, spec: Array<[string, ParquetColumnType, Getter]>, chunkRows = PARQUET_CHUNK_ROWS): ParquetTable {
  const fns = spec.map((c) => c[2]);
  return {
    name, rows: count, schema: spec.map(([n, type]) => ({ name: n, type })), chunkRows,
    fill(start, n, sinks) {
      for (let k = 0; k < n; k++) {
        const r = rowAt(start + k);
        for (let c = 0; c < fns.length; c++) sinks[c]!.set(k, fns[c]!(r));
      }
    },
  };
}

/**
 * Where the tables' rows come from: an analysis document, or a session's
 * parts (`AnalysisSession.toJSONParts()`: flows, HTTP and DNS made one at a
 * time, the flows' times straight from the flow table, never as ISO text).
 */
export interface ParquetSource {
  /** The document; its flows, http and dns may be empty placeholders (then the counts and makers below give them). */
  doc: AnalysisJson;
  flowCount: number; flow(i: number): Row;
  /** Flow i's first and last packet, ns since the epoch; absent: parsed from firstTime/lastTime. */
  flowTimes?(i: number): [bigint | null, bigint | null];
  /** HTTP transaction i's request and response times, ns since the epoch; absent: parsed from requestTime/responseTime. */
  httpTimes?(i: number): [bigint | null, bigint | null];
  httpCount: number; http(i: number): Row;
  dnsCount: number; dns(i: number): Row;
}

/** A whole analysis document as a source. */
export function docSource(doc: AnalysisJson): ParquetSource {
  const flows = doc.flows as Row[], http = doc.http as Row[], dns = doc.dns as Row[];
  return { doc, flowCount: flows.length, flow: (i) => flows[i]!, httpCount: http.length, http: (i) => http[i]!, dnsCount: dns.length, dns: (i) => dns[i]! };
}

/** What sessionSource reads of an AnalysisSession (its parts and flow table). */
export interface ParquetSessionLike {
  toJSONParts(): { doc: AnalysisJson; flowCount: number; flow(i: number): unknown; httpCount: number; http(i: number): unknown; dnsCount: number; dns(i: number): unknown };
  readonly flows: {
    readonly table: { firstSec(f: number): number; firstNsec(f: number): number; lastSec(f: number): number; lastNsec(f: number): number };
    /** The HTTP transactions, in toJSONParts().http's order: their times without ISO text. */
    readonly http?: { readonly transactions: ReadonlyArray<{ capture: number; reqSec: number; reqNsec: number; respSec: number; respNsec: number }> };
  };
  /** Each capture's time precision (decimal digits of a second), as the JSON's ISO times are cut. */
  readonly captures?: ReadonlyArray<{ precision?: number }>;
}

/**
 * A time as the JSON gives it (formatTime at the capture's precision) then
 * read back (isoToNs), without the text: null before 1970 (sec < 0) or past
 * INT64's nanoseconds (2262).
 */
function nsAtPrecision(sec: number, nsec: number, precision: number): bigint | null {
  if (!(sec >= 0) || sec > 9_223_372_036) return null;
  const digits = precision >= 9 ? 9 : precision <= 0 ? 0 : precision;
  const cut = nsec - (nsec % 10 ** (9 - digits));
  if (sec === 9_223_372_036 && cut > 854_775_807) return null;
  return BigInt(sec) * 1_000_000_000n + BigInt(cut);
}

/** A session's parts as a source: one flow object at a time, times from the flow table. */
export function sessionSource(session: ParquetSessionLike): ParquetSource {
  const p = session.toJSONParts();
  const t = session.flows.table;
  // A time past 2262 (a broken capture's seconds field) does not fit a TIMESTAMP(NANOS): null, not a failed export.
  const ns = (sec: number, nsec: number): bigint | null => (sec < 0 || !Number.isFinite(sec) || sec >= 9_223_372_036 ? null : BigInt(sec) * 1_000_000_000n + BigInt(nsec));
  const tx = session.flows.http?.transactions;
  const precision = (capture: number): number => session.captures?.[capture]?.precision ?? 9;
  return {
    doc: p.doc, flowCount: p.flowCount, flow: (i) => p.flow(i) as unknown as Row,
    flowTimes: (i) => [ns(t.firstSec(i), t.firstNsec(i)), ns(t.lastSec(i), t.lastNsec(i))],
    ...(tx && tx.length === p.httpCount ? { httpTimes: (i: number): [bigint | null, bigint | null] => { const h = tx[i]!, d = precision(h.capture); return [nsAtPrecision(h.reqSec, h.reqNsec, d), nsAtPrecision(h.respSec, h.respNsec, d)]; } } : {}),
    httpCount: p.httpCount, http: (i) => p.http(i) as unknown as Row, dnsCount: p.dnsCount, dns: (i) => p.dns(i) as unknown as Row,
  };
}

const PROTO: Record<string, number> = { icmp: 1, igmp: 2, ipip: 4, tcp: 6, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

const nsToMs = (ns: bigint | null): bigint | null => (ns === null ? null : ns / 1_000_000n);
const joined = (x: unknown): string | null => (Array.isArray(x) ? x.map(String).join(',') : null);

interface Tuple { src: { ip: string; port: number | null }; dst: { ip: string; port: number | null } }
const tupleKey = (src: { ip: unknown; port: unknown }, dst: { ip: unknown; port: unknown }): string => `${String(src.ip)}|${String(src.port ?? '')}|${String(dst.ip)}|${String(dst.port ?? '')}`;

/**
 * The post-NAT tuple of each flow, oriented as the flow (a is the source):
 * from the flow's own joined half-views (`nat`: its a and b are the
 * translated tuple) or from a session translation whose original or
 * translated tuple the flow is (seen before the rewrite at this point, after
 * it at another).
 */
function postNat(doc: AnalysisJson): (r: Row) => Tuple | null {
  const byKey = new Map<string, Tuple>();
  for (const t of (doc as { translations?: Row[] }).translations ?? []) {
    const o = t['original'] as Tuple | undefined, x = t['translated'] as Tuple | undefined;
    if (!o || !x) continue;
    for (const side of [o, x]) {
      byKey.set(tupleKey(side.src, side.dst), x);
      byKey.set(tupleKey(side.dst, side.src), { src: x.dst, dst: x.src });
    }
  }
  return (r) => {
    const a = r['a'] as { ip: string; port: number | null } | undefined, b = r['b'] as { ip: string; port: number | null } | undefined;
    if (!a || !b) return null;
    if (r['nat']) return { src: a, dst: b };
    // No translations (most sessions without several capture points): no key a flow.
    return byKey.size ? byKey.get(tupleKey(a, b)) ?? null : null;
  };
}

/** The flows, http, dns, translations, journeys and captures tables of an analysis document (`session.toJSON()`) or a source (sessionSource). */
export function parquetTables(input: AnalysisJson | ParquetSource, options: ParquetTableOptions = {}): ParquetTable[] {
  const src: ParquetSource = 'flowCount' in input ? (input as ParquetSource) : docSource(input as AnalysisJson);
  const doc = src.doc;
  const session = options.session ?? null;
  const sessionId = (): string | null => session;
  const extra = doc as AnalysisJson & { capturePoints?: Row[]; services?: Row[]; translations?: Row[]; journeys?: Row[]; clocks?: Row[] };
  const captureOf = (r: Row): string | null => { const c = r['capture']; return Array.isArray(c) ? c.join(',') : str(c); };
  // Capture point names by file and interface (the contract's capturePoints).
  const points = new Map<string, string>();
  for (const p of extra.capturePoints ?? []) points.set(`${String(p['file'])}|${String(p['interface'] ?? 0)}`, String(p['name']));
  // The last file and interface asked and their point: flows come grouped by capture, so no key is made a row.
  let lastFile: string | null = null, lastIface = -1, lastPoint: string | null = null;
  const pointOf = (file: string | null, iface: number): string | null => {
    if (file === null) return null;
    if (file !== lastFile || iface !== lastIface) { lastFile = file; lastIface = iface; lastPoint = points.get(`${file}|${iface}`) ?? null; }
    return lastPoint;
  };
  const hostOf = new Map<string, Row>();
  for (const c of extra.clocks ?? []) for (const p of (c['capturePoints'] as string[] | undefined) ?? []) hostOf.set(p, c);
  // ClusterIP of a Service by "namespace/name".
  const clusterIp = new Map<string, string>();
  for (const s of extra.services ?? []) { const ip = str(s['clusterIp']); if (ip) clusterIp.set(`${String(s['namespace'])}/${String(s['name'])}`, ip); }
  const serviceName = (r: Row): string | null => { const s = r['service']; return s && typeof s === 'object' ? str((s as Row)['name']) : str(s); };
  const post = postNat(doc);
  const ident = (r: Row, side: 'a' | 'b', key: string): string | null => str(get(r, 'identity', side, key));
  const pod = (r: Row, side: 'a' | 'b', key: string): string | null => {
    if (ident(r, side, 'kind') !== 'pod') return null;
    const v = ident(r, side, key), ns = ident(r, side, 'namespace');
    // Identities name pods "namespace/name": the column holds the name alone, as Antrea's.
    return key === 'name' && v && ns && v.startsWith(`${ns}/`) ? v.slice(ns.length + 1) : v;
  };
  // Per row, computed once for the columns that share it (rows arrive one at a time, columns in order).
  let memoRow: Row | null = null, memoPost: Tuple | null = null, memoTimes: [bigint | null, bigint | null] = [null, null];
  const flowAt = (i: number): Row => {
    const r = src.flow(i);
    memoRow = r; memoPost = post(r);
    memoTimes = src.flowTimes ? src.flowTimes(i) : [isoToNs(str(r['firstTime'])), isoToNs(str(r['lastTime']))];
    return r;
  };
  const postOf = (r: Row): Tuple | null => (r === memoRow ? memoPost : post(r));
  const flows = table('flows', src.flowCount, flowAt, [
    ['sessionId', 'STRING', sessionId],
    ['flowId', 'INT32', (r) => int(r['id'])],
    ['captureFile', 'STRING', captureOf],
    ['captureInterface', 'INT32', (r) => int(r['interface']) ?? 0],
    ['capturePoint', 'STRING', (r) => pointOf(captureOf(r), int(r['interface']) ?? 0)],
    ['flowStartNanoseconds', 'TIMESTAMP_NANOS', () => memoTimes[0]],
    ['flowEndNanoseconds', 'TIMESTAMP_NANOS', () => memoTimes[1]],
    ['flowStartMilliseconds', 'TIMESTAMP_MILLIS', () => nsToMs(memoTimes[0])],
    ['flowEndMilliseconds', 'TIMESTAMP_MILLIS', () => nsToMs(memoTimes[1])],
    ['protocolIdentifier', 'INT32', (r) => PROTO[str(r['transport']) ?? ''] ?? (Number(/^ip-proto-(\d+)$/.exec(str(r['transport']) ?? '')?.[1]) || null)],
    ['transport', 'STRING', (r) => str(r['transport'])],
    ['sourceIP', 'STRING', (r) => str(get(r, 'a', 'ip'))],
    ['sourceTransportPort', 'INT32', (r) => int(get(r, 'a', 'port'))],
    ['destinationIP', 'STRING', (r) => str(get(r, 'b', 'ip'))],
    ['destinationTransportPort', 'INT32', (r) => int(get(r, 'b', 'port'))],
    ['depth', 'INT32', (r) => int(r['depth'])],
    ['packetTotalCount', 'INT64', (r) => big(r['packetsAtoB'])],
    ['octetTotalCount', 'INT64', (r) => big(r['bytesAtoB'])],
    ['reversePacketTotalCount', 'INT64', (r) => big(r['packetsBtoA'])],
    ['reverseOctetTotalCount', 'INT64', (r) => big(r['bytesBtoA'])],
    ['tunnelType', 'STRING', (r) => str(get(r, 'tunnel', 'type'))],
    ['tunnelVni', 'INT64', (r) => big(get(r, 'tunnel', 'vni'))],
    ['tunnelOuterFlowId', 'INT32', (r) => int(get(r, 'tunnel', 'outerFlow'))],
    ['communityId', 'STRING', (r) => str(r['communityId'])],
    ['sourcePodName', 'STRING', (r) => pod(r, 'a', 'name')],
    ['sourcePodNamespace', 'STRING', (r) => pod(r, 'a', 'namespace')],
    ['sourceNodeName', 'STRING', (r) => ident(r, 'a', 'node')],
    ['destinationPodName', 'STRING', (r) => pod(r, 'b', 'name')],
    ['destinationPodNamespace', 'STRING', (r) => pod(r, 'b', 'namespace')],
    ['destinationNodeName', 'STRING', (r) => ident(r, 'b', 'node')],
    // "namespace/name" of the Service the flow reached (Antrea's column adds ":port"; the port is destinationTransportPort).
    ['destinationServicePortName', 'STRING', serviceName],
    ['destinationClusterIP', 'STRING', (r) => { const n = serviceName(r); return n ? clusterIp.get(n) ?? null : null; }],
    // IPFIX postNATSourceIPv4Address/postNAPTSourceTransportPort (225-228), one column for IPv4 and IPv6 as Antrea's sourceIP.
    ['postNATSourceIP', 'STRING', (r) => postOf(r)?.src.ip ?? null],
    ['postNAPTSourceTransportPort', 'INT32', (r) => int(postOf(r)?.src.port)],
    ['postNATDestinationIP', 'STRING', (r) => postOf(r)?.dst.ip ?? null],
    ['postNAPTDestinationTransportPort', 'INT32', (r) => int(postOf(r)?.dst.port)],
    ['tcpState', 'STRING', (r) => str(get(r, 'tcp', 'state'))],
    ['tcpRttMs', 'DOUBLE', (r) => num(get(r, 'tcp', 'rttMs'))],
    ['tcpRetransmissions', 'INT64', (r) => big(get(r, 'tcp', 'retransmissions'))],
  ], options.chunkRows);
  let httpTimes: [bigint | null, bigint | null] = [null, null];
  const httpAt = (i: number): Row => {
    const r = src.http(i);
    httpTimes = src.httpTimes ? src.httpTimes(i) : [isoToNs(str(r['requestTime'])), isoToNs(str(r['responseTime']))];
    return r;
  };
  const http = table('http', src.httpCount, httpAt, [
    ['sessionId', 'STRING', sessionId],
    ['transactionId', 'INT32', (r) => int(r['id'])],
    ['flowId', 'INT32', (r) => int(r['flow'])],
    ['method', 'STRING', (r) => str(r['method'])],
    ['host', 'STRING', (r) => str(r['host'])],
    ['uri', 'STRING', (r) => str(r['uri'])],
    ['status', 'INT32', (r) => int(r['status'])],
    ['requestTime', 'TIMESTAMP_NANOS', () => httpTimes[0]],
    ['responseTime', 'TIMESTAMP_NANOS', () => httpTimes[1]],
    ['ttfbMs', 'DOUBLE', (r) => num(r['ttfbMs'])],
    ['totalMs', 'DOUBLE', (r) => num(r['totalMs'])],
    ['requestBytes', 'INT64', (r) => big(r['requestBytes'])],
    ['responseBytes', 'INT64', (r) => big(r['responseBytes'])],
    ['complete', 'BOOLEAN', (r) => (typeof r['complete'] === 'boolean' ? r['complete'] : null)],
  ], options.chunkRows);
  const dns = table('dns', src.dnsCount, (i) => src.dns(i), [
    ['sessionId', 'STRING', sessionId],
    ['transactionId', 'INT32', (r) => int(r['id'])],
    ['flowId', 'INT32', (r) => int(r['flow'])],
    ['queryId', 'INT32', (r) => int(r['queryId'])],
    ['queryName', 'STRING', (r) => str(r['name'])],
    ['queryType', 'STRING', (r) => str(r['type'])],
    ['rcode', 'STRING', (r) => str(r['rcode'])],
    ['answers', 'STRING', (r) => joined(r['answers'])],
    ['queryTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['queryTime']))],
    ['answerTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['answerTime']))],
    ['latencyMs', 'DOUBLE', (r) => num(r['latencyMs'])],
    ['captureFile', 'STRING', (r) => str(r['capture'])],
  ]);
  const translationRows = (extra.translations ?? []).map((t, i) => ({ ...t, id: i }));
  const translations = table('translations', translationRows.length, (i) => translationRows[i]!, [
    ['sessionId', 'STRING', sessionId],
    ['translationId', 'INT32', (r) => int(r['id'])],
    ['kind', 'STRING', (r) => str(r['kind'])],
    ['destinationServicePortName', 'STRING', (r) => str(r['service'])],
    ['destinationClusterIP', 'STRING', (r) => { const n = str(r['service']); return n ? clusterIp.get(n) ?? null : null; }],
    ['sourceIP', 'STRING', (r) => str(get(r, 'original', 'src', 'ip'))],
    ['sourceTransportPort', 'INT32', (r) => int(get(r, 'original', 'src', 'port'))],
    ['destinationIP', 'STRING', (r) => str(get(r, 'original', 'dst', 'ip'))],
    ['destinationTransportPort', 'INT32', (r) => int(get(r, 'original', 'dst', 'port'))],
    ['postNATSourceIP', 'STRING', (r) => str(get(r, 'translated', 'src', 'ip'))],
    ['postNAPTSourceTransportPort', 'INT32', (r) => int(get(r, 'translated', 'src', 'port'))],
    ['postNATDestinationIP', 'STRING', (r) => str(get(r, 'translated', 'dst', 'ip'))],
    ['postNAPTDestinationTransportPort', 'INT32', (r) => int(get(r, 'translated', 'dst', 'port'))],
    ['originalSeenAt', 'STRING', (r) => joined(r['originalSeenAt'])],
    ['translatedSeenAt', 'STRING', (r) => joined(r['translatedSeenAt'])],
    ['evidence', 'STRING', (r) => str(r['evidence'])],
  ]);
  const hopRows: Row[] = [];
  for (const j of extra.journeys ?? []) {
    const hops = (j['hops'] as Row[] | undefined) ?? [];
    const t0 = hops.length ? isoToNs(str(hops[0]!['time'])) : null;
    const t1 = hops.length ? isoToNs(str(hops[hops.length - 1]!['time'])) : null;
    const durationMs = t0 !== null && t1 !== null ? Number(t1 - t0) / 1e6 : null;
    hops.forEach((h, k) => hopRows.push({ ...h, journey: j, hop: k + 1, hops: hops.length, durationMs }));
  }
  const journeys = table('journeys', hopRows.length, (i) => hopRows[i]!, [
    ['sessionId', 'STRING', sessionId],
    ['journeyId', 'INT32', (r) => int(get(r, 'journey', 'id'))],
    ['httpTransactionId', 'INT32', (r) => int(get(r, 'journey', 'http'))],
    ['label', 'STRING', (r) => str(get(r, 'journey', 'label'))],
    ['complete', 'BOOLEAN', (r) => { const c = get(r, 'journey', 'complete'); return typeof c === 'boolean' ? c : null; }],
    ['journeyHops', 'INT32', (r) => int(r['hops'])],
    ['journeyDurationMs', 'DOUBLE', (r) => num(r['durationMs'])],
    ['hop', 'INT32', (r) => int(r['hop'])],
    ['capturePoint', 'STRING', (r) => str(r['point'])],
    ['hopTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['time']))],
    ['sourceIP', 'STRING', (r) => str(get(r, 'src', 'ip'))],
    ['sourceTransportPort', 'INT32', (r) => int(get(r, 'src', 'port'))],
    ['destinationIP', 'STRING', (r) => str(get(r, 'dst', 'ip'))],
    ['destinationTransportPort', 'INT32', (r) => int(get(r, 'dst', 'port'))],
    ['translation', 'STRING', (r) => str(r['translation'])],
    ['tunnelType', 'STRING', (r) => str(get(r, 'tunnel', 'type'))],
    ['tunnelVni', 'INT64', (r) => big(get(r, 'tunnel', 'vni'))],
    ['tunnelSourceIP', 'STRING', (r) => str(get(r, 'tunnel', 'outerSrc'))],
    ['tunnelDestinationIP', 'STRING', (r) => str(get(r, 'tunnel', 'outerDst'))],
    ['packetTotalCount', 'INT64', (r) => big(r['packets'])],
    ['latencyMs', 'DOUBLE', (r) => num(r['latencyMs'])],
    ['note', 'STRING', (r) => str(r['note'])],
  ]);
  const captureRows = (doc.captures as unknown as Row[]).map((c) => {
    const file = str(c['file']);
    const ifaces = (c['interfaces'] as Row[] | undefined) ?? [];
    const names = (ifaces.length ? ifaces : [{ id: 0 }]).map((i) => pointOf(file, int(i['id']) ?? 0)).filter((n): n is string => n !== null);
    const host = names.length ? hostOf.get(names[0]!) ?? null : null;
    return { ...c, pointNames: names, hostRow: host };
  });
  const captures = table('captures', captureRows.length, (i) => captureRows[i]!, [
    ['sessionId', 'STRING', sessionId],
    ['captureFile', 'STRING', (r) => str(r['file'])],
    ['format', 'STRING', (r) => str(r['format'])],
    ['linkTypes', 'STRING', (r) => joined(r['linkTypes'])],
    ['capturePoints', 'STRING', (r) => joined(r['pointNames'])],
    ['host', 'STRING', (r) => str(get(r, 'hostRow', 'host'))],
    ['clockOffsetMs', 'DOUBLE', (r) => num(get(r, 'hostRow', 'offsetMs'))],
    ['clockCorrected', 'BOOLEAN', (r) => { const c = get(r, 'hostRow', 'corrected'); return typeof c === 'boolean' ? c : null; }],
    ['packetTotalCount', 'INT64', (r) => big(r['packets'])],
    ['octetTotalCount', 'INT64', (r) => big(r['bytes'])],
    ['fileSize', 'INT64', (r) => big(r['fileSize'])],
    ['firstTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['firstTime']))],
    ['lastTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['lastTime']))],
    ['complete', 'BOOLEAN', (r) => (typeof r['complete'] === 'boolean' ? r['complete'] : null)],
    ['issueCount', 'INT64', (r) => (Array.isArray(r['issues']) ? BigInt((r['issues'] as unknown[]).length) : null)],
  ]);
  return [flows, http, dns, translations, journeys, captures];
}

/** What the packets table reads of a session's captures (AnalysisSession.captures). */
export interface PacketTableCapture {
  readonly file: string;
  readonly interfaces: ReadonlyArray<{ id: number }>;
  readonly index: {
    readonly count: number;
    tsSec(n: number): number; tsNsec(n: number): number; capLen(n: number): number; origLen(n: number): number; iface(n: number): number;
    readonly flowId: Int32Array; readonly outerFlowId: Int32Array;
  };
}

/** Rows a row group of the `packets` table (nine narrow columns). */
export const PACKET_CHUNK_ROWS = 65_536;

/**
 * The optional `packets` table: one row a packet a capture point (the same
 * transmission seen at three points is three rows), with its time at the
 * capture's resolution, lengths and the flows it counts in. Rows are read
 * straight from the captures' typed packet indexes, a row group at a time:
 * no object or array a row, 2 M packets stay small.
 */
export function packetsTable(captures: readonly PacketTableCapture[], doc: AnalysisJson, options: ParquetTableOptions = {}): ParquetTable {
  let total = 0;
  const starts: number[] = [];
  for (const c of captures) { starts.push(total); total += c.index.count; }
  const points = new Map<string, string>();
  for (const p of (doc as { capturePoints?: Row[] }).capturePoints ?? []) points.set(`${String(p['file'])}|${String(p['interface'] ?? 0)}`, String(p['name']));
  // Capture point names a capture, by interface id.
  const names = captures.map(() => new Map<number, string | null>());
  const pointOf = (ci: number, ifc: number): string | null => {
    let name = names[ci]!.get(ifc);
    if (name === undefined) { name = points.get(`${captures[ci]!.file}|${ifc}`) ?? null; names[ci]!.set(ifc, name); }
    return name;
  };
  const session = options.session ?? null;
  const schema: Array<[string, ParquetColumnType]> = [
    ['sessionId', 'STRING'], ['captureFile', 'STRING'], ['capturePoint', 'STRING'],
    ['frameNumber', 'INT32'], ['timestamp', 'TIMESTAMP_NANOS'],
    ['capturedLength', 'INT32'], ['frameLength', 'INT32'],
    ['flowId', 'INT32'], ['outerFlowId', 'INT32'],
  ];
  return {
    name: 'packets', rows: total, schema: schema.map(([name, type]) => ({ name, type })), chunkRows: options.chunkRows ?? PACKET_CHUNK_ROWS,
    fill(start, count, sinks) {
      const [sSession, sFile, sPoint, sFrame, sTime, sCaplen, sLen, sFlow, sOuter] = sinks as [ParquetSink, ParquetSink, ParquetSink, ParquetSink, ParquetSink, ParquetSink, ParquetSink, ParquetSink, ParquetSink];
      let ci = 0;
      while (ci + 1 < captures.length && starts[ci + 1]! <= start) ci++;
      let n = start - (starts[ci] ?? 0);
      for (let k = 0; k < count; k++, n++) {
        while (n >= captures[ci]!.index.count) { ci++; n = 0; }
        const c = captures[ci]!, ix = c.index;
        sSession.set(k, session); sFile.set(k, c.file); sPoint.set(k, pointOf(ci, ix.iface(n)));
        sFrame.set(k, n + 1);
        const sec = ix.tsSec(n);
        sTime.set(k, sec >= 0 && sec < 9_223_372_036 ? BigInt(sec) * 1_000_000_000n + BigInt(ix.tsNsec(n)) : null);
        sCaplen.set(k, ix.capLen(n)); sLen.set(k, ix.origLen(n));
        const f = ix.flowId[n] ?? -1, o = ix.outerFlowId[n] ?? -1;
        sFlow.set(k, f >= 0 ? f : null); sOuter.set(k, o >= 0 && o !== f ? o : null);
      }
    },
  };
}
