/** Random and mutated display filters for the fuzz test (deterministic for a seed). */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['(', ')', '{', '}', '[', ']', ',', '..', '#', '==', '!=', '===', '!==', '~=', '>', '<', '>=', '<=', '&&', '||', '!', '~', '&',
  'and', 'or', 'not', 'in', 'contains', 'matches', 'eq', 'ne', 'xor', '"', "'", '\\', '\\x', '\\777', '"\\u00e9"', ' ', '\n', '\t', '0x', '0b', '08',
  '-1', '1e309', '99999999999999999999999', '10.0.0.0/8', '::', 'fe80::1/129', 'ff:ff:ff:ff:ff:ff', '1..', 'len(', 'count(', 'lower(', 'é', '\u0000', '🙂'];
const REGEXES = ['(a+)+$', '(a|aa)*c', '(.*a){20}', '((a{1,10}){1,10}){1,10}', '[[:alpha:]', '(?<=x)', '\\1', 'a{1001}', '(?i)(?-i)x', '[z-a]', '(((((((((('];

export function hostileFilters(count: number, seed: number, base: string[], fields: string[]): string[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const out: string[] = [
    'x'.repeat(1 << 20),
    `http.host matches "${'a'.repeat(1 << 20)}"`,
    '('.repeat(100_000),
    `${'('.repeat(99)}tcp${')'.repeat(99)}`,
    `${'!'.repeat(1000)}tcp`,
    `tcp.port in {${Array.from({ length: 5000 }, (_, k) => k).join(', ')}}`,
    `frame matches "${'(a|b)*'.repeat(500)}c"`,
    Array.from({ length: 2000 }, () => 'tcp').join(' or '),
  ];
  while (out.length < count) {
    const kind = r();
    if (kind < 0.45) {
      // Mutate a real filter: insert, delete, replace or duplicate a slice.
      let s = pick(base);
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * (s.length + 1));
        const op = r();
        if (op < 0.35) s = s.slice(0, at) + pick(PIECES) + s.slice(at);
        else if (op < 0.6) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 4));
        else if (op < 0.8) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at + 1);
        else s = s.slice(0, at) + s.slice(at, at + 8).repeat(1 + Math.floor(r() * 50)) + s.slice(at);
      }
      out.push(s);
    } else if (kind < 0.75) {
      // Random well-formed-ish expressions over real fields.
      const terms = 1 + Math.floor(r() * 6);
      const parts: string[] = [];
      for (let t = 0; t < terms; t++) {
        const f = pick(fields);
        const v = pick(['1', '0x10', '10.244.0.0/16', '"web"', 'aa:bb:cc:dd:ee:ff', '{1, 2..9}', '"' + pick(REGEXES) + '"', 'fe80::/10', '4294967296', '-5', '1.5']);
        const op = pick(['==', '!=', '>', 'in', 'contains', 'matches', '~=', '===', '&', '']);
        parts.push(op ? `${pick(['', 'not ', '!'])}${f} ${op} ${v}` : f);
      }
      out.push(parts.join(pick([' && ', ' || ', ' and ', ' or '])));
    } else if (kind < 0.9) {
      // Random tokens.
      const n = 1 + Math.floor(r() * 30);
      out.push(Array.from({ length: n }, () => (r() < 0.3 ? pick(fields) : pick(PIECES))).join(r() < 0.5 ? ' ' : ''));
    } else {
      // Random bytes.
      const n = Math.floor(r() * 80);
      out.push(Array.from({ length: n }, () => String.fromCharCode(Math.floor(r() * 256))).join(''));
    }
  }
  return out.slice(0, count);
}
