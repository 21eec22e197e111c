/**
 * FlowTracker on real captures: TCP edge cases (port reuse, RST, keep-alive
 * and pipelined HTTP, retransmissions, zero windows, a capture that starts
 * mid-connection), tunnel links and the packet index's flow ids.
 *
 * Fixtures: test/flows/fixtures/loopback-http.pcap (made by
 * make-loopback-http.py beside it: real TCP on 127.0.0.1, captured with
 * tcpdump) and the public corpus (../shared/corpus; skipped without it).
 * Expected figures were read off tshark 4.0.17 for the same files.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { ByteSource } from '../../src/capture/types.js';
import { fileURLToPath } from 'node:url';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { endpoints } from '../../src/flows/flow-output.js';
import { corpusPath, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOOPBACK = path.join(HERE, 'fixtures', 'loopback-http.pcap');

async function open(file: string): Promise<AnalysisSession> {
  return AnalysisSession.open([await fileSource(file, path.basename(file))]);
}

if (!corpusPresent) corpusSkipReason();

describe('TCP conversations and HTTP on a loopback capture (tcpdump, 30 packets)', () => {
  it('splits a reused 4-tuple into two conversations, the first closed by RST, the second by FIN', async () => {
    const s = await open(LOOPBACK);
    const t = s.flows.table;
    expect(t.count).toBe(2);
    // tshark -z conv,tcp: 16 frames 1357 bytes, then 14 frames 1061 bytes.
    expect([t.packets(0), t.bytes(0), t.packetsAtoB(0), t.packetsBtoA(0)]).toEqual([16, 1357, 9, 7]);
    expect([t.packets(1), t.bytes(1), t.packetsAtoB(1), t.packetsBtoA(1)]).toEqual([14, 1061, 7, 7]);
    expect(endpoints(t, 0)).toEqual({ a: { ip: '127.0.0.1', port: 40001 }, b: { ip: '127.0.0.1', port: 18080 } });
    expect(t.superseded[0]).toBe(1);
    const c = s.flows.tcp;
    expect(c.describe(0)).toBe('SYN→SYN/ACK→ACK, RST');
    expect(c.resets[0]).toBe(1);
    expect(c.describe(1)).toBe('SYN→SYN/ACK→ACK, FIN both');
    expect(c.isn[0]).not.toBe(c.isn[2]);
    expect(c.rttNs[0]).toBeGreaterThan(0);
    expect(c.rttNs[0]).toBeLessThan(1e6);
    // Packets 1-16 belong to flow 0, 17-30 to flow 1.
    const idx = s.captures[0]!.index;
    expect(Array.from(idx.flowId.subarray(0, 30))).toEqual([...Array(16).fill(0), ...Array(14).fill(1)]);
    expect(Array.from(idx.outerFlowId.subarray(0, 30))).toEqual(Array.from(idx.flowId.subarray(0, 30)));
  });

  it('pairs keep-alive and pipelined requests with their responses in order, with sizes by length, chunks and close', async () => {
    const s = await open(LOOPBACK);
    const h = s.flows.http.transactions.map((x) => [x.flow, x.method, x.host, x.uri, x.status, x.requestBytes, x.responseBytes, x.complete]);
    expect(h).toEqual([
      [0, 'GET', 'loopback.test', '/one', 200, 42, 43, true],
      // Chunked: 47 header bytes + "3\r\nabc\r\n" + "4\r\ndefg\r\n0\r\n\r\n".
      [0, 'GET', 'loopback.test', '/two', 200, 42, 47 + 8 + 14, true],
      [0, 'GET', 'loopback.test', '/three', 404, 44, 45, true],
      // The POST's header block came in two segments, split inside the Host line.
      [1, 'POST', 'loopback.test', '/form', 200, 63 + 5, 33 + 20, true],
    ]);
    const [one, two, three] = s.flows.http.transactions;
    // /two and /three were sent in one segment: same request time; /three's answer comes after /two's.
    expect(two!.reqSec * 1e9 + two!.reqNsec).toBe(three!.reqSec * 1e9 + three!.reqNsec);
    expect(three!.respSec * 1e9 + three!.respNsec).toBeGreaterThan(two!.endSec * 1e9 + two!.endNsec - 1);
    expect(one!.respSec).toBeGreaterThan(0);
    const json = s.toJSON();
    expect(json.http[1]).toMatchObject({ flow: 0, method: 'GET', uri: '/two', status: 200, reason: 'OK' });
    expect(json.http[1]!['ttfbMs']).toBeGreaterThan(0);
    expect(json.http[1]!['totalMs']).toBeGreaterThan(json.http[1]!['ttfbMs'] as number);
    expect(json.flows.map((f) => f['tcp'] && (f['tcp'] as { state: string }).state)).toEqual(['SYN→SYN/ACK→ACK, RST', 'SYN→SYN/ACK→ACK, FIN both']);
  });
});

describe.skipIf(!corpusPresent)('TCP analysis on corpus captures (figures from tshark -Y tcp.analysis.*)', () => {
  it.each([
    // file, flows with retransmissions: [a port, b port, retransmissions]
    ['arkime__v6.pcap', [[1022, 22, 2]]],
    ['tcpdump__pptp.pcap', [[3025, 1723, 4]]],
    ['zeek__vlan-pcp-dei.pcapng', [[12345, 80, 4]]],
  ] as const)('%s: retransmissions as tshark counts them', async (file, expected) => {
    const s = await open(corpusPath(file));
    const t = s.flows.table;
    const got: number[][] = [];
    for (let f = 0; f < t.count; f++) {
      if (t.proto[f] === 6 && s.flows.tcp.retransmissions[f]! > 0) got.push([t.portA[f]!, t.portB[f]!, s.flows.tcp.retransmissions[f]!]);
    }
    expect(got).toEqual(expected);
  });

  it('zero windows and the zero-window probe of suricata__http-mime-truncated (tshark: 9 zero windows, no retransmission)', async () => {
    const s = await open(corpusPath('suricata__http-mime-truncated__input.pcap'));
    expect(s.flows.table.count).toBe(1);
    const c = s.flows.tcp;
    expect([c.zeroWindows[0], c.retransmissions[0], c.outOfOrder[0], c.resets[0]]).toEqual([9, 0, 0, 1]);
    // The file is cut inside record 2697: what was read is kept.
    expect(s.flows.table.packets(0)).toBe(2696);
    expect(s.flows.http.transactions.map((h) => h.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
  });

  it('a capture that starts mid-connection: no handshake, A is the first sender, a response without its request', async () => {
    const s = await open(corpusPath('pcapplusplus__pcapng-example.pcapng'));
    const t = s.flows.table;
    let mid = 0;
    for (let f = 0; f < t.count; f++) if (t.proto[f] === 6 && s.flows.tcp.describe(f).startsWith('mid-connection')) mid++;
    expect(mid).toBeGreaterThan(5);
    const http = s.flows.http.transactions;
    expect(http).toHaveLength(1);
    expect(http[0]).toMatchObject({ method: null, status: 200, clientDir: -1, reqSec: -1 });
    const f = http[0]!.flow;
    expect(endpoints(t, f).a).toEqual({ ip: '2404:6800:8004::68', port: 80 });
    expect(s.flows.tcp.describe(f)).toMatch(/^mid-connection/);
    expect(s.toJSON().http[0]).toMatchObject({ requestTime: null, status: 200 });
  });

  it('links VXLAN inner flows to the outer flows that carried them, both ways (ndpi__vxlan)', async () => {
    const s = await open(corpusPath('ndpi__vxlan.pcap'));
    const json = s.toJSON();
    const inner = json.flows.filter((f) => f.depth === 1);
    const outer = json.flows.filter((f) => f.depth === 0);
    // tshark -z conv,udp: 8 VXLAN UDP flows, 2 inner DNS; -z conv,tcp: 2 inner TCP.
    expect(outer).toHaveLength(9);
    expect(inner.map((f) => `${f.transport} ${f.a.ip}:${f.a.port} ${f.b.ip}:${f.b.port} ${f.packets}`).sort()).toEqual([
      'tcp 10.10.20.4:45226 157.240.224.35:443 28',
      'tcp 10.10.20.4:45228 157.240.224.35:443 91',
      'udp 10.10.20.4:32860 8.8.8.8:53 4',
      'udp 10.10.20.4:44437 8.8.8.8:53 4',
    ]);
    for (const f of inner) {
      expect(f.tunnel).toMatchObject({ type: 'vxlan', vni: 1111 });
      const o = json.flows[f.tunnel!.outerFlow]!;
      expect(o.depth).toBe(0);
      expect(o.b.port === 4789 || o.a.port === 4789).toBe(true);
      expect(o['innerFlows']).toContain(f.id);
    }
    // Each inner TCP flow rides two outer flows (one a direction, different source ports); the second is listed too.
    const t45228 = inner.find((f) => f.a.port === 45228)!;
    expect((t45228['outerFlows'] as unknown[]).length).toBe(2);
    const sumOuter = (t45228['outerFlows'] as Array<{ outerFlow: number }>).reduce((a, l) => a + json.flows[l.outerFlow]!.packets, 0);
    expect(sumOuter).toBe(91);
    // Every outer flow lists only inner flows whose tunnel links name it.
    for (const o of outer) for (const i of (o['innerFlows'] as number[] | undefined) ?? []) {
      const links = (json.flows[i]!['outerFlows'] as Array<{ outerFlow: number }> | undefined) ?? [json.flows[i]!.tunnel!];
      expect(links.map((l) => l.outerFlow)).toContain(o.id);
    }
    // The index: innermost flow for each VXLAN packet, the outer one beside it.
    const idx = s.captures[0]!.index;
    for (let n = 0; n < idx.count; n++) {
      const f = idx.flowId[n]!;
      if (f >= 0 && json.flows[f]!.depth === 1) expect(json.flows[idx.outerFlowId[n]!]!.depth).toBe(0);
    }
    expect(json.dns.map((d) => `${(d as { name: string }).name} ${(d as { type: string }).type} ${(d as { rcode: string }).rcode}`)).toEqual([
      'facebook.com A NOERROR', 'facebook.com AAAA NOERROR', 'www.facebook.com A NOERROR', 'www.facebook.com AAAA NOERROR',
    ]);
  });

  it('chains nested VXLAN tunnels depth by depth (zeek__vxlan-triple-v2) and links Geneve flows with their VNI (tcpdump__geneve)', async () => {
    const triple = (await open(corpusPath('zeek__vxlan-triple-v2.pcap'))).toJSON().flows;
    expect(triple.map((f) => [f.id, f.depth, `${f.a.ip}:${f.a.port}`, f.tunnel?.vni ?? null, f.tunnel?.outerFlow ?? null, f['innerFlows'] ?? null])).toEqual([
      [0, 0, '1.1.1.1:4789', null, null, [1]],
      [1, 1, '2.2.2.2:4789', 1, 0, [2]],
      [2, 2, '3.3.3.3:4789', 2, 1, [3]],
      [3, 3, '4.4.4.4:53', 3, 2, null],
    ]);
    const s = await open(corpusPath('tcpdump__geneve.pcap'));
    const g = s.toJSON().flows;
    // Each inner flow rides two outer UDP flows, one a direction, and the VNI is per direction
    // (tshark: 20.0.0.1's tunnel packets carry VNI 10, 20.0.0.2's VNI 11).
    const icmp = g.find((f) => f.transport === 'icmp')!;
    expect(icmp).toMatchObject({ depth: 1, a: { ip: '30.0.0.1', port: null }, b: { ip: '30.0.0.2', port: null }, packets: 6 });
    expect(icmp.tunnel).toMatchObject({ type: 'geneve', vni: 10 });
    const ssh = g.find((f) => f.transport === 'tcp' && f.b.port === 22)!;
    expect(ssh.tunnel).toMatchObject({ type: 'geneve', vni: 11 });
    const outers = (ssh['outerFlows'] as Array<{ outerFlow: number; vni: number }>);
    expect(outers.map((o) => [g[o.outerFlow]!.a.ip, o.vni])).toEqual([['20.0.0.2', 11], ['20.0.0.1', 10]]);
    expect((icmp['outerFlows'] as Array<{ outerFlow: number; vni: number }>).map((o) => [g[o.outerFlow]!.a.ip, o.vni])).toEqual([['20.0.0.1', 10], ['20.0.0.2', 11]]);
    expect(outers.reduce((n, o) => n + g[o.outerFlow]!.packets, 0)).toBe(ssh.packets);
  });

  it('pairs DNS over TCP and over UDP (tcpdump__dns_tcp, tcpdump__dns_udp)', async () => {
    for (const file of ['tcpdump__dns_tcp.pcap', 'tcpdump__dns_udp.pcap']) {
      const s = await open(corpusPath(file));
      const d = s.flows.dns.transactions;
      expect(d.length, file).toBeGreaterThan(0);
      for (const x of d) {
        expect(x.rcode, file).not.toBeNull();
        expect(x.querySec, file).toBeGreaterThan(0);
        expect(x.answerSec * 1e9 + x.answerNsec).toBeGreaterThanOrEqual(x.querySec * 1e9 + x.queryNsec);
      }
    }
  });
});

/** loopback-http.pcap with records `i` and `j` (1-based) swapped, as a ByteSource. */
function swappedRecords(file: string, i: number, j: number): ByteSource {
  const b = new Uint8Array(readFileSync(file));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const recs: Array<[number, number]> = [];
  for (let off = 24; off + 16 <= b.length;) {
    const len = 16 + dv.getUint32(off + 8, true);
    recs.push([off, len]);
    off += len;
  }
  const order = recs.map((_, k) => k);
  order[i - 1] = j - 1;
  order[j - 1] = i - 1;
  const out = new Uint8Array(b.length);
  out.set(b.subarray(0, 24));
  let p = 24;
  for (const k of order) { const [o, l] = recs[k]!; out.set(b.subarray(o, o + l), p); p += l; }
  return {
    name: 'loopback-http-reordered.pcap',
    size: out.length,
    async *chunks() { yield out; },
    async read(offset: number, length: number) { return out.slice(offset, offset + length); },
  };
}

describe('HTTP headers split across segments that arrive out of order', () => {
  it('puts the POST header block back in sequence order (packets 20 and 22 of the loopback capture swapped)', async () => {
    const s = await AnalysisSession.open([swappedRecords(LOOPBACK, 20, 22)]);
    const post = s.flows.http.transactions.find((t) => t.method === 'POST');
    expect(post).toMatchObject({ uri: '/form', host: 'loopback.test', status: 200, requestBytes: 68, responseBytes: 53, complete: true });
    // The swap shows as one out-of-order (or retransmitted) segment on that flow.
    expect(s.flows.tcp.outOfOrder[1]! + s.flows.tcp.retransmissions[1]!).toBe(1);
  });
});
