/**
 * Flow output: the text FlowJsonText and httpJsonText build without objects
 * (as UTF-8 bytes, JsonBytes) is exactly what JSON.stringify gives for
 * flowJson's, httpJson's and dnsJson's objects,
 * for every flow and HTTP transaction of real captures (the public corpus, the
 * overlay lab), and the tunnel-link rows list the same outer and inner flows,
 * in the same order, as the table's links.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { dnsJson, flowJson, FlowJsonText, httpJson, httpJsonText, tunnelLinks, writeDnsJson, writeHttpJson } from '../../src/flows/flow-output.js';
import { JsonBytes } from '../../src/pipeline/json-bytes.js';
import { corpusFiles, corpusPath, corpusSkipReason, fixturePath } from '../helpers/corpus.js';

async function checkAll(files: string[]): Promise<{ flows: number; outerFlows: number; innerFlows: number; tcp: number; http: number; dns: number }> {
  const s = await AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f, path.basename(f)))));
  const links = tunnelLinks(s);
  const text = new FlowJsonText(s, links);
  const seen = { flows: 0, outerFlows: 0, innerFlows: 0, tcp: 0, http: 0, dns: 0 };
  const t = s.flows.table;
  for (let f = 0; f < t.count; f++) {
    const j = flowJson(s, f, links);
    expect(text.flow(f)).toBe(JSON.stringify(j));
    seen.flows++;
    if (j['outerFlows']) seen.outerFlows++;
    if (j['innerFlows']) seen.innerFlows++;
    if (j['tcp']) seen.tcp++;
  }
  for (const h of s.flows.http.transactions) expect(httpJsonText(s, h)).toBe(JSON.stringify(httpJson(s, h)));
  seen.http = s.flows.http.transactions.length;
  // Rows written one after another into one small buffer (it grows; times and literals cached across rows), as the CLI does.
  const out = new JsonBytes(16);
  const expected: string[] = [];
  for (let f = 0; f < t.count; f++) { text.write(f, out); out.lit('\n'); expected.push(JSON.stringify(flowJson(s, f, links))); }
  for (const h of s.flows.http.transactions) { writeHttpJson(s, h, out); out.lit('\n'); expected.push(JSON.stringify(httpJson(s, h))); }
  for (const d of s.flows.dns.transactions) { writeDnsJson(s, d, out); out.lit('\n'); expected.push(JSON.stringify(dnsJson(s, d))); }
  seen.dns = s.flows.dns.transactions.length;
  expect(Buffer.from(out.buf.subarray(0, out.pos)).toString('utf8')).toBe(expected.map((e) => e + '\n').join(''));
  // The rows hold every link once, in link order.
  for (let f = 0; f < t.count; f++) {
    const outers: number[] = [], inners: number[] = [];
    for (let l = 0; l < t.linkCount; l++) {
      if (t.linkInner[l] === f) outers.push(t.linkOuter[l]!);
      if (t.linkOuter[l] === f) inners.push(t.linkInner[l]!);
    }
    expect(links.outersOf(f).map((x) => x.outerFlow)).toEqual(outers);
    expect(links.innersOf(f)).toEqual(inners);
  }
  return seen;
}

describe('FlowJsonText', () => {
  it('writes every flow of the overlay lab captures as JSON.stringify(flowJson) does', async () => {
    const dir = fixturePath('lab', 'captures');
    const files = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.pcapng')).map((n) => path.join(dir, n)) : [];
    if (!files.length) { console.warn('SKIPPED: fixtures/lab/captures holds no capture'); return; }
    for (const f of files) {
      const seen = await checkAll([f]);
      expect(seen.outerFlows).toBeGreaterThan(0);
      expect(seen.flows).toBeGreaterThan(0);
      expect(seen.innerFlows).toBeGreaterThan(0);
      expect(seen.tcp).toBeGreaterThan(0);
      expect(seen.http).toBeGreaterThan(0);
    }
  });

  it.skipIf(corpusSkipReason() !== null)('writes every flow of each corpus capture as JSON.stringify(flowJson) does', async () => {
    let total = 0, http = 0, dns = 0;
    for (const name of corpusFiles()) {
      const seen = await checkAll([corpusPath(name)]);
      total += seen.flows;
      http += seen.http;
      dns += seen.dns;
    }
    expect(total).toBeGreaterThan(100);
    expect(http).toBeGreaterThan(10);
    expect(dns).toBeGreaterThan(10);
  }, 120_000);
});
