/**
 * Services from kube-proxy's rules (src/overlay/iptables-services.ts): from
 * the lab nodes' `iptables-save -c` dumps only (fixtures/lab/node-state/),
 * the Services, ClusterIPs, ports, NodePorts and endpoints equal those of the
 * lab's kubectl output (fixtures/lab/cluster.json); analysing the lab's
 * any-interface captures with them names the same Service in every
 * translation and journey as with cluster.json. Hand-made rules cover the
 * shapes the lab does not have (IPv6, unnamed ports, IPVS and nftables modes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parseClusterMetadata, type ClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { looksLikeIptablesSave, ruleArgs, servicesFromIptables } from '../../src/overlay/iptables-services.js';
import { fixturePath } from '../helpers/corpus.js';

const NODES = ['node1', 'node2', 'node3'];
const kubectl = parseClusterMetadata([{ name: 'cluster.json', text: readFileSync(fixturePath('lab/cluster.json'), 'utf8') }]);

function dumps(scenario: string): Array<{ name: string; text: string }> {
  return NODES.map((n) => ({ name: `${n}.iptables-save.txt`, text: readFileSync(fixturePath(`lab/node-state/${scenario}/${n}.iptables-save.txt`), 'utf8') }));
}

function serviceView(md: ClusterMetadata) {
  return md.services.map((s) => ({
    service: `${s.namespace}/${s.name}`, type: s.type, clusterIps: s.clusterIps,
    ports: s.ports.map((p) => ({ name: p.name, port: p.port, nodePort: p.nodePort, protocol: p.protocol })),
  })).sort((a, b) => a.service.localeCompare(b.service));
}

function endpointView(md: ClusterMetadata) {
  return md.endpoints.map((e) => `${e.service} ${e.ip}:${e.port} ${e.portName}`).sort();
}

describe('Services from the lab nodes\' iptables-save', () => {
  it.each(['nginx-proxy', 'ingress'])('%s: Services, ClusterIPs, ports, NodePorts and endpoints equal cluster.json\'s', (scenario) => {
    const files = dumps(scenario);
    for (const f of files) expect(looksLikeIptablesSave(f.text)).toBe(true);
    const got = servicesFromIptables(files);
    expect(got.notes).toEqual([]);
    expect(serviceView(got.metadata)).toEqual(serviceView(kubectl));
    expect(endpointView(got.metadata)).toEqual(endpointView(kubectl));
    // Each node alone knows every Service too (kube-proxy writes all of them on every node).
    for (const f of files) expect(serviceView(servicesFromIptables([f]).metadata)).toEqual(serviceView(kubectl));
    // web's two endpoints: the first rule 0.5, the last takes the rest.
    const web = got.weights.filter((w) => w.service === 'default/web' && w.file === 'node1.iptables-save.txt');
    expect(web.map((w) => w.probability)).toEqual([0.5, null]);
  });

  it.each(['nginx-proxy', 'ingress'])('%s: analysis with the rules names the same Service in every translation and journey as with cluster.json', async (scenario) => {
    const dir = fixturePath(`lab/captures/${scenario}-any-sll2`);
    const files = ['client-eth0.pcap', 'node1-any.pcap', 'node2-any.pcap', 'node3-any.pcap'];
    const open = async (clusterMetadata: ClusterMetadata) => AnalysisSession.open(await Promise.all(files.map((f) => fileSource(path.join(dir, f)))), { clusterMetadata });
    const withKubectl = (await open(kubectl)).toJSON();
    const iptables = servicesFromIptables(dumps(scenario)).metadata;
    // Node addresses come with a bundle's `ip addr` (Retina's ip-resources.txt); here from cluster.json's nodes only.
    const withRules = (await open({ ...iptables, nodes: kubectl.nodes })).toJSON();
    type Tr = { kind: string; service: string | null; original: unknown; translated: unknown };
    const tr = (j: Record<string, unknown>) => (j['translations'] as Tr[]).map((t) => `${t.kind} ${t.service} ${JSON.stringify(t.original)} ${JSON.stringify(t.translated)}`);
    expect(tr(withKubectl).length).toBeGreaterThan(0);
    expect(tr(withRules)).toEqual(tr(withKubectl));
    expect((withRules['translations'] as Tr[]).every((t) => t.service)).toBe(true);
    type Jy = { label: string; hops: Array<{ point: string; translation: string | null }>; [k: string]: unknown };
    const jy = (j: Record<string, unknown>) => (j['journeys'] as Jy[]).map((x) => JSON.stringify({ label: x.label, service: x['service'] ?? null, services: x['services'] ?? null, hops: x.hops.map((h) => [h.point, h.translation]) }));
    expect(jy(withKubectl).length).toBeGreaterThan(0);
    expect(jy(withRules)).toEqual(jy(withKubectl));
  });
});

describe('rule shapes beyond the lab', () => {
  it('quoted comments with escaped quotes split as iptables-save writes them', () => {
    expect(ruleArgs('-A KUBE-SVC-X -m comment --comment "a \\"b\\" c" -j KUBE-SEP-Y')).toEqual(['-A', 'KUBE-SVC-X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'KUBE-SEP-Y']);
  });

  it('IPv6 ClusterIPs and endpoints, an unnamed port, a NodePort straight to the SVC chain (older kube-proxy)', () => {
    const text = `*nat
:KUBE-SERVICES - [0:0]
-A KUBE-SERVICES -d fd00:10:96::a/128 -p tcp -m comment --comment "kube-system/dns cluster IP" -m tcp --dport 53 -j KUBE-SVC-AAA
-A KUBE-NODEPORTS -p udp -m comment --comment "kube-system/dns" -m udp --dport 30053 -j KUBE-SVC-AAA
-A KUBE-SVC-AAA -m comment --comment "kube-system/dns -> [fd00:10:244::5]:53" -j KUBE-SEP-BBB
-A KUBE-SEP-BBB -p tcp -m comment --comment "kube-system/dns" -m tcp -j DNAT --to-destination [fd00:10:244::5]:53
COMMIT
`;
    const got = servicesFromIptables([{ name: 'v6.txt', text }]);
    expect(serviceView(got.metadata)).toEqual([{ service: 'kube-system/dns', type: 'NodePort', clusterIps: ['fd00:10:96::a'], ports: [{ name: null, port: 53, nodePort: null, protocol: 'TCP' }, { name: null, port: 0, nodePort: 30053, protocol: 'UDP' }] }]);
    expect(endpointView(got.metadata)).toEqual(['kube-system/dns fd00:10:244::5:53 null']);
  });

  it('IPVS and nftables modes, and a dump with no Service rules, are said, not guessed', () => {
    const ipvs = `*nat
-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
COMMIT
`;
    expect(servicesFromIptables([{ name: 'ipvs.txt', text: ipvs }]).notes).toEqual([expect.stringMatching(/^ipvs.txt: kube-proxy in IPVS mode .*ipvsadm -Ln/)]);
    const nft = 'table ip kube-proxy {\n\tchain services {\n\t}\n}\n';
    expect(servicesFromIptables([{ name: 'nft.txt', text: nft }]).notes[0]).toMatch(/^nft.txt: kube-proxy in nftables mode/);
    const none = servicesFromIptables([{ name: 'plain.txt', text: '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n' }]);
    expect(none.notes).toEqual(['plain.txt: no kube-proxy Service rules (KUBE-SERVICES, KUBE-SEP-* DNAT) in the nat table']);
    expect(none.metadata.services).toEqual([]);
  });
});
