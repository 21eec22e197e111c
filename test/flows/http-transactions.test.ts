/**
 * The byte readers of HTTP start lines (src/flows/http-transactions.ts) give
 * what the regular expressions they replaced give on the Latin-1 text of the
 * line: checked on crafted lines and on random lines built from the bytes
 * that matter (digits, spaces of every kind, CR, tchars, Latin-1 high bytes).
 */
import { describe, expect, it } from 'vitest';
import { HttpTransactions, requestLineUri, statusLineMatches } from '../../src/flows/http-transactions.js';

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

/** A segment as FlowTracker hands it over. */
interface Seg { f: number; dir: number; seq: number; data: string; syn?: boolean; fin?: boolean; starts?: boolean }

function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Feeds segments as FlowTracker does, closing a flow after the segments listed. */
function feed(segs: Seg[], closeAfter: Set<number>): HttpTransactions {
  const h = new HttpTransactions();
  segs.forEach((s, k) => {
    const b = bytes('xx' + s.data);
    const len = s.data.length;
    if ((len > 0 || s.fin) && (s.starts || h.has(s.f))) {
      h.segment(s.f, 0, k, s.dir, s.seq | 0, s.syn ?? false, s.fin ?? false, b, 2, len, len, s.starts ?? false, k, 0);
    }
    if (closeAfter.has(k)) h.close(s.f, k, 0);
  });
  h.endCapture(0);
  return h;
}

describe('HTTP streams', () => {
  // Flow 1: a keep-alive pair with a split body, a retransmission and a close-delimited response cut
  // by the close, a header block cut at the close; flow 2 starts after flow 1 closed (it reuses flow 1's stream).
  const req = 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n';
  const resp1 = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n';
  const resp2 = 'HTTP/1.1 200 OK\r\n\r\nabc';
  const c = 1000, s = 5000;
  const segs: Seg[] = [
    { f: 1, dir: 0, seq: c, data: req, starts: true },
    { f: 1, dir: 1, seq: s, data: resp1, starts: true },
    { f: 1, dir: 1, seq: s + resp1.length, data: '01234' },
    { f: 1, dir: 1, seq: s + resp1.length, data: '01234' },
    { f: 1, dir: 1, seq: s + resp1.length + 5, data: '56789' },
    { f: 1, dir: 0, seq: c + req.length, data: req, starts: true },
    { f: 1, dir: 1, seq: s + resp1.length + 10, data: resp2, starts: true },
    { f: 1, dir: 1, seq: s + resp1.length + 10 + resp2.length, data: 'def', fin: true },
    { f: 1, dir: 0, seq: c + 2 * req.length, data: 'GET /cut HTTP/1.1\r\nHo' },
    { f: 1, dir: 0, seq: c + 2 * req.length + 30, data: 'x' },
    { f: 1, dir: 0, seq: c + 2 * req.length + 21, data: '', fin: true },
    { f: 2, dir: 0, seq: 7, data: 'POST /b HTTP/1.0\r\nContent-Length: 4\r\n\r\n', starts: true },
    { f: 2, dir: 0, seq: 7 + 39, data: 'ab' },
    { f: 2, dir: 0, seq: 7 + 41, data: 'cd' },
    { f: 2, dir: 1, seq: 90, data: 'HTTP/1.0 204 No Content\r\n\r\n', starts: true },
  ];
  const closeAfter = new Set([10]);

  it('keep-alive, split and retransmitted bodies, a close-delimited response, a header block cut at the close', () => {
    const h = feed(segs, closeAfter);
    expect(h.transactions.map((t) => [t.flow, t.method, t.uri, t.status, t.requestBytes, t.responseBytes, t.complete])).toEqual([
      [1, 'GET', '/a', 200, req.length, resp1.length + 10, true],
      [1, 'GET', '/a', 200, req.length, resp2.length + 3, true],
      [1, 'GET', '/cut', null, 21, 0, false],
      [2, 'POST', '/b', 204, 43, 27, true],
    ]);
  });

  it('a header block split across segments, at a line end and inside a line', () => {
    const h = new HttpTransactions();
    const parts = ['GET /split HTTP/1.1\r\n', 'Host: a.example\r\nContent-', 'Length: 3\r\n', '\r\nabc'];
    let seq = 100;
    parts.forEach((x, k) => {
      const b = bytes(x);
      h.segment(1, 0, k, 0, seq, false, false, b, 0, b.length, b.length, k === 0, k, 0);
      seq += b.length;
    });
    const resp = bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    h.segment(1, 0, 4, 1, 900, false, false, resp, 0, resp.length, resp.length, true, 4, 0);
    h.endCapture(0);
    expect(h.transactions.map((t) => [t.method, t.host, t.uri, t.status, t.requestBytes, t.complete]))
      .toEqual([['GET', 'a.example', '/split', 200, parts.join('').length, true]]);
    expect(h.issues).toEqual([]);
  });

  it('a stream reused after a close starts clean', () => {
    // Flow 1 closes in the middle of a header block and a body; flow 2 then gets its stream.
    const h = new HttpTransactions();
    const one = bytes('POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nab');
    h.segment(1, 0, 0, 0, 10, false, false, one, 0, one.length, one.length, true, 0, 0);
    const part = bytes('HTTP/1.1 200 OK\r\nConte');
    h.segment(1, 0, 1, 1, 20, false, false, part, 0, part.length, part.length, true, 0, 0);
    h.close(1, 1, 0);
    const two = bytes('GET /y HTTP/1.1\r\n\r\n');
    h.segment(2, 3, 2, 0, 10 + one.length, false, false, two, 0, two.length, two.length, true, 2, 0);
    const ok = bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    h.segment(2, 3, 3, 1, 20 + part.length, false, false, ok, 0, ok.length, ok.length, true, 3, 0);
    h.endCapture(0);
    const t = h.transactions.filter((x) => x.flow === 2);
    expect(t.map((x) => [x.capture, x.clientDir, x.method, x.uri, x.status, x.requestBytes, x.responseBytes, x.complete]))
      .toEqual([[3, 0, 'GET', '/y', 200, two.length, ok.length, true]]);
  });
});
