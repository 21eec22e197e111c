/**
 * Parquet tables (src/export/parquet-tables.ts, src/cli/export-parquet.ts)
 * read back by DuckDB (@duckdb/node-api): for the lab's nginx-proxy session
 * (with cluster metadata) and the 100 k-packet bench file, row counts, sums of
 * packets and bytes per direction, time bounds, Community IDs, HTTP and DNS
 * figures equal the JSON contract's; column types are exact.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { AnalysisSession } from '../../src/engine/session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { parquetTables, isoToNs } from '../../src/export/parquet-tables.js';
import { parquetBytes } from '../../src/cli/export-parquet.js';
import type { AnalysisJson } from '../../src/engine/contract.js';
import { fixturePath, ROOT } from '../helpers/corpus.js';

async function check(files: string[], cluster: string | null): Promise<{ flows: number; http: number }> {
  const clusterMetadata = cluster ? parseClusterMetadata([{ name: cluster, text: readFileSync(cluster, 'utf8') }]) : null;
  const s = await AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f, path.basename(f)))), clusterMetadata ? { clusterMetadata } : {});
  const doc = s.toJSON() as AnalysisJson;
  const dir = mkdtempSync(path.join(tmpdir(), 'parquet-'));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const q = async (sql: string): Promise<Record<string, unknown>> => (await c.runAndReadAll(sql)).getRowObjectsJson()[0] as Record<string, unknown>;
  try {
    for (const t of parquetTables(doc)) writeFileSync(path.join(dir, `${t.name}.parquet`), parquetBytes(t));
    const f = (n: string): string => `'${path.join(dir, n)}.parquet'`;
    const flows = doc.flows;
    const sum = (k: string): number => flows.reduce((a, x) => a + (x[k] as number), 0);
    const r = await q(`select count(*) n, sum(packetTotalCount) p, sum(reversePacketTotalCount) rp, sum(octetTotalCount) o, sum(reverseOctetTotalCount) ro,
      count(distinct communityId) cid, count(communityId) cidn, epoch_us(min(flowStartNanoseconds)) t0, epoch_us(max(flowEndNanoseconds)) t1,
      sum(sourceTransportPort) sp, count(tunnelType) tun from ${f('flows')}`);
    expect(Number(r['n'])).toBe(flows.length);
    expect([Number(r['p']), Number(r['rp']), Number(r['o']), Number(r['ro'])]).toEqual([sum('packetsAtoB'), sum('packetsBtoA'), sum('bytesAtoB'), sum('bytesBtoA')]);
    expect(Number(r['cidn'])).toBe(flows.filter((x) => x['communityId']).length);
    expect(Number(r['cid'])).toBe(new Set(flows.map((x) => x['communityId']).filter(Boolean)).size);
    const us = (iso: string): number => Number(isoToNs(iso)! / 1000n);
    expect(Number(r['t0'])).toBe(Math.min(...flows.map((x) => us(x.firstTime))));
    expect(Number(r['t1'])).toBe(Math.max(...flows.map((x) => us(x.lastTime))));
    expect(Number(r['sp'])).toBe(flows.reduce((a, x) => a + (x.a.port ?? 0), 0));
    expect(Number(r['tun'])).toBe(flows.filter((x) => x.tunnel).length);
    const h = await q(`select count(*) n, sum(responseBytes) rb, count(status) st, sum(status) ss from ${f('http')}`);
    expect(Number(h['n'])).toBe(doc.http.length);
    expect(Number(h['rb'] ?? 0)).toBe(doc.http.reduce((a, x) => a + ((x['responseBytes'] as number) ?? 0), 0));
    expect(Number(h['ss'] ?? 0)).toBe(doc.http.reduce((a, x) => a + (x.status ?? 0), 0));
    const d = await q(`select count(*) n from ${f('dns')}`);
    expect(Number(d['n'])).toBe(doc.dns.length);
    // Exact types.
    const types = (await c.runAndReadAll(`describe select * from ${f('flows')}`)).getRowObjectsJson().map((x) => `${x['column_name']}:${x['column_type']}`);
    expect(types).toEqual(expect.arrayContaining(['sourceTransportPort:INTEGER', 'packetTotalCount:BIGINT', 'octetTotalCount:BIGINT', 'flowStartNanoseconds:TIMESTAMP WITH TIME ZONE', 'sourceIP:VARCHAR', 'communityId:VARCHAR']));
    if (cluster) {
      const pods = await q(`select count(*) n from ${f('flows')} where destinationPodName like 'web-%' and destinationPodNamespace = 'default'`);
      expect(Number(pods['n'])).toBeGreaterThan(0);
    }
    return { flows: flows.length, http: doc.http.length };
  } finally {
    c.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Parquet read back by DuckDB', () => {
  it('lab nginx-proxy (14 points, cluster metadata): counts and sums equal the JSON', async () => {
    const dir = fixturePath('lab', 'captures', 'nginx-proxy');
    const r = await check(readdirSync(dir).filter((n) => n.endsWith('.pcap')).sort().map((n) => path.join(dir, n)), fixturePath('lab', 'cluster.json'));
    expect(r.flows).toBe(120);
    expect(r.http).toBeGreaterThan(0);
  }, 120_000);

  const bench = path.join(ROOT, 'bench', 'out', 'overlay-100000-s1.pcap');
  it.skipIf(!existsSync(bench))('the 100 k-packet bench file: counts and sums equal the JSON', async () => {
    const r = await check([bench], null);
    expect(r.flows).toBeGreaterThan(1000);
  }, 180_000);
});
