/** Overview: the captures of the session, protocols, packets over time, issues. */
import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { IssueRow, SessionSummary } from '../../../src/api.js';
import { DataTable, type Col } from '../components/DataTable.js';
import { useSession } from '../session.js';
import { fmtBytes, fmtClock, fmtDuration, fmtInt } from '../format.js';
import { durationText } from '../../../src/report/chart-spec.js';
import { linkTypeText } from '../../../src/report/link-types.js';

export const SERIES_COLORS = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#6366f1', '#14b8a6', '#eab308', '#a855f7', '#0ea5e9'];
/** A capture point's colour: the same in the Captures table, the timeline and its legend. */
export const seriesColor = (id: number): string => SERIES_COLORS[id % SERIES_COLORS.length]!;

function Stat({ label, value, title, testId }: { label: string; value: string; title?: string; testId?: string }) {
  return (
    <div className="stat" title={title}>
      <div className="stat-value" data-testid={testId}>{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}

const issueColumns: Col<IssueRow>[] = [
  { id: 'severity', header: 'Severity', size: 80, accessorFn: (r) => r.severity, cell: (c) => <span className={`sev sev-${c.row.original.severity}`}>{c.row.original.severity}</span> },
  { id: 'capture', header: 'Capture', size: 260, accessorFn: (r) => r.capture },
  { id: 'packet', header: 'Packet', size: 80, meta: { numeric: true }, accessorFn: (r) => r.packet ?? '—' },
  { id: 'offset', header: 'Offset', size: 110, meta: { numeric: true }, accessorFn: (r) => fmtInt(r.offset) },
  { id: 'layer', header: 'Layer', size: 80, accessorFn: (r) => r.layer },
  { id: 'reason', header: 'Reason', size: 520, accessorFn: (r) => r.reason },
];

/** An ISO time as seconds since the epoch with its fraction whole (relative to the same epoch second only matters here). */
function isoSeconds(iso: string): number {
  const m = /^(.*?:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/.exec(iso);
  if (!m) return Date.parse(iso) / 1000;
  return Date.parse(`${m[1]}${m[3] ?? 'Z'}`) / 1000 + (m[2] ? Number(`0${m[2]}`) : 0);
}

export function Overview({ summary }: { summary: SessionSummary }) {
  const { host, version } = useSession();
  const duration = useMemo(() => {
    if (!summary.firstTime || !summary.lastTime) return 0;
    // Session span: first packet of any capture to the last of any, at the captures' own precision
    // (Date.parse keeps milliseconds only, and the card then disagreed with the table's durations).
    return Math.max(0, isoSeconds(summary.lastTime) - isoSeconds(summary.firstTime));
  }, [summary]);
  const charts = useStaged(summary, 2);
  const fetchIssues = useCallback((offset: number, limit: number) => host.api.getIssues({ offset, limit }), [host]);
  const errors = summary.captures.flatMap((c) => c.errors.filter((e) => e.severity === 'error').map((e) => ({ ...e, point: c.point, packetsRead: c.packets })));

  return (
    <div className="view overview" data-testid="view-overview">
      {errors.map((e, i) => (
        <div key={i} className="banner banner-error" role="alert" data-testid="capture-error">
          <strong>{e.capture}</strong> stopped at offset {fmtInt(e.offset)} ({e.layer}): {e.reason}.{' '}
          {e.packetsRead ? `The ${fmtInt(e.packetsRead)} packet${e.packetsRead === 1 ? '' : 's'} read before it are shown.` : 'No packet could be read from it.'}
        </div>
      ))}
      {summary.captures.filter((c) => c.offload).map((c) => (
        <div key={`offload-${c.id}`} className="banner" data-testid="offload-note">
          <strong>{c.point}</strong>: offloads were on: {fmtInt(c.offload!.frames)} of {fmtInt(c.packets)} frames exceed {fmtInt(c.offload!.limit)} bytes,
          up to {fmtInt(c.offload!.largest)} (GSO/TSO/GRO super-packets). Packets are counted as captured, not as the segments on the wire; Compare gives both.
        </div>
      ))}
      <div className="stats">
        <Stat label="packets" value={fmtInt(summary.packets)} testId="total-packets" />
        <Stat label="bytes (frame lengths)" value={fmtBytes(summary.bytes)} title={`${fmtInt(summary.bytes)} bytes`} testId="total-bytes" />
        <Stat label="capture points" value={fmtInt(summary.captures.length)} testId="total-captures" />
        <Stat label="duration" value={summary.firstTime && summary.lastTime ? fmtDuration(duration) : '—'} testId="total-duration" />
        <Stat label="flows" value={fmtInt(summary.flows)} testId="total-flows" />
        <Stat label="HTTP transactions" value={fmtInt(summary.http)} />
        <Stat label="DNS queries" value={fmtInt(summary.dns)} />
        <Stat label="issues" value={fmtInt(summary.issues)} testId="total-issues" />
        <Stat label="cluster metadata" value={summary.hasCluster ? 'loaded' : 'none'} testId="cluster-state" />
      </div>

      <section className="card">
        <h2>Captures</h2>
        <table className="simple" data-testid="captures-table">
          <thead><tr><th>Capture point</th><th>File</th><th>Format</th><th>Link types</th><th className="num">Packets</th><th className="num">Bytes</th><th>First packet</th><th className="num">Duration</th><th>Status</th></tr></thead>
          <tbody>
            {summary.captures.map((c) => (
              <tr key={c.id}>
                <td><span className="swatch" style={{ background: seriesColor(c.id) }} />{c.point}</td>
                <td className="mono small" title={c.file}>{c.file.split(/[\\/]/).pop()}
                  {c.source && c.source !== 'file' ? <div className="muted small" data-testid="capture-source">{c.source}</div> : null}</td>
                <td>{c.format}</td>
                <td title={c.linkTypes.map((l) => `LINKTYPE ${l.id} (${l.name})`).join(', ')}>{c.linkTypes.map((l) => linkTypeText(l.id)).join(', ') || '—'}</td>
                <td className="num" data-testid="capture-packets">{fmtInt(c.packets)}</td>
                <td className="num">{fmtBytes(c.bytes)}</td>
                <td className="mono small" title={c.firstTime ?? ''}>{fmtClock(c.firstTime)}</td>
                <td className="num">{c.packets ? fmtDuration(c.durationSec) : '—'}</td>
                <td>{c.complete ? <span className="ok">complete</span> : <span className="bad">{c.errors.length ? 'stopped by an error' : 'cancelled'}</span>}
                  {c.warnings ? <span className="muted small"> · {fmtInt(c.warnings)} warnings</span> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {summary.clocks.length > 1 || summary.clocks.some((c) => c.capturePoints.length > 1) ? <HostClocks summary={summary} /> : null}

      {summary.packets ? <OverviewCharts summary={summary} stage={charts} /> : (
        <section className="card"><h2>Protocols and packets over time</h2><div className="muted">No packets were read: nothing to chart.</div></section>
      )}

      <section className="card">
        <h2>Issues <span className="muted small">{fmtInt(summary.issues)}</span></h2>
        {summary.issues ? (
          <div className="issues-table" style={{ height: Math.min(240, 29 + 26 * summary.issues + 4) }}>
            <DataTable label="Issues" testId="issues-table" columns={issueColumns} queryKey={`issues:${version}`}
              fetchPage={fetchIssues} rowKey={(r) => `${r.capture}:${r.packet}:${r.offset}:${r.layer}:${r.reason}`} />
          </div>
        ) : <div className="muted">No issues: every packet of every capture was read and decoded.</div>}
      </section>
    </div>
  );
}

/**
 * The protocol and timeline charts. The time axis is numeric (a few nice
 * ticks) rather than one category per bucket: Recharts measures the text of
 * every candidate tick in the DOM, which for hundreds of buckets cost ~140 ms.
 * Each chart mounts in its own task (`stage`), after the numbers are on screen.
 */
const OverviewCharts = memo(function OverviewCharts({ summary, stage }: { summary: SessionSummary; stage: number }) {
  const timeline = useMemo(() => summary.timeline.buckets.map((b) => {
    const row: Record<string, number> = { t: b.t };
    summary.captures.forEach((_c, i) => { row[`c${i}`] = b.packets[i] ?? 0; });
    return row;
  }), [summary]);
  const protocols = summary.protocols;
  /** The series whose legend entry is hovered. */
  const [hot, setHot] = useState<number | null>(null);
  return (
      <div className="two">
        <section className="card">
          <h2>Protocols</h2>
          {stage < 1 ? <div className="chart chart-pending" aria-busy="true" /> : <div className="chart" data-testid="chart-protocols">
            <ResponsiveContainer width="100%" height={260}>
              <BarChart data={protocols} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="var(--line)" />
                <XAxis dataKey="name" tick={{ fontSize: 12 }} />
                <YAxis yAxisId="p" tick={{ fontSize: 11 }} tickFormatter={(v: number) => fmtInt(v)} />
                <YAxis yAxisId="b" orientation="right" tick={{ fontSize: 11 }} tickFormatter={(v: number) => fmtBytes(v)} />
                <Tooltip formatter={(v, n) => (n === 'bytes' ? fmtBytes(Number(v)) : fmtInt(Number(v)))} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--line)' }} />
                <Legend />
                <Bar yAxisId="p" dataKey="packets" name="packets" fill="#3b82f6" radius={[3, 3, 0, 0]} isAnimationActive={false}>
                  {/* The count on each bar: a protocol with a few packets beside thousands is otherwise a bar of no height. */}
                  <LabelList dataKey="packets" position="top" fontSize={10} fill="var(--muted)" formatter={(v: unknown) => fmtInt(Number(v))} />
                </Bar>
                <Bar yAxisId="b" dataKey="bytes" name="bytes" fill="#f59e0b" radius={[3, 3, 0, 0]} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>}
        </section>
        <section className="card">
          <h2>Packets over time per capture point <span className="muted small">({durationText(summary.timeline.bucketSec)} buckets)</span></h2>
          {stage < 2 ? <div className="chart chart-pending" aria-busy="true" /> : <div className="chart" data-testid="chart-timeline">
            <ResponsiveContainer width="100%" height={260}>
              <AreaChart data={timeline} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="var(--line)" />
                <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickCount={8} tick={{ fontSize: 11 }} stroke="var(--muted)" tickFormatter={(v: number) => `${+v.toFixed(3)} s`} />
                <YAxis tick={{ fontSize: 11 }} />
                <Tooltip labelFormatter={(v) => `t = ${Number(v).toFixed(3)} s`} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--line)' }} />
                {summary.captures.map((c, i) => (
                  <Area key={c.id} type="stepAfter" dataKey={`c${i}`} name={c.point} stackId="1" isAnimationActive={false}
                    stroke={seriesColor(c.id)} fill={seriesColor(c.id)} fillOpacity={hot == null ? 0.35 : hot === i ? 0.75 : 0.06}
                    strokeOpacity={hot == null || hot === i ? 1 : 0.25} />
                ))}
              </AreaChart>
            </ResponsiveContainer>
            {/* One entry per series (the Captures table's colours); hovering one brings its area forward. */}
            <ul className="series-legend" data-testid="timeline-legend" aria-label="Capture points of the timeline">
              {summary.captures.map((c, i) => (
                <li key={c.id} data-series={i} title={`${c.point}: ${fmtInt(c.packets)} packets`} onMouseEnter={() => setHot(i)} onMouseLeave={() => setHot(null)}>
                  <span className="swatch" style={{ background: seriesColor(c.id) }} />{c.point}
                </li>
              ))}
            </ul>
          </div>}
        </section>
      </div>
  );
});

/**
 * 0 on a new value, then 1, 2, … up to `last`, one step per task after a
 * paint: heavy children mount one at a time instead of in one long task.
 */
function useStaged(value: unknown, last: number): number {
  const [stage, setStage] = useState({ value, n: 0 });
  const n = stage.value === value ? stage.n : 0;
  useEffect(() => {
    if (n >= last) return;
    let timer = 0;
    const raf = requestAnimationFrame(() => { timer = window.setTimeout(() => setStage({ value, n: n + 1 }), 0); });
    return () => { cancelAnimationFrame(raf); clearTimeout(timer); };
  }, [value, n, last]);
  return n;
}

/** Hosts (capture points sharing one clock) and how far each clock is from the reference host's; the grouping can be stated. */
function HostClocks({ summary }: { summary: SessionSummary }) {
  const { setClocks, busy } = useSession();
  const [editing, setEditing] = useState(false);
  const ref = summary.clocks.find((c) => c.reference);
  const corrected = summary.clocks.some((c) => c.corrected);
  const fmt = (ms: number): string => (Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(3)} ms`);
  return (
    <section className="card" data-testid="host-clocks">
      <h2>Hosts and clocks <span className="muted small">offsets from {ref?.host ?? '—'}&apos;s clock, estimated from packets seen at two hosts</span>
        <button type="button" className="small" style={{ marginLeft: 12 }} data-testid="edit-hosts" disabled={busy} onClick={() => setEditing((e) => !e)}>{editing ? 'Close' : 'Edit hosts…'}</button></h2>
      {summary.clockNotes.length
        ? summary.clockNotes.map((n, i) => <div key={i} className="banner" data-testid="clock-note">{n}.</div>)
        : <div className="muted small">The hosts&apos; clocks agree as far as the packets tell: times are as captured.</div>}
      {editing ? <HostEditor summary={summary} corrected={corrected || !summary.clockNotes.some((n) => /not corrected/.test(n))} onApply={(s) => { setEditing(false); void setClocks(s); }} /> : null}
      <table className="simple">
        <thead><tr><th>Host</th><th>Capture points</th><th className="num">Offset</th><th className="num">±</th><th className="num">Drift</th><th className="num">Pairs</th><th>Times</th></tr></thead>
        <tbody>
          {summary.clocks.map((c) => (
            <tr key={c.host}>
              <td>{c.host}</td>
              <td className="small">{c.capturePoints.join(', ')}</td>
              <td className="num mono">{c.reference ? 'reference' : c.offsetMs === null ? 'not linked' : `${c.offsetMs >= 0 ? '+' : ''}${fmt(c.offsetMs)}`}</td>
              <td className="num mono">{c.uncertaintyMs ? fmt(c.uncertaintyMs) : '—'}</td>
              <td className="num">{c.driftPpm === null ? '—' : `${c.driftPpm} ppm`}</td>
              <td className="num">{fmtInt(c.pairs)}</td>
              <td>{c.corrected ? 'corrected' : c.source === 'stated' ? 'stated' : 'as captured'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One row per capture point: the host it was taken on (one clock), as the CLI's --host; and whether times are corrected. */
function HostEditor({ summary, corrected, onApply }: { summary: SessionSummary; corrected: boolean; onApply: (s: { hosts: Record<string, string>; clockCorrection: boolean }) => void }) {
  const initial = useMemo(() => new Map(summary.clocks.flatMap((c) => c.capturePoints.map((p) => [p, c.host] as const))), [summary]);
  const [hosts, setHosts] = useState(() => new Map(initial));
  const [correct, setCorrect] = useState(corrected);
  const names = [...new Set(hosts.values())].sort();
  return (
    <form className="host-editor" data-testid="host-editor" onSubmit={(e) => { e.preventDefault(); onApply({ hosts: Object.fromEntries([...hosts].filter(([, h]) => h.trim() !== '').map(([p, h]) => [p, h.trim()])), clockCorrection: correct }); }}>
      <datalist id="host-names">{names.map((n) => <option key={n} value={n} />)}</datalist>
      <table className="simple">
        <thead><tr><th>Capture point</th><th>Host (one clock)</th></tr></thead>
        <tbody>
          {[...hosts].map(([p, h]) => (
            <tr key={p}>
              <td className="small">{p}</td>
              <td><input list="host-names" aria-label={`host of ${p}`} value={h} maxLength={200} onChange={(e) => { const v = e.target.value; setHosts((m) => new Map(m).set(p, v)); }} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <label><input type="checkbox" checked={correct} onChange={(e) => setCorrect(e.target.checked)} /> Correct each host&apos;s times by its clock offset</label>
        <button type="submit" data-testid="apply-hosts">Apply and re-analyse</button>
      </div>
    </form>
  );
}
