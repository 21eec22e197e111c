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
import { IPPROTO_TCP } from '../dissect/layers.js';
import type { OverlayObserver } from './overlay-observer.js';
import type { StitchResult } from './stitch.js';

/** Copies of one packet this far apart (ns) are still matched when measuring clocks (unsynchronised VMs drift by seconds). */
export const CLOCK_WINDOW_NS = 120e9;

export interface ClockOptions {
  /** Capture point name -> host (`--host POINT=HOST`); other points are grouped as hosts.ts says. */
  hosts?: Readonly<Record<string, string>>;
  /** false: measure and report offsets, but leave times as captured (`--no-clock-correction`). */
  clockCorrection?: boolean;
  /** Host -> seconds its clock is ahead of the reference host's (`--clock-offset HOST=SECONDS`): used instead of the estimate. */
  clockOffsets?: Readonly<Record<string, number>>;
}

/** One host's clock, as `clocks[]` of `overlayscope.analysis/v1` gives it (see docs/cli.md). */
export interface HostClock {
  host: string;
  capturePoints: string[];
  /** How far this host's clock is ahead of the reference host's (ms; negative: behind), null when no packet links it to the reference. */
  offsetMs: number | null;
  /** Half the width of the feasible interval (ms), summed along the links to the reference; 0 for the reference and stated offsets. */
  uncertaintyMs: number | null;
  /** Drift against the reference (parts per million: ms per 1000 s), where the capture's two halves give different offsets; null when not measured. */
  driftPpm: number | null;
  /** Copies of packets linking this host to others (each a pair of sightings at two hosts). */
  pairs: number;
  reference: boolean;
  /** Where the offset came from. */
  source: 'reference' | 'estimated' | 'stated' | 'unlinked';
  /** Whether times of this host were corrected by the offset. */
  corrected: boolean;
}

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
  /** Connections seen in one direction only, or with crossing directions (dropped as evidence). */
  oneWay: number;
  crossing: number;
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
  connections: number;
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
  edges: PairEstimate[];
  notes: string[];
}

/**
 * The evidence of each host pair: one interval per connection seen at both.
 * `slackNs`: timestamp resolution (a µs capture truncates times by up to 1 µs).
 */
export function clockEvidence(o: OverlayObserver, st: StitchResult, hostOf: Int32Array, hosts: number, slackNs: number): PairEvidence[] {
  // Per (connection, host pair): min/max D of client-to-server and server-to-client copies.
  interface Acc { i: number; j: number; minC: number; maxC: number; minS: number; maxS: number; n: number; tSum: number }
  const accs = new Map<number, Acc>();
  const copyOf = st.copyOf;
  const time = o.time;
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
  const hostRow: number[] = [];
  const add = (a: number, r: number): void => {
    const ha = hostOf[o.tPoint[o.tuple[a]!]!]!, hb = hostOf[o.tPoint[o.tuple[r]!]!]!;
    const s = st.streamOf[r]!;
    const conn = st.connOf[s]!;
    const client = st.clientSide[s] === 1;
    const [i, j, ti, tj] = ha < hb ? [ha, hb, time[a]!, time[r]!] : [hb, ha, time[r]!, time[a]!];
    const key = (conn * hosts + i) * hosts + j;
    let acc = accs.get(key);
    if (!acc) accs.set(key, (acc = { i, j, minC: Infinity, maxC: -Infinity, minS: Infinity, maxS: -Infinity, n: 0, tSum: 0 }));
    const D = tj - ti;
    if (client) { if (D < acc.minC) acc.minC = D; if (D > acc.maxC) acc.maxC = D; } else { if (D < acc.minS) acc.minS = D; if (D > acc.maxS) acc.maxS = D; }
    acc.n++;
    acc.tSum += ti;
  };
  for (let r = 0; r < n; r++) {
    if (copyOf[r]! >= 0 || next[r]! < 0) continue;
    const s = st.streamOf[r]!;
    if (s < 0 || st.connections[st.connOf[s]!]!.proto !== IPPROTO_TCP) continue;
    // The earliest sighting at each host, then every pair of hosts.
    hostRow.length = 0;
    for (let x = r; x >= 0; x = next[x]!) {
      const h = hostOf[o.tPoint[o.tuple[x]!]!]!;
      if (h < 0) continue;
      let k = 0;
      while (k < hostRow.length && hostOf[o.tPoint[o.tuple[hostRow[k]!]!]!] !== h) k++;
      if (k === hostRow.length) hostRow.push(x);
      else if (time[x]! < time[hostRow[k]!]!) hostRow[k] = x;
    }
    for (let x = 0; x < hostRow.length; x++) for (let y = x + 1; y < hostRow.length; y++) add(hostRow[x]!, hostRow[y]!);
  }
  const byPair = new Map<number, PairEvidence>();
  for (const acc of accs.values()) {
    const k = acc.i * hosts + acc.j;
    let ev = byPair.get(k);
    if (!ev) byPair.set(k, (ev = { i: acc.i, j: acc.j, bounds: [], pairs: 0, oneWay: 0, crossing: 0 }));
    ev.pairs += acc.n;
    if (acc.minC === Infinity || acc.minS === Infinity) { ev.oneWay++; continue; }
    const t = acc.tSum / acc.n;
    // i upstream for client-to-server: server-to-client D below d below client-to-server D; or the reverse.
    if (acc.maxS <= acc.minC + 2 * slackNs) ev.bounds.push({ lo: acc.maxS - slackNs, hi: acc.minC + slackNs, t });
    else if (acc.maxC <= acc.minS + 2 * slackNs) ev.bounds.push({ lo: acc.maxC - slackNs, hi: acc.minS + slackNs, t });
    else ev.crossing++;
  }
  return [...byPair.values()].sort((x, y) => x.i - y.i || x.j - y.j);
}

function intersect(bounds: readonly Bound[]): { lo: number; hi: number } {
  let lo = -Infinity, hi = Infinity;
  for (const b of bounds) { if (b.lo > lo) lo = b.lo; if (b.hi < hi) hi = b.hi; }
  return { lo, hi };
}

/** A host pair's offset: the intersection of its connections' intervals; drift from the two halves when they disagree or the capture is long. */
export function pairEstimate(ev: PairEvidence): PairEstimate | null {
  if (ev.bounds.length === 0) return null;
  const bounds = [...ev.bounds].sort((a, b) => a.t - b.t);
  const all = intersect(bounds);
  const tMean = bounds.reduce((a, b) => a + b.t, 0) / bounds.length;
  let d = (all.lo + all.hi) / 2, u = (all.hi - all.lo) / 2, slope = 0, slopeKnown = false, conflict = all.lo > all.hi;
  const t0 = tMean;
  if (bounds.length >= 4) {
    const half = bounds.length >> 1;
    const h1 = bounds.slice(0, half), h2 = bounds.slice(half);
    const a = intersect(h1), b = intersect(h2);
    const ta = h1.reduce((s, x) => s + x.t, 0) / h1.length, tb = h2.reduce((s, x) => s + x.t, 0) / h2.length;
    if (a.lo <= a.hi && b.lo <= b.hi && tb - ta > 1e9) {
      const ma = (a.lo + a.hi) / 2, mb = (b.lo + b.hi) / 2;
      slope = (mb - ma) / (tb - ta);
      slopeKnown = true;
      // The halves' intervals do not overlap: the offset moved (drift); estimate along the line through their middles.
      if (a.hi < b.lo || b.hi < a.lo) {
        d = ma + slope * (t0 - ta);
        u = Math.max(a.hi - a.lo, b.hi - b.lo) / 2;
        conflict = false;
      } else slope = 0;
    }
  }
  if (conflict) {
    // Evidence conflicts (a clock step, reordering across a cut): the median of the connections' middles, uncertainty spanning them.
    const mids = bounds.map((b) => (b.lo + b.hi) / 2).sort((x, y) => x - y);
    d = mids[mids.length >> 1]!;
    u = (mids[mids.length - 1]! - mids[0]!) / 2;
  }
  return { i: ev.i, j: ev.j, d, u, slope, slopeKnown, t0, pairs: ev.pairs, conflict, connections: ev.bounds.length };
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
        drift[other] = e.slopeKnown && !Number.isNaN(drift[best]!) ? drift[best]! + sign * e.slope : NaN;
        t0[other] = e.t0;
      }
    }
  }
  for (let h = 0; h < hosts; h++) {
    if (Number.isNaN(offsetNs[h]!)) notes.push(`no packet links ${hostNames[h]} to ${hostNames[ref]} (no connection seen at both in both directions): its times are not corrected`);
  }
  return { reference: ref, offsetNs, uncertaintyNs, drift, t0, pairs, edges, notes };
}

/** `offset` ns as ms text with µs precision. */
export function fmtMs(ns: number): string {
  return (Math.round(ns / 1e3) / 1e3).toFixed(3).replace(/\.?0+$/, '') || '0';
}

/**
 * Corrects the observer's row times in place: a row of host h loses h's
 * offset (at its time, with drift). `offsetAt(h, t)` gives the offset.
 */
export function correctRowTimes(o: OverlayObserver, hostOf: Int32Array, offsetAt: (host: number, t: number) => number): void {
  const time = o.time;
  for (let r = 0; r < o.count; r++) {
    const h = hostOf[o.tPoint[o.tuple[r]!]!]!;
    if (h < 0) continue;
    const off = offsetAt(h, time[r]!);
    if (off !== 0) time[r] = time[r]! - off;
  }
}
