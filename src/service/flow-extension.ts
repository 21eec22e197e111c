/**
 * The flow table, transactions and streams in the UI service, with each
 * flow row decorated by the overlay's identity resolver (pods, nodes,
 * Services from cluster metadata; time-aware).
 */
import type { FlowRow } from '../api.js';
import type { AnalysisSession } from '../engine/session.js';
import { flowDetail, flowStream, queryDns, queryFlows, queryHttp, type FlowDecorator } from '../flows/queries.js';
import type { ServiceExtensions } from './analyzer-service.js';

/** Fills identityA/identityB/service from the overlay; null without cluster metadata. */
export function identityDecorator(session: AnalysisSession): FlowDecorator | undefined {
  const overlay = session.overlay();
  // Without metadata the resolver answers null for every address.
  if (overlay.identity({ ip: '127.0.0.1', port: null }, null) === null) return undefined;
  return (row: FlowRow) => {
    row.identityA = overlay.identity(row.a, row.firstTime);
    row.identityB = overlay.identity(row.b, row.firstTime);
    row.service = overlay.serviceOfFlow(row.a, row.b);
  };
}

export const flowExtension: ServiceExtensions = {
  queryFlows: (s, q) => queryFlows(s, q, identityDecorator(s)),
  flowDetail: (s, id) => flowDetail(s, id, identityDecorator(s)),
  flowStream: (s, id) => flowStream(s, id),
  queryHttp: (s, q) => queryHttp(s, q),
  queryDns: (s, q) => queryDns(s, q),
  counts: (s) => ({ flows: s.flows.table.count, http: s.flows.http.transactions.length, dns: s.flows.dns.transactions.length }),
};
