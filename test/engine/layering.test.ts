/**
 * The engine's folders import one way (DESIGN: "Arrows run one way: capture →
 * dissect → pipeline → flows, overlay → session → compare, report, service. A
 * lower folder never imports a higher one"; decision 0015 §5). Every import of
 * every src/**\/*.ts file is read with TypeScript's own parser (`import`,
 * `import type`, `export … from`, `import()` and `import('…').T` types), and:
 * - no folder imports a folder of a higher rank (RANK below);
 * - no two folders import each other, directly or through others;
 * - no file imports itself through other files (a circle of modules, even of
 *   types), but the few known ones (KNOWN_FILE_CIRCLES).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/corpus.js';

const SRC = path.join(ROOT, 'src');

/**
 * Each folder of src/ (and each file directly in it) and its rank: an import
 * may go to the same rank or lower. Folders of one rank may import each other,
 * but never in a circle (the second test). DESIGN orders capture, dissect,
 * pipeline, flows/overlay, session, compare/report/service; it is silent on:
 * - platform.d.ts (globals only, imports nothing): the floor;
 * - filter: with flows and overlay (it builds on dissect and capture records; the session's facts come in as plain data);
 * - export: with compare, report and service (it writes what a session holds);
 * - api.ts (the UI contract, not a folder): with service, whose interface it is; but
 *   its types may be imported from anywhere (API_TYPES below);
 * - cli and host (the CLI, and the Node and browser hosts): above all (decision 0015 §5).
 */
const RANK: Record<string, number> = {
  'platform.d.ts': 0,
  capture: 1,
  dissect: 2,
  pipeline: 3,
  flows: 4, filter: 4, overlay: 4,
  session: 5,
  compare: 6, report: 6, export: 6, service: 6, 'api.ts': 6,
  cli: 7, host: 7, 'cli.ts': 7,
};

/**
 * src/api.ts holds the contract's row types (FlowRow, Endpoint, ...), which
 * the lower folders produce: a type-only import of it (erased from the
 * build) is allowed from any rank; its values (functions, constants) only
 * from its own rank up.
 */
const API_TYPES = 'api.ts';

/**
 * Circles of files inside one folder, each closed by an `import type` (a
 * type's way back to its user), left as they are. Listed so a new circle
 * fails, and so removing one means removing it here.
 */
const KNOWN_FILE_CIRCLES = [
  'capture/archive.ts <-> capture/open-inputs.ts', // archive.ts: import type { InputNote }
  'cli/commands.ts <-> cli/export-parquet.ts', // export-parquet.ts: import type { CliContext }
  'overlay/clock-state.ts <-> overlay/clocks.ts <-> overlay/hosts.ts <-> overlay/overlay-observer.ts <-> overlay/stitch.ts', // import type { OverlayObserver }, { ClockState }, { StitchResult }
];

interface Edge { from: string; to: string; typeOnly: boolean }

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

/** The relative imports of one file, each with whether it carries types only. */
function importsOf(file: string): Array<{ spec: string; typeOnly: boolean }> {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: Array<{ spec: string; typeOnly: boolean }> = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) &&
        c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.push({ spec: n.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const typeOnly = n.isTypeOnly || (!!n.exportClause && ts.isNamedExports(n.exportClause) &&
        n.exportClause.elements.length > 0 && n.exportClause.elements.every((e) => e.isTypeOnly));
      out.push({ spec: n.moduleSpecifier.text, typeOnly });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push({ spec: n.argument.literal.text, typeOnly: true });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      out.push({ spec: n.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out.filter((i) => i.spec.startsWith('.'));
}

/** A file's unit: its folder under src/, or its own name for a file directly in src/. */
function unitOf(rel: string): string {
  const parts = rel.split('/');
  return parts.length === 1 ? parts[0]! : parts[0]!;
}

/** src-relative path of the .ts file an import names (`./x.js` is `x.ts`). */
function resolve(fromRel: string, spec: string, known: Set<string>): string | null {
  const abs = path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec));
  for (const c of [abs, abs.replace(/\.js$/, '.ts'), abs.replace(/\.js$/, '.tsx'), `${abs}.ts`, `${abs}/index.ts`]) if (known.has(c)) return c;
  return null;
}

const files = sourceFiles(SRC).map((f) => path.relative(SRC, f).split(path.sep).join('/'));
const known = new Set(files);
const edges: Edge[] = [];
const unresolved: string[] = [];
for (const f of files) {
  for (const { spec, typeOnly } of importsOf(path.join(SRC, f))) {
    const to = resolve(f, spec, known);
    if (to) edges.push({ from: f, to, typeOnly });
    else if (!path.posix.normalize(path.posix.join(path.posix.dirname(f), spec)).startsWith('..')) unresolved.push(`${f}: ${spec}`);
  }
}

/** Strongly connected components of more than one node (Tarjan), each sorted. */
function circles(nodes: readonly string[], next: (n: string) => Iterable<string>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), on = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let k = 0;
  const strong = (v: string): void => {
    index.set(v, k); low.set(v, k); k++;
    stack.push(v); on.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) strong(n);
  return out;
}

/** Edges the rank rule looks at: all but type-only imports of src/api.ts. */
const ruled = edges.filter((e) => !(e.to === API_TYPES && e.typeOnly));

describe('src/ folders import one way (DESIGN: capture → dissect → pipeline → flows, overlay → session → compare, report, service)', () => {
  it('reads the imports of every source file, and every folder of src/ has a rank', () => {
    expect(files.length).toBeGreaterThan(120);
    expect(edges.length).toBeGreaterThan(400);
    expect(unresolved, 'imports naming no file of src/').toEqual([]);
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units.filter((u) => RANK[u] === undefined), 'folders of src/ without a rank in this test').toEqual([]);
    // The folders the one-way rule is about exist under these names.
    for (const u of ['capture', 'dissect', 'pipeline', 'flows', 'overlay', 'session', 'service']) expect(units).toContain(u);
    expect(units).not.toContain('engine');
  });

  it('no folder imports a higher one (type-only imports count; only the contract types of api.ts are open to all)', () => {
    const up = ruled
      .filter((e) => RANK[unitOf(e.from)]! < RANK[unitOf(e.to)]!)
      .map((e) => `${e.from} (${unitOf(e.from)}, rank ${RANK[unitOf(e.from)]}) imports ${e.typeOnly ? 'types of ' : ''}${e.to} (${unitOf(e.to)}, rank ${RANK[unitOf(e.to)]})`);
    expect(up).toEqual([]);
  });

  it('no circle between folders', () => {
    const next = new Map<string, Set<string>>();
    for (const e of ruled) {
      const a = unitOf(e.from), b = unitOf(e.to);
      if (a === b) continue;
      if (!next.has(a)) next.set(a, new Set());
      next.get(a)!.add(b);
    }
    const units = [...new Set(files.map(unitOf))].sort();
    const found = circles(units, (u) => next.get(u) ?? []).map((c) => c.map((u) => `${u} -> ${[...(next.get(u) ?? [])].filter((v) => c.includes(v)).join(', ')}`).join('; '));
    expect(found).toEqual([]);
  });

  it('no circle between files (a module that imports itself through others, types included) but the known ones', () => {
    const next = new Map<string, string[]>();
    for (const e of ruled) {
      if (!next.has(e.from)) next.set(e.from, []);
      next.get(e.from)!.push(e.to);
    }
    const found = circles(files, (f) => next.get(f) ?? []).map((c) => c.join(' <-> '));
    expect(found.sort()).toEqual([...KNOWN_FILE_CIRCLES].sort());
  });
});
