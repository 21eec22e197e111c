/**
 * The layer tree of one packet (a WAI-ARIA tree): layers open, fields
 * closed until asked. Selecting a row highlights its bytes in the hex dump.
 *
 * Keyboard (focus on the tree): ↑/↓ move between visible rows, → opens a
 * row (or moves to its first child when open), ← closes it (or moves to its
 * parent), Home/End go to the first/last row, Enter or Space toggles.
 */
import { useEffect, useId, useMemo, useRef, type KeyboardEvent } from 'react';
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
}

export function LayerTree({ layers, selected, onSelect, overrides, onToggle }: LayerTreeProps) {
  const idBase = useId();
  const rowId = (key: string) => `${idBase}-row-${key}`;
  const rows = useMemo(() => visibleRows(layers, overrides), [layers, overrides]);
  const treeRef = useRef<HTMLUListElement>(null);

  // Keep the selected row in view as the keyboard moves it.
  useEffect(() => {
    if (selected == null) return;
    // The row itself, not its <li> (an open layer's <li> holds all its fields).
    document.getElementById(rowId(selected))?.firstElementChild?.scrollIntoView({ block: 'nearest' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (!rows.length) return;
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

  const ctx: ItemCtx = { selected, overrides, rowId, onSelect: (k) => { onSelect(k); treeRef.current?.focus({ preventScroll: true }); }, onToggle };
  return (
    <ul ref={treeRef} className="tree" role="tree" aria-label="Layers" data-testid="layer-tree" tabIndex={0}
      aria-activedescendant={selected != null ? rowId(selected) : undefined} onKeyDown={onKeyDown}>
      {layers.map((l, i) => <LayerItem key={i} layer={l} path={String(i)} ctx={ctx} />)}
    </ul>
  );
}

interface ItemCtx {
  selected: string | null;
  overrides: ReadonlyMap<string, boolean>;
  rowId(key: string): string;
  onSelect(key: string): void;
  onToggle(key: string, open: boolean): void;
}

function LayerItem({ layer, path, ctx }: { layer: LayerNode; path: string; ctx: ItemCtx }) {
  const open = isOpen(path, ctx.overrides);
  const selected = ctx.selected === path;
  return (
    <li role="treeitem" id={ctx.rowId(path)} aria-level={1} aria-expanded={layer.fields.length ? open : undefined} aria-selected={selected}>
      <div className={`tree-row layer${selected ? ' selected' : ''}`} onClick={() => ctx.onSelect(path)}>
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
      <div className={`tree-row${selected ? ' selected' : ''}`} data-testid="field" onClick={() => ctx.onSelect(path)}>
        {kids.length ? <button type="button" className="twisty" tabIndex={-1} aria-label={open ? 'collapse' : 'expand'} onClick={(e) => { e.stopPropagation(); ctx.onToggle(path, !open); }}>{open ? '▾' : '▸'}</button> : <span className="twisty" />}
        <span className="field-name">{f.name}:</span> <span className="field-value">{f.value}</span>
      </div>
      {open && kids.length ? <ul role="group">{kids.map((k, i) => <FieldItem key={i} f={k} path={`${path}.${i}`} level={level + 1} ctx={ctx} />)}</ul> : null}
    </li>
  );
}
