/**
 * The lab's other overlays (fixtures/lab-overlays/<overlay>/, made by
 * `npm run lab -- --overlay vxlan-4789|geneve|ipip --no-variants`) checked
 * against their own truth.json with the wireshark CLI as the reference:
 * capinfos' packet counts, the tunnel packets per direction as tshark counts
 * them (udp.port==4789, udp.port==6081, ip.proto==4), the inner TCP tshark
 * decodes inside them, and 10/10 requests answered 200. When the built CLI
 * (dist/cli.js) reports tunnels of the overlay's type, its nodes, tunnels,
 * journeys and translations (conntrack's) must equal truth as well; otherwise
 * that test skips and says what the CLI found.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fixturePath } from '../helpers/corpus.js';
import { tunnelText } from '../../src/api.js';

interface TunnelRow { srcNode: string; dstNode: string; outerSrc: string; outerDst: string; type: string; vni: number | null; packets: number }
interface Capture { point: string; file: string; kind: string; capinfosPackets: number; capinfosDataBytes: number; tunnel: { type: string; packets: number; vnis: number[]; tunnels: Record<string, number> } }
interface Scenario {
  name: string; requestCount: number; okCount: number;
  requests: Array<{ n: number; status: number }>;
  captures: Capture[];
  tunnel: { type: string; device: string; tsharkFilter: string; transmissions: number; transmittedBytes: number; encapsulationBytes: number; tunnels: TunnelRow[] };
  conntrack: Record<string, ConntrackEntry[]>;
}
interface Tuple { src: string; dst: string; sport: number; dport: number }
interface ConntrackEntry { proto: string; original: Tuple; reply: Tuple; dnat: boolean; snat: boolean }
interface Endpoint { ip: string; port: number }

/** conntrack's TCP NAT entries as "kind original => translated" (translated = the reply tuple reversed). */
function conntrackTranslations(sc: Scenario): string[] {
  const out: string[] = [];
  for (const entries of Object.values(sc.conntrack)) {
    for (const e of entries) {
      if (e.proto !== 'tcp' || (!e.dnat && !e.snat)) continue;
      const kind = e.dnat && e.snat ? 'dnat+snat' : e.dnat ? 'dnat' : 'snat';
      out.push(`${kind} ${e.original.src}:${e.original.sport}>${e.original.dst}:${e.original.dport} => ${e.reply.dst}:${e.reply.dport}>${e.reply.src}:${e.reply.sport}`);
    }
  }
  return out.sort();
}
interface Truth {
  generator: string;
  network: { overlay: { name: string; type: 'vxlan' | 'geneve' | 'ipip'; device: string; vni: number | null; port: number | null; ipProtocol: number; encapsulationOverheadBytes: number; tsharkFilter: string } };
  nodes: Array<{ name: string; underlayIp: string; podCidr: string; vtepMac: string | null; vtepDevice: string }>;
  scenarios: Scenario[];
}

const ROOT = fixturePath('lab-overlays');
const OVERLAYS = ['vxlan', 'vxlan-4789', 'geneve', 'ipip'] as const;
const TYPE_NAME: Record<string, string> = { vxlan: 'VXLAN', geneve: 'Geneve', ipip: 'IP-in-IP' };
const present = OVERLAYS.filter((o) => existsSync(path.join(ROOT, o, 'truth.json')));
for (const o of OVERLAYS) {
  if (!present.includes(o)) console.warn(`SKIPPED: lab overlay ${o}: no ${path.join(ROOT, o, 'truth.json')} (npm run lab -- --overlay ${o} --no-variants makes it)`);
}
const haveTshark = spawnSync('tshark', ['--version']).status === 0 && spawnSync('capinfos', ['-h']).status === 0;
if (!haveTshark) console.warn('SKIPPED: lab overlay tshark checks: tshark/capinfos not installed');
const CLI = fixturePath('..', 'dist', 'cli.js');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** tshark's rows of the packets matching FILTER: the listed fields, all occurrences, '|' between them. */
function tsharkRows(file: string, filter: string, fields: string[], decodeAs: string[] = []): string[][] {
  const out = run('tshark', ['-n', ...decodeAs.flatMap((d) => ['-d', d]), '-r', file, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', ...fields.flatMap((f) => ['-e', f])]);
  return out.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

describe.each(present.map((o) => [o] as const))('lab overlay %s', (overlay) => {
  const dir = path.join(ROOT, overlay);
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  const ov = truth.network.overlay;
  const nodeByIp = new Map(truth.nodes.map((n) => [n.underlayIp, n.name]));

  it('is the overlay it is named after, made with --no-variants', () => {
    expect(ov.name).toBe(overlay);
    // --same-segments and one MTU: packet counts depend on the overlay, not on how fast its tunnel forwards.
    expect(truth.generator).toBe(`fixtures/lab/run-lab.sh --overlay ${overlay} --no-variants --same-segments --mtu 1450`);
    expect(ov.tsharkFilter).toBe({ vxlan: 'udp.port==8472', 'vxlan-4789': 'udp.port==4789', geneve: 'udp.port==6081', ipip: 'ip.proto==4' }[overlay]);
    expect(readdirSync(path.join(dir, 'captures')).sort()).toEqual(['ingress', 'ingress.pcapng', 'nginx-proxy', 'nginx-proxy.pcapng']);
    expect(existsSync(path.join(dir, 'captures-skew'))).toBe(false);
  });

  describe.each(truth.scenarios.map((s) => [s.name, s] as const))('scenario %s', (_name, sc) => {
    it('every request was answered 200', () => {
      expect(sc.requestCount).toBe(5);
      expect(sc.okCount).toBe(sc.requestCount);
      expect(sc.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    });

    it('one capture per point, the tunnel device\'s named after it', () => {
      const files = readdirSync(path.join(dir, 'captures', sc.name)).sort();
      expect(files).toEqual(sc.captures.map((c) => `${c.point}.pcap`).sort());
      for (const n of truth.nodes) expect(files).toContain(`${n.name}-${ov.device}.pcap`);
    });

    it.skipIf(!haveTshark)('capinfos counts equal truth', () => {
      const files = sc.captures.map((c) => path.join(dir, c.file));
      const rows = run('capinfos', ['-T', '-M', '-c', '-d', ...files]).trim().split('\n').slice(1).map((l) => l.split('\t'));
      expect(rows.map((r) => [path.basename(r[0]!), Number(r[1]), Number(r[2])]))
        .toEqual(sc.captures.map((c) => [path.basename(c.file), c.capinfosPackets, c.capinfosDataBytes]));
    });

    it.skipIf(!haveTshark)('tshark counts the tunnel packets per direction as truth, each with inner TCP', () => {
      let transmissions = 0;
      for (const n of truth.nodes) {
        const c = sc.captures.find((x) => x.point === `${n.name}-eth0`)!;
        const rows = tsharkRows(path.join(dir, c.file), ov.tsharkFilter, ['ip.src', 'ip.dst', 'ip.proto', 'tcp.srcport', 'vxlan.vni', 'geneve.vni'],
          ov.type === 'vxlan' && ov.port !== 4789 ? [`udp.port==${ov.port},vxlan`] : []);
        expect(rows.length).toBe(c.tunnel.packets);
        const perDirection: Record<string, number> = {};
        for (const [src, dst, proto, tcp, vxlanVni, geneveVni] of rows) {
          const outer = [src!.split('|')[0], dst!.split('|')[0]];
          // Outer addresses are node IPs; the inner ones are pod addresses (or a node's tunnel address).
          expect(nodeByIp.has(outer[0]!) && nodeByIp.has(outer[1]!)).toBe(true);
          expect(src!.split('|')[1]).toMatch(/^10\.244\.\d+\.\d+$/);
          expect(tcp).not.toBe('');
          if (ov.type === 'ipip') {
            expect(proto!.split('|')).toEqual(['4', '6']);
          } else if (ov.type === 'geneve') {
            expect(Number(geneveVni)).toBe(ov.vni);
          } else {
            expect(Number(vxlanVni)).toBe(ov.vni);
          }
          perDirection[outer.join('>')] = (perDirection[outer.join('>')] ?? 0) + 1;
        }
        expect(perDirection).toEqual(c.tunnel.tunnels);
        const sent = Object.entries(perDirection).filter(([k]) => k.startsWith(`${n.underlayIp}>`));
        transmissions += sent.reduce((a, [, v]) => a + v, 0);
        expect(sent.map(([k, v]) => `${k} ${v}`).sort())
          .toEqual(sc.tunnel.tunnels.filter((t) => t.srcNode === n.name).map((t) => `${t.outerSrc}>${t.outerDst} ${t.packets}`).sort());
      }
      expect(transmissions).toBe(sc.tunnel.transmissions);
      expect(transmissions).toBeGreaterThan(0);
      expect(sc.tunnel.encapsulationBytes).toBe(transmissions * ov.encapsulationOverheadBytes);
    });

    it.skipIf(!haveTshark)('the tunnel device captures hold the inner packets only', () => {
      for (const n of truth.nodes) {
        const c = sc.captures.find((x) => x.point === `${n.name}-${ov.device}`)!;
        const all = run('tshark', ['-n', '-r', path.join(dir, c.file), '-T', 'fields', '-e', 'frame.protocols']).split('\n').filter(Boolean);
        expect(all.length).toBe(c.capinfosPackets);
        expect(c.tunnel.packets).toBe(0);
        // IP-in-IP's tunl0 is a layer-3 device (raw IP link type); Geneve's and VXLAN's carry the inner Ethernet.
        for (const p of all) expect(p).toMatch(ov.type === 'ipip' ? /^raw:ip:tcp/ : /^eth:ethertype:ip:tcp/);
      }
    });
  });

  describe.each(truth.scenarios.map((s) => [s.name, s] as const))('dist/cli.js analyze on scenario %s', (_name, sc) => {
    it('nodes, pod CIDRs, tunnels, journeys and translations equal truth', (ctx) => {
      if (!existsSync(CLI)) { console.warn(`SKIPPED: ${overlay}/${sc.name}: ${CLI} is not built (npm run build:cli)`); ctx.skip(); return; }
      const capDir = path.join(dir, 'captures', sc.name);
      const files = readdirSync(capDir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(capDir, f));
      const r = spawnSync('node', [CLI, 'analyze', ...files, '--cluster', path.join(dir, 'cluster.json'), '--format', 'json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      expect(r.status).toBe(0);
      const a = JSON.parse(r.stdout) as {
        nodes: Array<{ ip: string; name: string | null; podCidrs: Array<{ cidr: string }> }>;
        tunnels: Array<{ a: string; b: string; type: string; vni: number | null; packets: number; overheadBytes: number }>;
        journeys: Array<{ complete: boolean; hops: Array<{ tunnel: null | { type: string; outerSrc: string; outerDst: string } }> }>;
        translations: Array<{ kind: string; original: { src: Endpoint; dst: Endpoint }; translated: { src: Endpoint; dst: Endpoint } }>;
        flows: Array<{ tunnel: null | { type: string; vni: number; outerFlow: number } }>;
      };
      // Inner flows name their tunnel as tunnels[] does: its VNI, or -1 for IP-in-IP (no identifier).
      const inner = a.flows.filter((f) => f.tunnel !== null);
      expect(inner.length).toBeGreaterThan(0);
      for (const f of inner) expect([f.tunnel!.type, f.tunnel!.vni]).toEqual([ov.type, ov.vni ?? -1]);
      expect(a.tunnels.every((t) => t.vni === (ov.vni ?? -1))).toBe(true);
      expect(tunnelText({ type: ov.type, vni: ov.vni ?? -1 })).toBe(ov.type === 'ipip' ? 'IP-in-IP' : `${TYPE_NAME[ov.type]} VNI ${ov.vni}`);
      expect([...new Set(a.tunnels.map((t) => t.type))]).toEqual([ov.type]);
      expect(a.nodes.map((n) => [n.ip, n.name, n.podCidrs.map((c) => c.cidr)]).sort())
        .toEqual(truth.nodes.map((n) => [n.underlayIp, n.name, [n.podCidr]]).sort());
      expect(a.tunnels.map((t) => `${t.a}>${t.b} ${t.type}: ${t.packets}`).sort())
        .toEqual(sc.tunnel.tunnels.map((t) => `${t.outerSrc}>${t.outerDst} ${ov.type}: ${t.packets}`).sort());
      for (const t of a.tunnels) expect(t.overheadBytes).toBe(t.packets * ov.encapsulationOverheadBytes);
      const ep = (e: Endpoint): string => `${e.ip}:${e.port}`;
      expect(a.translations.map((t) => `${t.kind} ${ep(t.original.src)}>${ep(t.original.dst)} => ${ep(t.translated.src)}>${ep(t.translated.dst)}`).sort())
        .toEqual(conntrackTranslations(sc));
      expect(a.journeys.length).toBe(sc.requestCount);
      for (const j of a.journeys) {
        expect(j.complete).toBe(true);
        const tunnelHops = j.hops.filter((h) => h.tunnel !== null);
        expect(tunnelHops.length).toBeGreaterThan(0);
        for (const h of tunnelHops) {
          expect(h.tunnel!.type).toBe(ov.type);
          expect(nodeByIp.has(h.tunnel!.outerSrc) && nodeByIp.has(h.tunnel!.outerDst)).toBe(true);
        }
      }
    });
  });
});

// compare of each overlay against the VXLAN run (Flannel's, made the same way):
// the same packets per request end to end (each transmission on each link
// once, as truth.json counts them), the same TCP data segments, and every
// tunnel row named by its type.
const others = present.filter((o) => o !== 'vxlan');
describe.runIf(present.includes('vxlan') && others.length > 0).each(others.map((o) => [o] as const))('compare vxlan against %s', (overlay) => {
  const ref = JSON.parse(readFileSync(path.join(ROOT, 'vxlan', 'truth.json'), 'utf8')) as Truth;
  const truth = JSON.parse(readFileSync(path.join(ROOT, overlay, 'truth.json'), 'utf8')) as Truth;
  const typeName = TYPE_NAME[truth.network.overlay.type]!;
  describe.each(truth.scenarios.map((s) => [s.name] as const))('scenario %s', (scenario) => {
    it('the same packets per request end to end, tunnel rows named by type', (ctx) => {
      if (!existsSync(CLI)) { console.warn(`SKIPPED: compare vxlan/${overlay}: ${CLI} is not built (npm run build:cli)`); ctx.skip(); return; }
      const r = spawnSync('node', [CLI, 'compare', path.join(ROOT, 'vxlan', 'captures', scenario), path.join(ROOT, overlay, 'captures', scenario),
        '--cluster', path.join(ROOT, 'vxlan', 'cluster.json'), '--label-a', 'vxlan', '--label-b', overlay, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const c = JSON.parse(r.stdout) as { metrics: Array<{ name: string; a: number | null; b: number | null }>; perHop: Array<{ hop: string; a: number; b: number }>; explanation: string[] };
      const metric = (name: string) => {
        const m = c.metrics.find((x) => x.name === name);
        if (!m) throw new Error(`no metric '${name}' in ${c.metrics.map((x) => x.name).join(' | ')}`);
        return m;
      };
      const refSc = ref.scenarios.find((s) => s.name === scenario) as Scenario & { packetsPerRequest: { endToEnd: number; tunnel: number } };
      const sc = truth.scenarios.find((s) => s.name === scenario) as Scenario & { packetsPerRequest: { endToEnd: number; tunnel: number } };
      const e2e = metric('packets per request, end to end');
      expect([e2e.a, e2e.b]).toEqual([refSc.packetsPerRequest.endToEnd, sc.packetsPerRequest.endToEnd]);
      expect(e2e.b).toBe(e2e.a);
      const data = metric('TCP data segments per request, end to end (payload split by the MSS: the same with offloads on or off; pure ACKs not counted)');
      expect(data.b).toBe(data.a);
      expect(metric(`${typeName} packets per request`).b).toBe(sc.packetsPerRequest.tunnel);
      expect(metric('VXLAN packets per request').a).toBe(refSc.packetsPerRequest.tunnel);
      if (typeName !== 'VXLAN') {
        expect(metric(`${typeName} packets per request`).a).toBe(0);
        expect(metric('VXLAN packets per request').b).toBe(0);
        expect(c.perHop.some((h) => h.hop.endsWith(`in ${typeName}`) && h.b > 0 && h.a === 0)).toBe(true);
      }
      expect(c.perHop.filter((h) => / in /.test(h.hop)).every((h) => /in (VXLAN|Geneve|IP-in-IP)$/.test(h.hop))).toBe(true);
      expect(c.explanation.join(' ')).toMatch(/about the same number of packets per request end to end/);
    });
  });
});

it.runIf(present.length === 0)('lab overlays are absent (skipped)', () => {
  expect(present).toEqual([]);
});
