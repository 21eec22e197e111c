/**
 * kubectl metadata import: the lab's cluster.json as JSON and as YAML
 * (kubectl -o yaml prints the same List), several files, unknown kinds,
 * malformed files and items, and time-aware pod identities.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ClusterMetadataError, IdentityResolver, parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { LAB, labPresent, truth } from './lab.js';

const clusterText = (): string => readFileSync(path.join(LAB, 'cluster.json'), 'utf8');

describe.skipIf(!labPresent)('cluster metadata from the lab', () => {
  it('reads nodes, pods, Services, endpoints and the Ingress of cluster.json', () => {
    const md = parseClusterMetadata([{ name: 'cluster.json', text: clusterText() }]);
    expect(md.nodes.map((n) => [n.name, n.internalIps, n.podCidrs, n.vtepMac])).toEqual(
      truth.nodes.map((n: { name: string; underlayIp: string; podCidr: string; vtepMac: string }) => [n.name, [n.underlayIp], [n.podCidr], n.vtepMac]));
    expect(md.pods.map((p) => `${p.namespace}/${p.name}@${p.ips[0]} on ${p.node}`).sort()).toEqual(
      truth.pods.map((p: { namespace: string; name: string; ip: string; node: string }) => `${p.namespace}/${p.name}@${p.ip} on ${p.node}`).sort());
    expect(md.services.map((s) => `${s.namespace}/${s.name} ${s.clusterIps[0]} ${s.ports.map((p) => `${p.port}/${p.nodePort}`).join()}`).sort()).toEqual(
      truth.services.map((s: { namespace: string; name: string; clusterIp: string; ports: Array<{ port: number; nodePort: number | null }> }) =>
        `${s.namespace}/${s.name} ${s.clusterIp} ${s.ports.map((p) => `${p.port}/${p.nodePort}`).join()}`).sort());
    expect(md.endpoints.filter((e) => e.service === 'default/web').map((e) => `${e.ip}:${e.port}`).sort()).toEqual(['10.244.1.10:8080', '10.244.3.10:8080']);
    expect(md.ingresses).toEqual([{ namespace: 'default', name: 'web', host: truth.ingress.host, path: '/', pathType: 'Prefix', service: 'web', port: 80 }]);
    const web = md.pods.find((p) => p.labels['app'] === 'web')!;
    expect(web.owner).toBe('ReplicaSet/web-6b9c8d7f5');
  });

  it('reads the same from kubectl -o yaml output, and from one file per kind as YAML documents', () => {
    const json = parseClusterMetadata([{ name: 'cluster.json', text: clusterText() }]);
    const list = JSON.parse(clusterText()) as { items: Array<{ kind: string }> };
    const yaml = parseClusterMetadata([{ name: 'cluster.yaml', text: stringify(list) }]);
    expect({ ...yaml, files: [] }).toEqual({ ...json, files: [] });
    const docs = list.items.map((i) => stringify(i)).join('---\n');
    const pods = list.items.filter((i) => i.kind === 'Pod');
    const rest = list.items.filter((i) => i.kind !== 'Pod');
    const split = parseClusterMetadata([
      { name: 'pods.json', text: JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: pods }) },
      { name: 'rest.yaml', text: rest.map((i) => stringify(i)).join('---\n') },
    ]);
    expect(split.pods).toEqual(json.pods);
    expect(split.services).toEqual(json.services);
    expect(split.files).toEqual(['pods.json', 'rest.yaml']);
    expect(parseClusterMetadata([{ name: 'all.yaml', text: docs }]).nodes).toEqual(json.nodes);
  });

  it('resolves node IPs, NodePorts on any node, ClusterIPs, pods, the flannel VTEP address and outsiders', () => {
    const r = new IdentityResolver(parseClusterMetadata([{ name: 'cluster.json', text: clusterText() }]));
    expect(r.resolve('192.168.56.12', 22, null)).toMatchObject({ kind: 'node', name: 'node2' });
    expect(r.resolve('192.168.56.13', 30080, null)).toMatchObject({ kind: 'service', name: 'default/nginx-proxy', node: 'node3' });
    expect(r.resolve('10.96.0.10', 80, null)).toMatchObject({ kind: 'service', name: 'default/web', detail: 'ClusterIP port 80:http' });
    expect(r.resolve('10.244.3.10', 8080, null)).toMatchObject({ kind: 'pod', name: 'default/web-6b9c8d7f5-r8mzt', namespace: 'default', node: 'node3' });
    expect(r.resolve('10.244.1.0', 12493, null)).toMatchObject({ kind: 'node', name: 'node1', detail: 'flannel.1 (VTEP) address' });
    expect(r.resolve('10.244.2.1', null, null)).toMatchObject({ kind: 'node', name: 'node2' });
    expect(r.resolve('10.244.2.77', null, null)).toMatchObject({ kind: 'unknown', node: 'node2' });
    expect(r.resolve('192.168.56.100', 40000, null)).toEqual({ kind: 'external', name: '192.168.56.100' });
    expect(r.servicesServedBy('10.244.2.20', 80)).toEqual(['ingress-nginx/ingress-nginx-controller']);
  });
});

describe('cluster metadata: bad input and time-aware identity', () => {
  it.each([
    ['empty.json', '', /empty\.json: the file is empty/],
    ['broken.json', '{"kind": "List", "items": [', /broken\.json: not valid JSON/],
    ['broken.yaml', 'kind: List\nitems:\n  - kind: Pod\n   metadata: {', /broken\.yaml: not valid YAML or JSON/],
    ['scalar.json', '42', /scalar\.json: expected a Kubernetes object or a List/],
    ['noname.json', '{"kind":"List","items":[{"kind":"Node","metadata":{}}]}', /noname\.json: items\[0\] \(Node\): metadata\.name is missing/],
    ['badip.json', '{"kind":"List","items":[{"kind":"Service"},{"kind":"Pod","metadata":{"name":"p","namespace":"n"},"status":{"podIP":"10.0.0.300"}}]}',
      /badip\.json: items\[0\] \(Service\): metadata\.name is missing/],
    ['badip2.json', '{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p","namespace":"n"},"status":{"podIP":"10.0.0.300"}}]}',
      /badip2\.json: items\[0\] \(Pod n\/p\): status\.podIP is not an IP address: "10\.0\.0\.300"/],
    ['badport.json', '{"kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":"eighty"}]}}', /badport\.json: the object \(Service default\/s\): spec\.ports\[0\]\.port is not a number/],
    ['nokind.json', '{"kind":"List","items":[{"metadata":{"name":"x"}}]}', /nokind\.json: items\[0\]: has no kind/],
  ])('%s is an error naming the file and the item', (name, text, re) => {
    let err: unknown;
    try { parseClusterMetadata([{ name, text }]); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ClusterMetadataError);
    expect((err as Error).message).toMatch(re);
  });

  it('ignores unknown kinds', () => {
    const md = parseClusterMetadata([{ name: 'x.json', text: JSON.stringify({ kind: 'List', items: [{ kind: 'ConfigMap', metadata: { name: 'c' } }, { kind: 'Deployment' }] }) }]);
    expect(md.pods.length + md.services.length + md.nodes.length).toBe(0);
  });

  it('resolves a reused pod IP by the packet time (start and deletion times)', () => {
    const pod = (name: string, start: string, extra: Record<string, unknown> = {}): unknown => ({
      kind: 'Pod', metadata: { name, namespace: 'default', creationTimestamp: start, ...extra },
      spec: { nodeName: 'node1' }, status: { podIP: '10.244.1.50', startTime: start, phase: 'Running' },
    });
    const md = parseClusterMetadata([{ name: 'reuse.json', text: JSON.stringify({ kind: 'List', items: [
      pod('old', '2026-01-01T00:00:00Z', { deletionTimestamp: '2026-01-01T01:00:00Z' }),
      pod('new', '2026-01-01T02:00:00Z'),
    ] }) }]);
    const r = new IdentityResolver(md);
    const at = (iso: string): string => r.resolve('10.244.1.50', 80, Date.parse(iso)).name;
    expect(at('2026-01-01T00:30:00Z')).toBe('default/old');
    expect(at('2026-01-01T03:00:00Z')).toBe('default/new');
    // Between the two lifetimes: the pod that held it last.
    expect(at('2026-01-01T01:30:00Z')).toBe('default/old');
    expect(r.resolve('10.244.1.50', 80, null).name).toBe('default/new');
  });
});
