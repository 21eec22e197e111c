/**
 * The observer's rows on a real lab capture, and the reused-decoder trap: a
 * tunnelled HTTP packet followed by a plain one leaves nothing behind.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { OverlayObserver, macToText, parseRequestHead } from '../../src/overlay/overlay-observer.js';
import { LAB, labPresent } from './lab.js';

function records(file: string): Buffer[] {
  const b = readFileSync(file);
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const incl = b.readUInt32LE(off + 8);
    out.push(b.subarray(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  return out;
}

describe.skipIf(!labPresent)('OverlayObserver on lab packets', () => {
  it('a VXLAN HTTP request then a plain packet: the second row keeps nothing of the first', () => {
    const cfg = new DissectConfig();
    const p = new DecodedPacket();
    const o = new OverlayObserver();
    const frames = records(path.join(LAB, 'captures', 'nginx-proxy', 'node1-eth0.pcap'));
    let tunnelled = -1, plain = -1;
    frames.forEach((f, i) => {
      decodePacket(p, f, 0, f.length, 1, cfg);
      if (tunnelled < 0 && p.tunnelCount === 1 && p.httpKind === 1) tunnelled = i;
      if (tunnelled >= 0 && plain < 0 && i > tunnelled && p.tunnelCount === 0 && p.l4Present[0] === 1 && p.httpKind === 0) plain = i;
    });
    expect(tunnelled).toBeGreaterThanOrEqual(0);
    expect(plain).toBeGreaterThan(tunnelled);
    for (const i of [tunnelled, plain]) {
      const f = frames[i]!;
      decodePacket(p, f, 0, f.length, 1, cfg);
      o.observe(0, i, p, f, 0, 1, 0, f.length);
    }
    expect(o.count).toBe(2);
    // A row's location and 5-tuple live in its tuple (interned once, shared by the rows of a stream).
    const [t0, t1] = [o.tuple[0]!, o.tuple[1]!];
    expect(t1).not.toBe(t0);
    expect([o.tDepth[t0], o.tVni[t0], o.http[0]]).toEqual([1, 1, 1]);
    expect(o.tOuterSrc[t0]).not.toBe(0);
    expect(o.requestLine(0)).toMatchObject({ method: 'GET', uri: '/', host: 'web.overlayscope.test' });
    expect([o.tDepth[t1], o.tVni[t1], o.http[1], o.tOuterSrc[t1], o.tOuterDst[t1], o.tTunType[t1]]).toEqual([0, -1, 0, 0, 0, 0]);
    expect(o.requestLine(1)).toBeNull();
    expect(o.tunnelPackets).toBe(1);
    const macs = [...o.vteps.values()].flatMap((v) => [...v.macs].map(macToText));
    expect(macs).toEqual(expect.arrayContaining(['0e:0f:1a:00:00:01']));
  });
});

describe('parseRequestHead', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('reads the request line, Host and X-Request-ID, stopping at the blank line', () => {
    const b = enc('GET /a?b=1 HTTP/1.1\r\nHost: x.test\r\nX-Request-ID: abc\r\n\r\nHost: body');
    expect(parseRequestHead(b, 0, b.length)).toEqual({ method: 'GET', uri: '/a?b=1', host: 'x.test', requestId: 'abc' });
  });
  it('packs the same fields as bytes for every request row, and makes their strings on demand (a Host with inner spaces, no X-Request-ID, a head over 64 KiB of others)', () => {
    const o = new OverlayObserver();
    const heads = ['GET /a?b=1 HTTP/1.1\r\nHost:  x.test \t\r\nX-Request-ID: abc\r\n\r\n', 'POST / HTTP/1.0\r\nhost: a b\r\n\r\n', 'GET\r\n\r\n'];
    const rows: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const h = enc(`xx${heads[i % 3]!}`);
      o.packRequestHead(i * 2, h, 2, h.length - 2);
      if (o.requestLine(i * 2)) rows.push(i * 2);
    }
    expect(rows).toHaveLength(2000);
    for (const r of [0, 2, 4, 5998, 5996]) expect(o.requestLine(r)).toEqual(parseRequestHead(enc(heads[(r / 2) % 3]!), 0, 999));
    expect(o.requestLine(2)).toEqual({ method: 'POST', uri: '/', host: 'a b', requestId: null });
    expect(o.requestLine(1)).toBeNull();
    expect(o.requestLine(4)).toBeNull();
  });
  it('returns null for a line without a target', () => {
    const b = enc('GET\r\n\r\n');
    expect(parseRequestHead(b, 0, b.length)).toBeNull();
  });
});
