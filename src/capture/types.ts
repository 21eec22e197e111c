/**
 * Types shared by the capture readers. A reader turns a byte stream into
 * records; it never dissects. One `PacketRecord` object is reused for every
 * record of a file (no per-packet allocation): copy what you keep.
 */

export type CaptureFormat = 'pcap' | 'pcapng';

/** Where a capture's bytes come from. Hosts (Node fs, browser File) implement it; the engine only reads. */
export interface ByteSource {
  /** What the user knows the file as (path or file name). */
  readonly name: string;
  readonly size: number;
  /** Sequential chunks from offset 0. */
  chunks(chunkSize: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /** Random access, for reading one packet back by its offset. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads up to `into.length` bytes at `offset` into `into` and
   * resolves to the count read (fewer only at the end of the file). With it,
   * readCapture rotates two buffers instead of a fresh one per chunk: no
   * zero-filled 4 MiB allocation per chunk, and no garbage chunks waiting for
   * a collection (on the 2 M-packet bench file ~40 MB less peak RSS).
   */
  readInto?(offset: number, into: Uint8Array): Promise<number>;
  /**
   * Optional, with readInto: lets go of what readInto keeps open between
   * calls (the Node file source keeps one file handle: opening the file for
   * each 1 MiB chunk cost ~0.1 s of CPU on a 1.67 GB capture). readCapture
   * calls it when it stops reading; one sequential reader at a time.
   */
  closeReads?(): Promise<void>;
}

/** An interface as the file describes it (pcap: the one implied interface; pcapng: each IDB). */
export interface CaptureInterface {
  /** Index across the whole file (pcapng: sections concatenated). */
  readonly id: number;
  readonly linkType: number;
  readonly snapLen: number;
  readonly name: string | null;
  readonly description: string | null;
  /** Digits of sub-second precision the interface records (6 for µs, 9 for ns). */
  readonly precision: number;
  /** FCS bytes at the end of each frame (0 when none). */
  readonly fcsLength: number;
  /**
   * An interface of an any-interface (SLL2) capture, one per interface index
   * the file's packets carry (src/capture/cooked-interfaces.ts): the id of the
   * file's interface it came from, and the Linux ifindex.
   */
  readonly parentId?: number;
  readonly ifindex?: number;
  /** What the interface's traffic says it is (`underlay`, `tunnel`, `bridge`, `pod 10.244.1.3 veth`, `lo`), or null; see src/pipeline/cooked-points.ts. */
  readonly role?: string | null;
  /**
   * An any-interface capture in Linux cooked v1 (no ifindex): the k-th
   * sighting (1-based) of each transmission in the file (src/pipeline/cooked-copies.ts).
   */
  readonly hop?: number;
}

/** One record as read. Reused by the reader: valid only during the callback. */
export interface PacketRecord {
  /** 0-based packet number in the file. */
  index: number;
  /** File offset of the record (pcap: record header; pcapng: block start). */
  offset: number;
  /** File offset of the first packet byte. */
  dataOffset: number;
  /** Seconds since the epoch (integer). */
  tsSec: number;
  /** Nanoseconds within the second (0..999,999,999). */
  tsNsec: number;
  capturedLength: number;
  originalLength: number;
  linkType: number;
  /** Interface id, or NO_INTERFACE for a record no interface describes (a pcapng Custom Block). */
  interfaceId: number;
  /** True when the record carries no timestamp (pcapng Simple Packet and Custom Blocks): tsSec and tsNsec are 0. */
  timeless: boolean;
}

/** `interfaceId` of a record that belongs to no interface. */
export const NO_INTERFACE = 0xffff;
/** `linkType` of a pcapng Custom Block shown as a record (Wireshark shows each as a frame of `data`). */
export const LINKTYPE_CUSTOM_BLOCK = -1;

export type IssueSeverity = 'error' | 'warning';

/** Something the engine could not read or found odd. Errors stop a file; warnings do not. */
export interface CaptureIssue {
  /** Capture file name. */
  capture: string;
  /** 1-based packet number (as Wireshark numbers frames), or null for file-level issues. */
  packet: number | null;
  /** Byte offset in the file. */
  offset: number;
  /** Layer or structure where it happened: `pcap`, `pcapng`, `ipv4`, `tcp`, ... */
  layer: string;
  reason: string;
  severity: IssueSeverity;
}

export interface RecordSink {
  /**
   * An interface, before its first record. Called again with the same id when
   * an any-interface (SLL2) interface learns the first interface index its
   * packets carry (src/capture/cooked-interfaces.ts): replace, do not add.
   */
  onInterface(iface: CaptureInterface): void;
  /** `bytes[start .. start+rec.capturedLength)` is the packet; valid only during the call. */
  onRecord(rec: PacketRecord, bytes: Uint8Array, start: number): void;
  onIssue(issue: CaptureIssue): void;
}

/** Hard bounds where the input controls sizes (issue #8). */
export const LIMITS = {
  /** Largest captured length of one record we accept (BIG TCP frames reach ~190 KB). */
  maxRecordLength: 16 * 1024 * 1024,
  /** Largest pcapng block. */
  maxBlockLength: 32 * 1024 * 1024,
  /** Most options one pcapng block may carry. */
  maxOptions: 1024,
  /** Most interfaces one pcapng file may describe. */
  maxInterfaces: 65536,
  /**
   * Most packets one capture may hold in an analysis: the per-packet index
   * (about 29 bytes a packet) and the flows it feeds stay bounded. Beyond it
   * reading stops with an error; what was read is kept.
   */
  maxPackets: 16 * 1024 * 1024,
  /** Most flows one analysis tracks (all captures and depths); packets of further flows are counted but not tracked. */
  maxFlows: 4 * 1024 * 1024,
} as const;
