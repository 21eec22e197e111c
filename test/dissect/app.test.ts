/** HTTP/1.x recognition by content (any port), as Wireshark's HTTP dissector recognises start lines. */
import { describe, expect, it } from 'vitest';
import { httpStartKind } from '../../src/dissect/app.js';

const kind = (s: string): number => {
  const b = new TextEncoder().encode(s);
  return httpStartKind(b, 0, b.length);
};

describe('httpStartKind', () => {
  it.each([
    ['GET / HTTP/1.1\r\n', 1], ['POST /x HTTP/1.0\r\n', 1], ['OPTIONS\n', 1], ['CCM_POST / HTTP/1.\n', 1], ['M-SEARCH * HTTP/1.1\r\n', 1],
    ['PROPFIND /a HTTP/1.1\r\n', 1], ['HTTP/1.1 200 OK\r\n', 2], ['HTTP/1.0 404 Not Found\r\n', 2],
    ['GETX / HTTP/1.1', 0], ['get / HTTP/1.1', 0], ['HTTP/2 200', 0], ['HTTP/1.1', 0], ['\x16\x03\x01', 0], ['', 0], ['GET', 0],
  ] as Array<[string, number]>)('%j → %i', (s, k) => {
    expect(kind(s)).toBe(k);
  });
});
