/**
 * Compare two sets of captures (each analysed on its own), metric by metric.
 * By default the two lab scenarios side by side: the Nginx reverse-proxy
 * Service path and the Ingress controller path.
 */
import { useEffect, useState } from 'react';
import { Chart, comparisonCharts } from '../../charts/index.js';
import type { ComparisonView, SourceRef } from '../../../src/api.js';
import { ErrorState, Loading } from '../components/States.js';
import { labRefs, useSession } from '../session.js';
import { fmtBytes } from '../format.js';

type Side = { label: string; refs: SourceRef[] };

function fmtMetric(v: number | null, unit: string): string {
  if (v == null) return '—';
  if (unit === 'bytes') return `${v < 0 ? '-' : ''}${fmtBytes(Math.abs(v))}`;
  const n = Math.abs(v) >= 100 || Number.isInteger(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 0 }) : v.toFixed(2);
  return unit ? `${n} ${unit}` : n;
}

function SidePicker({ side, onChange, name }: { side: Side | null; onChange(s: Side): void; name: string }) {
  const { lab, host } = useSession();
  return (
    <div className="side-picker">
      <div className="side-title">{name}: <strong>{side?.label ?? 'nothing chosen'}</strong> {side ? <span className="muted small">({side.refs.length} captures)</span> : null}</div>
      <div className="row">
        {lab?.scenarios.map((s) => (
          <button key={s.name} type="button" className="btn" onClick={() => onChange({ label: s.name, refs: labRefs(lab, s.name) })}>lab: {s.name}</button>
        ))}
        <label className="btn">Files…<input type="file" multiple hidden accept=".pcap,.pcapng,.cap" onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          if (files.length) onChange({ label: files.map((f) => f.name).join('+'), refs: host.refsForFiles(files) });
        }} /></label>
      </div>
    </div>
  );
}

export function Compare() {
  const { host, lab } = useSession();
  const def = (i: number): Side | null => (lab && lab.scenarios[i] ? { label: lab.scenarios[i]!.name, refs: labRefs(lab, lab.scenarios[i]!.name) } : null);
  const [a, setA] = useState<Side | null>(() => def(lab?.scenarios.findIndex((s) => s.name === 'nginx-proxy') ?? 0));
  const [b, setB] = useState<Side | null>(() => def(lab?.scenarios.findIndex((s) => s.name === 'ingress') ?? 1));
  useEffect(() => {
    // The lab list may arrive after this view opened: fill the default sides then.
    if (!lab) return;
    if (!a) setA(def(Math.max(0, lab.scenarios.findIndex((s) => s.name === 'nginx-proxy'))));
    if (!b) setB(def(Math.max(0, lab.scenarios.findIndex((s) => s.name === 'ingress'))));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lab]);
  const [st, setSt] = useState<{ status: 'idle' } | { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ok'; value: ComparisonView }>({ status: 'idle' });
  const run = () => {
    if (!a || !b) return;
    setSt({ status: 'loading' });
    host.api.compare(a.refs, b.refs, { a: a.label, b: b.label }).then((value) => setSt({ status: 'ok', value }), (error: unknown) => setSt({ status: 'error', error }));
  };
  const groups = st.status === 'ok' ? [...new Set(st.value.metrics.map((m) => m.group))] : [];
  return (
    <div className="view compare" data-testid="view-compare">
      <div className="compare-sides">
        <SidePicker name="A" side={a} onChange={setA} />
        <SidePicker name="B" side={b} onChange={setB} />
        <button type="button" data-testid="compare-run" className="btn primary" disabled={!a || !b || st.status === 'loading'} onClick={run}>Compare</button>
      </div>
      {st.status === 'idle' ? <div className="muted pad">Choose two sides and press Compare: each side is analysed on its own and compared metric by metric.</div> : null}
      {st.status === 'loading' ? <Loading what="both sides" /> : null}
      {st.status === 'error' ? <ErrorState error={st.error} what="Comparison" /> : null}
      {st.status === 'ok' ? (
        <>
          {st.value.explanation.length ? (
            <section className="card" data-testid="compare-explanation">
              <h2>What makes the difference</h2>
              <ul className="explain">{st.value.explanation.map((e, i) => <li key={i}>{e}</li>)}</ul>
            </section>
          ) : null}
          <div className="two">
            <section className="card">
              <h2>{st.value.labelA} vs {st.value.labelB}</h2>
              <table className="simple" data-testid="compare-table">
                <thead><tr><th>Metric</th><th className="num">{st.value.labelA}</th><th className="num">{st.value.labelB}</th><th className="num">Δ</th></tr></thead>
                <tbody>{groups.flatMap((g) => [
                  <tr key={`g${g}`} className="group"><td colSpan={4}>{g}</td></tr>,
                  ...st.value.metrics.filter((m) => m.group === g).map((m) => (
                    <tr key={m.name}><td>{m.name}</td><td className="num">{fmtMetric(m.a, m.unit)}</td><td className="num">{fmtMetric(m.b, m.unit)}</td>
                      <td className={`num ${m.delta != null && m.delta > 0 ? 'warn' : m.delta != null && m.delta < 0 ? 'ok' : ''}`}>{m.delta == null ? '—' : `${m.delta > 0 ? '+' : ''}${fmtMetric(m.delta, m.unit)}`}</td></tr>
                  )),
                ])}</tbody>
              </table>
            </section>
            <section className="card compare-charts" data-testid="compare-charts">
              {/* The same chart components the HTML report draws (renderer/charts), so app and report match. */}
              {comparisonCharts(st.value).map((spec) => <div key={spec.id} className="chart-block"><Chart spec={spec} /></div>)}
            </section>
          </div>
        </>
      ) : null}
    </div>
  );
}
