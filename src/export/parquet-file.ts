/**
 * Parquet files of the tables (parquet-tables.ts): pure JavaScript, the same
 * code in the CLI, Electron's engine worker and the browser's Web Worker
 * (docs/decisions/0014-parquet-writer.md). Exact physical and logical types
 * from an explicit schema, Snappy compression, dictionary pages where they
 * halve a column (hyparquet-writer's rule), statistics.
 *
 * The column chunks are encoded here, from typed column buffers that a table
 * fills a row group at a time (`ColumnBuffer`: Int32Array, Float64Array, an
 * INT64 as two 32-bit words, strings as ids of distinct values), and each row
 * group is handed out as bytes as soon as it is made (`parquetPieces`).
 * hyparquet-writer (its `ParquetWriter`) wanted every value boxed in an array
 * a column (BigInts, a Uint8Array a string) and the whole file in one growing
 * buffer: on the 2 M-packet bench file that was ~140 MB of peak memory and
 * most of the export's time (decision 0014). Its thrift metadata, page
 * headers, RLE/bit-packing and Snappy are still used as they are.
 * `parquetZip`: every table of a session as one zip (the app's Export →
 * "Parquet (all tables, zip)").
 */
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writeIndexes } from 'hyparquet-writer/src/indexes.js';
import { zipSync } from 'fflate';
import type { AnalysisJson } from '../session/contract.js';
import { packetsTable, parquetTables, type PacketTableCapture, type ParquetColumnType, type ParquetSink, type ParquetSource, type ParquetTable, type ParquetTableOptions, type ParquetValue } from './parquet-tables.js';

type FileMetaData = Parameters<typeof writeMetadata>[1];
type SchemaElement = FileMetaData['schema'][number];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type ColumnMetaData = NonNullable<ColumnChunk['meta_data']>;
type PageHeader = Parameters<typeof writePageHeader>[1];
type PageIndexes = Parameters<typeof writeIndexes>[1][number];
type OffsetIndex = NonNullable<PageIndexes['offsetIndex']>;

const CREATED_BY = 'overlayscope 0.1.0 (hyparquet-writer)';
/** A data page ends once its values' estimated size reaches this (hyparquet-writer's default). */
const PAGE_SIZE = 1_048_576;
const TWO32 = 4_294_967_296;
const INT64_LIMIT = 9_223_372_036_854_775_808; // 2^63

function element(c: { name: string; type: ParquetColumnType }): SchemaElement {
  const base = { name: c.name, repetition_type: 'OPTIONAL' as const };
  switch (c.type) {
    case 'STRING': return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'INT32': return { ...base, type: 'INT32' };
    case 'INT64': return { ...base, type: 'INT64' };
    case 'DOUBLE': return { ...base, type: 'DOUBLE' };
    case 'BOOLEAN': return { ...base, type: 'BOOLEAN' };
    case 'TIMESTAMP_NANOS': return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } };
    case 'TIMESTAMP_MILLIS': return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } };
    default: {
      const never: never = c.type;
      throw new Error(`unknown Parquet column type ${String(never)}`);
    }
  }
}

const enum Kind { I32, I64, F64, BOOL, STR }

const kindOf = (t: ParquetColumnType): Kind => (t === 'STRING' ? Kind.STR : t === 'INT32' ? Kind.I32 : t === 'DOUBLE' ? Kind.F64 : t === 'BOOLEAN' ? Kind.BOOL : Kind.I64);

/** Bytes a..a+al-1 against b..b+bl-1 of `u8`, unsigned, shorter first on a tie: Parquet's order of BYTE_ARRAY statistics. */
function compareBytes(u8: Uint8Array, a: number, al: number, b: number, bl: number): number {
  const n = Math.min(al, bl);
  for (let i = 0; i < n; i++) { const d = u8[a + i]! - u8[b + i]!; if (d) return d; }
  return al - bl;
}

function sameBytes(u8: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (u8[a + i] !== u8[b + i]) return false;
  return true;
}

const encoder = new TextEncoder();
let utf8Scratch = new Uint8Array(1024);

/** hyparquet-writer's growing buffer with a byte view kept at hand (no view made a value). */
class Bytes extends ByteWriter {
  u8 = new Uint8Array(this.buffer);
  override ensure(size: number): void {
    super.ensure(size);
    if (this.u8.buffer !== this.buffer) this.u8 = new Uint8Array(this.buffer);
  }
  /** Bytes from..to-1 of `src`. */
  copy(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.ensure(n);
    const dst = this.u8;
    let at = this.index;
    if (n < 48) for (let i = from; i < to; i++) dst[at++] = src[i]!;
    else dst.set(src.subarray(from, to), at);
    this.index += n; this.offset += n;
  }
  /** UTF-8 of `s` (TextEncoder's bytes: a lone surrogate as U+FFFD), without a Uint8Array a string; returns its length. */
  utf8(s: string): number {
    this.ensure(s.length * 3);
    const buf = this.u8;
    let at = this.index;
    if (s.length > 24) {
      // Longer text through the engine's encoder (the same bytes).
      if (utf8Scratch.length < s.length * 3) utf8Scratch = new Uint8Array(s.length * 3);
      const written = (encoder as unknown as { encodeInto(t: string, into: Uint8Array): { written: number } }).encodeInto(s, utf8Scratch).written;
      for (let i = 0; i < written; i++) buf[at++] = utf8Scratch[i]!;
      this.index = at; this.offset += written;
      return written;
    }
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) { buf[at++] = c; continue; }
      if (c < 0x800) { buf[at++] = 0xc0 | (c >> 6); buf[at++] = 0x80 | (c & 63); continue; }
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++;
          buf[at++] = 0xf0 | (c >> 18); buf[at++] = 0x80 | ((c >> 12) & 63); buf[at++] = 0x80 | ((c >> 6) & 63); buf[at++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      buf[at++] = 0xe0 | (c >> 12); buf[at++] = 0x80 | ((c >> 6) & 63); buf[at++] = 0x80 | (c & 63);
    }
    const n = at - this.index;
    this.index = at; this.offset += n;
    return n;
  }
}

/** Empty again (a scratch buffer: offsets from 0). */
function reset(w: ByteWriter): void { w.index = 0; w.offset = 0; }

/**
 * One column of a row group: the values a table sets (`set(k, v)`), kept
 * typed, then written as a Parquet column chunk (`write`): statistics, a
 * dictionary page when it halves the values (hyparquet-writer's rule), data
 * pages v2 of about PAGE_SIZE, Snappy.
 */
class ColumnBuffer implements ParquetSink {
  readonly kind: Kind;
  readonly def: Uint8Array;
  /** INT32 values, BOOLEAN 0/1, string ids. */
  readonly i32: Int32Array;
  /** INT64: high (signed) and low words. */
  readonly hi: Int32Array;
  readonly lo: Uint32Array;
  readonly f64: Float64Array;
  /**
   * Strings: the row group's distinct values as UTF-8 in `pool`, in
   * first-seen order (start, byte length, UTF-16 length, hash a value), found
   * again through `table` (open addressing, id + 1). No string is kept: a
   * fresh string a row (addresses, Community IDs) held until its row group is
   * written made every young-generation collection copy them (decision 0014).
   */
  readonly pool = new Bytes(1 << 12);
  readonly dStart: Int32Array;
  readonly dLen: Int32Array;
  readonly dChars: Int32Array;
  readonly dHash: Int32Array;
  distinct = 0;
  readonly table: Int32Array;
  readonly mask: number;
  /** The last string set and its id (a column often repeats one: session, capture file). */
  lastStr: string | null = null;
  lastId = -1;
  /** UTF-16 length of the non-null strings set (hyparquet-writer's size estimate). */
  stringChars = 0;

  constructor(readonly name: string, readonly el: SchemaElement, type: ParquetColumnType, capacity: number) {
    this.kind = kindOf(type);
    this.def = new Uint8Array(capacity);
    const k = this.kind;
    this.i32 = new Int32Array(k === Kind.I32 || k === Kind.BOOL || k === Kind.STR ? capacity : 0);
    this.hi = new Int32Array(k === Kind.I64 ? capacity : 0);
    this.lo = new Uint32Array(k === Kind.I64 ? capacity : 0);
    this.f64 = new Float64Array(k === Kind.F64 ? capacity : 0);
    const d = k === Kind.STR ? capacity : 0;
    this.dStart = new Int32Array(d); this.dLen = new Int32Array(d); this.dChars = new Int32Array(d); this.dHash = new Int32Array(d);
    let size = 1;
    while (size < 2 * d) size *= 2;
    this.table = new Int32Array(k === Kind.STR ? size : 0);
    this.mask = size - 1;
  }

  clear(): void {
    if (this.kind !== Kind.STR) return;
    reset(this.pool);
    if (this.distinct) this.table.fill(0);
    this.distinct = 0; this.lastStr = null; this.lastId = -1; this.stringChars = 0;
  }

  /** The id of string `v` in this row group (added when new). */
  private intern(v: string): number {
    if (v === this.lastStr) return this.lastId;
    const pool = this.pool, start = pool.index;
    const len = pool.utf8(v);
    const u8 = pool.u8;
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < start + len; i++) h = Math.imul(h ^ u8[i]!, 0x01000193);
    const { table, mask, dStart, dLen, dHash } = this;
    let id = -1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = table[slot]!;
      if (e === 0) {
        id = this.distinct++;
        dStart[id] = start; dLen[id] = len; this.dChars[id] = v.length; dHash[id] = h;
        table[slot] = id + 1;
        break;
      }
      const c = e - 1;
      if (dHash[c] === h && dLen[c] === len && sameBytes(u8, dStart[c]!, start, len)) {
        id = c;
        pool.index = start; pool.offset -= len; // seen: its bytes once are enough
        break;
      }
    }
    this.lastStr = v; this.lastId = id;
    return id;
  }

  set(k: number, v: ParquetValue): void {
    if (v === null || v === undefined) { this.def[k] = 0; return; }
    this.def[k] = 1;
    switch (this.kind) {
      case Kind.STR: {
        if (typeof v !== 'string') throw new Error(`parquet column ${this.name}: expected a string, got ${typeof v}`);
        this.i32[k] = this.intern(v); this.stringChars += v.length;
        return;
      }
      case Kind.I32:
        if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new Error(`parquet column ${this.name}: expected an INT32, got ${String(v)}`);
        this.i32[k] = v;
        return;
      case Kind.I64:
        if (typeof v === 'number') {
          if (!Number.isInteger(v) || !(v >= -INT64_LIMIT && v < INT64_LIMIT)) throw new RangeError(`parquet INT64 value out of range: ${v} (column ${this.name})`);
          this.hi[k] = Math.floor(v / TWO32); this.lo[k] = v >>> 0;
        } else if (typeof v === 'bigint') {
          if (v < -9_223_372_036_854_775_808n || v > 9_223_372_036_854_775_807n) throw new RangeError(`parquet INT64 value out of range: ${v} (column ${this.name})`);
          this.hi[k] = Number(BigInt.asIntN(32, v >> 32n)); this.lo[k] = Number(BigInt.asUintN(32, v));
        } else throw new Error(`parquet column ${this.name}: expected an INT64, got ${typeof v}`);
        return;
      case Kind.F64:
        if (typeof v !== 'number') throw new Error(`parquet column ${this.name}: expected a number, got ${typeof v}`);
        this.f64[k] = v;
        return;
      case Kind.BOOL:
        if (typeof v !== 'boolean') throw new Error(`parquet column ${this.name}: expected a boolean, got ${typeof v}`);
        this.i32[k] = v ? 1 : 0;
        return;
    }
  }

  private int64(k: number): bigint { return BigInt(this.hi[k]!) * 4_294_967_296n + BigInt(this.lo[k]!); }

  /** Min, max (as hyparquet-writer gives them: signed zeros normalised), null and NaN counts of rows 0..n-1. */
  private statistics(n: number, nonNull: number): ColumnMetaData['statistics'] {
    const nullCount = BigInt(n - nonNull);
    const { kind, def } = this;
    let min: Uint8Array | number | bigint | boolean | undefined, max: typeof min;
    let nan = 0;
    if (kind === Kind.STR) {
      if (this.distinct) {
        // UTF-8 byte order (= code point order, Parquet's for BYTE_ARRAY).
        const { dStart, dLen } = this, u8 = this.pool.u8;
        let a = 0, b = 0;
        for (let i = 1; i < this.distinct; i++) {
          if (compareBytes(u8, dStart[i]!, dLen[i]!, dStart[a]!, dLen[a]!) < 0) a = i;
          else if (compareBytes(u8, dStart[i]!, dLen[i]!, dStart[b]!, dLen[b]!) > 0) b = i;
        }
        min = u8.slice(dStart[a]!, dStart[a]! + dLen[a]!); max = u8.slice(dStart[b]!, dStart[b]! + dLen[b]!);
      }
    } else if (kind === Kind.I64) {
      let at = -1, bt = -1;
      const { hi, lo } = this;
      for (let k = 0; k < n; k++) {
        if (!def[k]) continue;
        if (at < 0) { at = bt = k; continue; }
        if (hi[k]! < hi[at]! || (hi[k] === hi[at] && lo[k]! < lo[at]!)) at = k;
        if (hi[k]! > hi[bt]! || (hi[k] === hi[bt] && lo[k]! > lo[bt]!)) bt = k;
      }
      if (at >= 0) { min = this.int64(at); max = this.int64(bt); }
    } else if (kind === Kind.BOOL) {
      let f = false, t = false;
      for (let k = 0; k < n; k++) if (def[k]) { if (this.i32[k]) t = true; else f = true; }
      if (f || t) { min = !f; max = t; }
    } else {
      const vals = kind === Kind.F64 ? this.f64 : this.i32;
      let a = Infinity, b = -Infinity, any = false;
      for (let k = 0; k < n; k++) {
        if (!def[k]) continue;
        const x = vals[k]!;
        if (x !== x) { nan++; continue; }
        any = true;
        if (x < a) a = x;
        if (x > b) b = x;
      }
      if (any) { min = a === 0 ? -0 : a; max = b === 0 ? 0 : b; }
    }
    return { min_value: min, max_value: max, null_count: nullCount, ...(kind === Kind.F64 ? { nan_count: BigInt(nan) } : {}) } as ColumnMetaData['statistics'];
  }

  /**
   * Dictionary ids of the non-null rows 0..n-1 (`ids[k]`, row order) and the
   * dictionary size, or null when a dictionary does not at least halve the
   * plain values (hyparquet-writer's test: 2 × (dictionary + bit-packed ids)
   * <= plain; sizes as it estimates them, a string by its UTF-16 length).
   */
  private dictionary(n: number, nonNull: number, ids: Int32Array): { size: number; values: number[] } | null {
    const { kind, def } = this;
    if (kind === Kind.BOOL || nonNull === 0 || this.sampleRejects(n)) return null;
    let size: number, dictBytes: number, plainBytes: number;
    const values: number[] = [];
    if (kind === Kind.STR) {
      size = this.distinct;
      let chars = 0;
      for (let i = 0; i < size; i++) chars += this.dChars[i]!;
      dictBytes = chars + 4 * size; plainBytes = this.stringChars + 4 * nonNull;
      for (let k = 0; k < n; k++) ids[k] = this.i32[k]!;
    } else {
      const width = kind === Kind.I32 ? 4 : 8;
      // More distinct values than half the rows can never halve them: stop counting there.
      const limit = nonNull / 2;
      if (kind === Kind.I64) {
        const byHi = new Map<number, Map<number, number>>();
        const { hi, lo } = this;
        for (let k = 0; k < n; k++) {
          if (!def[k]) continue;
          let m = byHi.get(hi[k]!);
          if (!m) { m = new Map(); byHi.set(hi[k]!, m); }
          let id = m.get(lo[k]!);
          if (id === undefined) { id = values.length; values.push(k); m.set(lo[k]!, id); if (values.length > limit) return null; }
          ids[k] = id;
        }
      } else {
        const vals = kind === Kind.F64 ? this.f64 : this.i32;
        const m = new Map<number, number>();
        for (let k = 0; k < n; k++) {
          if (!def[k]) continue;
          let id = m.get(vals[k]!);
          if (id === undefined) { id = values.length; values.push(k); m.set(vals[k]!, id); if (values.length > limit) return null; }
          ids[k] = id;
        }
      }
      size = values.length;
      dictBytes = width * size; plainBytes = width * nonNull;
    }
    const bitWidth = Math.ceil(Math.log2(size));
    const indexBytes = Math.ceil(nonNull * bitWidth / 8);
    if (2 * (dictBytes + indexBytes) > plainBytes) return null;
    return { size, values };
  }

  /**
   * hyparquet-writer's first test: up to 1,000 rows spread over the chunk
   * (nulls count as rows of no size); no dictionary when their distinct
   * values are more than 90 % of their bytes.
   */
  private sampleRejects(n: number): boolean {
    const { kind, def } = this;
    const samples = Math.min(n, 1000);
    const seen = new Set<number | string>();
    const width = kind === Kind.I32 ? 4 : 8;
    let distinct = 0, total = 0;
    for (let i = 0; i < samples; i++) {
      const k = samples === 1 ? 0 : Math.floor(i * (n - 1) / (samples - 1));
      if (!def[k]) {
        // hyparquet-writer keys a null by itself: its size (0) is counted once, as every null's.
        continue;
      }
      const key = kind === Kind.STR ? this.i32[k]! : kind === Kind.I64 ? `${this.hi[k]!},${this.lo[k]!}` : kind === Kind.F64 ? this.f64[k]! : this.i32[k]!;
      const size = kind === Kind.STR ? this.dChars[this.i32[k]!]! + 4 : width;
      if (!seen.has(key)) { seen.add(key); distinct += size; }
      total += size;
    }
    return !total || distinct / total > 0.9;
  }

  /** Plain bytes of row k's value (BOOLEAN excepted). */
  private plainValue(w: Bytes, k: number): void {
    switch (this.kind) {
      case Kind.I32: w.view.setInt32(w.index, this.i32[k]!, true); w.index += 4; w.offset += 4; return;
      case Kind.I64: w.view.setUint32(w.index, this.lo[k]!, true); w.view.setInt32(w.index + 4, this.hi[k]!, true); w.index += 8; w.offset += 8; return;
      case Kind.F64: w.view.setFloat64(w.index, this.f64[k]!, true); w.index += 8; w.offset += 8; return;
      case Kind.STR: {
        const id = this.i32[k]!, from = this.dStart[id]!, len = this.dLen[id]!;
        w.appendUint32(len);
        w.copy(this.pool.u8, from, from + len);
        return;
      }
      default: throw new Error('parquet: no plain value for BOOLEAN here');
    }
  }

  /** Writes rows 0..n-1 as a column chunk at `out` (file offset `out.offset`); the offset index when it took several pages (written at the end, hyparquet-writer's writeIndexes). */
  write(out: Bytes, n: number, s: Scratch): PageIndexes {
    const { kind, def, el } = this;
    const offsetStart = out.offset;
    let nonNull = 0;
    for (let k = 0; k < n; k++) nonNull += def[k]!;
    const statistics = this.statistics(n, nonNull);
    const ids = s.ids(n);
    const dict = this.dictionary(n, nonNull, ids);
    let uncompressed = 0;
    const encodings: ColumnMetaData['encodings'] = [];
    let dictionaryPageOffset: bigint | undefined;
    if (dict) {
      dictionaryPageOffset = BigInt(out.offset);
      const page = s.page; reset(page);
      if (kind === Kind.STR) for (let i = 0; i < dict.size; i++) { const from = this.dStart[i]!, len = this.dLen[i]!; page.appendUint32(len); page.copy(this.pool.u8, from, from + len); }
      else { page.ensure(dict.size * 8); for (const k of dict.values) this.plainValue(page, k); }
      const bytes = page.getBytes();
      const compressed = s.snappy.compress(bytes);
      const headerStart = out.offset;
      writePageHeader(out, { type: 'DICTIONARY_PAGE', uncompressed_page_size: bytes.length, compressed_page_size: compressed.length, dictionary_page_header: { num_values: dict.size, encoding: 'PLAIN' } } as PageHeader);
      uncompressed += out.offset - headerStart + bytes.length;
      out.copy(compressed, 0, compressed.length);
      encodings.push('PLAIN');
    }
    const encoding = dict ? 'RLE_DICTIONARY' : kind === Kind.BOOL && n > 16 ? 'RLE' : 'PLAIN';
    encodings.push(encoding);
    // Pages of about PAGE_SIZE estimated value bytes, as hyparquet-writer cuts them.
    const dataPageOffset = BigInt(out.offset);
    let pages = 0;
    const sizeOf = (k: number): number => (!def[k] ? 0 : dict ? 4 : kind === Kind.STR ? this.dChars[this.i32[k]!]! : kind === Kind.I32 ? 4 : kind === Kind.BOOL ? 0.125 : 8);
    // Below PAGE_SIZE in all (the usual case) one page, without the walk.
    const estimate = dict ? 4 * nonNull : kind === Kind.STR ? this.stringChars : kind === Kind.BOOL ? nonNull / 8 : (kind === Kind.I32 ? 4 : 8) * nonNull;
    let start = 0, acc = 0;
    if (estimate < PAGE_SIZE) { uncompressed += this.page(out, 0, n, dict ? ids : null, encoding, s); pages = 1; start = n; }
    const locations: OffsetIndex['page_locations'] = [];
    for (let k = start; k <= n && start < n; k++) {
      if (k < n) {
        const size = sizeOf(k);
        acc += size;
        if (!(acc >= PAGE_SIZE && k > start)) continue;
        acc = size;
      }
      if (k === start) break;
      const pageOffset = out.offset;
      uncompressed += this.page(out, start, k, dict ? ids : null, encoding, s);
      locations.push({ offset: BigInt(pageOffset), compressed_page_size: out.offset - pageOffset, first_row_index: BigInt(start) });
      pages++;
      start = k;
    }
    const meta: ColumnMetaData = {
      type: el.type!, encodings, path_in_schema: [this.name], codec: 'SNAPPY', num_values: BigInt(n),
      total_compressed_size: BigInt(out.offset - offsetStart), total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: dataPageOffset, ...(dictionaryPageOffset !== undefined ? { dictionary_page_offset: dictionaryPageOffset } : {}), statistics,
      encoding_stats: [...(dict ? [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }] : []), { page_type: 'DATA_PAGE_V2' as const, encoding, count: pages }],
    };
    const chunk: ColumnChunk = { meta_data: meta, file_offset: BigInt(offsetStart) };
    return pages > 1 ? { chunk, offsetIndex: { page_locations: locations } } : { chunk };
  }

  /** One data page v2 of rows from..to-1; returns its uncompressed size with the header. */
  private page(out: Bytes, from: number, to: number, ids: Int32Array | null, encoding: 'RLE_DICTIONARY' | 'RLE' | 'PLAIN', s: Scratch): number {
    const { def } = this;
    const levels = s.levels; reset(levels);
    const defLen = writeRleBitPackedHybrid(levels, def.subarray(from, to), 1);
    let nonNull = 0;
    for (let k = from; k < to; k++) nonNull += def[k]!;
    const page = s.page; reset(page);
    if (ids || this.kind === Kind.BOOL) {
      // The page's non-null dictionary ids (or booleans), dense.
      const dense = s.dense(nonNull);
      let j = 0, max = 0;
      const src = ids ?? this.i32;
      for (let k = from; k < to; k++) if (def[k]) { const v = src[k]!; dense[j++] = v; if (v > max) max = v; }
      const values = dense.subarray(0, nonNull);
      if (ids) {
        const bitWidth = Math.ceil(Math.log2(max + 1));
        page.appendUint8(bitWidth);
        writeRleBitPackedHybrid(page, values, bitWidth);
      } else if (encoding === 'RLE') {
        const rle = s.rle; reset(rle);
        writeRleBitPackedHybrid(rle, values, 1);
        page.appendUint32(rle.offset);
        page.appendBytes(rle.getBytes());
      } else {
        // PLAIN booleans: bit-packed, LSB first.
        let byte = 0;
        for (let i = 0; i < nonNull; i++) {
          if (values[i]) byte |= 1 << (i % 8);
          if (i % 8 === 7) { page.appendUint8(byte); byte = 0; }
        }
        if (nonNull % 8) page.appendUint8(byte);
      }
    } else {
      page.ensure(nonNull * 8);
      for (let k = from; k < to; k++) if (def[k]) this.plainValue(page, k);
    }
    const bytes = page.getBytes();
    const compressed = s.snappy.compress(bytes);
    const headerStart = out.offset;
    writePageHeader(out, {
      type: 'DATA_PAGE_V2', uncompressed_page_size: defLen + bytes.length, compressed_page_size: defLen + compressed.length,
      data_page_header_v2: { num_values: to - from, num_nulls: to - from - nonNull, num_rows: to - from, encoding, definition_levels_byte_length: defLen, repetition_levels_byte_length: 0, is_compressed: true },
    } as PageHeader);
    const headerSize = out.offset - headerStart;
    out.copy(levels.u8, 0, defLen);
    out.copy(compressed, 0, compressed.length);
    return headerSize + defLen + bytes.length;
  }
}

/**
 * Snappy, the raw format (github.com/google/snappy format_description.txt):
 * hyparquet-writer's compressor (a port of snappyjs) step for step, so the
 * same bytes, but into one reused output buffer with no growth, no view made
 * a literal and no bounds check a byte (its ByteWriter spent more time there
 * than in the matching).
 */
export class SnappyCompressor {
  private out = new Uint8Array(1 << 16);
  private readonly tables: Uint32Array[] = [];

  /** `input` compressed; a view of the reused buffer, valid until the next call. */
  compress(input: Uint8Array): Uint8Array {
    const n = input.length;
    const max = 32 + n + Math.ceil(n / 6) + 10;
    if (this.out.length < max) this.out = new Uint8Array(Math.max(max, this.out.length * 2));
    const out = this.out;
    let op = 0;
    // Uncompressed length, a varint.
    for (let v = n; ; v >>>= 7) {
      if (v < 0x80) { out[op++] = v; break; }
      out[op++] = (v & 0x7f) | 0x80;
    }
    let bits = 1;
    while (1 << bits <= n && bits <= 14) bits++;
    bits--;
    const shift = 32 - bits;
    const table = (this.tables[bits] ??= new Uint32Array(1 << bits));
    table.fill(0);
    let ip = 0, nextEmit = 0;
    if (n >= 15) {
      const ipLimit = n - 15;
      ip++;
      let nextHash = snappyHash(input, ip, shift);
      let more = true;
      while (more) {
        let skip = 32, nextIp = ip, candidate = 0;
        do {
          ip = nextIp;
          const hash = nextHash;
          const step = skip >>> 5;
          skip++;
          nextIp = ip + step;
          if (ip > ipLimit) { more = false; break; }
          nextHash = snappyHash(input, nextIp, shift);
          candidate = table[hash]!;
          table[hash] = ip;
        } while (ip - candidate > 0xffff || !equals32(input, ip, candidate));
        if (!more) break;
        op = snappyLiteral(out, op, input, nextEmit, ip - nextEmit);
        do {
          const base = ip;
          let matched = 4;
          while (ip + matched < n && input[ip + matched] === input[candidate + matched]) matched++;
          ip += matched;
          op = snappyCopy(out, op, base - candidate, matched);
          nextEmit = ip;
          if (ip >= ipLimit) { more = false; break; }
          table[snappyHash(input, ip - 1, shift)] = ip - 1;
          const cur = snappyHash(input, ip, shift);
          candidate = table[cur]!;
          table[cur] = ip;
        } while (ip - candidate <= 0xffff && equals32(input, ip, candidate));
        if (!more) break;
        ip++;
        nextHash = snappyHash(input, ip, shift);
      }
    }
    if (nextEmit < n) op = snappyLiteral(out, op, input, nextEmit, n - nextEmit);
    return out.subarray(0, op);
  }
}

function snappyHash(input: Uint8Array, p: number, shift: number): number {
  return Math.imul(input[p]! + (input[p + 1]! << 8) + (input[p + 2]! << 16) + (input[p + 3]! << 24), 0x1e35a7bd) >>> shift;
}

function equals32(input: Uint8Array, a: number, b: number): boolean {
  return input[a] === input[b] && input[a + 1] === input[b + 1] && input[a + 2] === input[b + 2] && input[a + 3] === input[b + 3];
}

function snappyLiteral(out: Uint8Array, op: number, input: Uint8Array, from: number, len: number): number {
  if (len <= 60) out[op++] = (len - 1) << 2;
  else {
    const v = len - 1;
    const bytes = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
    out[op++] = (59 + bytes) << 2;
    for (let i = 0; i < bytes; i++) out[op++] = (v >>> (i * 8)) & 0xff;
  }
  if (len < 64) for (let i = 0; i < len; i++) out[op++] = input[from + i]!;
  else { out.set(input.subarray(from, from + len), op); op += len; }
  return op;
}

function snappyCopy(out: Uint8Array, op: number, offset: number, len: number): number {
  while (len >= 68) { op = snappyCopy64(out, op, offset, 64); len -= 64; }
  if (len > 64) { op = snappyCopy64(out, op, offset, 60); len -= 60; }
  return snappyCopy64(out, op, offset, len);
}

function snappyCopy64(out: Uint8Array, op: number, offset: number, len: number): number {
  if (len < 12 && offset < 2048) {
    out[op++] = (1 + ((len - 4) << 2) + ((offset >>> 8) << 5)) & 0xff;
    out[op++] = offset & 0xff;
  } else {
    out[op++] = (2 + ((len - 1) << 2)) & 0xff;
    out[op++] = offset & 0xff;
    out[op++] = (offset >>> 8) & 0xff;
  }
  return op;
}

/** Buffers reused by every column chunk of a file. */
class Scratch {
  readonly levels = new Bytes();
  readonly page = new Bytes(1 << 16);
  readonly rle = new Bytes();
  readonly snappy = new SnappyCompressor();
  private idBuf = new Int32Array(1024);
  private denseBuf = new Int32Array(1024);
  ids(n: number): Int32Array { if (this.idBuf.length < n) this.idBuf = new Int32Array(n); return this.idBuf; }
  dense(n: number): Int32Array { if (this.denseBuf.length < n) this.denseBuf = new Int32Array(n); return this.denseBuf; }
}

/**
 * One table as a Parquet file, in pieces: the header and each row group as
 * soon as it is made, then the footer. Each piece is a view of one reused
 * buffer, valid until the next is asked for (write it, or copy it).
 */
export function* parquetPieces(t: ParquetTable): Generator<Uint8Array> {
  const schema: SchemaElement[] = [{ name: 'root', num_children: t.schema.length }, ...t.schema.map(element)];
  const rowsPerGroup = Math.max(1, Math.min(t.chunkRows, t.rows));
  const columns = t.schema.map((c, i) => new ColumnBuffer(c.name, schema[i + 1]!, c.type, rowsPerGroup));
  const scratch = new Scratch();
  const out = new Bytes(1 << 20);
  const rowGroups: RowGroup[] = [];
  const indexes: PageIndexes[] = [];
  out.appendUint32(0x31524150); // PAR1
  for (let start = 0; start < t.rows; start += rowsPerGroup) {
    const n = Math.min(rowsPerGroup, t.rows - start);
    for (const c of columns) c.clear();
    t.fill(start, n, columns);
    const groupStart = out.offset;
    const chunks: ColumnChunk[] = [];
    let bytes = 0n;
    for (const c of columns) {
      const written = c.write(out, n, scratch);
      chunks.push(written.chunk);
      if (written.offsetIndex) indexes.push(written);
      bytes += written.chunk.meta_data!.total_uncompressed_size;
    }
    rowGroups.push({ columns: chunks, total_byte_size: bytes, num_rows: BigInt(n), total_compressed_size: BigInt(out.offset - groupStart) });
    yield out.getBytes();
    out.index = 0; // the offset goes on: it is the file's
  }
  writeIndexes(out, indexes);
  writeMetadata(out, { version: 2, created_by: CREATED_BY, schema, num_rows: BigInt(t.rows), row_groups: rowGroups } as unknown as FileMetaData);
  out.appendUint32(0x31524150);
  yield out.getBytes();
}

/** One table as a Parquet file's bytes. */
export function parquetBytes(t: ParquetTable): Uint8Array {
  const pieces: Uint8Array[] = [];
  let length = 0;
  for (const p of parquetPieces(t)) { pieces.push(p.slice()); length += p.length; }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const p of pieces) { bytes.set(p, at); at += p.length; }
  return bytes;
}

export interface ParquetExportOptions extends ParquetTableOptions {
  /** The captures, to add the `packets` table (one row a packet a capture point). */
  packets?: readonly PacketTableCapture[];
}

/** Every table (and `packets` when asked), made one at a time (a session: `sessionSource(session)`). */
export function* parquetTableList(input: AnalysisJson | ParquetSource, options: ParquetExportOptions = {}): Generator<ParquetTable> {
  yield* parquetTables(input, options);
  const doc = 'flowCount' in input ? (input as ParquetSource).doc : input as AnalysisJson;
  if (options.packets) yield packetsTable(options.packets, doc, options);
}

/** Every table (and `packets` when asked) as `[name, Parquet bytes]`, made one at a time (a session: `sessionSource(session)`). */
export function* parquetFiles(input: AnalysisJson | ParquetSource, options: ParquetExportOptions = {}): Generator<[string, Uint8Array]> {
  for (const t of parquetTableList(input, options)) yield [`${t.name}.parquet`, parquetBytes(t)];
}

/** Every table as one zip of `<stem>/<table>.parquet` (stored: Parquet pages are compressed already). */
export function parquetZip(input: AnalysisJson | ParquetSource, stem: string, options: ParquetExportOptions = {}): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, bytes] of parquetFiles(input, options)) entries[`${stem}/${name}`] = [bytes, { level: 0 }];
  return zipSync(entries);
}
