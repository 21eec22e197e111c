/**
 * The flow table, transactions and streams in the UI service, with each
 * flow row decorated by the overlay's identity resolver (pods, nodes,
 * Services from cluster metadata; time-aware).
 */
import type { FlowQuery, FlowRow } from '../api.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { endpoints, flowCommunityId } from '../flows/flow-output.js';
import { flowDetail, flowStream, queryDns, queryFlows, queryHttp, type FlowDecorator, type FlowView } from './flow-queries.js';
import { connectionIndex } from './flow-connections.js';
import { inferredIdentities, podOnNode } from '../overlay/inferred-identities.js';
import type { ServiceExtensions } from './extensions.js';

/**
 * Fills identityA/identityB/service from the overlay's cluster metadata;
 * without metadata, identityA/identityB with what the captures show
 * (inferred-identities.ts: nodes, their overlay addresses, "pod on node2",
 * NodePorts, Services seen DNATed; marked `inferred`). A tunnelled flow's
 * `tunnel` gets the nodes at its outer flow's ends (`from`, `to`).
 */
export function identityDecorator(session: AnalysisSession): FlowDecorator | undefined {
  const overlay = session.overlay();
  const inferred = overlay.resolver ? null : inferredIdentities(overlay);
  const t = session.flows.table;
  const nodeName = (ip: string): string | null => overlay.resolver?.nodeNameOf(ip) ?? inferred?.node(ip)?.name ?? null;
  if (!overlay.resolver && !inferred!.nodes.length) return undefined;
  return (row: FlowRow) => {
    if (inferred) {
      row.identityA = inferred.resolve(row.a.ip, row.a.port);
      row.identityB = inferred.resolve(row.b.ip, row.b.port);
    } else {
      row.identityA = podOnNode(overlay.identity(row.a, row.firstTime));
      row.identityB = podOnNode(overlay.identity(row.b, row.firstTime));
      row.service = overlay.serviceOfFlow(row.a, row.b);
      row.serviceVia = row.service ? overlay.serviceVia(row.a, row.b) : null;
    }
    if (row.tunnel && row.tunnel.outerFlow >= 0 && row.tunnel.outerFlow < t.count) {
      const o = endpoints(t, row.tunnel.outerFlow);
      const from = nodeName(o.a.ip), to = nodeName(o.b.ip);
      if (from && to) { row.tunnel.from = from; row.tunnel.to = to; }
    }
  };
}

/** The ids of captures whose timestamps are all zero (Inspektor Gadget: `source.timestamps` "zero"), none for most sessions. */
function untimedCaptures(session: AnalysisSession): ReadonlySet<number> {
  const out = new Set<number>();
  session.inputs?.origins.forEach((o, i) => { if (o?.timestamps === 'zero') out.add(i); });
  return out;
}

/** Why a row from an untimed capture has no RTT or HTTP durations (the title of its "—"). */
export const UNTIMED_NOTE = 'not measured: this capture\'s timestamps are all zero (Inspektor Gadget), so no RTT or duration can be taken from it';

/** Identities, the connection each flow is a view of (flow-connections.ts) and its Community ID; no RTT from an untimed capture. */
function rowDecorator(session: AnalysisSession): FlowDecorator {
  const ident = identityDecorator(session);
  const conns = connectionIndex(session);
  const untimed = untimedCaptures(session);
  const t = session.flows.table;
  return (row: FlowRow) => {
    ident?.(row);
    if (untimed.size && untimed.has(t.capture[row.id]!)) { row.rttMs = null; row.untimed = UNTIMED_NOTE; }
    const c = conns.connOf[row.id]!;
    row.connection = c >= 0 ? conns.connections[c]! : null;
    row.communityId = flowCommunityId(session, row.id);
  };
}

/** `connections`: one row per connection (its first view; filters match any of its views) and the flows of none; `connection`: that connection's views. */
function connectionView(session: AnalysisSession, q: FlowQuery): FlowView {
  const conns = connectionIndex(session);
  const untimed = untimedCaptures(session);
  const t = session.flows.table;
  const numeric: Record<string, (f: number) => number> = { points: (f: number) => { const c = conns.connOf[f]!; return c >= 0 ? conns.connections[c]!.points.length : 1; } };
  // RTTs from untimed captures are shown as none: they sort as none (-1), not as the 0 the zero timestamps give.
  if (untimed.size) numeric['rttMs'] = (f) => (t.proto[f] === 6 && !untimed.has(t.capture[f]!) ? session.flows.tcp.rttNs[f]! : -1);
  if (q.connection !== undefined) return { include: (f) => conns.connOf[f] === q.connection, numeric };
  if (q.connections) return { group: (f) => { const c = conns.connOf[f]!; return c < 0 ? f : conns.rep[c]!; }, numeric };
  return { numeric };
}

/** A view narrowed to the flows a display filter left (any of their packets matched). */
function onlyFlows(view: FlowView, only: ReadonlySet<number> | null): FlowView {
  if (!only) return view;
  const inner = view.include;
  return { ...view, include: (f) => only.has(f) && (!inner || inner(f)) };
}

export const flowExtension: ServiceExtensions = {
  queryFlows: (s, q, only) => queryFlows(s, q, rowDecorator(s), onlyFlows(connectionView(s, q), only ?? null)),
  flowDetail: (s, id) => flowDetail(s, id, rowDecorator(s)),
  flowStream: (s, id) => flowStream(s, id),
  queryHttp: (s, q) => {
    const untimed = untimedCaptures(s);
    const t = s.flows.table;
    return queryHttp(s, q, untimed.size ? (r) => { if (untimed.has(t.capture[r.flow]!)) { r.ttfbMs = null; r.totalMs = null; r.untimed = UNTIMED_NOTE; } } : undefined);
  },
  queryDns: (s, q) => queryDns(s, q),
  counts: (s) => ({ flows: s.flows.table.count, http: s.flows.http.transactions.length, dns: s.flows.dns.transactions.length }),
};
