/**
 * A virtualized table over a paged source (the engine answers pages of rows;
 * whole lists never cross). TanStack Table holds the columns, sorting and
 * column visibility; TanStack Virtual picks the rows in view; pages of
 * `pageSize` rows are fetched ahead of the view and kept in an LRU of
 * CACHE_ROWS rows.
 *
 * Built for scrolling 100,000 rows at 60 fps (measured with
 * test/e2e/measure-ui.mjs):
 * - only the body re-renders while scrolling (the virtualizer lives there;
 *   the header and the table model do not), and only when the rows in view
 *   change, not on every scroll event;
 * - rows have one fixed height, are never measured, and are memoized on
 *   their data object (stable in the page cache), so a scroll step renders
 *   just the rows entering the view; cells are rendered straight from the
 *   column definitions (no per-row table model);
 * - layout and paint stay inside the body and each row (CSS containment);
 *   rows are flex boxes of fixed-width cells whose widths come from one
 *   per-table stylesheet (a class per column), so a new row costs neither a
 *   grid layout nor an inline style to parse;
 * - pages are fetched in the scroll direction a screen or more before they
 *   are needed; at most MAX_INFLIGHT requests are out at once and the next
 *   one is always for what is wanted now, so dragging the scrollbar across
 *   80,000 rows does not queue a page request per frame in the engine.
 *
 * Keyboard: ↑/↓ move, PageUp/PageDown by a screen, Home/End, Enter activates.
 *
 * Headers: a click (or Enter/Space on a focused header) sorts by the column,
 * ascending first, then flips; the order is the engine's (the view passes it
 * in its query), shown with `aria-sort`. Dragging a header's right edge
 * resizes the column (double-click: back to its default); widths are kept
 * per table (`storageKey`) in localStorage. A cell's whole value is its
 * title, so a cut value shows on hover.
 */
import { memo, useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import {
  columnSizingFeature, columnVisibilityFeature, rowSortingFeature, tableFeatures, useTable,
  type ColumnDef, type RowData, type SortingState, type ColumnVisibilityState as VisibilityState,
} from '@tanstack/react-table';
import { defaultRangeExtractor, useVirtualizer, type Range, type Virtualizer } from '@tanstack/react-virtual';
import type { Page } from '../../../src/api.js';

export const tableFeatureSet = tableFeatures({ columnSizingFeature, columnVisibilityFeature, rowSortingFeature });
export type Features = typeof tableFeatureSet;
export type Col<T extends RowData> = ColumnDef<Features, T, any>;

/**
 * Rows per request by default. A table whose requests cost the same whatever
 * their size (flows: the engine sorts the whole table per request) asks for
 * larger pages; one whose cost grows with the rows (packets: each row is read
 * back from the file) keeps them small, so a jump fills quickly.
 */
export const DEFAULT_PAGE = 200;
/** Rows kept in the page cache (LRU): a few MB. */
const CACHE_ROWS = 20_000;
const ROW_HEIGHT = 26;
const HEAD_HEIGHT = 29;
/** Rows rendered beyond each edge of the view (a fast wheel flick scrolls ~5 rows a frame). */
const OVERSCAN = 12;
/** Fetch the next page once the view is this many rows from its end. */
const READ_AHEAD = 250;
/** Page requests out at once; further pages wait and are re-chosen from the latest view. */
const MAX_INFLIGHT = 2;

const NO_ROWS: never[] = [];

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
  /** Rows per request (DEFAULT_PAGE). */
  pageSize?: number;
  /** Where column widths are remembered (localStorage); default: the label. */
  storageKey?: string;
}

/** Narrowest a column can be dragged to. */
const MIN_WIDTH = 36;
const WIDTH_PREFIX = 'overlayscope.columnWidths.';

function loadWidths(key: string): Record<string, number> {
  try {
    const v = JSON.parse(localStorage.getItem(WIDTH_PREFIX + key) ?? '{}') as unknown;
    if (!v || typeof v !== 'object') return {};
    const out: Record<string, number> = {};
    for (const [k, w] of Object.entries(v as Record<string, unknown>)) if (typeof w === 'number' && Number.isFinite(w) && w >= MIN_WIDTH && w <= 4000) out[k] = Math.round(w);
    return out;
  } catch { return {}; }
}

function saveWidths(key: string, widths: Record<string, number>): void {
  try { localStorage.setItem(WIDTH_PREFIX + key, JSON.stringify(widths)); } catch { /* storage full or denied: widths last for this view only */ }
}

interface Cache<T> {
  key: string;
  pageSize: number;
  total: number | null;
  pages: Map<number, T[]>;
  inflight: Set<number>;
  error: unknown;
}

/** A visible column, reduced to what a cell render needs. */
interface CellColumn<T> {
  id: string;
  className: string;
  value(row: T, index: number): unknown;
  cell: ((ctx: CellContextLite<T>) => ReactNode) | null;
}

/** A cell's whole value as text, for its title (a cut value shows on hover). */
function cellTitle<T>(col: CellColumn<T>, row: T, index: number): string | undefined {
  const v = col.value(row, index);
  return v == null || v === '' ? undefined : String(v);
}
/** The part of TanStack's CellContext our column definitions use. */
interface CellContextLite<T> {
  getValue(): unknown;
  renderValue(): unknown;
  row: { original: T; index: number; id: string };
  column: { id: string };
}

function cellColumn<T extends RowData>(id: string, def: Col<T>): CellColumn<T> {
  const d = def as { accessorFn?: (row: T, index: number) => unknown; accessorKey?: string; cell?: unknown };
  const value = d.accessorFn ?? (d.accessorKey ? (row: T) => (row as Record<string, unknown>)[d.accessorKey!] : () => undefined);
  return { id, className: `dt-td c-${id}${isNumeric(def) ? ' num' : ''}`, value, cell: typeof d.cell === 'function' ? (d.cell as (ctx: CellContextLite<T>) => ReactNode) : null };
}

/** Columns whose `meta.numeric` is set are right-aligned (counts, sizes, times). */
function isNumeric(def: unknown): boolean {
  return !!(def as { meta?: { numeric?: boolean } }).meta?.numeric;
}

function renderCell<T>(col: CellColumn<T>, row: T, index: number, rowId: string): ReactNode {
  const v = col.value(row, index);
  if (!col.cell) return v == null ? '' : String(v);
  return col.cell({ getValue: () => v, renderValue: () => v, row: { original: row, index, id: rowId }, column: { id: col.id } });
}

export function DataTable<T extends RowData>(props: DataTableProps<T>) {
  const { columns, queryKey, rowKey, label } = props;
  const [tick, force] = useState(0);
  const pageSize = props.pageSize ?? DEFAULT_PAGE;
  const cache = useRef<Cache<T>>({ key: '', pageSize, total: null, pages: new Map(), inflight: new Set(), error: null });
  const [selIndex, setSelIndex] = useState<number | null>(null);
  const pendingSelect = useRef<number | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtRef = useRef<Virtualizer<HTMLDivElement, Element> | null>(null);
  const fetchRef = useRef(props.fetchPage);
  fetchRef.current = props.fetchPage;
  const onSelectRef = useRef(props.onSelect);
  onSelectRef.current = props.onSelect;
  const onActivateRef = useRef(props.onActivate);
  onActivateRef.current = props.onActivate;
  const rowKeyRef = useRef(rowKey);
  rowKeyRef.current = rowKey;
  const rowClassRef = useRef(props.rowClass);
  rowClassRef.current = props.rowClass;

  if (cache.current.key !== queryKey || cache.current.pageSize !== pageSize) {
    cache.current = { key: queryKey, pageSize, total: null, pages: new Map(), inflight: new Set(), error: null };
  }
  const c = cache.current;

  /** Pages the view wants, most urgent first (set by the body as it scrolls). */
  const wanted = useRef<number[]>([]);
  const pump = useCallback(() => {
    const cc = cache.current;
    for (const page of wanted.current) {
      if (cc.inflight.size >= MAX_INFLIGHT) return;
      if (page < 0 || cc.pages.has(page) || cc.inflight.has(page)) continue;
      if (cc.total != null && page > 0 && page * cc.pageSize >= cc.total) continue;
      cc.inflight.add(page);
      const key = cc.key;
      fetchRef.current(page * cc.pageSize, cc.pageSize).then(
        (res) => {
          if (cache.current.key !== key) return;
          cc.inflight.delete(page);
          cc.total = res.total;
          cc.pages.set(page, res.rows);
          while (cc.pages.size * cc.pageSize > CACHE_ROWS) {
            const oldest = cc.pages.keys().next().value;
            if (oldest === undefined) break;
            cc.pages.delete(oldest);
          }
          pump();
          force((n) => n + 1);
        },
        (error: unknown) => {
          if (cache.current.key !== key) return;
          cc.inflight.delete(page);
          cc.error = error;
          force((n) => n + 1);
        },
      );
    }
  }, []);
  /** The view wants these pages (most urgent first): keep them in the cache, fetch what is missing. */
  const want = useCallback((pages: number[]) => {
    const cc = cache.current;
    for (const p of pages) {
      const rows = cc.pages.get(p);
      if (rows) { cc.pages.delete(p); cc.pages.set(p, rows); } // most recently used last
    }
    wanted.current = pages;
    pump();
  }, [pump]);
  const load = useCallback((page: number) => want([page, ...wanted.current.filter((p) => p !== page)]), [want]);

  useEffect(() => {
    setSelIndex(null);
    wanted.current = [];
    load(0);
    scrollRef.current?.scrollTo({ top: 0 });
  }, [queryKey, load]);

  const total = c.total ?? 0;
  useEffect(() => { if (c.total != null) props.onTotal?.(c.total); }, [c.total, props.onTotal]);

  const rowAt = useCallback((i: number): T | undefined => {
    const cc = cache.current;
    return cc.pages.get(Math.floor(i / cc.pageSize))?.[i % cc.pageSize];
  }, []);

  // The table model is for columns only (headers, sorting, visibility): no data goes through it.
  const table = useTable({
    features: tableFeatureSet,
    columns,
    data: NO_ROWS as T[],
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
  const visibleColumns = table.getVisibleLeafColumns();
  const storageKey = props.storageKey ?? label;
  const [widths, setWidths] = useState<Record<string, number>>(() => loadWidths(storageKey));
  useEffect(() => { setWidths(loadWidths(storageKey)); }, [storageKey]);
  const widthOf = (col: { id: string; getSize(): number }) => widths[col.id] ?? col.getSize();
  const columnsSig = visibleColumns.map((col) => `${col.id}:${widthOf(col)}`).join(',');
  const cellColumns = useMemo(() => visibleColumns.map((col) => cellColumn(col.id, col.columnDef as Col<T>)),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [columnsSig, columns]);
  // Fixed widths; the last column takes the rest of the row.
  const totalWidth = visibleColumns.reduce((w, col) => w + widthOf(col), 0);
  const resize = useCallback((id: string, w: number | null, persist: boolean) => {
    setWidths((cur) => {
      const next = { ...cur };
      if (w == null) delete next[id]; else next[id] = Math.max(MIN_WIDTH, Math.round(w));
      if (persist) saveWidths(storageKey, next);
      return next;
    });
  }, [storageKey]);
  const sortBy = (id: string) => {
    const cur = (props.sorting ?? [])[0];
    props.onSortingChange?.([{ id, desc: cur?.id === id ? !cur.desc : false }]);
  };
  const tableClass = `dt-t${useId().replace(/[^A-Za-z0-9]/g, '')}`;
  useColumnWidths(tableClass, columnsSig);

  // Select the row at index i once it is loaded.
  const select = useCallback((i: number) => {
    const cc = cache.current;
    if (cc.total == null || cc.total === 0) return;
    const idx = Math.max(0, Math.min(cc.total - 1, i));
    setSelIndex(idx);
    virtRef.current?.scrollToIndex(idx, { align: 'auto' });
    const row = rowAt(idx);
    if (row) { pendingSelect.current = null; onSelectRef.current?.(row, idx); }
    else { pendingSelect.current = idx; load(Math.floor(idx / cc.pageSize)); }
  }, [load, rowAt]);

  useEffect(() => {
    const p = pendingSelect.current;
    if (p == null) return;
    const row = rowAt(p);
    if (row) { pendingSelect.current = null; onSelectRef.current?.(row, p); }
  });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const perScreen = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? 400) - HEAD_HEIGHT) / ROW_HEIGHT) - 1);
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
        if (row) onActivateRef.current?.(row);
        e.preventDefault();
        return;
      }
      default: return;
    }
    e.preventDefault();
    select(next);
  };

  const activate = useCallback((i: number) => { const row = rowAt(i); if (row) onActivateRef.current?.(row); }, [rowAt]);
  const selectedKey = props.selectedKey;
  const isSelected = useCallback((row: T | undefined, i: number) => (row ? (selectedKey != null ? rowKeyRef.current(row) === selectedKey : i === selIndex) : false), [selectedKey, selIndex]);

  return (
    <div className={`dt ${tableClass}`} data-testid={props.testId}>
      <div ref={scrollRef} className="dt-body" tabIndex={0} role="grid" aria-label={label} aria-rowcount={total} onKeyDown={onKeyDown}>
        <div className="dt-head" role="row" style={{ minWidth: totalWidth }}>
          {table.getFlatHeaders().filter((h) => h.column.getIsVisible()).map((h) => {
            const cur = (props.sorting ?? [])[0];
            const sorted = cur?.id === h.column.id ? (cur.desc ? 'desc' : 'asc') : false;
            const canSort = h.column.columnDef.enableSorting !== false && !!props.onSortingChange;
            const id = h.column.id;
            return (
              <div key={h.id} role="columnheader" className={`dt-th c-${id}${isNumeric(h.column.columnDef) ? ' num' : ''}${canSort ? ' sortable' : ''}`}
                aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                tabIndex={canSort ? 0 : undefined}
                onClick={canSort ? () => sortBy(id) : undefined}
                onKeyDown={canSort ? (e) => {
                  if (e.key !== 'Enter' && e.key !== ' ') return;
                  e.preventDefault();
                  e.stopPropagation();
                  sortBy(id);
                } : undefined}
                title={typeof h.column.columnDef.header === 'string' ? `${h.column.columnDef.header}${canSort ? ' (click to sort)' : ''}` : undefined}>
                <span className="dt-th-label"><table.FlexRender header={h} /></span>
                {sorted ? <span className="dt-sort" aria-hidden="true">{sorted === 'asc' ? '▲' : '▼'}</span> : null}
                <ResizeHandle id={id} width={widthOf(h.column)} onResize={resize} />
              </div>
            );
          })}
        </div>
        {c.error ? <div className="dt-error" role="alert">{c.error instanceof Error ? c.error.message : String(c.error)}</div> : null}
        {c.total === 0 && !c.error ? (props.empty ?? <div className="dt-empty">No rows</div>) : null}
        {c.total == null && !c.error ? <div className="dt-empty">Loading…</div> : null}
        <Body<T> total={total} tick={tick} pageSize={pageSize} queryKey={queryKey} scrollRef={scrollRef} virtRef={virtRef} want={want} rowAt={rowAt}
          cellColumns={cellColumns} totalWidth={totalWidth} isSelected={isSelected} rowKeyRef={rowKeyRef} rowClassRef={rowClassRef}
          onPick={select} onActivate={activate} />
      </div>
    </div>
  );
}

/** The drag handle on a header's right edge: pointer capture, width live while dragging, saved on release. */
function ResizeHandle({ id, width, onResize }: { id: string; width: number; onResize(id: string, w: number | null, persist: boolean): void }) {
  const drag = useRef<{ x: number; w: number; last: number } | null>(null);
  return (
    <span className="dt-resize" role="separator" aria-orientation="vertical" aria-label="Resize column" data-col={id}
      onClick={(e) => e.stopPropagation()}
      onDoubleClick={(e) => { e.stopPropagation(); onResize(id, null, true); }}
      onPointerDown={(e) => {
        e.preventDefault();
        e.stopPropagation();
        (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        drag.current = { x: e.clientX, w: width, last: width };
      }}
      onPointerMove={(e) => {
        const d = drag.current;
        if (!d) return;
        d.last = Math.max(MIN_WIDTH, d.w + e.clientX - d.x);
        onResize(id, d.last, false);
      }}
      onPointerUp={(e) => {
        const d = drag.current;
        if (!d) return;
        drag.current = null;
        (e.currentTarget as HTMLElement).releasePointerCapture(e.pointerId);
        onResize(id, d.last, true);
      }} />
  );
}

interface BodyProps<T> {
  total: number;
  pageSize: number;
  /** Bumped when a page arrives. */
  tick: number;
  queryKey: string;
  scrollRef: RefObject<HTMLDivElement | null>;
  virtRef: { current: Virtualizer<HTMLDivElement, Element> | null };
  want(pages: number[]): void;
  rowAt(i: number): T | undefined;
  cellColumns: CellColumn<T>[];
  totalWidth: number;
  isSelected(row: T | undefined, i: number): boolean;
  rowKeyRef: { current: (row: T) => string };
  rowClassRef: { current: ((row: T) => string) | undefined };
  onPick(i: number): void;
  onActivate(i: number): void;
}

/** The rows: the only part that re-renders while scrolling. */
function Body<T>({ total, tick, pageSize, queryKey, scrollRef, virtRef, want, rowAt, cellColumns, totalWidth, isSelected, rowKeyRef, rowClassRef, onPick, onActivate }: BodyProps<T>) {
  // Overscan helps a continuous scroll; after a jump (the scrollbar dragged, End, a click in
  // the track) the rows beyond the view would be rendered for nothing: render the view only.
  const lastStart = useRef(-1);
  const rangeExtractor = useCallback((r: Range) => {
    const jumped = lastStart.current >= 0 && Math.abs(r.startIndex - lastStart.current) > r.endIndex - r.startIndex + 1;
    lastStart.current = r.startIndex;
    return defaultRangeExtractor(jumped ? { ...r, overscan: 0 } : r);
  }, []);
  const virtualizer = useVirtualizer({
    rangeExtractor,
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    scrollMargin: HEAD_HEIGHT,
    scrollPaddingStart: HEAD_HEIGHT,
    // Re-render only when the range of rows changes, not on every scroll event.
    directDomUpdates: true,
  });
  useLayoutEffect(() => { virtRef.current = virtualizer; });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items.length ? items[0]!.index : 0;
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;

  // Fetch what is in view, then read ahead in the direction of travel.
  const lastFirst = useRef(0);
  useEffect(() => {
    if (lastIndex < 0) return;
    const down = firstIndex >= lastFirst.current;
    lastFirst.current = firstIndex;
    // The rows in view first, then the read-ahead in the direction of travel, then the other way.
    const pages: number[] = [];
    const add = (from: number, to: number) => {
      const step = from <= to ? 1 : -1;
      for (let p = from; step > 0 ? p <= to : p >= to; p += step) if (!pages.includes(p)) pages.push(p);
    };
    const first = Math.floor(firstIndex / pageSize);
    const last = Math.floor(lastIndex / pageSize);
    const ahead = Math.floor(Math.min(total - 1, lastIndex + READ_AHEAD) / pageSize);
    const behind = Math.floor(Math.max(0, firstIndex - READ_AHEAD) / pageSize);
    add(first, last);
    if (down) { add(last, ahead); add(first, behind); } else { add(first, behind); add(last, ahead); }
    want(pages);
  }, [firstIndex, lastIndex, want, queryKey, total, tick, pageSize]);

  const rowKey = rowKeyRef.current;
  const rowClass = rowClassRef.current;
  return (
    <div className="dt-rows" style={{ height: virtualizer.getTotalSize(), minWidth: totalWidth }}>
      {items.map((it) => {
        const row = rowAt(it.index);
        return (
          <DataRow<T> key={it.key} index={it.index} start={it.start - HEAD_HEIGHT} row={row} rowId={row ? rowKey(row) : ''}
            selected={isSelected(row, it.index)} columns={cellColumns}
            extraClass={row && rowClass ? rowClass(row) : ''} onPick={onPick} onActivate={onActivate} />
        );
      })}
    </div>
  );
}

interface DataRowProps<T> {
  index: number;
  start: number;
  row: T | undefined;
  rowId: string;
  selected: boolean;
  columns: CellColumn<T>[];
  extraClass: string;
  onPick(i: number): void;
  onActivate(i: number): void;
}

/** One rendered row; memoized on its data object, so scrolling renders only rows entering the view. */
const DataRow = memo(function DataRow<T>({ index, start, row, rowId, selected, columns, extraClass, onPick, onActivate }: DataRowProps<T>) {
  return (
    <div role="row" aria-rowindex={index + 1} aria-selected={selected}
      className={`dt-row${index % 2 ? ' odd' : ''}${selected ? ' selected' : ''}${extraClass ? ` ${extraClass}` : ''}${row ? '' : ' loading'}`}
      style={{ transform: `translateY(${start}px)` }}
      onClick={() => onPick(index)}
      onDoubleClick={() => onActivate(index)}>
      {row ? columns.map((col) => (
        <div key={col.id} role="gridcell" className={col.className} title={cellTitle(col, row, index)}>{renderCell(col, row, index, rowId)}</div>
      )) : <div className="dt-td dt-placeholder" />}
    </div>
  );
}) as <T>(p: DataRowProps<T>) => ReactNode;

/**
 * Column widths as one stylesheet per table (`.dt-tX .c-<column> { width }`),
 * adopted by the document: rows carry class names only. Constructed
 * stylesheets are CSSOM, allowed under the app's style-src 'self'.
 */
function useColumnWidths(tableClass: string, columnsSig: string): void {
  const sheet = useMemo(() => new CSSStyleSheet(), []);
  useLayoutEffect(() => {
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    return () => { document.adoptedStyleSheets = document.adoptedStyleSheets.filter((x) => x !== sheet); };
  }, [sheet]);
  useLayoutEffect(() => {
    const cols = columnsSig ? columnsSig.split(',').map((c) => { const i = c.lastIndexOf(':'); return { id: c.slice(0, i), w: Number(c.slice(i + 1)) }; }) : [];
    sheet.replaceSync(cols.map((c, i) => {
      // The last column takes the rest of the row.
      const flex = i === cols.length - 1 ? `1 0 ${c.w}px` : `0 0 ${c.w}px`;
      return `.${tableClass} .c-${CSS.escape(c.id)} { flex: ${flex}; width: ${c.w}px; }`;
    }).join('\n'));
  }, [sheet, tableClass, columnsSig]);
}

/** A column chooser: checkboxes over the table's hideable columns. */
export function ColumnChooser({ columns, visibility, onChange }: {
  columns: Array<{ id: string; label: string }>; visibility: VisibilityState; onChange(v: VisibilityState): void;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  usePopoverClose(open, ref, () => setOpen(false));
  return (
    <div className="chooser" ref={ref}>
      <button type="button" className="btn" aria-expanded={open} aria-haspopup="true" onClick={() => setOpen((o) => !o)}>Columns ▾</button>
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

/** Closes a popover on Escape and on a press outside `ref` (while open). */
export function usePopoverClose(open: boolean, ref: RefObject<HTMLElement | null>, close: () => void): void {
  const closeRef = useRef(close);
  closeRef.current = close;
  useEffect(() => {
    if (!open) return;
    const onKey = (e: globalThis.KeyboardEvent) => { if (e.key === 'Escape') { e.stopPropagation(); closeRef.current(); } };
    const onDown = (e: PointerEvent) => { if (ref.current && !ref.current.contains(e.target as Node)) closeRef.current(); };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerdown', onDown, true);
    return () => { document.removeEventListener('keydown', onKey, true); document.removeEventListener('pointerdown', onDown, true); };
  }, [open, ref]);
}
