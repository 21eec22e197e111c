/**
 * compare of each lab overlay run (fixtures/lab-overlays: VXLAN 8472 and 4789,
 * Geneve, IP-in-IP) against the Flannel VXLAN run (fixtures/lab), per scenario: the
 * tunnel rows are named by their type and every figure equals what each
 * run's truth.json recorded (fixtures/lab keeps the kernel's TCP timing and the
 * overlay runs use --same-segments, so their packet counts differ: each side
 * is checked against its own truth; test/lab/overlays.test.ts compares the
 * overlay runs with each other, equal packets per request).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { compareSessions, type Comparison } from '../../src/compare/compare.js';
import { fixturePath } from '../helpers/corpus.js';
import { labPresent, labTruth, openFiles, scenarioFiles, type LabScenarioTruth } from './lab.js';

/** The explanation names each side with its label once ("A (nginx-proxy)"), then "A": sentences compared without the labels. */
const unlabel = (l: string): string => l.replace(/\b([AB]) \([^)]*\)/g, '$1');


const OVERLAYS = fixturePath('lab-overlays');
const NAMES: Record<string, string> = { vxlan: 'VXLAN', geneve: 'Geneve', ipip: 'IP-in-IP' };

interface OverlayScenarioTruth extends LabScenarioTruth {
  packetsPerRequest: LabScenarioTruth['packetsPerRequest'] & { tunnel: number; tunnelEncapsulationBytes: number };
  tunnel: { type: string; transmissions: number; encapsulationBytes: number };
}

const present = labPresent && existsSync(OVERLAYS)
  ? readdirSync(OVERLAYS).filter((o) => existsSync(path.join(OVERLAYS, o, 'truth.json'))).sort()
  : [];
if (!present.length) console.warn(`SKIPPED: overlay comparisons need fixtures/lab and ${OVERLAYS} (npm run lab -- --overlay ...)`);

const metric = (c: Comparison, name: string) => {
  const m = c.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`no metric '${name}' among ${c.metrics.filter((x) => x.group === 'overlay').map((x) => x.name).join(', ')}`);
  return m;
};

/** truth.json's end-to-end figure less the ARP packets it counted on the client's and pods' links (as test/compare/compare.test.ts). */
const endToEnd = (s: LabScenarioTruth): number => {
  const arp = s.captures.filter((c) => c.point === 'client-eth0' || c.point.startsWith('pod-')).reduce((n, c) => n + c.arpPackets, 0);
  return Math.round(((s.packetsPerRequest.endToEnd * s.requestCount - arp) / s.requestCount) * 1000) / 1000;
};

describe.each(present.map((o) => [o] as const))('compare: the Flannel VXLAN lab against the %s lab', (overlay) => {
  const truth = JSON.parse(readFileSync(path.join(OVERLAYS, overlay, 'truth.json'), 'utf8')) as { scenarios: OverlayScenarioTruth[] };
  it.each(truth.scenarios.map((s) => [s.name, s] as const))('%s: tunnel rows named by type, figures as each truth.json', async (name, sc) => {
    const base = labTruth().scenarios.find((s) => s.name === name)!;
    const dir = path.join(OVERLAYS, overlay, 'captures', name);
    const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f));
    const c = await compareSessions(await openFiles(scenarioFiles(name)), await openFiles(files), { a: 'flannel', b: overlay });
    const type = NAMES[sc.tunnel.type]!;
    expect(type).toBeDefined();
    expect(metric(c, 'packets per request, end to end')).toMatchObject({ a: endToEnd(base), b: endToEnd(sc) });
    expect(metric(c, `${type} packets`).b).toBe(sc.tunnel.transmissions);
    expect(metric(c, `${type} packets per request`).b).toBe(sc.packetsPerRequest.tunnel);
    expect(metric(c, 'VXLAN packets per request').a).toBe(base.packetsPerRequest.vxlan);
    expect(metric(c, 'encapsulation bytes').b).toBe(sc.tunnel.encapsulationBytes);
    if (type === 'VXLAN') {
      // Both sides VXLAN: one set of rows, no per-type encapsulation row.
      expect(metric(c, 'encapsulation bytes per request')).toMatchObject({ a: base.packetsPerRequest.vxlanEncapsulationBytes, b: sc.packetsPerRequest.tunnelEncapsulationBytes });
      expect(c.metrics.some((m) => m.name === 'VXLAN encapsulation bytes per request')).toBe(false);
    } else {
      expect(metric(c, `${type} encapsulation bytes per request`)).toMatchObject({ a: 0, b: sc.packetsPerRequest.tunnelEncapsulationBytes });
      expect(metric(c, 'VXLAN encapsulation bytes per request')).toMatchObject({ a: base.packetsPerRequest.vxlanEncapsulationBytes, b: 0 });
      expect(metric(c, `${type} packets`).a).toBe(0);
      expect(c.explanation.map(unlabel)).toContain(`B sends ${metric(c, `${type} packets per request`).b} ${type} packets per request and A none: ${sc.packetsPerRequest.tunnelEncapsulationBytes} bytes of ${type} encapsulation per request.`);
    }
    expect(c.perHop.some((h) => h.hop.endsWith(`· in ${type}`) && h.b > 0)).toBe(true);
  }, 60_000);
});
