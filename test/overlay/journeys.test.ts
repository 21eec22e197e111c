/**
 * Journeys written as JSON bytes a journey at a time (JourneyTable.write,
 * what `analyze --format json` writes) must be the text JSON.stringify gives
 * for the same journey as an object (JourneyTable.journey, what the app,
 * reports and exports read): on the lab's sessions (IPv4, translations,
 * VXLAN hops, Ingress rules with cluster metadata), a clock-skewed set, the
 * dual-stack fixture (IPv6 endpoints) and one capture point alone.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { JsonBytes } from '../../src/pipeline/json-bytes.js';
import { parseClusterMetadata, type ClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { fixturePath } from '../helpers/corpus.js';
import { LAB, clusterMetadata, labPresent, openFiles, scenarioFiles } from './lab.js';

const SKEW = path.join(LAB, 'captures-skew', 'skew-drifted', 'nginx-proxy');
const DUAL = fixturePath('dual-stack');

/** Every journey's bytes against JSON.stringify of its object; returns the objects. */
async function writtenAsStringified(files: readonly string[], cluster: ClusterMetadata | null) {
  const s = await openFiles(files, cluster);
  const table = s.overlay().journeyTable();
  // A small buffer: writing must make its own room.
  const out = new JsonBytes(64);
  const objects = [];
  for (let i = 0; i < table.length; i++) {
    const j = table.journey(i);
    objects.push(j);
    out.pos = 0;
    table.write(i, out);
    expect(out.toString(), `journey ${i} of ${files.length} files`).toBe(JSON.stringify(j));
  }
  // The objects are what the overlay's JSON holds.
  expect(JSON.stringify(objects)).toBe(JSON.stringify(s.overlay().toJSON().journeys));
  return objects;
}

describe.skipIf(!labPresent)('journeys as bytes = journeys as objects', () => {
  it.each(['nginx-proxy', 'ingress'])('lab %s, with and without cluster metadata', async (scenario) => {
    const plain = await writtenAsStringified(scenarioFiles(scenario), null);
    expect(plain.length).toBeGreaterThan(0);
    const hops = plain.flatMap((j) => j.hops);
    expect(hops.some((h) => h.translation !== null)).toBe(true);
    expect(hops.some((h) => h.tunnel !== null)).toBe(true);
    expect(hops.some((h) => h.latencyMs !== null && !Number.isInteger(h.latencyMs))).toBe(true);
    const named = await writtenAsStringified(scenarioFiles(scenario), clusterMetadata());
    expect(named.length).toBe(plain.length);
    if (scenario === 'ingress') expect(named.some((j) => j.ingress !== null)).toBe(true);
  });

  it.skipIf(!existsSync(SKEW))('a clock-skewed set (times corrected)', async () => {
    const files = readdirSync(SKEW).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(SKEW, f));
    expect((await writtenAsStringified(files, null)).length).toBeGreaterThan(0);
  });

  it('one capture point alone (only journeys that show more than one hop)', async () => {
    const eth0 = scenarioFiles('nginx-proxy').filter((f) => f.endsWith('node1-eth0.pcap'));
    expect(eth0).toHaveLength(1);
    await writtenAsStringified(eth0, clusterMetadata());
  });
});

describe.skipIf(!existsSync(path.join(DUAL, 'cluster.json')))('journeys as bytes over IPv6', () => {
  it('dual-stack fixture with its metadata', async () => {
    const dir = path.join(DUAL, 'captures');
    const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f));
    const md = parseClusterMetadata([{ name: 'cluster.json', text: readFileSync(path.join(DUAL, 'cluster.json'), 'utf8') }]);
    const js = await writtenAsStringified(files, md);
    expect(js.some((j) => j.hops.some((h) => h.src.ip.includes(':')))).toBe(true);
  });
});
