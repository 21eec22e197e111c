/**
 * HTTP transactions and DNS queries: paged tables with a text filter, in
 * time order by default and sortable by every column in the engine (the
 * slowest request is one click on Total away); the capture point each was
 * seen at is the third column.
 */
import { useCallback, useState } from 'react';
import type { SortingState } from '@tanstack/react-table';
import type { DnsRow, HttpRow, TxQuery } from '../../../src/api.js';
import { DataTable, type Col } from "../components/DataTable.js";
import type { RowData } from "@tanstack/react-table";
import { ErrorState, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { fmtBytes, fmtClock, fmtEndpoint, fmtInt, fmtMs } from '../format.js';

/** A capture file's name as its capture point (the title keeps the file name). */
const pointName = (file: string): string => file.replace(/\.(pcapng|pcap|cap)$/i, '');

const httpColumns: Col<HttpRow>[] = [
  { id: 'id', header: '#', size: 50, meta: { numeric: true }, accessorFn: (r) => r.id },
  { id: 'time', header: 'Request time', size: 138, accessorFn: (r) => fmtClock(r.requestTime) },
  { id: 'capture', header: 'Capture point', size: 160, accessorFn: (r) => r.capture, cell: (c) => pointName(c.getValue() as string) },
  { id: 'method', header: 'Method', size: 70, accessorFn: (r) => r.method ?? '' },
  { id: 'host', header: 'Host', size: 166, accessorFn: (r) => r.host ?? '' },
  { id: 'uri', header: 'URI', size: 80, accessorFn: (r) => r.uri ?? '' },
  { id: 'status', header: 'Status', size: 84, accessorFn: (r) => (r.status == null ? 'no response' : `${r.status} ${r.reason ?? ''}`), cell: (c) => {
    const s = c.row.original.status;
    return <span className={s == null ? 'muted' : s >= 500 ? 'bad' : s >= 400 ? 'warn' : 'ok'}>{c.getValue() as string}</span>;
  } },
  { id: 'ttfb', header: 'TTFB', size: 72, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.ttfbMs),
    cell: (c) => <span title={c.row.original.untimed} data-testid="http-ttfb">{c.getValue() as string}</span> },
  { id: 'total', header: 'Total', size: 72, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.totalMs),
    cell: (c) => <span title={c.row.original.untimed} data-testid="http-total">{c.getValue() as string}</span> },
  { id: 'req', header: 'Req bytes', size: 84, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.requestBytes) },
  { id: 'resp', header: 'Resp bytes', size: 100, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.responseBytes) },
  { id: 'client', header: 'Client', size: 174, accessorFn: (r) => fmtEndpoint(r.client) },
  { id: 'server', header: 'Server', size: 160, accessorFn: (r) => fmtEndpoint(r.server) },
];

const dnsColumns: Col<DnsRow>[] = [
  { id: 'id', header: '#', size: 50, meta: { numeric: true }, accessorFn: (r) => r.id },
  { id: 'time', header: 'Query time', size: 138, accessorFn: (r) => fmtClock(r.queryTime) },
  { id: 'capture', header: 'Capture point', size: 160, accessorFn: (r) => r.capture, cell: (c) => pointName(c.getValue() as string) },
  { id: 'queryId', header: 'ID', size: 76, accessorFn: (r) => `0x${r.queryId.toString(16).padStart(4, '0')}` },
  { id: 'name', header: 'Name', size: 280, accessorFn: (r) => r.name },
  { id: 'type', header: 'Type', size: 60, accessorFn: (r) => r.type },
  { id: 'rcode', header: 'Rcode', size: 90, accessorFn: (r) => r.rcode ?? 'no answer' },
  { id: 'latency', header: 'Latency', size: 80, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.latencyMs) },
  { id: 'answers', header: 'Answers', size: 320, accessorFn: (r) => r.answers.join(', ') },
];

function TxView<T extends RowData>({ kind, columns, rowKey, fetch, testId }: {
  kind: 'HTTP' | 'DNS'; columns: Col<T>[]; rowKey(r: T): string; testId: string;
  fetch(q: TxQuery): Promise<{ total: number; offset: number; rows: T[] }>;
}) {
  const { host, version } = useSession();
  const [text, setText] = useState('');
  const [total, setTotal] = useState<number | null>(null);
  const [sorting, setSorting] = useState<SortingState>([{ id: 'time', desc: false }]);
  const sort = sorting[0] ? { key: sorting[0].id, dir: sorting[0].desc ? 'desc' as const : 'asc' as const } : undefined;
  const key = `${version}:${text}:${JSON.stringify(sort)}`;
  const fetchPage = useCallback((offset: number, limit: number) => fetch({ offset, limit, ...(text ? { text } : {}), ...(sort ? { sort } : {}) }),
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
        <DataTable label={kind} storageKey={kind.toLowerCase()} testId={testId} columns={columns} queryKey={key} fetchPage={fetchPage} rowKey={rowKey} onTotal={setTotal}
          sorting={sorting} onSortingChange={setSorting}
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
