/**
 * The overlay on the namespace lab, checked against truth.json (conntrack's
 * translations, the topology, curl's client ports and which backend served
 * each request). Per-point pcaps and the merged pcapng (one interface per
 * point) must give the same answers.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Journey } from '../../src/api.js';
import { LAB, clusterMetadata, labPresent, openFiles, overlayOf, scenarioFiles, translationKeys, truth, truthTranslations } from './lab.js';

const SCENARIOS = ['nginx-proxy', 'ingress'] as const;

function hopKey(h: Journey['hops'][number]): string {
  return h.tunnel ? `${h.point}[${h.tunnel.type} ${h.tunnel.outerSrc}>${h.tunnel.outerDst} vni ${h.tunnel.vni}]` : h.point;
}

/** The request's way through the lab, hop by hop, as the scenario describes it. */
function expectedRequestPath(sc: { name: string; frontend: { pod: string } }, backend: { pod: string; node: string }): string[] {
  const nodeIp = (n: string): string => truth.nodes.find((x: { name: string }) => x.name === n).underlayIp;
  const vx = (a: string, b: string): string => `[vxlan ${nodeIp(a)}>${nodeIp(b)} vni 1]`;
  const n = backend.node;
  return [
    'client-eth0', 'node1-eth0', 'node1-flannel.1', `node1-eth0${vx('node1', 'node2')}`, `node2-eth0${vx('node1', 'node2')}`,
    'node2-flannel.1', 'node2-cni0', `pod-${sc.frontend.pod}-eth0`,
    `pod-${sc.frontend.pod}-eth0`, 'node2-cni0', 'node2-flannel.1', `node2-eth0${vx('node2', n)}`, `${n}-eth0${vx('node2', n)}`,
    `${n}-flannel.1`, `${n}-cni0`, `pod-${backend.pod}-eth0`,
  ];
}

describe.skipIf(!labPresent)('overlay on the lab captures', () => {
  for (const name of SCENARIOS) {
    describe(name, () => {
      const sc = labPresent ? truth.scenarios.find((s: { name: string }) => s.name === name) : null;

      it('infers nodes, VTEP MACs, VNIs and pod CIDRs from packets alone', async () => {
        const o = overlayOf(await openFiles(scenarioFiles(name), null));
        const inferred = o.nodes.map((n) => ({ ip: n.ip, macs: n.vtepMacs, vnis: n.vnis, cidrs: n.podCidrs.map((c) => c.cidr) }));
        // Every node that carried tunnel traffic in this scenario (all three in both).
        const expected = truth.nodes.map((n: { underlayIp: string; vtepMac: string; podCidr: string }) => ({ ip: n.underlayIp, macs: [n.vtepMac], vnis: [1], cidrs: [n.podCidr] }));
        expect(inferred).toEqual(expected);
        for (const n of o.nodes) for (const c of n.podCidrs) expect(c.evidence).toBeGreaterThan(0);
        for (const n of o.nodes) for (const c of n.podCidrs) expect(c.source).toBe('traffic');
        expect(o.nodes.every((n) => n.name === null)).toBe(true);
      });

      it('takes a node\'s pod CIDRs from the cluster metadata when it gives them, with the traffic inside as evidence', async () => {
        const md = clusterMetadata();
        // Declared wider than the /24 the traffic shows (as a CNI with bigger blocks would): the metadata wins.
        const node = md.nodes[1]!;
        const [net] = node.podCidrs[0]!.split('/');
        node.podCidrs = [`${net}/23`];
        const o = overlayOf(await openFiles(scenarioFiles(name), md));
        const n = o.nodes.find((x) => x.name === node.name)!;
        expect(n.podCidrs).toEqual([{ cidr: `${net}/23`, evidence: expect.any(Number), source: 'cluster' }]);
        expect(n.podCidrs[0]!.evidence).toBeGreaterThan(0);
        // The other nodes keep theirs from the metadata too, each with its own traffic as evidence.
        for (const x of o.nodes) {
          const want = md.nodes.find((m) => m.name === x.name)!.podCidrs;
          expect(x.podCidrs.map((c) => c.cidr)).toEqual(want);
          expect(x.podCidrs.every((c) => c.source === 'cluster' && c.evidence > 0)).toBe(true);
        }
      });

      it('counts each tunnel transmission once, with 50 bytes of outer headers each', async () => {
        const o = overlayOf(await openFiles(scenarioFiles(name), null));
        const got = o.tunnels.map((t) => `${t.a}>${t.b} vni ${t.vni}: ${t.packets}`).sort();
        const want = sc.vxlan.tunnels.map((t: { outerSrc: string; outerDst: string; vni: number; packets: number }) => `${t.outerSrc}>${t.outerDst} vni ${t.vni}: ${t.packets}`).sort();
        expect(got).toEqual(want);
        for (const t of o.tunnels) expect(t.overheadBytes).toBe(t.packets * truth.network.vxlan.encapsulationOverheadBytes);
        expect(o.tunnels.reduce((a, t) => a + t.packets, 0)).toBe(sc.vxlan.transmissions);
        expect(o.tunnels.reduce((a, t) => a + t.bytes, 0)).toBe(sc.vxlan.transmittedBytes);
      });

      it('finds every conntrack translation with both tuples, and no other (precision and recall 100 %)', async () => {
        const o = overlayOf(await openFiles(scenarioFiles(name), null));
        const want = truthTranslations(sc);
        expect(want.length).toBeGreaterThan(0);
        expect(translationKeys(o)).toEqual(want);
        // Without metadata the Service addresses are still found as candidates.
        const cands = o.candidateServices.map((c) => `${c.ip}:${c.port}`);
        expect(cands).toContain(`192.168.56.11:${sc.nodePort}`);
        if (name === 'nginx-proxy') expect(cands).toContain('10.96.0.10:80');
        expect(cands.length).toBe(name === 'nginx-proxy' ? 2 : 1);
      });

      it('with cluster.json: names every endpoint of every flow, and labels flows and translations with their Service', async () => {
        const s = await openFiles(scenarioFiles(name), clusterMetadata());
        const j = s.toJSON();
        const o = overlayOf(s);
        expect(j.flows.length).toBeGreaterThan(0);
        const podName = new Map<string, string>(truth.pods.map((p: { ip: string; namespace: string; name: string }) => [p.ip, `${p.namespace}/${p.name}`]));
        let podEndpoints = 0;
        for (const f of j.flows) {
          const id = f['identity'] as { a: { kind: string; name: string }; b: { kind: string; name: string } };
          expect(id).toBeTruthy();
          for (const [e, i] of [[f.a, id.a], [f.b, id.b]] as const) {
            if (e.ip.startsWith('10.244.')) {
              expect(['pod', 'node'], `${e.ip} in flow ${f.id}`).toContain(i.kind);
              if (podName.has(e.ip)) { expect(i).toMatchObject({ kind: 'pod', name: podName.get(e.ip) }); podEndpoints++; }
            } else if (e.ip.startsWith('192.168.56.1') && e.ip !== truth.client.ip) {
              expect(['node', 'service']).toContain(i.kind);
            } else if (e.ip === truth.client.ip) {
              expect(i.kind).toBe('external');
            }
            if (e.ip === '10.96.0.10') expect(i).toMatchObject({ kind: 'service', name: 'default/web' });
          }
          if (f.b.ip === '192.168.56.11' && f.b.port === sc.nodePort) expect(f['service']).toBe(sc.service);
          if (f.b.port === 8080) expect(f['service']).toBe('default/web');
        }
        expect(podEndpoints).toBeGreaterThan(0);
        // The flannel.1 address a NodePort masquerades to names node1.
        const masq = j.flows.find((f) => f.a.ip === '10.244.1.0');
        expect((masq?.['identity'] as { a: unknown }).a).toMatchObject({ kind: 'node', name: 'node1' });
        for (const t of o.translations) {
          expect(t.service).toBe(t.original.dst.ip === '10.96.0.10' ? 'default/web' : sc.service);
        }
        expect(o.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
        expect(o.pods.map((p) => p.ip).sort()).toEqual(truth.pods.map((p: { ip: string }) => p.ip).sort());
      });

      it('gives every client request a complete journey along the scenario path, and back', async () => {
        const o = overlayOf(await openFiles(scenarioFiles(name), clusterMetadata()));
        expect(o.journeys.length).toBe(sc.requestCount);
        const byPort = new Map<number, { servedBy: string }>(sc.requests.map((r: { clientPort: number; servedBy: string }) => [r.clientPort, r]));
        for (const jn of o.journeys) {
          expect(jn.complete).toBe(true);
          const first = jn.hops[0]!;
          const req = byPort.get(first.src.port!);
          expect(req, `journey from client port ${first.src.port}`).toBeTruthy();
          const backend = truth.pods.find((p: { short: string }) => p.short === req!.servedBy);
          const path = expectedRequestPath(sc, { pod: backend.short, node: backend.node });
          const reqHops = jn.hops.filter((h) => h.note.includes('request'));
          const respHops = jn.hops.filter((h) => h.note.includes('response'));
          expect(reqHops.map(hopKey)).toEqual(path);
          // The response retraces the path (tunnel hops in the other direction).
          expect(respHops.map((h) => h.point)).toEqual([...path].reverse().map((p) => p.replace(/\[.*$/, '')));
          // Translations where the lab applies them.
          const front = sc.frontend;
          const nat = reqHops.find((h) => h.point === 'node1-flannel.1')!;
          expect(nat.translation).toContain(`DNAT 192.168.56.11:${sc.nodePort} → ${front.ip}:80`);
          expect(nat.translation).toContain(`SNAT ${truth.client.ip}:${first.src.port} → 10.244.1.0:`);
          const up = reqHops.filter((h) => h.note.startsWith('upstream'));
          if (name === 'nginx-proxy') {
            expect(up[0]!.dst).toEqual({ ip: '10.96.0.10', port: 80 });
            expect(up[1]!.translation).toBe(`DNAT 10.96.0.10:80 → ${backend.ip}:8080`);
          } else {
            expect(up[0]!.dst).toEqual({ ip: backend.ip, port: 8080 });
            expect(up.every((h) => h.translation === null)).toBe(true);
          }
          expect(respHops.at(-1)!.dst).toEqual({ ip: truth.client.ip, port: first.src.port });
          expect(respHops.at(-1)!.src).toEqual({ ip: '192.168.56.11', port: sc.nodePort });
          for (const h of jn.hops) expect(h.packets).toBeGreaterThan(0);
          expect(jn.hops.slice(1).every((h) => h.latencyMs !== null && h.latencyMs >= 0)).toBe(true);
        }
      });

      it('names the Ingress rule a journey followed only when the request went through the ingress controller', async () => {
        const md = clusterMetadata();
        const o = overlayOf(await openFiles(scenarioFiles(name), md));
        expect(o.journeys.length).toBe(sc.requestCount);
        const controller = md.pods.find((p) => p.name.startsWith('ingress-nginx-controller'))!;
        for (const jn of o.journeys) {
          if (name === 'ingress') {
            // Same Host as the proxy scenario's requests: what decides is the controller pod, then the rule and its backend.
            expect(jn.ingress).toEqual({ namespace: 'default', name: 'web', host: 'web.overlayscope.test', path: '/', service: 'default/web', port: 80,
              controller: `${controller.namespace}/${controller.name}` });
          } else {
            expect(jn.label).toContain('web.overlayscope.test');
            expect(jn.ingress).toBeNull();
          }
        }
        // Without metadata nothing is named.
        const bare = overlayOf(await openFiles(scenarioFiles(name), null));
        expect(bare.journeys.every((j) => j.ingress === null)).toBe(true);
        // A rule for another host, or whose backend is not where the controller sent the request, is not claimed.
        const other = clusterMetadata();
        other.ingresses = other.ingresses.map((r) => ({ ...r, host: 'elsewhere.test' }));
        expect(overlayOf(await openFiles(scenarioFiles(name), other)).journeys.every((j) => j.ingress === null)).toBe(true);
        const wrongBackend = clusterMetadata();
        wrongBackend.ingresses = wrongBackend.ingresses.map((r) => ({ ...r, service: 'nginx-proxy' }));
        expect(overlayOf(await openFiles(scenarioFiles(name), wrongBackend)).journeys.every((j) => j.ingress === null)).toBe(true);
      });

      it('the merged pcapng (one interface per capture point) names points by interface and gives the same translations', async () => {
        const merged = await openFiles([path.join(LAB, 'captures', `${name}.pcapng`)], null);
        const o = overlayOf(merged);
        const points = o.capturePoints.map((p) => p.name).sort();
        const want = sc.captures.filter((c: { packets: number }) => c.packets > 0).map((c: { point: string }) => c.point).sort();
        expect(points).toEqual(want);
        expect(translationKeys(o)).toEqual(truthTranslations(sc));
        expect(o.journeys.filter((jn) => jn.complete).length).toBe(sc.requestCount);
      });
    });
  }
});
