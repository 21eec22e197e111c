/**
 * Services without visible DNAT (issue 13): a flow to an endpoint of a
 * Service on its target port whose connection was never seen translated is
 * labelled `serviceVia: 'direct'` with a note; one whose DNAT was stitched
 * (or that is addressed to the Service) `serviceVia: 'dnat'`.
 *
 * The direct case is made from the lab's real packets: every nginx-proxy
 * capture with the packets to and from the web Service's ClusterIP
 * (10.96.0.10) left out by tcpdump, as a socket-level load balancer
 * (Cilium's kube-proxy replacement) would send them: the proxy pod's
 * packets go to a web pod from the first SYN, at every capture point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpdumpCopies, type FilteredCopies } from '../helpers/tcpdump-filter.js';
import type { FlowJson } from '../../src/session/contract.js';
import { NO_DNAT_SEEN } from '../../src/overlay/overlay.js';
import { clusterMetadata, labPresent, openFiles, overlayOf, scenarioFiles, truth } from './lab.js';

const CLUSTER_IP = '10.96.0.10';

/** Flows to a web pod on the target port (8080): the proxy's upstream connections, wherever seen. */
const toWeb = (flows: FlowJson[]): FlowJson[] => flows.filter((f) => f.transport === 'tcp' && (f.b.port === 8080 || f.a.port === 8080));

describe.skipIf(!labPresent)('Services without visible DNAT (fixtures/lab nginx-proxy)', () => {
  let copies: FilteredCopies | null = null;
  let filtered: string[] = [];
  beforeAll(() => {
    copies = tcpdumpCopies(scenarioFiles('nginx-proxy'), ['not', 'host', CLUSTER_IP], 'ovs-service-via-');
    filtered = copies.files;
  });
  afterAll(() => copies?.remove());

  const sc = () => truth.scenarios.find((s: { name: string }) => s.name === 'nginx-proxy');

  it('the whole set: the upstream connections were DNATed from the ClusterIP (stitched), so every flow of the web Service says dnat', async () => {
    const j = (await openFiles(scenarioFiles('nginx-proxy'), clusterMetadata())).toJSON();
    const web = toWeb(j.flows);
    expect(web.length).toBeGreaterThan(0);
    for (const f of web) expect(f, `flow ${f.id}`).toMatchObject({ service: 'default/web', serviceVia: 'dnat' });
    expect(web.some((f) => 'serviceNote' in f)).toBe(false);
    // The flows addressed to the ClusterIP are there too, and say dnat.
    const vip = j.flows.filter((f) => f.b.ip === CLUSTER_IP || f.a.ip === CLUSTER_IP);
    expect(vip.length).toBeGreaterThan(0);
    for (const f of vip) expect(f).toMatchObject({ service: 'default/web', serviceVia: 'dnat' });
    // The client's NodePort connections: dnat, as conntrack recorded.
    const np = j.flows.filter((f) => f.b.port === sc().nodePort);
    expect(np.length).toBeGreaterThan(0);
    for (const f of np) expect(f).toMatchObject({ service: sc().service, serviceVia: 'dnat' });
  });

  it('without the ClusterIP hop: the same upstream connections go straight to the web pods, labelled direct with the note', async () => {
    const j = (await openFiles(filtered, clusterMetadata())).toJSON();
    expect(j.flows.some((f) => f.a.ip === CLUSTER_IP || f.b.ip === CLUSTER_IP)).toBe(false);
    const web = toWeb(j.flows);
    expect(web.length).toBeGreaterThan(0);
    for (const f of web) expect(f, `flow ${f.id}`).toMatchObject({ service: 'default/web', serviceVia: 'direct', serviceNote: NO_DNAT_SEEN });
    // One connection per upstream connection truth.json records (the proxy's source ports), split across the web pods as it says.
    const ports = new Set(web.map((f) => (f.b.port === 8080 ? f.a.port : f.b.port)));
    expect(ports.size).toBe(sc().connections.frontendToUpstream);
    expect([...ports].sort()).toEqual(sc().connections.frontendToUpstreamList.map((c: { sport: number }) => c.sport).sort());
    const backends = new Map<string, Set<number>>();
    for (const f of web) {
      const [pod, port] = f.b.port === 8080 ? [f.b.ip, f.a.port] : [f.a.ip, f.b.port];
      backends.set(pod, (backends.get(pod) ?? new Set<number>()).add(port ?? -1));
    }
    expect([...backends.values()].map((s) => s.size).sort()).toEqual(Object.values(sc().connections.upstreamAtBackends as Record<string, number>).sort());
    // The NodePort DNAT is still seen and still says so.
    for (const f of j.flows.filter((x) => x.b.port === sc().nodePort)) expect(f).toMatchObject({ serviceVia: 'dnat' });
    const o = overlayOf(await openFiles(filtered, clusterMetadata()));
    expect(o.translations.filter((t) => t.kind === 'dnat')).toEqual([]);
  });

  it('flows with no Service get no serviceVia', async () => {
    const j = (await openFiles(filtered, clusterMetadata())).toJSON();
    const none = j.flows.filter((f) => f['service'] === null);
    expect(none.length).toBeGreaterThan(0);
    expect(none.every((f) => !('serviceVia' in f))).toBe(true);
  });
});
