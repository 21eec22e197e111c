/**
 * Parquet tables (src/export/parquet-tables.ts, parquet-file.ts) read back by
 * DuckDB (@duckdb/node-api): for both lab sessions (with cluster metadata)
 * and the 100 k-packet bench file, every table's row counts, sums and time
 * bounds equal the JSON contract's; column types are exact; the files use
 * Snappy and dictionary pages; docs/parquet.md's DuckDB queries run as written.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { unzipSync } from 'fflate';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { isoToNs, PARQUET_TABLES, sessionSource } from '../../src/export/parquet-tables.js';
import { parquetFiles, parquetZip } from '../../src/export/parquet-file.js';
import type { AnalysisJson } from '../../src/session/contract.js';
import { fixturePath, ROOT } from '../helpers/corpus.js';

type Row = Record<string, unknown>;
const n0 = (x: unknown): number => Number(x ?? 0);

async function open(files: string[], cluster: string | null): Promise<AnalysisSession> {
  const clusterMetadata = cluster ? parseClusterMetadata([{ name: cluster, text: readFileSync(cluster, 'utf8') }]) : null;
  return AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f, path.relative(ROOT, f)))), clusterMetadata ? { clusterMetadata } : {});
}

/** docs/parquet.md's DuckDB statements, as written there. */
function docQueries(): string[] {
  const md = readFileSync(path.join(ROOT, 'docs', 'parquet.md'), 'utf8');
  const block = /DuckDB[^\n]*\n\n```sql\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
  return block.split(';').map((s) => s.replace(/^--.*$/gm, '').trim()).filter(Boolean);
}

async function check(files: string[], cluster: string | null, opts: { queries?: boolean; chunkRows?: number } = {}): Promise<{ doc: AnalysisJson; results: Row[][] }> {
  const s = await open(files, cluster);
  const doc = s.toJSON() as AnalysisJson & { translations: Row[]; journeys: Array<Row & { hops: Row[] }>; capturePoints: Row[] };
  const dir = mkdtempSync(path.join(tmpdir(), 'parquet-'));
  const db = await DuckDBInstance.create(':memory:');
  const c: DuckDBConnection = await db.connect();
  const all = async (sql: string): Promise<Row[]> => (await c.runAndReadAll(sql)).getRowObjectsJson() as Row[];
  const q = async (sql: string): Promise<Row> => (await all(sql))[0]!;
  const n = (x: unknown): number => Number(x ?? 0);
  try {
    const written: string[] = [];
    for (const [name, bytes] of parquetFiles(sessionSource(s), { session: 'test-session', packets: s.captures, ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}) })) { writeFileSync(path.join(dir, name), bytes); written.push(name); }
    expect(written).toEqual(PARQUET_TABLES.map((t) => `${t}.parquet`));
    const f = (t: string): string => `'${path.join(dir, t)}.parquet'`;
    for (const t of PARQUET_TABLES) {
      // Every table says its session; Snappy; dictionary pages where a column repeats.
      const sess = await q(`select count(*) n, count(distinct sessionId) d, min(sessionId) s from ${f(t)}`);
      if (n(sess['n']) > 0) expect([n(sess['d']), sess['s']], t).toEqual([1, 'test-session']);
      const meta = await all(`select path_in_schema p, compression, encodings from parquet_metadata(${f(t)})`);
      expect(meta.every((m) => m['compression'] === 'SNAPPY'), t).toBe(true);
      if (n(sess['n']) > 1) expect(meta.find((m) => m['p'] === 'sessionId')?.['encodings'], t).toMatch(/DICTIONARY/);
    }
    const flows = doc.flows;
    const sum = (rows: readonly Row[], k: (r: Row) => unknown): number => rows.reduce((a, x) => a + n(k(x)), 0);
    const r = await q(`select count(*) n, sum(packetTotalCount) p, sum(reversePacketTotalCount) rp, sum(octetTotalCount) o, sum(reverseOctetTotalCount) ro,
      count(distinct communityId) cid, count(communityId) cidn, epoch_us(min(flowStartNanoseconds)) t0, epoch_us(max(flowEndNanoseconds)) t1,
      epoch_ms(min(flowStartMilliseconds)) m0, sum(sourceTransportPort) sp, count(tunnelType) tun, count(capturePoint) cp,
      count(destinationServicePortName) svc, count(postNATDestinationIP) nat from ${f('flows')}`);
    expect(n(r['n'])).toBe(flows.length);
    expect([n(r['p']), n(r['rp']), n(r['o']), n(r['ro'])]).toEqual([sum(flows, (x) => x['packetsAtoB']), sum(flows, (x) => x['packetsBtoA']), sum(flows, (x) => x['bytesAtoB']), sum(flows, (x) => x['bytesBtoA'])]);
    expect(n(r['cidn'])).toBe(flows.filter((x) => x['communityId']).length);
    expect(n(r['cid'])).toBe(new Set(flows.map((x) => x['communityId']).filter(Boolean)).size);
    const us = (iso: string): number => Number(isoToNs(iso)! / 1000n);
    expect(n(r['t0'])).toBe(Math.min(...flows.map((x) => us(x.firstTime))));
    expect(n(r['t1'])).toBe(Math.max(...flows.map((x) => us(x.lastTime))));
    expect(n(r['m0'])).toBe(Math.floor(Math.min(...flows.map((x) => us(x.firstTime))) / 1000));
    expect(n(r['sp'])).toBe(sum(flows, (x) => (x.a as { port: number | null }).port));
    expect(n(r['tun'])).toBe(flows.filter((x) => x.tunnel).length);
    expect(n(r['cp'])).toBe(flows.length); // every flow names its capture point
    expect(n(r['svc'])).toBe(flows.filter((x) => x['service']).length);
    // Flows with their own NAT view all carry a post-NAT tuple (others may too: translated at another point).
    expect(n(r['nat'])).toBeGreaterThanOrEqual(flows.filter((x) => x['nat']).length);
    const h = await q(`select count(*) n, sum(responseBytes) rb, sum(status) ss, epoch_us(min(requestTime)) t0 from ${f('http')}`);
    expect(n(h['n'])).toBe(doc.http.length);
    expect(n(h['rb'])).toBe(sum(doc.http, (x) => x['responseBytes']));
    expect(n(h['ss'])).toBe(sum(doc.http, (x) => x['status']));
    if (doc.http.length) expect(n(h['t0'])).toBe(Math.min(...doc.http.map((x) => us(x.requestTime as string))));
    const d = await q(`select count(*) n, count(answerTime) a from ${f('dns')}`);
    expect(n(d['n'])).toBe(doc.dns.length);
    expect(n(d['a'])).toBe((doc.dns as unknown as Row[]).filter((x) => x['answerTime']).length);
    const tr = await q(`select count(*) n, sum(postNAPTDestinationTransportPort) pp, sum(destinationTransportPort) dp, count(distinct destinationServicePortName) svc from ${f('translations')}`);
    expect(n(tr['n'])).toBe(doc.translations.length);
    expect(n(tr['pp'])).toBe(sum(doc.translations, (x) => (x['translated'] as { dst: { port: number } }).dst.port));
    expect(n(tr['dp'])).toBe(sum(doc.translations, (x) => (x['original'] as { dst: { port: number } }).dst.port));
    expect(n(tr['svc'])).toBe(new Set(doc.translations.map((x) => x['service']).filter(Boolean)).size);
    const hops = doc.journeys.flatMap((j) => j.hops);
    const jr = await q(`select count(*) n, count(distinct journeyId) j, sum(packetTotalCount) p, count(tunnelType) tun, count(translation) tr, max(hop) mh, epoch_us(min(hopTime)) t0 from ${f('journeys')}`);
    expect([n(jr['n']), n(jr['j']), n(jr['p']), n(jr['tun']), n(jr['tr'])]).toEqual([hops.length, doc.journeys.length, sum(hops, (x) => x['packets']), hops.filter((x) => x['tunnel']).length, hops.filter((x) => x['translation']).length]);
    if (hops.length) {
      expect(n(jr['mh'])).toBe(Math.max(...doc.journeys.map((j) => j.hops.length)));
      expect(n(jr['t0'])).toBe(Math.min(...hops.map((x) => us(x['time'] as string))));
    }
    const cp = await q(`select count(*) n, sum(packetTotalCount) p, sum(octetTotalCount) o, sum(fileSize) fs, count(host) hosts from ${f('captures')}`);
    expect([n(cp['n']), n(cp['p']), n(cp['o'])]).toEqual([doc.captures.length, doc.packets, sum(doc.captures as unknown as Row[], (x) => x['bytes'])]);
    expect(n(cp['fs'])).toBe(sum(doc.captures as unknown as Row[], (x) => x['fileSize']));
    const pk = await q(`select count(*) n, sum(frameLength) b, count(flowId) fl, epoch_us(min("timestamp")) t0 from ${f('packets')}`);
    expect([n(pk['n']), n(pk['b'])]).toEqual([doc.packets, sum(doc.captures as unknown as Row[], (x) => x['bytes'])]);
    const perPoint = await all(`select capturePoint p, count(*) n from ${f('packets')} group by all`);
    for (const p of doc.capturePoints) expect(n(perPoint.find((x) => x['p'] === p['name'])?.['n']), String(p['name'])).toBe(n(p['packets']));
    // Exact types.
    const types = async (t: string): Promise<string[]> => (await all(`describe select * from ${f(t)}`)).map((x) => `${String(x['column_name'])}:${String(x['column_type'])}`);
    expect(await types('flows')).toEqual(expect.arrayContaining(['sourceTransportPort:INTEGER', 'destinationTransportPort:INTEGER', 'protocolIdentifier:INTEGER', 'packetTotalCount:BIGINT',
      'octetTotalCount:BIGINT', 'reversePacketTotalCount:BIGINT', 'reverseOctetTotalCount:BIGINT', 'flowStartNanoseconds:TIMESTAMP WITH TIME ZONE',
      'flowStartMilliseconds:TIMESTAMP WITH TIME ZONE', 'sourceIP:VARCHAR', 'communityId:VARCHAR', 'tunnelVni:BIGINT', 'postNAPTDestinationTransportPort:INTEGER', 'destinationClusterIP:VARCHAR']));
    expect(await types('journeys')).toEqual(expect.arrayContaining(['hopTime:TIMESTAMP WITH TIME ZONE', 'hop:INTEGER', 'packetTotalCount:BIGINT']));
    expect(await types('packets')).toEqual(expect.arrayContaining(['timestamp:TIMESTAMP WITH TIME ZONE', 'frameLength:INTEGER', 'frameNumber:INTEGER']));
    const results: Row[][] = [];
    if (opts.queries) {
      for (const sql of docQueries()) results.push(await all(sql.replace(/'(\w+)\.parquet'/g, (_m, t: string) => f(t))));
    }
    return { doc, results };
  } finally {
    c.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

const labFiles = (scenario: string): string[] => {
  const dir = fixturePath('lab', 'captures', scenario);
  return readdirSync(dir).filter((n) => n.endsWith('.pcap')).sort().map((n) => path.join(dir, n));
};

describe('Parquet read back by DuckDB', () => {
  it('lab nginx-proxy (14 points, cluster metadata): every table equals the JSON; docs/parquet.md queries run', async () => {
    const { doc, results } = await check(labFiles('nginx-proxy'), fixturePath('lab', 'cluster.json'), { queries: true });
    expect(doc.flows.length).toBe(120);
    expect(docQueries().length).toBe(6);
    const [pods, services, translations, slow, , points] = results as Row[][];
    expect(pods!.length).toBeGreaterThan(0);
    expect(services!.map((x) => x['destinationServicePortName'])).toEqual(expect.arrayContaining(['default/nginx-proxy', 'default/web']));
    expect(services!.find((x) => x['destinationServicePortName'] === 'default/web')?.['destinationClusterIP']).toMatch(/^10\.96\./);
    expect(translations!.length).toBeGreaterThan(0);
    // Slow journeys: the query's answer equals the JSON's journeys over 2 ms.
    const over = (doc as unknown as { journeys: Array<{ hops: Array<{ time: string }> }> }).journeys.filter((j) => j.hops.length && Number(isoToNs(j.hops.at(-1)!.time)! - isoToNs(j.hops[0]!.time)!) / 1e6 > 2);
    expect(slow!.length).toBe(over.length);
    expect(points!.length).toBe((doc as unknown as { capturePoints: Row[] }).capturePoints.filter((p) => n0(p['packets']) > 0).length);
  }, 180_000);

  it('lab ingress (14 points, cluster metadata): every table equals the JSON', async () => {
    const { doc } = await check(labFiles('ingress'), fixturePath('lab', 'cluster.json'));
    expect(doc.flows.length).toBeGreaterThan(50);
  }, 180_000);

  const bench = path.join(ROOT, 'bench', 'out', 'overlay-100000-s1.pcap');
  it.skipIf(!existsSync(bench))('the 100 k-packet bench file, flows and HTTP in row groups of 1,000: every table equals the JSON', async () => {
    const { doc } = await check([bench], null, { chunkRows: 1000 });
    expect(doc.flows.length).toBeGreaterThan(1000);
  }, 240_000);

  it('the app\'s zip holds every table, each a Parquet file DuckDB reads', async () => {
    const s = await open(labFiles('nginx-proxy').slice(0, 3), null);
    const zip = parquetZip(s.toJSON() as AnalysisJson, 'overlayscope-x', { session: 'x', packets: s.captures });
    const entries = unzipSync(zip);
    expect(Object.keys(entries).sort()).toEqual(PARQUET_TABLES.map((t) => `overlayscope-x/${t}.parquet`).sort());
    for (const b of Object.values(entries)) expect(Buffer.from(b.subarray(0, 4)).toString()).toBe('PAR1');
  }, 120_000);
});
