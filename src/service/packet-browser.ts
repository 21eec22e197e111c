/**
 * Pages of packets across the captures of a session, in time order, with
 * filters (capture, flow, protocol, text). Rows are built on demand by
 * reading each packet back from its file; nothing but the compact index is
 * held for the whole session.
 */
import type { Page, PacketDetail, PacketQuery, PacketRow } from '../api.js';
import { describeDecoded } from '../dissect/describe.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import { LAYER_NAMES } from '../dissect/layers.js';
import type { PacketIndex } from '../engine/packet-index.js';
import type { AnalysisSession } from '../engine/session.js';
import { summarizePacket } from '../engine/packet-summary.js';
import { formatTime } from '../engine/time.js';
import { capturePointName } from './capture-point.js';

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

  constructor(private readonly session: AnalysisSession) {
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
    return this.merged;
  }

  private async select(q: PacketQuery): Promise<Selection> {
    const layerId = q.protocol ? LAYER_NAMES.indexOf(q.protocol) : -1;
    if (q.protocol && layerId < 0) throw new Error(`unknown protocol '${q.protocol}'`);
    const text = (q.text ?? '').trim().toLowerCase();
    const key = JSON.stringify([q.capture ?? null, q.flow ?? null, layerId, text]);
    if (key === JSON.stringify([null, null, -1, ''])) return this.all();
    if (this.filtered?.key === key) return this.filtered;
    const base = this.all();
    if (text && base.count > MAX_TEXT_FILTER_PACKETS) {
      throw new Error(`a text filter reads every packet back; this session has ${base.count} packets (limit ${MAX_TEXT_FILTER_PACKETS}): filter by flow or protocol instead`);
    }
    const cap = new Uint16Array(base.count);
    const idx = new Int32Array(base.count);
    let m = 0;
    for (let k = 0; k < base.count; k++) {
      const c = base.cap[k]!;
      const n = base.idx[k]!;
      if (q.capture !== undefined && c !== q.capture) continue;
      const ix = this.session.captures[c]!.index;
      if (q.flow !== undefined && ix.flowId[n] !== q.flow && ix.outerFlowId[n] !== q.flow) continue;
      if (layerId >= 0 && (ix.layerMask(n) & (1 << layerId)) === 0) continue;
      if (text) {
        const row = await this.row(c, n);
        const hay = `${row.src} ${row.dst} ${row.info} ${row.layers.join(' ')} ${row.point}`.toLowerCase();
        if (!hay.includes(text)) continue;
      }
      cap[m] = c;
      idx[m] = n;
      m++;
    }
    this.filtered = { key, cap, idx, count: m };
    return this.filtered;
  }

  async page(q: PacketQuery): Promise<Page<PacketRow>> {
    const sel = await this.select(q);
    const offset = Math.max(0, Math.floor(q.offset) || 0);
    const limit = Math.max(0, Math.min(1000, Math.floor(q.limit) || 0));
    const rows: PacketRow[] = [];
    for (let k = offset; k < Math.min(sel.count, offset + limit); k++) rows.push(await this.row(sel.cap[k]!, sel.idx[k]!));
    return { total: sel.count, offset, rows };
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
      time: formatTime(ix.tsSec(n), ix.tsNsec(n), cap.precision),
      // Seconds since the session's first packet, on the reference host's clock when hosts' clocks were corrected.
      rel: (ix.tsSec(n) - this.firstSec) + (ix.tsNsec(n) - this.firstNsec - this.session.overlay().correctionNs(c, ix.iface(n), ix.tsSec(n), ix.tsNsec(n))) / 1e9,
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
