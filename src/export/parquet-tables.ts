/**
 * The analysis as column tables for Parquet (docs/parquet.md): `flows`,
 * `http`, `dns`, one column array per field, with column names after IPFIX
 * and Antrea's flow-aggregator table (flowStartNanoseconds, sourceIP,
 * destinationIP, sourceTransportPort, protocolIdentifier, packetTotalCount,
 * octetTotalCount, reverse*, sourcePodName, ...). Types are exact: times
 * TIMESTAMP(NANOS, UTC) as BigInt ns since the epoch, ports INT32, counters
 * INT64. Platform-neutral: the writer (hyparquet-writer) is the host's.
 */
import type { AnalysisJson } from '../engine/contract.js';

export type ParquetColumnType = 'STRING' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP_NANOS';

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  /** One value a row; null where unset. INT64 and TIMESTAMP_NANOS values are bigint. */
  data: Array<string | number | bigint | boolean | null>;
}

export interface ParquetTable { name: 'flows' | 'http' | 'dns'; rows: number; columns: ParquetColumn[] }

/** ISO-8601 time (any precision) as ns since the epoch; null for null or text that is not one. */
export function isoToNs(iso: string | null | undefined): bigint | null {
  if (!iso) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(ms)) return null;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

const big = (x: unknown): bigint | null => (typeof x === 'number' && Number.isFinite(x) ? BigInt(Math.trunc(x)) : null);
const int = (x: unknown): number | null => (typeof x === 'number' && Number.isInteger(x) ? x : null);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

type Row = Record<string, unknown>;
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Row)[k] : undefined), o);

function table(name: ParquetTable['name'], rows: readonly Row[], spec: Array<[string, ParquetColumnType, (r: Row) => string | number | bigint | boolean | null]>): ParquetTable {
  return { name, rows: rows.length, columns: spec.map(([n, type, f]) => ({ name: n, type, data: rows.map(f) })) };
}

const PROTO: Record<string, number> = { icmp: 1, igmp: 2, ipip: 4, tcp: 6, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

/** The flows, http and dns tables of an analysis document (`session.toJSON()`). */
export function parquetTables(doc: AnalysisJson): ParquetTable[] {
  const captureOf = (r: Row): string | null => { const c = r['capture']; return Array.isArray(c) ? c.join(',') : str(c); };
  const ident = (r: Row, side: 'a' | 'b', key: string): string | null => str(get(r, 'identity', side, key));
  const pod = (r: Row, side: 'a' | 'b', key: string): string | null => {
    if (ident(r, side, 'kind') !== 'pod') return null;
    const v = ident(r, side, key), ns = ident(r, side, 'namespace');
    // Identities name pods "namespace/name": the column holds the name alone, as Antrea's.
    return key === 'name' && v && ns && v.startsWith(`${ns}/`) ? v.slice(ns.length + 1) : v;
  };
  const flows = table('flows', doc.flows as Row[], [
    ['flowId', 'INT32', (r) => int(r['id'])],
    ['captureFile', 'STRING', captureOf],
    ['captureInterface', 'INT32', (r) => int(r['interface']) ?? 0],
    ['flowStartNanoseconds', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['firstTime']))],
    ['flowEndNanoseconds', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['lastTime']))],
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
    ['destinationServicePortName', 'STRING', (r) => { const s = r['service']; return s && typeof s === 'object' ? str((s as Row)['name']) : str(s); }],
    ['tcpState', 'STRING', (r) => str(get(r, 'tcp', 'state'))],
    ['tcpRttMs', 'DOUBLE', (r) => num(get(r, 'tcp', 'rttMs'))],
    ['tcpRetransmissions', 'INT64', (r) => big(get(r, 'tcp', 'retransmissions'))],
  ]);
  const http = table('http', doc.http as Row[], [
    ['transactionId', 'INT32', (r) => int(r['id'])],
    ['flowId', 'INT32', (r) => int(r['flow'])],
    ['method', 'STRING', (r) => str(r['method'])],
    ['host', 'STRING', (r) => str(r['host'])],
    ['uri', 'STRING', (r) => str(r['uri'])],
    ['status', 'INT32', (r) => int(r['status'])],
    ['requestTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['requestTime']))],
    ['responseTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['responseTime']))],
    ['ttfbMs', 'DOUBLE', (r) => num(r['ttfbMs'])],
    ['totalMs', 'DOUBLE', (r) => num(r['totalMs'])],
    ['requestBytes', 'INT64', (r) => big(r['requestBytes'])],
    ['responseBytes', 'INT64', (r) => big(r['responseBytes'])],
    ['complete', 'BOOLEAN', (r) => (typeof r['complete'] === 'boolean' ? r['complete'] : null)],
  ]);
  const dns = table('dns', doc.dns as Row[], [
    ['transactionId', 'INT32', (r) => int(r['id'])],
    ['flowId', 'INT32', (r) => int(r['flow'])],
    ['queryId', 'INT32', (r) => int(r['queryId'])],
    ['queryName', 'STRING', (r) => str(r['name'])],
    ['queryType', 'STRING', (r) => str(r['type'])],
    ['rcode', 'STRING', (r) => str(r['rcode'])],
    ['answers', 'STRING', (r) => (Array.isArray(r['answers']) ? (r['answers'] as unknown[]).join(',') : null)],
    ['queryTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['queryTime']))],
    ['answerTime', 'TIMESTAMP_NANOS', (r) => isoToNs(str(r['answerTime']))],
    ['latencyMs', 'DOUBLE', (r) => num(r['latencyMs'])],
    ['captureFile', 'STRING', (r) => str(r['capture'])],
  ]);
  return [flows, http, dns];
}
