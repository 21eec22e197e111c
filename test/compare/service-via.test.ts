/**
 * compare counts connections that reached a Service with no DNAT seen apart
 * from DNATed ones (issue 13). The lab's nginx-proxy set against the same
 * set with every packet to or from the web ClusterIP removed by tcpdump (the
 * proxy's upstream connections then go straight to the web pods, as with
 * socket-level load balancing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tcpdumpCopies, type FilteredCopies } from '../helpers/tcpdump-filter.js';
import { compareSessions, type Comparison } from '../../src/compare/compare.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { LAB, labPresent, labTruth, scenarioFiles } from './lab.js';

/** The explanation names each side with its label once ("A (nginx-proxy)"), then "A": sentences compared without the labels. */
const unlabel = (l: string): string => l.replace(/\b([AB]) \([^)]*\)/g, '$1');


const CLUSTER_IP = '10.96.0.10';

async function open(files: string[], withCluster: boolean): Promise<AnalysisSession> {
  const md = parseClusterMetadata([{ name: 'cluster.json', text: readFileSync(path.join(LAB, 'cluster.json'), 'utf8') }]);
  return AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f))), withCluster ? { clusterMetadata: md } : {});
}

const metric = (c: Comparison, prefix: string) => {
  const m = c.metrics.find((x) => x.name.startsWith(prefix));
  if (!m) throw new Error(`no metric '${prefix}...'`);
  return m;
};

describe.skipIf(!labPresent)('compare: Services with and without a visible DNAT (fixtures/lab nginx-proxy)', () => {
  let copies: FilteredCopies | null = null;
  let filtered: string[] = [];
  beforeAll(() => {
    copies = tcpdumpCopies(scenarioFiles('nginx-proxy'), ['not', 'host', CLUSTER_IP], 'ovs-compare-via-');
    filtered = copies.files;
  });
  afterAll(() => copies?.remove());

  it('counts the upstream connections as DNATed in A and as direct in B; the client NodePort connections as DNATed in both', async () => {
    const sc = labTruth().scenarios.find((s) => s.name === 'nginx-proxy')!;
    const c = await compareSessions(await open(scenarioFiles('nginx-proxy'), true), await open(filtered, true), { a: 'kube-proxy', b: 'socket-lb' });
    const clientConns = sc.connections.clientToNodePort;
    const upstream = sc.connections.frontendToUpstream;
    expect(metric(c, 'connections to a Service through a visible DNAT')).toMatchObject({ a: clientConns + upstream, b: clientConns });
    expect(metric(c, 'connections to a Service endpoint with no DNAT seen')).toMatchObject({ a: 0, b: upstream, delta: upstream });
    expect(c.explanation.map(unlabel)).toContain(`A: 0 of ${clientConns + upstream} connections to Services go straight to an endpoint with no DNAT seen (socket-level load balancing or direct access to the pod), ${clientConns + upstream} through a visible DNAT; `
      + `B: ${upstream} of ${clientConns + upstream} connections to Services go straight to an endpoint with no DNAT seen (socket-level load balancing or direct access to the pod), ${clientConns} through a visible DNAT.`);
    // The packets per request end to end are those of the same connections less the ClusterIP copies.
    expect(metric(c, 'HTTP requests (sent by clients)')).toMatchObject({ a: sc.requestCount, b: sc.requestCount });
  }, 60_000);

  it('without metadata there are no such rows', async () => {
    const c = await compareSessions(await open(filtered, false), await open(filtered, false), { a: 'x', b: 'y' });
    expect(c.metrics.some((m) => m.name.startsWith('connections to a Service'))).toBe(false);
  }, 60_000);
});
