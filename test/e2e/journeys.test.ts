/**
 * Journeys in the Overlay view, in Debian's Chromium, on the lab's captures:
 * lanes named by the cluster metadata (checked against cluster.json's own
 * objects), or without it by what the engine infers (marked inferred); each
 * folded crossing lists the capture points that saw that connection
 * (truth.json: the points whose captures hold it, and the order its
 * expectedPath states); tunnel stretches named by their nodes (truth's VXLAN
 * tunnels); NAT in the direction it rewrote the packet; keep-alive reuse as
 * truth.json's upstream connections; a picker that tells journeys apart; no
 * text left of the drawing, a crossing's text under its arrow (wrapped). Screenshots light and dark at 1280×720 and
 * 1440×900: test-artifacts/journeys-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, LAB, chromiumPresent, pageErrors, startHarness, type Harness, loadFiles } from './browser.js';
import { rowsInView } from './table-helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const truth: any = (() => { try { return JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')); } catch { return null; } })();
const cluster: any = (() => { try { return JSON.parse(readFileSync(path.join(LAB, 'cluster.json'), 'utf8')); } catch { return null; } })();
const filesOf = (scenario: string): string[] => {
  const dir = path.join(LAB, 'captures', scenario);
  try { return readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f)); } catch { return []; }
};
const labPresent = truth !== null && cluster !== null && filesOf('nginx-proxy').length > 0;
if (!labPresent) console.warn('SKIPPED: journeys e2e needs fixtures/lab (captures, truth.json, cluster.json)');

/** cluster.json's objects by address: pod IP -> pod name, ClusterIP -> Service name, InternalIP -> node name. */
function clusterNames() {
  const pods = new Map<string, string>(), services = new Map<string, string>(), nodes = new Map<string, string>();
  for (const i of cluster.items) {
    if (i.kind === 'Pod') for (const p of i.status.podIPs ?? [{ ip: i.status.podIP }]) pods.set(p.ip, i.metadata.name);
    if (i.kind === 'Service') for (const ip of i.spec.clusterIPs ?? [i.spec.clusterIP]) services.set(ip, i.metadata.name);
    if (i.kind === 'Node') for (const a of i.status.addresses) if (a.type === 'InternalIP') nodes.set(a.address, i.metadata.name);
  }
  return { pods, services, nodes };
}

/** The capture points whose truth.json connections hold this tuple (either direction). */
function pointsSeeing(sc: any, src: string, sport: number, dst: string, dport: number): string[] {
  const hit = (c: any) => (c.src === src && c.sport === sport && c.dst === dst && c.dport === dport) || (c.src === dst && c.sport === dport && c.dst === src && c.dport === sport);
  return sc.captures.filter((c: any) => c.tcpConnections.some(hit)).map((c: any) => c.point).sort();
}

/** expectedPath's "node2 flannel.1 -> cni0 -> nginx-proxy pod ..." as capture points, in order. */
function statedTrail(sc: any): string[] | null {
  for (const line of sc.expectedPath as string[]) {
    const m = /^(node\d) ((?:[\w.]+ -> )+)(\S+) pod/.exec(line);
    if (m) return [...m[2]!.split(' -> ').filter(Boolean).map((i) => `${m[1]}-${i}`), `pod-${m[3]}-eth0`];
  }
  return null;
}

async function open(page: Page, files: string[]) {
  await page.goto(`${h.url}?autoload=0`);
  await loadFiles(page, files);
  await page.click('[data-testid=tab-overlay]');
  await page.waitForSelector('[data-testid=journey-diagram]', { timeout: 60_000 });
}

async function pick(page: Page, clientPort: number): Promise<void> {
  const sel = page.locator('select[aria-label=Journey]');
  const options = await sel.locator('option').allTextContents();
  const i = options.findIndex((o) => o.includes(`client :${clientPort} `));
  expect(i, `a journey of client port ${clientPort} in ${options.join(' | ')}`).toBeGreaterThanOrEqual(0);
  await sel.selectOption(String(i));
  await page.waitForFunction((p) => Array.from(document.querySelectorAll('[data-testid=journey-crossing]')).some((e) => (e.textContent ?? '').includes(`:${p} `)), clientPort);
}

interface Crossing { trail: string[]; from: string; to: string; note: string; text: string }
async function crossings(page: Page): Promise<Crossing[]> {
  return page.$$eval('[data-testid=journey-crossing]', (els) => els.map((e) => ({
    trail: (e.getAttribute('data-trail') ?? '').split(','), from: e.getAttribute('data-from') ?? '', to: e.getAttribute('data-to') ?? '',
    note: e.getAttribute('data-note') ?? '', text: Array.from(e.querySelectorAll('text')).map((t) => t.textContent).join('\n'),
  })));
}
const lanes = (page: Page) => page.$$eval('[data-testid=journey-lane]', (els) => els.map((e) => ({ title: e.getAttribute('data-title') ?? '', inferred: e.getAttribute('data-inferred') === '1', text: e.textContent ?? '' })));

/** Every text of the diagram starts inside it (not clipped on the left) and inside the page's scrollable width. */
async function noTextOutside(page: Page) {
  const bad = await page.$eval('[data-testid=journey-diagram]', (box) => {
    const out: string[] = [];
    for (const svg of Array.from(box.querySelectorAll('svg'))) {
      const w = Number(svg.getAttribute('width'));
      const x0 = svg.viewBox.baseVal.x;
      for (const t of Array.from(svg.querySelectorAll('text'))) {
        const b = (t as SVGTextElement).getBBox();
        if (b.x < x0 || b.x + b.width > x0 + w + 1) out.push(`${t.textContent} at ${b.x.toFixed(0)}..${(b.x + b.width).toFixed(0)} of ${w}`);
      }
    }
    // A crossing's text starts under its arrow (wrapped to the room right of it), not far left of it.
    for (const g of Array.from(box.querySelectorAll('[data-testid=journey-crossing]'))) {
      const line = g.querySelector('line');
      if (!line) continue;
      const left = Math.min(line.x1.baseVal.value, line.x2.baseVal.value);
      for (const t of Array.from(g.querySelectorAll('text'))) {
        const b = (t as SVGTextElement).getBBox();
        if (b.x < left - 1) out.push(`'${t.textContent}' starts at ${b.x.toFixed(0)}, left of its arrow at ${left.toFixed(0)}`);
      }
    }
    // The lane heads' text inside their boxes.
    for (const g of Array.from(box.querySelectorAll('[data-testid=journey-lane]'))) {
      const r = (g.querySelector('rect') as SVGRectElement).getBBox();
      for (const t of Array.from(g.querySelectorAll('text'))) {
        const b = (t as SVGTextElement).getBBox();
        if (b.x < r.x || b.x + b.width > r.x + r.width) out.push(`lane text ${t.textContent} outside its box`);
      }
    }
    return out;
  });
  expect(bad).toEqual([]);
}

async function shots(page: Page, name: string) {
  for (const [w, hgt] of [[1280, 720], [1440, 900]] as const) {
    await page.setViewportSize({ width: w, height: hgt });
    // At this size too: no text left of the drawing or out of its lane head.
    await noTextOutside(page);
    for (const theme of ['light', 'dark']) {
      const cur = await page.getAttribute('html', 'data-theme');
      if (cur !== theme) await page.click('button[aria-label="Toggle dark theme"]');
      await page.locator('select[aria-label=Journey]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: path.join(ARTIFACTS, `journeys-${name}-${w}x${hgt}-${theme}.png`) });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

let h: Harness;

describe.skipIf(!chromiumPresent || !labPresent)('journeys in the Overlay view', () => {
  let page: Page;
  beforeAll(async () => {
    h = await startHarness();
    page = await h.newPage();
  });
  afterAll(async () => { await h?.close(); });

  it('nginx-proxy with cluster.json: lanes named as cluster.json, folded crossings with truth\'s capture points, tunnels by node, un-DNAT in its direction', async () => {
    const sc = truth.scenarios.find((s: any) => s.name === 'nginx-proxy');
    const names = clusterNames();
    await open(page, [...filesOf('nginx-proxy'), path.join(LAB, 'cluster.json')]);
    // The picker tells the five journeys apart, each by its client port.
    const options = await page.locator('select[aria-label=Journey] option').allTextContents();
    expect(new Set(options).size).toBe(options.length);
    for (const j of sc.journeys) expect(options.some((o) => o.includes(`client :${j.client.port} `))).toBe(true);
    for (const j of sc.journeys) {
      await pick(page, j.client.port);
      const ls = await lanes(page);
      const titles = ls.map((l) => l.title);
      const entry = names.nodes.get(j.nodePort.ip)!;
      const front = names.pods.get(j.frontend.ip)!;
      const svc = names.services.get(j.upstream.connection.dst)!;
      const back = names.pods.get(j.upstream.backend.ip)!;
      expect(titles).toEqual(['client', entry, front, svc, back]);
      expect(ls.some((l) => l.inferred)).toBe(false);
      expect(ls[1]!.text).toContain(`NodePort ${j.nodePort.port}`);
      const cs = await crossings(page);
      // Request: client → node, then node → frontend pod over the tunnel, the whole stretch one crossing.
      const req = cs.filter((c) => c.note === 'request');
      expect(req.map((c) => [c.from, c.to])).toEqual([['client', entry], [entry, front]]);
      expect([...req[0]!.trail].sort()).toEqual(pointsSeeing(sc, j.client.ip, j.client.port, j.nodePort.ip, j.nodePort.port));
      expect([...req[1]!.trail].sort()).toEqual(pointsSeeing(sc, j.frontend.seenSource.ip, j.frontend.seenSource.port, j.frontend.ip, j.frontend.port));
      // expectedPath's "node2 flannel.1 -> cni0 -> nginx-proxy pod" in that order at the end of the trail.
      const stated = statedTrail(sc)!;
      expect(req[1]!.trail.slice(-stated.length)).toEqual(stated);
      const frontNode = truth.pods.find((p: any) => p.ip === j.frontend.ip).node;
      expect(req[1]!.text).toContain(`${entry} → ${frontNode} (VXLAN VNI ${truth.network.vxlan.vni})`);
      // Upstream: to the Service, DNATed to the backend, over node2 → backend's node.
      const up = cs.filter((c) => c.note === 'upstream request 1');
      expect(up.map((c) => [c.from, c.to])).toEqual([[front, svc], [front, back]]);
      const c = j.upstream.connection;
      expect([...up[0]!.trail, ...up[1]!.trail].sort()).toEqual(pointsSeeing(sc, c.src, c.sport, c.dst, c.dport).concat(pointsSeeing(sc, c.src, c.sport, j.upstream.backend.ip, j.upstream.backend.port)).sort());
      if (j.upstream.backend.node !== frontNode) expect(up[1]!.text).toContain(`${frontNode} → ${j.upstream.backend.node} (VXLAN VNI 1)`);
      // NAT in the direction the packet was rewritten: DNAT on the way in, un-DNAT on the way back.
      const nat = await page.locator('[data-testid=journey-nat-change]').allTextContents();
      expect(nat).toContain(`${c.dst}:${c.dport} → ${j.upstream.backend.ip}:${j.upstream.backend.port} (DNAT)`);
      expect(nat).toContain(`${j.upstream.backend.ip}:${j.upstream.backend.port} → ${c.dst}:${c.dport} (un-DNAT)`);
      expect(nat).toContain(`${j.nodePort.ip}:${j.nodePort.port} → ${j.frontend.ip}:${j.frontend.port} (DNAT)`);
      expect(nat).toContain(`${j.client.ip}:${j.client.port} → ${j.frontend.seenSource.ip}:${j.frontend.seenSource.port} (SNAT)`);
      expect(nat).toContain(`${j.frontend.ip}:${j.frontend.port} → ${j.nodePort.ip}:${j.nodePort.port} (un-DNAT)`);
      // The response ends at the client.
      expect(cs[cs.length - 1]!.to).toBe('client');
      // nginx-proxy opens a new upstream connection per request: no keep-alive mark.
      expect(await page.locator('[data-testid=journey-keepalive]').count()).toBe(0);
      await noTextOutside(page);
    }
    await pick(page, sc.journeys[0].client.port);
    await shots(page, 'nginx-proxy');
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  it('ingress with cluster.json: keep-alive reuse of the controller\'s upstream connections as truth.json', async () => {
    const sc = truth.scenarios.find((s: any) => s.name === 'ingress');
    const names = clusterNames();
    await open(page, [...filesOf('ingress'), path.join(LAB, 'cluster.json')]);
    const options = await page.locator('select[aria-label=Journey] option').allTextContents();
    expect(new Set(options).size).toBe(options.length);
    for (const j of sc.journeys) {
      await pick(page, j.client.port);
      const titles = (await lanes(page)).map((l) => l.title);
      expect(titles).toEqual(['client', names.nodes.get(j.nodePort.ip), names.pods.get(j.frontend.ip), names.pods.get(j.upstream.backend.ip)]);
      const marks = await page.locator('[data-testid=journey-keepalive]').allTextContents();
      if (j.upstream.reusedConnection) {
        expect(marks).toHaveLength(1);
        expect(marks[0]).toContain(`request ${j.upstream.connectionRequests} on it`);
      } else expect(marks).toEqual([]);
      const option = options.find((o) => o.includes(`client :${j.client.port} `))!;
      expect(option).toContain(names.pods.get(j.upstream.backend.ip));
      expect(option.includes('keep-alive')).toBe(j.upstream.reusedConnection);
      await noTextOutside(page);
    }
    await pick(page, sc.journeys.find((j: any) => j.upstream.reusedConnection).client.port);
    await shots(page, 'ingress');
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  it('one capture point (node1-eth0 alone): the request before and after the NodePort NAT, the rewrite seen at that one point', async () => {
    const sc = truth.scenarios.find((s: any) => s.name === 'nginx-proxy');
    const entry = truth.nodes.find((n: any) => n.name === sc.entryNode);
    await open(page, filesOf('nginx-proxy').filter((f) => f.endsWith(`${entry.name}-eth0.pcap`)));
    const j = sc.journeys[0];
    await pick(page, j.client.port);
    const ls = await lanes(page);
    expect(ls.map((l) => l.title)).toEqual(['client', entry.name, `pod on node ${truth.nodes.find((n: any) => n.name === sc.frontend.node).underlayIp}`]);
    expect(await page.locator('[data-testid=journey-nat] .nat-label').first().textContent()).toBe(`address rewritten (${entry.name}-eth0 saw it before and after):`);
    const nat = await page.locator('[data-testid=journey-nat-change]').allTextContents();
    expect(nat).toContain(`${j.nodePort.ip}:${j.nodePort.port} → ${j.frontend.ip}:${j.frontend.port} (DNAT)`);
    const cs = await crossings(page);
    for (const c of cs) expect(c.trail).toEqual([`${entry.name}-eth0`]);
    await noTextOutside(page);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('nginx-proxy without metadata: lanes of inferred nodes and pods, marked inferred', async () => {
    const sc = truth.scenarios.find((s: any) => s.name === 'nginx-proxy');
    await open(page, filesOf('nginx-proxy'));
    const j = sc.journeys[0];
    await pick(page, j.client.port);
    const ls = await lanes(page);
    const nodeOf = (ip: string) => truth.pods.find((p: any) => p.ip === ip).node;
    const entry = truth.nodes.find((n: any) => n.underlayIp === j.nodePort.ip).name;
    expect(ls.map((l) => l.title)).toEqual(['client', entry, `pod on ${nodeOf(j.frontend.ip)}`, `Service ${j.upstream.connection.dst}:${j.upstream.connection.dport}`, `pod on ${nodeOf(j.upstream.backend.ip)}`]);
    expect(ls.map((l) => l.inferred)).toEqual([false, true, true, true, true]);
    for (const l of ls.slice(1)) expect(l.text).toContain('(inferred)');
    expect(ls[2]!.text).toContain(j.frontend.ip);
    expect(ls[1]!.text).toContain(`NodePort ${j.nodePort.port}`);
    const cs = await crossings(page);
    const frontNode = nodeOf(j.frontend.ip);
    expect(cs.find((c) => c.note === 'request' && c.to.startsWith('pod on'))!.text).toContain(`${entry} → ${frontNode} (VXLAN VNI 1)`);
    await noTextOutside(page);
    await shots(page, 'inferred');
    // Flows: "A is"/"B is" say what the engine inferred, marked so; the Tunnel column names the nodes.
    await page.click('[data-testid=tab-flows]');
    // Every view of a connection (the tunnelled ones too), where the Flows view folds them.
    // (Re)set the view and the filter until the rows show the backend's tunnelled views: either may re-mount.
    await expect.poll(async () => {
      const perConnection = page.locator('[data-testid=by-connection]');
      if (await perConnection.isChecked()) await perConnection.uncheck();
      const box = page.getByLabel('Flow filter');
      if ((await box.inputValue()) !== j.upstream.backend.ip) await box.fill(j.upstream.backend.ip);
      const t = await page.locator('.view').first().innerText();
      return t.includes(`pod on ${nodeOf(j.upstream.backend.ip)}`) && !t.includes('· one row per connection');
    }, { timeout: 30_000 }).toBe(true);
    const text = await page.locator('.view').first().innerText();
    expect(text).toContain('(inferred)');
    expect(text).toMatch(new RegExp(`${frontNode} → ${j.upstream.backend.node} \\(VXLAN VNI 1\\)`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'journeys-inferred-flows.png') });
    // A is / B is of node addresses: each node's underlay address and its VTEP (flannel.1) address are that node as truth.json
    // lists them (the entry node's NodePort as that NodePort), inferred.
    const named = new Set<string>();
    for (const n of truth.nodes) {
      for (const ip of [n.underlayIp, n.vtepIp]) {
        await page.getByLabel('Flow filter').fill(ip);
        // The filter applied: every row in view holds the address (a VTEP address no packet came from gives none).
        await expect.poll(async () => (await rowsInView(page, 'flows-table')).every((r) => r.text.includes(ip)), { timeout: 30_000 }).toBe(true);
        await page.waitForTimeout(300);
        const rows = await rowsInView(page, 'flows-table');
        for (const r of rows) {
          for (const [ep, id] of [['a', 'identityA'], ['b', 'identityB']] as const) {
            if (!r.cells[ep]?.startsWith(`${ip}:`)) continue;
            const np = n.name === sc.entryNode && r.cells[ep] === `${ip}:${sc.nodePort}`;
            expect(r.cells[id], `${ip} in ${r.text}`).toBe(np ? `NodePort ${sc.nodePort} on ${n.name} (inferred)` : `node ${n.name} (inferred)`);
            named.add(ip);
          }
        }
      }
    }
    // Every node's underlay address is in the tunnel flows; the VTEP addresses of node1 (the entry node's SNAT source) at least.
    expect([...named].sort()).toEqual(expect.arrayContaining([...truth.nodes.map((n: any) => n.underlayIp), truth.nodes.find((n: any) => n.name === sc.entryNode).vtepIp]));
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);
});
