/**
 * A ByteSource over a compressed stream: a gzip file (RFC 1952, members one
 * after another as `cat a.gz b.gz` makes) or a zip member's raw deflate data
 * (RFC 1951). Inflated as it is read, never unpacked to disk or held whole:
 * fflate's streaming Gunzip/Inflate (docs/decisions/0012-compressed-captures.md).
 *
 * Offsets are in the inflated bytes (what the capture readers see). Random
 * access (`read`, for a packet's bytes) keeps one cursor: reads at or after
 * the last one continue the stream, an earlier one inflates again from the
 * start (deflate has no seek points).
 */
import { Gunzip, Inflate } from 'fflate';
import { CONTAINER_LIMITS, SourceError, type ContainerLimits } from './source-error.js';
import type { ByteSource } from './types.js';

export type InflateKind = 'gzip' | 'deflate';

export interface InflateSpec {
  kind: InflateKind;
  /** The compressed bytes: `source[start .. start+length)`. */
  source: ByteSource;
  start?: number;
  length?: number;
  /** Display name of the inflated stream (default the source's). */
  name?: string;
  /** The inflated size when the container says it (a zip's central directory). */
  knownSize?: number;
  limits?: Partial<ContainerLimits>;
  /** Inflated bytes between restart points (default CHECKPOINT_EVERY; tests use less). */
  checkpointEvery?: number;
}

/**
 * Compressed bytes pushed to the inflater at a time: bounds one push's output
 * (≤ 1032× this for deflate: 33 MiB) before the bomb check sees it. fflate
 * copies its 32 KiB window at every push, so smaller pushes cost more: 8 KiB
 * took about 1.8× the CPU of 32 KiB on the bench's 83 MB capture.
 */
const PUSH = 32 * 1024;
/** Compressed bytes read from the source at a time. */
const READ = 1024 * 1024;

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8;
}

/** The inflated size a gzip file's trailer suggests (ISIZE is the size mod 2^32). */
async function gzipSizeHint(src: ByteSource, start: number, length: number): Promise<number> {
  if (length < 18) return 0;
  const t = await src.read(start + length - 4, 4);
  if (t.length < 4) return 0;
  const isize = (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0;
  // Deflate never shrinks data below ~99 % (stored blocks): the smallest size ≡ ISIZE (mod 2^32) at least that.
  let size = isize;
  while (size < length * 0.99) size += 2 ** 32;
  return size;
}

export async function inflatedSource(spec: InflateSpec): Promise<ByteSource> {
  const start = spec.start ?? 0;
  const length = spec.length ?? spec.source.size - start;
  const hint = spec.knownSize ?? (spec.kind === 'gzip' ? await gzipSizeHint(spec.source, start, length) : length * 3);
  return new InflatedSource(spec, start, length, hint);
}

/** How reads by offset were served: from the start of the stream, or from a restart point. */
export interface InflateCounters { fromStart: number; fromCheckpoint: number; checkpoints: number; refused: number }

class InflatedSource implements ByteSource {
  readonly name: string;
  readonly counters: InflateCounters = { fromStart: 0, fromCheckpoint: 0, checkpoints: 0, refused: 0 };
  private readonly points: Checkpoints;
  private readonly cursors: Cursor[] = [];
  private uses = 0;
  private queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly spec: InflateSpec, private readonly start: number, private readonly length: number, private sizeHint: number) {
    this.name = spec.name ?? spec.source.name;
    this.points = new Checkpoints(spec.checkpointEvery ?? CHECKPOINT_EVERY, this.counters);
  }

  /** The inflated size: exact once the stream has been read to its end, before that an estimate. */
  get size(): number {
    return this.sizeHint;
  }

  private open(): Cursor {
    const limits = { ...CONTAINER_LIMITS, ...this.spec.limits };
    return new Cursor(this.spec.kind, this.spec.source, this.start, this.length, this.name, limits, (n) => { this.sizeHint = n; }, this.points);
  }

  async *chunks(_chunkSize: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    const c = this.open();
    for (;;) {
      if (signal?.aborted) return;
      const piece = await c.next();
      if (!piece) return;
      yield piece;
    }
  }

  /**
   * Reads one at a time (a cursor is a single stream position), each from the
   * cursor furthest along that has not passed `offset`: a few readers taking
   * turns (capture points of one nested archive, paged in time order) each
   * keep their place instead of re-inflating from the start at every turn.
   */
  read(offset: number, length: number): Promise<Uint8Array> {
    const r = this.queue.then(() => this.readNow(offset, length));
    this.queue = r.catch(() => undefined);
    return r;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    let best: Cursor | null = null;
    for (const c of this.cursors) if (c.windowStart <= offset && (!best || c.windowStart > best.windowStart)) best = c;
    // A restart point nearer than every cursor: inflate from there, not from the cursor or the start.
    const cp = this.points.before(offset);
    if (cp && (!best || cp.out > best.pos)) {
      const c = await this.resume(cp);
      if (c) best = this.keep(c);
    }
    if (!best) {
      best = this.keep(this.open());
      this.counters.fromStart++;
    }
    best.lastUse = ++this.uses;
    return best.readAt(offset, length);
  }

  private keep(c: Cursor): Cursor {
    if (this.cursors.length >= MAX_CURSORS) this.cursors.splice(this.cursors.indexOf(this.cursors.reduce((a, b) => (a.lastUse <= b.lastUse ? a : b))), 1);
    this.cursors.push(c);
    return c;
  }

  /** A cursor at a restart point, once it inflates there the bytes first inflated there; else null (and the point is dropped). */
  private async resume(cp: Checkpoint): Promise<Cursor | null> {
    const c = this.open();
    try {
      c.restore(cp);
      const head = await c.readAt(cp.out, VERIFY);
      if (head.length === VERIFY && crc32(0, head) >>> 0 === cp.check) {
        this.counters.fromCheckpoint++;
        return c;
      }
    } catch {
      // A state that does not restore (another fflate): read from the start instead.
    }
    this.points.drop(cp);
    this.counters.refused++;
    return null;
  }
}

/**
 * Restart points (docs/decisions/0012-compressed-captures.md): fflate's inflater state after a
 * push (its 32 KiB window, the current block's Huffman tables, the bit position, the input it
 * holds) with where the stream stood, taken every `every` inflated bytes by whichever cursor
 * passes there first (the analysis's own pass makes them all). Each is verified before use: a
 * cursor restored from it must inflate again the CRC-32 of the VERIFY bytes first inflated after
 * it, or the point is dropped. At most MAX_CHECKPOINTS (then every other one is dropped and the
 * spacing doubles): about 100-200 KiB each.
 */
interface Checkpoint {
  /** Inflated and compressed bytes before it (stream offsets). */
  out: number;
  in: number;
  crc: number;
  memberStartOut: number;
  state: { s: Record<string, unknown>; o: Uint8Array; p: Uint8Array; r?: unknown };
  /** CRC-32 of the VERIFY inflated bytes after it; null until they are inflated. */
  check: number | null;
}

/** Inflated bytes between restart points. */
const CHECKPOINT_EVERY = 32 * 1024 * 1024;
const MAX_CHECKPOINTS = 64;
const VERIFY = 4096;

class Checkpoints {
  private list: Checkpoint[] = [];
  constructor(private every: number, private readonly counters: InflateCounters) {}

  due(out: number): boolean {
    const last = this.list.at(-1);
    return out >= (last ? last.out : 0) + this.every;
  }

  add(cp: Checkpoint): void {
    const last = this.list.at(-1);
    if (last && cp.out <= last.out) return;
    this.list.push(cp);
    if (this.list.length > MAX_CHECKPOINTS) {
      this.list = this.list.filter((_, i) => i % 2 === 1);
      this.every *= 2;
    }
    this.counters.checkpoints = this.list.length;
  }

  drop(cp: Checkpoint): void {
    this.list = this.list.filter((x) => x !== cp);
    this.counters.checkpoints = this.list.length;
  }

  /** The verified point nearest before `offset`. */
  before(offset: number): Checkpoint | null {
    let best: Checkpoint | null = null;
    for (const cp of this.list) if (cp.out <= offset && cp.check !== null) best = cp;
    return best;
  }
}

/** fflate's FlateErrorCode.InvalidHeader: what its Gunzip throws where a member's header should be. */
const FLATE_INVALID_HEADER = 6;

/** Stream positions kept per source (each holds the inflater's 32 KiB window and its last pieces). */
const MAX_CURSORS = 4;
/**
 * Inflated bytes a cursor keeps behind the latest read: a page back (the
 * Packets view scrolled up, a packet's detail after its row) is served from
 * them instead of inflating again from the start of the stream.
 */
const KEEP_BEHIND = 4 * 1024 * 1024;

/** One pass over the stream: pieces in order, and a window of the latest ones for `readAt`. */
class Cursor {
  /** Inflated bytes handed out by next(). */
  pos = 0;
  /** When InflatedSource.read last used it. */
  lastUse = 0;
  private readonly out: Uint8Array[] = [];
  private inPos = 0;
  private ended = false;
  private finished = false;
  private memberStartOut = 0;
  private lastIn: Uint8Array = new Uint8Array(0);
  private readonly inflater: Gunzip | Inflate;
  /** Pieces kept for readAt, the first starting at windowStart. */
  private window: Uint8Array[] = [];
  windowStart = 0;
  private windowEnd = 0;

  constructor(private readonly kind: InflateKind, private readonly src: ByteSource, private readonly start: number,
    private readonly length: number, private readonly name: string, private readonly limits: ContainerLimits,
    private readonly onSize: (n: number) => void, private readonly points: Checkpoints | null = null) {
    const gzip = kind === 'gzip';
    const ondata = (d: Uint8Array, final: boolean): void => {
      if (d.length) {
        if (this.verifying) this.verify(d);
        this.out.push(d);
        if (gzip) this.crc = crc32(this.crc, d);
      }
      if (final) this.finished = true;
    };
    if (gzip) {
      const g = new Gunzip(ondata);
      g.onmember = (offset) => {
        // The member before ends with its CRC-32 and size 8 bytes before this one starts: checked once read.
        this.memberChecks.push({ at: offset - 8, crc: this.crc >>> 0, size: this.pos + this.queued() - this.memberStartOut });
        this.memberStartOut = this.pos + this.queued();
        this.crc = 0;
        this.finished = false;
      };
      this.inflater = g;
    } else this.inflater = new Inflate(ondata);
  }

  /** The restart point this cursor made last, until the VERIFY bytes after it are inflated and their CRC-32 noted. */
  private verifying: { cp: Checkpoint; crc: number; have: number } | null = null;

  private verify(d: Uint8Array): void {
    const v = this.verifying!;
    const take = d.subarray(0, Math.min(d.length, VERIFY - v.have));
    v.crc = crc32(v.crc, take);
    v.have += take.length;
    if (v.have === VERIFY) {
      v.cp.check = v.crc >>> 0;
      this.verifying = null;
    }
  }

  /** The inflater's state after the last push, as a restart point; null between gzip members or when fflate's fields are not the ones known. */
  private snapshot(out: number, consumed: number): Checkpoint | null {
    const g = this.inflater as unknown as Record<string, unknown>;
    const st = g['s'];
    if (g['v'] || g['d'] || !(g['o'] instanceof Uint8Array) || !(g['p'] instanceof Uint8Array) || !st || typeof st !== 'object') return null;
    return {
      out, in: consumed, crc: this.crc, memberStartOut: this.memberStartOut, check: null,
      state: { s: { ...(st as Record<string, unknown>) }, o: g['o'].slice(), p: g['p'].slice(), ...('r' in g ? { r: g['r'] } : {}) },
    };
  }

  /** Continues the stream from a restart point (a fresh cursor: nothing read yet). */
  restore(cp: Checkpoint): void {
    const g = this.inflater as unknown as Record<string, unknown>;
    g['s'] = { ...cp.state.s };
    g['o'] = cp.state.o.slice();
    g['p'] = cp.state.p.slice();
    if ('r' in cp.state) g['r'] = cp.state.r;
    if (this.kind === 'gzip') g['v'] = 0;
    this.pos = this.windowStart = this.windowEnd = cp.out;
    this.inPos = cp.in;
    this.crc = cp.crc;
    this.memberStartOut = cp.memberStartOut;
  }

  /** CRC-32 of the current gzip member's inflated bytes so far (RFC 1952 §2.3.1, CRC32 field). */
  private crc = 0;
  private readonly memberChecks: Array<{ at: number; crc: number; size: number }> = [];

  private async checkMembers(): Promise<void> {
    while (this.memberChecks.length) {
      const m = this.memberChecks.shift()!;
      const t = await this.src.read(this.start + m.at, 8);
      if (t.length < 8 || !this.trailerOk(t, m.crc, m.size)) {
        return this.fail(`member ending at compressed offset ${this.start + m.at}: its CRC-32 or length does not match what was inflated (damaged data)`);
      }
    }
  }

  private trailerOk(t: Uint8Array, crc: number, size: number): boolean {
    return u32le(t, 0) === crc >>> 0 && u32le(t, 4) === size % 2 ** 32;
  }

  private queued(): number {
    let n = 0;
    for (const o of this.out) n += o.length;
    return n;
  }

  private error: SourceError | null = null;

  /** Stops the stream: the pieces inflated so far are still handed out, then the error is thrown. */
  private fail(reason: string): void {
    this.error ??= new SourceError(this.name, this.pos + this.queued(), this.kind, reason);
    this.ended = true;
  }

  /** The next inflated piece, or null at the end of the stream. */
  async next(): Promise<Uint8Array | null> {
    while (!this.out.length) {
      if (this.error) throw this.error;
      if (this.ended) return null;
      await this.pull();
    }
    const piece = this.out.shift()!;
    this.pos += piece.length;
    return piece;
  }

  private async pull(): Promise<void> {
    if (this.inPos >= this.length) {
      this.ended = true;
      this.finish();
      return;
    }
    if (this.inPos === 0 && this.kind === 'gzip') {
      const h = await this.src.read(this.start, Math.min(3, this.length));
      if (!isGzip(h)) return this.fail('not a gzip stream (no 1f 8b 08 at its start)');
    }
    const want = Math.min(READ, this.length - this.inPos);
    const buf = await this.src.read(this.start + this.inPos, want);
    if (buf.length === 0) {
      // The source ended before its size said (a truncated archive member).
      this.ended = true;
      this.finish();
      return;
    }
    for (let o = 0; o < buf.length; o += PUSH) {
      const piece = buf.subarray(o, Math.min(buf.length, o + PUSH));
      try {
        this.inflater.push(piece, false);
      } catch (e) {
        // Not a gzip header where the next member would start: after a whole member, zeros (tape or
        // block padding) end the stream as gzip -d reads it; anything else is named where it starts.
        if (this.kind === 'gzip' && (e as { code?: number }).code === FLATE_INVALID_HEADER) return this.afterLastMember(buf, o, piece.length);
        return this.fail(`${(e as Error).message} at compressed offset ${this.start + this.inPos + o} (${this.pos + this.queued()} bytes inflated before it are kept)`);
      }
      const inflated = this.pos + this.queued();
      const consumed = this.inPos + o + piece.length;
      if (inflated > this.limits.maxInflated) return this.fail(`inflates to more than ${this.limits.maxInflated} bytes, the most one stream may; the rest is not read`);
      if (inflated > this.limits.ratioCheckAfter && inflated > consumed * this.limits.maxRatio) {
        return this.fail(`inflates ${(inflated / consumed).toFixed(0)}:1 (${inflated} bytes from ${consumed}), beyond the ${this.limits.maxRatio}:1 bound for a compression bomb; the rest is not read`);
      }
      if (this.points && !this.verifying && !this.memberChecks.length && this.points.due(inflated)) {
        const cp = this.snapshot(inflated, consumed);
        if (cp) {
          this.points.add(cp);
          this.verifying = { cp, crc: 0, have: 0 };
        }
      }
    }
    this.inPos += buf.length;
    this.lastIn = buf.length >= 16 ? buf.subarray(buf.length - 16) : concatTail(this.lastIn, buf);
    if (this.memberChecks.length) await this.checkMembers();
  }

  /**
   * fflate found no gzip header after a member: the member's trailer (its CRC-32 and length, which
   * must match what was inflated) is found in the last push, and what follows it must be zeros to
   * the end of the stream. Otherwise a named error at the first byte after the trailer.
   */
  private async afterLastMember(buf: Uint8Array, o: number, n: number): Promise<void> {
    const size = (this.pos + this.queued() - this.memberStartOut) % 2 ** 32;
    let g = -1;
    for (let t = Math.max(0, o - 12); t + 8 <= o + n; t++) {
      if (u32le(buf, t) === this.crc >>> 0 && u32le(buf, t + 4) === size) { g = t + 8; break; }
    }
    const total = this.pos + this.queued();
    if (g < 0) return this.fail(`no gzip member header after a member, near compressed offset ${this.start + this.inPos + o} (${total} bytes inflated before it are kept)`);
    const zeros = (b: Uint8Array, from: number): boolean => {
      for (let i = from; i < b.length; i++) if (b[i] !== 0) return false;
      return true;
    };
    let ok = zeros(buf, g);
    for (let at = this.inPos + buf.length; ok && at < this.length; ) {
      const more = await this.src.read(this.start + at, Math.min(READ, this.length - at));
      if (!more.length) break;
      ok = zeros(more, 0);
      at += more.length;
    }
    if (!ok) return this.fail(`bytes after the last gzip member, from compressed offset ${this.start + this.inPos + g}, are neither a gzip member nor padding (${total} bytes inflated before them are kept)`);
    // Zero padding: the stream ends here, whole (once the members before this one are checked).
    if (this.memberChecks.length) await this.checkMembers();
    if (this.error) return;
    this.ended = true;
    this.finished = true;
    this.inPos = this.length;
    this.onSize(total);
  }

  private finish(): void {
    try {
      this.inflater.push(new Uint8Array(0), true);
    } catch (e) {
      if (this.kind === 'gzip' && this.zeroTail()) return;
      return this.fail(`${(e as Error).message}: the stream is cut short at compressed offset ${this.start + this.inPos} (${this.pos + this.queued()} bytes inflated before it are kept)`);
    }
    const total = this.pos + this.queued();
    if (!this.finished) return this.fail(`the stream is cut short at compressed offset ${this.start + this.inPos} (${total} bytes inflated before it are kept)`);
    if (this.kind === 'gzip') {
      // The last 8 bytes: CRC-32 and ISIZE (RFC 1952 §2.3.1).
      const t = this.lastIn;
      const e = t.length - 8;
      const size = total - this.memberStartOut;
      if (e < 0 || u32le(t, e + 4) !== size % 2 ** 32) {
        if (this.zeroTail()) return;
        this.onSize(total);
        return this.fail(`trailer missing or damaged at compressed offset ${this.start + this.inPos}: its length field says ${e >= 0 ? u32le(t, e + 4) : 'nothing'}, ${size} bytes were inflated (all of them are kept)`);
      }
      if (u32le(t, e) !== this.crc >>> 0) {
        this.onSize(total);
        return this.fail(`CRC-32 mismatch at the end of the stream (compressed offset ${this.start + this.inPos - 8}): the inflated data is damaged`);
      }
    }
    this.onSize(total);
  }

  /** Drops the pieces that end more than KEEP_BEHIND before `offset` (never the one holding it). */
  private trim(offset: number): void {
    while (this.window.length > 1 && this.windowStart + this.window[0]!.length <= offset - KEEP_BEHIND) this.windowStart += this.window.shift()!.length;
  }

  /**
   * 1 to 3 zero bytes after a whole member (too few for fflate to call them a header): the stream
   * ends whole when the member's trailer, matching what was inflated, sits just before them.
   */
  private zeroTail(): boolean {
    const t = this.lastIn;
    const size = (this.pos + this.queued() - this.memberStartOut) % 2 ** 32;
    for (let k = 1; k <= 3 && t.length >= 8 + k; k++) {
      if (t[t.length - k] !== 0) return false;
      const at = t.length - k - 8;
      if (u32le(t, at) === this.crc >>> 0 && u32le(t, at + 4) === size) {
        this.finished = true;
        this.onSize(this.pos + this.queued());
        return true;
      }
    }
    return false;
  }

  /** `length` bytes at `offset` (fewer at the end); offset must not be before windowStart. */
  async readAt(offset: number, length: number): Promise<Uint8Array> {
    const end = offset + length;
    while (this.windowEnd < end) {
      const p = await this.next();
      if (!p) break;
      this.window.push(p);
      this.windowEnd += p.length;
      this.trim(offset);
    }
    this.trim(offset);
    const from = Math.max(offset, this.windowStart);
    const to = Math.min(end, this.windowEnd);
    if (to <= from) return new Uint8Array(0);
    const r = new Uint8Array(to - from);
    let at = this.windowStart;
    for (const p of this.window) {
      const a = Math.max(from, at);
      const b = Math.min(to, at + p.length);
      if (b > a) r.set(p.subarray(a - at, b - at), a - from);
      at += p.length;
      if (at >= to) break;
    }
    return r;
  }
}

function concatTail(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a);
  r.set(b, a.length);
  return r.subarray(Math.max(0, r.length - 16));
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** CRC-32 (IEEE 802.3, reflected 0xEDB88320), slicing by 4. */
const CRC_TABLE: Int32Array = (() => {
  const t = new Int32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

function crc32(crc: number, d: Uint8Array): number {
  const t = CRC_TABLE;
  let c = ~crc;
  let i = 0;
  const n4 = d.length - (d.length & 3);
  for (; i < n4; i += 4) {
    c ^= d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
  }
  for (; i < d.length; i++) c = t[(c ^ d[i]!) & 0xff]! ^ (c >>> 8);
  return ~c;
}
