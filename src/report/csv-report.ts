/**
 * The CSV report: the flow table, then an empty line, then the HTTP
 * transactions (each with its own header row), formula-safe (csv.ts).
 */
import { csvRow } from './csv.js';
import type { ReportInput } from './report-model.js';

export function flowsCsvTable(input: ReportInput): string {
  const a = input.analysis;
  const rows = [csvRow(['id', 'capture', 'depth', 'transport', 'a_ip', 'a_port', 'b_ip', 'b_port', 'packets', 'bytes', 'packets_a_to_b', 'packets_b_to_a',
    'bytes_a_to_b', 'bytes_b_to_a', 'first_time', 'last_time', 'tunnel_type', 'tunnel_vni', 'outer_flow', 'service'])];
  for (const f of a?.flows ?? []) {
    rows.push(csvRow([f.id, Array.isArray(f.capture) ? f.capture.join(';') : f.capture ?? '', f.depth, f.transport, f.a.ip, f.a.port ?? '', f.b.ip, f.b.port ?? '',
      f.packets, f.bytes, f.packetsAtoB, f.packetsBtoA, f.bytesAtoB, f.bytesBtoA, f.firstTime, f.lastTime,
      f.tunnel?.type ?? '', f.tunnel?.vni ?? '', f.tunnel?.outerFlow ?? '', (f as { service?: unknown }).service ?? '']));
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

export function comparisonCsvTable(input: ReportInput): string {
  const c = input.comparison;
  if (!c) return '';
  const rows = [csvRow(['group', 'metric', 'unit', `a:${c.a.label}`, `b:${c.b.label}`, 'delta'])];
  for (const m of c.metrics) rows.push(csvRow([m.group, m.name, (m as { unit?: string }).unit ?? '', m.a, m.b, m.delta]));
  return rows.join('');
}

export function csvReport(input: ReportInput): string {
  const parts = [flowsCsvTable(input), httpCsvTable(input)];
  if (input.comparison) parts.push(comparisonCsvTable(input));
  return parts.join('\r\n');
}
