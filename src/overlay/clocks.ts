/**
 * Clock offsets between hosts, from the packets seen at both (issue #12).
 *
 * Each host (hosts.ts) stamps packets with its own clock: observed time
 * T = t + o_host. The same packet seen at hosts i and j (a copy found by
 * stitching: same TCP seq/ack, IP id, flags, payload length and digest;
 * inside tunnels too) gives D = T_j - T_i = (t_j - t_i) + d, where
 * d = o_j - o_i. A packet travelling from i to j has t_j > t_i, so d < D; one
 * travelling from j to i has d > D (causality: Paxson, "On calibrating
 * measurements of packet transit times", SIGMETRICS 1998; NTP's
 * offset-delay bounds). So d lies in the feasible interval
 * (max D of j->i packets, min D of i->j packets); the estimate is its middle
 * and the uncertainty half its width.
 *
 * Which way a packet travelled between i and j is not known from the
 * addresses (NAT and proxies rewrite them), but within one stitched
 * connection every client-to-server packet takes one way and every
 * server-to-client packet the other: of the two orientations only one gives
 * a non-empty interval (the D of one direction all lie above those of the
 * other). So each connection seen at both hosts, in both directions, gives an
 * interval; a host pair's interval is the intersection of its connections'.
 * An empty intersection is conflicting evidence (a clock stepped, or drift):
 * the two halves of the capture are then estimated apart and drift reported.
 *
 * Host offsets relative to a reference host (the one linked to most others)
 * follow the host-pair links of least uncertainty (Dijkstra on the summed
 * uncertainty); a host no packet links to the reference keeps its times.
 */
import type { HostClockRow } from '../api.js';
import { IPPROTO_TCP } from '../dissect/layers.js';
import type { OverlayObserver } from './overlay-observer.js';
import type { StitchResult } from './stitch.js';

/** Copies of one packet this far apart (ns) are still matched when measuring clocks (unsynchronised VMs drift by seconds). */
export const CLOCK_WINDOW_NS = 120e9;
/** A pair's evidence must span this long (ns) before its disagreement is read as drift. */
const DRIFT_MIN_SPAN_NS = 0.25e9;

export interface ClockOptions {
  /** Capture point name -> host (`--host POINT=HOST`); other points are grouped as hosts.ts says. */
  hosts?: Readonly<Record<string, string>>;
  /** false: measure and report offsets, but leave times as captured (`--no-clock-correction`). */
  clockCorrection?: boolean;
  /** Host -> seconds its clock is ahead of the reference host's (`--clock-offset HOST=SECONDS`): used instead of the estimate. */
  clockOffsets?: Readonly<Record<string, number>>;
}

// The pipeline's AnalyzeOptions carry these (the pipeline below never imports the overlay).
declare module '../pipeline/analyze.js' {
  interface AnalyzeOptions extends ClockOptions {}
}

/** One host's clock, as `clocks[]` of `overlayscope.analysis/v1` gives it (see docs/cli.md; the fields are documented on HostClockRow). */
export type HostClock = HostClockRow;

interface Bound {
  lo: number;
  hi: number;
  /** Mean time (ns) of the connection's sightings at the lower host. */
  t: number;
}

interface PairEvidence {
  i: number;
  j: number;
  bounds: Bound[];
  pairs: number;
}

export interface PairEstimate {
  i: number;
  j: number;
  /** o_j - o_i (ns) at time `t0`. */
  d: number;
  u: number;
  /** Change of d per ns of time (drift), 0 when not measured. */
  slope: number;
  slopeKnown: boolean;
  t0: number;
  pairs: number;
  conflict: boolean;
}

export interface ClockEstimate {
  reference: number;
  /** Per host: offset (ns) at `t0[h]` relative to the reference; NaN when unlinked. */
  offsetNs: Float64Array;
  uncertaintyNs: Float64Array;
  /** Per host: drift (ns per ns) relative to the reference; NaN when not measured. */
  drift: Float64Array;
  t0: Float64Array;
  pairs: Float64Array;
  notes: string[];
  /** Per note: the host it says is unlinked (undefined for other notes). */
  unlinked: Array<number | undefined>;
}

/**
 * Calls `fn` once per packet seen at two or more hosts (TCP only): `rows` are
 * all its sightings (the first row, then its copies), `conn` its stitched
 * connection and `client` whether it travelled client-to-server.
 */
function forEachSharedPacket(o: OverlayObserver, st: StitchResult, hostOf: Int32Array, fn: (rows: readonly number[], conn: number, client: boolean) => void): void {
  const copyOf = st.copyOf;
  const n = copyOf.length;
  // Sightings of one packet: the first row, then its copies chained (next row of the same packet).
  const next = new Int32Array(n).fill(-1);
  const tail = new Int32Array(n).fill(-1);
  for (let r = 0; r < n; r++) {
    const a = copyOf[r]!;
    if (a < 0) continue;
    const t = tail[a]! < 0 ? a : tail[a]!;
    next[t] = r;
    tail[a] = r;
  }
  const rows: number[] = [];
  for (let r = 0; r < n; r++) {
    if (copyOf[r]! >= 0 || next[r]! < 0) continue;
    const s = st.streamOf[r]!;
    if (s < 0 || st.connections[st.connOf[s]!]!.proto !== IPPROTO_TCP) continue;
    rows.length = 0;
    let h0 = -2, several = false;
    for (let x = r; x >= 0; x = next[x]!) {
      const h = hostOf[o.tPoint[o.tuple[x]!]!]!;
      if (h < 0) continue;
      if (h0 === -2) h0 = h; else if (h !== h0) several = true;
      rows.push(x);
    }
    if (several) fn(rows, st.connOf[s]!, st.clientSide[s] === 1);
  }
}

/** The earliest sighting at each host among `rows`: [host, row] pairs. */
function earliestPerHost(o: OverlayObserver, hostOf: Int32Array, rows: readonly number[], out: number[]): void {
  out.length = 0;
  const time = o.time;
  for (const x of rows) {
    const h = hostOf[o.tPoint[o.tuple[x]!]!]!;
    let k = 0;
    while (k < out.length && out[k] !== h) k += 2;
    if (k === out.length) out.push(h, x);
    else if (time[x]! < time[out[k + 1]!]!) out[k + 1] = x;
  }
}

export interface ClockEvidence {
  pairs: PairEvidence[];
  /**
   * Per (connection, host pair i < j), key `(conn * hosts + i) * hosts + j`:
   * 1 when i is upstream of j for client-to-server packets, -1 when j is;
   * absent when the connection does not tell (one direction only, or delays
   * below the timestamp resolution).
   */
  upstream: Map<number, number>;
}

/**
 * The evidence of each host pair: one interval per connection seen at both.
 * `slackNs`: timestamp resolution (a µs capture truncates times by up to 1 µs).
 */
export function clockEvidence(o: OverlayObserver, st: StitchResult, hostOf: Int32Array, hosts: number, slackNs: number): ClockEvidence {
  // Per (connection, host pair): min/max D of client-to-server and server-to-client copies.
  interface Acc { i: number; j: number; minC: number; maxC: number; minS: number; maxS: number; n: number; tSum: number; sumC: number; nC: number; sumS: number; nS: number }
  const accs = new Map<number, Acc>();
  const time = o.time;
  const firsts: number[] = [];
  forEachSharedPacket(o, st, hostOf, (rows, conn, client) => {
    earliestPerHost(o, hostOf, rows, firsts);
    for (let x = 0; x < firsts.length; x += 2) {
      for (let y = x + 2; y < firsts.length; y += 2) {
        const ha = firsts[x]!, hb = firsts[y]!, a = firsts[x + 1]!, b = firsts[y + 1]!;
        const [i, j, ti, tj] = ha < hb ? [ha, hb, time[a]!, time[b]!] : [hb, ha, time[b]!, time[a]!];
        const key = (conn * hosts + i) * hosts + j;
        let acc = accs.get(key);
        if (!acc) accs.set(key, (acc = { i, j, minC: Infinity, maxC: -Infinity, minS: Infinity, maxS: -Infinity, n: 0, tSum: 0, sumC: 0, nC: 0, sumS: 0, nS: 0 }));
        const D = tj - ti;
        if (client) { if (D < acc.minC) acc.minC = D; if (D > acc.maxC) acc.maxC = D; acc.sumC += D; acc.nC++; } else { if (D < acc.minS) acc.minS = D; if (D > acc.maxS) acc.maxS = D; acc.sumS += D; acc.nS++; }
        acc.n++;
        acc.tSum += ti;
      }
    }
  });
  const byPair = new Map<number, PairEvidence>();
  const upstream = new Map<number, number>();
  for (const [key, acc] of accs) {
    const k = acc.i * hosts + acc.j;
    let ev = byPair.get(k);
    if (!ev) byPair.set(k, (ev = { i: acc.i, j: acc.j, bounds: [], pairs: 0 }));
    ev.pairs += acc.n;
    // One direction only: no bound from this connection.
    if (acc.minC === Infinity || acc.minS === Infinity) continue;
    const t = acc.tSum / acc.n;
    // i upstream for client-to-server: server-to-client D below d below client-to-server D; or the reverse.
    const iUp = acc.maxS <= acc.minC + 2 * slackNs;
    const jUp = acc.maxC <= acc.minS + 2 * slackNs;
    if (iUp) ev.bounds.push({ lo: acc.maxS - slackNs, hi: acc.minC + slackNs, t });
    else if (jUp) ev.bounds.push({ lo: acc.maxC - slackNs, hi: acc.minS + slackNs, t });
    if (iUp !== jUp) upstream.set(key, iUp ? 1 : -1);
    else if (iUp) {
      // Delays within the timestamp resolution: the direction whose copies lag more on average went downstream.
      const lag = acc.sumC / acc.nC - acc.sumS / acc.nS;
      if (lag !== 0) upstream.set(key, lag > 0 ? 1 : -1);
    }
  }
  return { pairs: [...byPair.values()].sort((x, y) => x.i - y.i || x.j - y.j), upstream };
}

/**
 * After correction, a packet's sightings keep the order it travelled in:
 * where a host downstream of another (by its connection's evidence) first
 * shows the packet no later than the upstream host last did (the correction
 * is exact only to its uncertainty, a few µs), that host's sightings of the
 * packet move to 1 ns after the upstream one's last. Returns the packets
 * moved.
 */
export function keepCausalOrder(o: OverlayObserver, st: StitchResult, hostOf: Int32Array, hosts: number, upstream: ReadonlyMap<number, number>): number {
  const time = o.time;
  const firsts: number[] = [];
  const lasts: number[] = [];
  let moved = 0;
  forEachSharedPacket(o, st, hostOf, (rows, conn, client) => {
    earliestPerHost(o, hostOf, rows, firsts);
    // The packet left the upstream host at its last sighting there (a node NIC sees it in VXLAN, then after un-DNAT).
    lasts.length = 0;
    for (let k = 0; k < firsts.length; k += 2) {
      let last = firsts[k + 1]!;
      for (const r of rows) if (hostOf[o.tPoint[o.tuple[r]!]!] === firsts[k] && time[r]! > time[last]!) last = r;
      lasts.push(last);
    }
    let changed = false;
    // Each pass fixes at least one pair or stops; a packet crosses few hosts.
    for (let pass = 0; pass < firsts.length; pass++) {
      let any = false;
      for (let x = 0; x < firsts.length; x += 2) {
        for (let y = x + 2; y < firsts.length; y += 2) {
          const hx = firsts[x]!, hy = firsts[y]!;
          const [i, j] = hx < hy ? [hx, hy] : [hy, hx];
          const u = upstream.get((conn * hosts + i) * hosts + j);
          if (u === undefined) continue;
          // The upstream host of this packet: i when i is upstream for client-to-server and the packet is one.
          const up = (u === 1) === client ? i : j;
          const [ku, kd] = up === hx ? [x, y] : [y, x];
          const tu = time[lasts[ku >> 1]!]!, td = time[firsts[kd + 1]!]!;
          if (td > tu) continue;
          const delta = tu + 1 - td;
          const hd = firsts[kd]!;
          for (const r of rows) if (hostOf[o.tPoint[o.tuple[r]!]!] === hd) time[r] = time[r]! + delta;
          any = changed = true;
        }
      }
      if (!any) break;
    }
    if (changed) moved++;
  });
  return moved;
}

function intersect(bounds: readonly Bound[]): { lo: number; hi: number } {
  let lo = -Infinity, hi = Infinity;
  for (const b of bounds) { if (b.lo > lo) lo = b.lo; if (b.hi < hi) hi = b.hi; }
  return { lo, hi };
}

/**
 * A host pair's offset: the intersection of its connections' intervals, its
 * middle the estimate. When they do not intersect and span enough time, the
 * offset may be drifting: the least-squares line through the intervals'
 * middles, and the intervals with that line taken out; if those intersect,
 * the line is the drift (offset at the evidence's mean time `t0`). Otherwise
 * the evidence conflicts: the median of the middles.
 */
export function pairEstimate(ev: PairEvidence): PairEstimate | null {
  if (ev.bounds.length === 0) return null;
  const bounds = ev.bounds;
  const all = intersect(bounds);
  const n = bounds.length;
  const t0 = bounds.reduce((a, b) => a + b.t, 0) / n;
  const base = { i: ev.i, j: ev.j, t0, pairs: ev.pairs };
  if (all.lo <= all.hi) return { ...base, d: (all.lo + all.hi) / 2, u: (all.hi - all.lo) / 2, slope: 0, slopeKnown: false, conflict: false };
  const span = bounds.reduce((a, b) => Math.max(a, b.t), -Infinity) - bounds.reduce((a, b) => Math.min(a, b.t), Infinity);
  if (n >= 3 && span >= DRIFT_MIN_SPAN_NS) {
    let sxy = 0, sxx = 0;
    const mMean = bounds.reduce((a, b) => a + (b.lo + b.hi) / 2, 0) / n;
    for (const b of bounds) { const x = b.t - t0; sxy += x * ((b.lo + b.hi) / 2 - mMean); sxx += x * x; }
    const slope = sxx > 0 ? sxy / sxx : 0;
    const r = intersect(bounds.map((b) => ({ lo: b.lo - slope * (b.t - t0), hi: b.hi - slope * (b.t - t0), t: b.t })));
    if (r.lo <= r.hi) return { ...base, d: (r.lo + r.hi) / 2, u: (r.hi - r.lo) / 2, slope, slopeKnown: true, conflict: false };
  }
  // Evidence conflicts (a clock step, reordering across a cut): the median of the connections' middles, uncertainty spanning them.
  const mids = bounds.map((b) => (b.lo + b.hi) / 2).sort((x, y) => x - y);
  return { ...base, d: mids[n >> 1]!, u: (mids[n - 1]! - mids[0]!) / 2, slope: 0, slopeKnown: false, conflict: true };
}

/** Offsets of every host relative to a reference, along the links of least summed uncertainty. */
export function solveClocks(hosts: number, evidence: readonly PairEvidence[], hostNames: readonly string[]): ClockEstimate {
  const edges: PairEstimate[] = [];
  const notes: string[] = [];
  const pairs = new Float64Array(hosts);
  for (const ev of evidence) {
    pairs[ev.i] += ev.pairs;
    pairs[ev.j] += ev.pairs;
    const e = pairEstimate(ev);
    if (e) edges.push(e);
    if (e?.conflict) notes.push(`the clocks of ${hostNames[ev.i]} and ${hostNames[ev.j]} give conflicting evidence (${ev.bounds.length} connections whose feasible intervals do not overlap): the offset is their median, ±${fmtMs(e.u)} ms`);
  }
  // Reference: the host linked to the most others, then the most pairs, then the first.
  const degree = new Float64Array(hosts);
  for (const e of edges) { degree[e.i]++; degree[e.j]++; }
  let ref = 0;
  for (let h = 1; h < hosts; h++) if (degree[h]! > degree[ref]! || (degree[h] === degree[ref] && pairs[h]! > pairs[ref]!)) ref = h;
  const offsetNs = new Float64Array(hosts).fill(NaN);
  const uncertaintyNs = new Float64Array(hosts).fill(NaN);
  const drift = new Float64Array(hosts).fill(NaN);
  const t0 = new Float64Array(hosts);
  offsetNs[ref] = 0; uncertaintyNs[ref] = 0; drift[ref] = 0;
  const done = new Uint8Array(hosts);
  for (;;) {
    let best = -1;
    for (let h = 0; h < hosts; h++) if (!done[h] && !Number.isNaN(offsetNs[h]!) && (best < 0 || uncertaintyNs[h]! < uncertaintyNs[best]!)) best = h;
    if (best < 0) break;
    done[best] = 1;
    for (const e of edges) {
      const other = e.i === best ? e.j : e.j === best ? e.i : -1;
      if (other < 0 || done[other]) continue;
      const sign = e.i === best ? 1 : -1;
      const u = uncertaintyNs[best]! + e.u;
      if (Number.isNaN(offsetNs[other]!) || u < uncertaintyNs[other]!) {
        // Offsets are referred to the edge's time origin; drift carries the offset along.
        offsetNs[other] = offsetNs[best]! + (Number.isNaN(drift[best]!) ? 0 : drift[best]! * (e.t0 - t0[best]!)) + sign * e.d;
        uncertaintyNs[other] = u;
        // Drift is measured where some link on the path measured it (a link whose intervals agree without it adds none).
        const before = Number.isNaN(drift[best]!) ? 0 : drift[best]!;
        drift[other] = e.slopeKnown || (best !== ref && !Number.isNaN(drift[best]!)) ? before + sign * e.slope : NaN;
        t0[other] = e.t0;
      }
    }
  }
  const unlinked: Array<number | undefined> = notes.map(() => undefined);
  for (let h = 0; h < hosts; h++) {
    if (Number.isNaN(offsetNs[h]!)) unlinked[notes.length] = h;
    if (Number.isNaN(offsetNs[h]!)) notes.push(`no packet links ${hostNames[h]} to ${hostNames[ref]} (no connection seen at both in both directions): its times are not corrected`);
  }
  return { reference: ref, offsetNs, uncertaintyNs, drift, t0, pairs, notes, unlinked };
}

/** `offset` ns as ms text with µs precision. */
export function fmtMs(ns: number): string {
  return (Math.round(ns / 1e3) / 1e3).toFixed(3).replace(/\.?0+$/, '') || '0';
}

/**
 * Corrects the observer's row times in place: a row of host h loses h's
 * offset (at its time, with drift). `offsetAt(h, t)` gives the offset.
 * Returns how many rows had a non-zero offset (0: no time changed).
 */
export function correctRowTimes(o: OverlayObserver, hostOf: Int32Array, offsetAt: (host: number, t: number) => number): number {
  const time = o.time;
  let changed = 0;
  for (let r = 0; r < o.count; r++) {
    const h = hostOf[o.tPoint[o.tuple[r]!]!]!;
    if (h < 0) continue;
    const off = offsetAt(h, time[r]!);
    if (off !== 0) { time[r] = time[r]! - off; changed++; }
  }
  return changed;
}
