/**
 * Kubernetes fields against the lab's truth.json: with the lab's cluster.json,
 * `k8s.pod == <pod>` matches exactly the frames tshark matches with
 * `ip.addr == <the pod's IP>` (truth.json: one IP for the pod's whole life),
 * `k8s.dst.pod` those with `ip.dst`, on four capture points (the pod's own,
 * its node's bridge and NIC, another node's NIC), and `k8s.namespace` /
 * `k8s.service` the ClusterIP's packets and the pod's.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { readCapture } from '../../src/capture/read-capture.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { compileFilter } from '../../src/filter/compile.js';
import { FrameFilter } from '../../src/filter/frame-filter.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { IdentityResolver, parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { resolverFacts } from '../../src/service/filter-facts.js';
import { fixturePath } from '../helpers/corpus.js';
import { tsharkFrames } from './scan.js';

const LAB = fixturePath('lab');
const present = existsSync(`${LAB}/truth.json`) && existsSync(`${LAB}/cluster.json`);

interface Truth { pods: Array<{ short: string; name: string; namespace: string; ip: string; node: string }>; services: Array<{ namespace: string; name: string; clusterIp: string }> }

async function frames(file: string, filter: string): Promise<number[]> {
  const md = parseClusterMetadata([{ name: 'cluster.json', text: readFileSync(`${LAB}/cluster.json`, 'utf8') }]);
  const ff = new FrameFilter(compileFilter(filter), new DissectConfig({ vxlanPorts: [8472] }), false, resolverFacts(new IdentityResolver(md)));
  const p = new DecodedPacket();
  const out: number[] = [];
  await readCapture(await fileSource(file), {
    onInterface: (i) => ff.onInterface(i),
    onRecord: (rec, bytes, start) => { if (ff.test(rec, bytes, start, p)) out.push(rec.index + 1); },
    onIssue: () => {},
  });
  return out;
}

describe.skipIf(!present)('k8s.* fields vs the lab truth', () => {
  const truth = present ? (JSON.parse(readFileSync(`${LAB}/truth.json`, 'utf8')) as Truth) : null;
  const webA = truth?.pods.find((p) => p.short === 'web-a');
  const web = truth?.services.find((s) => s.name === 'web');
  const points = ['pod-web-a-eth0', 'node1-cni0', 'node1-eth0', 'node2-eth0'].map((p) => fixturePath('lab', 'captures', 'nginx-proxy', `${p}.pcap`));

  it.each(points)('%s: k8s.pod and k8s.dst.pod are the pod\'s address', async (file) => {
    const pod = webA!;
    const byIp = await tsharkFrames(file, `ip.addr == ${pod.ip}`) as number[];
    expect(byIp.length).toBeGreaterThan(0);
    expect(await frames(file, `k8s.pod == "${pod.name}"`)).toEqual(byIp);
    expect(await frames(file, `k8s.pod == "${pod.namespace}/${pod.name}"`)).toEqual(byIp);
    expect(await frames(file, `k8s.dst.pod == "${pod.name}"`)).toEqual(await tsharkFrames(file, `ip.dst == ${pod.ip}`));
  }, 120_000);

  it('k8s.service (with k8s.namespace) names the ClusterIP\'s packets', async () => {
    const file = fixturePath('lab', 'captures', 'nginx-proxy', 'pod-nginx-proxy-eth0.pcap');
    const toClusterIp = await tsharkFrames(file, `ip.addr == ${web!.clusterIp}`) as number[];
    expect(toClusterIp.length).toBeGreaterThan(0);
    const ours = await frames(file, `k8s.service == "${web!.namespace}/${web!.name}"`);
    // Every packet to or from the ClusterIP is the Service's (the pod's own capture sees no DNAT'd side).
    expect(ours).toEqual(toClusterIp);
    expect(await frames(file, `k8s.service == "${web!.name}" && k8s.namespace == "${web!.namespace}"`)).toEqual(toClusterIp);
  }, 120_000);
});
