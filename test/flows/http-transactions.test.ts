/**
 * The byte readers of HTTP start lines (src/flows/http-transactions.ts) give
 * what the regular expressions they replaced give on the Latin-1 text of the
 * line: checked on crafted lines and on random lines built from the bytes
 * that matter (digits, spaces of every kind, CR, tchars, Latin-1 high bytes).
 */
import { describe, expect, it } from 'vitest';
import { requestLineUri, statusLineMatches } from '../../src/flows/http-transactions.js';

const STATUS = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/;
const REQUEST = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d\.\d)$/;

function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** The line placed at offset 3 of a larger buffer (readers must honour from/to). */
function framed(line: string): { b: Uint8Array; from: number; to: number } {
  const b = new Uint8Array(line.length + 6).fill(0x41);
  for (let k = 0; k < line.length; k++) b[3 + k] = line.charCodeAt(k);
  return { b, from: 3, to: 3 + line.length };
}

function statusAgrees(line: string): void {
  const { b, from, to } = framed(line);
  const m = STATUS.exec(line);
  expect(statusLineMatches(b, from, to), JSON.stringify(line)).toBe(m !== null);
  if (m) {
    expect(latin1(b.subarray(from + 5, from + 8))).toBe(m[1]);
    expect(latin1(b.subarray(from + 9, from + 12))).toBe(m[2]);
    expect(to - from > 12 ? latin1(b.subarray(from + 13, to)) : '').toBe(m[3] ?? '');
  }
}

function requestAgrees(line: string): void {
  const { b, from, to } = framed(line);
  const m = REQUEST.exec(line);
  const uri = requestLineUri(b, from, to);
  expect(uri >= 0, JSON.stringify(line)).toBe(m !== null);
  if (m) {
    expect(latin1(b.subarray(from, uri - 1))).toBe(m[1]);
    expect(latin1(b.subarray(uri, to - 9))).toBe(m[2]);
    expect(latin1(b.subarray(to - 3, to))).toBe(m[3]);
  }
}

describe('HTTP start lines read as bytes', () => {
  it.each([
    'HTTP/1.1 200 OK', 'HTTP/1.1 200', 'HTTP/1.1 200 ', 'HTTP/1.0 404 Not Found', 'HTTP/2.0 101 Switching Protocols',
    'HTTP/1.1 200OK', 'HTTP/1.1 2000', 'HTTP/1.1 20', 'HTTP/11 200 OK', 'HTTP/1.1  200 OK', 'http/1.1 200 OK',
    'HTTP/1.1 200 O\rK', 'HTTP/1.1 200 OK\r', 'HTTP/1.1 200 caf\xe9 \xa0', 'HTTP/1.1 2x0 OK', 'HTTP/', 'HTTP/1.1\t200 OK', 'HTTP/1.1 200\tOK',
  ])('status line %j', (line) => statusAgrees(line));

  it.each([
    'GET / HTTP/1.1', 'POST /a?b=c HTTP/1.0', 'M-SEARCH * HTTP/1.1', "!#$%&'*+.^_`|~-09azAZ /x HTTP/1.1",
    'GET  / HTTP/1.1', 'GET / HTTP/1.1 ', 'GET / HTTP/1.11', 'GET / HTTP/1', 'GET /a b HTTP/1.1', 'GET /\xa0 HTTP/1.1', 'GET /\x85 HTTP/1.1',
    'GET /\t HTTP/1.1', 'GET\t/ HTTP/1.1', 'G(T / HTTP/1.1', ' GET / HTTP/1.1', 'GET HTTP/1.1', 'GET / http/1.1', 'GET /\r HTTP/1.1',
    'GET / HTTP/1.1\r', 'GET', '', 'GET /caf\xe9 HTTP/1.1', 'GET / HTTP/a.1', 'GET / HTTP/1:1',
  ])('request line %j', (line) => requestAgrees(line));

  it('random lines: the same answers as the regular expressions', () => {
    // Deterministic pseudo-random lines (xorshift), biased toward the shapes of start lines.
    let x = 0x9e3779b9;
    const rnd = (n: number): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % n; };
    const alphabet = ['H', 'T', 'P', '/', '1', '.', '2', '0', ' ', '\t', '\r', '\x0b', '\xa0', '\x85', 'G', 'E', '-', '(', '\xe9', 'a', '9', '~'];
    const templates = ['HTTP/1.1 200 OK', 'HTTP/1.0 404', 'GET /index.html HTTP/1.1', 'M-SEARCH * HTTP/1.1'];
    let statuses = 0, requests = 0;
    for (let n = 0; n < 20000; n++) {
      // A start line with 0-3 random edits (replace, insert, delete).
      let line = templates[rnd(templates.length)]!;
      const edits = rnd(4);
      for (let e = 0; e < edits; e++) {
        const at = rnd(line.length + 1);
        const c = alphabet[rnd(alphabet.length)]!;
        const op = rnd(3);
        line = op === 0 ? line.slice(0, at) + c + line.slice(at + 1) : op === 1 ? line.slice(0, at) + c + line.slice(at) : line.slice(0, at) + line.slice(at + 1);
      }
      statusAgrees(line);
      requestAgrees(line);
      if (STATUS.test(line)) statuses++;
      if (REQUEST.test(line)) requests++;
    }
    // The random lines include matches of both kinds, not only refusals.
    expect(statuses).toBeGreaterThan(20);
    expect(requests).toBeGreaterThan(20);
  });
});
