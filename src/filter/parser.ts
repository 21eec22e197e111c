/**
 * The parser: tokens to an AST. Precedence as Wireshark's grammar: `or` is
 * loosest, then `and`, then `not`, then a relation. Whether a word names a
 * field or is a literal is decided by the compiler, which knows the fields.
 */
import { FilterError, shown } from './errors.js';
import { tokenize, type Token, type TokenKind } from './lexer.js';

export type CmpOp = '==' | '!=' | '===' | '~=' | '>' | '>=' | '<' | '<=';

export type Entity =
  | { kind: 'word'; text: string; pos: number; end: number; layer?: number }
  | { kind: 'string'; text: string; pos: number; end: number }
  | { kind: 'char'; text: string; pos: number; end: number }
  | { kind: 'call'; fn: string; arg: Entity; pos: number; end: number };

export interface SetItem { lo: Entity; hi?: Entity }

export type Expr =
  | { kind: 'and' | 'or'; a: Expr; b: Expr }
  | { kind: 'not'; a: Expr }
  | { kind: 'test'; entity: Entity }
  | { kind: 'cmp'; op: CmpOp; left: Entity; right: Entity; pos: number }
  | { kind: 'in'; left: Entity; items: SetItem[]; pos: number }
  | { kind: 'contains'; left: Entity; right: Entity; pos: number }
  | { kind: 'matches'; left: Entity; right: Entity; pos: number }
  /** `field & mask`: some bit of the mask is set in the field. */
  | { kind: 'bitand'; left: Entity; right: Entity; pos: number };

const MAX_DEPTH = 100;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'matches', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'all_eq', 'any_eq', 'all_ne', 'any_ne', 'xor']);
const WORD_OPS: Record<string, CmpOp> = {
  eq: '==', any_eq: '==', ne: '!=', all_ne: '!=', all_eq: '===', any_ne: '~=', gt: '>', lt: '<', ge: '>=', le: '<=',
};
const FUNCTIONS = new Set(['len', 'count', 'lower', 'upper']);

export function parseFilter(src: string): Expr {
  return new Parser(src).parseAll();
}

class Parser {
  private readonly toks: Token[];
  private k = 0;
  private depth = 0;

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  parseAll(): Expr {
    if (this.peek().kind === 'eof') throw this.err('empty filter', this.peek());
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'eof') throw this.err(t.kind === ')' ? "unbalanced ')'" : `unexpected ${describe(t)}`, t);
    return e;
  }

  private peek(): Token { return this.toks[this.k]!; }
  private next(): Token { return this.toks[this.k++]!; }
  private isWord(t: Token, w: string): boolean { return t.kind === 'word' && t.text === w; }
  private err(reason: string, t: Token, hint?: string): FilterError { return new FilterError(reason, this.src, t.pos, hint); }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) throw this.err(`filter nested more than ${MAX_DEPTH} deep`, t);
  }

  private parseOr(): Expr {
    this.enter(this.peek());
    let a = this.parseAnd();
    for (;;) {
      const t = this.peek();
      if (t.kind === '||' || this.isWord(t, 'or')) {
        this.next();
        a = { kind: 'or', a, b: this.parseAnd() };
      } else if (this.isWord(t, 'xor') || t.text === '^^') {
        throw this.err("'xor' is not in Wireshark 4.0's language", t);
      } else break;
    }
    this.depth--;
    return a;
  }

  private parseAnd(): Expr {
    let a = this.parseNot();
    for (;;) {
      const t = this.peek();
      if (t.kind === '&&' || this.isWord(t, 'and')) {
        this.next();
        a = { kind: 'and', a, b: this.parseNot() };
      } else break;
    }
    return a;
  }

  private parseNot(): Expr {
    const t = this.peek();
    if (t.kind === '!' || this.isWord(t, 'not')) {
      this.next();
      this.enter(t);
      const a = this.parseNot();
      this.depth--;
      return { kind: 'not', a };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (t.kind === '(') {
      this.next();
      const e = this.parseOr();
      const c = this.peek();
      if (c.kind !== ')') throw this.err(c.kind === 'eof' ? "missing ')'" : `expected ')' but found ${describe(c)}`, c.kind === 'eof' ? t : c, c.kind === 'eof' ? "the '(' here is not closed" : undefined);
      this.next();
      return e;
    }
    return this.parseRelation();
  }

  private parseRelation(): Expr {
    const left = this.parseEntity();
    const t = this.peek();
    const op = cmpOp(t);
    if (op) {
      this.next();
      return { kind: 'cmp', op, left, right: this.parseEntity(), pos: t.pos };
    }
    if (t.kind === '!==') throw this.err("'!==' is not in Wireshark 4.0's language (use '!=')", t);
    if (this.isWord(t, 'in')) {
      this.next();
      return { kind: 'in', left, items: this.parseSet(), pos: t.pos };
    }
    if (this.isWord(t, 'not') && this.isWord(this.toks[this.k + 1]!, 'in')) {
      this.next();
      this.next();
      return { kind: 'not', a: { kind: 'in', left, items: this.parseSet(), pos: t.pos } };
    }
    if (t.kind === '&') {
      this.next();
      const right = this.parseEntity();
      const after = this.peek();
      if (cmpOp(after)) throw this.err('comparing a bitwise AND is not supported (use field & mask as a test)', after);
      return { kind: 'bitand', left, right, pos: t.pos };
    }
    if (this.isWord(t, 'contains')) {
      this.next();
      return { kind: 'contains', left, right: this.parseEntity(), pos: t.pos };
    }
    if (this.isWord(t, 'matches') || t.kind === '~') {
      this.next();
      return { kind: 'matches', left, right: this.parseEntity(), pos: t.pos };
    }
    return { kind: 'test', entity: left };
  }

  private parseSet(): SetItem[] {
    const open = this.peek();
    if (open.kind !== '{') throw this.err(`'in' needs a set in braces, not ${describe(open)}`, open);
    this.next();
    const items: SetItem[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === '}') {
        if (!items.length) throw this.err('empty set', t);
        this.next();
        return items;
      }
      if (t.kind === 'eof') throw this.err("set not closed (missing '}')", open);
      const lo = this.parseEntity();
      let hi: Entity | undefined;
      if (this.peek().kind === '..') {
        this.next();
        hi = this.parseEntity();
      }
      items.push(hi ? { lo, hi } : { lo });
      // Wireshark 4.0 separates set members with commas (a space is an error there too).
      const sep = this.peek();
      if (sep.kind === ',') this.next();
      else if (sep.kind !== '}') throw this.err(sep.kind === 'eof' ? "set not closed (missing '}')" : `expected ',' or '}' in the set but found ${describe(sep)}`, sep.kind === 'eof' ? open : sep);
    }
  }

  private parseEntity(): Entity {
    const t = this.peek();
    if (t.kind === 'string' || t.kind === 'char') {
      this.next();
      return { kind: t.kind, text: t.text, pos: t.pos, end: t.end };
    }
    if (t.kind === 'word') {
      if (KEYWORDS.has(t.text)) throw this.err(`expected a field or a value but found '${t.text}'`, t);
      this.next();
      if (this.peek().kind === '(' && FUNCTIONS.has(t.text)) {
        this.next();
        this.enter(t);
        const arg = this.parseEntity();
        this.depth--;
        const c = this.peek();
        if (c.kind !== ')') throw this.err(`expected ')' after the argument of ${t.text}()`, c);
        this.next();
        return { kind: 'call', fn: t.text, arg, pos: t.pos, end: c.end };
      }
      if (this.peek().kind === '(') throw this.err(`unknown function '${shown(t.text)}'`, t, `functions: ${[...FUNCTIONS].join(', ')}`);
      const e: Entity = { kind: 'word', text: t.text, pos: t.pos, end: t.end };
      if (this.peek().kind === '#') {
        const h = this.next();
        const n = this.peek();
        if (n.kind !== 'word' || !/^[1-9][0-9]{0,2}$/.test(n.text)) throw this.err("'#' needs a layer number (1, 2, ...)", n.kind === 'eof' ? h : n);
        this.next();
        e.layer = Number(n.text);
        e.end = n.end;
      }
      if (this.peek().kind === '[') throw this.err('slices (field[a:b]) are not supported', this.peek());
      return e;
    }
    if (t.kind === 'eof') throw this.err('the filter ends where a field or a value should be', t);
    throw this.err(`expected a field or a value but found ${describe(t)}`, t);
  }
}

function cmpOp(t: Token): CmpOp | null {
  const k: TokenKind = t.kind;
  if (k === '==' || k === '!=' || k === '===' || k === '~=' || k === '>' || k === '>=' || k === '<' || k === '<=') return k;
  if (k === 'word') return WORD_OPS[t.text] ?? null;
  return null;
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the filter';
  if (t.kind === 'word') return `'${shown(t.text)}'`;
  if (t.kind === 'string') return `the string "${shown(t.text)}"`;
  return `'${t.text}'`;
}
