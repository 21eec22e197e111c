/**
 * The compiler: an AST to a predicate over a FilterInput (closures, no eval).
 * Semantics are tshark 4.0's (checked frame by frame): a relation holds when
 * any occurrence of the field satisfies it (`ip.src == X` with an outer and an
 * inner IPv4 header); `a != b` is "no occurrence equals" (all_ne), `a ~= b`
 * "some occurrence differs", `a === b` "every occurrence equals"; every
 * relation on an absent field is false (so `a != b` is not `!(a == b)`); an
 * address literal with a prefix (`10.244.0.0/16`) matches the whole network.
 */
import { editDistance, FilterError, shown } from './errors.js';
import { allFields, fieldDef, fieldNames, Occ, parseMac, parseV4, parseV6, UNSUPPORTED_FIELDS, type FieldDef, type FieldType } from './fields.js';
import type { FilterInput } from './input.js';
import { parseFilter, type CmpOp, type Entity, type Expr } from './parser.js';
import { ByteRegex, RegexError } from './regex.js';

export type Predicate = (x: FilterInput) => boolean;

export interface CompiledFilter {
  readonly source: string;
  readonly test: Predicate;
  /** Field names the filter reads. */
  readonly fields: readonly string[];
  /** Whether it reads the session's facts (k8s.*, capture.*, overlay.tunnel, journey, nat.translated). */
  readonly usesFacts: boolean;
  /**
   * Whether it reads the TCP sequence analysis (tcp.seq, tcp.ack, tcp.nxtseq, tcp.analysis.*): the
   * runner must then feed every packet of a capture, in order from its first, to a TcpAnalyzer and
   * set FilterInput.tcp (frame-filter.ts does). Filters without these fields cost nothing more.
   */
  readonly tcpAnalysis: boolean;
  /** Regular-expression inputs given up on (over the step budget; counted as no match). */
  exhausted(): number;
}

type V4 = { net: number; bits: number };
type V6 = { w: number[]; bits: number };
type Const = number | string | V4 | V6;

interface Val {
  type: FieldType;
  get(x: FilterInput, o: Occ): void;
  /** For a bare protocol name: presence without reading bytes. */
  present?(x: FilterInput): boolean;
  max?: number;
  name: string;
}

type Operand = { field: Val } | { literal: Extract<Entity, { kind: 'word' | 'string' | 'char' }> };

export function compileFilter(source: string): CompiledFilter {
  const ast = parseFilter(source);
  const c = new Compiler(source);
  const test = c.expr(ast);
  return { source, test, fields: [...c.fields], usesFacts: c.usesFacts, tcpAnalysis: c.tcpAnalysis, exhausted: () => c.regexes.reduce((a, r) => a + r.exhausted, 0) };
}

/** Whether `source` is a usable filter: null, or the error (message with line:column). */
export function checkFilter(source: string): FilterError | null {
  try {
    compileFilter(source);
    return null;
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
}

const NUMERIC: ReadonlySet<FieldType> = new Set(['uint', 'int', 'float', 'bool']);
const TEXTUAL: ReadonlySet<FieldType> = new Set(['string', 'bytes', 'proto']);

class Compiler {
  readonly fields = new Set<string>();
  usesFacts = false;
  tcpAnalysis = false;
  readonly regexes: ByteRegex[] = [];

  constructor(private readonly src: string) {}

  private err(reason: string, pos: number, hint?: string): FilterError { return new FilterError(reason, this.src, pos, hint); }

  expr(e: Expr): Predicate {
    switch (e.kind) {
      case 'and': { const a = this.expr(e.a), b = this.expr(e.b); return (x) => a(x) && b(x); }
      case 'or': { const a = this.expr(e.a), b = this.expr(e.b); return (x) => a(x) || b(x); }
      case 'not': { const a = this.expr(e.a); return (x) => !a(x); }
      case 'test': return this.exists(e.entity);
      case 'cmp': return this.cmp(e.op, e.left, e.right, e.pos);
      case 'in': return this.inSet(e);
      case 'contains': return this.contains(e.left, e.right, e.pos);
      case 'matches': return this.matches(e.left, e.right, e.pos);
      case 'bitand': return this.bitand(e.left, e.right, e.pos);
    }
  }

  // ---------------------------------------------------------------- entities

  private operand(en: Entity): Operand {
    if (en.kind === 'word') {
      const f = fieldDef(en.text);
      if (f) return { field: this.fieldVal(f, en.layer) };
      if (en.layer !== undefined) throw this.unknownField(en);
      return { literal: en };
    }
    if (en.kind === 'call') return { field: this.call(en) };
    return { literal: en };
  }

  private fieldVal(f: FieldDef, layer: number | undefined): Val {
    this.fields.add(f.name);
    if (f.tcpAnalysis) this.tcpAnalysis = true;
    if (f.ours && f.name !== 'capture.index' && f.name !== 'overlay.depth' && f.name !== 'overlay.type' && f.name !== 'overlay.vni') this.usesFacts = true;
    if (layer === undefined) return { type: f.type, get: f.get, ...(f.present ? { present: f.present } : {}), ...(f.max !== undefined ? { max: f.max } : {}), name: f.name };
    const all = new Occ();
    const width = f.type === 'ipv6' ? 4 : 1;
    return {
      type: f.type, name: `${f.name}#${layer}`, ...(f.max !== undefined ? { max: f.max } : {}),
      get: (x, o) => {
        f.get(x, all.clear());
        if (all.n < layer) return;
        if (TEXTUAL.has(f.type)) o.str(all.strs[layer - 1]!);
        else { for (let k = 0; k < width; k++) o.word(all.nums[(layer - 1) * width + k]!); o.n++; }
      },
    };
  }

  private call(en: Extract<Entity, { kind: 'call' }>): Val {
    const arg = this.operand(en.arg);
    if (!('field' in arg)) throw this.err(`${en.fn}() takes a field, not a value`, en.arg.pos);
    const f = arg.field;
    const inner = new Occ();
    switch (en.fn) {
      case 'count':
        return { type: 'uint', name: `count(${f.name})`, get: (x, o) => { f.get(x, inner.clear()); o.num(inner.n); } };
      case 'len':
        if (!TEXTUAL.has(f.type)) throw this.err(`len() takes a text or byte field; ${f.name} is ${f.type}`, en.arg.pos);
        return { type: 'uint', name: `len(${f.name})`, get: (x, o) => { f.get(x, inner.clear()); for (const s of inner.strs) o.num(s.length); } };
      case 'lower': case 'upper': {
        if (f.type !== 'string') throw this.err(`${en.fn}() takes a text field; ${f.name} is ${f.type}`, en.arg.pos);
        const up = en.fn === 'upper';
        return { type: 'string', name: `${en.fn}(${f.name})`, get: (x, o) => { f.get(x, inner.clear()); for (const s of inner.strs) o.str(up ? s.toUpperCase() : s.toLowerCase()); } };
      }
      default:
        throw this.err(`unknown function '${shown(en.fn)}'`, en.pos);
    }
  }

  /** tshark: "tcp.analysis.flags (type=Label) cannot participate in == comparison". */
  private label(f: Val, op: string, pos: number): FilterError {
    return this.err(`${f.name} is a label: test it alone or with not, it cannot be compared ('${op}')`, pos);
  }

  private unknownField(en: { text: string; pos: number }): FilterError {
    const name = en.text;
    const why = UNSUPPORTED_FIELDS[name];
    if (why) return this.err(`field '${name}' is not supported`, en.pos, why);
    return this.err(`unknown field '${shown(name)}'`, en.pos, suggest(name));
  }

  private exists(en: Entity): Predicate {
    const op = this.operand(en);
    if (!('field' in op)) throw en.kind === 'word' ? this.unknownField(en) : this.err('a value alone is not a filter (compare it with a field)', en.pos);
    const f = op.field;
    if (f.present) { const pr = f.present; return (x) => pr(x); }
    const o = new Occ();
    return (x) => { f.get(x, o.clear()); return o.n > 0; };
  }

  /** Both sides of a relation: a field on the left (swapped when the field is on the right). */
  private sides(left: Entity, right: Entity): { l: Val; r: Operand; swapped: boolean } {
    const a = this.operand(left);
    const b = this.operand(right);
    if ('field' in a) return { l: a.field, r: b, swapped: false };
    if ('field' in b) return { l: b.field, r: a, swapped: true };
    throw left.kind === 'word' ? this.unknownField(left) : this.err('a relation needs a field on one side', left.pos);
  }

  // ---------------------------------------------------------------- literals

  private constant(type: FieldType, lit: Extract<Entity, { kind: 'word' | 'string' | 'char' }>, field: Val, forText = false): Const {
    const t = lit.text;
    const bad = (what: string): FilterError => this.err(`'${shown(t)}' is not ${what}`, lit.pos, `${field.name} is ${TYPE_WORDS[type]}`);
    if (lit.kind === 'char') {
      if (TEXTUAL.has(type)) return t;
      if (NUMERIC.has(type)) return this.checkMax(t.charCodeAt(0), field, lit.pos);
      throw bad(TYPE_WORDS[type]);
    }
    switch (type) {
      case 'uint': case 'int': {
        const v = parseInteger(t);
        if (v === null) throw bad(type === 'uint' ? 'an unsigned integer' : 'an integer');
        if (type === 'uint' && v < 0) throw this.err(`${shown(t)} is below 0`, lit.pos, `${field.name} is unsigned`);
        return this.checkMax(v, field, lit.pos);
      }
      case 'float': {
        if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) throw bad('a number');
        const v = Number(t);
        if (!Number.isFinite(v)) throw bad('a finite number');
        return v;
      }
      case 'bool': {
        // tshark 4.0 takes 1 and 0 (any integer) for a boolean field, not true/false.
        const v = parseInteger(t);
        if (v === null) throw bad('a boolean (1 or 0)');
        return v !== 0 ? 1 : 0;
      }
      case 'ipv4': {
        const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(t);
        const a = m ? parseV4(m[1]!) : null;
        const bits = m?.[2] !== undefined ? Number(m[2]) : 32;
        if (a === null || bits > 32) throw bad('an IPv4 address or network (10.244.0.0/16)');
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        return { net: (a & mask) >>> 0, bits };
      }
      case 'ipv6': {
        const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(t);
        const w = m ? parseV6(m[1]!) : null;
        const bits = m?.[2] !== undefined ? Number(m[2]) : 128;
        if (w === null || bits > 128) throw bad('an IPv6 address or network (fd00::/8)');
        return { w: maskV6(w, bits), bits };
      }
      case 'mac': {
        const v = parseMac(t);
        if (v === null) throw bad('a MAC address (aa:bb:cc:dd:ee:ff)');
        return v;
      }
      case 'string':
        return t;
      case 'none':
        throw this.label(field, 'value', lit.pos);
      case 'bytes': case 'proto': {
        if (lit.kind === 'string') return t;
        const bytes = parseBytes(t);
        if (bytes === null) {
          if (forText) throw bad('a byte string (aa:bb:cc or "text")');
          throw bad('a byte string');
        }
        return bytes;
      }
    }
  }

  private checkMax(v: number, field: Val, pos: number): number {
    if (field.max !== undefined && v > field.max) throw this.err(`${v} is too big for ${field.name} (maximum ${field.max})`, pos);
    return v;
  }

  // ---------------------------------------------------------------- relations

  private cmp(op0: CmpOp, left: Entity, right: Entity, pos: number): Predicate {
    const { l, r, swapped } = this.sides(left, right);
    const op = swapped ? MIRROR[op0] : op0;
    if (l.type === 'none') throw this.label(l, op0, pos);
    if (l.type === 'proto' && op !== '==' && op !== '!=' && op !== '===' && op !== '~=') {
      throw this.err(`${l.name} is a protocol: it can be tested, compared for equality, searched (contains, matches), not ordered`, pos);
    }
    const type = l.type;
    const lo = new Occ();
    if ('literal' in r) {
      const c = this.constant(type, r.literal, l);
      if (type === 'bool' && op !== '==' && op !== '!=' && op !== '===' && op !== '~=') throw this.err(`${l.name} is a boolean: only == and != compare it`, pos);
      const one = relation(op, type);
      return (x) => {
        l.get(x, lo.clear());
        return one(lo, c);
      };
    }
    const rf = r.field;
    if (!compatible(type, rf.type)) throw this.err(`${l.name} (${TYPE_WORDS[type]}) and ${rf.name} (${TYPE_WORDS[rf.type]}) cannot be compared`, pos);
    const ro = new Occ();
    const width = rf.type === 'ipv6' ? 4 : 1;
    const pair = relation(op === '!=' || op === '~=' || op === '===' ? '==' : op, type);
    const any = (x: FilterInput): boolean => {
      l.get(x, lo.clear());
      rf.get(x, ro.clear());
      for (let k = 0; k < ro.n; k++) if (pair(lo, occConst(rf.type, ro, k, width))) return true;
      return false;
    };
    if (op === '!=') return (x) => { l.get(x, lo.clear()); return lo.n > 0 && !any(x); };
    if (op === '==' || op === '>' || op === '>=' || op === '<' || op === '<=') return any;
    throw this.err(`${op} between two fields is not supported (compare a field with a value)`, pos);
  }

  private bitand(left: Entity, right: Entity, pos: number): Predicate {
    const { l, r } = this.sides(left, right);
    if (l.type !== 'uint' && l.type !== 'int' && l.type !== 'bool') throw this.err(`'&' works on integer fields; ${l.name} is ${TYPE_WORDS[l.type]}`, pos);
    if (!('literal' in r)) throw this.err("'&' needs an integer mask on its right", pos);
    const mask = this.constant('uint', r.literal, { ...l, max: 0xffffffff }) as number;
    const o = new Occ();
    return (x) => {
      l.get(x, o.clear());
      for (let k = 0; k < o.n; k++) if ((o.nums[k]! & mask) !== 0) return true;
      return false;
    };
  }

  private inSet(e: Extract<Expr, { kind: 'in' }>): Predicate {
    const a = this.operand(e.left);
    if (!('field' in a)) throw e.left.kind === 'word' ? this.unknownField(e.left) : this.err("'in' needs a field on its left", e.left.pos);
    const l = a.field;
    if (l.type === 'none') throw this.label(l, 'in', e.pos);
    const tests: Array<(o: Occ, k: number) => boolean> = [];
    for (const it of e.items) {
      const lit = (en: Entity): Extract<Entity, { kind: 'word' | 'string' | 'char' }> => {
        if (en.kind === 'call' || (en.kind === 'word' && fieldDef(en.text))) throw this.err('set members are values, not fields', en.pos);
        return en;
      };
      const lo = this.constant(l.type, lit(it.lo), l);
      if (it.hi) {
        if (!NUMERIC.has(l.type) && l.type !== 'ipv4' && l.type !== 'mac' && l.type !== 'string') throw this.err(`ranges of ${TYPE_WORDS[l.type]} are not supported`, it.lo.pos);
        const hi = this.constant(l.type, lit(it.hi), l);
        const ge = elementOrder(l.type);
        tests.push((o, k) => ge(o, k, lo) >= 0 && ge(o, k, hi) <= 0);
      } else {
        const eq = elementEq(l.type);
        tests.push((o, k) => eq(o, k, lo));
      }
    }
    const o = new Occ();
    return (x) => {
      l.get(x, o.clear());
      for (let k = 0; k < o.n; k++) for (const t of tests) if (t(o, k)) return true;
      return false;
    };
  }

  private textSide(left: Entity, right: Entity, what: string, pos: number): { l: Val; r: Operand } {
    const { l, r, swapped } = this.sides(left, right);
    if (swapped) throw this.err(`'${what}' needs the field on its left`, pos);
    if (!TEXTUAL.has(l.type)) throw this.err(`'${what}' works on text and byte fields; ${l.name} is ${TYPE_WORDS[l.type]}`, pos);
    return { l, r };
  }

  private contains(left: Entity, right: Entity, pos: number): Predicate {
    const { l, r } = this.textSide(left, right, 'contains', pos);
    const lo = new Occ();
    if ('field' in r) {
      if (!TEXTUAL.has(r.field.type)) throw this.err(`'contains' needs text or bytes on its right; ${r.field.name} is ${TYPE_WORDS[r.field.type]}`, pos);
      const rf = r.field;
      const ro = new Occ();
      return (x) => {
        l.get(x, lo.clear());
        rf.get(x, ro.clear());
        return lo.strs.some((s) => ro.strs.some((t) => s.includes(t)));
      };
    }
    const needle = this.constant(l.type === 'string' ? 'string' : 'bytes', r.literal, l, true) as string;
    return (x) => {
      l.get(x, lo.clear());
      for (const s of lo.strs) if (s.includes(needle)) return true;
      return false;
    };
  }

  private matches(left: Entity, right: Entity, pos: number): Predicate {
    const { l, r } = this.textSide(left, right, 'matches', pos);
    if (!('literal' in r) || r.literal.kind !== 'string') throw this.err("'matches' needs a regular expression in double quotes", right.pos);
    let re: ByteRegex;
    try {
      re = new ByteRegex(r.literal.text);
    } catch (e) {
      if (e instanceof RegexError) throw this.err(`bad regular expression: ${e.message}`, right.pos);
      throw e;
    }
    this.regexes.push(re);
    const lo = new Occ();
    return (x) => {
      l.get(x, lo.clear());
      for (const s of lo.strs) if (re.test(s)) return true;
      return false;
    };
  }
}

const TYPE_WORDS: Record<FieldType, string> = {
  uint: 'an unsigned integer', int: 'an integer', float: 'a number', bool: 'a boolean', ipv4: 'an IPv4 address', ipv6: 'an IPv6 address',
  mac: 'a MAC address', string: 'text', bytes: 'bytes', proto: 'a protocol', none: 'a label',
};

const MIRROR: Record<CmpOp, CmpOp> = { '==': '==', '!=': '!=', '===': '===', '~=': '~=', '>': '<', '<': '>', '>=': '<=', '<=': '>=' };

function compatible(a: FieldType, b: FieldType): boolean {
  if (a === b) return true;
  if (NUMERIC.has(a) && NUMERIC.has(b)) return true;
  return TEXTUAL.has(a) && TEXTUAL.has(b);
}

/** An integer in decimal, 0x hex, 0b binary or 0 octal (Wireshark's forms); null when not one or beyond 2^53. */
export function parseInteger(t: string): number | null {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (!m) return null;
  const body = m[2]!;
  let v: number;
  if (/^0[xX]/.test(body)) v = body.length > 16 ? Infinity : parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) v = body.length > 56 ? Infinity : parseInt(body.slice(2), 2);
  else if (body.length > 1 && body.startsWith('0')) v = body.length > 20 ? Infinity : parseInt(body, 8);
  else v = body.length > 17 ? Infinity : Number(body);
  if (!Number.isSafeInteger(v)) return null;
  return m[1] === '-' ? -v : v;
}

function parseBytes(t: string): string | null {
  let groups: string[];
  if (/^[0-9a-fA-F]{1,2}([:.-][0-9a-fA-F]{1,2})*$/.test(t)) groups = t.split(/[:.-]/);
  else return null;
  return groups.map((g) => String.fromCharCode(parseInt(g, 16))).join('');
}

function maskV6(w: number[], bits: number): number[] {
  return w.map((x, k) => {
    const b = Math.max(0, Math.min(32, bits - 32 * k));
    const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    return (x & mask) >>> 0;
  });
}

/** Occurrence k of `o` as a constant (for field-to-field relations). */
function occConst(type: FieldType, o: Occ, k: number, width: number): Const {
  if (TEXTUAL.has(type)) return o.strs[k]!;
  if (type === 'ipv4') return { net: o.nums[k]!, bits: 32 };
  if (type === 'ipv6') return { w: o.nums.slice(k * width, k * width + 4), bits: 128 };
  return o.nums[k]!;
}

/** Whether occurrence k equals c (an address network: lies in it). */
function elementEq(type: FieldType): (o: Occ, k: number, c: Const) => boolean {
  if (TEXTUAL.has(type)) return (o, k, c) => o.strs[k] === c;
  if (type === 'ipv4') {
    return (o, k, c) => {
      const { net, bits } = c as V4;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return ((o.nums[k]! & mask) >>> 0) === net;
    };
  }
  if (type === 'ipv6') {
    return (o, k, c) => {
      const { w, bits } = c as V6;
      for (let q = 0; q < 4; q++) {
        const b = Math.max(0, Math.min(32, bits - 32 * q));
        const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
        if (((o.nums[k * 4 + q]! & mask) >>> 0) !== w[q]) return false;
      }
      return true;
    };
  }
  if (type === 'bool') return (o, k, c) => (o.nums[k]! !== 0 ? 1 : 0) === c;
  return (o, k, c) => o.nums[k] === c;
}

/** Sign of (occurrence k - c). */
function elementOrder(type: FieldType): (o: Occ, k: number, c: Const) => number {
  if (TEXTUAL.has(type)) return (o, k, c) => { const s = o.strs[k]!; return s < (c as string) ? -1 : s > (c as string) ? 1 : 0; };
  if (type === 'ipv4') return (o, k, c) => Math.sign(o.nums[k]! - (c as V4).net);
  if (type === 'ipv6') {
    return (o, k, c) => {
      for (let q = 0; q < 4; q++) { const d = o.nums[k * 4 + q]! - (c as V6).w[q]!; if (d !== 0) return Math.sign(d); }
      return 0;
    };
  }
  return (o, k, c) => Math.sign(o.nums[k]! - (c as number));
}

/** A relation between every occurrence of a field (in `o`) and a constant. */
function relation(op: CmpOp, type: FieldType): (o: Occ, c: Const) => boolean {
  const eq = elementEq(type);
  const ord = elementOrder(type);
  if (op === '==' && type === 'ipv4') {
    // The hot case (ip.addr == 10.244.0.0/16): the mask once a packet, not once an occurrence.
    return (o, c) => {
      const { net, bits } = c as V4;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      for (let k = 0; k < o.n; k++) if (((o.nums[k]! & mask) >>> 0) === net) return true;
      return false;
    };
  }
  if (op === '==' && (type === 'uint' || type === 'int' || type === 'float')) {
    return (o, c) => { for (let k = 0; k < o.n; k++) if (o.nums[k] === c) return true; return false; };
  }
  switch (op) {
    case '==': return (o, c) => { for (let k = 0; k < o.n; k++) if (eq(o, k, c)) return true; return false; };
    // Wireshark 4.0: "all not equal", and false when the field is absent (as every relation on an absent field).
    case '!=': return (o, c) => { if (o.n === 0) return false; for (let k = 0; k < o.n; k++) if (eq(o, k, c)) return false; return true; };
    case '~=': return (o, c) => { for (let k = 0; k < o.n; k++) if (!eq(o, k, c)) return true; return false; };
    case '===': return (o, c) => { if (o.n === 0) return false; for (let k = 0; k < o.n; k++) if (!eq(o, k, c)) return false; return true; };
    case '>': return (o, c) => { for (let k = 0; k < o.n; k++) if (ord(o, k, c) > 0) return true; return false; };
    case '>=': return (o, c) => { for (let k = 0; k < o.n; k++) if (ord(o, k, c) >= 0) return true; return false; };
    case '<': return (o, c) => { for (let k = 0; k < o.n; k++) if (ord(o, k, c) < 0) return true; return false; };
    case '<=': return (o, c) => { for (let k = 0; k < o.n; k++) if (ord(o, k, c) <= 0) return true; return false; };
  }
}

/** "did you mean ..." for an unknown field name. */
function suggest(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  const max = name.length <= 4 ? 1 : name.length <= 8 ? 2 : 3;
  for (const f of fieldNames()) {
    const d = editDistance(lower, f, max);
    if (d <= max && d < bestD) { best = f; bestD = d; }
  }
  if (best) return `did you mean ${best}?`;
  const children = allFields().filter((f) => f.name.startsWith(`${lower}.`)).map((f) => f.name);
  if (children.length) return `fields under it: ${children.slice(0, 5).join(', ')}${children.length > 5 ? ', ...' : ''}`;
  return undefined;
}

