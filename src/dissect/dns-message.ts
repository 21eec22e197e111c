/**
 * Full DNS message parsing (RFC 1035 §4), for transactions and packet
 * details. Allocates; called only for DNS packets. Bounded against hostile
 * input: names at most 255 bytes, at most 16 compression pointers followed
 * per name (a pointer loop ends there), at most 64 records per section.
 *
 *   Header: ID(16) | QR Opcode(4) AA TC RD | RA Z(3) RCODE(4) | QD AN NS AR counts (16 each)
 */
import { u16be, u32be } from '../capture/bytes.js';
import { ipv6ToString } from './addr.js';

export const DNS_MAX_NAME = 255;
export const DNS_MAX_POINTER_HOPS = 16;
export const DNS_MAX_RECORDS = 64;

export interface DnsQuestion { name: string; type: number; class: number }
export interface DnsAnswer { name: string; type: number; ttl: number; data: string }
export interface DnsMessage {
  id: number;
  isResponse: boolean;
  opcode: number;
  rcode: number;
  truncated: boolean;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
  /** Why parsing stopped early, if it did. */
  error: string | null;
}

const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 65: 'HTTPS', 255: 'ANY',
};
export function dnsTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `TYPE${t}`;
}

export const RCODE_NAMES: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };

class DnsError extends Error {}

/** Reads a possibly compressed name at `at`; returns the name and the offset after it. */
export function readName(b: Uint8Array, msgStart: number, msgEnd: number, at: number): { name: string; next: number } {
  const labels: string[] = [];
  let total = 0;
  let hops = 0;
  let p = at;
  let next = -1;
  for (;;) {
    if (p >= msgEnd) throw new DnsError('name runs past the end of the message');
    const len = b[p]!;
    if (len === 0) { if (next < 0) next = p + 1; break; }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= msgEnd) throw new DnsError('compression pointer cut short');
      if (++hops > DNS_MAX_POINTER_HOPS) throw new DnsError(`more than ${DNS_MAX_POINTER_HOPS} compression pointers (a pointer loop)`);
      if (next < 0) next = p + 2;
      p = msgStart + (((len & 0x3f) << 8) | b[p + 1]!);
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsError(`unsupported label type 0x${len.toString(16)}`);
    if (p + 1 + len > msgEnd) throw new DnsError('label runs past the end of the message');
    total += len + 1;
    if (total > DNS_MAX_NAME) throw new DnsError(`name longer than ${DNS_MAX_NAME} bytes`);
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = b[p + 1 + i]!;
      s += c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : `\\${c.toString().padStart(3, '0')}`;
    }
    labels.push(s);
    p += 1 + len;
  }
  return { name: labels.length ? labels.join('.') : '<Root>', next };
}

/** Parses the message at `b[start .. start+len)`; null when not even the header is present. */
export function parseDnsMessage(b: Uint8Array, start: number, len: number): DnsMessage | null {
  if (len < 12) return null;
  const end = start + len;
  const flags = u16be(b, start + 2);
  const msg: DnsMessage = {
    id: u16be(b, start), isResponse: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0, questions: [], answers: [], error: null,
  };
  const qd = u16be(b, start + 4);
  const an = u16be(b, start + 6);
  let p = start + 12;
  try {
    for (let i = 0; i < Math.min(qd, DNS_MAX_RECORDS); i++) {
      const { name, next } = readName(b, start, end, p);
      if (next + 4 > end) throw new DnsError('question cut short');
      msg.questions.push({ name, type: u16be(b, next), class: u16be(b, next + 2) });
      p = next + 4;
    }
    for (let i = 0; i < Math.min(an, DNS_MAX_RECORDS); i++) {
      const { name, next } = readName(b, start, end, p);
      if (next + 10 > end) throw new DnsError('answer cut short');
      const type = u16be(b, next);
      const ttl = u32be(b, next + 4);
      const rdlen = u16be(b, next + 8);
      const rd = next + 10;
      if (rd + rdlen > end) throw new DnsError('answer data cut short');
      msg.answers.push({ name, type, ttl, data: rdata(b, start, end, type, rd, rdlen) });
      p = rd + rdlen;
    }
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    msg.error = e.message;
  }
  return msg;
}

function rdata(b: Uint8Array, msgStart: number, msgEnd: number, type: number, at: number, len: number): string {
  if (type === 1 && len === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  if (type === 28 && len === 16) {
    return ipv6ToString([u32be(b, at), u32be(b, at + 4), u32be(b, at + 8), u32be(b, at + 12)]);
  }
  if (type === 5 || type === 12 || type === 2) return readName(b, msgStart, msgEnd, at).name;
  if (type === 33 && len >= 7) {
    return `${u16be(b, at)} ${u16be(b, at + 2)} ${u16be(b, at + 4)} ${readName(b, msgStart, msgEnd, at + 6).name}`;
  }
  return `(${len} bytes)`;
}
