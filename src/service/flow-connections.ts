/**
 * Flows grouped by connection for the Flows view: the stitcher
 * (src/overlay/stitch.ts) joins one TCP/UDP connection's directional streams
 * across capture points, depths (inside tunnels) and NAT; each stream's
 * tuple (point, depth, addresses, ports) is one flow of the flow table
 * (found by its key, NAT half-views by their alias). A connection is shown as
 * one row, its first view (the client's, before NAT), with the points it was
 * seen at; its views are its per-point rows. Built once per session.
 */
import type { FlowConnection } from '../api.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { FlowKey, flowHash, flowHash4 } from '../flows/flow-table.js';
import { capturePointName } from '../overlay/overlay.js';

export interface ConnectionIndex {
  /** Flow id -> connection index in `connections`, -1 when no connection holds the flow. */
  connOf: Int32Array;
  /** Connections with at least one flow; `flows` sorted by first packet time (then id). */
  connections: FlowConnection[];
  /** Connection index -> its representative flow (the first view: earliest, outermost). */
  rep: Int32Array;
}

const cache = new WeakMap<AnalysisSession, ConnectionIndex>();

export function connectionIndex(session: AnalysisSession): ConnectionIndex {
  const hit = cache.get(session);
  if (hit) return hit;
  const t = session.flows.table;
  const overlay = session.overlay();
  const o = overlay.observer;
  const st = overlay.stitched;
  const connOf = new Int32Array(t.count).fill(-1);
  const connections: FlowConnection[] = [];
  const reps: number[] = [];
  const key = new FlowKey();
  const start = (f: number) => t.firstSec(f) * 1e9 + t.firstNsec(f);
  for (const c of st.connections) {
    const flows: number[] = [];
    for (const s of c.streams) {
      const tu = s.tuple;
      const p = o.points[o.tPoint[tu]!];
      if (!p) continue;
      key.capture = p.capture;
      key.iface = p.iface;
      key.depth = o.tDepth[tu]!;
      key.version = o.tVer[tu]!;
      key.proto = o.tProto[tu]!;
      for (let w = 0; w < 4; w++) { key.src[w] = o.tSrc[tu * 4 + w]!; key.dst[w] = o.tDst[tu * 4 + w]!; }
      key.srcPort = o.tSport[tu]!;
      key.dstPort = o.tDport[tu]!;
      // The tracker hashes IPv4 keys with flowHash4 (one word an address), others with flowHash.
      const r = key.version === 4
        ? t.find4(key.capture, key.proto, key.depth, key.src[0]!, key.dst[0]!, key.srcPort, key.dstPort,
          flowHash4(key.capture, key.proto, key.depth, key.src[0]!, key.dst[0]!, key.srcPort, key.dstPort, key.iface), key.iface)
        : t.find(key, flowHash(key));
      if (r < 0) continue;
      const f = r >> 1;
      // A flow is one view of one connection: the first connection to claim it keeps it (port reuse splits streams, not flows).
      if (connOf[f] !== -1 || flows.includes(f)) continue;
      flows.push(f);
    }
    if (!flows.length) continue;
    flows.sort((x, y) => start(x) - start(y) || x - y);
    const id = connections.length;
    for (const f of flows) connOf[f] = id;
    // The first view: the earliest at the least depth (the client's packets before any tunnel or NAT).
    let rep = flows[0]!;
    for (const f of flows) if (t.depth[f]! < t.depth[rep]!) rep = f;
    const points: string[] = [];
    for (const f of flows) {
      const cap = session.captures[t.capture[f]!]!;
      const name = capturePointName(cap, t.iface[f]!);
      if (!points.includes(name)) points.push(name);
    }
    connections.push({ id, points, flows });
    reps.push(rep);
  }
  const out: ConnectionIndex = { connOf, connections, rep: Int32Array.from(reps) };
  cache.set(session, out);
  return out;
}
