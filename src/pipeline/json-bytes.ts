/**
 * JSON text written straight into UTF-8 bytes, in one reused, growing
 * Uint8Array: for the big parts of an export (a flow or HTTP transaction a
 * line, hundreds of thousands of them) without a string per value, a string
 * per row and a UTF-8 conversion of every piece. What each method writes is
 * exactly what JSON.stringify writes for the same value, encoded as UTF-8.
 *
 * Room: `lit`, `uint`, `ipv4` and the fast form of `num` write without
 * checking the buffer's end (a check per byte or value would cost as much as
 * the writing). Every method that makes room (`room`, `put`, `str`, `ascii`,
 * `text`, `time`, `bool`) leaves SLACK bytes free beyond what it writes, so a
 * row writer calls `room(0)` at its start and keeps each run of the others
 * between two such calls under SLACK bytes (a number is at most 24
 * characters as JSON writes it, an IPv4 address 17; a row's longest run is a
 * few numbers). A typed array ignores writes past
 * its end: a run over SLACK would lose bytes, which the tests comparing rows
 * with JSON.stringify would show.
 */
import { formatTime, isoSecond } from './time.js';

/** Free bytes every room-making method leaves beyond what it writes. */
export const SLACK = 2048;

// encodeInto is in Node and browsers; src/platform.d.ts declares only encode.
const encoder = new TextEncoder() as unknown as {
  encode(s: string): Uint8Array;
  encodeInto(s: string, into: Uint8Array): { read: number; written: number };
};

/**
 * Text encoded once (keys and punctuation of a row, cached strings), kept as
 * big-endian 32-bit words: JsonBytes#put copies it a word at a time. On this
 * machine a JS loop storing one byte costs ~3 ns a byte whatever the source
 * (charCodeAt, a Uint8Array, TypedArray#set for short runs); a DataView
 * store of 4 bytes costs about as much as one byte store (the keys of 126 k
 * flow rows: ~190 -> ~90 ms in a micro-benchmark).
 */
export class JsonLit {
  readonly words: Uint32Array;
  /** Length in bytes (UTF-8). */
  readonly length: number;

  constructor(readonly text: string) {
    const b = encoder.encode(text);
    this.length = b.length;
    this.words = new Uint32Array((b.length + 3) >> 2);
    for (let i = 0; i < b.length; i++) this.words[i >> 2]! |= b[i]! << (24 - 8 * (i & 3));
  }
}

const NULL = new JsonLit('null');
const TRUE = new JsonLit('true');
const FALSE = new JsonLit('false');

/** `d.`, `dd.`, `ddd.` and `d"`, `dd"`, `ddd"` of every octet, as one left-aligned word each (IPv4 addresses). */
const OCTET_DOT = new Uint32Array(256);
const OCTET_QUOTE = new Uint32Array(256);
for (let o = 0; o < 256; o++) {
  const d = String(o);
  let w = 0;
  for (let i = 0; i < d.length; i++) w |= d.charCodeAt(i) << (24 - 8 * i);
  OCTET_DOT[o] = w | (46 << (24 - 8 * d.length));
  OCTET_QUOTE[o] = w | (34 << (24 - 8 * d.length));
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Time prefixes cached, direct-mapped by the second (a flow's first and last times are often different seconds). */
const TIME_SLOTS = 64;

export class JsonBytes {
  /** Bytes written so far are `buf[0 .. pos)`. */
  buf: Uint8Array;
  pos = 0;
  private dv: DataView;
  /** Seconds whose `"YYYY-MM-DDTHH:MM:SS` (20 bytes, formatTime's date part) is in timeWords. */
  private readonly timeSecs = new Float64Array(TIME_SLOTS).fill(NaN);
  private readonly timeWords = new Uint32Array(TIME_SLOTS * 5);

  constructor(capacity = 1 << 17) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes plus SLACK (the buffer doubles: written bytes are kept). */
  room(n: number): void {
    if (this.pos + n + SLACK > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.pos + n + SLACK) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }

  /** Encoded text; makes room. */
  put(l: JsonLit): void {
    const n = l.length;
    if (this.pos + n + SLACK > this.buf.length) this.grow(n);
    const w = l.words, dv = this.dv;
    let p = this.pos;
    // The last word may write up to 3 bytes past the text: inside the slack, overwritten next.
    for (let i = 0; i < w.length; i++) { dv.setUint32(p, w[i]!); p += 4; }
    this.pos += n;
  }

  /** An ASCII literal (layout of a document) with room already made. */
  lit(s: string): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A string known to be ASCII (number and time fallbacks, IPv6 addresses). */
  ascii(s: string): void {
    this.room(s.length);
    this.lit(s);
  }

  /** Any text, UTF-8 encoded (the parts of a document JSON.stringify made). */
  text(s: string): void {
    this.room(3 * s.length);
    this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** `JSON.stringify(s)` as UTF-8; null as `null`. */
  str(s: string | null): void {
    if (s === null) { this.put(NULL); return; }
    const n = s.length;
    this.room(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // Escapes (quote, backslash, controls) and non-ASCII: JSON.stringify's text, encoded.
      if (c < 0x20 || c === 34 || c === 92 || c > 0x7f) { this.text(JSON.stringify(s)); return; }
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.pos = p;
  }

  /** A number as JSON.stringify writes it (NaN and infinities as `null`). */
  num(x: number | null): void {
    if (x === null) this.put(NULL);
    else if ((x >>> 0) === x) this.uint(x);
    else if (Number.isFinite(x)) this.ascii(String(x));
    else this.put(NULL);
  }

  /**
   * An integer in [0, 2^32), with room already made. Int32 division: twice
   * as fast as Math.floor on doubles here (3 M numbers: 66 vs 115 ms).
   */
  uint(x: number): void {
    const len = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 1e4 ? 4 : x < 1e5 ? 5 : x < 1e6 ? 6 : x < 1e7 ? 7 : x < 1e8 ? 8 : x < 1e9 ? 9 : 10;
    const buf = this.buf;
    let p = this.pos + len;
    this.pos = p;
    let n = x;
    if (n > 0x7fffffff) {
      const q = Math.floor(n / 10);
      buf[--p] = 48 + n - 10 * q;
      n = q;
    }
    let m = n | 0;
    do {
      const q = (m / 10) | 0;
      buf[--p] = 48 + m - 10 * q;
      m = q;
    } while (m !== 0);
  }

  /**
   * `k / 1000` as JSON.stringify writes it, for an integer k (a duration
   * rounded to µs, written in ms), without String(double) (~250 k of them on
   * the bench file). Below 2^32 thousand, k/1000 is written as the exact
   * decimal, trailing zeros left out: that is the shortest text that reads
   * back as the same double, which is what String gives (the doubles there
   * are far closer together than 0.001). Anything else goes through num.
   */
  thousandths(k: number): void {
    if (!(k > -4294967296000 && k < 4294967296000 && Math.floor(k) === k)) { this.num(k / 1000); return; }
    this.room(0);
    if (k < 0) { this.buf[this.pos++] = 45; k = -k; }
    const whole = Math.floor(k / 1000);
    const frac = k - whole * 1000;
    this.uint(whole);
    if (frac === 0) return;
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 46;
    const d1 = (frac / 100) | 0, d23 = frac - 100 * d1, d2 = (d23 / 10) | 0, d3 = d23 - 10 * d2;
    buf[p++] = 48 + d1;
    if (d23 !== 0) {
      buf[p++] = 48 + d2;
      if (d3 !== 0) buf[p++] = 48 + d3;
    }
    this.pos = p;
  }

  bool(b: boolean): void {
    this.put(b ? TRUE : FALSE);
  }

  /** `JSON.stringify(formatTime(sec, nsec, precision))`; makes room. */
  time(sec: number, nsec: number, precision: number): void {
    if (!((nsec >>> 0) === nsec && nsec < 1e9)) { this.str(formatTime(sec, nsec, precision)); return; }
    const slot = sec & (TIME_SLOTS - 1);
    const tw = this.timeWords;
    if (this.timeSecs[slot] !== sec) {
      const prefix = isoSecond(sec);
      if (prefix === null) { this.str(formatTime(sec, nsec, precision)); return; }
      const text = `"${prefix}`; // 20 ASCII bytes: toISOString() is at least 24 characters
      for (let k = 0; k < 5; k++) {
        tw[5 * slot + k] = (text.charCodeAt(4 * k) << 24) | (text.charCodeAt(4 * k + 1) << 16) | (text.charCodeAt(4 * k + 2) << 8) | text.charCodeAt(4 * k + 3);
      }
      this.timeSecs[slot] = sec;
    }
    this.room(32);
    const dv = this.dv;
    let p = this.pos;
    for (let k = 0; k < 5; k++) { dv.setUint32(p, tw[5 * slot + k]!); p += 4; }
    const digits = precision >= 9 ? 9 : precision <= 0 ? 0 : precision;
    const buf = this.buf;
    if (digits > 0) {
      buf[p] = 46; // '.'
      // The first `digits` of the 9 zero-padded digits of nsec.
      let m = (nsec / POW10[9 - digits]!) | 0;
      for (let k = digits; k >= 1; k--) {
        const q = (m / 10) | 0;
        buf[p + k] = 48 + m - 10 * q;
        m = q;
      }
      p += 1 + digits;
    }
    buf[p++] = 90; // 'Z'
    buf[p++] = 34;
    this.pos = p;
  }

  /** An IPv4 address (a 32-bit word) as `"a.b.c.d"`, with room already made. */
  ipv4(a: number): void {
    const dv = this.dv;
    let p = this.pos;
    this.buf[p++] = 34;
    let o = a >>> 24;
    dv.setUint32(p, OCTET_DOT[o]!);
    p += o < 10 ? 2 : o < 100 ? 3 : 4;
    o = (a >>> 16) & 255;
    dv.setUint32(p, OCTET_DOT[o]!);
    p += o < 10 ? 2 : o < 100 ? 3 : 4;
    o = (a >>> 8) & 255;
    dv.setUint32(p, OCTET_DOT[o]!);
    p += o < 10 ? 2 : o < 100 ? 3 : 4;
    o = a & 255;
    dv.setUint32(p, OCTET_QUOTE[o]!);
    p += o < 10 ? 2 : o < 100 ? 3 : 4;
    this.pos = p;
  }

  /** The bytes written, as text (tests, and the string forms of the row writers). */
  toString(from = 0): string {
    return new TextDecoder().decode(this.buf.subarray(from, this.pos));
  }
}
