/**
 * The regular expressions of `matches`: a PCRE subset compiled to a Thompson
 * NFA and run as a Pike VM over bytes (one char a byte). Every input is read
 * once with at most one thread per instruction, so the time is bounded by
 * input length × program size: no catastrophic backtracking. Constructs that
 * need backtracking (backreferences, lookaround) are refused at compile time;
 * counted repetition is expanded, and the program is capped in size.
 *
 * Supported: literals, `.`, classes `[a-z]` `[^...]` with \d \w \s, escapes
 * (\n \t \r \f \v \e \0 \xHH \x{H..} \d \D \w \W \s \S \b \B, quoted punctuation),
 * `^ $` (\A \z \Z), groups `( )` `(?: )` `(?<name> )`, alternation, `* + ? {n} {n,} {n,m}`
 * (lazy and possessive forms match the same texts), inline flags `(?i)` `(?s)` `(?m)` `(?x)` off/on.
 */

export class RegexError extends Error {
  constructor(message: string, readonly index: number) {
    super(message);
  }
}

/** Most instructions a program may have (a{1000}{1000} is refused, not expanded). */
export const MAX_PROGRAM = 20_000;
const MAX_REPEAT = 1000;
const MAX_REGEX_DEPTH = 100;

type Node =
  | { t: 'set'; set: Uint8Array }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; a: Assert }
  | { t: 'empty' };

type Assert = 'bol' | 'eol' | 'mbol' | 'meol' | 'start' | 'end' | 'endnl' | 'wordb' | 'nwordb';

// Instructions: op, arg1, arg2.
const I_SET = 0;
const I_SPLIT = 1;
const I_JMP = 2;
const I_MATCH = 3;
const I_ASSERT = 4;

interface Flags { i: boolean; s: boolean; m: boolean; x: boolean }

class RegexParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly p: string) {}

  parse(): Node {
    // Wireshark's `matches` is case-insensitive unless the pattern says (?-i).
    const n = this.alt({ i: true, s: false, m: false, x: false });
    if (this.i < this.p.length) throw new RegexError(`unmatched ')' in regular expression`, this.i);
    return n;
  }

  private alt(f: Flags): Node {
    if (++this.depth > MAX_REGEX_DEPTH) throw new RegexError(`regular expression nested more than ${MAX_REGEX_DEPTH} deep`, this.i);
    const items = [this.cat(f)];
    while (this.p[this.i] === '|') {
      this.i++;
      items.push(this.cat(f));
    }
    this.depth--;
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private cat(f: Flags): Node {
    const items: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      if (f.x && /\s/.test(this.p[this.i]!)) { this.i++; continue; }
      if (f.x && this.p[this.i] === '#') { while (this.i < this.p.length && this.p[this.i] !== '\n') this.i++; continue; }
      const a = this.atom(f);
      if (a === null) continue;
      items.push(this.quant(a));
    }
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private quant(a: Node): Node {
    for (;;) {
      const c = this.p[this.i];
      let min: number, max: number;
      if (c === '*') { min = 0; max = -1; this.i++; }
      else if (c === '+') { min = 1; max = -1; this.i++; }
      else if (c === '?') { min = 0; max = 1; this.i++; }
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i, this.i + 24));
        if (!m) return a; // PCRE: a '{' that is not a quantifier is a literal.
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT) throw new RegexError(`repetition count over ${MAX_REPEAT}`, this.i);
        if (max >= 0 && max < min) throw new RegexError('repetition {n,m} with m below n', this.i);
        this.i += m[0].length;
      } else return a;
      if (a.t === 'assert') throw new RegexError('nothing to repeat', this.i - 1);
      // Lazy (?) and possessive (+) forms accept the same texts: only whether there is a match counts here.
      if (this.p[this.i] === '?' || this.p[this.i] === '+') this.i++;
      a = { t: 'rep', node: a, min, max };
    }
  }

  private atom(f: Flags): Node | null {
    const start = this.i;
    const c = this.p[this.i++]!;
    switch (c) {
      case '(': {
        let inner = { ...f };
        if (this.p[this.i] === '?') {
          const rest = this.p.slice(this.i + 1, this.i + 40);
          if (rest.startsWith(':')) this.i += 2;
          else if (/^P?<[A-Za-z_]\w*>/.test(rest)) this.i = this.p.indexOf('>', this.i) + 1;
          else if (/^[=!]|^<[=!]/.test(rest)) throw new RegexError('lookaround assertions are not supported (they need backtracking)', start);
          else {
            const m = /^([imsx]*)(-([imsx]*))?([:)])/.exec(rest);
            if (!m) throw new RegexError(`unsupported group '(?${rest.slice(0, 3)}'`, start);
            const set = (to: Flags, s: string, v: boolean): void => { for (const ch of s) (to as unknown as Record<string, boolean>)[ch] = v; };
            this.i += 1 + m[0].length;
            if (m[4] === ')') {
              // (?i) changes the flags of the rest of the enclosing group.
              set(f, m[1]!, true);
              set(f, m[3] ?? '', false);
              return null;
            }
            inner = { ...f };
            set(inner, m[1]!, true);
            set(inner, m[3] ?? '', false);
          }
        }
        const n = this.alt(inner);
        if (this.p[this.i] !== ')') throw new RegexError("missing ')' in regular expression", start);
        this.i++;
        return n;
      }
      case ')': throw new RegexError("unmatched ')'", start);
      case '[': return { t: 'set', set: this.cls(f, start) };
      case '.': {
        const s = new Uint8Array(256).fill(1);
        if (!f.s) s[10] = 0;
        return { t: 'set', set: s };
      }
      case '^': return { t: 'assert', a: f.m ? 'mbol' : 'bol' };
      case '$': return { t: 'assert', a: f.m ? 'meol' : 'eol' };
      case '*': case '+': case '?': throw new RegexError('nothing to repeat', start);
      case '\\': return this.escape(f, start, false) as Node;
      default: return { t: 'set', set: lit(c.charCodeAt(0) & 255, f.i) };
    }
  }

  /** An escape after '\\'; in a class (`inClass`) returns the byte set only. */
  private escape(f: Flags, start: number, inClass: boolean): Node | Uint8Array {
    const e = this.p[this.i++];
    if (e === undefined) throw new RegexError('regular expression ends with a backslash', start);
    const set = (s: Uint8Array): Node | Uint8Array => (inClass ? s : { t: 'set', set: s });
    const one = (code: number): Node | Uint8Array => set(lit(code, f.i));
    switch (e) {
      case 'd': return set(range(0x30, 0x39));
      case 'D': return set(invert(range(0x30, 0x39)));
      case 'w': return set(wordSet());
      case 'W': return set(invert(wordSet()));
      case 's': return set(spaceSet());
      case 'S': return set(invert(spaceSet()));
      case 'n': return one(10);
      case 'r': return one(13);
      case 't': return one(9);
      case 'f': return one(12);
      case 'v': return one(11);
      case 'e': return one(27);
      case 'a': return one(7);
      case 'x': {
        const m = /^\{([0-9a-fA-F]{1,2})\}|^[0-9a-fA-F]{1,2}/.exec(this.p.slice(this.i, this.i + 4));
        if (!m) return one(0);
        this.i += m[0].length;
        return one(parseInt(m[1] ?? m[0], 16));
      }
      case '0': {
        const m = /^[0-7]{0,2}/.exec(this.p.slice(this.i, this.i + 2))!;
        this.i += m[0].length;
        return one(parseInt(`0${m[0]}`, 8));
      }
      default: break;
    }
    if (!inClass) {
      if (e === 'b') return { t: 'assert', a: 'wordb' };
      if (e === 'B') return { t: 'assert', a: 'nwordb' };
      if (e === 'A') return { t: 'assert', a: 'start' };
      if (e === 'z') return { t: 'assert', a: 'end' };
      if (e === 'Z') return { t: 'assert', a: 'endnl' };
    }
    if (/[1-9]/.test(e) || e === 'k' || e === 'g') throw new RegexError('backreferences are not supported (they need backtracking)', start);
    if (/[A-Za-z]/.test(e)) throw new RegexError(`unsupported escape \\${e}`, start);
    return one(e.charCodeAt(0) & 255);
  }

  private cls(f: Flags, start: number): Uint8Array {
    const s = new Uint8Array(256);
    let neg = false;
    if (this.p[this.i] === '^') { neg = true; this.i++; }
    let first = true;
    for (;;) {
      if (this.i >= this.p.length) throw new RegexError("missing ']' in regular expression", start);
      const c = this.p[this.i]!;
      if (c === ']' && !first) { this.i++; break; }
      first = false;
      if (c === '[' && this.p[this.i + 1] === ':') {
        const m = /^\[:(\^?)(alpha|digit|alnum|space|upper|lower|punct|xdigit|word|print|graph|cntrl|blank):\]/.exec(this.p.slice(this.i, this.i + 14));
        if (!m) throw new RegexError('unknown POSIX class', this.i);
        const src = posix(m[2]!);
        for (let k = 0; k < 256; k++) if ((src[k] === 1) !== (m[1] === '^')) s[k] = 1;
        this.i += m[0].length;
        continue;
      }
      let lo: number;
      this.i++;
      if (c === '\\') {
        const r = this.escape(f, this.i - 1, true) as Uint8Array;
        let count = 0, at = 0;
        for (let k = 0; k < 256; k++) if (r[k]) { count++; at = k; }
        if (count !== 1 || f.i) { for (let k = 0; k < 256; k++) if (r[k]) s[k] = 1; if (count !== 1) continue; }
        lo = at;
      } else lo = c.charCodeAt(0) & 255;
      if (this.p[this.i] === '-' && this.p[this.i + 1] !== undefined && this.p[this.i + 1] !== ']') {
        this.i++;
        let hi: number;
        const h = this.p[this.i++]!;
        if (h === '\\') {
          const r = this.escape(f, this.i - 1, true) as Uint8Array;
          hi = r.indexOf(1);
        } else hi = h.charCodeAt(0) & 255;
        if (hi < lo) throw new RegexError('class range out of order', this.i - 1);
        for (let k = lo; k <= hi; k++) addChar(s, k, f.i);
      } else addChar(s, lo, f.i);
    }
    return neg ? invert(s) : s;
  }
}

function addChar(s: Uint8Array, k: number, ci: boolean): void {
  s[k] = 1;
  if (ci) {
    if (k >= 0x41 && k <= 0x5a) s[k + 32] = 1;
    else if (k >= 0x61 && k <= 0x7a) s[k - 32] = 1;
  }
}
function lit(code: number, ci: boolean): Uint8Array {
  const s = new Uint8Array(256);
  addChar(s, code, ci);
  return s;
}
function range(lo: number, hi: number): Uint8Array {
  const s = new Uint8Array(256);
  for (let k = lo; k <= hi; k++) s[k] = 1;
  return s;
}
function invert(s: Uint8Array): Uint8Array {
  const o = new Uint8Array(256);
  for (let k = 0; k < 256; k++) o[k] = s[k] ? 0 : 1;
  return o;
}
function isWordByte(k: number): boolean {
  return (k >= 0x30 && k <= 0x39) || (k >= 0x41 && k <= 0x5a) || (k >= 0x61 && k <= 0x7a) || k === 0x5f;
}
function wordSet(): Uint8Array {
  const s = new Uint8Array(256);
  for (let k = 0; k < 256; k++) if (isWordByte(k)) s[k] = 1;
  return s;
}
function spaceSet(): Uint8Array {
  const s = new Uint8Array(256);
  for (const k of [9, 10, 11, 12, 13, 32]) s[k] = 1;
  return s;
}
function posix(name: string): Uint8Array {
  const s = new Uint8Array(256);
  for (let k = 0; k < 128; k++) {
    const c = String.fromCharCode(k);
    const ok = name === 'alpha' ? /[A-Za-z]/.test(c) : name === 'digit' ? /[0-9]/.test(c) : name === 'alnum' ? /[A-Za-z0-9]/.test(c)
      : name === 'space' ? /\s/.test(c) : name === 'upper' ? /[A-Z]/.test(c) : name === 'lower' ? /[a-z]/.test(c)
        : name === 'punct' ? /[!-/:-@[-`{-~]/.test(c) : name === 'xdigit' ? /[0-9A-Fa-f]/.test(c) : name === 'word' ? /\w/.test(c)
          : name === 'print' ? k >= 32 && k < 127 : name === 'graph' ? k > 32 && k < 127 : name === 'cntrl' ? k < 32 || k === 127 : /[ \t]/.test(c);
    if (ok) s[k] = 1;
  }
  return s;
}

/** A compiled regular expression. */
export class ByteRegex {
  private readonly op: Int32Array;
  private readonly a1: Int32Array;
  private readonly a2: Int32Array;
  private readonly sets: Uint8Array[];
  /** Thread lists of the VM (sparse sets over instruction numbers), reused. */
  private readonly dense: Int32Array[];
  private readonly sparse: Int32Array[];
  private readonly stack: Int32Array;
  /** Bytes a match may read (the rest of a longer input is not looked at). */
  static readonly MAX_INPUT = 1 << 20;

  constructor(readonly source: string) {
    const ast = new RegexParser(source).parse();
    const prog: number[][] = [];
    const sets: Uint8Array[] = [];
    const emit = (op: number, x = 0, y = 0): number => {
      if (prog.length >= MAX_PROGRAM) throw new RegexError(`regular expression too big (over ${MAX_PROGRAM} instructions)`, 0);
      prog.push([op, x, y]);
      return prog.length - 1;
    };
    const ASSERTS: Assert[] = ['bol', 'eol', 'mbol', 'meol', 'start', 'end', 'endnl', 'wordb', 'nwordb'];
    const gen = (n: Node, depth: number): void => {
      if (depth > 4 * MAX_REGEX_DEPTH) throw new RegexError('regular expression nested too deeply', 0);
      switch (n.t) {
        case 'empty': return;
        case 'set': sets.push(n.set); emit(I_SET, sets.length - 1); return;
        case 'assert': emit(I_ASSERT, ASSERTS.indexOf(n.a)); return;
        case 'cat': for (const x of n.items) gen(x, depth + 1); return;
        case 'alt': {
          const jumps: number[] = [];
          for (let k = 0; k < n.items.length; k++) {
            if (k < n.items.length - 1) {
              const sp = emit(I_SPLIT);
              prog[sp]![1] = sp + 1;
              gen(n.items[k]!, depth + 1);
              jumps.push(emit(I_JMP));
              prog[sp]![2] = prog.length;
            } else gen(n.items[k]!, depth + 1);
          }
          for (const j of jumps) prog[j]![1] = prog.length;
          return;
        }
        case 'rep': {
          for (let k = 0; k < n.min; k++) gen(n.node, depth + 1);
          if (n.max < 0) {
            const sp = emit(I_SPLIT);
            prog[sp]![1] = sp + 1;
            gen(n.node, depth + 1);
            emit(I_JMP, sp);
            prog[sp]![2] = prog.length;
          } else {
            const splits: number[] = [];
            for (let k = n.min; k < n.max; k++) {
              const sp = emit(I_SPLIT);
              prog[sp]![1] = sp + 1;
              splits.push(sp);
              gen(n.node, depth + 1);
            }
            for (const sp of splits) prog[sp]![2] = prog.length;
          }
          return;
        }
      }
    };
    gen(ast, 0);
    emit(I_MATCH);
    const len = prog.length;
    this.op = Int32Array.from(prog, (x) => x[0]!);
    this.a1 = Int32Array.from(prog, (x) => x[1]!);
    this.a2 = Int32Array.from(prog, (x) => x[2]!);
    this.sets = sets;
    this.dense = [new Int32Array(len), new Int32Array(len)];
    this.sparse = [new Int32Array(len), new Int32Array(len)];
    this.stack = new Int32Array(len * 2 + 2);
  }

  get size(): number { return this.op.length; }

  /** How many inputs were given up on because they cost more than STEP_BUDGET thread steps (counted as no match). */
  exhausted = 0;
  /** Thread steps one input may cost (bounds a match's time whatever the pattern and the input). */
  static readonly STEP_BUDGET = 5_000_000;

  /** Whether the pattern matches anywhere in `s` (one char a byte; codes above 255 are taken mod 256). */
  test(s: string): boolean {
    const n = Math.min(s.length, ByteRegex.MAX_INPUT);
    return this.run(n, (k) => s.charCodeAt(k) & 255);
  }

  testBytes(b: Uint8Array, start: number, end: number): boolean {
    const n = Math.min(end - start, ByteRegex.MAX_INPUT);
    return this.run(n, (k) => b[start + k]!);
  }

  private run(n: number, at: (k: number) => number): boolean {
    let cur = 0;
    const count = [0, 0];
    const { op, a1, a2, sets, dense, sparse, stack } = this;
    const assertOk = (kind: number, pos: number): boolean => {
      const prev = pos > 0 ? at(pos - 1) : -1;
      const next = pos < n ? at(pos) : -1;
      switch (kind) {
        case 0: case 4: return pos === 0;
        case 1: case 6: return pos === n || (pos === n - 1 && next === 10);
        case 2: return pos === 0 || prev === 10;
        case 3: return pos === n || next === 10;
        case 5: return pos === n;
        case 7: case 8: {
          const b = (prev >= 0 && isWordByte(prev)) !== (next >= 0 && isWordByte(next));
          return kind === 7 ? b : !b;
        }
        default: return false;
      }
    };
    // Adds pc and everything reachable by jumps, splits and true assertions to list l at position pos.
    const add = (l: number, pc0: number, pos: number): boolean => {
      let sp = 0;
      stack[sp++] = pc0;
      const d = dense[l]!, s = sparse[l]!;
      while (sp > 0) {
        const pc = stack[--sp]!;
        const k = s[pc]!;
        if (k < count[l]! && d[k] === pc) continue;
        s[pc] = count[l]!;
        d[count[l]!++] = pc;
        const o = op[pc]!;
        if (o === I_MATCH) return true;
        if (o === I_JMP) stack[sp++] = a1[pc]!;
        else if (o === I_SPLIT) { stack[sp++] = a2[pc]!; stack[sp++] = a1[pc]!; }
        else if (o === I_ASSERT) { if (assertOk(a1[pc]!, pos)) stack[sp++] = pc + 1; }
      }
      return false;
    };
    count[0] = 0;
    if (add(0, 0, 0)) return true;
    let steps = 0;
    for (let pos = 0; pos < n; pos++) {
      steps += count[cur]! + 1;
      if (steps > ByteRegex.STEP_BUDGET) { this.exhausted++; return false; }
      const c = at(pos);
      const nx = cur ^ 1;
      count[nx] = 0;
      const d = dense[cur]!;
      for (let t = 0; t < count[cur]!; t++) {
        const pc = d[t]!;
        if (op[pc] === I_SET && sets[a1[pc]!]![c] === 1) {
          if (add(nx, pc + 1, pos + 1)) return true;
        }
      }
      // Unanchored search: a new thread starts at every position.
      if (add(nx, 0, pos + 1)) return true;
      cur = nx;
    }
    return false;
  }
}
