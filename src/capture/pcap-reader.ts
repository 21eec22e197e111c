/**
 * Classic libpcap files.
 *
 *   File header (24 bytes)                    Record header (16 bytes)
 *   0  magic        a1b2c3d4 µs / a1b23c4d ns  0  ts_sec
 *   4  version      major u16, minor u16       4  ts_usec (or ts_nsec)
 *   8  thiszone     i32 (unused)               8  incl_len  (captured)
 *   12 sigfigs      u32 (unused)               12 orig_len
 *   16 snaplen      u32
 *   20 linktype     u32: low 16 bits link type, bits 26..31 FCS info,
 *                   bits 16..25 reserved (must be 0)
 *
 * Either byte order (the magic tells). Alexey Kuznetsov's patched format
 * (magic a1b2cd34) adds 8 bytes to each record header and is read too.
 * Versions before 2.3 store orig_len before incl_len (libpcap swaps them).
 */
import { u16, u32 } from './bytes.js';
import { Framer, FramingError } from './framer.js';
import { CookedInterfaces, LINKTYPE_LINUX_SLL2 } from './cooked-interfaces.js';
import { LIMITS, type CaptureInterface, type PacketRecord, type RecordSink } from './types.js';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_KUZNETSOV = 0xa1b2cd34;
const FILE_HEADER = 24;

/** How caplen and len are ordered in records (libpcap's lengths_swapped). */
type LengthOrder = 'normal' | 'swapped' | 'maybe-swapped';

export class PcapReader extends Framer {
  private headerDone = false;
  private little = true;
  private nanos = false;
  private recordHeader = 16;
  private lengthOrder: LengthOrder = 'normal';
  private snapLen = 0;
  private linkType = 1;
  private snapWarned = false;
  private nsecWarned = false;
  private readonly rec: PacketRecord = {
    index: 0, offset: 0, dataOffset: 0, tsSec: 0, tsNsec: 0,
    capturedLength: 0, originalLength: 0, linkType: 1, interfaceId: 0, timeless: false,
  };
  versionMajor = 0;
  versionMinor = 0;
  /** SLL2 interface indexes as interfaces 1, 2, ... (after the file's interface 0). */
  private readonly cooked: CookedInterfaces;

  constructor(
    private readonly file: string,
    private readonly sink: RecordSink,
  ) {
    super();
    let next = 1;
    this.cooked = new CookedInterfaces(file, sink, () => next++);
  }

  get packets(): number {
    return this.rec.index;
  }

  protected frameLength(buf: Uint8Array, off: number, avail: number, fileOffset: number): number {
    if (!this.headerDone) return avail >= FILE_HEADER ? FILE_HEADER : -FILE_HEADER;
    if (avail < this.recordHeader) return -this.recordHeader;
    let caplen = u32(buf, off + 8, this.little);
    if (this.lengthOrder === 'swapped') caplen = u32(buf, off + 12, this.little);
    else if (this.lengthOrder === 'maybe-swapped') caplen = Math.min(caplen, u32(buf, off + 12, this.little));
    if (caplen > LIMITS.maxRecordLength) {
      throw new FramingError(fileOffset, 'pcap',
        `record ${this.rec.index + 1} claims a captured length of ${caplen} bytes, more than the ${LIMITS.maxRecordLength}-byte limit: the file is corrupt from here`);
    }
    const total = this.recordHeader + caplen;
    return avail >= total ? total : -total;
  }

  protected parseFrame(buf: Uint8Array, off: number, _len: number, fileOffset: number): void {
    if (!this.headerDone) {
      this.parseFileHeader(buf, off, fileOffset);
      return;
    }
    const le = this.little;
    const rec = this.rec;
    let caplen = u32(buf, off + 8, le);
    let origlen = u32(buf, off + 12, le);
    if (this.lengthOrder === 'swapped' || (this.lengthOrder === 'maybe-swapped' && caplen > origlen)) {
      const t = caplen; caplen = origlen; origlen = t;
    }
    let sec = u32(buf, off, le);
    let frac = u32(buf, off + 4, le);
    const limit = this.nanos ? 1_000_000_000 : 1_000_000;
    if (frac >= limit) {
      if (!this.nsecWarned) {
        this.nsecWarned = true;
        this.sink.onIssue({ capture: this.file, packet: rec.index + 1, offset: fileOffset, layer: 'pcap',
          reason: `timestamp fraction ${frac} is not below ${limit} (invalid ${this.nanos ? 'nanosecond' : 'microsecond'} field); carried into seconds`, severity: 'warning' });
      }
      sec += Math.floor(frac / limit);
      frac %= limit;
    }
    rec.offset = fileOffset;
    rec.dataOffset = fileOffset + this.recordHeader;
    rec.tsSec = sec;
    rec.tsNsec = this.nanos ? frac : frac * 1000;
    rec.capturedLength = caplen;
    rec.originalLength = origlen;
    rec.linkType = this.linkType;
    rec.interfaceId = 0;
    if (caplen > origlen) {
      this.sink.onIssue({ capture: this.file, packet: rec.index + 1, offset: fileOffset, layer: 'pcap',
        reason: `captured length ${caplen} exceeds original length ${origlen}`, severity: 'warning' });
    } else if (caplen > this.snapLen && this.snapLen > 0 && !this.snapWarned) {
      this.snapWarned = true;
      this.sink.onIssue({ capture: this.file, packet: rec.index + 1, offset: fileOffset, layer: 'pcap',
        reason: `captured length ${caplen} exceeds the file's snap length ${this.snapLen} (reported once)`, severity: 'warning' });
    }
    if (this.linkType === LINKTYPE_LINUX_SLL2) rec.interfaceId = this.cooked.resolve(0, buf, off + this.recordHeader, caplen, rec.index, fileOffset);
    this.sink.onRecord(rec, buf, off + this.recordHeader);
    rec.index++;
  }

  private parseFileHeader(buf: Uint8Array, off: number, fileOffset: number): void {
    const be = u32(buf, off, false);
    const le = u32(buf, off, true);
    let magic: number;
    if (be === MAGIC_US || be === MAGIC_NS || be === MAGIC_KUZNETSOV) { this.little = false; magic = be; }
    else if (le === MAGIC_US || le === MAGIC_NS || le === MAGIC_KUZNETSOV) { this.little = true; magic = le; }
    else throw new FramingError(fileOffset, 'pcap', `not a pcap file: magic number 0x${be.toString(16).padStart(8, '0')}`);
    this.nanos = magic === MAGIC_NS;
    if (magic === MAGIC_KUZNETSOV) this.recordHeader = 24;
    const major = u16(buf, off + 4, this.little);
    const minor = u16(buf, off + 6, this.little);
    this.versionMajor = major;
    this.versionMinor = minor;
    if (major !== 2) {
      throw new FramingError(fileOffset + 4, 'pcap', `unsupported pcap version ${major}.${minor} (only 2.x exists)`);
    }
    if (minor < 3) this.lengthOrder = 'swapped';
    else if (minor === 3) this.lengthOrder = 'maybe-swapped';
    else if (minor !== 4) {
      this.sink.onIssue({ capture: this.file, packet: null, offset: fileOffset + 6, layer: 'pcap',
        reason: `unusual pcap version 2.${minor}; reading as 2.4`, severity: 'warning' });
    }
    this.snapLen = u32(buf, off + 16, this.little);
    const lt = u32(buf, off + 20, this.little);
    this.linkType = lt & 0xffff;
    const reserved = (lt >>> 16) & 0x3ff;
    if (reserved !== 0) {
      this.sink.onIssue({ capture: this.file, packet: null, offset: fileOffset + 20, layer: 'pcap',
        reason: `reserved bits of the link-type field are set (0x${lt.toString(16).padStart(8, '0')}); using link type ${this.linkType}`, severity: 'warning' });
    }
    // Bits 28..31: FCS length in 16-bit words, valid when bit 26 (F) is set.
    const fcsLength = (lt & 0x04000000) !== 0 ? ((lt >>> 28) & 0xf) * 2 : 0;
    this.headerDone = true;
    const iface: CaptureInterface = {
      id: 0, linkType: this.linkType, snapLen: this.snapLen, name: null, description: null,
      precision: this.nanos ? 9 : 6, fcsLength,
    };
    this.cooked.noteInterface(iface);
    this.sink.onInterface(iface);
  }

  protected fail(err: FramingError): void {
    this.sink.onIssue({ capture: this.file, packet: this.headerDone ? this.rec.index + 1 : null, offset: err.offset,
      layer: err.layer, reason: err.message, severity: 'error' });
  }

  protected truncated(leftover: number, fileOffset: number, needed: number): void {
    const what = !this.headerDone ? 'the file header' : leftover < this.recordHeader ? `the header of record ${this.rec.index + 1}` : `record ${this.rec.index + 1}`;
    this.sink.onIssue({ capture: this.file, packet: this.headerDone ? this.rec.index + 1 : null, offset: fileOffset, layer: 'pcap',
      reason: `file cut short: ${leftover} of the ${needed} bytes of ${what} are present`, severity: 'error' });
  }
}
