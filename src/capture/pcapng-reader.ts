/**
 * pcapng (draft-ietf-opsawg-pcapng). Every block:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   |                      Block Total Length                       |
 *   /                          Block Body                           /
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * A Section Header Block (0x0A0D0D0A) starts each section and fixes its byte
 * order with the magic 0x1A2B3C4D. Interface ids count from 0 in each
 * section; we number interfaces across the whole file.
 */
import { u16, u32 } from './bytes.js';
import { Framer, FramingError } from './framer.js';
import { CookedInterfaces, LINKTYPE_LINUX_SLL2 } from './cooked-interfaces.js';
import { LIMITS, LINKTYPE_CUSTOM_BLOCK, NO_INTERFACE, type CaptureInterface, type PacketRecord, type RecordSink } from './types.js';
import { gadgetContext, gadgetPointName } from './bundles/gadget-interface.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const PB_OBSOLETE = 0x00000002;
const SPB = 0x00000003;
const NRB = 0x00000004;
const ISB = 0x00000005;
const EPB = 0x00000006;
/** Custom Blocks (copyable / not to be copied): PEN(4) then data Wireshark shows as a frame. */
const CB_COPY = 0x00000bad;
const CB_NOCOPY = 0x40000bad;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;

/** How to turn an interface's 64-bit timestamp units into seconds and nanoseconds. */
interface TimeBase {
  /** Units per second (exact for 10^k, k <= 15, and 2^k, k <= 52). */
  unitsPerSec: number;
  /** Decimal: multiply the sub-second units by this to get ns (10^(9-k)); 0 when not decimal <= 9. */
  nsPerUnit: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetSec: number;
  /** Whether the units need BigInt arithmetic (units/second so fine that 64-bit counts pass 2^53). */
  big: boolean;
  pow10: number;
  pow2: number;
}

interface SectionInterface extends CaptureInterface {
  readonly time: TimeBase;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

export class PcapngReader extends Framer {
  private little = true;
  private sawSection = false;
  /** Interfaces of the current section, by section-local id. */
  private section: SectionInterface[] = [];
  private interfaceCount = 0;
  private readonly rec: PacketRecord = {
    index: 0, offset: 0, dataOffset: 0, tsSec: 0, tsNsec: 0,
    capturedLength: 0, originalLength: 0, linkType: 1, interfaceId: 0, timeless: false,
  };
  sections = 0;
  readonly blockCounts = new Map<number, number>();
  /** SLL2 interface indexes as interfaces of their own, numbered after the interfaces described so far. */
  private readonly cooked: CookedInterfaces;

  constructor(
    private readonly file: string,
    private readonly sink: RecordSink,
  ) {
    super();
    this.cooked = new CookedInterfaces(file, sink, () => (this.interfaceCount < NO_INTERFACE - 1 ? this.interfaceCount++ : -1));
  }

  get packets(): number {
    return this.rec.index;
  }

  protected frameLength(buf: Uint8Array, off: number, avail: number, fileOffset: number): number {
    if (avail < 12) {
      // A Section Header needs the byte-order magic too before its length can be trusted.
      return -12;
    }
    const typeLE = u32(buf, off, true);
    let little = this.little;
    if (typeLE === SHB) {
      const magicLE = u32(buf, off + 8, true);
      if (magicLE === BYTE_ORDER_MAGIC) little = true;
      else if (u32(buf, off + 8, false) === BYTE_ORDER_MAGIC) little = false;
      else throw new FramingError(fileOffset + 8, 'pcapng', `section header has no valid byte-order magic (0x${u32(buf, off + 8, false).toString(16).padStart(8, '0')})`);
    } else if (!this.sawSection) {
      throw new FramingError(fileOffset, 'pcapng', `file does not start with a section header block (block type 0x${u32(buf, off, little).toString(16).padStart(8, '0')})`);
    }
    const len = u32(buf, off + 4, little);
    if (len < 12 || len % 4 !== 0) {
      throw new FramingError(fileOffset + 4, 'pcapng', `block of type 0x${u32(buf, off, little).toString(16)} has an invalid total length ${len} (must be a multiple of 4 and at least 12)`);
    }
    if (len > LIMITS.maxBlockLength) {
      throw new FramingError(fileOffset + 4, 'pcapng', `block of type 0x${u32(buf, off, little).toString(16)} claims ${len} bytes, more than the ${LIMITS.maxBlockLength}-byte limit`);
    }
    return avail >= len ? len : -len;
  }

  protected parseFrame(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    let type = u32(buf, off, this.little);
    if (u32(buf, off, true) === SHB) {
      this.little = u32(buf, off + 8, true) === BYTE_ORDER_MAGIC;
      type = SHB;
    }
    const le = this.little;
    const trailer = u32(buf, off + len - 4, le);
    if (trailer !== len) {
      throw new FramingError(fileOffset + len - 4, 'pcapng',
        `block of type 0x${type.toString(16)} at offset ${fileOffset} ends with length ${trailer}, but starts with ${len}`);
    }
    this.blockCounts.set(type, (this.blockCounts.get(type) ?? 0) + 1);
    switch (type) {
      case SHB: return this.parseSectionHeader(buf, off, len, fileOffset);
      case IDB: return this.parseInterface(buf, off, len, fileOffset);
      case EPB: return this.parseEnhanced(buf, off, len, fileOffset);
      case SPB: return this.parseSimple(buf, off, len, fileOffset);
      case PB_OBSOLETE: return this.parseObsolete(buf, off, len, fileOffset);
      case CB_COPY:
      case CB_NOCOPY: return this.parseCustom(buf, off, len, fileOffset);
      case NRB:
      case ISB:
      default:
        // Name resolution, statistics, custom and unknown blocks: skipped by length.
        return;
    }
  }

  private parseSectionHeader(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    if (len < 28) throw new FramingError(fileOffset + 4, 'pcapng', `section header block is ${len} bytes, shorter than its 28-byte minimum`);
    const major = u16(buf, off + 12, this.little);
    const minor = u16(buf, off + 14, this.little);
    if (major !== 1) {
      throw new FramingError(fileOffset + 12, 'pcapng', `unsupported pcapng version ${major}.${minor} (only 1.x is defined)`);
    }
    this.sawSection = true;
    this.sections++;
    this.section = [];
  }

  private parseInterface(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    if (len < 20) throw new FramingError(fileOffset + 4, 'pcapng', `interface description block is ${len} bytes, shorter than its 20-byte minimum`);
    if (this.interfaceCount >= LIMITS.maxInterfaces) {
      throw new FramingError(fileOffset, 'pcapng', `more than ${LIMITS.maxInterfaces} interfaces`);
    }
    const le = this.little;
    const linkType = u16(buf, off + 8, le);
    const snapLen = u32(buf, off + 12, le);
    let name: string | null = null;
    let description: string | null = null;
    let tsresol = 6;
    let fcsLength = 0;
    let offsetSec = 0;
    this.walkOptions(buf, off + 16, off + len - 4, fileOffset, 'interface description', (code, o, l) => {
      if (code === IF_NAME) name = decodeText(buf, o, l);
      else if (code === IF_DESCRIPTION) description = decodeText(buf, o, l);
      else if (code === IF_TSRESOL && l >= 1) tsresol = buf[o]!;
      else if (code === IF_FCSLEN && l >= 1) fcsLength = buf[o]!;
      else if (code === IF_TSOFFSET && l >= 8) {
        // Signed 64-bit seconds; exact for any plausible offset.
        const lo = u32(buf, o + (le ? 0 : 4), le);
        const hi = u32(buf, o + (le ? 4 : 0), le) | 0;
        offsetSec = hi * 4294967296 + lo;
      }
    });
    // Inspektor Gadget's interfaces have no if_name; each is a pod's container, named from its description (bundles/gadget-interface.ts).
    if (name === null) {
      const g = gadgetContext(description);
      if (g) name = gadgetPointName(g);
    }
    const time = timeBase(tsresol, offsetSec);
    if (time === null) {
      this.sink.onIssue({ capture: this.file, packet: null, offset: fileOffset, layer: 'pcapng',
        reason: `interface ${this.interfaceCount} has an unusable if_tsresol 0x${tsresol.toString(16)}; timestamps read as microseconds`, severity: 'warning' });
    }
    const iface: SectionInterface = {
      id: this.interfaceCount++, linkType, snapLen, name, description,
      precision: time ? precisionOf(tsresol) : 6, fcsLength,
      time: time ?? timeBase(6, offsetSec)!,
    };
    this.section.push(iface);
    const { time: _t, ...pub } = iface;
    this.cooked.noteInterface(pub);
    this.sink.onInterface(pub);
  }

  private iface(localId: number, fileOffset: number, what: string): SectionInterface {
    const i = this.section[localId];
    if (!i) {
      throw new FramingError(fileOffset + 8, 'pcapng', `${what} names interface ${localId}, but the section describes ${this.section.length}`);
    }
    return i;
  }

  private parseEnhanced(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    if (len < 32) throw new FramingError(fileOffset + 4, 'pcapng', `enhanced packet block is ${len} bytes, shorter than its 32-byte minimum`);
    const le = this.little;
    const iface = this.iface(u32(buf, off + 8, le), fileOffset, `enhanced packet block ${this.rec.index + 1}`);
    const hi = u32(buf, off + 12, le);
    const lo = u32(buf, off + 16, le);
    const caplen = u32(buf, off + 20, le);
    const origlen = u32(buf, off + 24, le);
    const room = len - 32;
    if (caplen > room) {
      throw new FramingError(fileOffset + 20, 'pcapng', `enhanced packet block claims ${caplen} captured bytes but holds only ${room}`);
    }
    this.emit(iface, hi, lo, caplen, origlen, buf, off, 28, fileOffset);
  }

  private parseSimple(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    if (len < 16) throw new FramingError(fileOffset + 4, 'pcapng', `simple packet block is ${len} bytes, shorter than its 16-byte minimum`);
    const iface = this.iface(0, fileOffset, `simple packet block ${this.rec.index + 1}`);
    const origlen = u32(buf, off + 8, this.little);
    let caplen = Math.min(origlen, len - 16);
    if (iface.snapLen > 0) caplen = Math.min(caplen, iface.snapLen);
    // Simple packets carry no timestamp.
    const rec = this.rec;
    this.fill(iface, caplen, origlen, 12, fileOffset);
    rec.tsSec = 0;
    rec.tsNsec = 0;
    rec.timeless = true;
    this.deliver(buf, off + 12);
  }

  /**
   * A Custom Block becomes a record of no interface, no time and link type
   * LINKTYPE_CUSTOM_BLOCK (counted as undecoded), so packet numbers stay
   * Wireshark's frame numbers: Wireshark shows each custom block as a frame.
   */
  private parseCustom(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    if (len < 16) throw new FramingError(fileOffset + 4, 'pcapng', `custom block is ${len} bytes, shorter than its 16-byte minimum`);
    const rec = this.rec;
    const n = len - 16;
    rec.offset = fileOffset;
    rec.dataOffset = fileOffset + 12;
    rec.capturedLength = n;
    rec.originalLength = n;
    rec.linkType = LINKTYPE_CUSTOM_BLOCK;
    rec.interfaceId = NO_INTERFACE;
    rec.tsSec = 0;
    rec.tsNsec = 0;
    rec.timeless = true;
    this.deliver(buf, off + 12);
  }

  private parseObsolete(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    if (len < 32) throw new FramingError(fileOffset + 4, 'pcapng', `packet block is ${len} bytes, shorter than its 32-byte minimum`);
    const le = this.little;
    const iface = this.iface(u16(buf, off + 8, le), fileOffset, `packet block ${this.rec.index + 1}`);
    const hi = u32(buf, off + 12, le);
    const lo = u32(buf, off + 16, le);
    const caplen = u32(buf, off + 20, le);
    const origlen = u32(buf, off + 24, le);
    if (caplen > len - 32) {
      throw new FramingError(fileOffset + 20, 'pcapng', `packet block claims ${caplen} captured bytes but holds only ${len - 32}`);
    }
    this.emit(iface, hi, lo, caplen, origlen, buf, off, 28, fileOffset);
  }

  private emit(iface: SectionInterface, hi: number, lo: number, caplen: number, origlen: number,
    buf: Uint8Array, off: number, dataRel: number, fileOffset: number): void {
    this.fill(iface, caplen, origlen, dataRel, fileOffset);
    setTime(this.rec, iface.time, hi, lo);
    if (caplen > origlen) {
      this.sink.onIssue({ capture: this.file, packet: this.rec.index + 1, offset: fileOffset, layer: 'pcapng',
        reason: `captured length ${caplen} exceeds original length ${origlen}`, severity: 'warning' });
    }
    this.deliver(buf, off + dataRel);
  }

  /** `dataRel`: where the packet bytes start within the block. */
  private fill(iface: SectionInterface, caplen: number, origlen: number, dataRel: number, fileOffset: number): void {
    const rec = this.rec;
    rec.offset = fileOffset;
    rec.dataOffset = fileOffset + dataRel;
    rec.capturedLength = caplen;
    rec.originalLength = origlen;
    rec.linkType = iface.linkType;
    rec.interfaceId = iface.id;
    rec.timeless = false;
  }

  private deliver(buf: Uint8Array, dataAt: number): void {
    const rec = this.rec;
    if (rec.linkType === LINKTYPE_LINUX_SLL2) rec.interfaceId = this.cooked.resolve(rec.interfaceId, buf, dataAt, rec.capturedLength, rec.index, rec.offset);
    this.sink.onRecord(this.rec, buf, dataAt);
    this.rec.index++;
  }

  private walkOptions(buf: Uint8Array, from: number, to: number, fileOffset: number, what: string,
    visit: (code: number, at: number, len: number) => void): void {
    let p = from;
    let count = 0;
    while (p + 4 <= to) {
      const code = u16(buf, p, this.little);
      const l = u16(buf, p + 2, this.little);
      if (code === OPT_ENDOFOPT) return;
      if (++count > LIMITS.maxOptions) {
        this.sink.onIssue({ capture: this.file, packet: null, offset: fileOffset, layer: 'pcapng',
          reason: `${what} block has more than ${LIMITS.maxOptions} options; the rest are ignored`, severity: 'warning' });
        return;
      }
      if (p + 4 + l > to) {
        this.sink.onIssue({ capture: this.file, packet: null, offset: fileOffset + (p - from), layer: 'pcapng',
          reason: `${what} option ${code} claims ${l} bytes past the end of its block; options ignored from here`, severity: 'warning' });
        return;
      }
      visit(code, p + 4, l);
      p += 4 + ((l + 3) & ~3);
    }
  }

  protected fail(err: FramingError): void {
    this.sink.onIssue({ capture: this.file, packet: null, offset: err.offset, layer: err.layer, reason: err.message, severity: 'error' });
  }

  protected truncated(leftover: number, fileOffset: number, needed: number): void {
    this.sink.onIssue({ capture: this.file, packet: null, offset: fileOffset, layer: 'pcapng',
      reason: `file cut short: ${leftover} of the ${needed} bytes of the block at offset ${fileOffset} are present`, severity: 'error' });
  }
}

function decodeText(buf: Uint8Array, o: number, l: number): string {
  let end = o + l;
  while (end > o && buf[end - 1] === 0) end--;
  return textDecoder.decode(buf.subarray(o, end));
}

function precisionOf(tsresol: number): number {
  if ((tsresol & 0x80) === 0) return tsresol;
  return Math.ceil((tsresol & 0x7f) * Math.log10(2));
}

/** if_tsresol: bit 7 clear → 10^-n seconds per unit; set → 2^-n. */
export function timeBase(tsresol: number, offsetSec: number): TimeBase | null {
  const n = tsresol & 0x7f;
  if ((tsresol & 0x80) === 0) {
    if (n > 18) return null;
    const units = 10 ** n;
    return { unitsPerSec: units, nsPerUnit: n <= 9 ? 10 ** (9 - n) : 0, offsetSec, big: n > 6, pow10: n, pow2: -1 };
  }
  if (n > 63) return null;
  return { unitsPerSec: 2 ** n, nsPerUnit: 0, offsetSec, big: n > 20, pow10: -1, pow2: n };
}

export function setTime(rec: PacketRecord, t: TimeBase, hi: number, lo: number): void {
  if (!t.big && hi < 0x200000) {
    // Exact: below 2^53 units (~285 years at µs). Larger counts (a timestamp
    // before 1970 written as a huge unsigned value) take the BigInt path.
    const units = hi * 4294967296 + lo;
    const sec = Math.floor(units / t.unitsPerSec);
    const frac = units - sec * t.unitsPerSec;
    rec.tsSec = sec + t.offsetSec;
    rec.tsNsec = t.nsPerUnit > 0 ? frac * t.nsPerUnit : Math.round((frac * 1e9) / t.unitsPerSec);
    return;
  }
  const units = (BigInt(hi) << 32n) | BigInt(lo);
  if (t.pow10 >= 0) {
    const per = 10n ** BigInt(t.pow10);
    const sec = units / per;
    const frac = units % per;
    rec.tsSec = Number(sec) + t.offsetSec;
    rec.tsNsec = t.pow10 <= 9 ? Number(frac) * t.nsPerUnit : Number(frac / 10n ** BigInt(t.pow10 - 9));
  } else {
    const sec = units >> BigInt(t.pow2);
    const frac = units & ((1n << BigInt(t.pow2)) - 1n);
    rec.tsSec = Number(sec) + t.offsetSec;
    rec.tsNsec = Number((frac * 1_000_000_000n) >> BigInt(t.pow2));
  }
}
