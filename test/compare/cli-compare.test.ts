/**
 * `overlayscope compare` and `overlayscope report` as commands: formats,
 * labels, sides given as folders or comma-separated sets, exit codes and
 * messages on bad input; and the same through AnalyzerApi (the service the
 * app uses).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCompare, runReport } from '../../src/cli/commands.js';
import { UsageError, InputError } from '../../src/cli/errors.js';
import { createAnalyzerService } from '../../src/service/analyzer-service.js';
import { fmtFixed } from '../../src/report/report-model.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { ROOT } from '../helpers/corpus.js';
import { testContext } from '../report/cli-context.js';
import { LAB, labPresent, labTruth, scenarioFiles } from './lab.js';

/**
 * truth.json's packets per request end to end (client-eth0 + VXLAN transmissions + pod captures) without
 * the ARP packets the lab's client and pod captures may hold (kernel probes; compare counts IP traffic).
 */
function endToEndWithoutArp(scenario: string): number {
  const sc = labTruth().scenarios.find((s) => s.name === scenario)!;
  const arp = sc.captures.filter((c) => c.point === 'client-eth0' || c.point.startsWith('pod-')).reduce((a, c) => a + c.arpPackets, 0);
  const t = sc as unknown as { packets: { endToEnd: number } };
  return Math.round(((t.packets.endToEnd - arp) / sc.requestCount) * 1000) / 1000;
}

const ART = path.join(ROOT, 'test-artifacts', 'compare');
const NGINX = path.join(LAB, 'captures', 'nginx-proxy');
const INGRESS = path.join(LAB, 'captures', 'ingress');

describe.skipIf(!labPresent)('overlayscope compare', () => {
  beforeAll(() => mkdirSync(ART, { recursive: true }));

  it('json: the comparison/v1 contract, labels from the folder names, figures as truth.json', async () => {
    const ctx = testContext();
    expect(await runCompare([NGINX, INGRESS, '--format', 'json'], ctx)).toBe(0);
    const j = JSON.parse(ctx.out);
    expect(j.schema).toBe('overlayscope.comparison/v1');
    expect(j.a.label).toBe('nginx-proxy');
    expect(j.b.label).toBe('ingress');
    expect(j.a.files).toHaveLength(14);
    const m = (name: string) => j.metrics.find((x: { name: string }) => x.name === name);
    const t = labTruth();
    const tn = t.scenarios.find((s) => s.name === 'nginx-proxy')!;
    const ti = t.scenarios.find((s) => s.name === 'ingress')!;
    expect(m('TCP connections opened per request')).toMatchObject({ a: tn.connectionsPerRequest.endToEnd, b: ti.connectionsPerRequest.endToEnd });
    expect(m('VXLAN packets per request')).toMatchObject({ a: tn.packetsPerRequest.vxlan, b: ti.packetsPerRequest.vxlan });
    expect(j.explanation.join(' ')).toMatch(/keep-alive/);
    expect(j.perHop.length).toBeGreaterThan(3);
    expect(j.latency).toHaveLength(5);
  });

  it('the merged pcapng and a comma-separated set give the same figures as the folder', async () => {
    const a = testContext();
    const b = testContext();
    expect(await runCompare([path.join(LAB, 'captures', 'nginx-proxy.pcapng'), scenarioFiles('ingress').join(','), '--format', 'json',
      '--label-a', 'merged', '--label-b', 'set'], a)).toBe(0);
    expect(await runCompare([NGINX, INGRESS, '--format', 'json'], b)).toBe(0);
    const ja = JSON.parse(a.out);
    const jb = JSON.parse(b.out);
    expect(ja.a.label).toBe('merged');
    expect(ja.b.label).toBe('set');
    const pick = (j: { metrics: Array<{ name: string; a: number; b: number }> }, name: string) => j.metrics.find((x) => x.name === name);
    for (const name of ['packets per request, end to end', 'TCP connections opened per request', 'VXLAN packets', 'address translations (DNAT/SNAT) per request']) {
      expect(pick(ja, name), name).toEqual(pick(jb, name));
    }
  });

  it('table, md and html formats; --out writes the file', async () => {
    const ctx = testContext();
    expect(await runCompare([NGINX, INGRESS], ctx)).toBe(0);
    expect(ctx.out).toMatch(/What makes the difference/);
    // As the table prints it: one rounding rule a row (1 decimal from 10 up when a value is not whole).
    const endToEnd = fmtFixed(endToEndWithoutArp('nginx-proxy'), 1);
    expect(ctx.out).toMatch(new RegExp(`packets per request, end to end\\s+${endToEnd.replace('.', '\\.')}\\s+`));
    const md = path.join(ART, 'lab.md');
    expect(await runCompare([NGINX, INGRESS, '--format', 'md', '--out', md], testContext())).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(/^## Comparison$/m);
    const html = path.join(ART, 'lab.html');
    expect(await runCompare([NGINX, INGRESS, '--format', 'html', '--out', html], testContext())).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).toMatch(/<section id="comparison"/);
    expect((text.match(/<svg /g) ?? []).length).toBe(3);
  });

  it.each([
    [[NGINX], UsageError, /compare takes two sides/],
    [[NGINX, INGRESS, '--format', 'pdf'], UsageError, /--format must be one of table, json, md, html/],
    [[NGINX, INGRESS, '--bogus'], UsageError, /unknown option '--bogus'/],
    [[NGINX, path.join(LAB, 'no-such')], InputError, /no-such: no such file/],
    [[NGINX, path.join(LAB, 'lib')], InputError, /lib: folder holds no \.pcap or \.pcapng file/],
    [[NGINX, ','], UsageError, /side B names no capture/],
  ])('bad usage or input %#: a clear error', async (argv, kind, message) => {
    const p = runCompare(argv as string[], testContext());
    await expect(p).rejects.toBeInstanceOf(kind);
    await expect(runCompare(argv as string[], testContext())).rejects.toThrow(message);
  });

  it('a capture cut short: exit 1 naming the file and offset, the comparison of what was read still printed', async () => {
    const src = readFileSync(path.join(NGINX, 'client-eth0.pcap'));
    const cut = path.join(ART, 'cut.pcap');
    writeFileSync(cut, src.subarray(0, src.length - 37));
    const ctx = testContext();
    expect(await runCompare([cut, INGRESS, '--format', 'json'], ctx)).toBe(1);
    expect(ctx.err).toMatch(/cut\.pcap: offset \d+: .*packets read before it are kept/);
    expect(JSON.parse(ctx.out).schema).toBe('overlayscope.comparison/v1');
  });

  it('report --compare-to: the comparison is a CSV table of its own (--table comparison), the flows another', async () => {
    const out = path.join(ART, 'lab-comparison.csv');
    expect(await runReport([...scenarioFiles('nginx-proxy'), '--format', 'csv', '--table', 'comparison', '--compare-to', INGRESS, '--out', out], testContext())).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^group,metric,unit,a:nginx-proxy,b:ingress,delta\r\n/);
    const flows = path.join(ART, 'lab-flows.csv');
    expect(await runReport([...scenarioFiles('nginx-proxy'), '--format', 'csv', '--compare-to', INGRESS, '--out', flows], testContext())).toBe(0);
    const csv = readFileSync(flows, 'utf8');
    expect(csv).toMatch(/^id,capture,depth,transport/);
    expect(csv).not.toMatch(/^flow,method,host,uri,status/m);
    expect(csv).not.toMatch(/^group,metric/m);
  });
});

describe.skipIf(!labPresent)('compare and export through AnalyzerApi', () => {
  it('compares the two lab scenarios and exports the session with the comparison in it', async () => {
    const api = createAnalyzerService({ resolve: async (ref) => fileSource(ref.kind === 'path' ? ref.path : '') });
    const refs = (name: string) => scenarioFiles(name).map((p) => ({ kind: 'path' as const, path: p }));
    const view = await api.compare(refs('nginx-proxy'), refs('ingress'), { a: 'nginx-proxy', b: 'ingress' });
    expect(view.labelA).toBe('nginx-proxy');
    expect(view.metrics.find((m) => m.name === 'packets per request, end to end')?.a).toBe(endToEndWithoutArp('nginx-proxy'));
    expect(view.perHop.some((h) => h.hop.startsWith('upstream'))).toBe(true);
    expect(view.explanation.some((e) => /reuses its upstream connections/.test(e))).toBe(true);
    await api.openSession(refs('ingress'), { label: 'ingress' });
    const html = await api.exportReport('html');
    expect(html.fileName).toBe('overlayscope-ingress.html');
    expect(html.mime).toMatch(/text\/html/);
    expect(html.text).toMatch(/<section id="comparison"/);
    expect(html.text).not.toMatch(/<script/i);
    const json = await api.exportReport('json');
    expect(JSON.parse(json.text).comparison.schema).toBe('overlayscope.comparison/v1');
    const md = await api.exportReport('md');
    expect(md.text).toMatch(/^## Journeys$/m);
    // Captures that were on neither side: their report has no comparison in it.
    await api.openSession(refs('ingress').slice(0, 2), { label: 'two points' });
    const other = await api.exportReport('html');
    expect(other.text).not.toMatch(/<section id="comparison"/);
    expect(JSON.parse((await api.exportReport('json')).text).comparison ?? null).toBeNull();
  }, 60_000);
});
