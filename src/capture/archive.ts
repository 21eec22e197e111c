/**
 * Tar (POSIX ustar, GNU long names, pax `path`/`size` records) and zip
 * (central directory, zip64) archives listed as members, each member a
 * ByteSource over its bytes: stored bytes are a range of the archive, deflated
 * ones are inflated as read (inflate-source.ts). Nothing is ever extracted to
 * disk. Bounded (source-error.ts CONTAINER_LIMITS): member count, compression
 * ratio; member names that are absolute or climb out with `..` are refused,
 * symlinks and hard links ignored, each with a note naming the member.
 *
 * Formats: tar, POSIX.1-2001 pax (IEEE 1003.1 `ustar` header: name 0..100,
 * size 124..136 octal, chksum 148..156, typeflag 156, magic 257, prefix
 * 345..500); zip, PKWARE APPNOTE 6.3.x §4.3 (local header, central
 * directory, end of central directory, zip64 end record and locator).
 */
import { inflatedSource } from './inflate-source.js';
import { sliceSource } from './slice-source.js';
import { SourceError, type ContainerLimits } from './source-error.js';
import type { InputNote } from './open-inputs.js';
import type { ByteSource } from './types.js';

export type ArchiveKind = 'tar' | 'zip';

export interface ArchiveMember {
  /** The path as the archive names it. */
  path: string;
  size: number;
  /** Offset of the member's header in the archive (its inflated bytes for a tar.gz). */
  offset: number;
  source: ByteSource;
}

export interface ArchiveListing {
  members: ArchiveMember[];
  notes: InputNote[];
}

const ZIP_LOCAL = 0x04034b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;

export function sniffArchive(head: Uint8Array): ArchiveKind | null {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return 'zip';
  if (head.length >= 512 && tarChecksumOk(head, 0) && (ascii(head, 257, 5) === 'ustar' || head[0] !== 0)) return 'tar';
  return null;
}

/**
 * Small reads (headers, sidecars) served from one cached 1 MiB block: a tar of
 * 10,000 members is 20,000 reads of a few hundred bytes, each otherwise a
 * file open (Node) or a Blob slice (browser). Big reads go straight through.
 */
function cachedReads(src: ByteSource): ByteSource {
  const BLOCK = 1024 * 1024;
  let at = -1;
  let block: Uint8Array = new Uint8Array(0);
  return {
    name: src.name,
    get size() { return src.size; },
    chunks: (n, signal) => src.chunks(n, signal),
    async read(offset, length) {
      if (length > BLOCK / 4) return src.read(offset, length);
      if (at < 0 || offset < at || offset + length > at + block.length) {
        // Block-aligned, so a header straddling a block boundary costs one more read, not a miss per call.
        const start = offset - (offset % (BLOCK / 2));
        const b = await src.read(start, BLOCK);
        at = start;
        block = b;
        if (offset + length > at + block.length) return src.read(offset, length);
      }
      return block.slice(offset - at, offset - at + length);
    },
  };
}

export async function listArchive(source: ByteSource, kind: ArchiveKind, lim: ContainerLimits): Promise<ArchiveListing> {
  const src = cachedReads(source);
  const listing: ArchiveListing = { members: [], notes: [] };
  try {
    if (kind === 'tar') await listTar(src, lim, listing);
    else await listZip(src, lim, listing);
  } catch (e) {
    // A container error (a tar.gz cut short): the members listed before it are kept.
    if (!(e instanceof SourceError)) throw e;
    listing.notes.push({ file: e.file, offset: e.offset, layer: e.layer, reason: `${e.reason}; the archive's members listed before it are kept`, severity: 'error' });
  }
  return listing;
}

/** Why a member name is refused, or null: absolute paths and `..` never name a member we read. */
export function refusedMemberName(path: string): string | null {
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return 'an absolute path';
  if (path.split(/[\\/]+/).includes('..')) return 'a path climbing out of the archive (`..`)';
  if (path.includes('\0')) return 'a name holding a NUL byte';
  return null;
}

/**
 * A member's name as shown (file names of captures, notes, CLI lines): the
 * archive's text is untrusted, so control characters, line breaks and
 * bidirectional overrides are written as \\xNN (as report/escape.ts visibleText).
 */
export function shownMemberName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function ascii(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = o; i < o + n && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** A NUL-terminated field as UTF-8. */
function field(b: Uint8Array, o: number, n: number): string {
  let e = o;
  while (e < o + n && b[e] !== 0) e++;
  return new TextDecoder('utf-8').decode(b.subarray(o, e));
}

/** A numeric tar field: octal digits, or base-256 when the high bit of its first byte is set (GNU, for sizes ≥ 8 GiB). */
function tarNumber(b: Uint8Array, o: number, n: number): number {
  if (b[o]! & 0x80) {
    let v = b[o]! & 0x7f;
    for (let i = 1; i < n; i++) v = v * 256 + b[o + i]!;
    return v;
  }
  const s = ascii(b, o, n).replace(/[\0 ]+$/g, '').replace(/^[ ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function tarChecksumOk(b: Uint8Array, o: number): boolean {
  const want = tarNumber(b, o + 148, 8);
  if (!Number.isFinite(want)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[o + i]!;
  return sum === want;
}

function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** pax extended header records: `LEN key=value\n`, LEN counting bytes (the values are UTF-8). */
function paxRecords(bytes: Uint8Array): Map<string, string> {
  const dec = new TextDecoder('utf-8');
  const m = new Map<string, string>();
  let i = 0;
  for (let guard = 0; i < bytes.length && guard < 10_000; guard++) {
    let sp = i;
    while (sp < bytes.length && bytes[sp] !== 0x20) sp++;
    const len = Number(dec.decode(bytes.subarray(i, sp)));
    if (!(len > 0) || sp >= bytes.length || i + len > bytes.length) break;
    let end = i + len;
    if (bytes[end - 1] === 0x0a) end--;
    const rec = dec.decode(bytes.subarray(sp + 1, end));
    const eq = rec.indexOf('=');
    if (eq > 0) m.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return m;
}

/** Largest pax header or GNU long name read (they only carry names and sizes). */
const MAX_META = 1024 * 1024;

async function listTar(src: ByteSource, lim: ContainerLimits, listing: ArchiveListing): Promise<void> {
  let pos = 0;
  let entries = 0;
  let longName: string | null = null;
  let pax: Map<string, string> | null = null;
  const note = (offset: number, reason: string, severity: InputNote['severity']): void => {
    listing.notes.push({ file: src.name, offset, layer: 'tar', reason, severity });
  };
  for (;;) {
    const h = await src.read(pos, 512);
    if (h.length === 0) {
      note(pos, 'the archive ends without its end-of-archive blocks (cut short?)', 'warning');
      return;
    }
    if (h.length < 512) {
      note(pos, `a member header is cut short: ${h.length} of 512 bytes (the archive is truncated)`, 'error');
      return;
    }
    if (isZeroBlock(h)) return;
    if (!tarChecksumOk(h, 0)) {
      note(pos, 'a member header\'s checksum does not match: not a tar header (damaged archive); members after it are not read', 'error');
      return;
    }
    if (++entries > lim.maxMembers) {
      note(pos, `the archive holds more than ${lim.maxMembers} members, the most one archive may; the rest are not read`, 'error');
      return;
    }
    const size = tarNumber(h, 124, 12);
    if (!Number.isFinite(size) || size < 0) {
      note(pos, `a member header's size field is not a number: members after it are not read`, 'error');
      return;
    }
    const type = String.fromCharCode(h[156]!);
    const dataStart = pos + 512;
    const next = dataStart + Math.ceil(size / 512) * 512;
    const ustar = ascii(h, 257, 5) === 'ustar';
    const prefix = ustar && ascii(h, 257, 6) === 'ustar\0' ? field(h, 345, 155) : '';
    let name = longName ?? pax?.get('path') ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const realSize = pax?.has('size') ? Number(pax.get('size')) : size;
    if (type === 'L' || type === 'x' || type === 'K' || type === 'g') {
      if (size > MAX_META) {
        note(pos, `a ${type === 'x' || type === 'g' ? 'pax header' : 'GNU long name'} of ${size} bytes (more than ${MAX_META}): members after it are not read`, 'error');
        return;
      }
      const meta = await src.read(dataStart, size);
      if (meta.length < size) {
        note(pos, 'the archive is cut short inside a member header', 'error');
        return;
      }
      if (type === 'L') longName = field(meta, 0, meta.length);
      else if (type === 'x') pax = paxRecords(meta);
      pos = next;
      continue;
    }
    longName = null;
    pax = null;
    name = name.replace(/^\.\//, '');
    if (type === '5') {
      pos = next;
      continue;
    }
    if (type === '1' || type === '2') {
      note(pos, `member ${JSON.stringify(name)} is a ${type === '2' ? 'symbolic' : 'hard'} link: ignored (links are never followed)`, 'note');
      pos = next;
      continue;
    }
    if (type !== '0' && type !== '\0' && type !== '7') {
      note(pos, `member ${JSON.stringify(name)} is not a regular file (type ${JSON.stringify(type)}): skipped`, 'note');
      pos = next;
      continue;
    }
    const refused = refusedMemberName(name);
    if (refused) {
      note(pos, `member ${JSON.stringify(name)} is refused: ${refused}`, 'warning');
      pos = next;
      continue;
    }
    const s = Number.isFinite(realSize) && realSize >= 0 ? realSize : size;
    listing.members.push({ path: name, size: s, offset: pos, source: sliceSource(src, dataStart, s, `${src.name}/${shownMemberName(name)}`) });
    if (s > 0) {
      // The member's last byte: absent when the archive is cut inside it.
      const last = await src.read(dataStart + s - 1, 1);
      if (last.length === 0) {
        note(pos, `member ${JSON.stringify(name)} is cut short: the archive ends inside its ${s} bytes (what is there is read)`, 'error');
        return;
      }
    }
    pos = dataStart + Math.ceil(s / 512) * 512;
  }
}

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o + 4) * 2 ** 32 + u32(b, o);
}

async function listZip(src: ByteSource, lim: ContainerLimits, listing: ArchiveListing): Promise<void> {
  const note = (offset: number, reason: string, severity: InputNote['severity']): void => {
    listing.notes.push({ file: src.name, offset, layer: 'zip', reason, severity });
  };
  const size = src.size;
  const tailLen = Math.min(size, 22 + 65535);
  const tail = await src.read(size - tailLen, tailLen);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === ZIP_END) { e = i; break; }
  }
  if (e < 0) {
    note(size, 'no end of central directory record: the zip is truncated or damaged; its members cannot be listed', 'error');
    return;
  }
  const endAt = size - tailLen + e;
  let count = u16(tail, e + 10);
  let cdSize = u32(tail, e + 12);
  let cdOffset = u32(tail, e + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // zip64: the locator sits just before the end record.
    const loc = endAt >= 20 ? await src.read(endAt - 20, 20) : new Uint8Array(0);
    if (loc.length < 20 || u32(loc, 0) !== ZIP64_LOCATOR) {
      note(endAt, 'a zip64 archive without its zip64 end locator: damaged; its members cannot be listed', 'error');
      return;
    }
    const at = u64(loc, 8);
    const z = await src.read(at, 56);
    if (z.length < 56 || u32(z, 0) !== ZIP64_END) {
      note(at, 'the zip64 end of central directory record is missing or damaged; members cannot be listed', 'error');
      return;
    }
    count = u64(z, 32);
    cdSize = u64(z, 40);
    cdOffset = u64(z, 48);
  }
  if (cdOffset + cdSize > size) {
    note(cdOffset, `the central directory (${cdSize} bytes at ${cdOffset}) lies past the end of the file (${size} bytes): truncated or damaged`, 'error');
    return;
  }
  if (count > lim.maxMembers) note(cdOffset, `the archive holds ${count} members, more than ${lim.maxMembers}, the most one archive may; the rest are not read`, 'error');
  const cd = await src.read(cdOffset, Math.min(cdSize, 64 * 1024 * 1024));
  let p = 0;
  for (let k = 0; k < Math.min(count, lim.maxMembers); k++) {
    if (p + 46 > cd.length || u32(cd, p) !== ZIP_CENTRAL) {
      note(cdOffset + p, `central directory entry ${k + 1} of ${count} is missing or damaged; members after it are not read`, 'error');
      return;
    }
    const madeBy = u16(cd, p + 4) >> 8;
    const flags = u16(cd, p + 8);
    const method = u16(cd, p + 10);
    let csize = u32(cd, p + 20);
    let usize = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    const ext = u32(cd, p + 38);
    let local = u32(cd, p + 42);
    const entryAt = cdOffset + p;
    if (p + 46 + nameLen + extraLen > cd.length) {
      note(entryAt, `central directory entry ${k + 1} runs past the directory's end; members after it are not read`, 'error');
      return;
    }
    const name = (flags & 0x800 ? new TextDecoder('utf-8') : new TextDecoder('latin1')).decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information (APPNOTE 4.5.3): the fields that are 0xFFFFFFFF, in this order.
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = u16(cd, x);
      const len = u16(cd, x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (usize === 0xffffffff && q + 8 <= x + 4 + len) { usize = u64(cd, q); q += 8; }
        if (csize === 0xffffffff && q + 8 <= x + 4 + len) { csize = u64(cd, q); q += 8; }
        if (local === 0xffffffff && q + 8 <= x + 4 + len) { local = u64(cd, q); q += 8; }
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    if (madeBy === 3 && ((ext >>> 16) & 0o170000) === 0o120000) {
      note(entryAt, `member ${JSON.stringify(name)} is a symbolic link: ignored (links are never followed)`, 'note');
      continue;
    }
    const refused = refusedMemberName(name);
    if (refused) {
      note(entryAt, `member ${JSON.stringify(name)} is refused: ${refused}`, 'warning');
      continue;
    }
    if (flags & 1) {
      note(entryAt, `member ${JSON.stringify(name)} is encrypted: not read`, 'warning');
      continue;
    }
    if (method !== 0 && method !== 8) {
      note(entryAt, `member ${JSON.stringify(name)} uses compression method ${method} (only stored and deflate are read): skipped`, 'warning');
      continue;
    }
    if (method === 8 && usize > lim.ratioCheckAfter && usize > csize * lim.maxRatio) {
      note(entryAt, `member ${JSON.stringify(name)} would inflate ${usize} bytes from ${csize} (beyond ${lim.maxRatio}:1, a compression bomb): not read`, 'error');
      continue;
    }
    const lh = await src.read(local, 30);
    if (lh.length < 30 || u32(lh, 0) !== ZIP_LOCAL) {
      note(local, `member ${JSON.stringify(name)}: no local header at ${local}: damaged; skipped`, 'error');
      continue;
    }
    const dataStart = local + 30 + u16(lh, 26) + u16(lh, 28);
    const memberName = `${src.name}/${shownMemberName(name)}`;
    if (dataStart + csize > size) note(local, `member ${JSON.stringify(name)} is cut short: its ${csize} bytes run past the end of the file (what is there is read)`, 'error');
    const source = method === 0
      ? sliceSource(src, dataStart, usize, memberName)
      : await inflatedSource({ kind: 'deflate', source: src, start: dataStart, length: Math.max(0, Math.min(csize, size - dataStart)), name: memberName, knownSize: usize, limits: lim });
    listing.members.push({ path: name, size: usize, offset: local, source });
  }
}
