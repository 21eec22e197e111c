/**
 * What the two sides of a comparison are called and how their capture points
 * pair up. The same rules serve the app and the CLI:
 *
 * - a side's default label is its one file's name, else its files' common
 *   folder, else the common prefix of its file names (`nginx-proxy.client`,
 *   `nginx-proxy.node1-eth0` → `nginx-proxy`), never the names joined;
 * - a capture point's role is its name without the side's scenario prefix
 *   (the label, or the prefix all its points share), so `nginx-proxy.client`
 *   and `ingress.client` are both `client`; a pairing the user states wins.
 */

/** Characters that end a scenario prefix in a file or capture point name. */
const SEP = /[.\-_ /\\:]/;

function baseName(name: string): string {
  return (name.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? name).replace(/\.(pcapng|pcap|cap)$/i, '');
}

function parentName(name: string): string {
  const parts = name.replace(/[\\/]+$/, '').split(/[\\/]/);
  if (parts.length < 2) return '';
  const p = parts[parts.length - 2]!;
  return p === '.' || p === '..' ? '' : p;
}

/** The longest prefix all names share that ends at a separator (returned without it), or ''. */
export function commonPrefix(names: readonly string[]): string {
  if (names.length < 2) return '';
  let p = names[0]!;
  for (const n of names) {
    let i = 0;
    while (i < p.length && i < n.length && p[i] === n[i]) i++;
    p = p.slice(0, i);
  }
  // Cut back to the last separator: `node1-` for node1-eth0/node1-cni0, never `node` of node1/node2.
  let cut = -1;
  for (let i = p.length - 1; i >= 0; i--) if (SEP.test(p[i]!)) { cut = i; break; }
  if (cut <= 0) return '';
  // Every name must go on after the separator (a name equal to the prefix is not a scenario of it).
  if (names.some((n) => n.length <= cut + 1)) return '';
  return p.slice(0, cut).replace(/[.\-_ :]+$/, '');
}

/**
 * A short label for a side from the names of its files (paths, URLs or bare names):
 * one file → its name; files in one folder → the folder; else their common prefix;
 * else the first name and how many more.
 */
export function defaultSideLabel(names: readonly string[]): string {
  const clean = names.map((n) => n.replace(/[?#].*$/, '')).map((n) => { try { return decodeURIComponent(n); } catch { return n; } });
  if (!clean.length) return 'nothing';
  if (clean.length === 1) return baseName(clean[0]!);
  const bases = clean.map(baseName);
  const prefix = commonPrefix(bases);
  if (prefix.length >= 2) return prefix;
  const parents = new Set(clean.map(parentName));
  if (parents.size === 1) {
    const p = [...parents][0]!;
    if (p) return p;
  }
  return `${bases[0]} + ${bases.length - 1} more`;
}

/** The role of each capture point of a side: its name without the side's scenario prefix. */
export function pointRoles(points: readonly string[], label: string): string[] {
  const prefix = points.length >= 2 ? commonPrefix(points) : '';
  return points.map((name) => {
    let r = name;
    if (label && r.length > label.length + 1 && r.startsWith(label) && SEP.test(r[label.length]!)) r = r.slice(label.length + 1);
    else if (prefix && r.startsWith(prefix) && r.length > prefix.length + 1) r = r.slice(prefix.length + 1);
    return r.replace(/^[.\-_ :]+/, '') || name;
  });
}

export interface PointPair {
  /** What both points are (`client`, `node1-eth0`); A's role when the user paired two different roles. */
  role: string;
  /** Index into side A's points, or -1. */
  a: number;
  /** Index into side B's points, or -1. */
  b: number;
}

/**
 * Pairs the capture points of two sides: the pairs the user stated (point
 * name or role of A → point name or role of B) first, then equal roles, then a
 * role that ends the other side's role after a separator (`eth0` and
 * `node1-eth0` do not pair: only a whole scenario prefix is dropped). Points left
 * unpaired get a row of their own.
 */
export function pairPoints(
  a: { names: readonly string[]; label: string },
  b: { names: readonly string[]; label: string },
  stated: ReadonlyArray<readonly [string, string]> = [],
): PointPair[] {
  const ra = pointRoles(a.names, a.label);
  const rb = pointRoles(b.names, b.label);
  const usedB = new Set<number>();
  const pairOfA = new Map<number, number>();
  const find = (names: readonly string[], roles: readonly string[], key: string): number => {
    const i = names.indexOf(key);
    return i >= 0 ? i : roles.indexOf(key);
  };
  for (const [ka, kb] of stated) {
    const ia = find(a.names, ra, ka);
    const ib = find(b.names, rb, kb);
    if (ia < 0 || ib < 0 || pairOfA.has(ia) || usedB.has(ib)) continue;
    pairOfA.set(ia, ib);
    usedB.add(ib);
  }
  for (let i = 0; i < ra.length; i++) {
    if (pairOfA.has(i)) continue;
    const j = rb.findIndex((r, k) => !usedB.has(k) && r === ra[i]);
    if (j >= 0) { pairOfA.set(i, j); usedB.add(j); }
  }
  const endsWith = (long: string, short: string): boolean => long.length > short.length + 1 && long.endsWith(short) && SEP.test(long[long.length - short.length - 1]!)
    // Only a scenario-like prefix (no digit right before the separator: not node1-eth0 vs eth0).
    && !/\d$/.test(long.slice(0, long.length - short.length - 1));
  for (let i = 0; i < ra.length; i++) {
    if (pairOfA.has(i)) continue;
    const j = rb.findIndex((r, k) => !usedB.has(k) && (endsWith(r, ra[i]!) || endsWith(ra[i]!, r)));
    if (j >= 0) { pairOfA.set(i, j); usedB.add(j); }
  }
  const out: PointPair[] = [];
  for (let i = 0; i < ra.length; i++) {
    const j = pairOfA.get(i);
    if (j === undefined) out.push({ role: ra[i]!, a: i, b: -1 });
    else out.push({ role: ra[i]!.length <= rb[j]!.length ? ra[i]! : rb[j]!, a: i, b: j });
  }
  for (let j = 0; j < rb.length; j++) if (!usedB.has(j)) out.push({ role: rb[j]!, a: -1, b: j });
  // Two rows of one name (an unpaired A point and an unpaired B point) would read as one: name the side.
  const count = new Map<string, number>();
  for (const p of out) count.set(p.role, (count.get(p.role) ?? 0) + 1);
  for (const p of out) if ((count.get(p.role) ?? 0) > 1) p.role = `${p.role} (${p.a >= 0 ? 'A' : 'B'})`;
  return out;
}

/** Parses `POINT_A=POINT_B` pairings (the CLI's --pair). */
export function parsePairs(specs: readonly string[]): Array<[string, string]> {
  return specs.map((s) => {
    const i = s.indexOf('=');
    if (i <= 0 || i === s.length - 1) throw new Error(`--pair ${s}: expected POINT_A=POINT_B`);
    return [s.slice(0, i).trim(), s.slice(i + 1).trim()];
  });
}
