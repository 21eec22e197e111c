/**
 * What the engine infers without cluster metadata (src/overlay/inferred-identities.ts),
 * on the lab's captures opened without cluster.json, against fixtures/lab/truth.json:
 * node names and addresses, overlay addresses, "pod on nodeN", the NodePort and the
 * ClusterIP seen DNATed, and the flow rows' "A is"/"B is" and tunnel ends.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowRow } from '../../src/api.js';
import { queryFlows } from '../../src/service/flow-queries.js';
import { inferredIdentities } from '../../src/overlay/inferred-identities.js';
import { overlayView } from '../../src/service/overlay-view.js';
import { identityDecorator } from '../../src/service/flow-extension.js';
import { LAB, clusterMetadata, labPresent, openFiles, scenarioFiles, truth } from './lab.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
describe.skipIf(!labPresent)('inferred identities on the lab without metadata', () => {
  for (const scenario of ['nginx-proxy', 'ingress']) {
    it(`${scenario}: nodes, their addresses, pods on nodes, NodePort and Services as truth.json`, async () => {
      const sc = truth.scenarios.find((s: any) => s.name === scenario);
      const s = await openFiles(scenarioFiles(scenario), null);
      const inf = inferredIdentities(s.overlay());
      // Every truth node, by its underlay address, with its name and pod subnet.
      expect(inf.nodes.map((n) => [n.ip, n.name, n.namedBy]).sort()).toEqual(truth.nodes.map((n: any) => [n.underlayIp, n.name, 'capture-points']).sort());
      for (const n of truth.nodes) {
        expect(inf.node(n.underlayIp)!.podCidrs).toContain(n.podCidr);
        expect(inf.resolve(n.underlayIp, null)).toMatchObject({ kind: 'node', name: n.name, inferred: true });
        expect(inf.resolve(n.vtepIp, null)).toMatchObject({ kind: 'node', name: n.name, inferred: true });
        expect(inf.resolve(n.vtepIp, null)!.detail).toContain('flannel.1');
        expect(inf.resolve(n.cni0Ip, null)).toMatchObject({ kind: 'node', name: n.name, inferred: true });
        expect(inf.resolve(n.cni0Ip, null)!.detail).toContain('cni0');
      }
      for (const p of truth.pods) expect(inf.resolve(p.ip, p.ports[0].containerPort)).toEqual(expect.objectContaining({ kind: 'pod', name: `pod on ${p.node}`, node: p.node, inferred: true }));
      // The client is nothing the overlay shows.
      expect(inf.resolve(truth.client.ip, sc.journeys[0].client.port)).toBeNull();
      // The NodePort: the entry node's address at the scenario's port, DNATed to the frontend pod.
      const entry = truth.nodes.find((n: any) => n.name === sc.entryNode);
      const np = inf.resolve(entry.underlayIp, sc.nodePort)!;
      expect(np).toMatchObject({ kind: 'service', name: `NodePort ${sc.nodePort} on ${sc.entryNode}`, node: sc.entryNode, inferred: true });
      expect(np.detail).toContain(`${sc.frontend.ip}:80`);
      // ClusterIPs: the upstream destinations that conntrack DNATed (nginx-proxy: the web Service; ingress: none).
      const dnatted = new Set<string>(sc.journeys.filter((j: any) => j.upstream.dnat).map((j: any) => `${j.upstream.connection.dst}:${j.upstream.connection.dport}`));
      for (const d of dnatted) {
        const [ip, port] = d.split(':');
        const id = inf.resolve(ip!, Number(port))!;
        expect(id).toMatchObject({ kind: 'service', name: `Service ${d}`, inferred: true });
        const backends = new Set<string>(sc.journeys.filter((j: any) => `${j.upstream.connection.dst}:${j.upstream.connection.dport}` === d).map((j: any) => `${j.upstream.backend.ip}:${j.upstream.backend.port}`));
        for (const b of backends) expect(id.detail).toContain(b);
      }
      const svc = truth.services.find((x: any) => x.type === 'ClusterIP');
      if (!dnatted.size) expect(inf.resolve(svc.clusterIp, svc.ports[0].port)).toBeNull();
    }, 60_000);
  }

  it('the UI view names every journey address: without metadata as inferred (nodes, pods on nodes, NodePort, ClusterIP), with cluster.json by its objects', async () => {
    const sc = truth.scenarios.find((s: any) => s.name === 'nginx-proxy');
    const bare = overlayView(await openFiles(scenarioFiles('nginx-proxy'), null));
    const j = sc.journeys[0];
    const id = (v: typeof bare, ip: string, port: number | null) => v.identities![`${ip}|${port ?? ''}`] ?? v.identities![`${ip}|`];
    expect(id(bare, j.nodePort.ip, j.nodePort.port)).toMatchObject({ kind: 'service', name: `NodePort ${j.nodePort.port} on ${sc.entryNode}`, inferred: true });
    expect(id(bare, j.frontend.ip, j.frontend.port)).toMatchObject({ kind: 'pod', name: `pod on ${sc.frontend.node}`, inferred: true });
    expect(id(bare, j.frontend.seenSource.ip, j.frontend.seenSource.port)).toMatchObject({ kind: 'node', name: sc.entryNode, inferred: true });
    expect(id(bare, j.upstream.connection.dst, j.upstream.connection.dport)).toMatchObject({ kind: 'service', name: `Service ${j.upstream.connection.dst}:${j.upstream.connection.dport}` });
    expect(id(bare, j.client.ip, j.client.port)).toBeUndefined();
    expect(bare.nodes.map((n) => [n.ip, n.name, n.nameInferred])).toEqual(truth.nodes.map((n: any) => [n.underlayIp, n.name, true]));
    expect(bare.pods.map((p) => [p.ip, p.node]).sort()).toEqual(truth.pods.filter((p: any) => p.role !== 'ingress-controller').map((p: any) => [p.ip, p.node]).sort());
    const named = overlayView(await openFiles(scenarioFiles('nginx-proxy'), clusterMetadata()));
    expect(Object.values(named.identities!).some((i) => i.inferred)).toBe(false);
    expect(id(named, j.upstream.backend.ip, j.upstream.backend.port)).toMatchObject({ kind: 'pod', name: `default/${j.upstream.backend.podName}` });
    expect(named.services.find((s) => s.name === 'web')!.endpoints!.map((e) => e.ip).sort()).toEqual(truth.services.find((s: any) => s.name === 'web').endpoints.map((e: any) => e.ip).sort());
  }, 60_000);

  it('metadata without the pods (nodes and Services only): addresses in a node\'s podCIDR are pods on that node, inferred', async () => {
    const md = clusterMetadata();
    md.pods = [];
    const s = await openFiles(scenarioFiles('nginx-proxy'), md);
    const rows = queryFlows(s, { offset: 0, limit: 10_000 }, identityDecorator(s)).rows;
    for (const p of truth.pods) {
      const r = rows.find((x) => x.b.ip === p.ip);
      if (!r) continue;
      expect(r.identityB).toMatchObject({ kind: 'pod', name: `pod on ${p.node}`, node: p.node, inferred: true });
    }
    expect(rows.filter((x) => truth.pods.some((p: any) => p.ip === x.b.ip)).length).toBeGreaterThan(0);
    const v = overlayView(s);
    const j = truth.scenarios.find((x: any) => x.name === 'nginx-proxy').journeys[0];
    expect(v.identities![`${j.upstream.backend.ip}|${j.upstream.backend.port}`]).toMatchObject({ name: `pod on ${j.upstream.backend.node}`, inferred: true });
  }, 60_000);

  it('any-interface sessions (tcpdump -i any per node, SLL2 and SLL): the nodes named after their files, as truth.json', async () => {
    for (const variant of ['sll2', 'sll']) {
      const dir = path.join(LAB, 'captures', `nginx-proxy-any-${variant}`);
      const s = await openFiles(readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f)), null);
      const inf = inferredIdentities(s.overlay());
      expect(inf.nodes.map((n) => [n.ip, n.name]).sort()).toEqual(truth.nodes.map((n: any) => [n.underlayIp, n.name]).sort());
      for (const p of truth.pods) expect(inf.resolve(p.ip, null)?.name).toBe(`pod on ${p.node}`);
    }
  }, 60_000);

  it('one capture point: a node NIC alone names its own node (the address all its tunnels share, or the NodePort it DNATs); the nodes it only talks to keep their address', async () => {
    const node2 = truth.nodes.find((n: any) => n.name === 'node2');
    const s = await openFiles(scenarioFiles('nginx-proxy').filter((f) => f.endsWith(`${node2.name}-eth0.pcap`)), null);
    const inf = inferredIdentities(s.overlay());
    expect(inf.nodes.map((n) => n.name).sort()).toEqual(truth.nodes.map((n: any) => (n.name === node2.name ? n.name : `node ${n.underlayIp}`)).sort());
    // node3's NIC alone sees only node3 <-> node2: either address could be its own, so neither is named.
    const node3 = truth.nodes.find((n: any) => n.name === 'node3');
    const three = inferredIdentities((await openFiles(scenarioFiles('nginx-proxy').filter((f) => f.endsWith(`${node3.name}-eth0.pcap`)), null)).overlay());
    expect(three.nodes.every((n) => n.namedBy === 'address')).toBe(true);
    // node1's NIC alone also sees one pair, but it DNATs the NodePort (before and after, both at node1-eth0): its own address is the one the client addressed.
    const sc = truth.scenarios.find((x: any) => x.name === 'nginx-proxy');
    const node1 = truth.nodes.find((n: any) => n.name === sc.entryNode);
    const one = inferredIdentities((await openFiles(scenarioFiles('nginx-proxy').filter((f) => f.endsWith(`${node1.name}-eth0.pcap`)), null)).overlay());
    expect(one.nodes.map((n) => [n.ip, n.name])).toEqual(one.nodes.map((n) => [n.ip, n.ip === node1.underlayIp ? node1.name : `node ${n.ip}`]));
    expect(one.node(node1.underlayIp)?.name).toBe(node1.name);
  }, 60_000);

  it('nginx-proxy: flow rows say what A and B are and name the tunnel by its nodes; with metadata, nothing is marked inferred', async () => {
    const sc = truth.scenarios.find((s: any) => s.name === 'nginx-proxy');
    const s = await openFiles(scenarioFiles('nginx-proxy'), null);
    const rows = queryFlows(s, { offset: 0, limit: 10_000 }, identityDecorator(s)).rows;
    const byName = new Map<string, string>(truth.nodes.map((n: any) => [n.underlayIp, n.name]));
    const pods = new Map<string, string>(truth.pods.map((p: any) => [p.ip, p.node]));
    // Every tunnelled flow names the nodes of its outer flow; VXLAN tunnels go between truth's node pairs.
    const tunnelled = rows.filter((r) => r.tunnel);
    expect(tunnelled.length).toBeGreaterThan(0);
    const pairs = new Set<string>(sc.vxlan.tunnels.map((t: any) => `${t.srcNode}>${t.dstNode}`));
    const outer = new Map<number, FlowRow>(rows.map((r) => [r.id, r]));
    for (const r of tunnelled) {
      const o = outer.get(r.tunnel!.outerFlow)!;
      expect(r.tunnel!.from).toBe(byName.get(o.a.ip));
      expect(r.tunnel!.to).toBe(byName.get(o.b.ip));
      expect(pairs.has(`${r.tunnel!.from}>${r.tunnel!.to}`) || pairs.has(`${r.tunnel!.to}>${r.tunnel!.from}`)).toBe(true);
    }
    // A flow to a pod says "pod on <its node>"; a flow between nodes says their names.
    const toPod = rows.filter((r) => pods.has(r.b.ip));
    expect(toPod.length).toBeGreaterThan(0);
    for (const r of toPod) expect(r.identityB).toMatchObject({ kind: 'pod', name: `pod on ${pods.get(r.b.ip)}`, inferred: true });
    const nodeFlows = rows.filter((r) => byName.has(r.a.ip) && byName.has(r.b.ip));
    expect(nodeFlows.length).toBeGreaterThan(0);
    for (const r of nodeFlows) {
      expect(r.identityA).toMatchObject({ kind: 'node', name: byName.get(r.a.ip) });
      expect(r.identityB).toMatchObject({ kind: 'node', name: byName.get(r.b.ip) });
    }
    // With cluster.json: names from the metadata, none inferred, tunnel ends still named.
    const m = await openFiles(scenarioFiles('nginx-proxy'), clusterMetadata());
    const mrows = queryFlows(m, { offset: 0, limit: 10_000 }, identityDecorator(m)).rows;
    expect(mrows.some((r) => r.identityA?.inferred || r.identityB?.inferred)).toBe(false);
    const web = mrows.find((r) => r.b.ip === truth.pods[0].ip && r.tunnel)!;
    expect(web.identityB!.name).toBe(`default/${truth.pods[0].name}`);
    const mouter = mrows.find((r) => r.id === web.tunnel!.outerFlow)!;
    expect([web.tunnel!.from, web.tunnel!.to]).toEqual([byName.get(mouter.a.ip), byName.get(mouter.b.ip)]);
  }, 120_000);
});
