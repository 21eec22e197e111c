/**
 * The traffic profile's counts checked against tshark on every capture of
 * the public corpus (resets, retransmissions, connections opened, HTTP
 * requests), and its cross-point deduplication on the lab captures.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { profileSession } from '../../src/compare/traffic-profile.js';
import { corpusFiles, corpusPath, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';
import { tsharkPresent } from '../helpers/tshark-cache.js';
import { lastOf, tsharkPass } from '../helpers/tshark-corpus.js';
import { LAB, labPresent, labTruth, openFiles, scenarioFiles } from './lab.js';

/** Where our figure differs from tshark's on purpose. */
const KNOWN: Record<string, { retransmissions?: string; http?: string }> = {
  'zeek__ipv6-http-atomic-frag.pcap': {
    retransmissions: 'the SYN/ACK was captured before its SYN; tshark then flags the first data segment as a retransmission, we see it once',
    http: 'tshark 4.0 does not dissect HTTP over these atomic-fragment IPv6 packets; the requests are there',
  },
};

interface TsharkCounts { resets: number; retransmissions: number; synIsns: number; http: number }

/** From tshark's pass over the file (test/helpers/tshark-corpus.ts, -d udp.port==8472,vxlan): each field's last occurrence in a frame. */
async function tsharkCounts(file: string): Promise<TsharkCounts> {
  const c: TsharkCounts = { resets: 0, retransmissions: 0, synIsns: 0, http: 0 };
  const isns = new Set<string>();
  for (const f of (await tsharkPass(file)).frames) {
    const [rst, re, syn, ack, seq, http] = (['tcp.flags.reset', 'tcp.analysis.retransmission', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.seq_raw', 'http.request'] as const).map((k) => lastOf(f[k]));
    if (rst === '1' || rst === 'True') c.resets++;
    if (re) c.retransmissions++;
    if ((syn === '1' || syn === 'True') && !(ack === '1' || ack === 'True')) isns.add(seq ?? '');
    if (http === '1' || http === 'True') c.http++;
  }
  c.synIsns = isns.size;
  return c;
}

describe.skipIf(!corpusPresent || !tsharkPresent)('traffic profile vs tshark on the corpus', () => {
  it.each(corpusFiles())('%s', async (name) => {
    const file = corpusPath(name);
    // tshark's child process runs while we read the file.
    const [t, p] = await Promise.all([tsharkCounts(file), openFiles([file]).then((s) => profileSession(s, name))]);
    expect(p.resets, 'TCP resets').toBe(t.resets);
    expect(p.tcpConnectionsOpened, 'connections opened (distinct SYN ISNs)').toBe(t.synIsns);
    if (!KNOWN[name]?.retransmissions) expect(p.retransmissions, 'retransmissions').toBe(t.retransmissions);
    if (!KNOWN[name]?.http) expect(p.httpRequests, 'HTTP requests').toBe(t.http);
    expect(p.frames).toBeLessThanOrEqual(p.packets);
  }, 60_000);
});
if (!corpusPresent) corpusSkipReason();

describe.skipIf(!labPresent)('deduplication across capture points (lab captures)', () => {
  it('the same capture given twice counts every frame once', async () => {
    const f = path.join(LAB, 'captures', 'nginx-proxy', 'client-eth0.pcap');
    const one = await profileSession(await openFiles([f]), 'one');
    const two = await profileSession(await openFiles([f, f]), 'two');
    expect(two.packets).toBe(2 * one.packets);
    expect(two.frames).toBe(one.frames);
    expect(two.tcpConnectionsOpened).toBe(one.tcpConnectionsOpened);
    expect(two.requests).toBe(one.requests);
    expect(two.retransmissions).toBe(0);
  });

  it('a VXLAN transmission seen at both node NICs and both flannel.1 devices is one packet', async () => {
    const files = scenarioFiles('nginx-proxy').filter((f) => /node[12]-(eth0|flannel\.1)\.pcap$/.test(f));
    const p = await profileSession(await openFiles(files), 'nodes');
    const eth = await profileSession(await openFiles(files.filter((f) => f.includes('eth0'))), 'eth');
    // Tunnel frames between node1 and node2 are the same transmissions whichever points show them.
    expect(p.tunnelPackets).toBe(eth.tunnelPackets);
    expect(p.tunnels.map((x) => [x.type, x.packets])).toEqual([["vxlan", eth.tunnelPackets]]);
    expect(p.points.map((x) => x.name).sort()).toEqual(['node1-eth0', 'node1-flannel.1', 'node2-eth0', 'node2-flannel.1']);
  });

  it('the client capture alone: one connection per request and the client\'s packets per request (truth.json), no proxy leg', async () => {
    const p = await profileSession(await openFiles([path.join(LAB, 'captures', 'ingress', 'client-eth0.pcap')]), 'client');
    const sc = labTruth().scenarios.find((s) => s.name === 'ingress')!;
    expect(p.requests).toBe(sc.requestCount);
    expect(p.legs.map((l) => l.name)).toEqual(['client connection']);
    expect(p.requestFrames / p.requests).toBe(sc.packetsPerRequest.client);
    expect(p.requestList.every((r) => r.point === 'client-eth0' && r.newConnection)).toBe(true);
  });
});
