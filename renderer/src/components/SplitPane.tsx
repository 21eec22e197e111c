/**
 * A list above, its detail below, with a divider between them: drag it
 * (or focus it and press ↑/↓) to resize the detail, double-click it or use
 * the ▾ button to collapse the detail to its title bar. The detail's height
 * and whether it is collapsed are remembered per view in localStorage. With
 * nothing to show (`hasDetail` false) the detail is its title bar only, so
 * an empty pane never takes half the window.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';

const PREFIX = 'overlayscope.split.';
const MIN_DETAIL = 120;
const MIN_TOP = 120;
const STEP = 24;

/** A value kept in localStorage under `key` (JSON), with `fallback` when absent or unreadable. */
export function usePersisted<T>(key: string, fallback: T, valid: (v: unknown) => v is T): [T, (v: T) => void] {
  const [v, setV] = useState<T>(() => {
    try {
      const raw = localStorage.getItem(key);
      if (raw == null) return fallback;
      const x = JSON.parse(raw) as unknown;
      return valid(x) ? x : fallback;
    } catch { return fallback; }
  });
  const set = useCallback((x: T) => {
    setV(x);
    try { localStorage.setItem(key, JSON.stringify(x)); } catch { /* not remembered: storage full or denied */ }
  }, [key]);
  return [v, set];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

export function SplitPane({ id, top, bottom, title, hasDetail, testId }: {
  /** Where the height is remembered. */
  id: string;
  top: ReactNode;
  bottom: ReactNode;
  /** The detail's title bar (what is shown, or what to select). */
  title: ReactNode;
  hasDetail: boolean;
  testId?: string;
}) {
  const [height, setHeight] = usePersisted<number>(`${PREFIX}${id}.height`, 0, isNum);
  const [collapsed, setCollapsed] = usePersisted<boolean>(`${PREFIX}${id}.collapsed`, false, isBool);
  const box = useRef<HTMLDivElement>(null);
  const [live, setLive] = useState<number | null>(null);
  const drag = useRef<{ y: number; h: number } | null>(null);

  const clamp = useCallback((h: number) => {
    const total = box.current?.clientHeight ?? 600;
    return Math.round(Math.max(MIN_DETAIL, Math.min(total - MIN_TOP, h)));
  }, []);
  // Default: 40 % of the view, at least MIN_DETAIL.
  const [fallback, setFallback] = useState(260);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => setFallback(Math.max(MIN_DETAIL, Math.round(el.clientHeight * 0.4)));
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const open = hasDetail && !collapsed;
  const h = live ?? (height > 0 ? clamp(height) : fallback);

  return (
    <div className="split" ref={box} data-testid={testId}>
      <div className="split-top">{top}</div>
      <div className={`split-bar${open ? ' open' : ''}`}
        role="separator" aria-orientation="horizontal" aria-label="Resize the detail pane" aria-valuenow={open ? h : 0} tabIndex={open ? 0 : -1}
        onPointerDown={(e) => {
          if (!open || (e.target as HTMLElement).closest('button')) return;
          e.preventDefault();
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          drag.current = { y: e.clientY, h };
        }}
        onPointerMove={(e) => { const d = drag.current; if (d) setLive(clamp(d.h - (e.clientY - d.y))); }}
        onPointerUp={(e) => {
          const d = drag.current;
          if (!d) return;
          drag.current = null;
          (e.currentTarget as HTMLElement).releasePointerCapture(e.pointerId);
          setHeight(clamp(d.h - (e.clientY - d.y)));
          setLive(null);
        }}
        onDoubleClick={(e) => { if (!(e.target as HTMLElement).closest('button')) setCollapsed(!collapsed); }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowUp') { e.preventDefault(); setHeight(clamp(h + STEP)); }
          if (e.key === 'ArrowDown') { e.preventDefault(); setHeight(clamp(h - STEP)); }
        }}>
        <span className="split-grip" aria-hidden="true" />
        <span className="split-title">{title}</span>
        {hasDetail ? (
          <button type="button" className="btn small split-toggle" aria-expanded={!collapsed} data-testid={testId ? `${testId}-toggle` : undefined}
            onClick={() => setCollapsed(!collapsed)}>{collapsed ? 'Show detail ▴' : 'Hide ▾'}</button>
        ) : null}
      </div>
      {open ? <div className="split-bottom" style={{ height: h }}>{bottom}</div> : null}
    </div>
  );
}
