/**
 * AnalyzerApi: the one contract between the UI and the engine. Every call and
 * event is here, typed. The renderer imports only these types; it is served
 * by a Web Worker in the browser build (src/service/ + renderer/worker) and by
 * the Electron main process's engine worker behind IPC (electron/).
 *
 * Results cross as pages (a window of rows), never as whole packet lists.
 * Text taken from captures (hosts, URIs, DNS names) arrives as plain strings:
 * the UI renders them as text, never as HTML.
 */
import type { TunnelType } from './dissect/layers.js';

// ---------------------------------------------------------------- sources

/** Where a capture or a kubectl metadata file comes from. */
export type SourceRef =
  /** Desktop: a local path the main process opens read-only. */
  | { kind: 'path'; path: string }
  /** Browser: a picked or dropped file, read locally (never uploaded). */
  | { kind: 'blob'; blob: Blob; name: string }
  /** A capture served with the app (the bundled lab captures). */
  | { kind: 'url'; url: string; name: string };

export interface OpenOptions {
  vxlanPorts?: number[];
  genevePorts?: number[];
  /** kubectl `get ... -o json|yaml` output. */
  cluster?: SourceRef[];
  /** Display label of the session (e.g. "nginx-proxy"). */
  label?: string;
  /** Capture point name -> host (one clock), as the CLI's --host. */
  hosts?: Record<string, string>;
  /** false: report hosts' clock offsets but keep times as captured. */
  clockCorrection?: boolean;
  /**
   * Threads analysing the session (the CLI's --threads; docs/decisions/0015):
   * 1 or absent is the single-threaded path; 2 or more lets the host's
   * parallel runner build the flows in a worker (same result, byte for byte);
   * 'auto': the engine chooses by `autoThreads` once it knows the captures' sizes.
   */
  threads?: number | 'auto';
}

/**
 * The app's "Analysis threads" setting: Auto is the cores available capped at
 * `autoMax`, but 1 while `splitFaster` is false (the parallel split built so
 * far is exact but not faster: decision 0015). Flip `splitFaster` when a split
 * that is faster lands. `captureSplitFaster`: the same for sessions of two or
 * more captures only (the capture split, decision 0015 §6–§7: measured faster
 * in Chromium on the 14-file bench session, frame times alike); one capture
 * then keeps Auto at 1 unless `splitFaster`. `autoMinBytes`: Auto (the app's,
 * and the CLI's `--threads auto`, its default) splits only sessions of at
 * least this many bytes, where 2 threads were measured faster on 2 cores.
 */
export const ANALYSIS_THREADS = { autoMax: 4, max: 64, splitFaster: false, captureSplitFaster: true, autoMinBytes: 768 * 2 ** 20 } as const;

/**
 * Auto's thread count for a session of captures of `sizes` bytes on a machine
 * of `cores`: min(cores, autoMax) for two or more captures of autoMinBytes or
 * more in all (the capture split), else 1 (decision 0015 §9, docs/cli.md: on
 * this 2-core machine 2 threads were slower than 1 on one capture, the stage
 * split at 0.83-1.05x, and on sessions up to ~0.5 GB (the 14-file lab 0.55 vs
 * 0.47 s, 2 files / 238 MB 1.75 vs 1.57 s, 4 / 477 MB 2.79 vs 2.50 s: a worker's
 * start and two threads sharing the cache cost more than half the reading
 * saves), about even at 835 MB, faster from ~1 GB (14 files / 1.67 GB 1.10-1.20x).
 */
export function autoThreads(sizes: readonly number[], cores: number): number {
  const bytes = sizes.reduce((a, b) => a + b, 0);
  const split = ANALYSIS_THREADS.splitFaster ? sizes.length >= 1 : ANALYSIS_THREADS.captureSplitFaster && sizes.length >= 2;
  if (!split || bytes < ANALYSIS_THREADS.autoMinBytes) return 1;
  return Math.max(1, Math.min(Number.isInteger(cores) ? cores : 1, ANALYSIS_THREADS.autoMax));
}

/** Which parallel split read a session (decision 0015): the flows on a second thread, or shares of the captures. */
export type AnalysisSplit = 'stage' | 'capture';

/** How a session was analysed: the threads asked for and used, and why fewer were used. */
export interface AnalysisThreads {
  requested: number;
  used: number;
  /** The split that ran when `used` is 2 or more. */
  split?: AnalysisSplit;
  /** Why the session ran on fewer threads than asked ("the flow worker failed: ...; analysed on one thread"). */
  note?: string;
  /** Asked for as Auto: `requested` is what Auto chose for these captures (autoThreads). */
  auto?: true;
}

// ---------------------------------------------------------------- progress

export interface Progress {
  session: number;
  /**
   * 'filtering': a display filter reading the session's packets back (Packets, Flows): `bytesRead` is the
   * packets scanned of `bytesTotal` packets, `packets` the matches so far.
   */
  phase: 'reading' | 'correlating' | 'done' | 'cancelled' | 'failed' | 'filtering';
  bytesRead: number;
  bytesTotal: number;
  /** Capture being read (index into the session's captures). */
  capture: number;
  packets: number;
}

// ---------------------------------------------------------------- pages

export interface PageQuery {
  offset: number;
  limit: number;
}

export interface Page<T> {
  total: number;
  offset: number;
  rows: T[];
}

export type SortDir = 'asc' | 'desc';

// ---------------------------------------------------------------- summary

export interface IssueRow {
  capture: string;
  /** 1-based packet number, null for file-level. */
  packet: number | null;
  offset: number;
  layer: string;
  reason: string;
  severity: 'error' | 'warning';
}

export interface CaptureInfo {
  id: number;
  file: string;
  /** Capture point name: from pcapng if_name/if_description, else the file name. */
  point: string;
  format: 'pcap' | 'pcapng' | 'unknown';
  linkTypes: Array<{ id: number; name: string }>;
  packets: number;
  bytes: number;
  fileSize: number;
  firstTime: string | null;
  lastTime: string | null;
  durationSec: number;
  complete: boolean;
  undecoded: number;
  /** File-level issues and the error that stopped the file, if any. */
  errors: IssueRow[];
  warnings: number;
  /** Frames longer than a 1500-byte MTU allows (offloaded GSO/TSO/GRO super-packets), null when none (src/pipeline/offloads.ts). */
  offload: { frames: number; largest: number; limit: number } | null;
  /** Where the capture came from: the capture tool whose layout it came in (Retina, Kubeshark, Inspektor Gadget, ...) or a plain file, its node, archive member and timestamp caveats (src/overlay/bundles/point-source.ts). */
  source?: string;
}

export interface TimeBucket {
  /** Seconds since the session's first packet. */
  t: number;
  /** Packets per capture, in `captures` order. */
  packets: number[];
}

export interface SessionSummary {
  session: number;
  label: string;
  captures: CaptureInfo[];
  packets: number;
  bytes: number;
  firstTime: string | null;
  lastTime: string | null;
  /** Packets and bytes holding each layer at any depth. */
  protocols: Array<{ name: string; packets: number; bytes: number }>;
  timeline: { bucketSec: number; buckets: TimeBucket[] };
  flows: number;
  http: number;
  dns: number;
  issues: number;
  /** Whether cluster metadata was loaded. */
  hasCluster: boolean;
  /** The cluster metadata loaded: its files and what they name (the header says so); null when none. */
  cluster?: ClusterSummary | null;
  /** Hosts (capture points sharing a clock) and their clock offsets; see docs/cli.md "Hosts and clocks". */
  clocks: HostClockRow[];
  /** Sentences about the clocks ("node2's clock is 37 ± 0.005 ms ahead of node1's; times corrected"). */
  clockNotes: string[];
  /** Threads the analysis asked for and used (OpenOptions.threads). */
  threads?: AnalysisThreads;
}

/** The session's cluster metadata at a glance. */
export interface ClusterSummary {
  /** The kubectl files read (names as opened); empty when a capture tool's bundle or an iptables dump gave the metadata. */
  files: string[];
  nodes: number;
  pods: number;
  services: number;
}

/** `replace`: the files replace the metadata loaded before (default: they are added to it). */
export interface LoadClusterOptions {
  replace?: boolean;
}

/** Hosts and clock correction as the user states them (the CLI's --host and --no-clock-correction). */
export interface ClockSettings {
  /** Capture point name -> host; points not named are grouped by the engine. */
  hosts: Record<string, string>;
  clockCorrection: boolean;
}

/** One host's clock (src/overlay/clocks.ts). */
export interface HostClockRow {
  host: string;
  capturePoints: string[];
  /** How far this host's clock is ahead of the reference host's (ms; negative: behind), null when no packet links it to the reference. */
  offsetMs: number | null;
  /** Half the width of the feasible interval (ms), summed along the links to the reference; 0 for the reference and stated offsets. */
  uncertaintyMs: number | null;
  /** Drift against the reference (parts per million), where the capture's two halves give different offsets; null when not measured. */
  driftPpm: number | null;
  /** Sightings of one packet at this host and another. */
  pairs: number;
  reference: boolean;
  /** Where the offset came from. */
  source: 'reference' | 'estimated' | 'stated' | 'unlinked';
  /** Whether this host's times were corrected by the offset. */
  corrected: boolean;
}

// ---------------------------------------------------------------- packets

export interface PacketQuery extends PageQuery {
  /** Restrict to one capture (index), or all in time order when absent. */
  capture?: number;
  /** Only packets of this flow. */
  flow?: number;
  /** Only packets holding this layer name. */
  protocol?: string;
  /** Free text matched against source, destination and info. */
  text?: string;
  /** A Wireshark display filter (docs/filter.md); a filter that cannot be used rejects with its FilterCheck message. */
  filter?: string;
  /**
   * Order (default: time). Keys: `frame`/`time` (session time order), `index` (per-file number), `point`, `len`,
   * `src`, `dst`, `layers`, `info` (these four read every packet back: refused over MAX_TEXT_FILTER_PACKETS).
   */
  sort?: { key: string; dir: SortDir };
}

export interface PacketRow {
  /** Key for detail calls. */
  capture: number;
  /** 0-based index in its capture; shown 1-based as "No.". */
  index: number;
  /** 1-based number in the whole session's time order (all capture points merged), as mergecap's file would number it. */
  frame?: number;
  /** Seconds since the row before it in the page's order (Wireshark's "delta time displayed"); 0 for the first. */
  delta?: number;
  time: string;
  /** Seconds since the session's first packet. */
  rel: number;
  point: string;
  caplen: number;
  len: number;
  layers: string[];
  src: string;
  dst: string;
  info: string;
  flow: number | null;
  issue: string | null;
}

export interface FieldNode {
  name: string;
  value: string;
  /** Byte range in the frame, for highlighting in the hex view. */
  start: number;
  length: number;
  children?: FieldNode[];
  /** The display filter that selects packets with this value (`ip.src == 10.244.1.10`): "Apply as filter"; absent when the field has no filter name. */
  filter?: string;
}

export interface LayerNode {
  /** Contract layer name (eth, ipv4, vxlan, ...). */
  layer: string;
  title: string;
  start: number;
  length: number;
  fields: FieldNode[];
  /** The protocol as a display filter names it (`ip` for ipv4): "Apply as filter". */
  filter?: string;
}

export interface PacketDetail {
  row: PacketRow;
  layers: LayerNode[];
  /** The captured bytes, read back from the file by offset. */
  bytes: Uint8Array;
  issue: IssueRow | null;
}

// ---------------------------------------------------------------- flows

export interface Endpoint {
  ip: string;
  port: number | null;
}

export interface Identity {
  kind: 'node' | 'pod' | 'service' | 'external' | 'unknown';
  /** namespace/name for pods and Services, node name for nodes. */
  name: string;
  namespace?: string;
  node?: string;
  detail?: string;
  /** True when no cluster metadata named it: inferred from the captures (src/overlay/inferred-identities.ts): "node1", "pod on node2", "NodePort 30080 on node1". */
  inferred?: boolean;
  /** Where the name came from when not from kubectl: a capture tool's file or layout (`….tar.gz/name_resolution_history.json`, `iptables rules (…)`, `Inspektor Gadget interface descriptions (…)`); absent for kubectl metadata (src/overlay/bundles/). */
  from?: string;
}

export interface FlowRow {
  id: number;
  captures: string[];
  transport: string;
  a: Endpoint;
  b: Endpoint;
  depth: number;
  packets: number;
  bytes: number;
  packetsAtoB: number;
  packetsBtoA: number;
  bytesAtoB: number;
  bytesBtoA: number;
  firstTime: string;
  lastTime: string;
  durationSec: number;
  /** `from`/`to`: the outer flow's ends as nodes (metadata names, else inferred ones: "node1", "node 192.168.56.11"), for "node1 → node3 (VXLAN 1)". */
  tunnel: null | { type: TunnelType; vni: number; outerFlow: number; from?: string; to?: string };
  /** Inner flows carried (for tunnel flows). */
  innerFlows: number;
  identityA: Identity | null;
  identityB: Identity | null;
  service: string | null;
  /** TCP: handshake/close state in words, e.g. "SYN→SYN/ACK→ACK, FIN". */
  tcpState: string | null;
  rttMs: number | null;
  /** Set when the flow was seen in a capture whose timestamps are all zero (Inspektor Gadget): why `rttMs` is null. */
  untimed?: string;
  retransmissions: number;
  resets: number;
  /** With a `service` (cluster metadata): how the flow reached it (see CODE.md's glossary). */
  serviceVia?: 'dnat' | 'direct' | null;
  /**
   * The TCP/UDP connection this flow is one view of, stitched across capture points and NAT
   * (src/overlay/stitch.ts); null for flows no connection holds (tunnel flows, ICMP, ...).
   */
  connection?: FlowConnection | null;
  /** Community ID v1 of the flow, as the JSON's `flows[].communityId` (null for ICMP, ICMPv6, SCTP). */
  communityId?: string | null;
}

/** One connection's views: a flow per capture point, depth and address tuple. */
export interface FlowConnection {
  id: number;
  /** Capture points it was seen at, in the order of first sighting. */
  points: string[];
  /** Its flows (ids), one per point, depth and tuple. */
  flows: number[];
}

export interface FlowQuery extends PageQuery {
  text?: string;
  transport?: string;
  depth?: number;
  /** Node, pod or Service name (matches identity and service columns). */
  node?: string;
  pod?: string;
  service?: string;
  capture?: number;
  sort?: { key: keyof FlowRow | string; dir: SortDir };
  /** One row per connection (its first view: the client's, before NAT) instead of one per flow; flows of no connection stay rows. */
  connections?: boolean;
  /** Only the flows (views) of this connection id. */
  connection?: number;
  /** A display filter (docs/filter.md): a flow matches when any of its packets does (a tunnelled packet: its inner and its outer flow). */
  filter?: string;
}

export interface FlowDetail {
  flow: FlowRow;
  /** For a tunnel flow: the inner flows it carried. */
  inner: FlowRow[];
  /** For an inner flow: the tunnel flow(s) that carried it. */
  outer: FlowRow[];
  /**
   * A connection seen at one capture point on both sides of NAT, joined into this flow
   * (src/flows/nat-half-views.ts): the tuple the reply showed (original) and the request's (translated).
   */
  nat?: { kind: 'dnat' | 'snat' | 'dnat+snat'; original: { a: Endpoint; b: Endpoint }; translated: { a: Endpoint; b: Endpoint } } | null;
}

export interface StreamView {
  flow: number;
  /** Payload chunks in order, by direction; text is decoded as Latin-1 for display. */
  segments: Array<{ dir: 'AtoB' | 'BtoA'; time: string; bytes: number; text: string }>;
  truncated: boolean;
}

// ---------------------------------------------------------------- transactions

/** HTTP and DNS pages: a text filter and an order (a column id of the row; default: time). */
export interface TxQuery extends PageQuery {
  text?: string;
  sort?: { key: string; dir: SortDir };
}

export interface HttpRow {
  id: number;
  flow: number;
  method: string | null;
  host: string | null;
  uri: string | null;
  status: number | null;
  reason: string | null;
  requestTime: string | null;
  responseTime: string | null;
  /** Time to first response byte, ms. */
  ttfbMs: number | null;
  totalMs: number | null;
  /** Set when the transaction was seen in a capture whose timestamps are all zero (Inspektor Gadget): why `ttfbMs`/`totalMs` are null. */
  untimed?: string;
  requestBytes: number;
  responseBytes: number;
  capture: string;
  client: Endpoint;
  server: Endpoint;
}

export interface DnsRow {
  id: number;
  flow: number;
  queryId: number;
  name: string;
  type: string;
  rcode: string | null;
  answers: string[];
  queryTime: string | null;
  latencyMs: number | null;
  capture: string;
}

// ---------------------------------------------------------------- overlay

export interface OverlayNode {
  /** Underlay (outer) IP. */
  ip: string;
  name: string | null;
  vtepMacs: string[];
  vnis: number[];
  /** From the cluster metadata (`source: 'cluster'`, kubectl's podCIDRs) or inferred as /24s from the inner sources a VTEP sends (`'traffic'`); `evidence` = packets. */
  podCidrs: Array<{ cidr: string; evidence: number; source: 'cluster' | 'traffic' }>;
  /** UI view only: `name` was inferred from the capture points' names, not read from cluster metadata (src/overlay/inferred-identities.ts). */
  nameInferred?: boolean;
}

export interface TunnelEdge {
  a: string;
  b: string;
  type: TunnelType;
  /** VNI, Geneve VNI, GRE key, NVGRE VSID, ERSPAN session id; -1 for IP-in-IP and WireGuard (no network identifier). */
  vni: number;
  packets: number;
  bytes: number;
  /** Bytes of outer headers (encapsulation overhead). */
  overheadBytes: number;
  innerFlows: number;
  /** WireGuard only: handshake messages (initiation, response) in this direction. */
  handshakes?: number;
  /** WireGuard only: its contents cannot be seen. */
  note?: string;
}

export interface TranslationRow {
  kind: 'dnat' | 'snat' | 'dnat+snat';
  service: string | null;
  original: { src: Endpoint; dst: Endpoint };
  translated: { src: Endpoint; dst: Endpoint };
  /** Capture points where each side was seen. */
  originalSeenAt: string[];
  translatedSeenAt: string[];
  evidence: string;
}

export interface JourneyHop {
  point: string;
  time: string;
  src: Endpoint;
  dst: Endpoint;
  /** e.g. "DNAT 10.96.0.10:80 → 10.244.2.5:8080". */
  translation: string | null;
  tunnel: null | { type: string; vni: number; outerSrc: string; outerDst: string };
  packets: number;
  latencyMs: number | null;
  note: string;
}

/** The Ingress rule a journey followed (cluster metadata needed; see src/overlay/ingress.ts). */
export interface JourneyIngress {
  /** The Ingress object. */
  namespace: string;
  name: string;
  /** The rule's host and path (null: any). */
  host: string | null;
  path: string | null;
  /** "namespace/name" of the backend Service, and its port (number or name). */
  service: string | null;
  port: string | number | null;
  /** "namespace/name" of the controller pod that received the request. */
  controller: string;
}

export interface Journey {
  id: number;
  http: number | null;
  label: string;
  hops: JourneyHop[];
  complete: boolean;
  /** The Ingress rule it followed, when the metadata has Ingresses and the request went through a controller; null otherwise. */
  ingress: JourneyIngress | null;
}

export interface OverlayView {
  nodes: OverlayNode[];
  /** Pods of the metadata; without it (UI view), the addresses of journeys and translations inferred to be pods (`inferred`, name null). */
  pods: Array<{ ip: string; name: string | null; namespace: string | null; node: string | null; inferred?: boolean }>;
  /** `endpoints` (UI view): the Service's endpoint addresses from the metadata (EndpointSlices). */
  services: Array<{ name: string; namespace: string; clusterIp: string | null; ports: Array<{ port: number; nodePort: number | null; targetPort: string | number | null; protocol: string }>; endpoints?: Array<{ ip: string; port: number | null }> }>;
  tunnels: TunnelEdge[];
  translations: TranslationRow[];
  journeys: Journey[];
  /** Destinations never seen as sources whose connections reappear toward pods. */
  candidateServices: Array<{ ip: string; port: number; evidence: number }>;
  /** What the overlay analysis could not do and why (e.g. no journeys with one capture point). */
  notes?: string[];
  /**
   * UI view: what each address of the journeys and translations is, keyed `ip|port` and `ip|` (any port):
   * cluster metadata's names (at the time first seen), else inferred ones (`inferred: true`); absent when nothing says.
   */
  identities?: Record<string, Identity>;
}

// ---------------------------------------------------------------- compare & export

export interface ComparisonMetric {
  name: string;
  group: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  unit: string;
  /** Which way is an improvement (fewer packets, lower latency: 'lower'); absent when neither is. */
  better?: 'lower' | 'higher';
}

/** One capture point role (`client`, `node1-eth0`) with the point of each side that plays it (src/compare/sides.ts). */
export interface ComparisonPointRow {
  role: string;
  a: ComparisonPointSide | null;
  b: ComparisonPointSide | null;
}

export interface ComparisonPointSide {
  /** The capture point's own name on that side. */
  name: string;
  packets: number;
  bytes: number;
  packetsPerRequest: number | null;
}

/** How one side of a comparison is opened: the open session, and/or its own cluster metadata. */
export interface ComparisonSideOptions {
  /** Compare the open session (its captures and metadata) on this side; the side's SourceRefs are then ignored. */
  session?: boolean;
  /** kubectl metadata for this side only. */
  cluster?: SourceRef[];
}

export interface ComparisonOptions {
  a?: ComparisonSideOptions;
  b?: ComparisonSideOptions;
  /** Capture points paired by the user: [point or role of A, point or role of B]. */
  pairs?: Array<[string, string]>;
}

export interface ComparisonView {
  labelA: string;
  labelB: string;
  metrics: ComparisonMetric[];
  explanation: string[];
  perHop: Array<{ hop: string; a: number; b: number }>;
  latency: Array<{ request: number; a: number | null; b: number | null }>;
  /** Packets over time of both sides (seconds since each side's first packet). */
  timeline?: { bucketSec: number; rows: Array<{ t: number; a: number; b: number }> };
  /** Capture points paired by role across the sides. */
  points?: ComparisonPointRow[];
  /** What each side holds. */
  sides?: { a: ComparisonSideInfo; b: ComparisonSideInfo };
}

export interface ComparisonSideInfo {
  label: string;
  files: number;
  points: number;
  requests: number;
  hasCluster: boolean;
}

/** `csv` is the flow table alone (one table a file); `zip` holds flows.csv, http.csv, dns.csv (and comparison.csv). */
export type ReportFormat = 'html' | 'md' | 'csv' | 'json' | 'zip';

/** Hand-offs to other tools (issue 17): every Parquet table in one zip (docs/parquet.md), or the session as one pcapng for Wireshark. */
export type DataExportFormat = 'parquet' | 'pcapng';

export interface ExportedReport {
  fileName: string;
  mime: string;
  /** The report's text ('' for a binary format: see `bytes`). */
  text: string;
  /** A binary report's bytes (`zip`). */
  bytes?: Uint8Array;
}

// ---------------------------------------------------------------- display filters

/** A display filter checked (docs/filter.md): usable, or what is wrong and where. */
export interface FilterCheck {
  ok: boolean;
  /** "unknown field 'ip.adr' at 1:1 (did you mean ip.addr?)"; null when ok. */
  message: string | null;
  /** 1-based place of the problem (0 when ok) and its offset in the text. */
  line: number;
  column: number;
  offset: number;
  /** Field names the filter reads (when ok). */
  fields: string[];
}

// ---------------------------------------------------------------- the API

export interface AnalyzerApi {
  /** Opens a session of captures; progress arrives through onProgress. Replaces the current session. */
  openSession(sources: SourceRef[], options?: OpenOptions): Promise<SessionSummary>;
  /** Adds captures (capture points) to the current session, re-analysing it. */
  addCaptures(sources: SourceRef[]): Promise<SessionSummary>;
  /** Loads kubectl metadata into the current session. */
  loadCluster(sources: SourceRef[], options?: LoadClusterOptions): Promise<SessionSummary>;
  /** States hosts (capture point -> host) and whether times are corrected by the hosts' clock offsets; re-analyses the session. */
  setClocks(settings: ClockSettings): Promise<SessionSummary>;
  /** Cancels the running open; what was read stays. */
  cancel(): Promise<void>;
  onProgress(listener: (p: Progress) => void): () => void;

  getSummary(): Promise<SessionSummary | null>;
  getIssues(q: PageQuery): Promise<Page<IssueRow>>;
  getPackets(q: PacketQuery): Promise<Page<PacketRow>>;
  getPacketDetail(capture: number, index: number): Promise<PacketDetail>;
  /** Checks a display filter without running it (the filter bar's colour while typing). */
  checkFilter(text: string): Promise<FilterCheck>;
  getFlows(q: FlowQuery): Promise<Page<FlowRow>>;
  getFlowDetail(id: number): Promise<FlowDetail>;
  getStream(flow: number): Promise<StreamView>;
  getHttp(q: TxQuery): Promise<Page<HttpRow>>;
  getDns(q: TxQuery): Promise<Page<DnsRow>>;
  getOverlay(): Promise<OverlayView>;
  /** Compares two sets of captures (each analysed on its own). */
  compare(a: SourceRef[], b: SourceRef[], labels?: { a?: string; b?: string }, options?: OpenOptions, sides?: ComparisonOptions): Promise<ComparisonView>;
  exportReport(format: ReportFormat): Promise<ExportedReport>;
  /** The session for another tool: `parquet` (a zip of every table, packets included) or `pcapng` (for Wireshark); `bytes` holds it. */
  exportData(format: DataExportFormat): Promise<ExportedReport>;
}

/** Names of the AnalyzerApi methods, for the preload and its test (the preload exposes exactly these). */
export const ANALYZER_METHODS = [
  'openSession', 'addCaptures', 'loadCluster', 'setClocks', 'cancel', 'onProgress', 'getSummary', 'getIssues', 'getPackets',
  'getPacketDetail', 'checkFilter', 'getFlows', 'getFlowDetail', 'getStream', 'getHttp', 'getDns', 'getOverlay', 'compare', 'exportReport',
  'exportData',
] as const satisfies ReadonlyArray<keyof AnalyzerApi>;

/** Tunnels as people name them ("VXLAN VNI 1"): in src/dissect/tunnel-text.ts, below the pipeline that uses them too. */
export { tunnelText, tunnelTypeText } from './dissect/tunnel-text.js';
