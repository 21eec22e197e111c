/** Query functions for the UI service, on the loopback fixture and ndpi__vxlan (corpus). */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { flowDetail, flowStream, queryDns, queryFlows, queryHttp } from '../../src/service/flow-queries.js';
import { corpusPath, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';

const LOOPBACK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'loopback-http.pcap');
const open = async (f: string) => AnalysisSession.open([await fileSource(f, path.basename(f))]);
if (!corpusPresent) corpusSkipReason();

describe('flow queries on the loopback capture', () => {
  it('pages, sorts and filters flows', async () => {
    const s = await open(LOOPBACK);
    const all = queryFlows(s, { offset: 0, limit: 10, sort: { key: 'bytes', dir: 'desc' } });
    expect(all.total).toBe(2);
    expect(all.rows.map((r) => [r.id, r.bytes, r.tcpState, r.resets])).toEqual([[0, 1357, 'SYN→SYN/ACK→ACK, RST', 1], [1, 1061, 'SYN→SYN/ACK→ACK, FIN both', 0]]);
    expect(all.rows[0]!.captures).toEqual(['loopback-http.pcap']);
    expect(all.rows[0]!.rttMs).toBeGreaterThan(0);
    expect(queryFlows(s, { offset: 1, limit: 1 }).rows.map((r) => r.id)).toEqual([1]);
    expect(queryFlows(s, { offset: 0, limit: 10, text: 'fin both' }).rows.map((r) => r.id)).toEqual([1]);
    expect(queryFlows(s, { offset: 0, limit: 10, transport: 'udp' }).total).toBe(0);
    expect(queryFlows(s, { offset: 0, limit: 10, sort: { key: 'a', dir: 'asc' } }).total).toBe(2);
    expect(() => flowDetail(s, 7)).toThrow(/no flow 7/);
  });

  it('reads a TCP stream back from the file in order, both directions', async () => {
    const s = await open(LOOPBACK);
    const v = await flowStream(s, 0);
    expect(v.truncated).toBe(false);
    expect(v.segments.map((x) => [x.dir, x.text.split('\r\n')[0]])).toEqual([
      ['AtoB', 'GET /one HTTP/1.1'],
      ['AtoB', 'GET /two HTTP/1.1'],
      ['BtoA', 'HTTP/1.1 200 OK'],
      ['BtoA', 'HTTP/1.1 200 OK'],
      ['BtoA', '4'],
      ['BtoA', 'HTTP/1.1 404 Not Found'],
    ]);
    const v1 = await flowStream(s, 1);
    expect(v1.segments.filter((x) => x.dir === 'AtoB').map((x) => x.text).join('')).toBe('POST /form HTTP/1.1\r\nHost: loopback.test\r\nContent-Length: 5\r\n\r\n12345');
    expect(v1.segments.filter((x) => x.dir === 'BtoA').map((x) => x.text).join('')).toBe('HTTP/1.0 200 OK\r\nServer: test\r\n\r\nclose-delimited body');
  });

  it('pages HTTP transactions with client and server, and filters them by text', async () => {
    const s = await open(LOOPBACK);
    const h = queryHttp(s, { offset: 0, limit: 2 });
    expect(h.total).toBe(4);
    expect(h.rows.map((r) => [r.uri, r.status, r.client.port, r.server.port])).toEqual([['/one', 200, 40001, 18080], ['/two', 200, 40001, 18080]]);
    expect(queryHttp(s, { offset: 0, limit: 10, text: 'not found' }).rows.map((r) => r.uri)).toEqual(['/three']);
    expect(queryDns(s, { offset: 0, limit: 10 }).total).toBe(0);
  });
});

describe.skipIf(!corpusPresent)('flow queries on ndpi__vxlan', () => {
  it('details an inner flow with its outer flows and an outer flow with its inner flow', async () => {
    const s = await open(corpusPath('ndpi__vxlan.pcap'));
    const inner = queryFlows(s, { offset: 0, limit: 10, depth: 1, transport: 'tcp', sort: { key: 'packets', dir: 'desc' } });
    expect(inner.rows.map((r) => r.packets)).toEqual([91, 28]);
    const d = flowDetail(s, inner.rows[0]!.id);
    expect(d.outer.map((o) => o.packets).sort((a, b) => a - b)).toEqual([35, 56]);
    const back = flowDetail(s, d.outer[0]!.id);
    expect(back.inner.map((r) => r.id)).toEqual([inner.rows[0]!.id]);
    expect(back.flow.innerFlows).toBe(1);
    const dns = queryDns(s, { offset: 0, limit: 10, text: 'www' });
    expect(dns.rows.map((r) => [r.name, r.type, r.answers.length])).toEqual([['www.facebook.com', 'A', 2], ['www.facebook.com', 'AAAA', 2]]);
    expect(dns.rows[0]!.latencyMs).toBeCloseTo(37.5, 3);
  });
});
