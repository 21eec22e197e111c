/**
 * Flows at every depth: filters (text, transport, depth, node, pod,
 * Service), sort, column choice, per-direction counts, tunnel and identity
 * columns. Selecting a flow shows its packets and, for a tunnel, the inner
 * flows it carried (for an inner flow, its tunnel).
 */
import { useCallback, useMemo, useState } from 'react';
import type { SortingState, ColumnVisibilityState as VisibilityState } from '@tanstack/react-table';
import type { FlowDetail, FlowQuery, FlowRow, Identity, PacketRow } from '../../../src/api.js';
import { tunnelText } from '../../../src/api.js';
import { ColumnChooser, DataTable, type Col } from '../components/DataTable.js';
import { ErrorState, Empty, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { fmtBytes, fmtDuration, fmtEndpoint, fmtInt, fmtMs } from '../format.js';
import { PacketDetailPane, PacketTable, packetKey } from './Packets.js';

export function identityText(i: Identity | null): string {
  if (!i) return '';
  return i.kind === 'unknown' ? '' : `${i.kind === 'pod' || i.kind === 'service' ? i.name : `${i.kind} ${i.name}`}${i.inferred ? ' (inferred)' : ''}`;
}

function Ident({ i }: { i: Identity | null }) {
  if (!i || i.kind === 'unknown') return <span className="muted">—</span>;
  // The default namespace goes without saying (it stays in the tooltip and in the filters).
  const shown = i.namespace === 'default' && i.name.startsWith('default/') ? i.name.slice('default/'.length) : i.name;
  return <span className={`ident ident-${i.kind}`} title={[i.kind, i.name, i.node ? `on ${i.node}` : '', i.detail ?? ''].filter(Boolean).join(' · ')}>{shown}{i.inferred ? <span className="muted small"> (inferred)</span> : null}</span>;
}

const columns: Col<FlowRow>[] = [
  { id: 'id', header: '#', size: 64, meta: { numeric: true }, accessorFn: (r) => r.id },
  { id: 'depth', header: 'Depth', size: 66, accessorFn: (r) => r.depth, cell: (c) => <span className={`depth depth-${c.row.original.depth}`}>{c.row.original.depth}</span> },
  { id: 'transport', header: 'Proto', size: 58, accessorFn: (r) => r.transport },
  { id: 'a', header: 'Endpoint A', size: 156, accessorFn: (r) => fmtEndpoint(r.a), enableSorting: false },
  { id: 'identityA', header: 'A is', size: 170, accessorFn: (r) => identityText(r.identityA), cell: (c) => <Ident i={c.row.original.identityA} />, enableSorting: false },
  { id: 'b', header: 'Endpoint B', size: 156, accessorFn: (r) => fmtEndpoint(r.b), enableSorting: false },
  { id: 'identityB', header: 'B is', size: 170, accessorFn: (r) => identityText(r.identityB), cell: (c) => <Ident i={c.row.original.identityB} />, enableSorting: false },
  { id: 'service', header: 'Service', size: 120, accessorFn: (r) => r.service ?? '' },
  { id: 'packets', header: 'Packets', size: 88, meta: { numeric: true }, accessorFn: (r) => fmtInt(r.packets) },
  { id: 'packetsAtoB', header: 'A→B', size: 58, meta: { numeric: true }, accessorFn: (r) => fmtInt(r.packetsAtoB) },
  { id: 'packetsBtoA', header: 'B→A', size: 58, meta: { numeric: true }, accessorFn: (r) => fmtInt(r.packetsBtoA) },
  { id: 'bytes', header: 'Bytes', size: 84, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.bytes) },
  { id: 'bytesAtoB', header: 'Bytes A→B', size: 96, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.bytesAtoB) },
  { id: 'bytesBtoA', header: 'Bytes B→A', size: 96, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.bytesBtoA) },
  { id: 'tunnel', header: 'Tunnel', size: 140, accessorFn: (r) => (r.tunnel ? (r.tunnel.from && r.tunnel.to ? `${r.tunnel.from} → ${r.tunnel.to} (${tunnelText(r.tunnel)})` : `${tunnelText(r.tunnel)} in #${r.tunnel.outerFlow}`) : r.innerFlows ? `carries ${fmtInt(r.innerFlows)}` : ''), enableSorting: false,
    cell: (c) => <span title={c.row.original.tunnel ? `${tunnelText(c.row.original.tunnel)}, carried in flow #${c.row.original.tunnel.outerFlow}` : c.row.original.innerFlows ? `carries ${c.row.original.innerFlows} inner flows` : undefined}>{c.getValue() as string}</span> },
  { id: 'durationSec', header: 'Duration', size: 84, meta: { numeric: true }, accessorFn: (r) => fmtDuration(r.durationSec) },
  { id: 'tcpState', header: 'TCP', size: 170, accessorFn: (r) => r.tcpState ?? '' , enableSorting: false },
  { id: 'rttMs', header: 'RTT', size: 76, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.rttMs) },
  { id: 'retransmissions', header: 'Retr.', size: 56, meta: { numeric: true }, accessorFn: (r) => r.retransmissions || '' },
  { id: 'captures', header: 'Seen at', size: 220, accessorFn: (r) => r.captures.join(', '), enableSorting: false },
];
/** The engine sorts every flow per request whatever the page size (~30 ms for 80,000 flows): fewer, larger pages. */
const FLOW_PAGE = 500;
const CHOOSABLE = columns.map((c) => ({ id: c.id!, label: String(c.header) }));
// The rest fit a 1440-pixel window; these are one click away in Columns (and in the flow's details).
const DEFAULT_HIDDEN: VisibilityState = { bytesAtoB: false, bytesBtoA: false, durationSec: false, tcpState: false, rttMs: false, retransmissions: false, captures: false };

export function Flows() {
  const { host, version, summary } = useSession();
  const [text, setText] = useState('');
  const [transport, setTransport] = useState('');
  const [depth, setDepth] = useState('');
  const [node, setNode] = useState('');
  const [pod, setPod] = useState('');
  const [service, setService] = useState('');
  const [sorting, setSorting] = useState<SortingState>([{ id: 'packets', desc: true }]);
  const [visibility, setVisibility] = useState<VisibilityState>(DEFAULT_HIDDEN);
  const [sel, setSel] = useState<FlowRow | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const query = useMemo<Omit<FlowQuery, 'offset' | 'limit'>>(() => ({
    ...(text ? { text } : {}), ...(transport ? { transport } : {}), ...(depth !== '' ? { depth: Number(depth) } : {}),
    ...(node ? { node } : {}), ...(pod ? { pod } : {}), ...(service ? { service } : {}),
    ...(sorting[0] ? { sort: { key: sorting[0].id, dir: sorting[0].desc ? 'desc' : 'asc' } } : {}),
  }), [text, transport, depth, node, pod, service, sorting]);
  const key = `${version}:${JSON.stringify(query)}`;
  const fetchPage = useCallback((offset: number, limit: number) => host.api.getFlows({ ...query, offset, limit }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [host, key]);
  const probe = useAsync(() => host.api.getFlows({ offset: 0, limit: 1 }), [host, version]);
  if (probe.status === 'loading') return <Loading what="flows" />;
  if (probe.status === 'error') return <div className="view"><ErrorState error={probe.error} what="The flow table" /></div>;

  return (
    <div className="view flows split-v" data-testid="view-flows">
      <div className="toolbar">
        <input className="input" type="search" placeholder="Filter: address, port, name…" value={text} onChange={(e) => setText(e.target.value)} aria-label="Flow filter" />
        <select className="input" value={transport} onChange={(e) => setTransport(e.target.value)} aria-label="Transport">
          <option value="">all transports</option><option value="tcp">tcp</option><option value="udp">udp</option><option value="icmp">icmp</option><option value="icmpv6">icmpv6</option>
        </select>
        <select className="input" value={depth} onChange={(e) => setDepth(e.target.value)} aria-label="Depth">
          <option value="">every depth</option><option value="0">0 · outer</option><option value="1">1 · in a tunnel</option><option value="2">2</option>
        </select>
        <input className="input narrow" placeholder="node" value={node} onChange={(e) => setNode(e.target.value)} aria-label="Node" />
        <input className="input narrow" placeholder="pod" value={pod} onChange={(e) => setPod(e.target.value)} aria-label="Pod" />
        <input className="input narrow" placeholder="Service" value={service} onChange={(e) => setService(e.target.value)} aria-label="Service" />
        <ColumnChooser columns={CHOOSABLE} visibility={visibility} onChange={setVisibility} />
        <span className="muted small" data-testid="flow-count">{total != null ? `${fmtInt(total)} of ${fmtInt(summary?.flows ?? total)} flows` : ''}</span>
      </div>
      <div className="pane-top">
        <DataTable label="Flows" testId="flows-table" columns={columns} queryKey={key} fetchPage={fetchPage} rowKey={(r) => String(r.id)} pageSize={FLOW_PAGE}
          selectedKey={sel ? String(sel.id) : null} onSelect={(r) => setSel(r)} onTotal={setTotal}
          sorting={sorting} onSortingChange={setSorting} columnVisibility={visibility} onColumnVisibilityChange={setVisibility}
          rowClass={(r) => (r.innerFlows ? 'row-tunnel' : r.depth > 0 ? 'row-inner' : '')}
          empty={<div className="dt-empty">No flows match these filters</div>} />
      </div>
      <div className="pane-bottom">
        {sel ? <FlowDetailPane flow={sel} onPick={setSel} /> : <Empty title="Select a flow">Its packets, and the flows it carried or was carried by, appear here.</Empty>}
      </div>
    </div>
  );
}

function FlowDetailPane({ flow, onPick }: { flow: FlowRow; onPick(f: FlowRow): void }) {
  const { host, version } = useSession();
  const st = useAsync<FlowDetail>(() => host.api.getFlowDetail(flow.id), [host, version, flow.id]);
  const [pkt, setPkt] = useState<PacketRow | null>(null);
  const related = st.status === 'ok' ? [...st.value.outer.map((f) => ({ f, rel: 'carried by tunnel' })), ...st.value.inner.map((f) => ({ f, rel: 'carries' }))] : [];
  return (
    <div className="flow-detail" data-testid="flow-detail">
      <div className="flow-detail-side">
        <div className="detail-head"><strong>Flow #{flow.id}</strong> <span className="muted">{flow.transport} · depth {flow.depth} · {fmtEndpoint(flow.a)} ⇄ {fmtEndpoint(flow.b)}</span></div>
        <dl className="kv">
          <dt>A → B</dt><dd>{fmtInt(flow.packetsAtoB)} packets, {fmtBytes(flow.bytesAtoB)}</dd>
          <dt>B → A</dt><dd>{fmtInt(flow.packetsBtoA)} packets, {fmtBytes(flow.bytesBtoA)}</dd>
          {flow.tunnel ? <><dt>Tunnel</dt><dd>{tunnelText(flow.tunnel)}, outer flow #{flow.tunnel.outerFlow}</dd></> : null}
          {flow.service ? <><dt>Service</dt><dd>{flow.service}</dd></> : null}
          {flow.tcpState ? <><dt>TCP</dt><dd>{flow.tcpState}{flow.rttMs != null ? ` · RTT ${fmtMs(flow.rttMs)}` : ''}{flow.retransmissions ? ` · ${flow.retransmissions} retransmissions` : ''}</dd></> : null}
          {st.status === 'ok' && st.value.nat ? <><dt>NAT</dt><dd data-testid="flow-nat">{st.value.nat.kind}: {fmtEndpoint(st.value.nat.original.a)} → {fmtEndpoint(st.value.nat.original.b)} seen as {fmtEndpoint(st.value.nat.translated.a)} → {fmtEndpoint(st.value.nat.translated.b)} (both directions at this capture point, one on each side of the NAT)</dd></> : null}
          <dt>Seen at</dt><dd>{flow.captures.join(', ')}</dd>
        </dl>
        {st.status === 'loading' ? <Loading what="related flows" /> : st.status === 'error' ? <ErrorState error={st.error} what="Flow details" /> : related.length ? (
          <div className="related" data-testid="related-flows">
            <h3>{flow.innerFlows ? `Inner flows carried (${st.value.inner.length})` : 'Tunnel'}</h3>
            <ul>
              {related.slice(0, 200).map(({ f, rel }) => (
                <li key={`${rel}${f.id}`}><button type="button" className="link" onClick={() => onPick(f)}>
                  <span className="muted small">{rel}</span> #{f.id} {f.transport} {fmtEndpoint(f.a)} ⇄ {fmtEndpoint(f.b)} <span className="muted">· {fmtInt(f.packets)} pkts</span>
                </button></li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
      <div className="flow-detail-packets">
        <PacketTable label={`Packets of flow ${flow.id}`} testId="flow-packets" query={{ flow: flow.id }} onSelect={setPkt} selected={pkt ? packetKey(pkt) : null} />
        {pkt ? <div className="flow-packet-detail"><PacketDetailPane row={pkt} /></div> : null}
      </div>
    </div>
  );
}
