/**
 * Community ID v1 in the CSV outputs (issue 17): `analyze --format csv` and
 * the report's flows.csv carry a `community_id` column whose every cell
 * equals the JSON contract's `flows[].communityId` for the same flow (empty
 * where the JSON has null: ICMP), on the lab's nginx-proxy session (14
 * capture points, cluster metadata). Both CSVs are read by Python's csv
 * module, an independent reader.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runAnalyze, runReport } from '../../src/cli/commands.js';
import { ROOT, fixturePath } from '../helpers/corpus.js';
import { testContext } from '../report/cli-context.js';

const NGINX = fixturePath('lab', 'captures', 'nginx-proxy');
const CLUSTER = fixturePath('lab', 'cluster.json');
const labPresent = existsSync(NGINX) && readdirSync(NGINX).some((f) => f.endsWith('.pcap'));
const ART = path.join(ROOT, 'test-artifacts', 'community-id');
const FILES = labPresent ? readdirSync(NGINX).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(NGINX, f)) : [];

function pythonCsv(file: string): string[][] {
  const r = spawnSync('python3', ['-c', 'import csv,json,sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f: print(json.dumps(list(csv.reader(f, strict=True))))', file],
    { encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python csv: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[][];
}

/** id -> communityId of the JSON contract (analyze --format json), the reference. */
async function jsonIds(): Promise<Map<string, string | null>> {
  const ctx = testContext();
  expect(await runAnalyze([...FILES, '--cluster', CLUSTER, '--format', 'json'], ctx)).toBe(0);
  const j = JSON.parse(ctx.out) as { flows: Array<{ id: number; communityId?: string | null }> };
  return new Map(j.flows.map((f) => [String(f.id), f.communityId ?? null]));
}

function expectColumnEqualsJson(rows: string[][], ids: Map<string, string | null>, what: string): void {
  const h = rows[0]!;
  const id = h.indexOf('id'), cid = h.indexOf('community_id');
  expect(cid, `${what}: community_id column`).toBeGreaterThan(0);
  expect(rows.length - 1, `${what}: one row a flow`).toBe(ids.size);
  let filled = 0;
  for (const r of rows.slice(1)) {
    expect(ids.has(r[id]!), `${what}: flow ${r[id]} in the JSON`).toBe(true);
    expect(r[cid], `${what}: flow ${r[id]}`).toBe(ids.get(r[id]!) ?? '');
    if (r[cid]) filled++;
  }
  // Most lab flows are TCP/UDP: their IDs are there, not all empty.
  expect(filled, what).toBeGreaterThan(ids.size / 2);
  for (const r of rows.slice(1)) if (r[cid]) expect(r[cid]).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
}

beforeAll(() => mkdirSync(ART, { recursive: true }));

describe.skipIf(!labPresent)('Community ID in the CSVs = the JSON\'s, lab nginx-proxy', () => {
  it('analyze --format csv: community_id of every flow', async () => {
    const ids = await jsonIds();
    const out = path.join(ART, 'analyze-flows.csv');
    const ctx = testContext();
    expect(await runAnalyze([...FILES, '--cluster', CLUSTER, '--format', 'csv', '--out', out], ctx)).toBe(0);
    expectColumnEqualsJson(pythonCsv(out), ids, 'analyze csv');
  }, 120_000);

  it('report --format csv (flows.csv): community_id of every flow', async () => {
    const ids = await jsonIds();
    const out = path.join(ART, 'report-flows.csv');
    const ctx = testContext();
    expect(await runReport([...FILES, '--cluster', CLUSTER, '--format', 'csv', '--out', out], ctx)).toBe(0);
    expect(ctx.err).toBe('');
    expectColumnEqualsJson(pythonCsv(out), ids, 'report flows.csv');
  }, 120_000);
});
