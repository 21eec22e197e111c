/**
 * Packets: every packet of the session in time order (virtualized, paged),
 * the layer tree of the selected packet, and its bytes as a hex dump with
 * the selected field highlighted. Bytes are read back from the file on
 * demand by the engine.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { PacketDetail, PacketQuery, PacketRow, SessionSummary } from '../../../src/api.js';
import { DataTable, type Col } from '../components/DataTable.js';
import { SplitPane, usePersisted } from '../components/SplitPane.js';
import type { SortingState } from '@tanstack/react-table';
import { ErrorState, Empty, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { fmtClock } from '../format.js';
import { StreamPanel } from './Stream.js';
import { LayerTree, rangeOf, type FilterUse } from './LayerTree.js';
import { FilterBar, type PreparedFilter } from '../components/FilterBar.js';

/** How the Time column reads: time of day, seconds since the session's first packet, or since the row before (Wireshark's three). */
export type TimeMode = 'absolute' | 'relative' | 'delta';
const TIME_MODES: TimeMode[] = ['absolute', 'relative', 'delta'];
const isTimeMode = (v: unknown): v is TimeMode => TIME_MODES.includes(v as TimeMode);
export const useTimeMode = () => usePersisted<TimeMode>('overlayscope.packets.timeMode', 'relative', isTimeMode);

function timeText(r: PacketRow, mode: TimeMode): string {
  return mode === 'absolute' ? fmtClock(r.time) : mode === 'delta' ? (r.delta ?? 0).toFixed(6) : r.rel.toFixed(6);
}

const columnsFor = (mode: TimeMode): Col<PacketRow>[] => [
  { id: 'frame', header: 'No.', size: 60, meta: { numeric: true }, accessorFn: (r) => r.frame ?? r.index + 1 },
  { id: 'index', header: 'File #', size: 62, meta: { numeric: true }, accessorFn: (r) => r.index + 1 },
  { id: 'time', header: mode === 'absolute' ? 'Time of day' : mode === 'delta' ? 'Δ time (s)' : 'Time (s)', size: mode === 'absolute' ? 132 : 100, meta: { numeric: true }, accessorFn: (r) => timeText(r, mode) },
  { id: 'point', header: 'Capture point', size: 170, accessorFn: (r) => r.point },
  { id: 'src', header: 'Source', size: 150, accessorFn: (r) => r.src },
  { id: 'dst', header: 'Destination', size: 150, accessorFn: (r) => r.dst },
  { id: 'layers', header: 'Layers', size: 240, accessorFn: (r) => r.layers.join(' › '), cell: (c) => <span className="layers">{c.getValue() as string}</span> },
  { id: 'len', header: 'Length', size: 66, meta: { numeric: true }, accessorFn: (r) => r.len },
  { id: 'info', header: 'Info', size: 560, accessorFn: (r) => r.info, cell: (c) => <span title={c.row.original.info}>{c.row.original.issue ? <span className="bad">⚠ </span> : null}{c.row.original.info}</span> },
];

/** Each packet row is read back from the file: cost grows with the page, so small pages fill a jump fast. */
const PACKET_PAGE = 100;

export function packetKey(r: PacketRow): string {
  return `${r.capture}:${r.index}`;
}

export function PacketTable({ query, onSelect, selected, label, testId, onTotal, timeMode }: {
  query: Omit<PacketQuery, 'offset' | 'limit'>; onSelect(r: PacketRow): void; selected: string | null; label: string; testId?: string; onTotal?(n: number): void; timeMode?: TimeMode;
}) {
  const { host, version } = useSession();
  const [storedMode] = useTimeMode();
  const mode = timeMode ?? storedMode;
  const columns = useMemo(() => columnsFor(mode), [mode]);
  // Time order by default; every column sorts in the engine (PacketQuery.sort).
  const [sorting, setSorting] = useState<SortingState>([{ id: 'frame', desc: false }]);
  const sort = sorting[0] ? { key: sorting[0].id, dir: sorting[0].desc ? 'desc' as const : 'asc' as const } : undefined;
  const key = `${version}:${JSON.stringify(query)}:${JSON.stringify(sort)}`;
  const fetchPage = useCallback((offset: number, limit: number) => host.api.getPackets({ ...query, offset, limit, ...(sort ? { sort } : {}) }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [host, key]);
  return (
    <DataTable label={label} storageKey="packets" testId={testId} columns={columns} queryKey={key} fetchPage={fetchPage} rowKey={packetKey} pageSize={PACKET_PAGE}
      sorting={sorting} onSortingChange={setSorting}
      selectedKey={selected} onSelect={onSelect} {...(onTotal ? { onTotal } : {})} rowClass={(r) => (r.issue ? 'row-issue' : r.layers.includes('vxlan') || r.layers.includes('geneve') ? 'row-tunnel' : '')}
      empty={<div className="dt-empty">No packets match</div>} />
  );
}

export function Packets({ summary }: { summary: SessionSummary }) {
  const [text, setText] = useState('');
  const [filter, setFilter] = useState('');
  const [prepared, setPrepared] = useState<PreparedFilter | null>(null);
  const onTreeFilter = useCallback((f: string, use: FilterUse) => {
    if (use === 'prepare') setPrepared((p) => ({ text: f, seq: (p?.seq ?? 0) + 1 }));
    else setFilter(f);
  }, []);
  const [protocol, setProtocol] = useState('');
  const [capture, setCapture] = useState('');
  const [sel, setSel] = useState<PacketRow | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [timeMode, setTimeMode] = useTimeMode();
  const query = useMemo(() => ({
    ...(text ? { text } : {}), ...(filter ? { filter } : {}), ...(protocol ? { protocol } : {}), ...(capture !== '' ? { capture: Number(capture) } : {}),
  }), [text, filter, protocol, capture]);
  return (
    <div className="view packets split-v" data-testid="view-packets">
      <div className="toolbar">
        <FilterBar value={filter} onApply={setFilter} prepared={prepared} />
        <input className="input" type="search" placeholder="Filter: address, port, info…" value={text} onChange={(e) => setText(e.target.value)} aria-label="Packet filter" />
        <select className="input" value={protocol} onChange={(e) => setProtocol(e.target.value)} aria-label="Protocol">
          <option value="">all protocols</option>
          {summary.protocols.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
        </select>
        <select className="input" value={capture} onChange={(e) => setCapture(e.target.value)} aria-label="Capture point">
          <option value="">all capture points</option>
          {summary.captures.map((c) => <option key={c.id} value={c.id}>{c.point}</option>)}
        </select>
        <select className="input" value={timeMode} onChange={(e) => setTimeMode(e.target.value as TimeMode)} aria-label="Time format" data-testid="time-mode">
          <option value="absolute">time of day</option><option value="relative">seconds since first packet</option><option value="delta">seconds since previous row</option>
        </select>
        <span className="muted small">{total != null ? `${total.toLocaleString('en-US')} packets` : ''}</span>
      </div>
      <SplitPane id="packets" testId="packets-split" hasDetail={!!sel}
        title={sel ? <>Packet {sel.frame ?? sel.index + 1} · {sel.point} #{sel.index + 1}</> : 'Select a packet: its layers and bytes appear here (↑/↓ in the list).'}
        top={<PacketTable label="Packets" testId="packets-table" query={query} onSelect={(r) => setSel(r)} selected={sel ? packetKey(sel) : null} onTotal={setTotal} timeMode={timeMode} />}
        bottom={sel ? <PacketDetailPane row={sel} onFilter={onTreeFilter} currentFilter={filter} /> : <Empty title="Select a packet">Its layers and bytes appear here.</Empty>} />
    </div>
  );
}

export function PacketDetailPane({ row, onFilter, currentFilter }: { row: PacketRow; onFilter?: (text: string, use: FilterUse) => void; currentFilter?: string }) {
  const { host, version } = useSession();
  const st = useAsync(() => host.api.getPacketDetail(row.capture, row.index), [host, version, row.capture, row.index]);
  // The selected row of the layer tree, by path: kept while moving between packets (like Wireshark).
  const [fieldKey, setFieldKey] = useState<string | null>(null);
  const [overrides, setOverrides] = useState<ReadonlyMap<string, boolean>>(() => new Map());
  const onToggle = useCallback((key: string, open: boolean) => setOverrides((m) => new Map(m).set(key, open)), []);
  const [stream, setStream] = useState(false);
  if (st.status === 'loading') return <Loading what="packet" />;
  if (st.status === 'error') return <ErrorState error={st.error} what="the packet" />;
  const d: PacketDetail = st.value;
  const range = fieldKey != null ? rangeOf(d.layers, fieldKey) : null;
  const field: Sel = range && fieldKey != null ? { ...range, key: fieldKey } : null;
  const canFollow = row.flow != null && (row.layers.includes('tcp'));
  return (
    <div className="detail" data-testid="packet-detail">
      <div className="detail-tree">
        <div className="detail-head">
          <strong>Packet {row.frame ?? row.index + 1}</strong> <span className="muted">· {row.point} #{row.index + 1} · {fmtClock(row.time)} · {row.len} bytes on wire, {row.caplen} captured</span>
          {canFollow ? <button type="button" className="btn small" onClick={() => setStream(true)}>Follow stream</button> : null}
        </div>
        {d.issue ? <div className="banner banner-warn">{d.issue.layer}: {d.issue.reason} (offset {d.issue.offset})</div> : null}
        <LayerTree layers={d.layers} selected={fieldKey} onSelect={setFieldKey} overrides={overrides} onToggle={onToggle}
          {...(onFilter ? { onFilter } : {})} {...(currentFilter !== undefined ? { currentFilter } : {})} />
      </div>
      <HexDump bytes={d.bytes} highlight={field} />
      {stream && row.flow != null ? <StreamPanel flow={row.flow} onClose={() => setStream(false)} /> : null}
    </div>
  );
}

type Sel = { start: number; length: number; key: string } | null;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function HexDump({ bytes, highlight }: { bytes: Uint8Array; highlight: Sel }) {
  const ref = useRef<HTMLDivElement>(null);
  // Bring the highlighted bytes into view (a field deep in a 1500-byte frame is off screen).
  useEffect(() => {
    if (!highlight) return;
    ref.current?.querySelector('.hex-line .hl')?.closest('.hex-line')?.scrollIntoView({ block: 'nearest' });
  }, [highlight?.start, highlight?.length, bytes]);
  const lines: number[] = [];
  for (let o = 0; o < bytes.length; o += 16) lines.push(o);
  const hi = (i: number) => highlight != null && i >= highlight.start && i < highlight.start + highlight.length;
  return (
    <div ref={ref} className="hex mono" data-testid="hex-dump" aria-label="Packet bytes">
      {lines.map((o) => {
        const row = Array.from(bytes.subarray(o, o + 16));
        return (
          <div key={o} className="hex-line">
            <span className="hex-off">{o.toString(16).padStart(4, '0')}</span>
            <span className="hex-bytes">
              {row.map((b, k) => <span key={k} className={hi(o + k) ? 'hl' : undefined}>{HEX[b]}</span>)}
            </span>
            <span className="hex-ascii">
              {row.map((b, k) => <span key={k} className={hi(o + k) ? 'hl' : undefined}>{b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·'}</span>)}
            </span>
          </div>
        );
      })}
    </div>
  );
}
