/**
 * A compiled filter applied to the records of one capture as they are read:
 * decodes each record into the caller's reused DecodedPacket, fills the frame
 * fields Wireshark gives (number, lengths, time since the first frame,
 * interface id) and tests it. Used by the CLI's `packets --filter` and the
 * conformance tests; the session's packet browser fills FilterInput itself.
 */
import { NO_INTERFACE, type CaptureInterface, type PacketRecord } from '../capture/types.js';
import type { DissectConfig } from '../dissect/config.js';
import { DecodedPacket } from '../dissect/decoded.js';
import { decodePacket, linkTypeDecoded } from '../dissect/decoder.js';
import type { CompiledFilter } from './compile.js';
import { FilterInput, type FilterFacts } from './input.js';
import { TcpAnalyzer, TcpOccurrences } from './tcp-analysis.js';

export class FrameFilter {
  readonly input = new FilterInput();
  private readonly fcs: number[] = [];
  private firstSec = NaN;
  private firstNsec = 0;
  /** The TCP sequence analysis, when the filter reads it: fed every record in file order (matches() is called for each). */
  private readonly tcp: TcpAnalyzer | null;

  /** `pcapng`: the file is pcapng (tshark gives frame.interface_id only then). */
  constructor(readonly filter: CompiledFilter, private readonly cfg: DissectConfig, private readonly pcapng: boolean, facts: FilterFacts = {}, capture = 0) {
    this.input.facts = facts;
    this.input.capture = capture;
    this.tcp = filter.tcpAnalysis ? new TcpAnalyzer() : null;
    if (this.tcp) this.input.tcp = new TcpOccurrences();
  }

  onInterface(i: CaptureInterface): void {
    this.fcs[i.id] = i.fcsLength;
  }

  /** Decodes the record into `p` and tests it; `p` holds the decoded packet afterwards (also when it does not match). */
  test(rec: PacketRecord, bytes: Uint8Array, start: number, p: DecodedPacket): boolean {
    let caplen = rec.capturedLength;
    const fcs = this.fcs[rec.interfaceId] ?? 0;
    if (fcs > 0 && rec.originalLength >= caplen && caplen >= fcs) caplen -= fcs;
    const decodable = linkTypeDecoded(rec.linkType);
    if (decodable) decodePacket(p, bytes, start, caplen, rec.linkType, this.cfg);
    return this.matches(rec, bytes, start, caplen, decodable ? p : null);
  }

  /**
   * Tests a record already decoded into `p` (null: a link type without a dissector, no layers).
   * Every record of the capture must come here, in file order (a filter on tcp.seq or tcp.analysis.*
   * keeps state across them; records out of order throw TcpOrderError, a restart at record 0 resets it).
   */
  matches(rec: PacketRecord, bytes: Uint8Array, start: number, caplen: number, p: DecodedPacket | null): boolean {
    const x = this.input.next(p ?? EMPTY, bytes, start, caplen);
    x.frameNumber = rec.index + 1;
    x.index = rec.index;
    x.frameLen = rec.originalLength;
    x.frameCapLen = rec.capturedLength;
    x.interfaceId = rec.interfaceId;
    x.hasInterface = this.pcapng && rec.interfaceId !== NO_INTERFACE;
    if (rec.timeless) {
      x.timeMs = null;
    } else {
      if (Number.isNaN(this.firstSec)) { this.firstSec = rec.tsSec; this.firstNsec = rec.tsNsec; }
      x.timeRelative = (rec.tsSec - this.firstSec) + (rec.tsNsec - this.firstNsec) / 1e9;
      x.timeMs = rec.tsSec * 1000 + rec.tsNsec / 1e6;
    }
    if (this.tcp) this.tcp.next(rec.index, p, bytes, start, rec.timeless ? 0 : rec.tsSec, rec.timeless ? 0 : rec.tsNsec, x.tcp!);
    return this.filter.test(x);
  }
}

/** The decoded state of a packet with no layers. */
const EMPTY = new DecodedPacket();
EMPTY.settle();
