/**
 * The Overlay diagram in Debian's Chromium on the lab's captures: no two
 * label boxes intersect (bounding boxes measured in the DOM) at 1280×720 and
 * 1440×900; the client is drawn with the node it entered by; each Service
 * has an edge to each of its pods (cluster.json's EndpointSlices; without
 * metadata, the DNATs truth.json's conntrack lists); one tunnel label per
 * node pair with each direction's packets as truth.json counts them; the
 * benchmark generator's capture (two VXLAN networks between every node pair:
 * 6 labels stacked) keeps its labels apart too.
 * Screenshots light and dark at both sizes: test-artifacts/overlay-diagram-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from '../helpers/corpus.js';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness, loadFiles } from './browser.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const truth: any = (() => { try { return JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')); } catch { return null; } })();
const cluster: any = (() => { try { return JSON.parse(readFileSync(path.join(LAB, 'cluster.json'), 'utf8')); } catch { return null; } })();
const filesOf = (scenario: string): string[] => {
  const dir = path.join(LAB, 'captures', scenario);
  try { return readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f)); } catch { return []; }
};
const labPresent = truth !== null && cluster !== null && filesOf('nginx-proxy').length > 0;
if (!labPresent) console.warn('SKIPPED: overlay diagram e2e needs fixtures/lab (captures, truth.json, cluster.json)');

/** cluster.json's EndpointSlices: "namespace/service" -> endpoint addresses. */
function endpointSlices(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const i of cluster.items) {
    if (i.kind !== 'EndpointSlice') continue;
    const svc = `${i.metadata.namespace}/${i.metadata.labels['kubernetes.io/service-name']}`;
    m.set(svc, [...(m.get(svc) ?? []), ...i.endpoints.flatMap((e: any) => e.addresses)].sort());
  }
  return m;
}

interface Rect { what: string; x: number; y: number; w: number; h: number }
/** The boxes of every label (tunnel badges, client, nodes, Services) and of every free-standing edge text. */
async function labelBoxes(page: Page): Promise<Rect[]> {
  return page.$eval('[data-testid=overlay-diagram]', (svg) => {
    const out: Array<{ what: string; x: number; y: number; w: number; h: number }> = [];
    for (const g of Array.from(svg.querySelectorAll('[data-testid=diagram-label]'))) {
      const r = g.querySelector('rect')!.getBoundingClientRect();
      out.push({ what: `${g.getAttribute('data-kind') ?? 'tunnel'}: ${g.querySelector('text')?.textContent}`, x: r.x, y: r.y, w: r.width, h: r.height });
    }
    for (const t of Array.from(svg.querySelectorAll('[data-testid=diagram-edge-text]'))) {
      const r = t.getBoundingClientRect();
      out.push({ what: `edge text: ${t.textContent}`, x: r.x, y: r.y, w: r.width, h: r.height });
    }
    return out;
  });
}

/** Texts that run out of their label's box or out of the drawing. */
async function textsOutside(page: Page): Promise<string[]> {
  return page.$eval('[data-testid=overlay-diagram]', (svg) => {
    const out: string[] = [];
    const s = svg.getBoundingClientRect();
    for (const t of Array.from(svg.querySelectorAll('text'))) {
      const r = t.getBoundingClientRect();
      if (r.x < s.x - 0.5 || r.right > s.right + 0.5 || r.y < s.y - 0.5 || r.bottom > s.bottom + 0.5) out.push(`outside the drawing: ${t.textContent}`);
      const g = t.closest('[data-testid=diagram-label]');
      if (!g) continue;
      const b = g.querySelector('rect')!.getBoundingClientRect();
      if (r.x < b.x - 0.5 || r.right > b.right + 0.5) out.push(`outside its box: ${t.textContent} (${r.x.toFixed(0)}..${r.right.toFixed(0)} in ${b.x.toFixed(0)}..${b.right.toFixed(0)})`);
    }
    return out;
  });
}

function intersecting(boxes: Rect[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let k = i + 1; k < boxes.length; k++) {
      const a = boxes[i]!, b = boxes[k]!;
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push(`${a.what} × ${b.what}`);
    }
  }
  return out;
}

async function open(page: Page, files: string[]) {
  await page.goto(`${h.url}?autoload=0`);
  await loadFiles(page, files);
  await page.click('[data-testid=tab-overlay]');
  await page.waitForSelector('[data-testid=overlay-diagram]', { timeout: 60_000 });
}

/** At both sizes and both themes: labels apart, texts inside; screenshots. */
async function checkLayout(page: Page, name: string) {
  for (const [w, hgt] of [[1280, 720], [1440, 900]] as const) {
    await page.setViewportSize({ width: w, height: hgt });
    const boxes = await labelBoxes(page);
    expect(boxes.length).toBeGreaterThan(4);
    expect(intersecting(boxes)).toEqual([]);
    expect(await textsOutside(page)).toEqual([]);
    for (const theme of ['light', 'dark']) {
      if ((await page.getAttribute('html', 'data-theme')) !== theme) await page.click('button[aria-label="Toggle dark theme"]');
      await page.locator('[data-testid=overlay-diagram]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: path.join(ARTIFACTS, `overlay-diagram-${name}-${w}x${hgt}-${theme}.png`) });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

const tunnelLabels = (page: Page) => page.$$eval('[data-testid=diagram-label]:not([data-kind])', (els) => els.map((e) => Array.from(e.querySelectorAll('text')).map((t) => t.textContent ?? '')));
const svcEdges = (page: Page) => page.$$eval('[data-testid=diagram-svc-edge]', (els) => els.map((e) => `${e.getAttribute('data-service')} ${e.getAttribute('data-pod')}`).sort());

let h: Harness;

describe.skipIf(!chromiumPresent || !labPresent)('the Overlay diagram', () => {
  let page: Page;
  beforeAll(async () => {
    h = await startHarness();
    page = await h.newPage();
  });
  afterAll(async () => { await h?.close(); });

  for (const scenario of ['nginx-proxy', 'ingress']) {
    it(`${scenario} with cluster.json: no label over another, the client, Service → pod edges as cluster.json, tunnels as truth.json`, async () => {
      const sc = truth.scenarios.find((s: any) => s.name === scenario);
      await open(page, [...filesOf(scenario), path.join(LAB, 'cluster.json')]);
      // The client, entering by the scenario's NodePort.
      const client = await page.locator('[data-testid=diagram-label][data-kind=client]').allTextContents();
      expect(client).toEqual([`client${truth.client.ip}`]);
      const edgeText = await page.locator('[data-testid=diagram-edge-text]').allTextContents();
      expect(edgeText).toEqual([`NodePort ${sc.nodePort}`, `${sc.requestCount} requests`]);
      // Service → pod: every EndpointSlice address that is a drawn pod.
      const drawn = new Set(await page.$$eval('[data-testid=diagram-pod]', (els) => els.map((e) => e.getAttribute('data-ip'))));
      const expected = [...endpointSlices()].flatMap(([svc, ips]) => ips.filter((ip) => drawn.has(ip)).map((ip) => `${svc} ${ip}`)).sort();
      expect(expected.length).toBe(4);
      expect(await svcEdges(page)).toEqual(expected);
      // Edges share channels under the nodes: each Service's edges take its box's colour, and no two Services share one.
      const boxColor = new Map(await page.$$eval('[data-testid=diagram-label][data-kind=service]', (els) => els.map((e) => [e.getAttribute('data-title'), e.getAttribute('data-color')] as [string, string])));
      expect(new Set(boxColor.values()).size).toBe(boxColor.size);
      const edgeColors = await page.$$eval('[data-testid=diagram-svc-edge]', (els) => els.map((e) => [e.getAttribute('data-service'), getComputedStyle(e).stroke, e.getAttribute('data-color')]));
      for (const [svc, stroke, color] of edgeColors) {
        expect(color).toBe(boxColor.get(svc!));
        const hex = color!.slice(1).match(/../g)!.map((x) => parseInt(x, 16));
        expect(stroke).toBe(`rgb(${hex.join(', ')})`);
      }
      // One label per node pair, each direction's packets as truth.json counts them at the sender.
      const labels = await tunnelLabels(page);
      const pairs = new Set<string>(sc.vxlan.tunnels.map((t: any) => [t.srcNode, t.dstNode].sort().join(' ⇄ ')));
      expect(labels.map((l) => l[0]!.replace(/ · .*/, '')).sort()).toEqual([...pairs].sort());
      for (const t of sc.vxlan.tunnels) {
        const l = labels.find((x) => x[0]!.startsWith([t.srcNode, t.dstNode].sort().join(' ⇄ ')))!;
        expect(l[0]).toContain(`VXLAN VNI ${t.vni}`);
        expect(l.some((line) => line.startsWith(`${t.srcNode} → ${t.dstNode}: ${t.packets} pkts`))).toBe(true);
      }
      await checkLayout(page, scenario);
      expect(pageErrors(page)).toEqual([]);
    }, 180_000);
  }

  it('the benchmark generator\'s capture (one point, 3 nodes, two VXLAN networks between every pair): 6 tunnel labels apart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-diagram-'));
    try {
      const file = path.join(dir, 'overlay-20000.pcap');
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'gen-overlay.mjs'), '--out', file, '--packets', '20000', '--quiet'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      await open(page, [file]);
      // Node pairs x (VNI 1 on 8472, VNI 4096 on 4789): each label holds both directions.
      const labels = await tunnelLabels(page);
      expect(labels).toHaveLength(6);
      for (const l of labels) expect(l).toHaveLength(3);
      await checkLayout(page, 'bench');
      expect(pageErrors(page)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('nginx-proxy without metadata: inferred node names, inferred pods and the ClusterIP seen DNATed, with their edges', async () => {
    const sc = truth.scenarios.find((s: any) => s.name === 'nginx-proxy');
    await open(page, filesOf('nginx-proxy'));
    const nodes = await page.locator('[data-testid=diagram-label][data-kind=node] .node-name').allTextContents();
    expect(nodes).toEqual(truth.nodes.map((n: any) => `${n.name} (inferred)`));
    expect(await page.locator('[data-testid=diagram-label][data-kind=client]').allTextContents()).toEqual([`client${truth.client.ip}`]);
    // The web ClusterIP, inferred from the DNATs, with an edge to each backend conntrack sent it to.
    const dst = `${sc.journeys[0].upstream.connection.dst}:${sc.journeys[0].upstream.connection.dport}`;
    const backends = [...new Set<string>(sc.journeys.map((j: any) => j.upstream.backend.ip))].sort();
    const np = `NodePort ${sc.nodePort} on ${sc.entryNode}`;
    expect(await svcEdges(page)).toEqual([...backends.map((ip) => `Service ${dst} ${ip}`), `${np} ${sc.frontend.ip}`].sort());
    // The translations name the Service inferred for each original destination.
    const services = await page.locator('[data-testid=translations] tbody tr td:nth-child(2)').allTextContents();
    expect(services.filter((x) => x === `${np} (inferred)`)).toHaveLength(sc.requestCount);
    expect(services.filter((x) => x === `Service ${dst} (inferred)`)).toHaveLength(sc.journeys.filter((j: any) => j.upstream.dnat).length);
    await checkLayout(page, 'inferred');
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);
});
