/**
 * A session's hosts and clocks, measured once after reading: capture points
 * grouped into hosts (hosts.ts), offsets estimated from the packets seen at
 * two hosts (clocks.ts), and, unless turned off, the observer's row times
 * corrected so that everything after (stitching, translations, journeys, hop
 * latencies) orders packets on the reference host's clock. The packet list
 * and `compare` ask `correctionNs` for the same correction per packet.
 */
import type { OverlayObserver } from './overlay-observer.js';
import type { IdentityResolver } from './cluster-metadata.js';
import type { OverlayNode } from '../api.js';
import { groupHosts, splitPointName, type HostGrouping } from './hosts.js';
import { clockEvidence, CLOCK_WINDOW_NS, correctRowTimes, fmtMs, keepCausalOrder, solveClocks, type ClockOptions, type HostClock } from './clocks.js';
import { stitch, type StitchResult } from './stitch.js';

export type { ClockOptions } from './clocks.js';

export interface ClockState {
  grouping: HostGrouping;
  clocks: HostClock[];
  /** Sentences for the overlay's notes (offsets found, conflicts, unlinked hosts). */
  notes: string[];
  /** Whether row times were corrected. */
  corrected: boolean;
  /**
   * The session's stitch (SAME_PACKET_WINDOW_NS) when the clocks' wide one is
   * it: no row time changed and no copy matched further apart than the
   * same-packet window (StitchResult.wideCopies). Null: stitch again.
   */
  stitched?: StitchResult | null;
  /** Per point: ns to subtract from a packet's time at `tNs` (ns since the observer's baseSec). */
  correctionNs(point: number, tNs: number): number;
  /**
   * The same for a capture point that holds no TCP/UDP packet (so no point of
   * the observer: ARP only), by its name: stated with --host, or named
   * `<host>-<interface>` after a host.
   */
  correctionByName(name: string, tNs: number): number;
}

/** What measureClocks needs of the overlay analysis (OverlayAnalysis implements it). */
export interface ClockSubject {
  readonly observer: OverlayObserver;
  readonly captures: ReadonlyArray<{ interfaces: ReadonlyArray<{ id: number; linkType: number; parentId?: number }>; precision: number }>;
  readonly resolver: IdentityResolver | null;
  pointName(p: number): string;
  nodes(): OverlayNode[];
}

const NO_CORRECTION = (): number => 0;

export function measureClocks(a: ClockSubject, options: ClockOptions): ClockState {
  const o = a.observer;
  const names = o.points.map((_, p) => a.pointName(p));
  const anyInterface = new Set<number>();
  a.captures.forEach((c, i) => { if (c.interfaces.some((x) => x.parentId !== undefined)) anyInterface.add(i); });
  const grouping = groupHosts(o, {
    names,
    captureOf: o.points.map((p) => p.capture),
    anyInterfaceCaptures: anyInterface,
    stated: options.hosts ? new Map(Object.entries(options.hosts)) : undefined,
    nodes: o.points.length >= 2 ? a.nodes() : [],
    resolver: a.resolver,
  });
  const H = grouping.hosts.length;
  const hostNames = grouping.hosts.map((h) => h.name);
  const pointsOf = (h: number): string[] => grouping.hosts[h]!.points.map((p) => names[p]!);
  if (H < 2 || o.count === 0) {
    return {
      grouping, notes: [], corrected: false, correctionNs: NO_CORRECTION, correctionByName: NO_CORRECTION,
      clocks: grouping.hosts.map((h, i) => ({ host: h.name, capturePoints: pointsOf(i), offsetMs: 0, uncertaintyMs: 0, driftPpm: null, pairs: 0, reference: i === 0, source: 'reference' as const, corrected: false })),
    };
  }
  // Copies of one packet at two hosts, matched over a window wide enough for clocks seconds apart.
  const wide = stitch(o, null, CLOCK_WINDOW_NS);
  // Timestamp resolution: at least 1 µs (files declared ns often hold µs times: mergecap of pcaps).
  const slack = a.captures.reduce((m, c) => Math.max(m, 10 ** (9 - Math.min(9, c.precision))), 1e3);
  const evidence = clockEvidence(o, wide, grouping.hostOf, H, slack);
  const est = solveClocks(H, evidence.pairs, hostNames);
  const stated = options.clockOffsets ?? {};
  const offset = new Float64Array(H);
  /** The offset times are corrected by (0 where the clocks agree within the uncertainty). */
  const applied = new Float64Array(H);
  const drift = new Float64Array(H);
  const t0 = new Float64Array(H);
  const clocks: HostClock[] = [];
  for (let h = 0; h < H; h++) {
    const s = stated[hostNames[h]!];
    const linked = !Number.isNaN(est.offsetNs[h]!);
    const isRef = h === est.reference;
    let source: HostClock['source'] = isRef ? 'reference' : linked ? 'estimated' : 'unlinked';
    if (s !== undefined && Number.isFinite(s)) { source = 'stated'; offset[h] = s * 1e9; }
    else if (linked) {
      offset[h] = est.offsetNs[h]!; drift[h] = Number.isNaN(est.drift[h]!) ? 0 : est.drift[h]!; t0[h] = est.t0[h]!;
      // Zero inside the feasible interval, no drift: the clocks agree as far as the packets tell; times stay as captured.
      applied[h] = Math.abs(offset[h]!) <= est.uncertaintyNs[h]! && drift[h] === 0 ? 0 : offset[h]!;
    }
    if (source === 'stated') applied[h] = offset[h]!;
    const driftKnown = source === 'estimated' && !Number.isNaN(est.drift[h]!);
    clocks.push({
      host: hostNames[h]!, capturePoints: pointsOf(h),
      offsetMs: source === 'unlinked' ? null : round6(offset[h]! / 1e6),
      uncertaintyMs: source === 'estimated' ? round6(est.uncertaintyNs[h]! / 1e6) : source === 'unlinked' ? null : 0,
      driftPpm: isRef ? null : driftKnown ? Math.round(est.drift[h]! * 1e6 * 1000) / 1000 : null,
      pairs: est.pairs[h]!, reference: isRef, source, corrected: false,
    });
  }
  // A host whose captures hold no TCP/UDP packet (an empty capture) has nothing to link: no note.
  const empty = (h: number): boolean => grouping.hosts[h]!.points.every((p) => !o.pointPackets[p]);
  const notes = est.notes.filter((_n, i) => !(est.unlinked[i] !== undefined && empty(est.unlinked[i]!)));
  const correct = options.clockCorrection !== false;
  const refName = hostNames[est.reference]!;
  for (let h = 0; h < H; h++) {
    const c = clocks[h]!;
    if (c.reference || c.offsetMs === null) continue;
    c.corrected = correct && applied[h] !== 0;
    const ahead = c.offsetMs >= 0 ? 'ahead of' : 'behind';
    const pm = c.source === 'estimated' ? ` ± ${fmtMs(est.uncertaintyNs[h]!)}` : '';
    const why = c.source === 'stated' ? ' (as stated)' : '';
    const driftText = c.driftPpm ? `, drifting ${c.driftPpm} ppm` : '';
    if (applied[h] !== 0 || c.source === 'stated') {
      notes.push(`${c.host}'s clock is ${fmtMs(Math.abs(offset[h]!))}${pm} ms ${ahead} ${refName}'s${why}${driftText}; ${correct ? 'times corrected' : 'times not corrected (--no-clock-correction)'}`);
    }
  }
  const pointHost = grouping.hostOf;
  const offsetAt = (h: number, t: number): number => applied[h]! + (drift[h] ? drift[h]! * (t - t0[h]!) : 0);
  const correctionNs = correct ? (p: number, t: number): number => { const h = pointHost[p]; return h === undefined || h < 0 ? 0 : offsetAt(h, t); } : NO_CORRECTION;
  const hostIndex = new Map(hostNames.map((n, i) => [n, i]));
  const correctionByName = correct ? (name: string, t: number): number => {
    const h = hostIndex.get(options.hosts?.[name] ?? splitPointName(name)?.host ?? '');
    return h === undefined ? 0 : offsetAt(h, t);
  } : NO_CORRECTION;
  let changed = 0;
  if (correct) {
    changed += correctRowTimes(o, pointHost, offsetAt);
    // Corrected times are exact to the uncertainty (µs): sightings of one packet at two hosts keep the order it travelled in.
    if (clocks.some((c) => c.corrected)) changed += keepCausalOrder(o, wide, pointHost, H, evidence.upstream);
  }
  // Stitching the same row times again with the narrower window would give `wide` itself (see findCopies in stitch.ts).
  const stitched = changed === 0 && wide.wideCopies === 0 ? wide : null;
  return { grouping, clocks, notes, corrected: correct && clocks.some((c) => c.corrected), correctionNs, correctionByName, stitched };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
