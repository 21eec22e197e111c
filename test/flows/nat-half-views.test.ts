/**
 * NAT half-views (src/flows/nat-half-views.ts) on the namespace lab: node2's
 * cni0 (br_netfilter on) sees nginx-proxy's upstream request after DNAT
 * (pod → backend pod) and the reply after un-DNAT (ClusterIP → pod). Each
 * such connection must be one flow with both directions, annotated with
 * conntrack's translation (truth.json), and every HTTP request must pair with
 * its 200 at every capture point, on the per-point files and the merged
 * pcapng, in both scenarios.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalysisJson, FlowJson } from '../../src/session/contract.js';
import { LAB, labPresent, openFiles, scenarioFiles, truth, type Truth } from '../overlay/lab.js';
import { createAnalyzerService } from '../../src/service/analyzer-service.js';
import { fileSource } from '../../src/host/node/file-source.js';

const SCENARIOS = ['nginx-proxy', 'ingress'] as const;

async function analysis(files: string[]): Promise<AnalysisJson> {
  return (await openFiles(files, null)).toJSON();
}

function scenario(name: string): Truth {
  return truth.scenarios.find((s: Truth) => s.name === name);
}

interface NatJson { kind: string; original: { a: { ip: string; port: number }; b: { ip: string; port: number } }; translated: { a: { ip: string; port: number }; b: { ip: string; port: number } } }

const tuple = (t: NatJson['original']): string => `${t.a.ip}:${t.a.port}>${t.b.ip}:${t.b.port}`;

describe.skipIf(!labPresent)('NAT half-views on the lab', () => {
  for (const name of SCENARIOS) {
    it(`${name}: per-point files: every request is paired with its 200 at every point, none half-seen`, async () => {
      const sc = scenario(name);
      const doc = await analysis(scenarioFiles(name));
      expect(doc.http.length).toBeGreaterThan(0);
      for (const h of doc.http) {
        const where = `${(doc.flows[h.flow]!.capture as string)} flow ${h.flow}`;
        expect(h.method, where).toBe('GET');
        expect(h.status, where).toBe(200);
        expect(h.requestTime, where).not.toBeNull();
        expect(h.responseTime, where).not.toBeNull();
      }
      // The client's requests: one transaction each at its NIC, all 200 (truth's okCount).
      const atClient = doc.http.filter((h) => path.basename(doc.flows[h.flow]!.capture as string) === 'client-eth0.pcap');
      expect(atClient.length).toBe(sc.requestCount);
      expect(atClient.filter((h) => h.status === 200).length).toBe(sc.okCount);
      // The frontend pod saw each request twice (from the client side, to its upstream), each paired.
      const pod = `pod-${sc.frontend.pod}-eth0.pcap`;
      expect(doc.http.filter((h) => path.basename(doc.flows[h.flow]!.capture as string) === pod).length).toBe(2 * sc.requestCount);
    });

    it(`${name}: merged pcapng (one interface a point): the same transactions and joins as the per-point files`, async () => {
      const merged = await analysis([path.join(LAB, 'captures', `${name}.pcapng`)]);
      const perPoint = await analysis(scenarioFiles(name));
      expect(merged.http.filter((h) => h.status !== 200 || h.method !== 'GET')).toEqual([]);
      expect(merged.http.length).toBe(perPoint.http.length);
      const nat = (d: AnalysisJson): string[] => d.flows.filter((f) => f['nat'])
        .map((f) => { const n = f['nat'] as NatJson; return `${tuple(n.original)} => ${tuple(n.translated)} ${f.packets}`; }).sort();
      expect(nat(merged)).toEqual(nat(perPoint));
    });
  }

  it('nginx-proxy: each upstream connection on node2-cni0 is one flow with conntrack\'s ClusterIP translation', async () => {
    const sc = scenario('nginx-proxy');
    const doc = await analysis(scenarioFiles('nginx-proxy'));
    const joined = doc.flows.filter((f) => f['nat']) as Array<FlowJson & { nat: NatJson; tcp: { state: string } }>;
    // conntrack's ClusterIP entries on the frontend's node: original pod → Service, reply from the backend.
    const expected = (sc.conntrack[sc.frontend.node] as Truth[])
      .filter((e) => e.proto === 'tcp' && e.dnat && e.original.src === sc.frontend.ip)
      .map((e) => `${e.original.src}:${e.original.sport}>${e.original.dst}:${e.original.dport} => ${e.reply.dst}:${e.reply.dport}>${e.reply.src}:${e.reply.sport}`)
      .sort();
    expect(expected.length).toBe(sc.connections.frontendToUpstream);
    expect(joined.map((f) => `${tuple(f.nat.original)} => ${tuple(f.nat.translated)}`).sort()).toEqual(expected);
    for (const f of joined) {
      expect(path.basename(f.capture as string)).toBe(`${sc.frontend.node}-cni0.pcap`);
      expect(f.nat.kind).toBe('dnat');
      expect(f.a).toEqual(f.nat.translated.a);
      expect(f.b).toEqual(f.nat.translated.b);
      // Both directions in the one flow, the whole handshake and close.
      expect(f.packetsAtoB).toBeGreaterThan(0);
      expect(f.packetsBtoA).toBeGreaterThan(0);
      expect(f.tcp.state).toBe('SYN→SYN/ACK→ACK, FIN both');
      // Its request and response are one transaction.
      const txs = doc.http.filter((h) => h.flow === f.id);
      expect(txs.map((h) => `${h.method} ${h.status}`)).toEqual(['GET 200']);
      // No flow is left holding the un-DNATed reply alone.
      const orphan = doc.flows.filter((g) => g.capture === f.capture && g.b.ip === f.a.ip && g.b.port === f.a.port
        && g.a.ip === f.nat.original.b.ip && g.a.port === f.nat.original.b.port);
      expect(orphan).toEqual([]);
      const reverse = doc.flows.filter((g) => g.capture === f.capture && g.a.ip === f.a.ip && g.a.port === f.a.port
        && g.b.ip === f.nat.original.b.ip && g.b.port === f.nat.original.b.port);
      expect(reverse).toEqual([]);
    }
  });

  it('the app\'s flow detail carries the same translation', async () => {
    const files = scenarioFiles('nginx-proxy');
    const doc = await analysis(files);
    const api = createAnalyzerService({ async resolve(ref) { if (ref.kind !== 'path') throw new Error('paths only'); return fileSource(ref.path); } });
    await api.openSession(files.map((f) => ({ kind: 'path' as const, path: f })));
    const joined = doc.flows.filter((f) => f['nat']);
    expect(joined.length).toBe(5);
    for (const f of joined) expect((await api.getFlowDetail(f.id)).nat).toEqual(f['nat']);
    const plain = doc.flows.find((f) => !f['nat'] && f.transport === 'tcp')!;
    expect((await api.getFlowDetail(plain.id)).nat).toBeNull();
  });

  it('a capture that starts after the handshake: the halves joined by acknowledgment, the same translations', async () => {
    const full = path.join(LAB, 'captures', 'nginx-proxy', 'node2-cni0.pcap');
    const dir = mkdtempSync(path.join(tmpdir(), 'nat-half-'));
    try {
      // Every SYN and SYN/ACK removed (editcap by frame number, tshark's numbering).
      const syns = spawnSync('tshark', ['-n', '-r', full, '-Y', 'tcp.flags.syn == 1', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
        .stdout.split('\n').filter(Boolean);
      expect(syns.length).toBeGreaterThanOrEqual(20);
      const cut = path.join(dir, 'no-handshake.pcap');
      expect(spawnSync('editcap', [full, cut, ...syns]).status).toBe(0);
      const a = await analysis([full]);
      const b = await analysis([cut]);
      const nat = (d: AnalysisJson): string[] => d.flows.filter((f) => f['nat'])
        .map((f) => { const n = f['nat'] as NatJson; return `${tuple(n.original)} => ${tuple(n.translated)}`; }).sort();
      expect(nat(b)).toEqual(nat(a));
      expect(nat(b).length).toBe(5);
      expect(b.flows.filter((f) => f.transport === 'tcp').length).toBe(a.flows.filter((f) => f.transport === 'tcp').length);
      expect(b.http.length).toBe(a.http.length);
      expect(b.http.filter((h) => h.status !== 200 || h.method !== 'GET')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never joins across capture points: the same connection seen at the frontend pod stays its own flow, unannotated', async () => {
    const sc = scenario('nginx-proxy');
    const doc = await analysis(scenarioFiles('nginx-proxy'));
    const pod = doc.flows.filter((f) => path.basename(f.capture as string) === `pod-${sc.frontend.pod}-eth0.pcap` && f.b.ip === '10.96.0.10');
    expect(pod.length).toBe(sc.connections.frontendToUpstream);
    for (const f of pod) {
      expect(f['nat']).toBeUndefined();
      expect(f.packetsBtoA).toBeGreaterThan(0);
    }
    // The ingress scenario has no ClusterIP hop (ingress-nginx dials endpoints): nothing joined.
    const ingress = await analysis(scenarioFiles('ingress'));
    expect(ingress.flows.filter((f) => f['nat'])).toEqual([]);
  });
});

/** The same on the lab run with offloads on (fixtures/lab-offloads: super-packets, same NAT). */
const LAB_ON = path.join(LAB, '..', 'lab-offloads');
const labOnPresent = existsSync(path.join(LAB_ON, 'truth.json'));
if (!labOnPresent) console.warn(`SKIPPED: NAT half-views with offloads on need ${LAB_ON} (OFFLOADS=on npm run lab)`);

describe.skipIf(!labOnPresent)('NAT half-views on the lab with offloads on', () => {
  for (const name of SCENARIOS) {
    it(`${name}: per-point files and merged pcapng: every request paired with its 200, joins as conntrack's`, async () => {
      const t = JSON.parse(readFileSync(path.join(LAB_ON, 'truth.json'), 'utf8'));
      const sc = t.scenarios.find((s: Truth) => s.name === name);
      const dir = path.join(LAB_ON, 'captures', name);
      const perPoint = await analysis(readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f)));
      const merged = await analysis([path.join(LAB_ON, 'captures', `${name}.pcapng`)]);
      const expected = (sc.conntrack[sc.frontend.node] as Truth[])
        .filter((e) => e.proto === 'tcp' && e.dnat && e.original.src === sc.frontend.ip)
        .map((e) => `${e.original.src}:${e.original.sport}>${e.original.dst}:${e.original.dport} => ${e.reply.dst}:${e.reply.dport}>${e.reply.src}:${e.reply.sport}`)
        .sort();
      for (const doc of [perPoint, merged]) {
        expect(doc.http.length).toBeGreaterThanOrEqual(2 * sc.requestCount);
        expect(doc.http.filter((h) => h.status !== 200 || h.method !== 'GET' || !h.requestTime || !h.responseTime)).toEqual([]);
        expect(doc.flows.filter((f) => f['nat']).map((f) => { const n = f['nat'] as NatJson; return `${tuple(n.original)} => ${tuple(n.translated)}`; }).sort()).toEqual(expected);
      }
      expect(merged.http.length).toBe(perPoint.http.length);
    });
  }
});
