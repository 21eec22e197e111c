/**
 * The layer tree of one packet (a WAI-ARIA tree): layers open, fields
 * closed until asked. Selecting a row highlights its bytes in the hex dump.
 *
 * Keyboard (focus on the tree): ↑/↓ move between visible rows, → opens a
 * row (or moves to its first child when open), ← closes it (or moves to its
 * parent), Home/End go to the first/last row, Enter or Space toggles.
 *
 * A row whose field has a display-filter name (FieldNode.filter, set by the
 * engine's describe.ts) offers Wireshark's "Apply as filter" and "Prepare as
 * filter": right-click the row, or the context-menu key / Shift+F10 on the
 * selected row; ↑/↓ move in the menu, Enter picks, Escape closes it.
 */
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { FieldNode, LayerNode } from '../../../src/api.js';

/** One row as the keyboard sees it: the visible rows of the tree, in order. */
export interface TreeRow {
  /** "2" for the third layer, "2.0.1" for a field's child. */
  key: string;
  parent: string | null;
  hasKids: boolean;
  open: boolean;
  start: number;
  length: number;
}

/** Open state: layers open and fields closed by default; `overrides` holds what the user toggled. */
export function isOpen(key: string, overrides: ReadonlyMap<string, boolean>): boolean {
  return overrides.get(key) ?? !key.includes('.');
}

export function visibleRows(layers: readonly LayerNode[], overrides: ReadonlyMap<string, boolean>): TreeRow[] {
  const out: TreeRow[] = [];
  const walkFields = (fields: readonly FieldNode[], parent: string) => {
    fields.forEach((f, i) => {
      const key = `${parent}.${i}`;
      const kids = f.children ?? [];
      const open = kids.length > 0 && isOpen(key, overrides);
      out.push({ key, parent, hasKids: kids.length > 0, open, start: f.start, length: f.length });
      if (open) walkFields(kids, key);
    });
  };
  layers.forEach((l, i) => {
    const key = String(i);
    const open = l.fields.length > 0 && isOpen(key, overrides);
    out.push({ key, parent: null, hasKids: l.fields.length > 0, open, start: l.start, length: l.length });
    if (open) walkFields(l.fields, key);
  });
  return out;
}

/** The display filter of the row at `key` (its field's value, or its protocol), or null. */
export function filterOf(layers: readonly LayerNode[], key: string): string | null {
  const parts = key.split('.').map(Number);
  const layer = layers[parts[0]!];
  if (!layer) return null;
  if (parts.length === 1) return layer.filter ?? null;
  let list: FieldNode[] | undefined = layer.fields;
  let node: FieldNode | undefined;
  for (let d = 1; d < parts.length; d++) {
    node = list?.[parts[d]!];
    if (!node) return null;
    list = node.children;
  }
  return node?.filter ?? null;
}

/** How a row's filter is used: applied alone, typed into the bar, or combined with the filter applied now. */
export type FilterUse = 'apply' | 'prepare' | 'and' | 'or' | 'not';

/** The filter text for a use of `text` next to the applied filter `current`. */
export function combineFilter(use: FilterUse, text: string, current: string): string {
  const cur = current.trim();
  switch (use) {
    case 'apply': case 'prepare': return text;
    case 'not': return cur ? `(${cur}) && !(${text})` : `!(${text})`;
    case 'and': return cur ? `(${cur}) && ${text}` : text;
    case 'or': return cur ? `(${cur}) || ${text}` : text;
  }
}

const MENU: Array<[FilterUse, string]> = [
  ['apply', 'Apply as filter'], ['prepare', 'Prepare as filter'], ['and', 'Apply: …and selected'], ['or', 'Apply: …or selected'], ['not', 'Apply: …and not selected'],
];

/** The byte range of the row at `key` in this packet, or null when it has no such row. */
export function rangeOf(layers: readonly LayerNode[], key: string): { start: number; length: number } | null {
  const parts = key.split('.').map(Number);
  const layer = layers[parts[0]!];
  if (!layer) return null;
  let node: { start: number; length: number; children?: FieldNode[] | undefined; fields?: FieldNode[] } = layer;
  for (let d = 1; d < parts.length; d++) {
    const list: FieldNode[] | undefined = d === 1 ? layer.fields : node.children;
    const next = list?.[parts[d]!];
    if (!next) return null;
    node = next;
  }
  return { start: node.start, length: node.length };
}

export interface LayerTreeProps {
  layers: readonly LayerNode[];
  selected: string | null;
  onSelect(key: string): void;
  overrides: ReadonlyMap<string, boolean>;
  onToggle(key: string, open: boolean): void;
  /** "Apply as filter" and its kin: the filter text to apply (or, for 'prepare', to put in the filter bar). Without it, no menu. */
  onFilter?(text: string, use: FilterUse): void;
  /** The filter applied now (for …and/…or selected). */
  currentFilter?: string;
}

export function LayerTree({ layers, selected, onSelect, overrides, onToggle, onFilter, currentFilter = '' }: LayerTreeProps) {
  const idBase = useId();
  const rowId = (key: string) => `${idBase}-row-${key}`;
  const rows = useMemo(() => visibleRows(layers, overrides), [layers, overrides]);
  const treeRef = useRef<HTMLUListElement>(null);
  const [menu, setMenu] = useState<{ key: string; x: number; y: number } | null>(null);

  const openMenu = (key: string, x: number, y: number): void => {
    if (!onFilter) return;
    onSelect(key);
    setMenu({ key, x, y });
  };
  const closeMenu = (): void => { setMenu(null); treeRef.current?.focus({ preventScroll: true }); };

  // Keep the selected row in view as the keyboard moves it.
  useEffect(() => {
    if (selected == null) return;
    // The row itself, not its <li> (an open layer's <li> holds all its fields).
    document.getElementById(rowId(selected))?.firstElementChild?.scrollIntoView({ block: 'nearest' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (!rows.length) return;
    if ((e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) && onFilter) {
      const key = selected ?? rows[0]!.key;
      const r = document.getElementById(rowId(key))?.firstElementChild?.getBoundingClientRect();
      openMenu(key, r ? r.left + 24 : 0, r ? r.bottom : 0);
      e.preventDefault();
      return;
    }
    const i = selected == null ? -1 : rows.findIndex((r) => r.key === selected);
    const cur = i >= 0 ? rows[i]! : null;
    const go = (j: number) => onSelect(rows[Math.max(0, Math.min(rows.length - 1, j))]!.key);
    switch (e.key) {
      case 'ArrowDown': go(i + 1); break;
      case 'ArrowUp': go(i < 0 ? 0 : i - 1); break;
      case 'Home': go(0); break;
      case 'End': go(rows.length - 1); break;
      case 'ArrowRight':
        if (!cur) go(0);
        else if (cur.hasKids && !cur.open) onToggle(cur.key, true);
        else if (cur.open) go(i + 1);
        break;
      case 'ArrowLeft':
        if (!cur) go(0);
        else if (cur.open) onToggle(cur.key, false);
        else if (cur.parent != null) onSelect(cur.parent);
        break;
      case 'Enter': case ' ':
        if (cur?.hasKids) onToggle(cur.key, !cur.open);
        break;
      default: return;
    }
    e.preventDefault();
  };

  const ctx: ItemCtx = {
    selected, overrides, rowId, onSelect: (k) => { onSelect(k); treeRef.current?.focus({ preventScroll: true }); }, onToggle,
    onContextMenu: (k, x, y) => openMenu(k, x, y),
  };
  return (
    <>
      <ul ref={treeRef} className="tree" role="tree" aria-label="Layers" data-testid="layer-tree" tabIndex={0}
        aria-activedescendant={selected != null ? rowId(selected) : undefined} onKeyDown={onKeyDown}>
        {layers.map((l, i) => <LayerItem key={i} layer={l} path={String(i)} ctx={ctx} />)}
      </ul>
      {menu && onFilter ? (
        <FilterMenu x={menu.x} y={menu.y} text={filterOf(layers, menu.key)} onClose={closeMenu}
          onPick={(use, text) => { setMenu(null); onFilter(combineFilter(use, text, currentFilter), use); }} />
      ) : null}
    </>
  );
}

/** The row's filter menu (role=menu): focus moves into it, ↑/↓ between items, Enter picks, Escape or a press outside closes it. */
function FilterMenu({ x, y, text, onPick, onClose }: { x: number; y: number; text: string | null; onPick(use: FilterUse, text: string): void; onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  // Once, when it opens: focus into the menu; a press outside closes it.
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('[role=menuitem]:not([disabled])')?.focus();
    const away = (e: MouseEvent): void => { if (!ref.current?.contains(e.target as Node)) close.current(); };
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, []);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const items = [...(ref.current?.querySelectorAll<HTMLButtonElement>('[role=menuitem]:not([disabled])') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
    else if (e.key === 'Escape' || e.key === 'Tab') onClose();
    else return;
    e.preventDefault();
  };
  const left = Math.max(0, Math.min(x, window.innerWidth - 300));
  const top = Math.max(0, Math.min(y, window.innerHeight - 200));
  return (
    <div ref={ref} role="menu" aria-label="Filter" data-testid="filter-menu" onKeyDown={onKeyDown}
      style={{ position: 'fixed', left, top, zIndex: 50, minWidth: 240, maxWidth: 420, padding: 4, background: 'var(--panel, #fff)', color: 'inherit', border: '1px solid var(--border, #888)', borderRadius: 6, boxShadow: '0 4px 16px rgba(0,0,0,.25)' }}>
      <div className="muted small" data-testid="filter-menu-text" style={{ padding: '2px 8px 4px', fontFamily: 'var(--mono, monospace)', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={text ?? ''}>
        {text ?? 'this row has no filter field'}
      </div>
      {MENU.map(([use, label]) => (
        <button key={use} type="button" role="menuitem" className="btn" disabled={!text} data-testid={`filter-menu-${use}`}
          style={{ display: 'block', width: '100%', textAlign: 'left', margin: '1px 0', border: 'none', background: 'transparent' }}
          onClick={() => { if (text) onPick(use, text); }}>{label}</button>
      ))}
    </div>
  );
}

interface ItemCtx {
  selected: string | null;
  overrides: ReadonlyMap<string, boolean>;
  rowId(key: string): string;
  onSelect(key: string): void;
  onToggle(key: string, open: boolean): void;
  onContextMenu(key: string, x: number, y: number): void;
}

function LayerItem({ layer, path, ctx }: { layer: LayerNode; path: string; ctx: ItemCtx }) {
  const open = isOpen(path, ctx.overrides);
  const selected = ctx.selected === path;
  return (
    <li role="treeitem" id={ctx.rowId(path)} aria-level={1} aria-expanded={layer.fields.length ? open : undefined} aria-selected={selected}>
      <div className={`tree-row layer${selected ? ' selected' : ''}`} onClick={() => ctx.onSelect(path)}
        onContextMenu={(e) => { e.preventDefault(); ctx.onContextMenu(path, e.clientX, e.clientY); }} title={layer.filter ? `filter: ${layer.filter}` : undefined}>
        <button type="button" className="twisty" tabIndex={-1} aria-label={open ? 'collapse' : 'expand'} onClick={(e) => { e.stopPropagation(); ctx.onToggle(path, !open); }}>{open ? '▾' : '▸'}</button>
        <span className={`tag tag-${layer.layer}`}>{layer.layer}</span> {layer.title}
      </div>
      {open && layer.fields.length ? (
        <ul role="group">{layer.fields.map((f, i) => <FieldItem key={i} f={f} path={`${path}.${i}`} level={2} ctx={ctx} />)}</ul>
      ) : null}
    </li>
  );
}

function FieldItem({ f, path, level, ctx }: { f: FieldNode; path: string; level: number; ctx: ItemCtx }) {
  const kids = f.children ?? [];
  const open = kids.length > 0 && isOpen(path, ctx.overrides);
  const selected = ctx.selected === path;
  return (
    <li role="treeitem" id={ctx.rowId(path)} aria-level={level} aria-selected={selected} {...(kids.length ? { 'aria-expanded': open } : {})}>
      <div className={`tree-row${selected ? ' selected' : ''}`} data-testid="field" onClick={() => ctx.onSelect(path)}
        onContextMenu={(e) => { e.preventDefault(); ctx.onContextMenu(path, e.clientX, e.clientY); }} title={f.filter ? `filter: ${f.filter}` : undefined}>
        {kids.length ? <button type="button" className="twisty" tabIndex={-1} aria-label={open ? 'collapse' : 'expand'} onClick={(e) => { e.stopPropagation(); ctx.onToggle(path, !open); }}>{open ? '▾' : '▸'}</button> : <span className="twisty" />}
        <span className="field-name">{f.name}:</span> <span className="field-value">{f.value}</span>
      </div>
      {open && kids.length ? <ul role="group">{kids.map((k, i) => <FieldItem key={i} f={k} path={`${path}.${i}`} level={level + 1} ctx={ctx} />)}</ul> : null}
    </li>
  );
}
