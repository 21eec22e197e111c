/**
 * Pages of packets across the captures of a session, in time order, with
 * filters (capture, flow, protocol, text). Rows are built on demand by
 * reading each packet back from its file; nothing but the compact index is
 * held for the whole session.
 */
import type { FilterCheck, Page, PacketDetail, PacketQuery, PacketRow } from '../api.js';
import { compileFilter, FilterError, FilterInput, type CompiledFilter } from '../filter/index.js';
import { TcpAnalysisTable, TcpAnalyzer, TcpOccurrences } from '../filter/tcp-analysis.js';
import { sessionFacts } from './filter-facts.js';
import { describeDecoded } from '../dissect/describe.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import { LAYER_NAMES } from '../dissect/layers.js';
import type { PacketIndex } from '../pipeline/packet-index.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { summarizePacket } from '../pipeline/packet-summary.js';
import { formatTime } from '../pipeline/time.js';
import { capturePointName } from './capture-point.js';

/** Addresses and info compared as people read them ("10.0.0.9" before "10.0.0.10"). */
const packetCollator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Sessions larger than this refuse a free-text packet filter (it reads every packet back). */
export const MAX_TEXT_FILTER_PACKETS = 300_000;

interface Selection {
  key: string;
  cap: Uint16Array;
  idx: Int32Array;
  count: number;
}

export class PacketBrowser {
  private readonly firstSec: number;
  private readonly firstNsec: number;
  private merged: Selection | null = null;
  private filtered: Selection | null = null;
  private readonly points: string[];
  /** Per capture: packet index -> 1-based number in the session's time order (set with `merged`). */
  private frames: Int32Array[] = [];
  /** The last sorted selection (a permutation of a selection's positions) and what it was made for. */
  private sorted: { key: string; order: Int32Array } | null = null;

  /** `onFilterProgress`: packets scanned of total and matches so far while a display filter runs (at most every 100 ms, and at its end). */
  constructor(private readonly session: AnalysisSession, private readonly onFilterProgress?: (scanned: number, total: number, matched: number) => void) {
    let fs = Infinity, fn = 0;
    for (const c of session.captures) {
      if (c.timed && (c.firstSec < fs || (c.firstSec === fs && c.firstNsec < fn))) { fs = c.firstSec; fn = c.firstNsec; }
    }
    this.firstSec = Number.isFinite(fs) ? fs : 0;
    this.firstNsec = fn;
    this.points = session.captures.map((c) => capturePointName(c.file, c.interfaces));
  }

  /** Every packet of the session in time order (a stable merge of the captures). */
  private all(): Selection {
    if (this.merged) return this.merged;
    const caps = this.session.captures;
    const total = caps.reduce((a, c) => a + c.index.count, 0);
    const cap = new Uint16Array(total);
    const idx = new Int32Array(total);
    const overlay = this.session.overlay();
    if (overlay.clockState.corrected) {
      // Hosts' clocks apart (src/overlay/clock-state.ts): merge on the reference host's clock.
      const times = caps.map((c, ci) => {
        const ix = c.index;
        const t = new Float64Array(ix.count);
        for (let n = 0; n < ix.count; n++) {
          const s = ix.tsSec(n), ns = ix.tsNsec(n);
          t[n] = (s - this.firstSec) * 1e9 + (ns - this.firstNsec) - overlay.correctionNs(ci, ix.iface(n), s, ns);
        }
        return t;
      });
      const orders = times.map((t) => Int32Array.from(Array.from({ length: t.length }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b)));
      mergeInto(cap, idx, orders, (c, n, bc, bn) => times[c]![n]! < times[bc]![bn]!);
    } else {
      const ix = caps.map((c) => c.index);
      mergeInto(cap, idx, ix.map(sortedOrder), (c, n, bc, bn) => {
        const s = ix[c]!.tsSec(n), bs = ix[bc]!.tsSec(bn);
        return s < bs || (s === bs && ix[c]!.tsNsec(n) < ix[bc]!.tsNsec(bn));
      });
    }
    this.merged = { key: '', cap, idx, count: total };
    this.frames = caps.map((c) => new Int32Array(c.index.count));
    for (let k = 0; k < total; k++) this.frames[cap[k]!]![idx[k]!] = k + 1;
    return this.merged;
  }

  private async select(q: PacketQuery): Promise<Selection> {
    const layerId = q.protocol ? LAYER_NAMES.indexOf(q.protocol) : -1;
    if (q.protocol && layerId < 0) throw new Error(`unknown protocol '${q.protocol}'`);
    const text = (q.text ?? '').trim().toLowerCase();
    const filterText = (q.filter ?? '').trim();
    const key = JSON.stringify([q.capture ?? null, q.flow ?? null, layerId, text, filterText]);
    if (key === JSON.stringify([null, null, -1, '', ''])) return this.all();
    if (this.filtered?.key === key) return this.filtered;
    let filter: CompiledFilter | null = null;
    if (filterText) {
      try {
        filter = compileFilter(filterText);
      } catch (e) {
        if (e instanceof FilterError) throw new Error(e.message);
        throw e;
      }
    }
    const base = this.all();
    if ((text || filter) && base.count > MAX_TEXT_FILTER_PACKETS) {
      throw new Error(`a ${filter ? 'display' : 'text'} filter reads every packet back; this session has ${base.count} packets (limit ${MAX_TEXT_FILTER_PACKETS}): filter by flow or protocol instead`);
    }
    // tcp.seq, tcp.analysis.*: state over each capture's packets in file order, built once before the scan (which skips and merges).
    if (filter?.tcpAnalysis) await this.tcpTables();
    const cap = new Uint16Array(base.count);
    const idx = new Int32Array(base.count);
    let m = 0;
    const report = filter ? this.onFilterProgress : undefined;
    let lastReport = Date.now();
    for (let k = 0; k < base.count; k++) {
      if (report && (k & 1023) === 0 && Date.now() - lastReport >= 100) { lastReport = Date.now(); report(k, base.count, m); }
      const c = base.cap[k]!;
      const n = base.idx[k]!;
      if (q.capture !== undefined && c !== q.capture) continue;
      const ix = this.session.captures[c]!.index;
      if (q.flow !== undefined && ix.flowId[n] !== q.flow && ix.outerFlowId[n] !== q.flow) continue;
      if (layerId >= 0 && (ix.layerMask(n) & (1 << layerId)) === 0) continue;
      if (filter && !(await this.matches(filter, c, n))) continue;
      if (text) {
        const row = await this.row(c, n);
        const hay = `${row.src} ${row.dst} ${row.info} ${row.layers.join(' ')} ${row.point}`.toLowerCase();
        if (!hay.includes(text)) continue;
      }
      cap[m] = c;
      idx[m] = n;
      m++;
    }
    report?.(base.count, base.count, m);
    this.filtered = { key, cap, idx, count: m };
    return this.filtered;
  }

  /** Whether packet n of capture c matches a display filter (frame fields as tshark gives them for that capture's file). */
  private async matches(filter: CompiledFilter, c: number, n: number): Promise<boolean> {
    const { bytes, decoded } = await this.session.readPacket(c, n);
    const cap = this.session.captures[c]!;
    const ix = cap.index;
    const x = this.filterInput ??= new FilterInput();
    if (x.facts !== this.facts) x.facts = this.facts ??= sessionFacts(this.session);
    x.next(decoded, bytes, 0, bytes.length);
    x.capture = c;
    x.index = n;
    x.frameNumber = n + 1;
    x.frameLen = ix.origLen(n);
    x.frameCapLen = ix.capLen(n);
    x.interfaceId = ix.iface(n);
    x.hasInterface = cap.format === 'pcapng';
    x.timeRelative = (ix.tsSec(n) - ix.tsSec(0)) + (ix.tsNsec(n) - ix.tsNsec(0)) / 1e9;
    x.timeMs = ix.tsSec(n) * 1000 + ix.tsNsec(n) / 1e6;
    x.tcp = filter.tcpAnalysis && this.tcp ? this.tcp[c]!.load(n, this.tcpOcc) : null;
    return filter.test(x);
  }

  /**
   * The TCP sequence analysis of every capture, each read once in file order
   * (a packet's index is its record number), kept per packet: the scan visits
   * packets in session time order and skips some, the analysis may not.
   */
  private async tcpTables(): Promise<void> {
    if (this.tcp) return;
    const caps = this.session.captures;
    const total = caps.reduce((a, c) => a + c.index.count, 0);
    let done = 0;
    let lastReport = Date.now();
    const tables: TcpAnalysisTable[] = [];
    const occ = new TcpOccurrences();
    for (let c = 0; c < caps.length; c++) {
      const ix = caps[c]!.index;
      const an = new TcpAnalyzer();
      const table = new TcpAnalysisTable();
      for (let n = 0; n < ix.count; n++, done++) {
        if (this.onFilterProgress && (done & 1023) === 0 && Date.now() - lastReport >= 100) { lastReport = Date.now(); this.onFilterProgress(done, total, 0); }
        const { bytes, decoded } = await this.session.readPacket(c, n);
        an.next(n, decoded, bytes, 0, ix.tsSec(n), ix.tsNsec(n), occ);
        table.add(occ);
      }
      tables.push(table);
    }
    this.tcp = tables;
  }

  private tcp: TcpAnalysisTable[] | null = null;
  private readonly tcpOcc = new TcpOccurrences();

  /** The flows with a packet matching a display filter (its flow and, for a tunnelled packet, the outer flow). */
  async flowsMatching(filter: string): Promise<Set<number>> {
    const sel = await this.select({ offset: 0, limit: 0, filter });
    const out = new Set<number>();
    for (let k = 0; k < sel.count; k++) {
      const ix = this.session.captures[sel.cap[k]!]!.index;
      const n = sel.idx[k]!;
      if (ix.flowId[n]! >= 0) out.add(ix.flowId[n]!);
      if (ix.outerFlowId[n]! >= 0) out.add(ix.outerFlowId[n]!);
    }
    return out;
  }

  private filterInput: FilterInput | null = null;
  private facts: ReturnType<typeof sessionFacts> | null = null;

  async page(q: PacketQuery): Promise<Page<PacketRow>> {
    const sel = await this.select(q);
    const order = await this.order(sel, q.sort);
    const offset = Math.max(0, Math.floor(q.offset) || 0);
    const limit = Math.max(0, Math.min(1000, Math.floor(q.limit) || 0));
    const rows: PacketRow[] = [];
    for (let k = offset; k < Math.min(sel.count, offset + limit); k++) {
      const at = order ? order[k]! : k;
      const row = await this.row(sel.cap[at]!, sel.idx[at]!);
      const prev = k > 0 ? (order ? order[k - 1]! : k - 1) : -1;
      row.delta = prev < 0 ? 0 : row.rel - this.relOf(sel.cap[prev]!, sel.idx[prev]!);
      rows.push(row);
    }
    return { total: sel.count, offset, rows };
  }

  /**
   * The order of a selection's positions for `sort` (null: time order as
   * selected). Stable: equal keys keep time order, in either direction.
   * Keys from the index cost one pass; src, dst, layers and info read every
   * packet of the selection back (refused over MAX_TEXT_FILTER_PACKETS).
   */
  private async order(sel: Selection, sort: PacketQuery['sort']): Promise<Int32Array | null> {
    if (!sort) return null;
    const key = sort.key === 'time' || sort.key === 'rel' || sort.key === 'no' ? 'frame' : sort.key;
    const dir = sort.dir === 'desc' ? -1 : 1;
    if (key === 'frame' && dir > 0) return null;
    const cacheKey = JSON.stringify([sel.key, sel.count, key, dir]);
    if (this.sorted?.key === cacheKey) return this.sorted.order;
    const n = sel.count;
    const pos = Array.from({ length: n }, (_, i) => i);
    const caps = this.session.captures;
    let num: Float64Array | null = null;
    let text: string[] | null = null;
    switch (key) {
      case 'frame': break;
      case 'index': num = Float64Array.from(pos, (k) => sel.idx[k]!); break;
      case 'len': num = Float64Array.from(pos, (k) => caps[sel.cap[k]!]!.index.origLen(sel.idx[k]!)); break;
      case 'caplen': num = Float64Array.from(pos, (k) => caps[sel.cap[k]!]!.index.capLen(sel.idx[k]!)); break;
      case 'point': text = pos.map((k) => this.points[sel.cap[k]!]!); break;
      case 'src': case 'dst': case 'info': case 'layers': {
        if (n > MAX_TEXT_FILTER_PACKETS) throw new Error(`sorting by ${key} reads every packet back; this selection has ${n} packets (limit ${MAX_TEXT_FILTER_PACKETS}): filter first`);
        text = new Array<string>(n);
        for (let k = 0; k < n; k++) {
          const r = await this.row(sel.cap[k]!, sel.idx[k]!);
          text[k] = key === 'layers' ? r.layers.join(' ') : r[key];
        }
        break;
      }
      default: throw new Error(`cannot sort packets by '${key}'`);
    }
    if (num) { const v = num; pos.sort((x, y) => (v[x]! - v[y]!) * dir || x - y); }
    else if (text) { const v = text; pos.sort((x, y) => packetCollator.compare(v[x]!, v[y]!) * dir || x - y); }
    else pos.reverse();
    const order = Int32Array.from(pos);
    this.sorted = { key: cacheKey, order };
    return order;
  }

  async row(c: number, n: number): Promise<PacketRow> {
    const { bytes, decoded } = await this.session.readPacket(c, n);
    return this.rowFrom(c, n, bytes, decoded);
  }

  private rowFrom(c: number, n: number, bytes: Uint8Array, decoded: DecodedPacket): PacketRow {
    const cap = this.session.captures[c]!;
    const ix = cap.index;
    const s = summarizePacket(decoded, bytes, 0, bytes.length);
    const flow = ix.flowId[n]!;
    return {
      capture: c,
      index: n,
      frame: this.frameOf(c, n),
      time: formatTime(ix.tsSec(n), ix.tsNsec(n), cap.precision),
      // Seconds since the session's first packet, on the reference host's clock when hosts' clocks were corrected.
      rel: this.relOf(c, n),
      point: this.points[c]!,
      caplen: ix.capLen(n),
      len: ix.origLen(n),
      layers: s.layers,
      src: s.src,
      dst: s.dst,
      info: s.info,
      flow: flow >= 0 ? flow : null,
      issue: decoded.issueLayer >= 0 ? `${LAYER_NAMES[decoded.issueLayer]}: ${decoded.issueReason}` : null,
    };
  }

  /** Seconds since the session's first packet, on the reference host's clock when hosts' clocks were corrected. */
  private relOf(c: number, n: number): number {
    const ix = this.session.captures[c]!.index;
    return (ix.tsSec(n) - this.firstSec) + (ix.tsNsec(n) - this.firstNsec - this.session.overlay().correctionNs(c, ix.iface(n), ix.tsSec(n), ix.tsNsec(n))) / 1e9;
  }

  /** The session frame number of a packet (merges the captures first if no page has). */
  private frameOf(c: number, n: number): number {
    this.all();
    return this.frames[c]?.[n] ?? 0;
  }

  async detail(c: number, n: number): Promise<PacketDetail> {
    const { bytes, decoded } = await this.session.readPacket(c, n);
    const row = this.rowFrom(c, n, bytes, decoded);
    const layers = describeDecoded(bytes, decoded);
    const cap = this.session.captures[c]!;
    const issue = decoded.issueLayer >= 0
      ? { capture: cap.file, packet: n + 1, offset: cap.index.fileOffset(n) + decoded.issueOffset, layer: LAYER_NAMES[decoded.issueLayer]!, reason: decoded.issueReason, severity: 'warning' as const }
      : null;
    return { row, layers, bytes, issue };
  }
}

/**
 * A stable merge of per-capture time orders into (capture, index) pairs:
 * `earlier(c, n, bc, bn)` says whether packet n of capture c comes strictly
 * before packet bn of capture bc (ties keep the lower capture first).
 */
function mergeInto(cap: Uint16Array, idx: Int32Array, orders: readonly Int32Array[], earlier: (c: number, n: number, bc: number, bn: number) => boolean): void {
  const pos = orders.map(() => 0);
  for (let k = 0; k < cap.length; k++) {
    let best = -1;
    for (let c = 0; c < orders.length; c++) {
      const p = pos[c]!;
      if (p >= orders[c]!.length) continue;
      if (best < 0 || earlier(c, orders[c]![p]!, best, orders[best]![pos[best]!]!)) best = c;
    }
    cap[k] = best;
    idx[k] = orders[best]![pos[best]!]!;
    pos[best]!++;
  }
}

/** Indices 0..count-1 ordered by time (identity when already in order, the usual case). */
function sortedOrder(ix: PacketIndex): Int32Array {
  const count = ix.count;
  const order = new Int32Array(count);
  let sorted = true;
  for (let i = 0; i < count; i++) {
    order[i] = i;
    if (i > 0 && sorted) {
      const s = ix.tsSec(i), p = ix.tsSec(i - 1);
      if (s < p || (s === p && ix.tsNsec(i) < ix.tsNsec(i - 1))) sorted = false;
    }
  }
  if (!sorted) {
    // Times copied out once: the sort compares them O(n log n) times.
    const sec = new Float64Array(count), nsec = new Uint32Array(count);
    for (let i = 0; i < count; i++) { sec[i] = ix.tsSec(i); nsec[i] = ix.tsNsec(i); }
    const arr = Array.from(order);
    arr.sort((a, b) => (sec[a]! - sec[b]!) || (nsec[a]! - nsec[b]!) || a - b);
    order.set(arr);
  }
  return order;
}

/** A display filter checked without running it (AnalyzerApi.checkFilter). */
export function filterCheck(text: string): FilterCheck {
  try {
    const f = compileFilter(text);
    return { ok: true, message: null, line: 0, column: 0, offset: 0, fields: [...f.fields] };
  } catch (e) {
    if (e instanceof FilterError) return { ok: false, message: e.message, line: e.line, column: e.column, offset: e.offset, fields: [] };
    throw e;
  }
}
