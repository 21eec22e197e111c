/**
 * Which connections are worth stitching when the session has one capture
 * point. Most connections are then seen once, at one location, and stitching
 * them says nothing `flows` and `http` do not; two kinds can show more, and
 * only their tuples (each with its reverse direction) are stitched:
 *
 * - a packet seen at two locations of the point (depths, tunnels): a node NIC
 *   sees a NodePort SYN before NAT and, inside VXLAN, after it (a translation);
 * - an HTTP request whose server sends a request of its own after it arrived
 *   and before its response left (a proxy relaying upstream), and that
 *   upstream request (a journey with an upstream leg).
 *
 * The selection is a superset of what stitching and journeys would use (the
 * same packet keys and window; the window ends at a response on the reverse
 * tuple, which is never before the first response journeys use), so nothing
 * they would find is left out. Typed tables and numeric keys; linear in rows
 * apart from a sort of the request rows when they are out of time order.
 */
import { IPPROTO_TCP } from '../dissect/layers.js';
import { addressKey, NO_RESPONSE_WINDOW_NS } from './journeys.js';
import type { OverlayObserver } from './overlay-observer.js';
import { PacketKeyTable, packetKeyA, packetKeyB, SAME_PACKET_WINDOW_NS } from './stitch.js';

/** Responses of a tuple looked at after the first one at or after the request (bounds a long keep-alive connection's scan). */
const RESPONSE_SCAN = 64;
/** Upstream candidates looked at per request (journeys look at up to 64 unlinked ones). */
const CANDIDATES = 256;

/** Tuple id -> 1 when its rows are worth stitching at one capture point. */
export function tuplesWorthStitching(o: OverlayObserver): Uint8Array {
  const n = o.count;
  const time = o.time;
  // 0 no, 1 kept, 2 kept with its reverse.
  const keep = new Uint8Array(o.tupleCount);
  const mark = (tu: number): void => {
    if (keep[tu] === 2) return;
    keep[tu] = 2;
    const rt = o.reverseTuple(tu);
    if (rt >= 0 && keep[rt] === 0) keep[rt] = 1;
  };

  // 1. The same packet at two locations (as stitch() finds copies); the HTTP heads counted on the way.
  const seen = new PacketKeyTable(n);
  let requests = 0;
  for (let r = 0; r < n; r++) {
    const tu = o.tuple[r]!;
    if (o.http[r] === 1) requests++;
    if (o.tProto[tu] !== IPPROTO_TCP && o.ipId[r] === 0) continue;
    const ka = packetKeyA(o, r), kb = packetKeyB(o, r);
    const prev = seen.find(o, ka, kb);
    if (prev >= 0 && Math.abs(time[r]! - time[prev]!) < SAME_PACKET_WINDOW_NS) {
      const tp = o.tuple[prev]!;
      if (o.tLoc[tp] !== o.tLoc[tu]) { mark(tu); mark(tp); }
    } else seen.put(ka, r);
  }

  // 2. Proxies: request rows in time order, grouped by client address.
  if (requests < 2) return keep;
  const req = new Int32Array(requests);
  for (let r = 0, k = 0; r < n; r++) if (o.http[r] === 1) req[k++] = r;
  let sorted = true;
  for (let k = 1; k < requests && sorted; k++) if (time[req[k]!]! < time[req[k - 1]!]!) sorted = false;
  if (!sorted) req.sort((a, b) => time[a]! - time[b]! || a - b);
  const byClient = new Map<number | string, number[]>();
  for (let k = 0; k < requests; k++) {
    const r = req[k]!;
    const c = addressKey(o, o.tSrc, o.tuple[r]!);
    const l = byClient.get(c);
    if (l) l.push(r); else byClient.set(c, [r]);
  }
  // Only a server that is also a client can relay: most captures have none, and stop here.
  let relays = false;
  for (let k = 0; k < requests && !relays; k++) relays = byClient.has(addressKey(o, o.tDst, o.tuple[req[k]!]!));
  if (!relays) return keep;
  // Response rows per tuple (in row order).
  const T = o.tupleCount;
  const respStart = new Int32Array(T + 1);
  for (let r = 0; r < n; r++) if (o.http[r] === 2) respStart[o.tuple[r]! + 1]!++;
  for (let t = 0; t < T; t++) respStart[t + 1]! += respStart[t]!;
  const resp = new Int32Array(respStart[T]!);
  const fill = respStart.slice(0, T);
  for (let r = 0; r < n; r++) if (o.http[r] === 2) resp[fill[o.tuple[r]!]!++] = r;
  for (let k = 0; k < requests; k++) {
    const r = req[k]!;
    const tu = o.tuple[r]!;
    const list = byClient.get(addressKey(o, o.tDst, tu));
    if (!list) continue;
    const from = time[r]!;
    let until = from + NO_RESPONSE_WINDOW_NS;
    const rt = o.reverseTuple(tu);
    if (rt >= 0) {
      // The first response at or after the request that acknowledges it (as journeys pair them).
      let lo = respStart[rt]!, hi = respStart[rt + 1]!;
      const last = hi;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (time[resp[mid]!]! < from) lo = mid + 1; else hi = mid; }
      for (let q = lo; q < last && q < lo + RESPONSE_SCAN; q++) {
        const d = (o.ack[resp[q]!]! - o.seq[r]!) >>> 0;
        if (d >= 1 && d < 1 << 24) { until = time[resp[q]!]!; break; }
      }
    }
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (time[list[mid]!]! < from) lo = mid + 1; else hi = mid; }
    for (let j = lo; j < list.length && j < lo + CANDIDATES; j++) {
      const u = list[j]!;
      if (time[u]! > until) break;
      if (o.tuple[u] === tu) continue;
      mark(tu);
      mark(o.tuple[u]!);
    }
  }
  return keep;
}
