/**
 * Compare two sides metric by metric. A side is the open session (the
 * default for A), a lab scenario, or files or a folder the user picks, each
 * with a short label the user can change and its own cluster metadata.
 * Capture points pair across the sides by role (src/compare/sides.ts).
 * "A" and "B" head the columns; which is which is said once, above them, so
 * the values fit at 1280 px.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Chart, comparisonCharts } from '../../charts/index.js';
import type { ComparisonMetric, ComparisonOptions, ComparisonPointRow, ComparisonSideOptions, ComparisonView, SourceRef } from '../../../src/api.js';
import type { LabManifest } from '../../../electron/ipc-contract.js';
import { ErrorState, Loading } from '../components/States.js';
import { labRefs, useSession } from '../session.js';
import { fmtBytes } from '../format.js';

/** Where a side's captures come from. */
type SideSource =
  | { kind: 'session' }
  | { kind: 'lab'; scenario: string; refs: SourceRef[] }
  | { kind: 'files'; refs: SourceRef[]; folder: string | null; count: number };

interface Side {
  source: SideSource | null;
  /** What the user typed; '' means the default (the folder, the files' common prefix, the scenario). */
  label: string;
  /** `lab`: the lab's cluster.json, chosen with its scenario (dropped when the side changes to other captures). */
  cluster: { refs: SourceRef[]; name: string; lab?: true } | null;
}

type Which = 'A' | 'B';

// ---------------------------------------------------------------- numbers: one rule everywhere

/**
 * The values of one row share their decimals: none when all are whole, else
 * 2 below 10 and 1 from 10 up (by the largest), so "96.0" stands beside
 * "79.8", never "96" beside "79.80".
 */
export function rowDecimals(values: ReadonlyArray<number | null>): number {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.every((v) => Number.isInteger(v))) return 0;
  return Math.max(...xs.map((v) => Math.abs(v))) < 10 ? 2 : 1;
}

function fmtNum(v: number | null, unit: string, decimals: number, signed = false): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const sign = signed ? (v > 0 ? '+' : v < 0 ? '−' : '') : v < 0 ? '−' : '';
  const abs = Math.abs(v);
  if (unit === 'bytes' && abs >= 1000) return `${sign}${fmtBytes(abs)}`;
  const n = abs.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  if (unit === 'ms') return `${sign}${n} ms`;
  if (unit === 'bytes') return `${sign}${n} B`;
  return `${sign}${n}`;
}

/** "1 hop", "2 hops", "1 capture point". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** 'ok' when B is better than A, 'warn' when worse, '' when the metric has no better direction or no change. */
function deltaTone(m: Pick<ComparisonMetric, 'delta' | 'better'>): string {
  if (m.delta === null || m.delta === 0 || !m.better) return '';
  const improved = m.better === 'lower' ? m.delta < 0 : m.delta > 0;
  return improved ? 'ok' : 'warn';
}

function pctText(a: number | null, b: number | null): string {
  if (a === null || b === null || a === 0) return '';
  return ` (${b >= a ? '+' : '−'}${Math.round((Math.abs(b - a) / Math.abs(a)) * 100)} %)`;
}

// ---------------------------------------------------------------- sides

function folderOf(files: readonly File[]): string | null {
  const dirs = new Set(files.map((f) => (f.webkitRelativePath || '').split('/').slice(0, -1).join('/')));
  if (dirs.size !== 1) return null;
  const d = [...dirs][0]!;
  return d ? d.split('/').pop()! : null;
}

function sourceText(src: SideSource | null, sessionLabel: string | null, sessionPoints: number): string {
  if (!src) return 'nothing chosen';
  switch (src.kind) {
    // A session's own label when it has a short one ("lab: nginx-proxy"), never its points' names joined.
    case 'session': return `the open session${sessionLabel && sessionLabel.length <= 40 && !sessionLabel.includes(', ') && !/ \+ \d+ more$/.test(sessionLabel) ? ` (${sessionLabel})` : ''}, ${plural(sessionPoints, 'capture point')}`;
    case 'lab': return `lab scenario ${src.scenario}, ${plural(src.refs.length, 'capture')}`;
    case 'files': return src.folder ? `folder ${src.folder}, ${plural(src.count, 'capture')}` : plural(src.count, 'file');
  }
}

/** The files' common prefix up to a separator ("nginx-proxy" of nginx-proxy.client-eth0.pcap, …), as the engine names a side (src/compare/sides.ts). */
function prefixOf(names: readonly string[]): string {
  const bases = names.map((n) => (n.split(/[\\/]/).pop() ?? n).replace(/\.(pcapng|pcap|cap)$/i, ''));
  if (bases.length < 2) return bases[0] ?? '';
  let p = bases[0]!;
  for (const b of bases) { let i = 0; while (i < p.length && i < b.length && p[i] === b[i]) i++; p = p.slice(0, i); }
  let cut = -1;
  for (let i = p.length - 1; i >= 0; i--) if (/[.\-_ :]/.test(p[i]!)) { cut = i; break; }
  if (cut <= 0 || bases.some((b) => b.length <= cut + 1)) return '';
  return p.slice(0, cut).replace(/[.\-_ :]+$/, '');
}

/** The label shown before the engine has named the side: the user's, else a guess the engine will confirm. */
function labelGuess(side: Side, sessionLabel: string | null): string {
  if (side.label.trim()) return side.label.trim();
  const s = side.source;
  if (!s) return '';
  if (s.kind === 'session') return sessionLabel?.startsWith('lab: ') ? sessionLabel.slice(5) : '';
  if (s.kind === 'lab') return s.scenario;
  return s.folder ?? prefixOf(s.refs.map((r) => (r.kind === 'path' ? r.path : r.name)));
}

function SidePicker({ which, side, onChange, lab }: { which: Which; side: Side; onChange(s: Side): void; lab: LabManifest | null }) {
  const { host, summary } = useSession();
  const id = `side-${which.toLowerCase()}`;
  const pick = (files: File[], folderPick: boolean) => {
    if (!files.length) return;
    const caps = files.filter((f) => /\.(pcap|pcapng|cap)$/i.test(f.name)).sort((x, y) => (x.webkitRelativePath || x.name).localeCompare(y.webkitRelativePath || y.name));
    if (!caps.length) return;
    // A blob's name carries its folder (folder/file.pcap), so the engine can name the side after it.
    const refs = host.refsForFiles(caps).map((r, i) => (r.kind === 'blob' && caps[i]!.webkitRelativePath ? { ...r, name: caps[i]!.webkitRelativePath } : r));
    onChange({ ...side, label: '', cluster: side.cluster?.lab ? null : side.cluster, source: { kind: 'files', refs, folder: folderPick ? folderOf(caps) : null, count: caps.length } });
  };
  const sessionMeta = side.source?.kind === 'session' && summary?.hasCluster;
  // Three rows, the same in both sides: where the captures come from, the side's label, its metadata.
  return (
    <fieldset className="side-picker" data-testid={id}>
      <legend className="side-title"><strong>{which}</strong> <span className="muted small" data-testid={`${id}-source`}>{sourceText(side.source, summary?.label ?? null, summary?.captures.length ?? 0)}</span></legend>
      <div className="side-grid">
        <span className="small muted">Captures</span>
        <div className="row side-row">
          <button type="button" className="btn small" disabled={!summary} aria-pressed={side.source?.kind === 'session'}
            title={summary ? 'The session open in this window, with its metadata' : 'No session is open'}
            onClick={() => onChange({ ...side, label: '', source: { kind: 'session' }, cluster: null })}>Open session</button>
          {lab?.scenarios.length ? (
            <select className="input small-select" aria-label={`Lab scenario for side ${which}`} data-testid={`${id}-lab`} value={side.source?.kind === 'lab' ? side.source.scenario : ''}
              onChange={(e) => {
                const name = e.target.value;
                if (!name) return;
                onChange({ ...side, label: '', source: { kind: 'lab', scenario: name, refs: labRefs(lab, name) },
                  cluster: lab.cluster ? { refs: [{ kind: 'url', url: lab.cluster.url, name: lab.cluster.name }], name: lab.cluster.name, lab: true } : side.cluster });
              }}>
              <option value="">Lab scenario…</option>
              {lab.scenarios.map((s) => <option key={s.name} value={s.name}>lab: {s.name}</option>)}
            </select>
          ) : null}
          <label className="btn small">Files…<input data-testid={`${id}-files`} type="file" multiple hidden accept=".pcap,.pcapng,.cap"
            onChange={(e) => { const f = Array.from(e.target.files ?? []); e.target.value = ''; pick(f, false); }} /></label>
          <label className="btn small">Folder…<input data-testid={`${id}-folder`} type="file" hidden
            ref={(el) => { if (el) { el.setAttribute('webkitdirectory', ''); el.setAttribute('directory', ''); } }}
            onChange={(e) => { const f = Array.from(e.target.files ?? []); e.target.value = ''; pick(f, true); }} /></label>
        </div>
        <label className="small muted" htmlFor={`${id}-label`}>Label</label>
        <input id={`${id}-label`} data-testid={`${id}-label`} className="input" style={{ width: 220, maxWidth: '100%' }} maxLength={60} value={side.label}
          placeholder={labelGuess({ ...side, label: '' }, summary?.label ?? null) || 'from the files'}
          onChange={(e) => onChange({ ...side, label: e.target.value })} />
        <span className="small muted">Metadata</span>
        <div className="row side-row">
          <span className="small side-cluster" data-testid={`${id}-cluster`} title={side.cluster?.name}>{side.cluster ? side.cluster.name : sessionMeta ? "the session's" : 'none'}</span>
          <label className="btn small" title="kubectl get nodes,pods,services,endpointslices -A -o json, for this side only">
            Metadata…<input type="file" hidden accept=".json,.yaml,.yml" onChange={(e) => {
              const f = Array.from(e.target.files ?? []);
              e.target.value = '';
              if (f.length) onChange({ ...side, cluster: { refs: host.refsForFiles(f), name: f.map((x) => x.name).join(', ') } });
            }} /></label>
          {side.cluster ? <button type="button" className="btn small" onClick={() => onChange({ ...side, cluster: null })}>No metadata</button> : null}
        </div>
      </div>
    </fieldset>
  );
}

// ---------------------------------------------------------------- results

function MetricRow({ m }: { m: ComparisonMetric }) {
  const d = rowDecimals([m.a, m.b, m.delta]);
  const tone = deltaTone(m);
  return (
    <tr>
      <td className="metric-name">{m.name}</td>
      <td className="num">{fmtNum(m.a, m.unit, d)}</td>
      <td className="num">{fmtNum(m.b, m.unit, d)}</td>
      <td className={`num ${tone}`} title={tone ? `${tone === 'ok' ? 'better' : 'worse'} in B${pctText(m.a, m.b)}` : pctText(m.a, m.b).trim()}>
        {fmtNum(m.delta, m.unit, d, true)}
      </td>
    </tr>
  );
}

function PointRow({ p }: { p: ComparisonPointRow }) {
  const a = p.a?.packets ?? null;
  const b = p.b?.packets ?? null;
  const ra = p.a?.packetsPerRequest ?? null;
  const rb = p.b?.packetsPerRequest ?? null;
  const dr = ra !== null && rb !== null ? Math.round((rb - ra) * 1000) / 1000 : null;
  const dPk = rowDecimals([ra, rb, dr]);
  const names = [p.a && p.a.name !== p.role ? `A: ${p.a.name}` : '', p.b && p.b.name !== p.role ? `B: ${p.b.name}` : ''].filter(Boolean).join(' · ');
  return (
    <tr data-testid="compare-point-row">
      <td className="metric-name" title={names || undefined}>{p.role}{names ? <div className="small muted">{names}</div> : null}</td>
      <td className="num">{fmtNum(a, 'packets', 0)}</td>
      <td className="num">{fmtNum(b, 'packets', 0)}</td>
      <td className={`num ${deltaTone({ delta: a !== null && b !== null ? b - a : null, better: 'lower' })}`}>{a !== null && b !== null ? fmtNum(b - a, 'packets', 0, true) : '—'}</td>
      <td className="num">{fmtNum(ra, 'packets', dPk)}</td>
      <td className="num">{fmtNum(rb, 'packets', dPk)}</td>
      <td className={`num ${deltaTone({ delta: dr, better: 'lower' })}`}>{fmtNum(dr, 'packets', dPk, true)}</td>
    </tr>
  );
}

const NUM_COL = { width: '7.5em' };
/** table.simple's headers are left-aligned; numbers' headers sit over the numbers. */
const NUM_TH = { textAlign: 'right' } as const;

function Legend({ v }: { v: ComparisonView }) {
  const part = (w: Which, s: NonNullable<ComparisonView['sides']>['a'] | undefined, label: string): ReactNode => (
    <span data-testid={`compare-legend-${w.toLowerCase()}`}>
      <strong>{w}</strong> = <span className="mono">{label}</span>
      {s ? <span className="muted"> ({plural(s.points, 'capture point')}, {plural(s.requests, 'client request')}{s.hasCluster ? ', metadata loaded' : ''})</span> : null}
    </span>
  );
  return <p className="compare-legend" style={{ margin: '4px 0 10px' }}>{part('A', v.sides?.a, v.labelA)} · {part('B', v.sides?.b, v.labelB)} · <span className="muted">Δ = B − A; <span className="ok">green</span> is better in B, <span className="warn">amber</span> worse.</span></p>;
}

export function Compare() {
  const { host, lab, summary } = useSession();
  const initial = (which: Which): Side => {
    if (which === 'A' && summary) return { source: { kind: 'session' }, label: '', cluster: null };
    const sessionScenario = summary?.label.startsWith('lab: ') ? summary.label.slice(5) : null;
    const want = which === 'A' ? 'nginx-proxy' : sessionScenario === 'ingress' ? 'nginx-proxy' : 'ingress';
    const sc = lab?.scenarios.find((s) => s.name === want && s.name !== (which === 'B' ? sessionScenario : null));
    if (!lab || !sc) return { source: null, label: '', cluster: null };
    return { source: { kind: 'lab', scenario: sc.name, refs: labRefs(lab, sc.name) }, label: '',
      cluster: lab.cluster ? { refs: [{ kind: 'url', url: lab.cluster.url, name: lab.cluster.name }], name: lab.cluster.name, lab: true } : null };
  };
  const [a, setA] = useState<Side>(() => initial('A'));
  const [b, setB] = useState<Side>(() => initial('B'));
  useEffect(() => {
    // The lab list and the session may arrive after this view opened: fill the sides still empty.
    if (!a.source) setA(initial('A'));
    if (!b.source) setB(initial('B'));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lab, summary]);
  /** Pairings the user states ("pod-nginx-proxy-eth0=pod-ingress-nginx-eth0, ..."): a point name or role of A = one of B. */
  const [pairText, setPairText] = useState('');
  const [st, setSt] = useState<{ status: 'idle' } | { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ok'; value: ComparisonView }>({ status: 'idle' });
  const run = () => {
    if (!a.source || !b.source) return;
    const refs = (s: Side): SourceRef[] => (s.source && s.source.kind !== 'session' ? s.source.refs : []);
    const opts = (s: Side): ComparisonSideOptions => ({ ...(s.source?.kind === 'session' ? { session: true } : {}), ...(s.cluster ? { cluster: s.cluster.refs } : {}) });
    const pairs = pairText.split(',').map((x) => x.split('=').map((y) => y.trim())).filter((x): x is [string, string] => x.length === 2 && !!x[0] && !!x[1]);
    const sides: ComparisonOptions = { a: opts(a), b: opts(b), ...(pairs.length ? { pairs } : {}) };
    setSt({ status: 'loading' });
    host.api.compare(refs(a), refs(b), { a: a.label.trim() || undefined, b: b.label.trim() || undefined }, {}, sides)
      .then((value) => setSt({ status: 'ok', value }), (error: unknown) => setSt({ status: 'error', error }));
  };
  const v = st.status === 'ok' ? st.value : null;
  const groups = useMemo(() => (v ? [...new Set(v.metrics.map((m) => m.group))].filter((g) => g !== 'capture points' || !v.points) : []), [v]);
  return (
    <div className="view compare" data-testid="view-compare">
      <div className="compare-sides">
        <SidePicker which="A" side={a} onChange={setA} lab={lab} />
        <SidePicker which="B" side={b} onChange={setB} lab={lab} />
        <div className="compare-run-row">
          <label className="small muted" htmlFor="compare-pairs" title="Points pair by role (their names without the scenario prefix); state other pairs as A=B, separated by commas">Pair points</label>
          <input id="compare-pairs" className="input" data-testid="compare-pairs" style={{ flex: '0 1 420px', minWidth: 160 }} value={pairText}
            placeholder="by role; or state pairs: pod-nginx-proxy-eth0=pod-ingress-nginx-eth0, …" onChange={(e) => setPairText(e.target.value)} />
          <button type="button" data-testid="compare-run" className="btn primary" disabled={!a.source || !b.source || st.status === 'loading'} onClick={run}>Compare</button>
        </div>
      </div>
      {st.status === 'idle' ? <div className="muted pad">Choose two sides and press Compare: each side is analysed on its own and compared metric by metric; capture points pair up by role (the scenario prefix of their names dropped).</div> : null}
      {st.status === 'loading' ? <Loading what="both sides" /> : null}
      {st.status === 'error' ? <ErrorState error={st.error} what="Comparison" /> : null}
      {v ? (
        <>
          <Legend v={v} />
          {v.explanation.length ? (
            <section className="card" data-testid="compare-explanation">
              <h2>What makes the difference</h2>
              <ul className="explain">{v.explanation.map((e, i) => <li key={i}>{e}</li>)}</ul>
            </section>
          ) : null}
          <section className="card">
            <h2>Metrics</h2>
            <table className="simple" data-testid="compare-table" style={{ tableLayout: 'fixed' }}>
              <colgroup><col /><col style={NUM_COL} /><col style={NUM_COL} /><col style={NUM_COL} /></colgroup>
              <thead><tr><th>Metric</th><th className="num" style={NUM_TH} title={v.labelA}>A</th><th className="num" style={NUM_TH} title={v.labelB}>B</th><th className="num" style={NUM_TH} title="B − A">Δ</th></tr></thead>
              <tbody>{groups.flatMap((g) => [
                <tr key={`g${g}`} className="group"><td colSpan={4}>{g}</td></tr>,
                ...v.metrics.filter((m) => m.group === g).map((m) => <MetricRow key={m.name} m={m} />),
              ])}</tbody>
            </table>
          </section>
          {v.points ? (
            <section className="card">
              <h2>Capture points, paired by role</h2>
              <table className="simple" data-testid="compare-points" style={{ tableLayout: 'fixed' }}>
                <colgroup><col /><col style={NUM_COL} /><col style={NUM_COL} /><col style={NUM_COL} /><col style={NUM_COL} /><col style={NUM_COL} /><col style={NUM_COL} /></colgroup>
                <thead>
                  <tr><th rowSpan={2}>Capture point</th><th className="num" style={{ textAlign: 'center' }} colSpan={3}>Packets</th><th className="num" style={{ textAlign: 'center' }} colSpan={3}>Packets per request</th></tr>
                  <tr>{['A', 'B', 'Δ', 'A', 'B', 'Δ'].map((x, i) => <th key={i} className="num" style={NUM_TH}>{x}</th>)}</tr>
                </thead>
                <tbody>{v.points.map((p) => <PointRow key={p.role} p={p} />)}</tbody>
              </table>
            </section>
          ) : null}
          <section className="card compare-charts" data-testid="compare-charts" style={{ position: 'static' }}>
            {/* The same chart components the HTML report draws (renderer/charts), so app and report match. */}
            {comparisonCharts(v).map((spec) => <div key={spec.id} className="chart-block"><Chart spec={spec} /></div>)}
          </section>
        </>
      ) : null}
    </div>
  );
}
