/** The CLI's --filter / -Y (dist/cli.js, built by npm run build:cli): packets and analyze on a lab capture vs tshark, and bad filters exit 2 with the position. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CORPUS_FILES, ROOT, fixturePath } from '../helpers/corpus.js';
import { tsharkFrames } from './scan.js';

const CLI = path.join(ROOT, 'bin', 'overlayscope.js');
const FILE = fixturePath('lab', 'captures', 'nginx-proxy', 'node1-eth0.pcap');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });

describe.skipIf(!existsSync(path.join(ROOT, 'dist', 'cli.js')) || !existsSync(FILE))('overlayscope --filter', () => {
  it.each([
    ['ip.addr == 10.244.1.0/24 && tcp.port == 8080'],
    ['vxlan && http.request'],
    ['tcp.flags.syn == 1 and not tcp.flags.ack == 1'],
  ])('packets -Y %s prints the frames tshark matches, numbered as the file', async (filter) => {
    const r = run('packets', FILE, '-Y', filter);
    expect(r.status).toBe(0);
    const ours = r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n);
    const t = await tsharkFrames(FILE, filter);
    expect(Array.isArray(t)).toBe(true);
    expect(ours).toEqual(t);
    expect(ours.length).toBeGreaterThan(0);
  }, 60_000);

  const ANY = fixturePath('lab', 'captures', 'nginx-proxy-any-sll2', 'node2-any.pcap');
  it.skipIf(!existsSync(ANY))('relative numbers and TCP analysis: packets -Y and analyze --filter keep tshark\'s frames', async () => {
    for (const filter of ['tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission && tcp.seq > 1', 'tcp.ack == 1 && !tcp.analysis.flags']) {
      const r = run('packets', ANY, '-Y', filter);
      expect(r.status).toBe(0);
      const ours = r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n);
      const t = await tsharkFrames(ANY, filter) as number[];
      expect(t.length).toBeGreaterThan(0);
      expect(ours, filter).toEqual(t);
      const a = run('analyze', ANY, '--filter', filter, '--format', 'json');
      expect(a.status).toBe(0);
      expect((JSON.parse(a.stdout) as { packets: number }).packets, filter).toBe(t.length);
    }
  }, 120_000);

  it('--limit counts matching packets', () => {
    const r = run('packets', FILE, '--filter', 'tcp.port == 8080', '--limit', '3');
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('analyze --filter analyses the matching packets only', async () => {
    const filter = 'tcp.port == 8080';
    const r = run('analyze', FILE, '--filter', filter, '--format', 'json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { packets: number; protocols: Record<string, number>; flows: Array<{ transport: string; b: { port: number }; a: { port: number } }> };
    const t = await tsharkFrames(FILE, filter);
    expect(doc.packets).toBe((t as number[]).length);
    expect(doc.protocols['tcp']).toBe(doc.packets);
    expect(doc.protocols['arp'] ?? 0).toBe(0);
    // Every TCP flow left is one on 8080 (the outer VXLAN UDP flow carrying them stays: its packets match).
    for (const f of doc.flows.filter((x) => x.transport === 'tcp')) expect([f.a.port, f.b.port]).toContain(8080);
  }, 60_000);

  it.each([
    ['ip.adr == 10.0.0.1', "bad filter: unknown field 'ip.adr' at 1:1 (did you mean ip.addr?)\n  ip.adr == 10.0.0.1\n  ^"],
    ['tcp.port == 80 && (ip.src == 10.0.0.1', "bad filter: missing ')' at 1:19 (the '(' here is not closed)\n  tcp.port == 80 && (ip.src == 10.0.0.1\n                    ^"],
  ])('a bad filter %j exits 2 with the position (packets, analyze, report, compare)', (filter, message) => {
    for (const cmd of [['packets', FILE], ['analyze', FILE], ['report', FILE, '--format', 'json'], ['compare', FILE, FILE]]) {
      const r = run(...cmd, '--filter', filter);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`overlayscope: ${message}\n`);
    }
  });

  it('one filter only', () => {
    const r = run('packets', FILE, '--filter', 'tcp', '-Y', 'udp');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('give one filter');
  });

  it('report --filter: the report of the matching packets only', async () => {
    const filter = 'tcp.port == 8080 && tcp.len > 0';
    const r = run('report', FILE, '--filter', filter, '--format', 'json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { packets: number; captures: Array<{ packets: number }> };
    const t = await tsharkFrames(FILE, filter) as number[];
    expect(t.length).toBeGreaterThan(0);
    expect(doc.packets).toBe(t.length);
    expect(doc.captures[0]!.packets).toBe(t.length);
  }, 60_000);

  it('compare --filter: each side the analysis of its matching packets', async () => {
    const b = fixturePath('lab', 'captures', 'nginx-proxy', 'pod-web-a-eth0.pcap');
    const filter = 'tcp.port == 8080';
    const r = run('compare', FILE, b, '--filter', filter, '--format', 'json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { metrics: Array<{ name: string; a: number; b: number }> };
    const m = doc.metrics.find((x) => x.name === 'packets (all capture points)')!;
    expect(m.a).toBe((await tsharkFrames(FILE, filter) as number[]).length);
    expect(m.b).toBe((await tsharkFrames(b, filter) as number[]).length);
    expect(m.b).toBeGreaterThan(0);
  }, 60_000);

  it('analyze --filter with session fields (capture.host): the captures analysed whole first, then filtered', () => {
    const client = fixturePath('lab', 'captures', 'nginx-proxy', 'client-eth0.pcap');
    const whole = JSON.parse(run('analyze', FILE, client, '--format', 'json').stdout) as { captures: Array<{ packets: number }> };
    const r = run('analyze', FILE, client, '--filter', 'capture.host == "client"', '--format', 'json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { packets: number; captures: Array<{ packets: number }> };
    expect(doc.captures.map((c) => c.packets)).toEqual([0, whole.captures[1]!.packets]);
    expect(doc.packets).toBeGreaterThan(0);
  }, 60_000);

  it('analyze --filter numbers issues by the file\'s frames, as tshark does', () => {
    const bad = path.join(CORPUS_FILES, 'ndpi__badpackets.pcap');
    if (!existsSync(bad)) return;
    const all = JSON.parse(run('analyze', bad, '--format', 'json').stdout) as { issues: Array<{ packet: number | null; offset: number }> };
    const some = JSON.parse(run('analyze', bad, '--format', 'json', '--filter', 'frame.number >= 10').stdout) as typeof all;
    const late = all.issues.filter((i) => i.packet !== null && i.packet >= 10);
    expect(late.length).toBeGreaterThan(5);
    expect(some.issues.filter((i) => i.packet !== null)).toEqual(late);
  }, 60_000);

  it('flow fields: analyze --filter \'flow.packets > 20\' keeps the packets of the flows over 20 packets', () => {
    const client = fixturePath('lab', 'captures', 'nginx-proxy', 'client-eth0.pcap');
    type Doc = { packets: number; flows: Array<{ packets: number; a: { port: number }; b: { port: number } }> };
    const whole = JSON.parse(run('analyze', client, '--format', 'json').stdout) as Doc;
    const big = whole.flows.filter((f) => f.packets > 20);
    expect(big.length).toBeGreaterThan(0);
    expect(big.length).toBeLessThan(whole.flows.length);
    const doc = JSON.parse(run('analyze', client, '--format', 'json', '--filter', 'flow.packets > 20').stdout) as Doc;
    expect(doc.packets).toBe(big.reduce((a, f) => a + f.packets, 0));
    expect(doc.flows.map((f) => [f.a.port, f.b.port, f.packets])).toEqual(big.map((f) => [f.a.port, f.b.port, f.packets]));
  }, 60_000);
});
