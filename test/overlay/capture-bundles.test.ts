/**
 * Capture tools' bundles as options (src/overlay/capture-bundles.ts): Retina
 * names split into capture and node, the `ip -d -j addr` output found in a
 * Retina ip-resources.txt (the fixture's, fixtures/retina) and read into
 * interface names, node address, pod CIDR and VTEP, as truth.json records them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandOutput, parseIpAddr, splitRetinaStems } from '../../src/overlay/capture-bundles.js';
import { fixturePath } from '../helpers/corpus.js';

describe('Retina names', () => {
  it('a run\'s names share the capture name; nodes keep their dashes', () => {
    expect(splitRetinaStems(['my-cap-aks-nodepool1-123-vmss000000-20240101120000UTC', 'my-cap-aks-nodepool1-123-vmss000001-20240101120000UTC'])).toEqual([
      { capture: 'my-cap-aks-nodepool1-123', node: 'vmss000000' }, { capture: 'my-cap-aks-nodepool1-123', node: 'vmss000001' },
    ]);
    expect(splitRetinaStems(['retina-capture-8x2kq-aks-node-1-20240101120000UTC'])).toEqual([{ capture: 'retina-capture-8x2kq', node: 'aks-node-1' }]);
    expect(splitRetinaStems(['lab-capture-node1-20261203153536UTC', 'lab-capture-node2-20261203153536UTC'])).toEqual([{ capture: 'lab-capture', node: 'node1' }, { capture: 'lab-capture', node: 'node2' }]);
    expect(splitRetinaStems(['node1-any', 'capture-20240101120000'])).toEqual([null, null]);
  });
});

describe('ip-resources.txt', () => {
  const truth = JSON.parse(readFileSync(fixturePath('lab/truth.json'), 'utf8'));
  it.each(['node1', 'node2', 'node3'])('%s: interface names, address, pod CIDR and VTEP as the lab recorded them', (node) => {
    const text = execFileSync('tar', ['xzf', fixturePath(`retina/nginx-proxy/lab-capture-${node}-20261203153536UTC.tar.gz`), '-O', 'ip-resources.txt'], { encoding: 'utf8', timeout: 30_000 });
    expect(commandOutput(text, /\bip rule list$/)).toBe('0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default');
    const net = parseIpAddr(text, node)!;
    const sll2 = truth.scenarios.find((s: { name: string }) => s.name === 'nginx-proxy').anyInterface.find((a: { variant: string }) => a.variant === 'sll2');
    const want = sll2.captures.find((c: { node: string }) => c.node === node).interfaces.map((i: { ifindex: number; name: string }) => [i.ifindex, i.name]);
    expect([...net.interfaces]).toEqual(want);
    const n = truth.nodes.find((x: { name: string }) => x.name === node);
    expect(net.node).toEqual({ name: node, internalIps: [n.underlayIp], podCidrs: [n.podCidr], vtepMac: n.vtepMac, vni: 1, labels: {} });
  });

  it('bare `ip -j addr` JSON, and text that holds none', () => {
    const net = parseIpAddr('[{"ifindex":2,"ifname":"ens5","addr_info":[{"family":"inet","local":"10.0.0.5","prefixlen":24,"scope":"global"}]}]', 'n');
    expect(net?.node?.internalIps).toEqual(['10.0.0.5']);
    expect(parseIpAddr('Summary:\n\nExecute:\n\n/usr/sbin/ip -d -j addr show\n\nnot json\n', 'n')).toBeNull();
  });
});
