/**
 * A virtualized table over a paged source (the engine answers pages of rows;
 * whole lists never cross). TanStack Table holds the columns, sorting and
 * column visibility; TanStack Virtual renders only the rows in view; pages
 * of PAGE rows are fetched as the view reaches them and kept in a small LRU.
 *
 * Keyboard: ↑/↓ move, PageUp/PageDown by a screen, Home/End, Enter activates.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import {
  columnSizingFeature, columnVisibilityFeature, rowSortingFeature, tableFeatures, useTable,
  type ColumnDef, type RowData, type SortingState, type ColumnVisibilityState as VisibilityState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Page } from '../../../src/api.js';

export const tableFeatureSet = tableFeatures({ columnSizingFeature, columnVisibilityFeature, rowSortingFeature });
export type Features = typeof tableFeatureSet;
export type Col<T extends RowData> = ColumnDef<Features, T, any>;

const PAGE = 200;
const MAX_PAGES = 10;
const ROW_HEIGHT = 26;
const HEAD_HEIGHT = 29;

export interface DataTableProps<T extends RowData> {
  columns: Col<T>[];
  /** Changes when the query (filters, sort, session) changes: the cache is dropped. */
  queryKey: string;
  fetchPage(offset: number, limit: number): Promise<Page<T>>;
  rowKey(row: T): string;
  selectedKey?: string | null;
  onSelect?(row: T, index: number): void;
  onActivate?(row: T): void;
  sorting?: SortingState;
  onSortingChange?(s: SortingState): void;
  columnVisibility?: VisibilityState;
  onColumnVisibilityChange?(v: VisibilityState): void;
  rowClass?(row: T): string;
  label: string;
  testId?: string;
  empty?: ReactNode;
  onTotal?(total: number): void;
}

interface Cache<T> {
  key: string;
  total: number | null;
  pages: Map<number, T[]>;
  inflight: Set<number>;
  error: unknown;
}

export function DataTable<T extends RowData>(props: DataTableProps<T>) {
  const { columns, queryKey, fetchPage, rowKey, onSelect, onActivate, label } = props;
  const [tick, force] = useState(0);
  const cache = useRef<Cache<T>>({ key: '', total: null, pages: new Map(), inflight: new Set(), error: null });
  const [selIndex, setSelIndex] = useState<number | null>(null);
  const pendingSelect = useRef<number | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const onActivateRef = useRef(onActivate);
  onActivateRef.current = onActivate;
  const activate = useCallback((row: T) => onActivateRef.current?.(row), []);

  if (cache.current.key !== queryKey) {
    cache.current = { key: queryKey, total: null, pages: new Map(), inflight: new Set(), error: null };
  }
  const c = cache.current;

  const load = useCallback((page: number) => {
    const cc = cache.current;
    if (cc.pages.has(page) || cc.inflight.has(page)) return;
    cc.inflight.add(page);
    const key = cc.key;
    fetchRef.current(page * PAGE, PAGE).then(
      (res) => {
        if (cache.current.key !== key) return;
        cc.inflight.delete(page);
        cc.total = res.total;
        cc.pages.set(page, res.rows);
        if (cc.pages.size > MAX_PAGES) {
          const first = cc.pages.keys().next().value;
          if (first !== undefined) cc.pages.delete(first);
        }
        force((n) => n + 1);
      },
      (error: unknown) => {
        if (cache.current.key !== key) return;
        cc.inflight.delete(page);
        cc.error = error;
        force((n) => n + 1);
      },
    );
  }, []);

  useEffect(() => {
    setSelIndex(null);
    load(0);
    scrollRef.current?.scrollTo({ top: 0 });
  }, [queryKey, load]);

  const total = c.total ?? 0;
  useEffect(() => { if (c.total != null) props.onTotal?.(c.total); }, [c.total, props.onTotal]);

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    scrollMargin: HEAD_HEIGHT,
    scrollPaddingStart: HEAD_HEIGHT,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items.length ? items[0]!.index : 0;
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;

  useEffect(() => {
    if (lastIndex < 0) return;
    const first = Math.floor(firstIndex / PAGE);
    const last = Math.floor(lastIndex / PAGE);
    for (let p = first; p <= last; p++) load(p);
    // Read ahead in the direction the user is likely to go.
    if (lastIndex % PAGE > PAGE / 2 && (last + 1) * PAGE < (cache.current.total ?? 0)) load(last + 1);
    if (firstIndex % PAGE < PAGE / 2 && first > 0) load(first - 1);
  }, [firstIndex, lastIndex, load, queryKey]);

  const rowAt = (i: number): T | undefined => c.pages.get(Math.floor(i / PAGE))?.[i % PAGE];

  // Every loaded row, in page order, for TanStack's row model: it changes when a page
  // arrives, not on every scroll, so rendered rows stay memoized while scrolling.
  const data = useMemo(() => {
    const out: T[] = [];
    for (const p of [...c.pages.keys()].sort((a, b) => a - b)) out.push(...c.pages.get(p)!);
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, queryKey]);

  const table = useTable({
    features: tableFeatureSet,
    columns,
    data,
    getRowId: (row: T) => rowKey(row),
    manualSorting: true,
    state: {
      sorting: props.sorting ?? [],
      columnVisibility: props.columnVisibility ?? {},
    },
    onSortingChange: (u) => {
      const next = typeof u === 'function' ? u(props.sorting ?? []) : u;
      props.onSortingChange?.(next);
    },
    onColumnVisibilityChange: (u) => {
      const next = typeof u === 'function' ? u(props.columnVisibility ?? {}) : u;
      props.onColumnVisibilityChange?.(next);
    },
  });
  const modelRows = table.getRowModel().rows;
  const rowById = useMemo(() => new Map(modelRows.map((r) => [r.id, r])), [modelRows]);
  const visibleColumns = table.getVisibleLeafColumns();
  // Fixed widths; the last column takes the rest of the row.
  const grid = visibleColumns.map((col, i) => (i === visibleColumns.length - 1 ? `minmax(${col.getSize()}px, 1fr)` : `${col.getSize()}px`)).join(' ');

  // Select the row at index i once it is loaded.
  const select = useCallback((i: number) => {
    const cc = cache.current;
    if (cc.total == null || cc.total === 0) return;
    const idx = Math.max(0, Math.min(cc.total - 1, i));
    setSelIndex(idx);
    virtualizer.scrollToIndex(idx, { align: 'auto' });
    const row = cc.pages.get(Math.floor(idx / PAGE))?.[idx % PAGE];
    if (row) { pendingSelect.current = null; onSelectRef.current?.(row, idx); }
    else { pendingSelect.current = idx; load(Math.floor(idx / PAGE)); }
  }, [virtualizer, load]);

  useEffect(() => {
    const p = pendingSelect.current;
    if (p == null) return;
    const row = rowAt(p);
    if (row) { pendingSelect.current = null; onSelect?.(row, p); }
  });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const perScreen = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    const cur = selIndex ?? -1;
    let next: number | null = null;
    switch (e.key) {
      case 'ArrowDown': next = cur + 1; break;
      case 'ArrowUp': next = Math.max(0, cur - 1); break;
      case 'PageDown': next = cur + perScreen; break;
      case 'PageUp': next = Math.max(0, cur - perScreen); break;
      case 'Home': next = 0; break;
      case 'End': next = total - 1; break;
      case 'Enter': {
        const row = selIndex != null ? rowAt(selIndex) : undefined;
        if (row) onActivate?.(row);
        e.preventDefault();
        return;
      }
      default: return;
    }
    e.preventDefault();
    select(next);
  };

  const selectedKey = props.selectedKey;
  const totalWidth = visibleColumns.reduce((w, col) => w + col.getSize(), 0);
  return (
    <div className="dt" data-testid={props.testId}>
      <div ref={scrollRef} className="dt-body" tabIndex={0} role="grid" aria-label={label} aria-rowcount={total}
        onKeyDown={onKeyDown}>
        <div className="dt-head" role="row" style={{ gridTemplateColumns: grid, minWidth: totalWidth }}>
          {table.getFlatHeaders().filter((h) => h.column.getIsVisible()).map((h) => {
            const sorted = h.column.getIsSorted();
            const canSort = h.column.getCanSort() && !!props.onSortingChange;
            return (
              <div key={h.id} role="columnheader" className={`dt-th${canSort ? ' sortable' : ''}`}
                aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                onClick={canSort ? h.column.getToggleSortingHandler() : undefined}
                title={typeof h.column.columnDef.header === 'string' ? h.column.columnDef.header : undefined}>
                <table.FlexRender header={h} />
                {sorted ? <span className="dt-sort">{sorted === 'asc' ? '▲' : '▼'}</span> : null}
              </div>
            );
          })}
        </div>
        {c.error ? <div className="dt-error" role="alert">{c.error instanceof Error ? c.error.message : String(c.error)}</div> : null}
        {c.total === 0 && !c.error ? (props.empty ?? <div className="dt-empty">No rows</div>) : null}
        {c.total == null && !c.error ? <div className="dt-empty">Loading…</div> : null}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: totalWidth }}>
          {items.map((it) => {
            const row = rowAt(it.index);
            const r = row ? rowById.get(rowKey(row)) : undefined;
            const selected = row ? (selectedKey != null ? rowKey(row) === selectedKey : it.index === selIndex) : false;
            return (
              <DataRow key={it.key} index={it.index} start={it.start - HEAD_HEIGHT} grid={grid} selected={selected} row={r}
                columnsKey={visibleColumns.length} table={table}
                extraClass={row && props.rowClass ? props.rowClass(row) : ''} onPick={select} onActivate={activate as (row: never) => void} />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface DataRowProps {
  index: number;
  start: number;
  grid: string;
  selected: boolean;
  row: { original: unknown; getVisibleCells(): Array<{ id: string }> } | undefined;
  columnsKey: number;
  table: { FlexRender: (p: { cell: never }) => ReactNode };
  extraClass: string;
  onPick(i: number): void;
  onActivate: ((row: never) => void) | undefined;
}

/** One rendered row; memoized so scrolling re-renders only rows whose position or data changed. */
const DataRow = memo(function DataRow({ index, start, grid, selected, row, table, extraClass, onPick, onActivate }: DataRowProps) {
  return (
    <div role="row" aria-rowindex={index + 1} aria-selected={selected}
      className={`dt-row${index % 2 ? ' odd' : ''}${selected ? ' selected' : ''}${extraClass ? ` ${extraClass}` : ''}`}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT, gridTemplateColumns: grid }}
      onClick={() => onPick(index)}
      onDoubleClick={() => { if (row) onActivate?.(row.original as never); }}>
      {row ? row.getVisibleCells().map((cell) => (
        <div key={cell.id} role="gridcell" className="dt-td"><table.FlexRender cell={cell as never} /></div>
      )) : <div className="dt-td dt-placeholder">…</div>}
    </div>
  );
});

/** A column chooser: checkboxes over the table's hideable columns. */
export function ColumnChooser({ columns, visibility, onChange }: {
  columns: Array<{ id: string; label: string }>; visibility: VisibilityState; onChange(v: VisibilityState): void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <div className="chooser">
      <button type="button" className="btn" aria-expanded={open} onClick={() => setOpen((o) => !o)}>Columns ▾</button>
      {open ? (
        <div className="chooser-menu" role="menu">
          {columns.map((c) => (
            <label key={c.id} className="chooser-item">
              <input type="checkbox" checked={visibility[c.id] !== false}
                onChange={(e) => onChange({ ...visibility, [c.id]: e.target.checked })} /> {c.label}
            </label>
          ))}
        </div>
      ) : null}
    </div>
  );
}
