/**
 * Application layers recognised from the transport payload: HTTP/1.x by its
 * content on any port (request line or status line), DNS on port 53 over UDP
 * and TCP (RFC 1035 §4.2.2: a 2-byte length prefix over TCP).
 * Only recognition happens here (no allocation); full parsing of headers and
 * DNS records is in src/flows/ where transactions are built.
 */
import { u16be } from '../capture/bytes.js';
import type { DecodedPacket } from './decoded.js';
import { L_DNS, L_HTTP } from './layers.js';

const C_SPACE = 0x20;
const C_H = 0x48;
const C_T = 0x54;
const C_P = 0x50;
const C_SLASH = 0x2f;
const C_ONE = 0x31;
const C_DOT = 0x2e;

/**
 * Methods of RFC 9110, PATCH, WebDAV/DeltaV/CalDAV, SSDP, GENA and the others
 * Wireshark's HTTP dissector recognises (is_http_request_or_reply): a line
 * starting with one, then SP, CR or LF, is an HTTP request.
 */
const KNOWN_METHODS = [
  'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'ACL', 'POLL', 'BCOPY', 'BMOVE', 'LABEL', 'MERGE', 'UPDATE', 'NOTIFY', 'BDELETE', 'CHECKIN',
  'CHECKOUT', 'CCM_POST', 'M-SEARCH', 'SUBSCRIBE', 'BPROPFIND', 'BPROPPATCH', 'UNCHECKOUT',
  'MKACTIVITY', 'MKCALENDAR', 'MKWORKSPACE', 'UNSUBSCRIBE', 'RPC_IN_DATA', 'RPC_OUT_DATA',
  'VERSION-CONTROL', 'BASELINE-CONTROL', 'ORDERPATCH',
].map((m) => Array.from(m, (c) => c.charCodeAt(0)));
const C_CR = 0x0d;
const C_LF = 0x0a;

/** 1 request line, 2 status line, 0 neither. */
export function httpStartKind(b: Uint8Array, off: number, len: number): number {
  if (len < 5) return 0;
  // Status line: "HTTP/1.x SP"
  if (b[off] === C_H && b[off + 1] === C_T && b[off + 2] === C_T && b[off + 3] === C_P && b[off + 4] === C_SLASH) {
    if (len >= 9 && b[off + 5] === C_ONE && b[off + 6] === C_DOT && b[off + 8] === C_SPACE) return 2;
    return 0;
  }
  const c0 = b[off]!;
  if (c0 < 0x41 || c0 > 0x5a) return 0;
  outer: for (let m = 0; m < KNOWN_METHODS.length; m++) {
    const name = KNOWN_METHODS[m]!;
    if (len <= name.length) continue;
    for (let k = 0; k < name.length; k++) if (b[off + k] !== name[k]) continue outer;
    const after = b[off + name.length];
    if (after === C_SPACE || after === C_CR || after === C_LF) return 1;
  }
  return 0;
}

export function detectHttp(p: DecodedPacket, i: number, b: Uint8Array, off: number, end: number, base: number): boolean {
  const kind = httpStartKind(b, off, end - off);
  if (kind === 0) return false;
  p.push(L_HTTP, off - base);
  p.httpNet = i;
  p.httpKind = kind;
  return true;
}

/** DNS header: id(2) flags(2) qdcount ancount nscount arcount (2 each). */
/** `quoted`: the message sits in an ICMP error quote: the layer is recorded, dnsNet is not set. */
export function detectDns(p: DecodedPacket, i: number, b: Uint8Array, off: number, end: number, base: number, overTcp: boolean, quoted = false): boolean {
  let q = off;
  if (overTcp) {
    if (end - off < 2) return false;
    q += 2;
  }
  if (end - q < 12) {
    if (end - q >= 0 && !quoted) {
      p.push(L_DNS, off - base);
      p.fail(L_DNS, off - base, 'DNS header needs 12 bytes');
      return true;
    }
    return false;
  }
  p.push(L_DNS, off - base);
  if (quoted) return true;
  p.dnsNet = i;
  p.dnsId = u16be(b, q);
  p.dnsIsResponse = b[q + 2]! >> 7;
  return true;
}
