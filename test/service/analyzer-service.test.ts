import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { SourceRef } from '../../src/api.js';
import { createAnalyzerService, niceBucket, type SourceResolver } from '../../src/service/analyzer-service.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { corpusPath, corpusPresent, fixturePath } from '../helpers/corpus.js';

const resolver: SourceResolver = {
  async resolve(ref: SourceRef) {
    if (ref.kind !== 'path') throw new Error('test resolver reads paths only');
    return fileSource(ref.path);
  },
};
const path = (p: string): SourceRef => ({ kind: 'path', path: p });

describe.skipIf(!corpusPresent)('AnalyzerService over real captures', () => {
  it('summarises a VXLAN capture with per-protocol packets and bytes, and pages its packets', async () => {
    const api = createAnalyzerService(resolver);
    const progress: number[] = [];
    api.onProgress((p) => progress.push(p.bytesRead));
    const s = await api.openSession([path(corpusPath('ndpi__vxlan.pcap'))]);
    expect(s.packets).toBe(127);
    expect(s.bytes).toBe(85322);
    expect(s.captures[0]).toMatchObject({ format: 'pcap', packets: 127, complete: true, point: 'ndpi__vxlan' });
    const vx = s.protocols.find((p) => p.name === 'vxlan')!;
    expect(vx).toEqual({ name: 'vxlan', packets: 127, bytes: 85322 });
    expect(s.protocols.find((p) => p.name === 'dns')!.packets).toBe(8);
    expect(s.timeline.buckets.reduce((a, b) => a + b.packets[0]!, 0)).toBe(127);
    expect(progress.at(-1)).toBe(87378);

    const pg = await api.getPackets({ offset: 120, limit: 50 });
    expect(pg.total).toBe(127);
    expect(pg.rows.map((r) => r.index)).toEqual([120, 121, 122, 123, 124, 125, 126]);
    const first = (await api.getPackets({ offset: 0, limit: 1 })).rows[0]!;
    expect(first).toMatchObject({ src: '10.10.20.4', dst: '8.8.8.8', len: 126, rel: 0 });
    expect(first.layers).toEqual(['eth', 'vlan', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'udp', 'dns']);

    const dns = await api.getPackets({ offset: 0, limit: 100, protocol: 'dns' });
    expect(dns.total).toBe(8);
    const fb = await api.getPackets({ offset: 0, limit: 100, text: 'www.facebook.com' });
    expect(fb.total).toBe(4);

    const d = await api.getPacketDetail(0, 0);
    expect(d.bytes.length).toBe(126);
    expect(d.layers.map((l) => l.layer).slice(0, 5)).toEqual(['eth', 'vlan', 'ipv4', 'udp', 'vxlan']);
  });

  it('merges two capture points in time order', async () => {
    const api = createAnalyzerService(resolver);
    const s = await api.openSession([path(corpusPath('zeek__vxlan.pcap')), path(corpusPath('tcpdump__vxlan.pcap'))]);
    expect(s.captures.map((c) => c.packets)).toEqual([10, 10]);
    const all = await api.getPackets({ offset: 0, limit: 100 });
    expect(all.total).toBe(20);
    const times = all.rows.map((r) => r.rel);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const only = await api.getPackets({ offset: 0, limit: 100, capture: 1 });
    expect(only.rows.every((r) => r.capture === 1)).toBe(true);
  });

  it('keeps what was read before an error and shows the error with its offset', async () => {
    const api = createAnalyzerService(resolver);
    const s = await api.openSession([path(corpusPath('suricata__http-mime-truncated__input.pcap'))]);
    expect(s.captures[0]!.packets).toBe(2696);
    expect(s.captures[0]!.complete).toBe(false);
    expect(s.captures[0]!.errors[0]).toMatchObject({ offset: 2715459, layer: 'pcap', severity: 'error' });
    const last = await api.getPackets({ offset: 2695, limit: 5 });
    expect(last.rows).toHaveLength(1);
  });

  it('says plainly when a file is not a capture', async () => {
    const api = createAnalyzerService(resolver);
    const s = await api.openSession([path(new URL(import.meta.url).pathname)]);
    expect(s.captures[0]!.packets).toBe(0);
    expect(s.captures[0]!.errors[0]!.reason).toMatch(/not a capture file: magic bytes/);
  });
});

describe('niceBucket', () => {
  it.each([[0, 1], [10, 0.05], [200, 1], [3600, 20], [86400, 500]])('span %s s → %s s buckets', (span, want) => {
    expect(niceBucket(span)).toBeCloseTo(want);
  });
});

describe('AnalyzerService on the lab session', () => {
  const lab = (p: string) => path(fixturePath('lab', p));
  // Packet counts of the committed lab run, from its truth.json (capinfos).
  const labPackets = (scenario: string, point: string): number =>
    (JSON.parse(readFileSync(fixturePath('lab', 'truth.json'), 'utf8')) as { scenarios: Array<{ name: string; captures: Array<{ point: string; capinfosPackets: number }> }> })
      .scenarios.find((s) => s.name === scenario)!.captures.find((c) => c.point === point)!.capinfosPackets;
  it('opens the nginx-proxy capture points with cluster metadata and serves the overlay and packet details', async () => {
    const api = createAnalyzerService(resolver);
    const phases: string[] = [];
    api.onProgress((p) => { if (!phases.includes(p.phase)) phases.push(p.phase); });
    const s = await api.openSession(
      [lab('captures/nginx-proxy/client-eth0.pcap'), lab('captures/nginx-proxy/node1-eth0.pcap')],
      { cluster: [lab('cluster.json')], label: 'nginx-proxy' },
    );
    expect(phases).toEqual(['reading', 'correlating', 'done']);
    expect(s).toMatchObject({ label: 'nginx-proxy', hasCluster: true, packets: labPackets('nginx-proxy', 'client-eth0') + labPackets('nginx-proxy', 'node1-eth0') });
    const ov = await api.getOverlay();
    expect(ov.nodes.map((n) => n.ip).sort()).toEqual(['192.168.56.11', '192.168.56.12']);
    const d = await api.getPacketDetail(1, 1);
    const vx = d.layers.find((l) => l.layer === 'vxlan')!;
    expect(vx.fields.find((f) => f.name.includes('(VNI)'))).toMatchObject({ value: '1', start: vx.start + 4, length: 3 });
    const ip = d.layers.find((l) => l.layer === 'ipv4')!;
    expect(ip.fields.length).toBeGreaterThan(5);

    // Flows, decorated with identities from cluster.json.
    const summary = (await api.getSummary())!;
    const flows = await api.getFlows({ offset: 0, limit: 1000 });
    expect(flows.total).toBe(summary.flows);
    const inner = flows.rows.filter((f) => f.depth === 1);
    expect(inner.length).toBeGreaterThan(0);
    for (const f of inner) {
      expect(f.tunnel).toMatchObject({ type: 'vxlan', vni: 1 });
      for (const id of [f.identityA!, f.identityB!]) expect(['pod', 'node', 'service']).toContain(id.kind);
    }
    const proxy = await api.getFlows({ offset: 0, limit: 1000, pod: 'nginx-proxy' });
    expect(proxy.total).toBeGreaterThan(0);
    expect(proxy.rows.every((f) => `${f.identityA?.name} ${f.identityB?.name}`.includes('nginx-proxy'))).toBe(true);
    const http = await api.getHttp({ offset: 0, limit: 100 });
    expect(http.rows.filter((h) => h.status === 200).length).toBe(http.total);
    const detail = await api.getFlowDetail(inner[0]!.id);
    expect(detail.outer.map((o) => o.id)).toContain(inner[0]!.tunnel!.outerFlow);
  });

  it('refuses malformed cluster metadata and keeps the open session', async () => {
    const api = createAnalyzerService(resolver);
    await api.openSession([lab('captures/nginx-proxy/client-eth0.pcap')]);
    await expect(api.loadCluster([path(fixturePath('lab', 'run-lab.sh'))])).rejects.toThrow(/run-lab\.sh/);
    expect((await api.getSummary())!.packets).toBe(labPackets('nginx-proxy', 'client-eth0'));
  });
});
