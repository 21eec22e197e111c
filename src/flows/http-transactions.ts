/**
 * HTTP/1.x transactions (RFC 9112) on TCP conversations: each direction of a
 * flow is a byte stream put back in sequence order; requests and responses
 * are parsed from it and paired first-in first-out (keep-alive and pipelined
 * connections alike).
 *
 * Bounds: a message's header block is at most 64 KiB (beyond: an issue, and
 * the direction waits for the next segment that starts a message); segments
 * that arrive ahead of a gap are held up to 64 KiB per direction, then the
 * gap is given up (its bytes count as lost; a body skips over them, a header
 * block being read is abandoned).
 *
 * Bodies are never copied: Content-Length and chunk sizes are followed by
 * arithmetic on sequence numbers; a response with neither is delimited by
 * the close of its direction (RFC 9112 §6.3).
 *
 * Times: `requestTime` is the time of the segment carrying the request's
 * first byte; the time to first byte runs from there to the segment carrying
 * the response's first byte, the total time to the segment carrying its last.
 */
import { httpStartKind } from '../dissect/app.js';

export const HTTP_MAX_HEADER = 64 * 1024;
export const HTTP_MAX_PENDING = 64 * 1024;
/** Most bytes kept aside, all flows together, for segments that came before their stream's start. */
export const EARLY_MAX_BYTES = 4 * 1024 * 1024;
/** internBytes: 2^bits cached strings of at most BYTE_STRING_MAX bytes. */
const BYTE_STRING_BITS = 10;
const BYTE_STRING_MAX = 256;

const NAME_CONTENT_LENGTH = codes('content-length');
const NAME_TRANSFER_ENCODING = codes('transfer-encoding');
const NAME_HOST = codes('host');

function codes(name: string): Uint8Array {
  return Uint8Array.from(name, (c) => c.charCodeAt(0));
}

/** Whether h[at ..] spells `name` (lower case) ignoring ASCII case. */
function nameIs(h: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let k = 0; k < name.length; k++) if ((h[at + k]! | 0x20) !== name[k]) return false;
  return true;
}

/** Whether h[at ..] starts with "HTTP/" (case-sensitive, as the version's name; RFC 9112 §2.3). */
function isHttpSlash(h: Uint8Array, at: number): boolean {
  return h[at] === 0x48 && h[at + 1] === 0x54 && h[at + 2] === 0x54 && h[at + 3] === 0x50 && h[at + 4] === 0x2f;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Whether the line h[from, to) is a status line as the regular expression
 * /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/ reads its Latin-1 text: version at
 * from+5 (3 bytes), status at from+9 (3 digits), reason from from+13 to the end
 * (none when the line ends after the status). `.` matches no CR.
 * Read as bytes: no string for the line (62 k responses on the bench file).
 */
export function statusLineMatches(h: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  if (n < 12 || !isHttpSlash(h, from) || !isDigit(h[from + 5]!) || h[from + 6] !== 0x2e || !isDigit(h[from + 7]!) || h[from + 8] !== 0x20
    || !isDigit(h[from + 9]!) || !isDigit(h[from + 10]!) || !isDigit(h[from + 11]!)) return false;
  if (n === 12) return true;
  if (h[from + 12] !== 0x20) return false;
  for (let k = from + 13; k < to; k++) if (h[k] === 0x0d || h[k] === 0x0a) return false;
  return true;
}

/** RFC 9110 §5.6.2 tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. */
const TCHAR = (() => {
  const t = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") t[c.charCodeAt(0)] = 1;
  return t;
})();

/** What `\s` matches among Latin-1 characters: TAB, LF, VT, FF, CR, SP, NBSP. */
function isJsSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

/**
 * Where the request target starts when the line h[from, to) is a request line
 * as /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d\.\d)$/ reads its Latin-1
 * text, else -1. The method is h[from, target - 1), the target ends at
 * to - 9 and the version is the last 3 bytes. (Neither a tchar nor \S is a
 * space, so the regular expression has one way to match: the maximal runs.)
 */
export function requestLineUri(h: Uint8Array, from: number, to: number): number {
  let k = from;
  while (k < to && TCHAR[h[k]!] === 1) k++;
  if (k === from || k >= to || h[k] !== 0x20) return -1;
  const uri = k + 1;
  k = uri;
  while (k < to && !isJsSpace(h[k]!)) k++;
  if (k === uri || to - k !== 9 || h[k] !== 0x20 || !isHttpSlash(h, k + 1) || !isDigit(h[k + 6]!) || h[k + 7] !== 0x2e || !isDigit(h[k + 8]!)) return -1;
  return uri;
}

/** latin1's reused argument lists by length (1 .. LATIN1_ARGS_MAX). */
const LATIN1_ARGS_MAX = 128;
const latin1Args: number[][] = [];

/** Bytes as Latin-1 text (HTTP header bytes are octets; RFC 9110 §5.5). */
function latin1(h: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n > 0 && n <= LATIN1_ARGS_MAX) {
    // Short texts (request targets: 62 k on the bench file) from a reused array of the bytes:
    // ~130 ns instead of ~300 ns with a subarray made for each (measured on 20-35 byte texts).
    let a = latin1Args[n];
    if (a === undefined) a = latin1Args[n] = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) a[k] = h[from + k]!;
    return String.fromCharCode.apply(null, a);
  }
  let out = '';
  for (let i = from; i < to; i += 4096) out += String.fromCharCode.apply(null, h.subarray(i, Math.min(to, i + 4096)) as unknown as number[]);
  return out;
}

export interface HttpTransaction {
  id: number;
  flow: number;
  capture: number;
  /** Flow direction the request travelled (0 A→B, 1 B→A); -1 when only the response was seen. */
  clientDir: number;
  method: string | null;
  host: string | null;
  uri: string | null;
  version: string | null;
  status: number | null;
  reason: string | null;
  /**
   * Seconds since the epoch once the capture has ended (-1 when absent);
   * while it is read, seconds since its first packet (NaN when absent).
   */
  reqSec: number; reqNsec: number;
  respSec: number; respNsec: number;
  endSec: number; endNsec: number;
  requestBytes: number;
  responseBytes: number;
  /** The response was read to its end (length, chunks or close). */
  complete: boolean;
}

/** An issue found while reading HTTP streams (the caller adds the capture name). */
export interface HttpIssue { capture: number; packet: number; flow: number; reason: string }

const M_HEADERS = 0;
const M_BODY = 1;
const M_CHUNK_SIZE = 2;
const M_CHUNK_DATA = 3;
const M_CHUNK_CRLF = 4;
const M_TRAILER = 5;
const M_CLOSE = 6;
/** Waiting for a segment that starts a message. */
const M_LOST = 7;
/** Not HTTP any more (after a 101 upgrade or a CONNECT tunnel). */
const M_DONE = 8;

interface Pending { seq: number; data: Uint8Array; wire: number; sec: number; nsec: number }

class Direction {
  synced = false;
  expSeq = 0;
  mode = M_LOST;
  hdr: Uint8Array | null = null;
  hdrLen = 0;
  /** Length of the header line being read (CR not counted); 0 at a line start. */
  lineLen = 0;
  msgSec = 0;
  msgNsec = 0;
  /** Body or chunk bytes still to come. */
  remaining = 0;
  /** Chunk-size line: hex value so far, and whether an extension/space ended the digits. */
  chunkSize = 0;
  chunkDigits = 0;
  chunkExt = false;
  /** Transaction the bytes being read belong to (null: a request not paired yet is tracked by `isRequest`). */
  txn: HttpTransaction | null = null;
  isRequest = false;
  pending: Pending[] = [];
  pendingBytes = 0;
  finished = false;

  /** As new (a stream is reused for another connection). */
  reset(): void {
    this.synced = false; this.expSeq = 0; this.mode = M_LOST;
    this.hdr = null; this.hdrLen = 0; this.lineLen = 0; this.msgSec = 0; this.msgNsec = 0;
    this.remaining = 0; this.chunkSize = 0; this.chunkDigits = 0; this.chunkExt = false;
    this.txn = null; this.isRequest = false;
    this.pending.length = 0; this.pendingBytes = 0; this.finished = false;
  }
}

class HttpStream {
  readonly dirs = [new Direction(), new Direction()];
  /** Requests waiting for their response, oldest first. */
  readonly waiting: HttpTransaction[] = [];
  constructor(public flow: number, public capture: number) {}
}

/**
 * Closed streams kept for reuse, at most this many: a stream lives as long as
 * its connection, long enough to be promoted out of the young generation, so
 * 44.5 k streams of 7 objects each on the bench file cost old-generation GC.
 */
const STREAM_POOL_MAX = 4096;

export class HttpTransactions {
  readonly transactions: HttpTransaction[] = [];
  readonly issues: HttpIssue[] = [];
  /** Most issues kept (the rest counted). */
  droppedIssues = 0;
  /** HTTP state by flow id (an array, not a Map: looked up for every segment of an HTTP flow); null when none. */
  private streams: Array<HttpStream | null> = new Array<HttpStream | null>(1024).fill(null);
  /** Flow ids with a stream (for the end of the capture). */
  private readonly open = new Set<number>();
  private packet = 0;
  /** Segments that came ahead of their stream's first bytes on flows not known as HTTP yet (key 2*flow+dir). */
  private readonly early = new Map<number, Pending[]>();
  /** Interned methods, versions, reasons and hosts (see intern). */
  private readonly strings = new Map<string, string>();
  /** Recent interned strings by a hash of their bytes (see internBytes). */
  private readonly byteStrings: Array<string | null> = new Array<string | null>(1 << BYTE_STRING_BITS).fill(null);
  private earlyBytes = 0;
  /** Transactions before this index have absolute times (their capture ended). */
  private converted = 0;
  /** Closed streams to reuse (see STREAM_POOL_MAX). */
  private readonly pool: HttpStream[] = [];

  /** 1 for flows followed as HTTP (a typed flag: checked for every TCP segment with payload). */
  private isHttp = new Uint8Array(1024);

  /** Whether flow `f` is being followed as HTTP. */
  has(f: number): boolean {
    return f < this.isHttp.length && this.isHttp[f] === 1;
  }

  /**
   * One TCP segment of flow `f` from direction `dir`: `b[off .. off+len)` is
   * the captured payload of `wire` bytes on the wire. `startsHttp` says the
   * dissector saw a request or status line at its start. `startSet`: the
   * direction's SYN was seen and its stream starts at `streamStart` (ISN+1).
   * Sequence numbers may come as signed 32-bit views (x | 0): a number past
   * the small-integer range passed to a call is boxed (a heap number each).
   */
  segment(f: number, capture: number, packet: number, dir: number, seq: number, syn: boolean, fin: boolean, b: Uint8Array, off: number, len: number, wire: number,
    startsHttp: boolean, sec: number, nsec: number, startSet = false, streamStart = 0, aheadOfStart = false): void {
    seq >>>= 0;
    let s = f < this.streams.length ? this.streams[f]! : null;
    if (!s) {
      if (!startsHttp) {
        // Data that came before the stream's first bytes, on a flow not known as
        // HTTP yet: kept aside (bounded) in case the bytes before it start HTTP.
        if (aheadOfStart && len > 0) this.stashEarly(f, dir, seq, b, off, len, wire, sec, nsec);
        return;
      }
      s = this.pool.pop() ?? null;
      if (s) { s.flow = f; s.capture = capture; } else s = new HttpStream(f, capture);
      if (f >= this.streams.length) {
        let n = this.streams.length;
        while (n <= f) n *= 2;
        const g = new Array<HttpStream | null>(n).fill(null);
        for (let k = 0; k < this.streams.length; k++) g[k] = this.streams[k]!;
        this.streams = g;
      }
      this.streams[f] = s;
      this.open.add(f);
      if (f >= this.isHttp.length) {
        let n = this.isHttp.length;
        while (n <= f) n *= 2;
        const g = new Uint8Array(n);
        g.set(this.isHttp);
        this.isHttp = g;
      }
      this.isHttp[f] = 1;
    }
    this.packet = packet;
    const d = s.dirs[dir]!;
    if (syn) seq = (seq + 1) >>> 0;
    if (!d.synced) {
      if (wire === 0) return;
      if (!startsHttp) return;
      d.synced = true;
      // With the handshake seen, the stream starts at ISN+1 even when a later segment came first.
      const ahead = startSet ? (seq - streamStart) | 0 : 0;
      d.expSeq = ahead > 0 && ahead <= HTTP_MAX_PENDING ? streamStart >>> 0 : seq;
      d.mode = M_HEADERS;
      d.hdrLen = 0;
      d.lineLen = 0;
      const early = this.early.get(2 * f + dir);
      if (early) {
        this.early.delete(2 * f + dir);
        for (const e of early) { this.earlyBytes -= e.data.length; this.hold(d, e.seq, e.data, 0, e.data.length, e.wire, e.sec, e.nsec); }
      }
    }
    if (wire > 0) this.deliver(s, d, seq, b, off, len, wire, sec, nsec);
    if (fin) this.finish(s, d, sec, nsec);
  }

  /** Puts a segment in order: now, after earlier held segments, or held until the gap before it fills. */
  private deliver(s: HttpStream, d: Direction, seq: number, b: Uint8Array, off: number, len: number, wire: number, sec: number, nsec: number): void {
    let rel = (seq - d.expSeq) | 0;
    // The common segment: the next bytes of a body, all captured, none held: only arithmetic
    // (what consume's M_BODY case does; ~9 of 10 segments with data on the bench file).
    if (rel === 0 && d.mode === M_BODY && len === wire && wire <= d.remaining && d.pending.length === 0) {
      d.expSeq = (d.expSeq + wire) >>> 0;
      d.remaining -= wire;
      this.countBytes(d, wire);
      this.touchEnd(d, sec, nsec);
      if (d.remaining === 0) this.endMessage(d);
      return;
    }
    if (rel < 0) {
      // Retransmitted (in whole or part): only bytes beyond what was read count.
      const skip = -rel;
      if (skip >= wire) return;
      off += Math.min(skip, len);
      len = Math.max(0, len - skip);
      wire -= skip;
      seq = d.expSeq;
      rel = 0;
    }
    if (rel > 0) {
      if (d.pendingBytes + len > HTTP_MAX_PENDING) {
        this.giveUpGap(s, d);
        rel = (seq - d.expSeq) | 0;
        if (rel > 0) this.skipGap(s, d, rel);
        else if (rel < 0) return; // already covered by what was held
      } else {
        this.hold(d, seq, b, off, len, wire, sec, nsec);
        return;
      }
    }
    this.consume(s, d, b, off, len, wire, sec, nsec);
    this.drain(s, d);
  }

  private stashEarly(f: number, dir: number, seq: number, b: Uint8Array, off: number, len: number, wire: number, sec: number, nsec: number): void {
    if (this.earlyBytes + len > EARLY_MAX_BYTES || len > HTTP_MAX_PENDING) return;
    const key = 2 * f + dir;
    let list = this.early.get(key);
    if (!list) this.early.set(key, list = []);
    list.push({ seq, data: b.slice(off, off + len), wire, sec, nsec });
    this.earlyBytes += len;
  }

  private hold(d: Direction, seq: number, b: Uint8Array, off: number, len: number, wire: number, sec: number, nsec: number): void {
    const data = b.slice(off, off + len);
    const p: Pending = { seq, data, wire, sec, nsec };
    let i = d.pending.length;
    while (i > 0 && ((d.pending[i - 1]!.seq - seq) | 0) > 0) i--;
    d.pending.splice(i, 0, p);
    d.pendingBytes += len;
  }

  /** Delivers held segments that are now in order. */
  private drain(s: HttpStream, d: Direction): void {
    while (d.pending.length) {
      const p = d.pending[0]!;
      const rel = (p.seq - d.expSeq) | 0;
      if (rel > 0) return;
      d.pending.shift();
      d.pendingBytes -= p.data.length;
      const skip = -rel;
      if (skip >= p.wire) continue;
      this.consume(s, d, p.data, Math.min(skip, p.data.length), Math.max(0, p.data.length - skip), p.wire - skip, p.sec, p.nsec);
    }
  }

  /** The bytes before the first held segment are not coming: skip them and read on. */
  private giveUpGap(s: HttpStream, d: Direction): void {
    if (!d.pending.length) return;
    const rel = (d.pending[0]!.seq - d.expSeq) | 0;
    if (rel > 0) this.skipGap(s, d, rel);
    this.drain(s, d);
  }

  /** `n` bytes of the stream are missing: a body steps over them; anything else loses its place. */
  private skipGap(s: HttpStream, d: Direction, n: number): void {
    d.expSeq = (d.expSeq + n) >>> 0;
    this.lostBytes(s, d, n);
  }

  /** `n` bytes at the current stream position were not captured. */
  private lostBytes(s: HttpStream, d: Direction, n: number): void {
    if (d.mode === M_HEADERS && d.hdrLen > 0) {
      // The header block was cut (snap length or a lost segment): keep what it says.
      const h = d.hdr!;
      d.hdr = null;
      this.headersDone(s, d, h, 0, d.hdrLen, d.msgSec, d.msgNsec, true);
      if (d.mode === M_HEADERS) { d.mode = M_LOST; return; }
    }
    if (d.mode === M_BODY || d.mode === M_CHUNK_DATA) {
      const take = Math.min(n, d.remaining);
      d.remaining -= take;
      this.countBytes(d, take);
      if (take === n) {
        if (d.remaining === 0) {
          if (d.mode === M_BODY) this.endMessage(d);
          else d.mode = M_CHUNK_CRLF;
        }
        return;
      }
    } else if (d.mode === M_CLOSE) {
      this.countBytes(d, n);
      return;
    }
    if (d.mode !== M_DONE) d.mode = M_LOST;
  }

  private countBytes(d: Direction, n: number): void {
    const t = d.txn;
    if (!t) return;
    if (d.isRequest) t.requestBytes += n; else t.responseBytes += n;
  }

  private touchEnd(d: Direction, sec: number, nsec: number): void {
    const t = d.txn;
    if (t && !d.isRequest) { t.endSec = sec; t.endNsec = nsec; }
  }

  /** In-order bytes: `len` captured of `wire` (the rest were cut by the snap length). */
  private consume(s: HttpStream, d: Direction, b: Uint8Array, off: number, len: number, wire: number, sec: number, nsec: number): void {
    d.expSeq = (d.expSeq + wire) >>> 0;
    const end = off + len;
    let p = off;
    // Bounded: every pass consumes at least one byte or returns.
    while (p < end) {
      switch (d.mode) {
        case M_DONE:
          return;
        case M_LOST: {
          if (p !== off || httpStartKind(b, p, end - p) === 0) { p = end; break; }
          d.mode = M_HEADERS; d.hdrLen = 0; d.lineLen = 0;
          break;
        }
        case M_HEADERS: {
          if (d.hdrLen === 0 && d.lineLen === 0) {
            // Empty lines before a message are ignored (RFC 9112 §2.2).
            while (p < end && (b[p] === 0x0d || b[p] === 0x0a)) p++;
            if (p === end) break;
            if (end - p >= 5 && httpStartKind(b, p, end - p) === 0) { d.mode = M_LOST; p = end; break; }
            d.msgSec = sec; d.msgNsec = nsec;
            // Nearly always the whole header block is in this segment: read in place, one pass over
            // its lines (a scan for its end first, then the line reader, cost ~20 ms more on the bench file).
            const q = this.headersDone(s, d, b, p, end, sec, nsec, false, true);
            if (q >= 0) { p = q; break; }
          }
          // The block goes on past this segment: gather it in d.hdr.
          let q = p;
          let done = false;
          let lineLen = d.lineLen;
          for (; q < end; q++) {
            const c = b[q]!;
            if (c === 0x0a) {
              if (lineLen === 0) { q++; done = true; break; }
              lineLen = 0;
            } else if (c !== 0x0d) lineLen++;
          }
          d.lineLen = lineLen;
          const n = q - p;
          if (d.hdrLen + n > HTTP_MAX_HEADER) {
            this.issue(s, `HTTP header block longer than ${HTTP_MAX_HEADER} bytes; skipped to the next message`);
            d.mode = M_LOST; d.hdrLen = 0; d.lineLen = 0;
            p = end;
            break;
          }
          if (!d.hdr || d.hdr.length < d.hdrLen + n) {
            const g = new Uint8Array(Math.min(HTTP_MAX_HEADER, Math.max(1024, (d.hdrLen + n) * 2)));
            if (d.hdr) g.set(d.hdr.subarray(0, d.hdrLen));
            d.hdr = g;
          }
          d.hdr.set(b.subarray(p, q), d.hdrLen);
          d.hdrLen += n;
          p = q;
          if (done) {
            const h = d.hdr;
            // Split header blocks are rare: the buffer is not kept per connection.
            d.hdr = null;
            this.headersDone(s, d, h, 0, d.hdrLen, sec, nsec);
          }
          break;
        }
        case M_BODY:
        case M_CHUNK_DATA: {
          const take = Math.min(end - p, d.remaining);
          d.remaining -= take;
          p += take;
          this.countBytes(d, take);
          this.touchEnd(d, sec, nsec);
          if (d.remaining === 0) {
            if (d.mode === M_BODY) this.endMessage(d);
            else d.mode = M_CHUNK_CRLF;
          }
          break;
        }
        case M_CHUNK_CRLF: {
          // The CRLF after chunk data.
          const c = b[p]!;
          p++;
          this.countBytes(d, 1);
          if (c === 0x0a) { d.mode = M_CHUNK_SIZE; d.chunkSize = 0; d.chunkDigits = 0; d.chunkExt = false; }
          break;
        }
        case M_CHUNK_SIZE: {
          const c = b[p]!;
          p++;
          this.countBytes(d, 1);
          if (c === 0x0a) {
            if (d.chunkDigits === 0) { d.mode = M_LOST; break; }
            if (d.chunkSize === 0) { d.mode = M_TRAILER; d.lineLen = 0; }
            else { d.mode = M_CHUNK_DATA; d.remaining = d.chunkSize; }
          } else if (!d.chunkExt) {
            const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
            if (v >= 0 && d.chunkDigits < 13) { d.chunkSize = d.chunkSize * 16 + v; d.chunkDigits++; }
            else if (c === 0x3b || c === 0x20 || c === 0x09 || c === 0x0d) d.chunkExt = true;
            else { d.mode = M_LOST; }
          }
          break;
        }
        case M_TRAILER: {
          const c = b[p]!;
          p++;
          this.countBytes(d, 1);
          if (c === 0x0a) {
            if (d.lineLen === 0) { this.touchEnd(d, sec, nsec); this.endMessage(d); }
            d.lineLen = 0;
          } else if (c !== 0x0d) d.lineLen++;
          break;
        }
        case M_CLOSE: {
          this.countBytes(d, end - p);
          this.touchEnd(d, sec, nsec);
          p = end;
          break;
        }
        default:
          return;
      }
    }
    if (len < wire) this.lostBytes(s, d, wire - len);
  }

  private issue(s: HttpStream, reason: string): void {
    if (this.issues.length >= 1000) { this.droppedIssues++; return; }
    this.issues.push({ capture: s.capture, packet: this.packet + 1, flow: s.flow, reason });
  }

  /**
   * A header block is h[from, to): parse it and start the body. With
   * `findEnd`, the block is in h[from, to) and ends after the first line of
   * only CRs (where consume's byte scan ends it); when there is none yet, -1
   * is returned and nothing changed. Returns where the block ends.
   */
  private headersDone(s: HttpStream, d: Direction, h: Uint8Array, from: number, to: number, sec: number, nsec: number, partial = false,
    findEnd = false): number {
    // Lines are scanned as bytes; strings are made only for the start line's fields and Host (interned by their bytes).
    // The start line's bytes [startFrom, startTo).
    let startFrom = from;
    let startTo = from;
    let contentLength = -1;
    let chunked = false;
    // The first Host line's value (interned once the block is known whole).
    let hostFrom = -1;
    let hostTo = -1;
    // With findEnd, -1 until the block's end is found.
    let blockEnd = findEnd ? -1 : to;
    let ls = from;
    let first = true;
    while (ls < to) {
      let le = ls;
      while (le < to && h[le] !== 0x0a) le++;
      if (findEnd) {
        if (le === to) return -1;
        let k = ls;
        while (k < le && h[k] === 0x0d) k++;
        if (k === le) { blockEnd = le + 1; break; }
      }
      const next = le + 1;
      if (le > ls && h[le - 1] === 0x0d) le--;
      if (first) { startFrom = ls; startTo = le; first = false; }
      else if (le > ls) {
        let c = ls;
        while (c < le && h[c] !== 0x3a) c++;
        const nameLen = c - ls;
        if (c < le && (nameLen === 4 || nameLen === 14 || nameLen === 17)) {
          let v = c + 1;
          let ve = le;
          while (v < ve && (h[v] === 0x20 || h[v] === 0x09)) v++;
          while (ve > v && (h[ve - 1] === 0x20 || h[ve - 1] === 0x09)) ve--;
          if (nameLen === 14 && nameIs(h, ls, NAME_CONTENT_LENGTH)) {
            let x = 0;
            let ok = ve > v && ve - v <= 15;
            for (let k = v; ok && k < ve; k++) { const dg = h[k]! - 0x30; if (dg < 0 || dg > 9) ok = false; else x = x * 10 + dg; }
            if (ok) contentLength = x;
          } else if (nameLen === 17 && nameIs(h, ls, NAME_TRANSFER_ENCODING)) {
            if (/(^|,)\s*chunked$/i.test(latin1(h, v, ve))) chunked = true;
          } else if (nameLen === 4 && hostFrom < 0 && nameIs(h, ls, NAME_HOST)) { hostFrom = v; hostTo = ve; }
        }
      }
      ls = next;
    }
    // (The segment ended at a line's end, before the empty line.)
    if (blockEnd < 0) return -1;
    const n = blockEnd - from;
    d.hdrLen = 0;
    d.lineLen = 0;
    const host = hostFrom >= 0 ? this.internBytes(h, hostFrom, hostTo) : null;
    if (startTo - startFrom >= 5 && isHttpSlash(h, startFrom)) {
      // Status line: HTTP-version SP status-code SP [reason-phrase]
      const m = statusLineMatches(h, startFrom, startTo);
      const status = m ? (h[startFrom + 9]! - 0x30) * 100 + (h[startFrom + 10]! - 0x30) * 10 + (h[startFrom + 11]! - 0x30) : null;
      const reason = m ? (startTo - startFrom > 12 ? this.internBytes(h, startFrom + 13, startTo) : '') : null;
      let t: HttpTransaction | undefined;
      const interim = status !== null && status >= 100 && status < 200 && status !== 101;
      if (interim) {
        t = s.waiting[0];
        if (t && Number.isNaN(t.respSec)) { t.respSec = d.msgSec; t.respNsec = d.msgNsec; }
        d.txn = t ?? null;
        d.isRequest = false;
        this.countBytes(d, n);
        d.txn = null;
        d.mode = M_HEADERS;
        return blockEnd;
      }
      t = s.waiting.shift();
      if (!t) {
        t = this.newTxn(s, -1, d.msgSec, d.msgNsec);
        t.reqSec = NaN;
      }
      t.status = status;
      t.reason = reason;
      if (!t.version && m) t.version = this.internBytes(h, startFrom + 5, startFrom + 8);
      if (Number.isNaN(t.respSec)) { t.respSec = d.msgSec; t.respNsec = d.msgNsec; }
      t.endSec = sec; t.endNsec = nsec;
      d.txn = t;
      d.isRequest = false;
      t.responseBytes += n;
      const noBody = t.method === 'HEAD' || status === 204 || status === 304 || (status !== null && status < 200);
      if (status === 101 || (t.method === 'CONNECT' && status !== null && status >= 200 && status < 300)) {
        t.complete = true;
        s.dirs[0]!.mode = M_DONE;
        s.dirs[1]!.mode = M_DONE;
        d.txn = null;
        return blockEnd;
      }
      if (noBody) { this.endMessage(d); return blockEnd; }
      if (chunked) { d.mode = M_CHUNK_SIZE; d.chunkSize = 0; d.chunkDigits = 0; d.chunkExt = false; return blockEnd; }
      if (contentLength >= 0) {
        if (contentLength === 0) { this.endMessage(d); return blockEnd; }
        d.mode = M_BODY; d.remaining = contentLength; return blockEnd;
      }
      d.mode = M_CLOSE;
      return blockEnd;
    }
    // Request line: method SP request-target SP HTTP-version
    const uriFrom = requestLineUri(h, startFrom, startTo);
    const dir = s.dirs[0] === d ? 0 : 1;
    const t = this.newTxn(s, dir, d.msgSec, d.msgNsec);
    if (uriFrom >= 0) {
      t.method = this.internBytes(h, startFrom, uriFrom - 1);
      t.uri = latin1(h, uriFrom, startTo - 9);
      t.version = this.internBytes(h, startTo - 3, startTo);
    } else {
      // Lenient, as Wireshark: the first token is the method, the second the target ("" when absent).
      const parts = latin1(h, startFrom, startTo).split(' ');
      t.method = this.intern(parts[0]!);
      t.uri = parts[1] ?? '';
      const v = /^HTTP\/(\d\.\d)$/.exec(parts[2] ?? '');
      if (v) t.version = this.intern(v[1]!);
      if (!partial) this.issue(s, 'HTTP request line is not "method SP target SP HTTP/x.y"');
    }
    t.host = host;
    t.requestBytes = n;
    s.waiting.push(t);
    d.txn = t;
    d.isRequest = true;
    if (chunked) { d.mode = M_CHUNK_SIZE; d.chunkSize = 0; d.chunkDigits = 0; d.chunkExt = false; return blockEnd; }
    if (contentLength > 0) { d.mode = M_BODY; d.remaining = contentLength; return blockEnd; }
    this.endMessage(d);
    return blockEnd;
  }

  /**
   * One string per distinct method, version, reason and host: a capture's
   * transactions repeat a few of each (the 2 M-packet bench file: 62 k
   * transactions, ~250 k such strings, ~8 MB of heap). Bounded; past the
   * bound strings are kept as they are.
   */
  private intern(x: string): string {
    const c = this.strings.get(x);
    if (c !== undefined) return c;
    if (this.strings.size < 4096) this.strings.set(x, x);
    return x;
  }

  /**
   * intern(latin1(h, from, to)) without making the string when a recent one
   * spells the same bytes: a direct-mapped cache by a hash of the bytes.
   */
  private internBytes(h: Uint8Array, from: number, to: number): string {
    const n = to - from;
    if (n > BYTE_STRING_MAX) return this.intern(latin1(h, from, to));
    let x = 0x811c9dc5 ^ n;
    for (let k = from; k < to; k++) x = Math.imul(x ^ h[k]!, 0x01000193);
    // High bits of a multiply: the low bits of an FNV state are poorly mixed.
    const slot = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> (32 - BYTE_STRING_BITS);
    const c = this.byteStrings[slot]!;
    if (c !== null && c.length === n) {
      let same = true;
      for (let k = 0; k < n; k++) if (c.charCodeAt(k) !== h[from + k]) { same = false; break; }
      if (same) return c;
    }
    const y = this.intern(latin1(h, from, to));
    this.byteStrings[slot] = y;
    return y;
  }

  private newTxn(s: HttpStream, clientDir: number, sec: number, nsec: number): HttpTransaction {
    const t: HttpTransaction = {
      id: this.transactions.length, flow: s.flow, capture: s.capture, clientDir, method: null, host: null, uri: null, version: null,
      status: null, reason: null, reqSec: sec, reqNsec: nsec, respSec: NaN, respNsec: 0, endSec: NaN, endNsec: 0,
      requestBytes: 0, responseBytes: 0, complete: false,
    };
    this.transactions.push(t);
    return t;
  }

  private endMessage(d: Direction): void {
    if (d.txn && !d.isRequest) d.txn.complete = true;
    d.txn = null;
    d.mode = M_HEADERS;
    d.hdrLen = 0;
    d.lineLen = 0;
  }

  /** The direction closed (FIN): a close-delimited response ends here. */
  private finish(s: HttpStream, d: Direction, sec: number, nsec: number): void {
    if (d.pending.length) this.giveUpGap(s, d);
    if (d.mode === M_CLOSE) { if (d.txn && Number.isNaN(d.txn.endSec)) this.touchEnd(d, sec, nsec); this.endMessage(d); }
    d.finished = true;
  }

  /**
   * The TCP conversation of flow `f` is over (RST, or FIN both ways): what is
   * held is delivered past its gaps, a close-delimited response ends, and the
   * stream's state is let go (memory stays bounded by open connections).
   */
  close(f: number, sec: number, nsec: number): void {
    const s = f < this.streams.length ? this.streams[f]! : null;
    if (!s) return;
    for (const d of s.dirs) this.finish(s, d, sec, nsec);
    this.streams[f] = null;
    this.open.delete(f);
    if (this.pool.length < STREAM_POOL_MAX) {
      s.dirs[0]!.reset();
      s.dirs[1]!.reset();
      s.waiting.length = 0;
      this.pool.push(s);
    }
  }

  /** End of the capture: held segments are delivered past their gaps. */
  endCapture(baseSec = 0): void {
    this.early.clear();
    this.earlyBytes = 0;
    for (const f of this.open) {
      const s = this.streams[f];
      if (s) for (const d of s.dirs) if (d.pending.length) this.giveUpGap(s, d);
      this.streams[f] = null;
    }
    this.open.clear();
    // Times were seconds since the capture's first packet (small integers while reading): make them absolute.
    for (let k = this.converted; k < this.transactions.length; k++) {
      const t = this.transactions[k]!;
      t.reqSec = Number.isNaN(t.reqSec) ? -1 : t.reqSec + baseSec;
      t.respSec = Number.isNaN(t.respSec) ? -1 : t.respSec + baseSec;
      t.endSec = Number.isNaN(t.endSec) ? -1 : t.endSec + baseSec;
    }
    this.converted = this.transactions.length;
  }
}
