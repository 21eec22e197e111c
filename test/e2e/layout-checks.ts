/**
 * Layout checks for the e2e screenshots, measured in the DOM: no page-level
 * horizontal scrollbar, a table's key columns inside what its scroll box and
 * the window show, text boxes of a drawing that intersect, headings shown.
 * Each returns what is wrong as readable strings (empty: nothing).
 */
import type { Page } from 'playwright-core';

export interface Rect { what: string; x: number; y: number; w: number; h: number }

/** Pairs of boxes that intersect (by more than `slack` pixels each way). */
export function intersecting(boxes: Rect[], slack = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let k = i + 1; k < boxes.length; k++) {
      const a = boxes[i]!, b = boxes[k]!;
      if (a.x + slack < b.x + b.w && b.x + slack < a.x + a.w && a.y + slack < b.y + b.h && b.y + slack < a.y + a.h) out.push(`${a.what} × ${b.what}`);
    }
  }
  return out;
}

/** The page scrolls sideways: the document is wider than the window. */
export async function pageOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const d = document.documentElement;
    const out: string[] = [];
    if (d.scrollWidth > d.clientWidth + 1) out.push(`document ${d.scrollWidth} px wide in a ${d.clientWidth} px window`);
    if (document.body.scrollWidth > d.clientWidth + 1) out.push(`body ${document.body.scrollWidth} px wide in a ${d.clientWidth} px window`);
    return out;
  });
}

/**
 * The headers named (by their text) of the virtualized table `testId` are
 * shown whole: inside the grid's visible box and the window, the grid
 * scrolled to its left edge. A missing header is reported too.
 */
export async function keyColumnsShown(page: Page, testId: string, headers: string[]): Promise<string[]> {
  return page.evaluate(({ testId, headers }) => {
    const grid = document.querySelector(`[data-testid=${testId}] [role=grid]`) as HTMLElement | null;
    if (!grid) return [`no table ${testId}`];
    const g = grid.getBoundingClientRect();
    const right = Math.min(g.right, document.documentElement.clientWidth);
    const out: string[] = [];
    if (grid.scrollLeft !== 0) out.push(`${testId} scrolled sideways by ${grid.scrollLeft} px`);
    const ths = Array.from(grid.querySelectorAll('[role=columnheader]')) as HTMLElement[];
    for (const name of headers) {
      const th = ths.find((t) => (t.querySelector('.dt-th-label')?.textContent ?? t.textContent ?? '').trim() === name);
      if (!th) { out.push(`${testId}: no column '${name}' (columns: ${ths.map((t) => (t.textContent ?? '').trim()).join(' | ')})`); continue; }
      const r = th.getBoundingClientRect();
      if (r.left < g.left - 0.5 || r.right > right + 0.5) out.push(`${testId}: column '${name}' at ${r.left.toFixed(0)}..${r.right.toFixed(0)}, shown ${g.left.toFixed(0)}..${right.toFixed(0)}`);
    }
    return out;
  }, { testId, headers });
}

/** Every header cell of the plain tables (`table.simple`) in view inside the window and its scroll box; none cut. */
export async function simpleTablesShown(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const W = document.documentElement.clientWidth;
    for (const t of Array.from(document.querySelectorAll('table.simple')) as HTMLElement[]) {
      if (!t.offsetParent) continue;
      // The nearest box that clips it.
      let clip: HTMLElement | null = t.parentElement;
      while (clip && !/(auto|hidden|scroll|clip)/.test(getComputedStyle(clip).overflowX)) clip = clip.parentElement;
      const c = clip ? clip.getBoundingClientRect() : { left: 0, right: W };
      for (const th of Array.from(t.querySelectorAll('thead th')) as HTMLElement[]) {
        const r = th.getBoundingClientRect();
        if (r.right > Math.min(W, c.right) + 0.5 || r.left < Math.max(0, c.left) - 0.5) out.push(`table '${(t.querySelector('thead')?.textContent ?? '').slice(0, 40)}…': column '${th.textContent}' at ${r.left.toFixed(0)}..${r.right.toFixed(0)}, shown ${Math.max(0, c.left).toFixed(0)}..${Math.min(W, c.right).toFixed(0)}`);
      }
    }
    return out;
  });
}

/** The headings (h1-h3, state titles) shown on the page, in order, their text without the counts beside them. */
export async function headings(page: Page): Promise<string[]> {
  return page.$$eval('h1, h2, h3, .state-title, [role=heading]', (els) => els
    .filter((e) => (e as HTMLElement).offsetParent !== null)
    .map((e) => (Array.from(e.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('') || (e.textContent ?? '')).trim()));
}

/** Text of the Overlay diagram and of the journey drawing whose boxes intersect another text's. */
export async function diagramTextOverlaps(page: Page): Promise<string[]> {
  const boxes = await page.evaluate(() => {
    const sets: Array<Array<{ what: string; x: number; y: number; w: number; h: number }>> = [];
    const svgs = Array.from(document.querySelectorAll('[data-testid=overlay-diagram], [data-testid=journey-diagram] svg')) as SVGSVGElement[];
    for (const svg of svgs) {
      const set: Array<{ what: string; x: number; y: number; w: number; h: number }> = [];
      for (const t of Array.from(svg.querySelectorAll('text')) as SVGTextElement[]) {
        if (!(t.textContent ?? '').trim()) continue;
        const r = t.getBoundingClientRect();
        if (r.width === 0) continue;
        set.push({ what: `'${t.textContent}'`, x: r.x, y: r.y, w: r.width, h: r.height });
      }
      sets.push(set);
    }
    return sets;
  });
  // Glyph boxes include the line's ascent and descent: lines 14 px apart at 11 px type touch by a pixel or two.
  return boxes.flatMap((set) => intersecting(set, 2));
}

/**
 * Values of the key columns of the virtualized table `testId` that are cut
 * (the cell's text is wider than the cell; the whole value is in its title).
 * One line per column: how many of the rows in view are cut, and an example.
 */
export async function cutKeyValues(page: Page, testId: string, headers: string[]): Promise<string[]> {
  return page.evaluate(({ testId, headers }) => {
    const out: string[] = [];
    const grid = document.querySelector(`[data-testid=${testId}] [role=grid]`);
    if (!grid) return out;
    for (const th of Array.from(grid.querySelectorAll('[role=columnheader]')) as HTMLElement[]) {
      const name = (th.querySelector('.dt-th-label')?.textContent ?? th.textContent ?? '').trim();
      const id = Array.from(th.classList).find((k) => k.startsWith('c-'));
      if (!id || !headers.includes(name)) continue;
      const cells = Array.from(grid.querySelectorAll(`[role=row][aria-rowindex] [role=gridcell].${id}`)) as HTMLElement[];
      const cut = cells.filter((c) => {
        const inner = (c.firstElementChild as HTMLElement | null) ?? c;
        return c.scrollWidth > c.clientWidth + 1 || inner.scrollWidth > inner.clientWidth + 1;
      });
      if (cut.length) out.push(`${testId} '${name}': ${cut.length} of ${cells.length} values in view cut, e.g. '${cut[0]!.getAttribute('title') ?? cut[0]!.textContent}' shown as '${(cut[0]!.textContent ?? '').trim()}'`);
    }
    return out;
  }, { testId, headers });
}
