/**
 * Conformance over the encapsulation corpus (../shared/corpus-encap: IP-in-IP,
 * GRE, ERSPAN I/II/III, WireGuard, GSO and BIG TCP inside Geneve): packet and
 * per-protocol counts (ip, ipv6, gre, erspan, udp, tcp, vxlan, geneve, wg and
 * the rest of COMPARED) against tshark 4.0.17's ground truth. Every remaining
 * difference is listed in docs/known-differences.md (table
 * `conformance:counts-encap`); an unlisted difference fails, and so does a
 * listed one that no longer occurs. Every file also runs through
 * `overlayscope analyze` without a crash. Skipped, with a message, without the folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DissectConfig } from '../../src/dissect/config.js';
import { L_SLL, L_SLL2, LAYER_NAMES } from '../../src/dissect/layers.js';
import { analyzeCapture, newCaptureResult } from '../../src/pipeline/analyze.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { ROOT } from '../helpers/corpus.js';
import { COMPARED, parseGroundTruth, tsharkCounts } from './ground-truth.js';
import { knownDifferences } from './known-differences.js';

export const CORPUS_ENCAP = process.env['OVERLAYSCOPE_CORPUS_ENCAP'] ?? path.resolve(ROOT, '../shared/corpus-encap');
const FILES = path.join(CORPUS_ENCAP, 'files');
const present = existsSync(FILES);
if (!present) console.warn(`SKIPPED: encapsulation conformance needs ${FILES} (../shared/corpus-encap beside the checkout); it is absent here`);
const files = present ? readdirSync(FILES).sort() : [];

async function ourCounts(file: string): Promise<{ packets: number; counts: Record<string, number> }> {
  const source = await fileSource(path.join(FILES, file), file);
  const result = newCaptureResult(0, source);
  await analyzeCapture(source, result, new DissectConfig(), []);
  const counts: Record<string, number> = {};
  LAYER_NAMES.forEach((name, id) => { counts[name] = result.layerPackets[id]!; });
  counts['sll'] = result.layerPackets[L_SLL]! + result.layerPackets[L_SLL2]!;
  return { packets: result.packets, counts };
}

describe.skipIf(!present)('conformance with tshark over ../shared/corpus-encap', () => {
  const known = new Map(knownDifferences('counts-encap').map((d) => [`${d.file} ${d.protocol}`, d]));
  const seen = new Set<string>();

  it('has the 20 captures and a ground truth for each', () => {
    expect(files.length).toBe(20);
    for (const f of files) expect(existsSync(path.join(CORPUS_ENCAP, 'ground-truth', `${f}.txt`)), f).toBe(true);
  });

  it.each(files)('%s: packet and protocol counts equal tshark\'s or are explained', async (file) => {
    const gt = parseGroundTruth(readFileSync(path.join(CORPUS_ENCAP, 'ground-truth', `${file}.txt`), 'utf8'));
    const ours = await ourCounts(file);
    expect(gt.frames.length, `${file}: ground-truth table vs its packet count`).toBe(gt.packets);
    const theirs = tsharkCounts(gt.frames);
    const unexplained: string[] = [];
    const compare = (protocol: string, o: number, t: number): void => {
      const k = `${file} ${protocol}`;
      const d = known.get(k);
      if (o === t) {
        if (d) unexplained.push(`${protocol}: listed as a known difference (ours ${d.ours}, tshark ${d.tshark}) but now both are ${o}: remove the row`);
        return;
      }
      seen.add(k);
      if (!d) unexplained.push(`${protocol}: ours ${o}, tshark ${t} (not in docs/known-differences.md)`);
      else if (d.ours !== o || d.tshark !== t) unexplained.push(`${protocol}: ours ${o}, tshark ${t}, but the known difference says ${d.ours} vs ${d.tshark}`);
    };
    compare('packets', ours.packets, gt.packets);
    for (const p of COMPARED) compare(p, ours.counts[p] ?? 0, theirs[p] ?? 0);
    expect(unexplained, file).toEqual([]);
  });

  it('lists no known difference for a file or protocol that does not differ', () => {
    expect([...known.keys()].filter((k) => !seen.has(k))).toEqual([]);
  });
});

describe.skipIf(!present)('every corpus-encap file through `overlayscope analyze` (no crash, hang or stack trace)', () => {
  const bin = path.join(ROOT, 'bin', 'overlayscope.js');

  it('has a built CLI to run', () => {
    expect(existsSync(path.join(ROOT, 'dist', 'cli.js')), 'dist/cli.js is missing: run `node scripts/build-cli.mjs` (npm test does)').toBe(true);
  });

  it.each(files)('%s', (file) => {
    const r = spawnSync(process.execPath, [bin, 'analyze', path.join(FILES, file), '--format', 'json'], { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
    expect(r.error, `${file}: did not finish within 30 s`).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.status, `${file}: exit ${r.status}; stderr: ${r.stderr}`).toBe(0);
    expect(r.stderr, `${file}: stack trace on stderr`).not.toMatch(/^\s+at /m);
    const json = JSON.parse(r.stdout) as { schema: string; packets: number };
    expect(json.schema).toBe('overlayscope.analysis/v1');
    expect(json.packets).toBeGreaterThan(0);
  });
});

describe.skipIf(!present)('--wireguard-port on the CLI', () => {
  const bin = path.join(ROOT, 'bin', 'overlayscope.js');
  const wg = path.join(FILES, 'pcapplusplus__WireGuard.pcap');
  const layersOf = (extra: string[]): string[] => {
    const r = spawnSync(process.execPath, [bin, 'packets', wg, '--format', 'ndjson', ...extra], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { layers: string[] }).layers.join(':'));
  };

  it('decodes UDP 51820 as WireGuard by default, and only the listed ports when given', () => {
    expect(layersOf([])).toEqual(['eth:ipv4:udp:wg', 'eth:ipv4:udp:wg', 'eth:ipv4:udp:wg', 'eth:ipv4:udp:wg']);
    expect(layersOf(['--wireguard-port', '9']).every((l) => !l.includes('wg'))).toBe(true);
    expect(layersOf(['--wireguard-port', '9,51820'])[0]).toBe('eth:ipv4:udp:wg');
  });

  it('rejects a port outside 1-65535 with exit 2', () => {
    const r = spawnSync(process.execPath, [bin, 'analyze', wg, '--wireguard-port', '70000'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('wireguard-port');
  });
});
