/**
 * Export → "Parquet (all tables, zip)" and "pcapng for Wireshark" in the
 * browser build (Debian's Chromium; the engine in its Web Worker): on the
 * lab's nginx-proxy captures with cluster.json, the zip holds the seven
 * tables and DuckDB reads each with as many rows as the CLI's JSON contract
 * has (flows, HTTP, DNS, translations, journey hops, captures, packets);
 * tshark reads every packet of the pcapng with our comments and resolves
 * pod and Service names from its Name Resolution Block. A hostile capture
 * (markup and formulas in HTTP Host/URI, test/report/crafted-capture.ts)
 * exports too: DuckDB gives the Host back byte for byte, tshark reads the
 * pcapng. Screenshot: test-artifacts/exports-handoff.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { unzipSync } from 'fflate';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROOT } from '../helpers/corpus.js';
import { craftHostileCapture, EVIL_HOST } from '../report/crafted-capture.js';
import { ARTIFACTS, LAB, chromiumPresent, loadFiles, pageErrors, startHarness, type Harness } from './browser.js';
import { gotoApp } from './table-helpers.js';

const FOLDER = path.join(LAB, 'captures', 'nginx-proxy');
const CLUSTER = path.join(LAB, 'cluster.json');
const labFiles = (() => { try { return readdirSync(FOLDER).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(FOLDER, f)); } catch { return []; } })();
const present = labFiles.length === 14;

/** The CLI's JSON contract for the same captures. */
function cliJson(files: string[], cluster: boolean): { packets: number; flows: unknown[]; http: Array<{ host: string }>; dns: unknown[]; translations: unknown[]; journeys: Array<{ hops: unknown[] }>; captures: unknown[] } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/overlayscope.js'), 'analyze', ...files, ...(cluster ? ['--cluster', CLUSTER] : []), '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`overlayscope analyze failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Picks an Export menu entry; returns the download's suggested name and bytes. */
async function exportAs(page: Page, format: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.selectOption('[data-testid=export]', format)]);
  const bytes = readFileSync((await download.path())!);
  await page.waitForSelector('[data-testid=export-message]');
  return { name: download.suggestedFilename(), bytes };
}

/** Unzips the Parquet zip into DIR and answers SQL over its files ('flows.parquet' etc. as written in docs/parquet.md). */
async function parquetDb(zip: Buffer, dir: string): Promise<{ tables: string[]; one(sql: string): Promise<Record<string, unknown>>; close(): void }> {
  const entries = unzipSync(new Uint8Array(zip));
  for (const [k, v] of Object.entries(entries)) writeFileSync(path.join(dir, path.basename(k)), v);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  return {
    tables: Object.keys(entries).map((k) => path.basename(k, '.parquet')).sort(),
    one: async (sql) => (await c.runAndReadAll(sql.replace(/'(\w+)\.parquet'/g, (_m, t: string) => `'${path.join(dir, t)}.parquet'`))).getRowObjectsJson()[0] as Record<string, unknown>,
    close: () => c.closeSync(),
  };
}

const tshark = (file: string, args: string[]): string => {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout;
};

describe.skipIf(!chromiumPresent || !present)('Export hand-offs in the browser build', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => { h = await startHarness(); dir = mkdtempSync(path.join(os.tmpdir(), 'handoff-')); }, 180_000);
  afterAll(async () => { await h?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('the lab session: Parquet zip read by DuckDB equals the CLI JSON; pcapng read by tshark with comments and names', async () => {
    const cli = cliJson(labFiles, true);
    const page = await h.newPage();
    const errorsBefore = pageErrors(page).length;
    await gotoApp(page, h.url);
    await loadFiles(page, [...labFiles, CLUSTER]);
    await page.waitForFunction(() => /cluster\.json/.test(document.body.textContent ?? ''), undefined, { timeout: 60_000 });

    const pq = await exportAs(page, 'parquet');
    expect(pq.name).toMatch(/^overlayscope-.*-parquet\.zip$/);
    expect(await page.textContent('[data-testid=export-message]')).toContain(`Downloaded ${pq.name}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'exports-handoff.png') });
    await page.locator('[data-testid=export-message] button', { hasText: 'OK' }).click();
    const pdir = mkdtempSync(path.join(dir, 'pq-'));
    const db = await parquetDb(pq.bytes, pdir);
    try {
      expect(db.tables).toEqual(['captures', 'dns', 'flows', 'http', 'journeys', 'packets', 'translations']);
      const n = async (sql: string): Promise<number> => Number(Object.values(await db.one(sql))[0]);
      expect(await n("select count(*) from 'flows.parquet'")).toBe(cli.flows.length);
      expect(await n("select count(*) from 'http.parquet'")).toBe(cli.http.length);
      expect(await n("select count(*) from 'dns.parquet'")).toBe(cli.dns.length);
      expect(await n("select count(*) from 'translations.parquet'")).toBe(cli.translations.length);
      expect(await n("select count(*) from 'journeys.parquet'")).toBe(cli.journeys.reduce((a, j) => a + j.hops.length, 0));
      expect(await n("select count(*) from 'captures.parquet'")).toBe(cli.captures.length);
      expect(await n("select count(*) from 'packets.parquet'")).toBe(cli.packets);
      expect(await n("select sum(packetTotalCount) from 'captures.parquet'")).toBe(cli.packets);
      expect(await n("select count(*) from 'flows.parquet' where destinationPodName like 'web-%' and destinationServicePortName is not null")).toBeGreaterThan(0);
    } finally {
      db.close();
    }

    const ng = await exportAs(page, 'pcapng');
    expect(ng.name).toMatch(/^overlayscope-.*\.pcapng$/);
    await page.locator('[data-testid=export-message] button', { hasText: 'OK' }).click();
    const file = path.join(dir, 'lab.pcapng');
    writeFileSync(file, ng.bytes);
    const comments = tshark(file, ['-T', 'fields', '-e', 'frame.comment']).split('\n').slice(0, -1);
    expect(comments.length).toBe(cli.packets);
    expect(comments.some((c) => / \| tunnel node1 → node2 VXLAN 1 \| /.test(c))).toBe(true);
    expect(comments.filter((c) => / \| journey \d+ ".*" hop \d+ /.test(c)).length).toBeGreaterThan(100);
    const hosts = tshark(file, ['-N', 'n', '-o', 'nameres.use_external_name_resolver:FALSE', '-T', 'fields', '-e', 'ip.src_host', '-e', 'ip.dst_host']);
    expect(hosts).toMatch(/\bweb\.default\.svc\b/);
    expect(hosts).toMatch(/\bweb-[a-z0-9]+-[a-z0-9]+\.default\.pod\b/);
    expect(pageErrors(page).slice(errorsBefore)).toEqual([]);
    await page.close();
  }, 300_000);

  it('a hostile capture: DuckDB gives the markup Host back byte for byte; tshark reads the pcapng', async () => {
    const hostile = path.join(dir, 'hostile.pcap');
    craftHostileCapture(labFiles.find((f) => f.endsWith('client-eth0.pcap'))!, hostile);
    const page = await h.newPage();
    await gotoApp(page, h.url);
    await loadFiles(page, [hostile]);
    const pq = await exportAs(page, 'parquet');
    await page.locator('[data-testid=export-message] button', { hasText: 'OK' }).click();
    const db = await parquetDb(pq.bytes, mkdtempSync(path.join(dir, 'pq-')));
    try {
      const r = await db.one(`select count(*) n from 'http.parquet' where host = '${EVIL_HOST.replace(/'/g, "''")}'`);
      expect(Number(r['n'])).toBe(1);
    } finally {
      db.close();
    }
    const ng = await exportAs(page, 'pcapng');
    const file = path.join(dir, 'hostile.pcapng');
    writeFileSync(file, ng.bytes);
    expect(tshark(file, ['-T', 'fields', '-e', 'frame.len']).split('\n').slice(0, -1).length).toBe(cliJson([hostile], false).packets);
    await page.close();
  }, 180_000);
});
