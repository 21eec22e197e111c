/**
 * compare names its overlay rows by the tunnel types present and computes
 * encapsulation bytes per type from the decoded offsets. References from
 * tshark on the same corpus files: a tunnel packet's overhead is its frame
 * length less the carried frame (the innermost IP length + 14 for the inner
 * Ethernet; for VXLAN with ARP inside, the outer UDP length less 16).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { compareProfiles } from '../../src/compare/compare.js';
import { profileSession, type TrafficProfile } from '../../src/compare/traffic-profile.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CORPUS, ROOT, corpusPath, corpusPresent } from '../helpers/corpus.js';
import { openFiles } from './lab.js';

if (!corpusPresent) console.warn('SKIPPED: tunnel-type comparison tests need ../shared/corpus');

/** tshark: packets, bytes and per-packet overhead (frame length less the carried frame) summed, per file. */
function tsharkOverhead(file: string, how: 'inner-ip' | 'outer-udp'): { packets: number; bytes: number; overhead: number } {
  const field = how === 'inner-ip' ? ['-E', 'occurrence=l', '-e', 'frame.len', '-e', 'ip.len'] : ['-E', 'occurrence=f', '-e', 'frame.len', '-e', 'udp.length'];
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', ...field], { encoding: 'utf8' });
  let packets = 0, bytes = 0, overhead = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [len, x] = line.split('\t').map(Number) as [number, number];
    packets++;
    bytes += len;
    overhead += how === 'inner-ip' ? len - x - 14 : len - x + 16;
  }
  return { packets, bytes, overhead };
}

const metric = (ms: ReturnType<typeof compareProfiles>['metrics'], name: string) => {
  const m = ms.find((x) => x.name === name);
  if (!m) throw new Error(`no metric '${name}' among ${ms.filter((x) => x.group === 'overlay').map((x) => x.name).join(', ')}`);
  return m;
};

describe.skipIf(!corpusPresent)('tunnel types in compare (corpus)', () => {
  const geneveFile = corpusPath('zeek__geneve-many-options.pcap');
  const vxlanFile = corpusPath('tcpdump__vxlan.pcap');
  let geneve: TrafficProfile;
  let both: TrafficProfile;

  it('Geneve with many options: packets, bytes and encapsulation (50 + options, per packet) as tshark', async () => {
    geneve = await profileSession(await openFiles([geneveFile]), 'geneve');
    const ref = tsharkOverhead(geneveFile, 'inner-ip');
    expect(ref.packets).toBe(10);
    expect(geneve.tunnels).toEqual([{ type: 'geneve', name: 'Geneve', packets: ref.packets, bytes: ref.bytes, encapsulationBytes: ref.overhead, requestCrossings: 1 }]);
    expect(geneve.encapsulationBytes).toBe(ref.overhead);
    // More than VXLAN's 50 a packet: the options are counted.
    expect(ref.overhead / ref.packets).toBeGreaterThan(50);
    expect(geneve.hops.every((h) => !h.hop.includes('VXLAN'))).toBe(true);
    expect(geneve.hops.some((h) => h.hop.endsWith(' · in Geneve'))).toBe(true);
  });

  it('three VXLAN levels in one packet: 150 bytes of encapsulation, one VXLAN packet', async () => {
    const f = corpusPath('zeek__vxlan-triple-v2.pcap');
    const p = await profileSession(await openFiles([f]), 'triple');
    const ref = tsharkOverhead(f, 'inner-ip');
    expect(ref.overhead).toBe(150);
    expect(p.tunnels).toEqual([{ type: 'vxlan', name: 'VXLAN', packets: 1, bytes: ref.bytes, encapsulationBytes: 150, requestCrossings: 0 }]);
  });

  it('a session holding Geneve and VXLAN gets one row per type, named by it', async () => {
    both = await profileSession(await openFiles([geneveFile, vxlanFile]), 'both');
    const v = tsharkOverhead(vxlanFile, 'outer-udp');
    const g = tsharkOverhead(geneveFile, 'inner-ip');
    expect(both.tunnels.map((t) => [t.type, t.packets, t.encapsulationBytes])).toEqual([['vxlan', v.packets, v.overhead], ['geneve', g.packets, g.overhead]]);
    expect(both.tunnelPackets).toBe(v.packets + g.packets);
    expect(both.encapsulationBytes).toBe(v.overhead + g.overhead);
    const c = compareProfiles(geneve, both);
    const overlay = c.metrics.filter((m) => m.group === 'overlay').map((m) => m.name);
    expect(overlay).toEqual([
      'VXLAN packets', 'VXLAN packets per request', 'VXLAN crossings per request (request messages)', 'VXLAN bytes', 'VXLAN encapsulation bytes per request',
      'Geneve packets', 'Geneve packets per request', 'Geneve crossings per request (request messages)', 'Geneve bytes', 'Geneve encapsulation bytes per request',
      'tunnel packets (every type; a frame inside two types once)', 'tunnel packets per request (every type)',
      'encapsulation bytes', 'encapsulation bytes per request',
    ]);
    expect(metric(c.metrics, 'VXLAN packets')).toMatchObject({ a: 0, b: v.packets });
    expect(metric(c.metrics, 'Geneve packets')).toMatchObject({ a: g.packets, b: g.packets, delta: 0 });
    // One client request on each side.
    expect(metric(c.metrics, 'Geneve encapsulation bytes per request')).toMatchObject({ a: g.overhead, b: g.overhead });
    expect(metric(c.metrics, 'VXLAN encapsulation bytes per request')).toMatchObject({ a: 0, b: v.overhead });
    expect(c.explanation).toContain(`B (both) sends ${v.packets} VXLAN packets per request and A (geneve) none: ${v.overhead} bytes of VXLAN encapsulation per request.`);
    expect(c.explanation).toContain(`Both send about as many Geneve packets per request (${g.packets} and ${g.packets}).`);
    expect(c.explanation.some((s) => s.includes('crosses the Geneve overlay 1 times in A and 1 times in B'))).toBe(true);
  });

  it('one type alone keeps the lab\'s rows (no per-type encapsulation row, no all-types row)', () => {
    const c = compareProfiles(geneve, geneve);
    expect(c.metrics.filter((m) => m.group === 'overlay').map((m) => m.name)).toEqual([
      'Geneve packets', 'Geneve packets per request', 'Geneve crossings per request (request messages)', 'Geneve bytes', 'encapsulation bytes', 'encapsulation bytes per request',
    ]);
    expect(c.explanation.join(' ')).not.toContain('VXLAN');
  });

  const encap = path.resolve(CORPUS, '..', 'corpus-encap', 'files', 'zeek__4in4.pcap');
  if (!existsSync(encap)) console.warn(`SKIPPED: the IP-in-IP comparison test needs ${encap}`);
  it.skipIf(!existsSync(encap))('IPv4 in IPv4: IP-in-IP rows, 20 bytes of encapsulation a packet', async () => {
    const p = await profileSession(await openFiles([encap]), '4in4');
    const r = spawnSync('tshark', ['-n', '-r', encap, '-Y', 'ip.proto == 4', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
    const n = r.stdout.split('\n').filter(Boolean).length;
    expect(n).toBeGreaterThan(0);
    const t = p.tunnels.find((x) => x.type === 'ipip');
    expect(t).toMatchObject({ name: 'IP-in-IP', packets: n, encapsulationBytes: 20 * n });
  });

  const e6 = path.resolve(CORPUS, '..', 'corpus-encap', 'files', 'zeek__6in6.pcap');
  it.skipIf(!existsSync(e6))('IPv6 in IPv6: 40 bytes of encapsulation a packet (outer payload length less inner, from tshark)', async () => {
    const p = await profileSession(await openFiles([e6]), '6in6');
    const r = spawnSync('tshark', ['-n', '-r', e6, '-Y', 'ipv6.nxt == 41', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'ipv6.plen'], { encoding: 'utf8' });
    const rows = r.stdout.split('\n').filter(Boolean).map((l) => l.split(',').map(Number));
    expect(rows.length).toBeGreaterThan(0);
    const overhead = rows.reduce((n, x) => n + x[0]! - x[1]!, 0);
    expect(overhead).toBe(40 * rows.length);
    expect(p.tunnels).toMatchObject([{ type: 'ipip', name: 'IP-in-IP', packets: rows.length, encapsulationBytes: overhead }]);
  });

  const gre = path.resolve(CORPUS, '..', 'corpus-encap', 'files', 'zeek__gre-sample.pcap');
  it.skipIf(!existsSync(gre))('GRE with IP inside: outer IP + GRE header a packet (outer IP length less inner, from tshark)', async () => {
    const p = await profileSession(await openFiles([gre]), 'gre');
    const r = spawnSync('tshark', ['-n', '-r', gre, '-Y', 'gre && ip.proto == 47', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'ip.len'], { encoding: 'utf8' });
    const rows = r.stdout.split('\n').filter(Boolean).map((l) => l.split(',').map(Number));
    const overhead = rows.reduce((n, x) => n + x[0]! - x[1]!, 0);
    expect(p.tunnels).toMatchObject([{ type: 'gre', name: 'GRE', packets: rows.length, encapsulationBytes: overhead }]);
  });
});

describe('tunnel types in compare (bench generator: VXLAN on 8472 and 4789)', () => {
  it('VXLAN packets and 50 bytes of encapsulation each, as the generator\'s truth file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ovs-tunnel-types-'));
    try {
      const file = path.join(dir, 'o20k.pcap');
      const g = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'gen-overlay.mjs'), '--out', file, '--packets', '20000', '--quiet'], { encoding: 'utf8' });
      expect(g.status, g.stderr).toBe(0);
      const truth = JSON.parse(readFileSync(`${file}.truth.json`, 'utf8')) as { vxlanPackets: { total: number; udp4789: number } };
      expect(truth.vxlanPackets.udp4789).toBeGreaterThan(0);
      const p = await profileSession(await openFiles([file]), 'bench');
      expect(p.tunnels).toMatchObject([{ type: 'vxlan', name: 'VXLAN', packets: truth.vxlanPackets.total, encapsulationBytes: 50 * truth.vxlanPackets.total }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
