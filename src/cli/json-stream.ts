/**
 * A JSON document written in pieces, without building it as one string: a
 * big capture's analysis has hundreds of thousands of flows and HTTP
 * transactions, and one string of several hundred MB (plus its copy on
 * write) would cost more memory than the analysis itself.
 *
 * Layout: the top-level object as JSON.stringify(v, null, 2) would write it,
 * except that the elements of top-level arrays are written compact, one
 * element a line (half the bytes and a third of the time of indenting them,
 * and a line per flow is what grep and line-oriented tools want). The text
 * is handed out in pieces of about `pieceSize` bytes.
 */
import { JsonBytes, JsonLit, SLACK } from '../pipeline/json-bytes.js';

/** An array whose elements are made when serialised (see jsonPieces). */
export class LazyArray<T> {
  /**
   * `text(i)`, when given, is element i already serialised (what
   * JSON.stringify(get(i)) gives); `write(i, out)`, when given, writes that
   * text into `out` as UTF-8 (what jsonBytePieces uses first).
   */
  constructor(
    readonly length: number,
    readonly get: (i: number) => T,
    readonly text?: (i: number) => string,
    readonly write?: (i: number, out: JsonBytes) => void,
  ) {}
}

const INDENT = new JsonLit('    ');
const COMMA_NEWLINE = new JsonLit(',\n');
const NEWLINE = new JsonLit('\n');

/**
 * The document as UTF-8 pieces of about `pieceSize` bytes. Each piece is a
 * view of one reused buffer: it is valid until the next piece is asked for
 * (a writer that awaits each write before the next, as writeFileAtomic does,
 * needs no copy).
 */
// 256 KiB pieces: one reused buffer, so the size costs no memory (when pieces were strings, 1 MiB ones let the heap
// grow to a 562 MB peak RSS on the 2 M-packet bench file, 64 KiB ones to 387 MB). Each write costs ~25 µs of promise
// and submission on top of the copy: output phase 510-544 ms CPU with 64 KiB, 466-527 with 256 KiB, 465-483 with
// 1 MiB (5 runs each, same RSS); 256 KiB stays in a core's 512 KiB L2 until the kernel copies it.
export function* jsonBytePieces(value: Record<string, unknown>, pieceSize = 1 << 18): Generator<Uint8Array> {
  const out = new JsonBytes(pieceSize + SLACK * 2);
  const keys = Object.keys(value).filter((k) => value[k] !== undefined && typeof value[k] !== 'function');
  out.lit(keys.length ? '{\n' : '{');
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = value[k];
    const sep = i < keys.length - 1 ? ',\n' : '\n';
    out.lit('  ');
    out.str(k);
    out.lit(': ');
    const lazy = v instanceof LazyArray ? v as LazyArray<unknown> : null;
    if ((Array.isArray(v) || lazy) && (v as { length: number }).length > 0) {
      const n = (v as { length: number }).length;
      out.lit('[\n');
      for (let j = 0; j < n; j++) {
        out.put(INDENT);
        if (lazy?.write) lazy.write(j, out);
        else out.text((lazy ? (lazy.text ? lazy.text(j) : JSON.stringify(lazy.get(j))) : JSON.stringify((v as unknown[])[j])) ?? 'null');
        out.put(j < n - 1 ? COMMA_NEWLINE : NEWLINE);
        if (out.pos >= pieceSize) { yield out.buf.subarray(0, out.pos); out.pos = 0; }
      }
      out.lit('  ]');
      out.lit(sep);
    } else if (lazy) {
      out.lit('[]');
      out.lit(sep);
    } else {
      out.text((JSON.stringify(v, null, 2) ?? 'null').replace(/\n/g, '\n  '));
      out.lit(sep);
    }
    if (out.pos >= pieceSize) { yield out.buf.subarray(0, out.pos); out.pos = 0; }
  }
  out.lit('}\n');
  yield out.buf.subarray(0, out.pos);
}

/** jsonBytePieces as strings (each piece ends between two values, never inside a character). */
export function* jsonPieces(value: Record<string, unknown>, pieceSize = 1 << 18): Generator<string> {
  const decoder = new TextDecoder();
  for (const piece of jsonBytePieces(value, pieceSize)) yield decoder.decode(piece);
}
