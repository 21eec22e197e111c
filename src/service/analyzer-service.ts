/**
 * The engine side of AnalyzerApi: one instance per window (Electron engine
 * worker) or per browser tab (Web Worker). Hosts give it a SourceResolver
 * that turns SourceRefs into ByteSources; everything else is platform-neutral.
 */
import type {
  AnalyzerApi, CaptureInfo, ComparisonView, DataExportFormat, DnsRow, ExportedReport, FilterCheck, FlowDetail, FlowQuery, FlowRow, HttpRow,
  IssueRow, OpenOptions, OverlayView, Page, PacketDetail, PacketQuery, PacketRow, PageQuery, Progress,
  ClockSettings, LoadClusterOptions, ReportFormat, SessionSummary, SourceRef, StreamView, ComparisonOptions, ComparisonSideOptions, TxQuery,
  AnalysisThreads,
} from '../api.js';
import { ANALYSIS_THREADS, autoThreads } from '../api.js';
import { parallelInputs, requestedThreads, threadsSummary, type ServiceHost } from './parallel-runner.js';
import type { ByteSource } from '../capture/types.js';
import { LAYER_NAMES, linkTypeName, COUNTED_LAYERS } from '../dissect/layers.js';
import { AnalysisSession } from '../session/analysis-session.js';
import { offloadSummary } from '../pipeline/offloads.js';
import { formatTime, toSeconds } from '../pipeline/time.js';
import { filterCheck, PacketBrowser } from './packet-browser.js';
import { capturePointName } from './capture-point.js';
import { parseClusterMetadata, type ClusterMetadata, type MetadataFile } from '../overlay/cluster-metadata.js';
import { overlayView } from './overlay-view.js';
import { openInputs } from '../capture/open-inputs.js';
import { prepareInputs } from '../overlay/bundles/prepare.js';
import { captureSourceText } from '../overlay/bundles/point-source.js';
import { defaultSideLabel } from '../compare/sides.js';
import { sniffFormat } from '../capture/sniff.js';

/** Largest kubectl metadata file read (a big cluster's `get -A -o json` is a few MB). */
export const MAX_CLUSTER_FILE = 64 * 1024 * 1024;

export { capturePointName };

export interface SourceResolver {
  resolve(ref: SourceRef): Promise<ByteSource>;
}

/** A feature whose engine part has not landed: the UI shows this as a clear state. */
export class NotAvailableError extends Error {
  constructor(what: string) {
    super(`${what} is not available in this build yet`);
    this.name = 'NotAvailableError';
  }
}

export function refName(ref: SourceRef): string {
  switch (ref.kind) {
    case 'path': return ref.path;
    case 'blob': return ref.name;
    case 'url': return ref.name;
  }
}

import type { ServiceExtensions } from './extensions.js';
export type { ServiceExtensions } from './extensions.js';

const extensions: ServiceExtensions = {};

/** Engine modules call this at import time to add their part of the API. */
export function registerServiceExtension(ext: ServiceExtensions): void {
  Object.assign(extensions, ext);
}

export function page<T>(rows: readonly T[], q: PageQuery): Page<T> {
  const offset = Math.max(0, Math.floor(q.offset) || 0);
  const limit = Math.max(0, Math.min(10_000, Math.floor(q.limit) || 0));
  return { total: rows.length, offset, rows: rows.slice(offset, offset + limit) };
}

class ServiceImpl implements AnalyzerApi {
  private session: AnalysisSession | null = null;
  private sources: SourceRef[] = [];
  private clusterRefs: SourceRef[] = [];
  private options: OpenOptions = {};
  private sessionId = 0;
  private abort: AbortController | null = null;
  private readonly listeners = new Set<(p: Progress) => void>();
  private summaryCache: SessionSummary | null = null;
  private browser: PacketBrowser | null = null;
  /** How each session was analysed (OpenOptions.threads; src/service/parallel-runner.ts). */
  private readonly threadsOf = new WeakMap<AnalysisSession, AnalysisThreads>();

  constructor(private readonly resolver: SourceResolver, private readonly host: ServiceHost = {}) {}

  private emit(p: Progress): void {
    for (const l of this.listeners) {
      try { l(p); } catch { /* a listener's failure must not stop the engine */ }
    }
  }

  private async analyse(refs: SourceRef[], options: OpenOptions): Promise<AnalysisSession> {
    const id = ++this.sessionId;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const opened: ByteSource[] = [];
    for (const r of refs) opened.push(await this.resolver.resolve(r));
    // .gz captures, tar/zip archives, capture tools' bundles (src/capture/open-inputs.ts, src/overlay/capture-bundles.ts).
    const inputs = await openInputs(opened);
    if (!inputs.captures.length) {
      const first = inputs.notes.find((n) => n.severity === 'error');
      throw new Error(first ? `${first.file}: ${first.reason}` : 'no capture among the files opened');
    }
    const clusterMetadata = options.cluster?.length ? await this.readCluster(options.cluster) : null;
    const bundle = await prepareInputs(inputs, clusterMetadata ? { clusterMetadata } : {});
    const sources = bundle.sources;
    const total = sources.reduce((a, s) => a + s.size, 0);
    let lastEmit = 0;
    // `let`: a parallel runner that falls back to one thread returns a new session (progress reports its count).
    let session = new AnalysisSession(sources, {
      ...(options.vxlanPorts ? { vxlanPorts: options.vxlanPorts } : {}),
      ...(options.genevePorts ? { genevePorts: options.genevePorts } : {}),
      ...bundle.options,
      ...(clusterMetadata ? { clusterMetadata } : {}),
      ...(options.hosts ? { hosts: options.hosts } : {}),
      ...(options.clockCorrection === false ? { clockCorrection: false } : {}),
      signal: abort.signal,
      onProgress: (read, tot, capture) => {
        const now = Date.now();
        if (now - lastEmit < 50 && read < tot) return;
        lastEmit = now;
        this.emit({ session: id, phase: 'reading', bytesRead: read, bytesTotal: tot, capture, packets: session.packets });
      },
    });
    const origins = bundle.origins;
    if (origins.some((o) => o.path.length || o.tool) || inputs.notes.length) session.inputs = { origins, notes: [...inputs.notes, ...bundle.inputNotes] };
    this.emit({ session: id, phase: 'reading', bytesRead: 0, bytesTotal: total, capture: 0, packets: 0 });
    // Auto: chosen from the captures' sizes and the host's cores, as the CLI's default --threads auto.
    const auto = options.threads === 'auto';
    const requested = auto ? autoThreads(session.sources.map((s) => s.size), this.host.cores ?? 1) : requestedThreads(options.threads, ANALYSIS_THREADS.max);
    let threads: AnalysisThreads = { requested, used: 1, ...(auto ? { auto: true as const } : {}) };
    try {
      const plan = requested < 2 ? null : this.host.parallel ? parallelInputs(session, refs.map((ref, i) => ({ ref, source: opened[i]! }))) : 'this build analyses on one thread';
      if (plan === null || typeof plan === 'string') {
        if (plan) threads = { ...threads, note: plan };
        await session.run();
      } else {
        const out = await this.host.parallel!({ session, inputs: plan, threads: requested, signal: abort.signal });
        session = out.session;
        threads = { ...threadsSummary(requested, out), ...(auto ? { auto: true as const } : {}) };
      }
      this.threadsOf.set(session, threads);
    } catch (e) {
      this.emit({ session: id, phase: 'failed', bytesRead: 0, bytesTotal: total, capture: 0, packets: session.packets });
      throw e;
    }
    if (!abort.signal.aborted) {
      this.emit({ session: id, phase: 'correlating', bytesRead: total, bytesTotal: total, capture: sources.length - 1, packets: session.packets });
      // Build the overlay now, in the worker, so the first overlay view is instant.
      session.overlay();
    }
    const cancelled = abort.signal.aborted;
    this.emit({ session: id, phase: cancelled ? 'cancelled' : 'done', bytesRead: cancelled ? 0 : total, bytesTotal: total, capture: sources.length - 1, packets: session.packets });
    return session;
  }

  private install(session: AnalysisSession): SessionSummary {
    this.session = session;
    this.summaryCache = null;
    this.browser = new PacketBrowser(session, (scanned, total, matched) =>
      this.emit({ session: this.sessionId, phase: 'filtering', bytesRead: scanned, bytesTotal: total, capture: 0, packets: matched }));
    return this.summary();
  }

  async openSession(sources: SourceRef[], options: OpenOptions = {}): Promise<SessionSummary> {
    if (!Array.isArray(sources) || sources.length === 0) throw new Error('open needs at least one capture');
    this.sources = [...sources];
    this.options = { ...options };
    this.clusterRefs = [...(options.cluster ?? [])];
    return this.install(await this.analyse(this.sources, this.options));
  }

  async addCaptures(sources: SourceRef[]): Promise<SessionSummary> {
    if (!this.session) return this.openSession(sources);
    this.sources = [...this.sources, ...sources];
    return this.install(await this.analyse(this.sources, { ...this.options, cluster: this.clusterRefs }));
  }

  async loadCluster(sources: SourceRef[], options: LoadClusterOptions = {}): Promise<SessionSummary> {
    this.need();
    const refs = options.replace ? [...sources] : [...this.clusterRefs, ...sources];
    // Validate first: a malformed file must not replace a working session.
    await this.readCluster(refs);
    this.clusterRefs = refs;
    return this.install(await this.analyse(this.sources, { ...this.options, cluster: this.clusterRefs }));
  }

  async setClocks(settings: ClockSettings): Promise<SessionSummary> {
    this.need();
    const hosts = Object.fromEntries(Object.entries(settings.hosts).filter(([p, h]) => p && h));
    this.options = { ...this.options, hosts, clockCorrection: settings.clockCorrection };
    return this.install(await this.analyse(this.sources, { ...this.options, cluster: this.clusterRefs }));
  }

  /** Reads kubectl JSON/YAML files; an error names the file and the item. */
  private async readCluster(refs: readonly SourceRef[]): Promise<ClusterMetadata> {
    const files: MetadataFile[] = [];
    for (const r of refs) {
      const src = await this.resolver.resolve(r);
      if (src.size > MAX_CLUSTER_FILE) throw new Error(`${src.name}: ${src.size} bytes is more than the ${MAX_CLUSTER_FILE}-byte limit for cluster metadata`);
      const bytes = await src.read(0, src.size);
      // A capture picked by mistake: say so rather than show a YAML parser's complaint about its bytes.
      const format = sniffFormat(bytes.subarray(0, 16));
      if (format) throw new Error(`${src.name} is a capture (${format}), not kubectl metadata: choose the output of kubectl get nodes,pods,services,endpointslices -A -o json`);
      files.push({ name: src.name, text: new TextDecoder('utf-8').decode(bytes) });
    }
    return parseClusterMetadata(files);
  }

  async cancel(): Promise<void> {
    this.abort?.abort();
  }

  onProgress(listener: (p: Progress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private need(): AnalysisSession {
    if (!this.session) throw new Error('no capture is open');
    return this.session;
  }

  async getSummary(): Promise<SessionSummary | null> {
    return this.session ? this.summary() : null;
  }

  private summary(): SessionSummary {
    if (this.summaryCache) return this.summaryCache;
    const s = this.need();
    const caps = s.captures;
    let first: { sec: number; nsec: number } | null = null;
    let last: { sec: number; nsec: number } | null = null;
    let precision = 6;
    for (const c of caps) {
      if (!c.timed) continue;
      precision = Math.max(precision, c.precision);
      if (!first || c.firstSec < first.sec || (c.firstSec === first.sec && c.firstNsec < first.nsec)) first = { sec: c.firstSec, nsec: c.firstNsec };
      if (!last || c.lastSec > last.sec || (c.lastSec === last.sec && c.lastNsec > last.nsec)) last = { sec: c.lastSec, nsec: c.lastNsec };
    }
    const captures: CaptureInfo[] = caps.map((c) => {
      const errors = c.issues.filter((i) => i.packet === null || i.severity === 'error');
      return {
        id: c.id,
        file: c.file,
        point: capturePointName(c.file, c.interfaces),
        format: c.format ?? 'unknown',
        linkTypes: [...new Set(c.interfaces.map((i) => i.linkType))].map((id) => ({ id, name: linkTypeName(id) })),
        packets: c.packets,
        bytes: c.bytes,
        fileSize: c.fileSize,
        firstTime: c.timed ? formatTime(c.firstSec, c.firstNsec, c.precision) : null,
        lastTime: c.timed ? formatTime(c.lastSec, c.lastNsec, c.precision) : null,
        durationSec: c.timed ? toSeconds(c.lastSec - c.firstSec, c.lastNsec - c.firstNsec) : 0,
        complete: !c.stopped && !c.cancelled,
        undecoded: c.undecoded,
        errors: errors.map(issueRow),
        warnings: c.issues.length - errors.length + c.droppedIssues,
        offload: offloadSummary(c),
        source: captureSourceText(s.inputs?.origins[c.id], c.file, c.interfaces),
      };
    });
    // Packets and bytes per layer, and the timeline, from the packet index.
    const pk = new Float64Array(LAYER_NAMES.length);
    const by = new Float64Array(LAYER_NAMES.length);
    const span = first && last ? toSeconds(last.sec - first.sec, last.nsec - first.nsec) : 0;
    const bucketSec = niceBucket(span);
    const nb = Math.max(1, Math.min(2000, Math.floor(span / bucketSec) + 1));
    const counts = caps.map(() => new Float64Array(nb));
    // The timeline on the reference host's clock when hosts' clocks were corrected (src/overlay/clock-state.ts).
    const overlay = s.overlay();
    const corrected = overlay.clockState.corrected;
    caps.forEach((c, ci) => {
      const ix = c.index;
      for (let n = 0; n < ix.count; n++) {
        const m = ix.layerMask(n);
        const len = ix.origLen(n);
        for (let mm = m, id = 0; mm !== 0; mm >>>= 1, id++) if (mm & 1) { pk[id]!++; by[id]! += len; }
        if (first) {
          let t = (ix.tsSec(n) - first.sec) + (ix.tsNsec(n) - first.nsec) / 1e9;
          if (corrected) t -= overlay.correctionNs(ci, ix.iface(n), ix.tsSec(n), ix.tsNsec(n)) / 1e9;
          const b = Math.min(nb - 1, Math.max(0, Math.floor(t / bucketSec)));
          counts[ci]![b]!++;
        }
      }
    });
    const protocols = COUNTED_LAYERS.filter((id) => pk[id]! > 0).map((id) => ({ name: LAYER_NAMES[id]!, packets: pk[id]!, bytes: by[id]! }))
      .sort((a, b) => b.packets - a.packets);
    const buckets = Array.from({ length: nb }, (_, b) => ({ t: b * bucketSec, packets: counts.map((c) => c[b]!) }));
    const extra = extensions.counts?.(s) ?? { flows: 0, http: 0, dns: 0 };
    this.summaryCache = {
      session: this.sessionId,
      // The reports' label: a folder's name or the files' common prefix, never the points' names joined.
      label: this.options.label ?? defaultLabel(this.sources),
      captures,
      packets: s.packets,
      bytes: caps.reduce((a, c) => a + c.bytes, 0),
      firstTime: first ? formatTime(first.sec, first.nsec, precision) : null,
      lastTime: last ? formatTime(last.sec, last.nsec, precision) : null,
      protocols,
      timeline: { bucketSec, buckets },
      flows: extra.flows,
      http: extra.http,
      dns: extra.dns,
      issues: caps.reduce((a, c) => a + c.issues.length + c.droppedIssues, 0),
      // kubectl files, or the Services and nodes a capture tool's bundle or an iptables dump gave (src/overlay/capture-bundles.ts).
      hasCluster: this.clusterRefs.length > 0 || Boolean(s.options.clusterMetadata),
      cluster: s.options.clusterMetadata ? {
        files: s.options.clusterMetadata.files.length ? [...s.options.clusterMetadata.files] : this.clusterRefs.map(refName),
        nodes: s.options.clusterMetadata.nodes.length,
        pods: s.options.clusterMetadata.pods.length,
        services: s.options.clusterMetadata.services.length,
      } : null,
      clocks: overlay.clocks(),
      threads: this.threadsOf.get(s) ?? { requested: 1, used: 1 },
      clockNotes: overlay.clockState.notes,
    };
    return this.summaryCache;
  }

  async getIssues(q: PageQuery): Promise<Page<IssueRow>> {
    const s = this.need();
    return page(s.captures.flatMap((c) => c.issues.map(issueRow)), q);
  }

  async getPackets(q: PacketQuery): Promise<Page<PacketRow>> {
    this.need();
    return this.browser!.page(q);
  }

  async checkFilter(text: string): Promise<FilterCheck> {
    return filterCheck(text);
  }

  async getPacketDetail(capture: number, index: number): Promise<PacketDetail> {
    this.need();
    return this.browser!.detail(capture, index);
  }

  async getFlows(q: FlowQuery): Promise<Page<FlowRow>> {
    if (!extensions.queryFlows) throw new NotAvailableError('The flow table');
    const s = this.need();
    const only = q.filter?.trim() ? await this.browser!.flowsMatching(q.filter) : null;
    return extensions.queryFlows(s, q, only);
  }

  async getFlowDetail(id: number): Promise<FlowDetail> {
    if (!extensions.flowDetail) throw new NotAvailableError('Flow details');
    return extensions.flowDetail(this.need(), id);
  }

  async getStream(flow: number): Promise<StreamView> {
    if (!extensions.flowStream) throw new NotAvailableError('Follow stream');
    return extensions.flowStream(this.need(), flow);
  }

  async getHttp(q: TxQuery): Promise<Page<HttpRow>> {
    if (!extensions.queryHttp) throw new NotAvailableError('HTTP transactions');
    return extensions.queryHttp(this.need(), q);
  }

  async getDns(q: TxQuery): Promise<Page<DnsRow>> {
    if (!extensions.queryDns) throw new NotAvailableError('DNS transactions');
    return extensions.queryDns(this.need(), q);
  }

  async getOverlay(): Promise<OverlayView> {
    return overlayView(this.need());
  }

  async compare(a: SourceRef[], b: SourceRef[], labels: { a?: string; b?: string } = {}, options: OpenOptions = {}, sides: ComparisonOptions = {}): Promise<ComparisonView> {
    if (!extensions.compare) throw new NotAvailableError('Comparison');
    // A side is the open session (already read, with its metadata) or its own captures with its own metadata.
    const side = async (refs: SourceRef[], o: ComparisonSideOptions | undefined): Promise<[AnalysisSession, string]> => {
      if (o?.session) {
        // The open session's files may carry no folder (picked one by one): then its own label, else "open session".
        const l = defaultLabel(this.sources);
        const own = (this.options.label ?? '').replace(/^lab: /, '');
        return [this.need(), !/ \+ \d+ more$/.test(l) ? l : own && own.length <= 60 ? own : 'open session'];
      }
      const cluster = o?.cluster?.length ? o.cluster : options.cluster;
      const clusterMetadata = cluster?.length ? await this.readCluster(cluster) : null;
      const { cluster: _c, label: _l, ...rest } = options;
      const s = await AnalysisSession.open(await Promise.all(refs.map((r) => this.resolver.resolve(r))), {
        ...rest, ...(clusterMetadata ? { clusterMetadata } : {}),
      });
      return [s, defaultLabel(refs)];
    };
    const [sa, la] = await side(a, sides.a);
    const [sb, lb] = await side(b, sides.b);
    return extensions.compare(sa, sb, { a: labels.a || la, b: labels.b || lb }, sides.pairs ? { pairs: sides.pairs } : {});
  }

  async exportReport(format: ReportFormat): Promise<ExportedReport> {
    if (!extensions.exportReport) throw new NotAvailableError('Report export');
    // The report's title and file name: the session's own label, else the short side label (never every point's name joined).
    return extensions.exportReport(this.need(), format, this.options.label ?? defaultLabel(this.sources));
  }

  async exportData(format: DataExportFormat): Promise<ExportedReport> {
    if (!extensions.exportData) throw new NotAvailableError('Parquet and pcapng export');
    return extensions.exportData(this.need(), format, this.options.label ?? defaultLabel(this.sources));
  }
}

/** A side's short label: its one file, its folder, or its files' common prefix (src/compare/sides.ts). */
export function defaultLabel(refs: readonly SourceRef[]): string {
  return defaultSideLabel(refs.map((r) => (r.kind === 'url' ? r.url : refName(r))));
}

function issueRow(i: { capture: string; packet: number | null; offset: number; layer: string; reason: string; severity: 'error' | 'warning' }): IssueRow {
  return { capture: i.capture, packet: i.packet, offset: i.offset, layer: i.layer, reason: i.reason, severity: i.severity };
}

/** A bucket width (1, 2, 5 × 10^k seconds) giving at most ~200 buckets. */
export function niceBucket(span: number): number {
  if (!(span > 0)) return 1;
  const raw = span / 200;
  const p = 10 ** Math.floor(Math.log10(raw));
  // toPrecision: 1e-5 is not 10 × 1e-6 in binary floating point (0.000009999999999999999).
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Number((m * p).toPrecision(6));
  return Number((10 * p).toPrecision(6));
}

export function createAnalyzerService(resolver: SourceResolver, host: ServiceHost = {}): AnalyzerApi {
  return new ServiceImpl(resolver, host);
}

// Flows, transactions and streams (src/flows/), decorated by the overlay.
import { flowExtension } from './flow-extension.js';
registerServiceExtension(flowExtension);

// Compare and report (src/report/service-extension.ts).
import { compareReportExtension } from '../report/service-extension.js';
registerServiceExtension(compareReportExtension);

// Parquet and pcapng hand-offs (src/export/service-extension.ts).
import { handoffExtension } from '../export/service-extension.js';
registerServiceExtension(handoffExtension);
