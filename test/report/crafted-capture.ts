/**
 * A hostile capture made from a real one: the lab's client capture
 * (fixtures/lab/captures/nginx-proxy/client-eth0.pcap, classic pcap,
 * Ethernet) with its first HTTP request rewritten so that the Host header,
 * the URI and a header value hold markup, an event handler, a spreadsheet
 * formula and a 10 KB string; and one DNS query, made from the same packet's
 * Ethernet and IPv4 headers, for a name with the same kinds of labels.
 * IPv4 total length and header checksum, TCP and UDP checksums are
 * recomputed, so tshark decodes the result without complaint.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const EVIL = {
  script: '<script>alert(1)</script>',
  onerror: '"onerror=alert(1)',
  formula: '=HYPERLINK("http://evil.example/","x")',
  long: 'A'.repeat(10 * 1024),
};
/** Begins with the formula, so a spreadsheet would evaluate the cell if it were not neutralised. */
export const EVIL_HOST = `${EVIL.formula}${EVIL.script}${EVIL.onerror}.example`;
export const EVIL_URI = `/${EVIL.script}?q=${EVIL.onerror}&f=${EVIL.formula}&l=${EVIL.long}`;
export const EVIL_UA = `${EVIL.formula}`;
/** DNS labels may hold any byte (RFC 2181 §11); each at most 63. */
export const EVIL_DNS_LABELS = ['<script>', '"onerror=', '=HYPERLINK(', 'evil', 'example'];

function sum16(b: Uint8Array, start: number, end: number, init = 0): number {
  let s = init;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s >>> 16) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function ipChecksum(f: Uint8Array, ip: number, ihl: number): void {
  f[ip + 10] = 0; f[ip + 11] = 0;
  const c = ~sum16(f, ip, ip + ihl) & 0xffff;
  f[ip + 10] = c >> 8; f[ip + 11] = c & 0xff;
}

function l4Checksum(f: Uint8Array, ip: number, l4: number, end: number, proto: number, at: number): void {
  f[l4 + at] = 0; f[l4 + at + 1] = 0;
  const len = end - l4;
  let s = sum16(f, ip + 12, ip + 20); // source and destination addresses
  s += proto + len;
  s = sum16(f, l4, end, s);
  let c = ~s & 0xffff;
  if (proto === 17 && c === 0) c = 0xffff;
  f[l4 + at] = c >> 8; f[l4 + at + 1] = c & 0xff;
}

interface Rec { sec: number; usec: number; data: Uint8Array }

function readPcap(buf: Uint8Array): { header: Uint8Array; recs: Rec[] } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4) throw new Error('expected a little-endian microsecond pcap');
  const recs: Rec[] = [];
  for (let o = 24; o + 16 <= buf.length;) {
    const incl = dv.getUint32(o + 8, true);
    recs.push({ sec: dv.getUint32(o, true), usec: dv.getUint32(o + 4, true), data: buf.slice(o + 16, o + 16 + incl) });
    o += 16 + incl;
  }
  return { header: buf.slice(0, 24), recs };
}

function writePcap(header: Uint8Array, recs: Rec[]): Uint8Array {
  const size = 24 + recs.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(size);
  out.set(header);
  const dv = new DataView(out.buffer);
  dv.setUint32(16, 262144, true); // snaplen: room for the 10 KB request
  let o = 24;
  for (const r of recs) {
    dv.setUint32(o, r.sec, true); dv.setUint32(o + 4, r.usec, true);
    dv.setUint32(o + 8, r.data.length, true); dv.setUint32(o + 12, r.data.length, true);
    out.set(r.data, o + 16);
    o += 16 + r.data.length;
  }
  return out;
}

/** Writes the crafted capture to `out` from the real capture at `source`. */
export function craftHostileCapture(source: string, out: string): void {
  const { header, recs } = readPcap(new Uint8Array(readFileSync(source)));
  const enc = new TextEncoder();
  const idx = recs.findIndex((r) => {
    const t = new TextDecoder('latin1').decode(r.data);
    return t.includes('GET / HTTP/1.1');
  });
  if (idx < 0) throw new Error(`${source}: no HTTP request to rewrite`);
  const orig = recs[idx]!.data;
  const ip = 14;
  const ihl = (orig[ip]! & 0x0f) * 4;
  const tcp = ip + ihl;
  const thl = (orig[tcp + 12]! >> 4) * 4;
  const payload = tcp + thl;
  const request = `GET ${EVIL_URI} HTTP/1.1\r\nHost: ${EVIL_HOST}\r\nUser-Agent: ${EVIL_UA}\r\nX-Long: ${EVIL.long}\r\nAccept: */*\r\n\r\n`;
  const body = enc.encode(request);
  const f = new Uint8Array(payload + body.length);
  f.set(orig.subarray(0, payload));
  f.set(body, payload);
  const total = f.length - ip;
  f[ip + 2] = total >> 8; f[ip + 3] = total & 0xff;
  ipChecksum(f, ip, ihl);
  l4Checksum(f, ip, tcp, f.length, 6, 16);
  recs[idx] = { ...recs[idx]!, data: f };

  // A DNS query from the client, on the same Ethernet and IPv4 header.
  const q: number[] = [0x13, 0x37, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const l of EVIL_DNS_LABELS) { const b = enc.encode(l); q.push(b.length, ...b); }
  q.push(0, 0, 1, 0, 1);
  const d = new Uint8Array(ip + 20 + 8 + q.length);
  d.set(orig.subarray(0, ip + 20));
  d[ip] = 0x45;
  d[ip + 9] = 17;
  const dt = d.length - ip;
  d[ip + 2] = dt >> 8; d[ip + 3] = dt & 0xff;
  ipChecksum(d, ip, 20);
  const u = ip + 20;
  d[u] = 0xd4; d[u + 1] = 0x31; d[u + 2] = 0; d[u + 3] = 53;
  d[u + 4] = (8 + q.length) >> 8; d[u + 5] = (8 + q.length) & 0xff;
  d.set(q, u + 8);
  l4Checksum(d, ip, u, d.length, 17, 6);
  recs.splice(idx, 0, { sec: recs[idx]!.sec, usec: Math.max(0, recs[idx]!.usec - 1), data: d });
  writeFileSync(out, writePcap(header, recs));
}
