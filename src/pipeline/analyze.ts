/**
 * The analysis of one or more captures: read each file once, decode every
 * packet into reused state, count layers, index packets, and hand each
 * decoded packet to the observers (flow table, transactions) that build the
 * higher-level results. What was read before a fatal error is kept.
 */
import { readCapture, type ReadSummary } from '../capture/read-capture.js';
import { sniffFormat } from '../capture/sniff.js';
import { FramingError } from '../capture/framer.js';
import { LIMITS, type ByteSource, type CaptureFormat, type CaptureInterface, type CaptureIssue, type PacketRecord, type RecordSink } from '../capture/types.js';
import { DissectConfig, type DissectOptions } from '../dissect/config.js';
import { DecodedPacket } from '../dissect/decoded.js';
import { decodePacket, linkTypeDecoded } from '../dissect/decoder.js';
import { LAYER_COUNT, LAYER_NAMES } from '../dissect/layers.js';
import { PacketIndex } from './packet-index.js';
import { CookedPointEvidence, cookedPointName } from './cooked-points.js';
import { CookedCopies } from './cooked-copies.js';
import { LINKTYPE_LINUX_SLL } from '../capture/cooked-interfaces.js';

/** Most per-packet issues kept per capture; the rest are counted (issue #8: bounded memory). */
export const MAX_PACKET_ISSUES = 10_000;

/** Sees every decoded packet of a capture, in file order. */
export interface PacketObserver {
  /**
   * `b[base .. base+caplen)` is the frame; valid only during the call.
   * Returns nothing; may set `index.flowId[packet]` / `outerFlowId[packet]`.
   * `iface`: the packet's interface id in the capture (as in the packet index;
   * with `capture`, its capture point).
   */
  observe(capture: number, packet: number, p: DecodedPacket, b: Uint8Array, base: number, tsSec: number, tsNsec: number, frameLen: number, iface: number): void;
  /** The capture is about to be read (its index is where `flowId`/`outerFlowId` go). */
  beginCapture?(result: CaptureResult): void;
  /** The capture ended (normally or at an error). */
  endCapture?(capture: number): void;
}

export interface CaptureResult {
  /** Position of this capture in the session. */
  readonly id: number;
  readonly file: string;
  readonly fileSize: number;
  format: CaptureFormat | null;
  readonly interfaces: CaptureInterface[];
  packets: number;
  /** Sum of original frame lengths (Wireshark's convention). */
  bytes: number;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  /** Sub-second digits of the finest interface (6 µs, 9 ns). */
  precision: number;
  readonly issues: CaptureIssue[];
  /** Issues beyond MAX_PACKET_ISSUES, counted but not kept. */
  droppedIssues: number;
  /** Packets holding each layer id at any depth. */
  readonly layerPackets: Float64Array;
  /** Packets whose link type has no dissector. */
  undecoded: number;
  /** True when a fatal error stopped reading before the end of the file. */
  stopped: boolean;
  /** True once a record with a timestamp was read (SPB and custom blocks have none). */
  timed: boolean;
  cancelled: boolean;
  readonly index: PacketIndex;
  /** With a display filter (AnalyzeOptions.packetFilter): the file's 0-based record index of each packet kept, by index position. */
  fileFrames?: number[];
}

/**
 * Options of an analysis. The overlay adds its own to this interface by
 * declaration merging, so the pipeline needs no import from above it:
 * hosts and clock correction (ClockOptions, src/overlay/clocks.ts) and
 * `clusterMetadata` (src/overlay/cluster-metadata.ts).
 */
export interface AnalyzeOptions extends DissectOptions {
  signal?: AbortSignal;
  chunkSize?: number;
  /** Progress over all captures together: bytes read of total bytes. */
  onProgress?: (bytesRead: number, total: number, capture: number) => void;
  /** Extra observers (flows, transactions) fed every decoded packet. */
  observers?: PacketObserver[];
  /** Most packets read from one capture (default LIMITS.maxPackets); reading stops there with an error. */
  maxPackets?: number;
  /** Most flows tracked (default LIMITS.maxFlows); past it an issue says so and new flows are not tracked. */
  maxFlows?: number;
  /**
   * Names of the interfaces of any-interface (SLL2) captures by file and ifindex
   * (e.g. `eth0` from the node's `ip -j link`: CLI `--interface-names`); the
   * point is then `<stem>/if<index> <name>`. null: named by the role its
   * traffic shows (src/pipeline/cooked-points.ts); the role is kept either way.
   */
  interfaceName?: (file: string, ifindex: number) => string | null;
  /**
   * Keeps only the packets it accepts (a display filter: src/filter/): the others are
   * not indexed, counted or observed. `decoded` is null for a link type without a dissector.
   */
  packetFilter?: (capture: number, rec: PacketRecord, bytes: Uint8Array, start: number, caplen: number, decoded: DecodedPacket | null) => boolean;
}

export function newCaptureResult(id: number, source: ByteSource): CaptureResult {
  return {
    id, file: source.name, fileSize: source.size, format: null, interfaces: [], packets: 0, bytes: 0,
    firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0, precision: 6, issues: [], droppedIssues: 0,
    layerPackets: new Float64Array(LAYER_COUNT), undecoded: 0, stopped: false, timed: false, cancelled: false,
    index: new PacketIndex(),
  };
}

/** Reads and decodes one capture into `result`, feeding `observers`. */
export async function analyzeCapture(source: ByteSource, result: CaptureResult, cfg: DissectConfig,
  observers: readonly PacketObserver[], opts: AnalyzeOptions = {}, progressBase = 0, progressTotal = source.size): Promise<ReadSummary> {
  const p = new DecodedPacket();
  const index = result.index;
  // Packets per mask of the first 18 layers (2^18 masks, 1 MiB), folded into result.layerPackets
  // when reading ends: one increment a packet instead of one per layer (~7 for a VXLAN packet);
  // ~20 ms less CPU on the bench file's read-and-decode run. Uint32 holds LIMITS.maxPackets.
  // The rarer layers from id 18 on (gre, erspan, wg) are counted directly (see countHighLayers).
  const maskPackets = new Uint32Array(1 << MASK_TABLE_BITS);
  const classicPcap = source.size >= 4 && sniffFormat(await source.read(0, 4)) === 'pcap';
  const cap = result.id;
  let fcs: number[] = [];
  let decodable: boolean[] = [];
  // Interfaces made from SLL2 interface indexes, and what their traffic says they are.
  let cooked: boolean[] = [];
  let evidence: CookedPointEvidence | null = null;
  // Linux cooked v1 in a classic pcap (tcpdump -i any -y LINUX_SLL): copies of one transmission by hop.
  let copies: CookedCopies | null = null;
  let hopIds: number[] = [];
  let fatal = false;
  const maxPackets = opts.maxPackets ?? LIMITS.maxPackets;
  const packetFilter = opts.packetFilter;
  let timed = false;
  const addIssue = (issue: CaptureIssue): void => {
    if (issue.severity === 'error') fatal = true;
    // Past the cap, packet warnings are counted, not kept; an error (what stopped the file) always is.
    if (issue.severity !== 'error' && issue.packet !== null && result.issues.length >= MAX_PACKET_ISSUES) {
      result.droppedIssues++;
      return;
    }
    result.issues.push(issue);
  };
  const sink: RecordSink = {
    onInterface(iface) {
      // An SLL2 interface is described again once its first interface index is known.
      if (result.interfaces[iface.id]?.id === iface.id) result.interfaces[iface.id] = iface;
      else result.interfaces.push(iface);
      fcs[iface.id] = iface.fcsLength;
      decodable[iface.id] = linkTypeDecoded(iface.linkType);
      // Hops are interfaces numbered after the file's: only in a classic pcap, whose one interface comes first.
      if (iface.linkType === LINKTYPE_LINUX_SLL && classicPcap && iface.id === 0) copies = new CookedCopies();
      if (iface.parentId !== undefined) {
        cooked[iface.id] = true;
        evidence ??= new CookedPointEvidence();
      }
      if (iface.precision > result.precision) result.precision = Math.min(9, iface.precision);
    },
    onRecord(rec: PacketRecord, bytes: Uint8Array, start: number) {
      const n = result.packets;
      if (n >= maxPackets) {
        // The reader stops at a FramingError and reports it with this offset; everything before is kept.
        throw new FramingError(rec.offset, 'capture',
          `capture holds more than ${maxPackets} packets, the most one analysis keeps in memory; packets from here on are not read`);
      }
      let ifc = rec.interfaceId;
      let caplen = rec.capturedLength;
      const f = fcs[ifc] ?? 0;
      if (f > 0 && rec.originalLength >= caplen && caplen >= f) caplen -= f;
      let mask: number;
      if (packetFilter) {
        if (decodable[ifc]) decodePacket(p, bytes, start, caplen, rec.linkType, cfg);
        if (!packetFilter(cap, rec, bytes, start, caplen, decodable[ifc] ? p : null)) return;
        (result.fileFrames ??= []).push(rec.index);
      }
      if (decodable[ifc]) {
        if (!packetFilter) decodePacket(p, bytes, start, caplen, rec.linkType, cfg);
        mask = p.layerMask;
        if (cooked[ifc] === true) evidence!.observe(ifc, p, bytes, start, caplen);
        else if (copies !== null && rec.linkType === LINKTYPE_LINUX_SLL) {
          const hop = copies.hopOf(p, bytes, start, rec.tsSec, rec.tsNsec);
          if (hop > 0) ifc = hopInterface(hop);
        }
        if (p.issueLayer >= 0) {
          // The file's frame number (as tshark's), also when a display filter keeps only some packets.
          addIssue({ capture: source.name, packet: packetFilter ? rec.index + 1 : n + 1, offset: rec.dataOffset + p.issueOffset,
            layer: LAYER_NAMES[p.issueLayer] ?? 'data', reason: p.issueReason, severity: 'warning' });
        }
      } else {
        mask = 0;
        result.undecoded++;
      }
      maskPackets[mask & MASK_TABLE_LOW]!++;
      if (mask > MASK_TABLE_LOW) countHighLayers(result.layerPackets, mask);
      index.push(rec.dataOffset, rec.tsSec, rec.tsNsec, rec.capturedLength, rec.originalLength, ifc, mask);
      // Records without a timestamp (pcapng SPB, custom blocks) do not move first/last.
      if (!rec.timeless) {
        if (!timed) { result.firstSec = rec.tsSec; result.firstNsec = rec.tsNsec; }
        // Last = latest seen (files are not always in time order).
        if (!timed || rec.tsSec > result.lastSec || (rec.tsSec === result.lastSec && rec.tsNsec > result.lastNsec)) {
          result.lastSec = rec.tsSec; result.lastNsec = rec.tsNsec;
        }
        if (rec.tsSec < result.firstSec || (rec.tsSec === result.firstSec && rec.tsNsec < result.firstNsec)) {
          result.firstSec = rec.tsSec; result.firstNsec = rec.tsNsec;
        }
        timed = true;
        result.timed = true;
      }
      result.packets = n + 1;
      result.bytes += rec.originalLength;
      if (mask !== 0) {
        for (let k = 0; k < observers.length; k++) {
          observers[k]!.observe(cap, n, p, bytes, start, rec.tsSec, rec.tsNsec, rec.originalLength, ifc);
        }
      }
    },
    onIssue: addIssue,
  };
  /** The interface of the `hop`-th sighting (0-based, > 0) of a transmission in an SLL capture. */
  const hopInterface = (hop: number): number => {
    let id = hopIds[hop];
    if (id === undefined) {
      const parent = result.interfaces[0]!;
      id = result.interfaces.length;
      hopIds[hop] = id;
      result.interfaces.push({ ...parent, id, name: null, description: null, parentId: parent.id, hop: hop + 1 });
      fcs[id] = parent.fcsLength;
      decodable[id] = decodable[parent.id]!;
    }
    return id;
  };
  for (const o of observers) o.beginCapture?.(result);
  let summary: ReadSummary;
  try {
    summary = await readCapture(source, sink, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
      onProgress: (read) => opts.onProgress?.(progressBase + read, progressTotal, cap),
    });
  } finally {
    addMaskCounts(result.layerPackets, maskPackets);
  }
  if (evidence) nameCookedInterfaces(result, evidence, opts.interfaceName);
  if (copies && hopIds.length > 0) nameHops(result);
  for (const o of observers) o.endCapture?.(cap);
  result.format = summary.format;
  result.stopped = fatal;
  result.cancelled = summary.cancelled;
  fcs = [];
  decodable = [];
  cooked = [];
  return summary;
}

/** Names the hops of an SLL capture `<stem>/hop<k>`: the file's interface is hop 1. */
function nameHops(result: CaptureResult): void {
  for (let k = 0; k < result.interfaces.length; k++) {
    const i = result.interfaces[k]!;
    const hop = i.hop ?? (k === 0 ? 1 : 0);
    if (hop === 0) continue;
    const name = cookedPointName(result.file, 0, null).replace(/\/if0$/, `/hop${hop}`);
    result.interfaces[k] = { ...i, name, hop, role: `hop ${hop}` };
  }
}

/** Gives each SLL2 interface index its name: `<stem>/if<index> <name>`, the caller's name for it or its role. */
function nameCookedInterfaces(result: CaptureResult, evidence: CookedPointEvidence,
  given: ((file: string, ifindex: number) => string | null) | undefined): void {
  const roles = evidence.roles(result.interfaces);
  for (let k = 0; k < result.interfaces.length; k++) {
    const i = result.interfaces[k]!;
    if (i.parentId === undefined || i.ifindex === undefined) continue;
    const role = roles.get(i.id) ?? null;
    const name = cookedPointName(result.file, i.ifindex, given?.(result.file, i.ifindex) ?? role);
    result.interfaces[k] = { ...i, name, role };
  }
}

/** Layers 0..17 are counted per mask (a 2^18-entry table); the ones after them one by one. */
const MASK_TABLE_BITS = 18;
const MASK_TABLE_LOW = (1 << MASK_TABLE_BITS) - 1;
if (LAYER_COUNT > 31) throw new Error('layer ids must fit a 32-bit mask');

/** Adds one packet to each layer of `mask` from id MASK_TABLE_BITS on. */
function countHighLayers(layerPackets: Float64Array, mask: number): void {
  for (let m = mask >>> MASK_TABLE_BITS; m !== 0; m &= m - 1) layerPackets[MASK_TABLE_BITS + 31 - Math.clz32(m & -m)]! += 1;
}

/** Adds `maskPackets[mask]` packets to the count of each layer in `mask`. */
function addMaskCounts(layerPackets: Float64Array, maskPackets: Uint32Array): void {
  for (let mask = 1; mask < maskPackets.length; mask++) {
    const n = maskPackets[mask]!;
    if (n === 0) continue;
    for (let m = mask; m !== 0; m &= m - 1) layerPackets[31 - Math.clz32(m & -m)]! += n;
  }
}

/** Layer counts as the contract's `protocols` object (only layers seen). */
export function protocolCounts(results: readonly CaptureResult[], layers: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of layers) {
    let n = 0;
    for (const r of results) n += r.layerPackets[id]!;
    if (n > 0) out[LAYER_NAMES[id]!] = n;
  }
  return out;
}
