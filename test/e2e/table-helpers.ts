/**
 * Reading the virtualized tables (renderer/src/components/DataTable.tsx) in
 * the e2e tests: the rows in view with each cell's whole value (its title),
 * and a check that a header click sorts them.
 */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export interface ViewRow { index: number; text: string; cells: Record<string, string> }

/** The loaded rows in view, in order, with every visible cell's whole value. */
export async function rowsInView(page: Page, table: string): Promise<ViewRow[]> {
  return page.$$eval(`[data-testid=${table}] [role=row][aria-rowindex]:not(.loading)`, (els) => els.map((el) => {
    const cells: Record<string, string> = {};
    for (const c of Array.from(el.querySelectorAll('[role=gridcell]'))) {
      const id = Array.from(c.classList).find((k) => k.startsWith('c-'))?.slice(2);
      if (id) cells[id] = c.getAttribute('title') ?? (c.textContent ?? '').trim();
    }
    return { index: Number(el.getAttribute('aria-rowindex')), text: (el.textContent ?? '').trim(), cells };
  }).sort((a, b) => a.index - b.index));
}

/** Ids of the sortable columns shown, left to right. */
export async function sortableColumns(page: Page, table: string): Promise<Array<{ id: string; numeric: boolean }>> {
  return page.$$eval(`[data-testid=${table}] [role=columnheader].sortable`, (els) => els.map((el) => ({
    id: Array.from(el.classList).find((k) => k.startsWith('c-'))!.slice(2),
    numeric: el.classList.contains('num'),
  })));
}

const EMPTY = new Set(['', '—', 'no response', 'no answer']);
const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, 'µs': 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600 };
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** A shown value as what it orders by: a number with its unit ("1.2 KB", "3.40 ms", "1,234"), else the text. */
export function sortValue(v: string, numeric: boolean): number | string | null {
  const t = v.trim();
  if (EMPTY.has(t)) return null;
  if (numeric) {
    const m = /^(-?[\d,]*\.?\d+)\s*(B|KB|MB|GB|TB|µs|ms|s|min|h)?$/.exec(t);
    if (m) return Number(m[1]!.replace(/,/g, '')) * (m[2] ? UNITS[m[2]]! : 1);
  }
  return t;
}

/** Negative, zero or positive as a sorts before, with or after b; empty values last in either direction. */
export function compareShown(a: number | string | null, b: number | string | null, dir: 1 | -1): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const c = typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
  return c * dir;
}

/** Waits until the header shows `sort` and the first row of the new order has loaded. */
async function settle(page: Page, table: string, col: string, sort: 'ascending' | 'descending'): Promise<void> {
  await page.waitForSelector(`[data-testid=${table}] [role=columnheader].c-${col}[aria-sort=${sort}]`, { timeout: 30_000 });
  await page.waitForSelector(`[data-testid=${table}] [role=row][aria-rowindex="1"]:not(.loading)`, { timeout: 60_000 });
  // Pages arrive one request at a time: let the rows in view fill.
  await page.waitForTimeout(150);
  await page.waitForFunction((t) => !document.querySelector(`[data-testid=${t}] [role=row].loading`), table, { timeout: 60_000 });
}

export interface SortCheck { column: string; distinct: number; changed: boolean }

/**
 * Clicks every sortable header of `table` twice (Enter on the focused header
 * for every other column): each click must set aria-sort (ascending, then
 * descending) and give rows sorted by that column's shown values; where the
 * rows in view hold two or more distinct values, the order must change.
 */
export async function checkEverySort(page: Page, table: string): Promise<SortCheck[]> {
  const out: SortCheck[] = [];
  const cols = await sortableColumns(page, table);
  expect(cols.length).toBeGreaterThan(3);
  let k = 0;
  for (const { id, numeric } of cols) {
    const before = (await rowsInView(page, table)).map((r) => r.text);
    const header = page.locator(`[data-testid=${table}] [role=columnheader].c-${id}`);
    const orders: string[][] = [];
    let distinct = 0;
    // A column the table is already sorted by (time: the default) flips first.
    const now = await header.getAttribute('aria-sort');
    const steps = now === 'ascending' ? [['descending', -1], ['ascending', 1]] as const : [['ascending', 1], ['descending', -1]] as const;
    for (const [sort, dir] of steps) {
      // Mouse for some columns, keyboard (Enter / Space on the focused header) for the others.
      if (k++ % 2 === 0) await header.click();
      else { await header.focus(); await page.keyboard.press(dir === 1 ? 'Enter' : ' '); }
      await settle(page, table, id, sort);
      const rows = await rowsInView(page, table);
      expect(rows.length, `${table} ${id}`).toBeGreaterThan(1);
      const values = rows.map((r) => sortValue(r.cells[id] ?? '', numeric));
      for (let i = 1; i < values.length; i++) {
        expect(compareShown(values[i - 1]!, values[i]!, dir), `${table} sorted by ${id} ${sort}: row ${i} "${rows[i - 1]!.cells[id]}" then "${rows[i]!.cells[id]}"`).toBeLessThanOrEqual(0);
      }
      distinct = new Set(values.map(String)).size;
      orders.push(rows.map((r) => r.text));
    }
    const changed = orders.some((o) => o.join('\n') !== before.slice(0, o.length).join('\n'));
    if (distinct >= 2) expect(changed, `${table}: sorting by ${id} changes the order`).toBe(true);
    out.push({ column: id, distinct, changed });
  }
  return out;
}

/**
 * Opens the app and waits for it to be ready for files; reloads once when
 * it is not (dist-web/ rebuilt under a running server by another test run).
 */
export async function gotoApp(page: Page, url: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    await page.goto(`${url}?autoload=0`);
    try {
      await page.waitForSelector('[data-testid=file-input]', { state: 'attached', timeout: 20_000 });
      return;
    } catch (e) {
      if (attempt === 1) throw e;
    }
  }
}
