/**
 * The overlay model over encapsulations other than VXLAN (issue 13): nodes,
 * pod CIDRs and typed tunnel rows from IP-in-IP, GRE, ERSPAN, Geneve and
 * WireGuard captures of the public corpora, per direction against tshark.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { WIREGUARD_NOTE, type OverlayJson } from '../../src/overlay/overlay.js';
import { CORPUS, corpusPath } from '../helpers/corpus.js';

const ENCAP = path.resolve(CORPUS, '..', 'corpus-encap', 'files');
const encapPresent = existsSync(ENCAP);
if (!encapPresent) console.warn(`SKIPPED: encapsulation overlay tests need ${ENCAP} (../shared/corpus-encap)`);

async function overlay(file: string): Promise<OverlayJson> {
  return (await AnalysisSession.open([await fileSource(file)])).overlay().toJSON();
}

/** tshark: per outer (first) IPv4 source and destination of the frames matching `filter`, the packets and the sum of `overhead`. */
function perDirection(file: string, filter: string, overhead: (f: string[]) => number = () => 0, fields: string[] = []): Map<string, { packets: number; overhead: number; rows: string[][] }> {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'ip.src', '-e', 'ip.dst', ...fields.flatMap((x) => ['-e', x])], { encoding: 'utf8' });
  const m = new Map<string, { packets: number; overhead: number; rows: string[][] }>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const f = line.split('\t');
    const k = `${f[0]!.split(',')[0]} ${f[1]!.split(',')[0]}`;
    const e = m.get(k) ?? { packets: 0, overhead: 0, rows: [] };
    e.packets++;
    e.overhead += overhead(f);
    e.rows.push(f);
    m.set(k, e);
  }
  return m;
}

const edges = (o: OverlayJson) => new Map(o.tunnels.map((t) => [`${t.a} ${t.b}`, t]));

describe.skipIf(!encapPresent)('overlay model over other encapsulations (corpus-encap)', () => {
  it('IPv4 in IPv4: two nodes, no VNI (-1) and no VTEP MAC, 20 bytes of encapsulation a packet, the inner source as a pod CIDR', async () => {
    const file = path.join(ENCAP, 'zeek__4in4.pcap');
    const o = await overlay(file);
    const ref = perDirection(file, 'ip.proto == 4');
    expect(ref.size).toBeGreaterThan(0);
    const got = edges(o);
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [k, r] of ref) expect(got.get(k), k).toMatchObject({ type: 'ipip', vni: -1, packets: r.packets, overheadBytes: 20 * r.packets, innerFlows: 1 });
    const ips = [...new Set([...ref.keys()].flatMap((k) => k.split(' ')))].sort();
    expect(o.nodes.map((n) => n.ip)).toEqual(ips);
    for (const n of o.nodes) expect(n).toMatchObject({ vtepMacs: [], vnis: [] });
    // The inner source (tshark's last ip.src) is inside the sending node's inferred /24.
    const inner = perDirection(file, 'ip.proto == 4', () => 0, []).values().next().value!.rows[0]![0]!.split(',')[1]!;
    const sender = o.nodes.find((n) => n.podCidrs.length > 0)!;
    expect(sender.podCidrs).toEqual([{ cidr: `${inner.split('.').slice(0, 3).join('.')}.0/24`, evidence: 1, source: 'traffic' }]);
  });

  it('GRE: one row per direction with tshark\'s packets; encapsulation = outer IP length less inner IP length', async () => {
    const file = path.join(ENCAP, 'zeek__gre-sample.pcap');
    const o = await overlay(file);
    const ref = perDirection(file, 'gre && ip.proto == 47', (f) => { const l = f[2]!.split(',').map(Number); return l[0]! - l[1]!; }, ['ip.len']);
    const got = edges(o);
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [k, r] of ref) expect(got.get(k), k).toMatchObject({ type: 'gre', packets: r.packets, overheadBytes: r.overhead });
    expect(o.nodes.map((n) => n.ip).sort()).toEqual([...new Set([...ref.keys()].flatMap((k) => k.split(' ')))].sort());
  });

  it('ERSPAN type II: the mirror session id as the identifier, the mirrored frame\'s source MAC on the sender', async () => {
    const file = path.join(ENCAP, 'tcpdump__erspan-type-ii-1.pcap');
    const o = await overlay(file);
    const ref = perDirection(file, 'erspan', () => 0, ['erspan.spanid', 'eth.src']);
    for (const [k, r] of ref) {
      const t = edges(o).get(k)!;
      expect(t).toMatchObject({ type: 'erspan', packets: r.packets, vni: Number(r.rows[0]![2]) });
      const sender = o.nodes.find((n) => n.ip === t.a)!;
      expect(sender.vtepMacs).toContain(r.rows[0]![3]!.split(',')[1]);
    }
  });

  it('WireGuard: encrypted node-to-node rows per direction with packets, handshakes and the note; no inner flows, no pod CIDRs', async () => {
    const file = path.join(ENCAP, 'pcapplusplus__WireGuard.pcap');
    const o = await overlay(file);
    const ref = perDirection(file, 'wg', () => 0, ['wg.type']);
    const got = edges(o);
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [k, r] of ref) {
      const handshakes = r.rows.filter((x) => x[2] === '1' || x[2] === '2').length;
      expect(got.get(k), k).toMatchObject({ type: 'wireguard', vni: -1, packets: r.packets, handshakes, innerFlows: 0, note: WIREGUARD_NOTE });
    }
    expect([...got.values()].reduce((n, t) => n + (t.handshakes ?? 0), 0)).toBe(2);
    for (const n of o.nodes) expect(n.podCidrs).toEqual([]);
  });

  it.each(['zeek__4in6.pcap', 'zeek__6in6.pcap', 'zeek__6in6in6.pcap'])('IPv6 underlay (%s): nodes named by their IPv6 addresses, 40 bytes of encapsulation a packet', async (name) => {
    const file = path.join(ENCAP, name);
    const o = await overlay(file);
    // The outermost IPv6 header's addresses (tshark's first ipv6.src/dst) of the frames carrying IP in IPv6.
    const r = spawnSync('tshark', ['-n', '-r', file, '-Y', 'ipv6.nxt == 4 || ipv6.nxt == 41', '-T', 'fields', '-E', 'occurrence=f', '-e', 'ipv6.src', '-e', 'ipv6.dst'], { encoding: 'utf8' });
    const ref = new Map<string, number>();
    for (const l of r.stdout.split('\n').filter(Boolean)) { const k = l.split('\t').join(' '); ref.set(k, (ref.get(k) ?? 0) + 1); }
    expect(ref.size).toBeGreaterThan(0);
    const got = edges(o);
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [k, n] of ref) expect(got.get(k), k).toMatchObject({ type: 'ipip', vni: -1, packets: n, overheadBytes: 40 * n });
    expect(o.nodes.map((x) => x.ip).sort()).toEqual([...new Set([...ref.keys()].flatMap((k) => k.split(' ')))].sort());
  });

  it('Geneve (corpus): rows typed geneve, not vxlan', async () => {
    const file = corpusPath('zeek__geneve-many-options.pcap');
    const o = await overlay(file);
    expect(o.tunnels.length).toBeGreaterThan(0);
    expect(o.tunnels.every((t) => t.type === 'geneve' && t.vni >= 0)).toBe(true);
  });
});
