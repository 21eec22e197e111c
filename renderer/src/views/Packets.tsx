/**
 * Packets: every packet of the session in time order (virtualized, paged),
 * the layer tree of the selected packet, and its bytes as a hex dump with
 * the selected field highlighted. Bytes are read back from the file on
 * demand by the engine.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { PacketDetail, PacketQuery, PacketRow, SessionSummary } from '../../../src/api.js';
import { DataTable, type Col } from '../components/DataTable.js';
import { ErrorState, Empty, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { fmtClock } from '../format.js';
import { StreamPanel } from './Stream.js';
import { LayerTree, rangeOf } from './LayerTree.js';

const columns: Col<PacketRow>[] = [
  { id: 'no', header: 'Frame', size: 64, meta: { numeric: true }, accessorFn: (r) => r.index + 1, cell: (c) => <span title={`frame ${c.row.original.index + 1} of ${c.row.original.point}`}>{c.row.original.index + 1}</span> },
  { id: 'rel', header: 'Time (s)', size: 104, meta: { numeric: true }, accessorFn: (r) => r.rel.toFixed(6), cell: (c) => <span title={c.row.original.time}>{c.getValue() as string}</span> },
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

export function PacketTable({ query, onSelect, selected, label, testId, onTotal }: {
  query: Omit<PacketQuery, 'offset' | 'limit'>; onSelect(r: PacketRow): void; selected: string | null; label: string; testId?: string; onTotal?(n: number): void;
}) {
  const { host, version } = useSession();
  const key = `${version}:${JSON.stringify(query)}`;
  const fetchPage = useCallback((offset: number, limit: number) => host.api.getPackets({ ...query, offset, limit }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [host, key]);
  return (
    <DataTable label={label} testId={testId} columns={columns} queryKey={key} fetchPage={fetchPage} rowKey={packetKey} pageSize={PACKET_PAGE}
      selectedKey={selected} onSelect={onSelect} {...(onTotal ? { onTotal } : {})} rowClass={(r) => (r.issue ? 'row-issue' : r.layers.includes('vxlan') || r.layers.includes('geneve') ? 'row-tunnel' : '')}
      empty={<div className="dt-empty">No packets match</div>} />
  );
}

export function Packets({ summary }: { summary: SessionSummary }) {
  const [text, setText] = useState('');
  const [protocol, setProtocol] = useState('');
  const [capture, setCapture] = useState('');
  const [sel, setSel] = useState<PacketRow | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const query = useMemo(() => ({
    ...(text ? { text } : {}), ...(protocol ? { protocol } : {}), ...(capture !== '' ? { capture: Number(capture) } : {}),
  }), [text, protocol, capture]);
  return (
    <div className="view packets split-v" data-testid="view-packets">
      <div className="toolbar">
        <input className="input" type="search" placeholder="Filter: address, port, info…" value={text} onChange={(e) => setText(e.target.value)} aria-label="Packet filter" />
        <select className="input" value={protocol} onChange={(e) => setProtocol(e.target.value)} aria-label="Protocol">
          <option value="">all protocols</option>
          {summary.protocols.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
        </select>
        <select className="input" value={capture} onChange={(e) => setCapture(e.target.value)} aria-label="Capture point">
          <option value="">all capture points</option>
          {summary.captures.map((c) => <option key={c.id} value={c.id}>{c.point}</option>)}
        </select>
        <span className="muted small">{total != null ? `${total.toLocaleString('en-US')} packets` : ''}</span>
      </div>
      <div className="pane-top">
        <PacketTable label="Packets" testId="packets-table" query={query} onSelect={(r) => setSel(r)} selected={sel ? packetKey(sel) : null} onTotal={setTotal} />
      </div>
      <div className="pane-bottom">
        {sel ? <PacketDetailPane row={sel} /> : <Empty title="Select a packet">Its layers and bytes appear here. Use ↑/↓ in the list.</Empty>}
      </div>
    </div>
  );
}

export function PacketDetailPane({ row }: { row: PacketRow }) {
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
          <strong>Packet {row.index + 1}</strong> <span className="muted">· {row.point} · {fmtClock(row.time)} · {row.len} bytes on wire, {row.caplen} captured</span>
          {canFollow ? <button type="button" className="btn small" onClick={() => setStream(true)}>Follow stream</button> : null}
        </div>
        {d.issue ? <div className="banner banner-warn">{d.issue.layer}: {d.issue.reason} (offset {d.issue.offset})</div> : null}
        <LayerTree layers={d.layers} selected={fieldKey} onSelect={setFieldKey} overrides={overrides} onToggle={onToggle} />
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
