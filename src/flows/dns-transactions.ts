/**
 * DNS transactions: a query and its answer paired on their flow by message
 * id (RFC 1035 §4.1.1), over UDP and over TCP (each message after its
 * 2-byte length, RFC 1035 §4.2.2; messages split across segments are not
 * reassembled). Parsing (src/dissect/dns-message.ts) allocates, but only for
 * DNS packets. A repeated query with the same id keeps the first one's time.
 */
import { dnsTypeName, parseDnsMessage, RCODE_NAMES, type DnsMessage } from '../dissect/dns-message.js';

export interface DnsTransaction {
  id: number;
  flow: number;
  capture: number;
  queryId: number;
  name: string;
  type: string;
  /** null until an answer is seen. */
  rcode: string | null;
  answers: string[];
  /** -1 sec when only the answer was seen. */
  querySec: number; queryNsec: number;
  answerSec: number; answerNsec: number;
  /** Packet (0-based, in its capture) of the query and of the answer (-1 none). */
  queryPacket: number;
  answerPacket: number;
}

/** Most unanswered queries held for pairing; the oldest are let go beyond it. */
const MAX_WAITING = 65536;

/** A DNS message that could not be read whole (the caller adds file and offset). */
export interface DnsIssue { capture: number; packet: number; flow: number; reason: string }

export class DnsTransactions {
  readonly transactions: DnsTransaction[] = [];
  /** Messages cut short or refused (pointer loops, over-long names); at most 1000 kept, the rest counted. */
  readonly issues: DnsIssue[] = [];
  droppedIssues = 0;
  private readonly waiting = new Map<number, DnsTransaction>();

  /** A DNS payload of flow `f` at `b[off .. off+len)`. */
  payload(f: number, capture: number, packet: number, b: Uint8Array, off: number, len: number, overTcp: boolean, sec: number, nsec: number): void {
    if (!overTcp) {
      const m = parseDnsMessage(b, off, len);
      if (m) this.message(f, capture, packet, m, sec, nsec);
      return;
    }
    // Bounded: each message consumes at least 2 bytes.
    let p = off;
    const end = off + len;
    while (end - p >= 14) {
      const n = (b[p]! << 8) | b[p + 1]!;
      if (n < 12 || p + 2 + n > end) return;
      const m = parseDnsMessage(b, p + 2, n);
      if (m) this.message(f, capture, packet, m, sec, nsec);
      p += 2 + n;
    }
  }

  private message(f: number, capture: number, packet: number, m: DnsMessage, sec: number, nsec: number): void {
    if (m.error !== null) {
      // Never silently (issue #8): a refused name or a cut message becomes an issue of its packet.
      if (this.issues.length < 1000) this.issues.push({ capture, packet: packet + 1, flow: f, reason: `DNS message ${m.id}: ${m.error}` });
      else this.droppedIssues++;
    }
    const key = f * 65536 + m.id;
    if (!m.isResponse) {
      if (this.waiting.has(key)) return;
      const q = m.questions[0];
      const t: DnsTransaction = {
        id: this.transactions.length, flow: f, capture, queryId: m.id, name: q?.name ?? '', type: q ? dnsTypeName(q.type) : '',
        rcode: null, answers: [], querySec: sec, queryNsec: nsec, answerSec: -1, answerNsec: 0, queryPacket: packet, answerPacket: -1,
      };
      this.transactions.push(t);
      if (this.waiting.size >= MAX_WAITING) {
        const oldest = this.waiting.keys().next().value;
        if (oldest !== undefined) this.waiting.delete(oldest);
      }
      this.waiting.set(key, t);
      return;
    }
    let t = this.waiting.get(key);
    if (t) this.waiting.delete(key);
    else {
      const q = m.questions[0];
      t = {
        id: this.transactions.length, flow: f, capture, queryId: m.id, name: q?.name ?? '', type: q ? dnsTypeName(q.type) : '',
        rcode: null, answers: [], querySec: -1, queryNsec: 0, answerSec: -1, answerNsec: 0, queryPacket: -1, answerPacket: -1,
      };
      this.transactions.push(t);
    }
    t.rcode = RCODE_NAMES[m.rcode] ?? `RCODE${m.rcode}`;
    t.answers = m.answers.map((a) => `${dnsTypeName(a.type)} ${a.data}`);
    t.answerSec = sec;
    t.answerNsec = nsec;
    t.answerPacket = packet;
  }

  /** Queries unanswered at the end of a capture stay unanswered. */
  endCapture(): void {
    this.waiting.clear();
  }
}
