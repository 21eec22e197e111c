/**
 * Tokens of Wireshark's display-filter language (docs/filter.md). Words are
 * runs of field-name and literal characters (`ip.src`, `10.0.0.0/8`,
 * `aa:bb:cc:dd:ee:ff`, `fe80::1`, `0x1f`); whether a word is a field or a
 * literal is decided by the parser. `..` ends a word so `1..5` is a range.
 */
import { FilterError } from './errors.js';

export type TokenKind =
  | 'word' | 'string' | 'char'
  | '(' | ')' | '{' | '}' | '[' | ']' | ',' | '..' | '#'
  | '==' | '!=' | '===' | '!==' | '~=' | '>' | '>=' | '<' | '<=' | '&&' | '||' | '!' | '~' | '&'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The word, or a string's decoded value (latin1: one char a byte). */
  text: string;
  /** Offset of the token's first character in the filter text. */
  pos: number;
  end: number;
}

/** Longest filter accepted; longer text is refused before tokenizing (a 1 MB string is an error, quickly). */
export const MAX_FILTER_LENGTH = 64 * 1024;
const MAX_TOKENS = 20_000;

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    || c === 0x5f /* _ */ || c === 0x2e /* . */ || c === 0x2d /* - */ || c === 0x3a /* : */ || c === 0x2f /* / */;
}

const PUNCT: Array<[string, TokenKind]> = [
  ['===', '==='], ['!==', '!=='], ['==', '=='], ['!=', '!='], ['~=', '~='], ['>=', '>='], ['<=', '<='], ['&&', '&&'], ['||', '||'],
  ['..', '..'], ['&', '&'], ['>', '>'], ['<', '<'], ['!', '!'], ['~', '~'], ['(', '('], [')', ')'], ['{', '{'], ['}', '}'], ['[', '['], [']', ']'],
  [',', ','], ['#', '#'],
];

export function tokenize(src: string): Token[] {
  if (src.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`filter too long (${src.length} characters; at most ${MAX_FILTER_LENGTH})`, src, MAX_FILTER_LENGTH);
  }
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    if (out.length > MAX_TOKENS) throw new FilterError(`filter has more than ${MAX_TOKENS} tokens`, src, i);
    const c = src.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) { i++; continue; }
    if (c === 0x22 /* " */ || ((c === 0x72 || c === 0x52) && src.charCodeAt(i + 1) === 0x22 && !isWordChar(src.charCodeAt(i - 1) || 0))) {
      const raw = c !== 0x22;
      const start = i;
      i += raw ? 2 : 1;
      const r = readString(src, i, raw, start);
      out.push({ kind: 'string', text: r.value, pos: start, end: r.end });
      i = r.end;
      continue;
    }
    if (c === 0x27 /* ' */) {
      const start = i;
      const r = readChar(src, i + 1, start);
      out.push({ kind: 'char', text: r.value, pos: start, end: r.end });
      i = r.end;
      continue;
    }
    if (isWordChar(c) && !(c === 0x2e && src.charCodeAt(i + 1) === 0x2e)) {
      const start = i;
      while (i < src.length && isWordChar(src.charCodeAt(i))) {
        if (src.charCodeAt(i) === 0x2e && src.charCodeAt(i + 1) === 0x2e && i > start) break;
        i++;
      }
      out.push({ kind: 'word', text: src.slice(start, i), pos: start, end: i });
      continue;
    }
    const p = PUNCT.find(([s]) => src.startsWith(s, i));
    if (!p) {
      const ch = src[i]!;
      const shown = c >= 0x20 && c < 0x7f ? `'${ch}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new FilterError(`unexpected character ${shown}`, src, i);
    }
    out.push({ kind: p[1], text: p[0], pos: i, end: i + p[0].length });
    i += p[0].length;
  }
  out.push({ kind: 'eof', text: '', pos: src.length, end: src.length });
  return out;
}

/** A double-quoted string (escapes \\ \" \a \b \f \n \r \t \v \xHH \OOO \uXXXX); raw strings keep backslashes. */
function readString(src: string, i: number, raw: boolean, start: number): { value: string; end: number } {
  let v = '';
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '"') return { value: v, end: i + 1 };
    if (ch === '\\') {
      if (raw) {
        // A raw string keeps the backslash; \" still does not end it.
        v += ch;
        if (i + 1 < src.length) v += src[i + 1]!;
        i += 2;
        continue;
      }
      const e = src[i + 1];
      if (e === undefined) break;
      const simple: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
      if (simple[e] !== undefined) { v += simple[e]; i += 2; continue; }
      if (e === 'x') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(src.slice(i + 2, i + 4));
        if (!m) throw new FilterError('\\x needs hex digits', src, i);
        v += String.fromCharCode(parseInt(m[0], 16));
        i += 2 + m[0].length;
        continue;
      }
      if (e >= '0' && e <= '7') {
        const m = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))!;
        const n = parseInt(m[0], 8);
        if (n > 255) throw new FilterError(`octal escape \\${m[0]} is over 255`, src, i);
        v += String.fromCharCode(n);
        i += 1 + m[0].length;
        continue;
      }
      if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const m = new RegExp(`^[0-9a-fA-F]{${len}}`).exec(src.slice(i + 2, i + 2 + len));
        if (!m) throw new FilterError(`\\${e} needs ${len} hex digits`, src, i);
        const cp = parseInt(m[0], 16);
        if (cp > 0x10ffff) throw new FilterError(`\\${e}${m[0]} is not a Unicode code point`, src, i);
        v += utf8Latin1(String.fromCodePoint(cp));
        i += 2 + len;
        continue;
      }
      throw new FilterError(`unknown escape \\${e}`, src, i);
    }
    // Non-ASCII text is matched as its UTF-8 bytes.
    const cp = src.codePointAt(i)!;
    if (cp < 0x80) { v += ch; i++; } else { const s = String.fromCodePoint(cp); v += utf8Latin1(s); i += s.length; }
  }
  throw new FilterError('string not closed (missing ")', src, start);
}

function readChar(src: string, i: number, start: number): { value: string; end: number } {
  const close = src.indexOf("'", src[i] === '\\' ? i + 2 : i + 1);
  if (close < 0) throw new FilterError("character constant not closed (missing ')", src, start);
  const body = src.slice(i, close);
  const r = body.startsWith('\\') ? readString(`${body}"`, 0, false, 0).value : body;
  if (r.length !== 1) throw new FilterError(`a character constant holds one character, not '${body}'`, src, start);
  return { value: r, end: close + 1 };
}

/** A JS string as its UTF-8 bytes, one latin1 char a byte. */
export function utf8Latin1(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}
