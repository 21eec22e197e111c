/**
 * Flows at every depth: filters (text, transport, depth, node, pod,
 * Service), sort by any column (in the engine), column choice, tunnel and
 * identity columns. By default one row per connection: the engine stitches
 * one TCP/UDP connection's views across capture points, tunnels and NAT, and
 * the row is its first view (the client's) with the points it was seen at;
 * ▸ expands it to its per-point rows. Node-to-node tunnel flows (and flows
 * of no connection) stay rows of their own. Selecting a flow shows its
 * packets and, for a tunnel, the inner flows it carried.
 */
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { SortingState, ColumnVisibilityState as VisibilityState } from '@tanstack/react-table';
import type { FlowDetail, FlowQuery, FlowRow, Identity, PacketRow } from '../../../src/api.js';
import { tunnelText } from '../../../src/api.js';
import { ColumnChooser, DataTable, type Col } from '../components/DataTable.js';
import { SplitPane, usePersisted } from '../components/SplitPane.js';
import { ErrorState, Empty, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { fmtBytes, fmtClock, fmtDuration, fmtEndpoint, fmtInt, fmtMs } from '../format.js';
import { PacketDetailPane, PacketTable, packetKey } from './Packets.js';
import { FilterBar } from '../components/FilterBar.js';

export function identityText(i: Identity | null): string {
  if (!i) return '';
  return i.kind === 'unknown' ? '' : `${i.kind === 'pod' || i.kind === 'service' ? i.name : `${i.kind} ${i.name}`}${i.inferred ? ' (inferred)' : ''}`;
}

function Ident({ i }: { i: Identity | null }) {
  if (!i || i.kind === 'unknown') return <span className="muted">—</span>;
  // The default namespace goes without saying (it stays in the tooltip and in the filters); an outside
  // address is "external" (the address itself is the endpoint beside it).
  const shown = i.kind === 'external' && /^[\d.]+$|:/.test(i.name) ? 'external' : i.namespace === 'default' && i.name.startsWith('default/') ? i.name.slice('default/'.length) : i.name;
  // The name gives way in a narrow column, never the "(inferred)" mark.
  return (
    <span className={`ident ident-fit ident-${i.kind}${i.inferred ? ' ident-inferred' : ''}`} title={[i.kind, i.name, i.node ? `on ${i.node}` : '', i.detail ?? '', i.inferred ? 'inferred from the traffic (no metadata names it)' : ''].filter(Boolean).join(' · ')}>
      <span className="ident-name">{shown}</span>{i.inferred ? <span className="ident-mark muted small" data-testid="inferred-mark"> (inferred)</span> : null}
    </span>
  );
}

/** The Service a flow reached and how: "web" with a "via DNAT" badge, or "no DNAT" (socket-level load balancing or direct access to the pod). */
function serviceText(r: FlowRow): string {
  return r.service ? `${r.service}${r.serviceVia ? ` ${r.serviceVia}` : ''}` : '';
}

function ServiceCell({ r }: { r: FlowRow }) {
  if (!r.service) return <span className="muted">—</span>;
  const name = r.service.split(',').map((x) => (x.startsWith('default/') ? x.slice('default/'.length) : x)).join(', ');
  const via = r.serviceVia === 'dnat' ? { text: 'via DNAT', title: `${name} (via DNAT)` }
    : r.serviceVia === 'direct' ? { text: 'no DNAT', title: `${name} (no DNAT seen: socket-level load balancing or direct access to the pod)` } : null;
  return (
    <span className="ident-fit" title={via?.title ?? r.service}><span className="ident-name">{name}</span>{via ? <span className={`via via-${r.serviceVia} ident-mark`} data-testid="service-via" title={via.title}>{via.text}</span> : null}</span>
  );
}

function tunnelCellText(r: FlowRow): string {
  return r.tunnel ? (r.tunnel.from && r.tunnel.to ? `${r.tunnel.from} → ${r.tunnel.to} (${tunnelText(r.tunnel)})` : `${tunnelText(r.tunnel)} in #${r.tunnel.outerFlow}`) : r.innerFlows ? `carries ${r.innerFlows}` : '';
}

/** "seen at 14 points: client-eth0, node1-eth0, …" (a connection), or the flow's own capture point. */
function seenAtText(r: FlowRow): string {
  return r.connection ? r.connection.points.join(', ') : r.captures.join(', ');
}

function SeenAt({ r }: { r: FlowRow }) {
  const pts = r.connection?.points ?? r.captures;
  const n = pts.length;
  const shown = pts.map((p) => p.replace(/\.(pcapng|pcap|cap)$/i, '')).join(', ');
  return <span className="points" title={`seen at ${n} capture point${n === 1 ? '' : 's'}: ${shown}`}>{r.connection ? <><b>{n}</b>{' '}</> : null}{shown}</span>;
}

/** Columns of the connection rows (`connections`: "Seen at" lists the connection's points) or of per-point rows (`flows`: the row's own capture point). */
function makeColumns(expander: (r: FlowRow) => ReactNode, mode: 'connections' | 'flows'): Col<FlowRow>[] {
  return [
    { id: 'id', header: '#', size: 60, meta: { numeric: true }, accessorFn: (r) => r.id, cell: (c) => <>{expander(c.row.original)}{c.row.original.id}</> },
    { id: 'firstTime', header: 'Start', size: 136, meta: { numeric: true }, accessorFn: (r) => fmtClock(r.firstTime) },
    { id: 'depth', header: 'Depth', size: 56, accessorFn: (r) => r.depth, cell: (c) => <span className={`depth depth-${c.row.original.depth}`}>{c.row.original.depth}</span> },
    { id: 'transport', header: 'Proto', size: 58, accessorFn: (r) => r.transport },
    // Where it was seen, early in the row: in view at 1280 pixels too.
    ...(mode === 'connections' ? [
      { id: 'points', header: 'Points', size: 64, meta: { numeric: true }, accessorFn: (r) => r.connection?.points.length ?? 1 },
      { id: 'captures', header: 'Seen at', size: 172, accessorFn: seenAtText, cell: (c) => <SeenAt r={c.row.original} /> },
    ] satisfies Col<FlowRow>[] : [
      { id: 'capture', header: 'Capture point', size: 174, accessorFn: (r) => r.captures.join(', '), cell: (c) => (c.getValue() as string).replace(/\.(pcapng|pcap|cap)$/i, '') },
    ] satisfies Col<FlowRow>[]),
    { id: 'a', header: 'Endpoint A', size: 166, accessorFn: (r) => fmtEndpoint(r.a) },
    { id: 'identityA', header: 'A is', size: 150, accessorFn: (r) => identityText(r.identityA), cell: (c) => <Ident i={c.row.original.identityA} /> },
    { id: 'b', header: 'Endpoint B', size: 166, accessorFn: (r) => fmtEndpoint(r.b) },
    { id: 'identityB', header: 'B is', size: 150, accessorFn: (r) => identityText(r.identityB), cell: (c) => <Ident i={c.row.original.identityB} /> },
    // Packets and bytes before the Service and the tunnel: in view at 1280 pixels with the endpoints and where it was seen.
    { id: 'packets', header: 'Packets', size: 74, meta: { numeric: true }, accessorFn: (r) => fmtInt(r.packets) },
    { id: 'bytes', header: 'Bytes', size: 74, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.bytes) },
    { id: 'service', header: 'Service', size: 160, accessorFn: serviceText, cell: (c) => <ServiceCell r={c.row.original} /> },
    { id: 'packetsAtoB', header: 'A→B', size: 58, meta: { numeric: true }, accessorFn: (r) => fmtInt(r.packetsAtoB) },
    { id: 'packetsBtoA', header: 'B→A', size: 58, meta: { numeric: true }, accessorFn: (r) => fmtInt(r.packetsBtoA) },
    { id: 'bytesAtoB', header: 'Bytes A→B', size: 96, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.bytesAtoB) },
    { id: 'bytesBtoA', header: 'Bytes B→A', size: 96, meta: { numeric: true }, accessorFn: (r) => fmtBytes(r.bytesBtoA) },
    { id: 'tunnel', header: 'Tunnel', size: 180, accessorFn: tunnelCellText,
      cell: (c) => <span title={c.row.original.tunnel ? `${tunnelText(c.row.original.tunnel)}, carried in flow #${c.row.original.tunnel.outerFlow}` : c.row.original.innerFlows ? `carries ${c.row.original.innerFlows} inner flows` : undefined}>{c.getValue() as string}</span> },
    { id: 'durationSec', header: 'Duration', size: 84, meta: { numeric: true }, accessorFn: (r) => fmtDuration(r.durationSec) },
    { id: 'tcpState', header: 'TCP', size: 170, accessorFn: (r) => r.tcpState ?? '' },
    { id: 'rttMs', header: 'RTT', size: 76, meta: { numeric: true }, accessorFn: (r) => fmtMs(r.rttMs),
      cell: (c) => <span title={c.row.original.untimed} data-testid="flow-rtt">{c.getValue() as string}</span> },
    { id: 'retransmissions', header: 'Retr.', size: 56, meta: { numeric: true }, accessorFn: (r) => r.retransmissions || '' },
    // Community ID v1 (issue 17): the key Zeek, Suricata and Wireshark give the same flow; hidden until chosen under Columns.
    { id: 'communityId', header: 'Community ID', size: 284, accessorFn: (r) => r.communityId ?? '', cell: (c) => <span className="mono" data-testid="community-id">{c.getValue() as string}</span> },
  ];
}
/** The engine sorts every flow per request whatever the page size (~30 ms for 80,000 flows): fewer, larger pages. */
const FLOW_PAGE = 500;
const choosable = (mode: 'connections' | 'flows') => makeColumns(() => null, mode).map((c) => ({ id: c.id!, label: String(c.header) }));
// The rest fit a 1440-pixel window, the capture points among them; these are one click away in Columns (and in the flow's details).
const DEFAULT_HIDDEN: VisibilityState = { depth: false, packetsAtoB: false, packetsBtoA: false, bytesAtoB: false, bytesBtoA: false, durationSec: false, tcpState: false, rttMs: false, retransmissions: false, points: false, communityId: false };
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

export function Flows() {
  const { host, version, summary } = useSession();
  const [text, setText] = useState('');
  const [filter, setFilter] = useState('');
  const [transport, setTransport] = useState('');
  const [depth, setDepth] = useState('');
  const [node, setNode] = useState('');
  const [pod, setPod] = useState('');
  const [service, setService] = useState('');
  const [sorting, setSorting] = useState<SortingState>([{ id: 'firstTime', desc: false }]);
  const [visibility, setVisibility] = useState<VisibilityState>(DEFAULT_HIDDEN);
  const [byConnection, setByConnection] = usePersisted<boolean>('overlayscope.flows.byConnection', true, isBool);
  const [sel, setSel] = useState<FlowRow | null>(null);
  /** The connection whose per-point rows are shown. */
  const [expanded, setExpanded] = useState<number | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const query = useMemo<Omit<FlowQuery, 'offset' | 'limit'>>(() => ({
    ...(text ? { text } : {}), ...(transport ? { transport } : {}), ...(depth !== '' ? { depth: Number(depth) } : {}),
    ...(node ? { node } : {}), ...(pod ? { pod } : {}), ...(service ? { service } : {}),
    ...(sorting[0] ? { sort: { key: sorting[0].id, dir: sorting[0].desc ? 'desc' : 'asc' } } : {}),
    ...(byConnection ? { connections: true } : {}), ...(filter ? { filter } : {}),
  }), [text, transport, depth, node, pod, service, sorting, byConnection, filter]);
  const columns = useMemo(() => makeColumns((r) => (byConnection && r.connection && r.connection.flows.length > 1 ? (
    <button type="button" className="expander" aria-expanded={expanded === r.connection.id} data-testid="expand-connection"
      title={`${expanded === r.connection.id ? 'Hide' : 'Show'} its ${r.connection.flows.length} per-point rows`}
      onClick={() => { setExpanded(expanded === r.connection!.id ? null : r.connection!.id); }}>{expanded === r.connection.id ? '▾' : '▸'}</button>
  ) : null), byConnection ? 'connections' : 'flows'), [byConnection, expanded]);
  const viewColumns = useMemo(() => makeColumns(() => null, 'flows'), []);
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
        <FilterBar value={filter} onApply={setFilter} testId="flows-filter-bar" />
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
        <label className="small" title="One row per connection, stitched across capture points, tunnels and NAT; ▸ shows its per-point rows">
          <input type="checkbox" checked={byConnection} onChange={(e) => { setByConnection(e.target.checked); setExpanded(null); }} data-testid="by-connection" /> one row per connection
        </label>
        <ColumnChooser columns={choosable(byConnection ? 'connections' : 'flows')} visibility={visibility} onChange={setVisibility} />
        <span className="muted small" data-testid="flow-count" title={byConnection ? 'rows: one per connection (all its views at every capture point), plus the flows of no connection (node-to-node tunnels, ICMP)' : undefined}>{total != null ? `${fmtInt(total)} of ${fmtInt(summary?.flows ?? total)} flows${byConnection ? ' · one row per connection' : ''}` : ''}</span>
      </div>
      <SplitPane id="flows" testId="flows-split" hasDetail={!!sel}
        title={sel ? <>Flow #{sel.id} · {sel.transport} {fmtEndpoint(sel.a)} ⇄ {fmtEndpoint(sel.b)}</> : 'Select a flow: its packets, and the flows it carried or was carried by, appear here.'}
        top={<>
          <DataTable label="Flows" storageKey="flows" testId="flows-table" columns={columns} queryKey={key} fetchPage={fetchPage} rowKey={(r) => String(r.id)} pageSize={FLOW_PAGE}
            selectedKey={sel ? String(sel.id) : null} onSelect={(r) => setSel(r)} onTotal={setTotal}
            sorting={sorting} onSortingChange={setSorting} columnVisibility={visibility} onColumnVisibilityChange={setVisibility}
            rowClass={(r) => `${r.innerFlows ? 'row-tunnel' : r.depth > 0 ? 'row-inner' : ''}${byConnection && r.connection && r.connection.id === expanded ? ' row-expanded' : ''}`}
            empty={<div className="dt-empty">No flows match these filters</div>} />
          {byConnection && expanded != null ? <ConnectionViews id={expanded} columns={viewColumns} visibility={visibility} selected={sel} onSelect={setSel} onClose={() => setExpanded(null)} /> : null}
        </>}
        bottom={sel ? <FlowDetailPane flow={sel} onPick={setSel} /> : <Empty title="Select a flow">Its packets appear here.</Empty>} />
    </div>
  );
}

/** One connection's per-point rows (its flows at every capture point, depth and NAT side), sortable like the main table. */
function ConnectionViews({ id, columns, visibility, selected, onSelect, onClose }: {
  id: number; columns: Col<FlowRow>[]; visibility: VisibilityState; selected: FlowRow | null; onSelect(r: FlowRow): void; onClose(): void;
}) {
  const { host, version } = useSession();
  const [sorting, setSorting] = useState<SortingState>([{ id: 'firstTime', desc: false }]);
  const [total, setTotal] = useState<number | null>(null);
  const sort = sorting[0] ? { key: sorting[0].id, dir: sorting[0].desc ? 'desc' as const : 'asc' as const } : undefined;
  const key = `${version}:conn${id}:${JSON.stringify(sort)}`;
  const fetchPage = useCallback((offset: number, limit: number) => host.api.getFlows({ connection: id, offset, limit, ...(sort ? { sort } : {}) }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [host, key]);
  const rows = Math.min(total ?? 4, 8);
  return (
    <div className="conn-views" data-testid="connection-views" style={{ height: 29 + 26 * rows + 30 }}>
      <div className="conn-views-head">
        <strong>Connection {id}</strong> <span>{total != null ? `${total} per-point rows` : ''}</span>
        <button type="button" className="btn small" onClick={onClose}>Close</button>
      </div>
       <DataTable label={`Per-point rows of connection ${id}`} storageKey="flow-views" testId="connection-views-table" columns={columns} queryKey={key} fetchPage={fetchPage}
        rowKey={(r) => String(r.id)} selectedKey={selected ? String(selected.id) : null} onSelect={onSelect} onTotal={setTotal}
        sorting={sorting} onSortingChange={setSorting} columnVisibility={visibility}
        rowClass={(r) => (r.depth > 0 ? 'row-inner' : '')} />
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
          {flow.service ? <><dt>Service</dt><dd>{flow.service}{flow.serviceVia === 'dnat' ? ' (via DNAT)' : flow.serviceVia === 'direct' ? ' (no DNAT seen: socket-level load balancing or direct access to the pod)' : ''}</dd></> : null}
          {flow.tcpState ? <><dt>TCP</dt><dd>{flow.tcpState}{flow.rttMs != null ? ` · RTT ${fmtMs(flow.rttMs)}` : ''}{flow.retransmissions ? ` · ${flow.retransmissions} retransmissions` : ''}</dd></> : null}
          {st.status === 'ok' && st.value.nat ? <><dt>NAT</dt><dd data-testid="flow-nat">{st.value.nat.kind}: {fmtEndpoint(st.value.nat.original.a)} → {fmtEndpoint(st.value.nat.original.b)} seen as {fmtEndpoint(st.value.nat.translated.a)} → {fmtEndpoint(st.value.nat.translated.b)} (both directions at this capture point, one on each side of the NAT)</dd></> : null}
          <dt>Seen at</dt><dd>{flow.captures.join(', ')}</dd>
          {flow.connection && flow.connection.points.length > 1 ? <><dt>Connection</dt><dd>seen at {flow.connection.points.length} points: {flow.connection.points.join(', ')}</dd></> : null}
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
