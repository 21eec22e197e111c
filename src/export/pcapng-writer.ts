/**
 * pcapng blocks (draft-ietf-opsawg-pcapng): Section Header, Interface
 * Description (if_name, if_description, if_tsresol = 9: nanoseconds), Name
 * Resolution and Enhanced Packet Blocks (opt_comment), little-endian, each a
 * Uint8Array to write in order. Text options are UTF-8, escaped
 * (`safeOptionText`: controls as \xNN) and bounded in length.
 */

const SHB = 0x0a0d0d0a, IDB = 0x00000001, NRB = 0x00000004, EPB = 0x00000006;
const OPT_END = 0, OPT_COMMENT = 1, IF_NAME = 2, IF_DESCRIPTION = 3, IF_TSRESOL = 9, SHB_USERAPPL = 4;

/** Longest text option written, in UTF-8 bytes (longer text is cut at a character and ends in '…'). */
export const MAX_OPTION_BYTES = 2000;

const encoder = new TextEncoder();

/** Text for a pcapng option: control characters as \xNN (capture text is untrusted), at most `max` UTF-8 bytes. */
export function safeOptionText(s: string, max = MAX_OPTION_BYTES): string {
  // Lone surrogates become U+FFFD so the text is valid UTF-8.
  let t = s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  if (encoder.encode(t).length <= max) return t;
  // Cut by code points until it fits with the ellipsis (3 bytes).
  const cps = Array.from(t);
  let bytes = 0, n = 0;
  for (; n < cps.length; n++) {
    const b = encoder.encode(cps[n]!).length;
    if (bytes + b > max - 3) break;
    bytes += b;
  }
  t = cps.slice(0, n).join('') + '…';
  return t;
}

function pad4(n: number): number { return (n + 3) & ~3; }

/** Options as bytes: each code, length, value padded to 4; then opt_endofopt. */
function options(list: Array<[number, Uint8Array]>): Uint8Array {
  if (!list.length) return new Uint8Array(0);
  let size = 4;
  for (const [, v] of list) size += 4 + pad4(v.length);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  for (const [code, v] of list) {
    dv.setUint16(p, code, true); dv.setUint16(p + 2, v.length, true);
    out.set(v, p + 4);
    p += 4 + pad4(v.length);
  }
  dv.setUint16(p, OPT_END, true); dv.setUint16(p + 2, 0, true);
  return out;
}

/** A block: type, total length, body, options, total length again. */
function block(type: number, body: Uint8Array, opts: Uint8Array): Uint8Array {
  const total = 12 + pad4(body.length) + opts.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true); dv.setUint32(4, total, true);
  out.set(body, 8);
  out.set(opts, 8 + pad4(body.length));
  dv.setUint32(total - 4, total, true);
  return out;
}

const text = (s: string): Uint8Array => encoder.encode(safeOptionText(s));

/** Section Header Block: byte-order magic, version 1.0, section length unknown (-1); shb_userappl, a comment. */
export function sectionHeader(application: string, comment: string | null): Uint8Array {
  const body = new Uint8Array(16);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, 0x1a2b3c4d, true); dv.setUint16(4, 1, true); dv.setUint16(6, 0, true);
  dv.setInt32(8, -1, true); dv.setInt32(12, -1, true);
  const o: Array<[number, Uint8Array]> = [];
  if (comment) o.push([OPT_COMMENT, text(comment)]);
  o.push([SHB_USERAPPL, text(application)]);
  return block(SHB, body, options(o));
}

/** Interface Description Block with nanosecond timestamps (if_tsresol 9). */
export function interfaceDescription(linkType: number, snapLen: number, name: string, description: string): Uint8Array {
  const body = new Uint8Array(8);
  const dv = new DataView(body.buffer);
  dv.setUint16(0, linkType, true); dv.setUint16(2, 0, true); dv.setUint32(4, snapLen >>> 0, true);
  return block(IDB, body, options([[IF_NAME, text(name)], [IF_DESCRIPTION, text(description)], [IF_TSRESOL, Uint8Array.of(9)]]));
}

/**
 * Name Resolution Block: one record per address (type 1 IPv4: 4 bytes, type
 * 2 IPv6: 16 bytes, then its names, each NUL-terminated), nrb_record_end.
 * `addr` as big-endian bytes.
 */
export function nameResolution(entries: ReadonlyArray<{ addr: Uint8Array; names: readonly string[] }>): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const e of entries) {
    const names = e.names.map((n) => encoder.encode(safeOptionText(n, 255).replace(/\0/g, '')));
    const len = e.addr.length + names.reduce((s, n) => s + n.length + 1, 0);
    const rec = new Uint8Array(4 + pad4(len));
    const dv = new DataView(rec.buffer);
    dv.setUint16(0, e.addr.length === 4 ? 1 : 2, true); dv.setUint16(2, len, true);
    rec.set(e.addr, 4);
    let p = 4 + e.addr.length;
    for (const n of names) { rec.set(n, p); p += n.length + 1; }
    parts.push(rec); size += rec.length;
  }
  const body = new Uint8Array(size + 4); // + nrb_record_end (type 0, length 0)
  let p = 0;
  for (const r of parts) { body.set(r, p); p += r.length; }
  return block(NRB, body, new Uint8Array(0));
}

/** Enhanced Packet Block: interface, timestamp in ns (if_tsresol 9), captured and original length, the bytes, an optional comment. */
export function enhancedPacket(iface: number, sec: number, nsec: number, data: Uint8Array, origLen: number, comment: string | null): Uint8Array {
  const ts = BigInt(Math.trunc(sec)) * 1_000_000_000n + BigInt(nsec);
  const body = new Uint8Array(20 + data.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, iface, true);
  dv.setUint32(4, Number(ts >> 32n) >>> 0, true);
  dv.setUint32(8, Number(ts & 0xffffffffn) >>> 0, true);
  dv.setUint32(12, data.length, true);
  dv.setUint32(16, origLen, true);
  body.set(data, 20);
  return block(EPB, body, options(comment ? [[OPT_COMMENT, text(comment)]] : []));
}
