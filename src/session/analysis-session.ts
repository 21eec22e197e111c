/**
 * A session: several captures (one per capture point) analysed together on
 * one timeline. Built by reading each capture in turn; the observers (flow
 * table, transactions, overlay) see every packet of every capture.
 */
import type { ByteSource } from '../capture/types.js';
import type { CaptureOrigin, InputNote } from '../capture/open-inputs.js';
import { DissectConfig } from '../dissect/config.js';
import { DecodedPacket } from '../dissect/decoded.js';
import { decodePacket } from '../dissect/decoder.js';
import { COUNTED_LAYERS } from '../dissect/layers.js';
import { analyzeCapture, MAX_PACKET_ISSUES, newCaptureResult, protocolCounts, type AnalyzeOptions, type CaptureResult, type PacketObserver } from '../pipeline/analyze.js';
import { summarizePacket, type PacketSummary } from '../pipeline/packet-summary.js';
import { formatTime } from '../pipeline/time.js';
import type { AnalysisJson, CaptureJson } from './contract.js';
import { OverlayObserver } from '../overlay/overlay-observer.js';
import { OverlayAnalysis } from '../overlay/overlay.js';
import type { JourneyTable } from '../overlay/journeys.js';
import { FlowTracker } from '../flows/flow-tracker.js';
import { dnsJson, flowJson, FlowJsonText, httpJson, httpJsonText, tunnelLinks, writeDnsJson, writeHttpJson } from '../flows/flow-output.js';
import type { JsonBytes } from '../pipeline/json-bytes.js';
import { offloadNote, offloadSummary } from '../pipeline/offloads.js';
import { pointSource } from '../overlay/bundles/point-source.js';
import { flowWithoutDurations, httpWithoutDurations, untimedFiles } from '../overlay/bundles/untimed.js';

export class AnalysisSession {
  readonly captures: CaptureResult[] = [];
  readonly config: DissectConfig;
  private readonly observers: PacketObserver[];
  /** Tunnels, nodes, stitching and journeys (src/overlay/). */
  readonly overlayObserver: OverlayObserver;
  private overlayCache: OverlayAnalysis | null = null;
  /** Flows at every depth, TCP conversations, HTTP and DNS transactions (src/flows). */
  readonly flows = new FlowTracker();
  /**
   * Where each capture came from (a .gz, an archive member, a capture tool's
   * bundle) and what opening them skipped or refused (src/capture/open-inputs.ts);
   * null when the captures were opened as plain files.
   */
  inputs: { origins: readonly CaptureOrigin[]; notes: readonly InputNote[] } | null = null;

  /** A new, unread session over the same captures, options and inputs: what a parallel run falls back to (read again on one thread). */
  fresh(): AnalysisSession {
    const s = new AnalysisSession(this.sources, this.options);
    s.inputs = this.inputs;
    return s;
  }

  constructor(readonly sources: readonly ByteSource[], readonly options: AnalyzeOptions = {}) {
    if (options.maxFlows !== undefined) this.flows.maxFlows = options.maxFlows;
    this.config = new DissectConfig(options);
    this.observers = [this.flows, ...(options.observers ?? [])];
    // One file per capture point: with two or more files, stitching rows are kept from the first packet.
    this.overlayObserver = new OverlayObserver((c, n) => this.captures[c]!.index.iface(n), { capturePoints: sources.length });
    this.observers.push(this.overlayObserver);
    sources.forEach((s, i) => this.captures.push(newCaptureResult(i, s)));
  }

  /** Reads every capture. Cancellation leaves what was read so far. */
  async run(): Promise<this> {
    const total = this.sources.reduce((a, s) => a + s.size, 0);
    let base = 0;
    for (let i = 0; i < this.sources.length; i++) {
      const src = this.sources[i]!;
      const summary = await analyzeCapture(src, this.captures[i]!, this.config, this.observers, this.options, base, total);
      this.adoptTransactionIssues(i);
      base += src.size;
      if (summary.cancelled) { this.notReached(i + 1); break; }
    }
    this.overlayCache = null;
    return this;
  }

  /** After a cancel: captures `from`.. were never read, so they are not complete (not "complete with 0 packets"). */
  notReached(from: number): void {
    for (let i = from; i < this.captures.length; i++) this.captures[i]!.cancelled = true;
  }

  /**
   * run(), with `this.flows` built elsewhere (a worker thread reading the same
   * captures: src/session/parallel/, docs/decisions/0015-parallel-analysis.md).
   * The captures are read by the other observers (`wrap` may stand in for
   * them); then `flowsDone(read)` fills `this.flows` and the packet indexes'
   * flow ids of the `read` captures, and what run() does after each capture
   * follows in capture order, so the session ends as run() leaves it.
   */
  async runWithFlowsFrom(flowsDone: (read: number) => Promise<void>, wrap: (observers: PacketObserver[]) => PacketObserver[] = (o) => o): Promise<this> {
    const observers = wrap(this.observers.filter((o) => o !== this.flows));
    const total = this.sources.reduce((a, s) => a + s.size, 0);
    let base = 0;
    let read = 0;
    for (let i = 0; i < this.sources.length; i++) {
      const src = this.sources[i]!;
      const summary = await analyzeCapture(src, this.captures[i]!, this.config, observers, this.options, base, total);
      read = i + 1;
      base += src.size;
      if (summary.cancelled) { this.notReached(read); break; }
    }
    await flowsDone(read);
    for (let i = 0; i < read; i++) this.adoptTransactionIssues(i);
    this.overlayCache = null;
    return this;
  }

  /**
   * run(), with the captures read elsewhere (the capture split: worker threads
   * each reading a share of them, src/session/parallel/capture-split.ts):
   * `fill()` sets `this.captures`, `this.flows` and `this.overlayObserver` as
   * reading them here would have, and returns how many captures were read; what
   * run() does after each capture follows in capture order.
   */
  async runElsewhere(fill: () => Promise<number>): Promise<this> {
    const read = await fill();
    for (let i = 0; i < read; i++) this.adoptTransactionIssues(i);
    this.overlayCache = null;
    return this;
  }

  /**
   * run() split at capture `first` (the capture split, decision 0015 §7):
   * captures [0, first) are read here exactly as run() reads them (`opts`
   * adds a signal, progress in bytes of those captures, and a call after
   * each of them), then
   * `rest(read)` appends the others, read elsewhere, in capture order
   * (CaptureMerge, src/session/parallel/capture-split.ts) and returns how many
   * captures the session then holds; what run() does after each capture
   * follows in capture order.
   */
  async runSplit(first: number, rest: (read: number) => Promise<number>,
    opts: Pick<AnalyzeOptions, 'signal' | 'onProgress'> & { afterCapture?: (capture: number) => void } = {}): Promise<this> {
    const { afterCapture, ...more } = opts;
    const options = { ...this.options, ...more };
    const total = this.sources.slice(0, first).reduce((a, s) => a + s.size, 0);
    let base = 0;
    let read = 0;
    for (let i = 0; i < first; i++) {
      const src = this.sources[i]!;
      const summary = await analyzeCapture(src, this.captures[i]!, this.config, this.observers, options, base, total);
      this.adoptTransactionIssues(i);
      read = i + 1;
      base += src.size;
      if (summary.cancelled) break;
      afterCapture?.(i);
    }
    const all = await rest(read);
    for (let i = read; i < all; i++) this.adoptTransactionIssues(i);
    this.overlayCache = null;
    return this;
  }

  /**
   * HTTP and DNS refusals (header block over its bound, DNS pointer loops,
   * over-long names) found while building transactions become issues of the
   * capture, at the file offset of the packet that carried them (issue #8).
   */
  private adoptTransactionIssues(c: number): void {
    const cap = this.captures[c]!;
    const sources = [['flows', this.flows.issues, 0], ['http', this.flows.http.issues, this.flows.http.droppedIssues], ['dns', this.flows.dns.issues, this.flows.dns.droppedIssues]] as const;
    for (const [layer, issues, dropped] of sources) {
      for (const i of issues) {
        if (i.capture !== c) continue;
        if (cap.issues.length >= MAX_PACKET_ISSUES) { cap.droppedIssues++; continue; }
        const n = i.packet - 1;
        const offset = n >= 0 && n < cap.index.count ? cap.index.fileOffset(n) : 0;
        // Numbered as the file's frames also when a display filter kept only some packets.
        const packet = cap.fileFrames && n >= 0 && n < cap.fileFrames.length ? cap.fileFrames[n]! + 1 : i.packet;
        cap.issues.push({ capture: cap.file, packet, offset, layer, reason: i.reason, severity: 'warning' });
      }
      if (c === this.sources.length - 1) cap.droppedIssues += dropped;
    }
  }

  static async open(sources: readonly ByteSource[], options: AnalyzeOptions = {}): Promise<AnalysisSession> {
    return new AnalysisSession(sources, options).run();
  }

  get packets(): number {
    return this.captures.reduce((a, c) => a + c.packets, 0);
  }

  /** Reads packet `n` (0-based) of capture `c` back from its file and decodes it. */
  async readPacket(c: number, n: number): Promise<{ bytes: Uint8Array; decoded: DecodedPacket; linkType: number }> {
    const cap = this.captures[c];
    if (!cap) throw new RangeError(`no capture ${c}`);
    if (n < 0 || n >= cap.index.count) throw new RangeError(`capture ${cap.file} has no packet ${n + 1}`);
    const bytes = await this.sources[c]!.read(cap.index.fileOffset(n), cap.index.capLen(n));
    const iface = cap.interfaces[cap.index.iface(n)];
    // No interface: a pcapng custom block, shown undecoded (link type -1 has no dissector).
    const linkType = iface?.linkType ?? -1;
    const decoded = new DecodedPacket();
    let len = bytes.length;
    if (iface && iface.fcsLength > 0 && cap.index.origLen(n) >= len && len >= iface.fcsLength) len -= iface.fcsLength;
    decodePacket(decoded, bytes, 0, len, linkType, this.config);
    return { bytes, decoded, linkType };
  }

  async packetSummary(c: number, n: number): Promise<PacketSummary> {
    const { bytes, decoded } = await this.readPacket(c, n);
    return summarizePacket(decoded, bytes, 0, bytes.length);
  }

  captureJson(c: CaptureResult): CaptureJson {
    return {
      file: c.file,
      format: c.format ?? 'unknown',
      linkTypes: [...new Set(c.interfaces.map((i) => i.linkType))],
      interfaces: c.interfaces.map((i) => ({ id: i.id, linkType: i.linkType, name: i.name, description: i.description, snapLen: i.snapLen,
        ...(i.ifindex !== undefined ? { ifindex: i.ifindex, parent: i.parentId ?? 0, role: i.role ?? null } : {}) })),
      packets: c.packets,
      bytes: c.bytes,
      fileSize: c.fileSize,
      firstTime: c.timed ? formatTime(c.firstSec, c.firstNsec, c.precision) : null,
      lastTime: c.timed ? formatTime(c.lastSec, c.lastNsec, c.precision) : null,
      complete: !c.stopped && !c.cancelled,
      undecoded: c.undecoded,
      issues: c.issues.filter((i) => i.packet === null || i.severity === 'error'),
      droppedIssues: c.droppedIssues,
      offload: offloadSummary(c),
      ...(this.inputs?.origins[c.id] ? { source: this.inputs.origins[c.id]! } : {}),
    };
  }

  /** One note per capture holding frames longer than its MTU allows (src/pipeline/offloads.ts). */
  offloadNotes(): string[] {
    const out: string[] = [];
    for (const c of this.captures) {
      const o = offloadSummary(c);
      if (o) out.push(offloadNote(c.file, c.packets, o));
    }
    return out;
  }

  /** Every flow as the contract's FlowJson, in id order. */
  flowsJson(): AnalysisJson['flows'] {
    const links = tunnelLinks(this);
    const out: AnalysisJson['flows'] = new Array(this.flows.table.count);
    for (let f = 0; f < this.flows.table.count; f++) out[f] = flowJson(this, f, links);
    return out;
  }

  /** The overlay analysis (built once after reading, on first use). */
  overlay(): OverlayAnalysis {
    this.overlayCache ??= new OverlayAnalysis(this.overlayObserver, this.captures, this.options.clusterMetadata ?? null, this.options);
    return this.overlayCache;
  }

  /**
   * toJSON() with its flows, HTTP and DNS transactions made one at a time:
   * `doc.flows`, `doc.http` and `doc.dns` are empty placeholders (keeping the
   * key order), `flow(i)`, `http(i)` and `dns(i)` make element i (flows
   * annotated). For writers that
   * serialise a big analysis in pieces (hundreds of thousands of flows as
   * objects would cost more memory than the analysis).
   */
  toJSONParts(options: { lazyJourneys?: boolean } = {}): {
    doc: AnalysisJson;
    flowCount: number; flow(i: number): AnalysisJson['flows'][number];
    /** `JSON.stringify(flow(i))`, made without the object when no cluster metadata annotates flows. */
    flowText(i: number): string;
    /** Writes flowText(i) as UTF-8 without a string; absent when cluster metadata annotates flows. */
    flowWrite?: (i: number, out: JsonBytes) => void;
    httpCount: number; http(i: number): AnalysisJson['http'][number];
    /** `JSON.stringify(http(i))`, made without the object. */
    httpText(i: number): string;
    /** Writes httpText(i) as UTF-8 without a string. */
    httpWrite(i: number, out: JsonBytes): void;
    dnsCount: number; dns(i: number): AnalysisJson['dns'][number];
    /** Writes `JSON.stringify(dns(i))` as UTF-8 without the object. */
    dnsWrite(i: number, out: JsonBytes): void;
    /** With `lazyJourneys`: `doc.journeys` is an empty placeholder and this makes or writes them one at a time. */
    journeys?: JourneyTable;
  } {
    const overlay = this.overlay();
    const links = tunnelLinks(this);
    const doc = this.toJSON(false, !options.lazyJourneys);
    const journeys = options.lazyJourneys ? { journeys: overlay.journeyTable() } : {};
    const http = this.flows.http.transactions;
    const dns = this.flows.dns.transactions;
    const flow = (i: number): AnalysisJson['flows'][number] => {
      const f = flowJson(this, i, links);
      overlay.annotateFlows([f]);
      return f;
    };
    const text = overlay.resolver ? null : new FlowJsonText(this, links);
    // Captures with no real timestamps (Inspektor Gadget): no RTT or HTTP durations from them (src/overlay/bundles/untimed.ts).
    const untimed = untimedFiles(this.inputs?.origins, this.captures.map((c) => c.file));
    if (untimed.size) {
      const flowU = (i: number): AnalysisJson['flows'][number] => flowWithoutDurations(flow(i), untimed);
      const httpU = (i: number): AnalysisJson['http'][number] => httpWithoutDurations(httpJson(this, http[i]!), flowJson(this, http[i]!.flow, links).capture, untimed);
      return {
        doc, ...journeys, flowCount: this.flows.table.count, flow: flowU, flowText: (i) => JSON.stringify(flowU(i)),
        httpCount: http.length, http: httpU, httpText: (i) => JSON.stringify(httpU(i)), httpWrite: (i, out) => out.text(JSON.stringify(httpU(i))),
        dnsCount: dns.length, dns: (i) => dnsJson(this, dns[i]!), dnsWrite: (i, out) => writeDnsJson(this, dns[i]!, out),
      };
    }
    return {
      doc,
      ...journeys,
      flowCount: this.flows.table.count,
      flow,
      flowText: text ? (i) => text.flow(i) : (i) => JSON.stringify(flow(i)),
      ...(text ? { flowWrite: (i: number, out: JsonBytes) => text.write(i, out) } : {}),
      httpCount: http.length,
      http: (i) => httpJson(this, http[i]!),
      httpText: (i) => httpJsonText(this, http[i]!),
      httpWrite: (i, out) => writeHttpJson(this, http[i]!, out),
      dnsCount: dns.length,
      dns: (i) => dnsJson(this, dns[i]!),
      dnsWrite: (i, out) => writeDnsJson(this, dns[i]!, out),
    };
  }

  /** The overlay's JSON, its `notes` preceded by the offload notes. */
  private overlayJsonWithNotes(overlay: OverlayAnalysis, journeys = true): ReturnType<OverlayAnalysis['toJSON']> {
    const j = overlay.toJSON({ journeys });
    // Each capture point's source: the tool whose layout it came in, its file, member and node (src/overlay/bundles/point-source.ts).
    j.capturePoints = j.capturePoints.map((p, i) => {
      const at = overlay.observer.points[i];
      const cap = at ? this.captures[at.capture] : undefined;
      return { ...p, source: pointSource(at ? this.inputs?.origins[at.capture] : undefined, p.file, cap?.interfaces.find((x) => x.id === p.interface)) };
    });
    const extra = this.offloadNotes();
    return extra.length ? { ...j, notes: [...extra, ...j.notes] } : j;
  }

  /** The `overlayscope.analysis/v1` document (see docs/cli.md). */
  toJSON(whole = true, journeys = true): AnalysisJson {
    const overlay = this.overlay();
    const untimed = untimedFiles(this.inputs?.origins, this.captures.map((c) => c.file));
    const all = whole ? this.flowsJson() : [];
    const flows = untimed.size ? all.map((f) => flowWithoutDurations(f, untimed)) : all;
    overlay.annotateFlows(flows);
    return {
      schema: 'overlayscope.analysis/v1',
      captures: this.captures.map((c) => this.captureJson(c)),
      packets: this.packets,
      protocols: protocolCounts(this.captures, COUNTED_LAYERS),
      flows,
      http: whole ? this.flows.http.transactions.map((h) => httpWithoutDurations(httpJson(this, h), flows[h.flow]?.capture, untimed)) : [],
      dns: whole ? this.flows.dns.transactions.map((d) => dnsJson(this, d)) : [],
      issues: this.captures.flatMap((c) => c.issues.map((i) => ({ capture: i.capture, packet: i.packet, offset: i.offset, layer: i.layer, reason: i.reason, severity: i.severity }))),
      ...this.overlayJsonWithNotes(overlay, journeys),
      ...(this.inputs?.notes.length ? { inputNotes: this.inputs.notes } : {}),
    };
  }
}
