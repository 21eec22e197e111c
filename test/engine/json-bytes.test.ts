/**
 * JsonBytes writes exactly what JSON.stringify writes, as UTF-8: numbers at
 * the edges of its integer fast path, strings that need escaping or are not
 * ASCII (lone surrogates included), times at every precision and out of
 * Date's range, IPv4 addresses, encoded literals, and a buffer that grows
 * while a row is written.
 */
import { describe, expect, it } from 'vitest';
import { JsonBytes, JsonLit, SLACK } from '../../src/pipeline/json-bytes.js';
import { formatTime } from '../../src/pipeline/time.js';
import { ipv4ToString } from '../../src/dissect/addr.js';

function written(write: (out: JsonBytes) => void, capacity = 1 << 12): string {
  const out = new JsonBytes(capacity);
  write(out);
  return Buffer.from(out.buf.subarray(0, out.pos)).toString('utf8');
}

describe('JsonBytes', () => {
  it.each([0, -0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -(2 ** 31), 0.5, 0.537, 1e21, 1e-7, -3.25, NaN, Infinity, -Infinity, Number.MAX_VALUE])('num(%d) is JSON.stringify', (x) => {
    expect(written((o) => o.num(x))).toBe(JSON.stringify(x));
  });

  it('writes null, booleans and every 32-bit power-of-ten boundary', () => {
    expect(written((o) => { o.num(null); o.bool(true); o.bool(false); o.str(null); })).toBe('nulltruefalsenull');
    for (let d = 1; d <= 10; d++) {
      for (const x of [10 ** d - 1, 10 ** d, 10 ** d + 1]) {
        if (x < 2 ** 32) expect(written((o) => o.uint(x))).toBe(String(x));
      }
    }
  });

  it('writes k / 1000 as JSON.stringify does (durations in ms to the µs)', () => {
    const ks: number[] = [];
    for (let k = -200_000; k <= 3_000_000; k++) ks.push(k);
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 200_000; i++) ks.push(next() * 1000 + (next() % 1000), -(next() * 977), next() % 4294967296000);
    ks.push(-0, 4294967295999, 4294967296000, -4294967295999, -4294967296000, 2 ** 53, 0.5, -1.5, NaN, Infinity, -Infinity);
    const out = new JsonBytes(64);
    for (const k of ks) { out.thousandths(k); out.lit(','); }
    expect(out.toString()).toBe(ks.map((k) => JSON.stringify(k / 1000)).join(',') + ',');
  });

  it.each([
    '', 'GET', '/api/v1/orders/97213?q=a b', 'quote " and \\ backslash', 'tab\tnew\nline\u0000\u001f\u007f',
    'SYN→SYN/ACK→ACK, FIN both', 'café', '日本語', '😀 pair', 'lone \ud800 high', 'lone \udc00 low', '\u2028\u2029',
  ])('str(%j) is JSON.stringify as UTF-8', (s) => {
    expect(written((o) => o.str(s))).toBe(JSON.stringify(s));
    expect(new JsonLit(JSON.stringify(s)).length).toBe(Buffer.byteLength(JSON.stringify(s)));
    expect(written((o) => o.put(new JsonLit(JSON.stringify(s))))).toBe(JSON.stringify(s));
  });

  it('writes times as JSON.stringify(formatTime(...)) at every precision, in and out of the date cache', () => {
    const secs = [0, 1, 63, 64, 1736935200, 1736935201, 1736935200 + 64, -1, -86400, 253402300799, 8.64e12, 8.64e12 + 1, NaN, Infinity, 1.5];
    const nsecs = [0, 1, 999, 1000, 123456789, 999999999, 5e8, -1, 1e9, 0.5, NaN];
    const out = new JsonBytes(64);
    let expected = '';
    for (let round = 0; round < 2; round++) {
      for (const sec of secs) {
        for (const nsec of nsecs) {
          for (let p = -1; p <= 10; p++) {
            out.time(sec, nsec, p);
            expected += JSON.stringify(formatTime(sec, nsec, p));
          }
        }
      }
    }
    expect(out.toString()).toBe(expected);
  });

  it('writes IPv4 addresses as ipv4ToString', () => {
    for (const a of [0, 0xffffffff, 0x0a000001, 0xc0a8380d, 0x01020304, 0x64646464, 0x09630a63]) {
      expect(written((o) => o.ipv4(a))).toBe(JSON.stringify(ipv4ToString(a)));
    }
  });

  it('grows while writing and keeps what was written', () => {
    const out = new JsonBytes(16);
    const long = 'x'.repeat(5 * SLACK);
    const lit = new JsonLit(`"${'é'.repeat(SLACK)}"`);
    let expected = '';
    for (let i = 0; i < 50; i++) {
      out.put(lit); expected += lit.text;
      out.str(long); expected += JSON.stringify(long);
      out.uint(i); expected += String(i);
      out.text('→'); expected += '→';
    }
    expect(out.toString()).toBe(expected);
    expect(out.buf.length).toBeGreaterThanOrEqual(out.pos + SLACK);
  });
});
