/**
 * CSV reports: one table per file (flows.csv, http.csv, dns.csv and, with a
 * comparison, comparison.csv), each a header row and its rows, so
 * spreadsheets and pandas read them as they are; several at once as a zip.
 * Formula-safe (csv.ts). Flows carry identity columns per endpoint (pod,
 * Service or node names, from cluster metadata or inferred) and, last, the
 * flow's Community ID v1 (`community_id`, as the JSON's `communityId`).
 */
import { zipSync, strToU8 } from 'fflate';
import { csvRow } from './csv.js';
import type { ReportInput } from './report-model.js';

export type CsvTable = 'flows' | 'http' | 'dns' | 'comparison';
export const CSV_TABLES: readonly CsvTable[] = ['flows', 'http', 'dns', 'comparison'];

interface IdentityLike { kind?: string; name?: string; namespace?: string; node?: string; detail?: string; inferred?: boolean }

function identityCells(id: IdentityLike | null | undefined): unknown[] {
  if (!id) return ['', '', '', ''];
  return [id.kind ?? '', id.name ?? '', id.node ?? '', id.inferred ? 'inferred' : id.detail ?? ''];
}

export function flowsCsvTable(input: ReportInput): string {
  const a = input.analysis;
  const rows = [csvRow(['id', 'capture', 'depth', 'transport', 'a_ip', 'a_port', 'b_ip', 'b_port', 'packets', 'bytes', 'packets_a_to_b', 'packets_b_to_a',
    'bytes_a_to_b', 'bytes_b_to_a', 'first_time', 'last_time', 'tunnel_type', 'tunnel_vni', 'outer_flow', 'service',
    'a_kind', 'a_name', 'a_node', 'a_detail', 'b_kind', 'b_name', 'b_node', 'b_detail', 'community_id'])];
  for (const f of a?.flows ?? []) {
    const identity = (f as { identity?: { a?: IdentityLike | null; b?: IdentityLike | null } }).identity;
    rows.push(csvRow([f.id, Array.isArray(f.capture) ? f.capture.join(';') : f.capture ?? '', f.depth, f.transport, f.a.ip, f.a.port ?? '', f.b.ip, f.b.port ?? '',
      f.packets, f.bytes, f.packetsAtoB, f.packetsBtoA, f.bytesAtoB, f.bytesBtoA, f.firstTime, f.lastTime,
      f.tunnel?.type ?? '', f.tunnel?.vni ?? '', f.tunnel?.outerFlow ?? '', (f as { service?: unknown }).service ?? '',
      ...identityCells(identity?.a), ...identityCells(identity?.b), f.communityId ?? '']));
  }
  return rows.join('');
}

export function httpCsvTable(input: ReportInput): string {
  const rows = [csvRow(['flow', 'method', 'host', 'uri', 'status', 'reason', 'request_time', 'response_time', 'ttfb_ms', 'total_ms', 'request_bytes', 'response_bytes'])];
  for (const h of input.analysis?.http ?? []) {
    rows.push(csvRow([h.flow, h.method, h.host, h.uri, h.status, h['reason'] ?? '', h.requestTime, h.responseTime, h['ttfbMs'] ?? '', h['totalMs'] ?? '', h['requestBytes'] ?? '', h['responseBytes'] ?? '']));
  }
  return rows.join('');
}

interface DnsLike { id?: number; flow?: number; queryId?: number; name?: string; type?: string; rcode?: string | null; answers?: unknown[]; queryTime?: string | null; answerTime?: string | null; latencyMs?: number | null; capture?: string }

function answerText(a: unknown): string {
  if (a === null || a === undefined) return '';
  if (typeof a !== 'object') return String(a);
  const o = a as { data?: unknown; value?: unknown; type?: unknown; name?: unknown };
  return String(o.data ?? o.value ?? JSON.stringify(a));
}

export function dnsCsvTable(input: ReportInput): string {
  const rows = [csvRow(['id', 'flow', 'capture', 'query_id', 'name', 'type', 'rcode', 'answers', 'query_time', 'answer_time', 'latency_ms'])];
  for (const raw of input.analysis?.dns ?? []) {
    const d = raw as DnsLike;
    rows.push(csvRow([d.id ?? '', d.flow ?? '', d.capture?.split(/[\\/]/).pop() ?? '', d.queryId ?? '', d.name ?? '', d.type ?? '', d.rcode ?? '',
      (d.answers ?? []).map(answerText).join('; '), d.queryTime ?? '', d.answerTime ?? '', d.latencyMs ?? '']));
  }
  return rows.join('');
}

export function comparisonCsvTable(input: ReportInput): string {
  const c = input.comparison;
  if (!c) return '';
  const rows = [csvRow(['group', 'metric', 'unit', `a:${c.a.label}`, `b:${c.b.label}`, 'delta'])];
  for (const m of c.metrics) rows.push(csvRow([m.group, m.name, (m as { unit?: string }).unit ?? '', m.a, m.b, m.delta]));
  return rows.join('');
}

export function csvTable(input: ReportInput, table: CsvTable): string {
  switch (table) {
    case 'flows': return flowsCsvTable(input);
    case 'http': return httpCsvTable(input);
    case 'dns': return dnsCsvTable(input);
    case 'comparison': return comparisonCsvTable(input) || csvRow(['group', 'metric', 'unit', 'a', 'b', 'delta']);
    default: {
      const never: never = table;
      throw new Error(`unknown CSV table '${String(never)}'`);
    }
  }
}

/** Every table the input has, as files: flows.csv, http.csv, dns.csv and comparison.csv with a comparison. */
export function csvTables(input: ReportInput): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  if (input.analysis) out.push({ name: 'flows.csv', text: flowsCsvTable(input) }, { name: 'http.csv', text: httpCsvTable(input) }, { name: 'dns.csv', text: dnsCsvTable(input) });
  if (input.comparison) out.push({ name: 'comparison.csv', text: comparisonCsvTable(input) });
  return out;
}

/** The CSV report: the flow table alone (one table a file; `csvZip` has them all). */
export function csvReport(input: ReportInput): string {
  return input.analysis ? flowsCsvTable(input) : comparisonCsvTable(input);
}

/**
 * All tables in one zip (fflate's zipSync, deflated; a fixed time so the same
 * input gives the same bytes), each file under a folder named after the report.
 */
export function csvZip(input: ReportInput, folder: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const t of csvTables(input)) files[`${folder}/${t.name}`] = strToU8(t.text);
  return zipSync(files, { level: 6, mtime: new Date(Date.UTC(2020, 0, 1)) });
}
