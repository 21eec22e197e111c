/**
 * The flows table filled straight from the flow table's typed arrays
 * (sessionSource's typed rows, no FlowJson a flow) writes the very bytes the
 * FlowJson path writes: flows.parquet compared byte for byte on sessions
 * without cluster metadata (where the typed path runs): the lab's
 * nginx-proxy set (VXLAN, NAT half-views), the IP-in-IP lab overlay,
 * dual-stack (IPv6 underlay), every readable corpus file one at a time
 * (ICMP, SCTP-less IPv6, Geneve, SLL2, multi-interface pcapng, ns times) and
 * the 100 k-packet bench file in row groups of 1,000.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AnalysisSession } from '../../src/engine/session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parquetTables, sessionSource } from '../../src/export/parquet-tables.js';
import { parquetBytes } from '../../src/export/parquet-file.js';
import { fixturePath, ROOT } from '../helpers/corpus.js';

const pcaps = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => /\.pcap(ng)?$/.test(n)).sort().map((n) => path.join(dir, n)) : []);

async function open(files: string[]): Promise<AnalysisSession> {
  return AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f, path.relative(ROOT, f)))), {});
}

/** flows.parquet both ways; the typed source must really be the typed one (one reused row object). */
function bothWays(s: AnalysisSession, chunkRows?: number): { typed: Uint8Array; objects: Uint8Array } {
  const typedSrc = sessionSource(s);
  if (s.flows.table.count > 1) expect(typedSrc.flow(0), 'typed rows are one reused object').toBe(typedSrc.flow(1));
  const opts = { session: 's', ...(chunkRows ? { chunkRows } : {}) };
  const flows = (src: ReturnType<typeof sessionSource>) => parquetBytes(parquetTables(src, opts)[0]!);
  return { typed: flows(typedSrc), objects: flows(sessionSource(s, { typed: false })) };
}

const sets: Array<[string, string[]]> = [
  ['lab nginx-proxy, no metadata', pcaps(fixturePath('lab', 'captures', 'nginx-proxy'))],
  ['lab overlay IP-in-IP', pcaps(fixturePath('lab-overlays', 'ipip', 'captures', 'nginx-proxy'))],
  ['dual-stack', pcaps(fixturePath('dual-stack', 'captures'))],
];

describe('flows.parquet from typed arrays = from FlowJson objects', () => {
  for (const [name, files] of sets) {
    it.skipIf(!files.length)(`${name} (${files.length} files)`, async () => {
      const s = await open(files);
      expect(s.flows.table.count).toBeGreaterThan(0);
      const { typed, objects } = bothWays(s);
      expect(Buffer.compare(Buffer.from(typed), Buffer.from(objects)), name).toBe(0);
    }, 120_000);
  }

  const corpus = pcaps(path.join(ROOT, '..', 'shared', 'corpus', 'files'));
  it.skipIf(!corpus.length)('every readable corpus file', async () => {
    let compared = 0, flows = 0;
    for (const f of corpus) {
      let s: AnalysisSession;
      try { s = await open([f]); } catch { continue; }
      if (!s.flows.table.count) continue;
      const { typed, objects } = bothWays(s);
      expect(Buffer.compare(Buffer.from(typed), Buffer.from(objects)), path.basename(f)).toBe(0);
      compared++; flows += s.flows.table.count;
    }
    console.log(`corpus: ${compared} files, ${flows} flows, flows.parquet identical both ways`);
    expect(compared).toBeGreaterThan(40);
  }, 300_000);

  const bench = path.join(ROOT, 'bench', 'out', 'overlay-100000-s1.pcap');
  it.skipIf(!existsSync(bench))('the 100 k-packet bench file, row groups of 1,000', async () => {
    const s = await open([bench]);
    const { typed, objects } = bothWays(s, 1000);
    expect(s.flows.table.count).toBeGreaterThan(1000);
    expect(Buffer.compare(Buffer.from(typed), Buffer.from(objects))).toBe(0);
  }, 240_000);
});
