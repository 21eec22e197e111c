/**
 * The display-filter bar (Wireshark's language, docs/filter.md): the text
 * turns green while it is a usable filter and red with the engine's message
 * ("unknown field 'ip.adr' at 1:1 (did you mean ip.addr?)") while it is not,
 * checked as you type (AnalyzerApi.checkFilter, debounced); Enter applies,
 * Escape goes back to the applied filter; the last filters applied are kept
 * (recent, per browser profile), also those applied from the packet layer
 * tree ("Apply as filter"); "Prepare as filter" puts one here unapplied.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { FilterCheck } from '../../../src/api.js';
import { useProgress, useSession } from '../session.js';
import { usePersisted } from './SplitPane.js';

const MAX_RECENT = 12;
const isRecent = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Wireshark's colours: green for a filter that can be used, red for one that cannot (text stays dark in both themes). */
const OK_STYLE = { background: '#afffaf', color: '#10240f', borderColor: '#3a9a3a' };
const BAD_STYLE = { background: '#ffafaf', color: '#3a0b0b', borderColor: '#c2281d' };

type State = { kind: 'empty' } | { kind: 'checking' } | { kind: 'ok' } | { kind: 'bad'; check: FilterCheck };

/** A filter put into the bar from elsewhere without applying it ("Prepare as filter"); a new `seq` each time. */
export interface PreparedFilter { text: string; seq: number }

export function FilterBar({ value, onApply, prepared, testId = 'filter-bar' }: { value: string; onApply(filter: string): void; prepared?: PreparedFilter | null; testId?: string }) {
  const { host } = useSession();
  const [draft, setDraft] = useState(value);
  const [state, setState] = useState<State>({ kind: value ? 'ok' : 'empty' });
  const [recent, setRecent] = usePersisted<string[]>('overlayscope.filters.recent', [], isRecent);
  const seq = useRef(0);
  const listId = useId();

  const inputRef = useRef<HTMLInputElement>(null);

  // A filter applied from elsewhere ("Apply as filter") is shown and kept with the recent ones.
  useEffect(() => {
    setDraft(value);
    if (value && recent[0] !== value) setRecent([value, ...recent.filter((x) => x !== value)].slice(0, MAX_RECENT));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);

  // "Prepare as filter": into the bar, checked, focused, not applied.
  useEffect(() => {
    if (!prepared) return;
    setDraft(prepared.text);
    inputRef.current?.focus();
  }, [prepared]);

  // Check while typing: the newest answer wins.
  useEffect(() => {
    const text = draft.trim();
    if (!text) { setState({ kind: 'empty' }); return; }
    const mine = ++seq.current;
    setState((s) => (s.kind === 'bad' ? s : { kind: 'checking' }));
    const t = setTimeout(() => {
      host.api.checkFilter(text).then((c) => {
        if (mine !== seq.current) return;
        setState(c.ok ? { kind: 'ok' } : { kind: 'bad', check: c });
      }, (e: unknown) => {
        if (mine !== seq.current) return;
        setState({ kind: 'bad', check: { ok: false, message: (e as Error)?.message ?? String(e), line: 0, column: 0, offset: 0, fields: [] } });
      });
    }, 120);
    return () => clearTimeout(t);
  }, [draft, host]);

  const apply = (): void => {
    const text = draft.trim();
    if (state.kind === 'bad' || state.kind === 'checking') return;
    onApply(text);
  };

  // A filter scanning the session's packets: packets scanned of total (the engine reports every 100 ms).
  const progress = useProgress();
  const scanning = progress?.phase === 'filtering' && progress.bytesRead < progress.bytesTotal ? progress : null;
  const cls = state.kind === 'ok' ? 'filter-ok' : state.kind === 'bad' ? 'filter-bad' : '';
  const colour = state.kind === 'ok' ? OK_STYLE : state.kind === 'bad' ? BAD_STYLE : undefined;
  const dirty = draft.trim() !== value;
  return (
    <div className="filter-bar" data-testid={testId} data-state={state.kind} style={{ display: 'flex', flexDirection: 'column', gap: 2, flex: '1 1 100%', minWidth: 280 }}>
      <div className="filter-row" style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
        <input ref={inputRef} className={`input filter-input ${cls}`} style={{ flex: '1 1 auto', minWidth: 340, fontFamily: 'var(--mono, monospace)', ...colour }} type="text" spellCheck={false} autoComplete="off" list={listId}
          placeholder="Display filter, e.g. ip.addr == 10.244.1.0/24 && tcp.port == 8080 (Enter applies)" value={draft}
          aria-label="Display filter" aria-invalid={state.kind === 'bad'} data-testid="filter-input"
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') { e.preventDefault(); apply(); }
            else if (e.key === 'Escape') { e.preventDefault(); setDraft(value); }
          }} />
        <datalist id={listId}>{recent.map((r) => <option key={r} value={r} />)}</datalist>
        <button className="btn" type="button" onClick={apply} disabled={state.kind === 'bad' || state.kind === 'checking' || !dirty} data-testid="filter-apply">Apply</button>
        {value ? <button className="btn" type="button" onClick={() => { setDraft(''); onApply(''); }} data-testid="filter-clear">Clear</button> : null}
        {recent.length ? (
          <select className="input filter-recent" style={{ flex: '0 0 auto', width: 96 }} value="" aria-label="Recent filters" data-testid="filter-recent"
            onChange={(e) => { if (e.target.value) { setDraft(e.target.value); } }}>
            <option value="">recent…</option>
            {recent.map((r) => <option key={r} value={r}>{r.length > 60 ? `${r.slice(0, 60)}…` : r}</option>)}
          </select>
        ) : null}
      </div>
      {state.kind === 'bad' ? <div className="filter-error bad small" role="alert" data-testid="filter-error" style={{ whiteSpace: 'pre-wrap' }}>{state.check.message}</div> : null}
      {scanning ? (
        <div className="small muted" data-testid="filter-progress" role="progressbar" aria-label="Filtering packets" aria-valuemin={0} aria-valuemax={scanning.bytesTotal} aria-valuenow={scanning.bytesRead}
          style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
          <progress max={scanning.bytesTotal} value={scanning.bytesRead} style={{ flex: '1 1 auto', maxWidth: 420 }} />
          <span>filtering {scanning.bytesRead.toLocaleString('en-US')} of {scanning.bytesTotal.toLocaleString('en-US')} packets · {scanning.packets.toLocaleString('en-US')} match</span>
        </div>
      ) : null}
    </div>
  );
}
