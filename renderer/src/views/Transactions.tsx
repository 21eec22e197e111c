/** HTTP transactions and DNS queries: paged tables with a text filter. */
import { useCallback, useState } from 'react';
import type { DnsRow, HttpRow } from '../../../src/api.js';
import { DataTable, type Col } from "../components/DataTable.js";
import type { RowData } from "@tanstack/react-table";
import { ErrorState, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { fmtBytes, fmtClock, fmtEndpoint, fmtInt, fmtMs } from '../format.js';

const httpColumns: Col<HttpRow>[] = [
  { id: 'id', header: '#', size: 56, meta: { numeric: true }, accessorFn: (r) => r.id },
  { id: 'time', header: 'Request time', size: 134, accessorFn: (r) => fmtClock(r.requestTime) },
  { id: 'method', header: 'Method', size: 70, accessorFn: (r) => r.method ?? '' },
  { id: 'host', header: 'Host', size: 170, accessorFn: (r) => r.host ?? '' },
  { id: 'uri', header: 'URI', size: 170, accessorFn: (r) => r.uri ?? '', cell: (c) => <span title={c.getValue() as string}>{c.getValue() as string}</span> },
  { id: 'status', header: 'Status', size: 104, accessorFn: (r) => (r.status == null ? 'no response' : `${r.status} ${r.reason ?? ''}`), cell: (c) => {
    const s = c.row.original.status;
    return <span className={s == null ? 'muted' : s >= 500 ? 'bad' : s >= 400 ? 'warn' : 'ok'}>{c.getValue() as string}</span>;
  } },
  { id: 'ttfb', header: 'TTFB', size: 76, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.ttfbMs) },
  { id: 'total', header: 'Total', size: 76, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.totalMs) },
  { id: 'req', header: 'Req bytes', size: 92, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.requestBytes) },
  { id: 'resp', header: 'Resp bytes', size: 96, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.responseBytes) },
  { id: 'client', header: 'Client', size: 178, accessorFn: (r) => fmtEndpoint(r.client) },
  { id: 'server', header: 'Server', size: 178, accessorFn: (r) => fmtEndpoint(r.server) },
  { id: 'capture', header: 'Capture', size: 200, accessorFn: (r) => r.capture },
];

const dnsColumns: Col<DnsRow>[] = [
  { id: 'id', header: '#', size: 56, meta: { numeric: true }, accessorFn: (r) => r.id },
  { id: 'time', header: 'Query time', size: 134, accessorFn: (r) => fmtClock(r.queryTime) },
  { id: 'queryId', header: 'ID', size: 76, accessorFn: (r) => `0x${r.queryId.toString(16).padStart(4, '0')}` },
  { id: 'name', header: 'Name', size: 280, accessorFn: (r) => r.name },
  { id: 'type', header: 'Type', size: 60, accessorFn: (r) => r.type },
  { id: 'rcode', header: 'Rcode', size: 90, accessorFn: (r) => r.rcode ?? 'no answer' },
  { id: 'answers', header: 'Answers', size: 320, accessorFn: (r) => r.answers.join(', '), cell: (c) => <span title={c.getValue() as string}>{c.getValue() as string}</span> },
  { id: 'latency', header: 'Latency', size: 80, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.latencyMs) },
  { id: 'capture', header: 'Capture', size: 200, accessorFn: (r) => r.capture },
];

function TxView<T extends RowData>({ kind, columns, rowKey, fetch, testId }: {
  kind: 'HTTP' | 'DNS'; columns: Col<T>[]; rowKey(r: T): string; testId: string;
  fetch(q: { offset: number; limit: number; text?: string }): Promise<{ total: number; offset: number; rows: T[] }>;
}) {
  const { host, version } = useSession();
  const [text, setText] = useState('');
  const [total, setTotal] = useState<number | null>(null);
  const key = `${version}:${text}`;
  const fetchPage = useCallback((offset: number, limit: number) => fetch({ offset, limit, ...(text ? { text } : {}) }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [host, key]);
  const probe = useAsync(() => fetch({ offset: 0, limit: 1 }), [host, version]);
  if (probe.status === 'loading') return <Loading what={kind} />;
  if (probe.status === 'error') return <div className="view"><ErrorState error={probe.error} what={kind === 'HTTP' ? 'HTTP transactions' : 'DNS queries'} /></div>;
  return (
    <div className="view tx" data-testid={`view-${kind.toLowerCase()}`}>
      <div className="toolbar">
        <input className="input" type="search" placeholder={kind === 'HTTP' ? 'Filter: host, URI, status…' : 'Filter: name, answer…'} value={text} onChange={(e) => setText(e.target.value)} aria-label={`${kind} filter`} />
        <span className="muted small">{total != null ? `${fmtInt(total)} ${kind === 'HTTP' ? (total === 1 ? 'transaction' : 'transactions') : total === 1 ? 'query' : 'queries'}` : ''}</span>
      </div>
      <div className="pane-fill">
        <DataTable label={kind} testId={testId} columns={columns} queryKey={key} fetchPage={fetchPage} rowKey={rowKey} onTotal={setTotal}
          empty={<div className="dt-empty">No {kind} {kind === 'HTTP' ? 'transactions' : 'queries'} in these captures</div>} />
      </div>
    </div>
  );
}

export function Http() {
  const { host } = useSession();
  return <TxView kind="HTTP" testId="http-table" columns={httpColumns} rowKey={(r) => String(r.id)} fetch={(q) => host.api.getHttp(q)} />;
}

export function Dns() {
  const { host } = useSession();
  return <TxView kind="DNS" testId="dns-table" columns={dnsColumns} rowKey={(r) => String(r.id)} fetch={(q) => host.api.getDns(q)} />;
}
