/**
 * Exports people can read: CSV one table a file (checked with Python's csv
 * module, an independent RFC 4180 reader: every row has the header's column
 * count), the zip of all tables (read back by Info-ZIP unzip and Python's
 * zipfile), identity columns, titles and file names from short labels, link
 * types by capinfos's names, Markdown of hostile text rendered by a real
 * CommonMark parser (markdown-it), bucket sizes and the one rounding rule.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { runReport } from '../../src/cli/commands.js';
import { escapeMarkdown } from '../../src/report/escape.js';
import { linkTypeText } from '../../src/report/link-types.js';
import { durationText } from '../../src/report/chart-spec.js';
import { fmtFixed, plural, rowDecimals } from '../../src/report/report-model.js';
import { exportReport, reportFileName } from '../../src/report/report.js';
import { markdownReport } from '../../src/report/markdown.js';
import { inertSvg } from '../../src/report/html.js';
import { niceBucket } from '../../src/service/analyzer-service.js';
import { ROOT } from '../helpers/corpus.js';
import { testContext } from './cli-context.js';
import { LAB, labPresent } from '../compare/lab.js';

const ART = path.join(ROOT, 'test-artifacts', 'exports');
const NGINX = path.join(LAB, 'captures', 'nginx-proxy');
const CORPUS = path.join(ROOT, '..', 'shared', 'corpus', 'files');
const DNS = path.join(CORPUS, 'tcpdump__dns_udp.pcap');

/** Rows of a CSV file as Python's csv module reads them (strict: a malformed quote is an error). */
function pythonCsv(file: string): string[][] {
  const r = spawnSync('python3', ['-c', 'import csv,json,sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f: print(json.dumps(list(csv.reader(f, strict=True))))', file],
    { encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python csv: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[][];
}

function expectOneTable(file: string, firstColumns: string[]): string[][] {
  const rows = pythonCsv(file);
  expect(rows.length, file).toBeGreaterThan(0);
  expect(rows[0]!.slice(0, firstColumns.length)).toEqual(firstColumns);
  const width = rows[0]!.length;
  rows.forEach((r, i) => expect(r.length, `${path.basename(file)} row ${i + 1}`).toBe(width));
  return rows;
}

async function report(args: string[], out: string): Promise<void> {
  const ctx = testContext();
  expect(await runReport([...args, '--out', out], ctx)).toBe(0);
  expect(ctx.err).toBe('');
}

beforeAll(() => mkdirSync(ART, { recursive: true }));

describe.skipIf(!labPresent)('CSV: one table a file', () => {
  it('flows, http and dns each parse as one table with a header; flows carry each endpoint\'s identity', async () => {
    const base = [NGINX, '--cluster', path.join(LAB, 'cluster.json'), '--format', 'csv'];
    await report(base, path.join(ART, 'flows.csv'));
    await report([...base, '--table', 'http'], path.join(ART, 'http.csv'));
    const flows = expectOneTable(path.join(ART, 'flows.csv'), ['id', 'capture', 'depth', 'transport']);
    const http = expectOneTable(path.join(ART, 'http.csv'), ['flow', 'method', 'host', 'uri', 'status']);
    const json = JSON.parse(spawnSync(process.execPath, [path.join(ROOT, 'bin/overlayscope.js'), 'analyze', NGINX, '--cluster', path.join(LAB, 'cluster.json'), '--format', 'json'],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 }).stdout) as { flows: unknown[]; http: unknown[] };
    expect(flows.length - 1).toBe(json.flows.length);
    expect(http.length - 1).toBe(json.http.length);
    const h = flows[0]!;
    const col = (n: string) => h.indexOf(n);
    for (const n of ['a_kind', 'a_name', 'a_node', 'b_kind', 'b_name', 'b_node']) expect(col(n), n).toBeGreaterThan(0);
    // The client's NodePort connection: to the nginx-proxy Service on node1 (cluster.json).
    const nodePort = flows.find((r) => r[col('b_port')] === '30080')!;
    expect([nodePort[col('b_kind')], nodePort[col('b_name')], nodePort[col('b_node')]]).toEqual(['service', 'default/nginx-proxy', 'node1']);
    // Pods by name somewhere among the endpoints.
    expect(flows.some((r) => r[col('a_kind')] === 'pod' || r[col('b_kind')] === 'pod')).toBe(true);
  });

  it('dns.csv of a real DNS capture: one row a transaction, answers in one cell', async () => {
    await report([DNS, '--format', 'csv', '--table', 'dns'], path.join(ART, 'dns.csv'));
    const rows = expectOneTable(path.join(ART, 'dns.csv'), ['id', 'flow', 'capture', 'query_id', 'name', 'type', 'rcode', 'answers']);
    // tshark: the DNS queries of the capture, one row each.
    const t = spawnSync('tshark', ['-r', DNS, '-Y', 'dns.flags.response == 0', '-T', 'fields', '-e', 'dns.qry.name'], { encoding: 'utf8', timeout: 60_000 });
    const queries = t.stdout.split('\n').filter(Boolean);
    expect(rows.length - 1).toBe(queries.length);
    expect(rows.slice(1).map((r) => r[4]).sort()).toEqual([...queries].sort());
    expect(rows.find((r) => r[4] === 'www.tcpdump.org')?.[7]).toMatch(/^A \d+\.\d+\.\d+\.\d+; A /);
  });

  it('zip: every table its own file, read back whole by unzip and by Python\'s zipfile', async () => {
    const zip = path.join(ART, 'tables.zip');
    await report([NGINX, '--cluster', path.join(LAB, 'cluster.json'), '--format', 'zip', '--compare-to', path.join(LAB, 'captures', 'ingress')], zip);
    const t = spawnSync('unzip', ['-t', zip], { encoding: 'utf8', timeout: 30_000 });
    expect(t.status, t.stdout + t.stderr).toBe(0);
    const list = spawnSync('python3', ['-c', 'import zipfile,sys,json\nz=zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({n: z.read(n).decode() for n in z.namelist()}))', zip], { encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 26 });
    const files = JSON.parse(list.stdout) as Record<string, string>;
    expect(Object.keys(files).sort()).toEqual(['flows.csv', 'http.csv', 'dns.csv', 'comparison.csv'].map((n) => `overlayscope-nginx-proxy/${n}`).sort());
    const dir = path.join(ART, 'unzipped');
    mkdirSync(dir, { recursive: true });
    for (const [n, text] of Object.entries(files)) {
      const f = path.join(dir, path.basename(n));
      writeFileSync(f, text);
      expectOneTable(f, [{ 'flows.csv': 'id', 'http.csv': 'flow', 'dns.csv': 'id', 'comparison.csv': 'group' }[path.basename(n)]!]);
    }
    expect(files['overlayscope-nginx-proxy/comparison.csv']).toMatch(/^group,metric,unit,a:nginx-proxy,b:ingress,delta\r\n/);
    // Without --out a zip is refused (binary on a terminal).
    await expect(runReport([NGINX, '--format', 'zip'], testContext())).rejects.toThrow(/--format zip writes a binary file: give --out/);
  });
});

describe.skipIf(!labPresent)('titles and file names from the short label', () => {
  it('14 files of one folder: the title and file name say nginx-proxy, never the points\' names', async () => {
    const files = readdirSync(NGINX).filter((f) => f.endsWith('.pcap')).map((f) => path.join(NGINX, f));
    await report([...files, '--format', 'html'], path.join(ART, 'title.html'));
    const html = readFileSync(path.join(ART, 'title.html'), 'utf8');
    expect(html).toContain('<title>OverlayScope report: nginx-proxy</title>');
    expect(html).not.toMatch(/more characters\)<\/title>/);
    const long = 'client-eth0, node1-cni0, node1-eth0, node1-flannel.1, node2-cni0, node2-eth0, node2-flannel.1, node3-cni0, node3-eth0, node3-flannel.1, pod-web-b-eth0';
    const md = markdownReport({ label: long, generatedAt: '2026-01-01T00:00:00Z', analysis: null, comparison: null });
    const h1 = md.split('\n')[0]!;
    expect(h1.length).toBeLessThan(130);
    expect(h1).not.toMatch(/more characters/);
    expect(h1).toMatch(/…$/);
    expect(reportFileName(long, 'html').length).toBeLessThanOrEqual(80);
    expect(reportFileName('nginx-proxy', 'csv')).toBe('overlayscope-nginx-proxy-flows.csv');
    const r = exportReport({ label: 'nginx-proxy', generatedAt: '2026-01-01T00:00:00Z', analysis: null, comparison: null }, 'zip');
    expect(r.fileName).toBe('overlayscope-nginx-proxy-tables.zip');
    expect(r.mime).toBe('application/zip');
    expect(r.bytes?.[0]).toBe(0x50);
  });
});

describe('link types by the names capinfos prints', () => {
  it('every classic pcap of the corpus and the lab: linkTypeText = capinfos "File encapsulation"', () => {
    const files = [
      ...(existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => /\.pcap$/.test(f)).map((f) => path.join(CORPUS, f)) : []),
      ...['nginx-proxy/client-eth0.pcap', 'nginx-proxy-any-sll', 'nginx-proxy-any-sll2'].map((p) => path.join(LAB, 'captures', p)).flatMap((p) =>
        existsSync(p) && !p.endsWith('.pcap') ? readdirSync(p).map((f) => path.join(p, f)) : existsSync(p) ? [p] : []),
    ];
    const seen = new Map<number, string>();
    let checked = 0;
    for (const f of files) {
      const head = readFileSync(f).subarray(0, 24);
      if (head.length < 24) continue;
      const magicLe = head.readUInt32LE(0);
      const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
      const be = head.readUInt32BE(0) === 0xa1b2c3d4 || head.readUInt32BE(0) === 0xa1b23c4d;
      if (!le && !be) continue;
      const lt = (le ? head.readUInt32LE(20) : head.readUInt32BE(20)) & 0xffff;
      if (/^link type /.test(linkTypeText(lt))) continue;
      const r = spawnSync('capinfos', ['-E', f], { encoding: 'utf8', timeout: 20_000 });
      const m = /File encapsulation:\s+(.+)/.exec(r.stdout);
      if (!m) continue;
      expect(linkTypeText(lt), `${path.basename(f)} (LINKTYPE ${lt})`).toBe(m[1]!.trim());
      seen.set(lt, m[1]!.trim());
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    // Ethernet and both Linux cooked captures at least (the lab's any-interface sets).
    for (const lt of [1, 113, 276]) expect(seen.has(lt), `LINKTYPE ${lt}`).toBe(true);
    expect(linkTypeText(9999)).toBe('link type 9999');
  });

  it.skipIf(!labPresent)('the report\'s capture table names them', async () => {
    await report([path.join(LAB, 'captures', 'nginx-proxy-any-sll2'), '--format', 'md'], path.join(ART, 'sll2.md'));
    const md = readFileSync(path.join(ART, 'sll2.md'), 'utf8');
    expect(md).toMatch(/\| node1-any\.pcap \| pcap \| Linux cooked-mode capture v2 \|/);
    expect(md).toMatch(/\| client-eth0\.pcap \| pcap \| Ethernet \|/);
    expect(md).not.toMatch(/\| pcap \| (1|276) \|/);
  });

  it.skipIf(!labPresent)('so does the CLI\'s analyze table', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'analyze', path.join(LAB, 'captures', 'nginx-proxy-any-sll2'), path.join(LAB, 'captures', 'nginx-proxy', 'client-eth0.pcap')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const captures = r.stdout.split('\n').filter((l) => /^  \S+\.pcap  pcap  /.test(l));
    expect(captures.length).toBeGreaterThan(1);
    for (const l of captures) expect(l).toMatch(/\.pcap  pcap  (Linux cooked-mode capture v2|Ethernet)  \d+ packets/);
    expect(captures.some((l) => /client-eth0\.pcap  pcap  Ethernet  /.test(l))).toBe(true);
    expect(r.stdout).not.toMatch(/link types \d/);
  });
});

describe('Markdown: addresses plain, capture text inert (rendered by markdown-it)', () => {
  const md = new MarkdownIt({ html: true, linkify: false });
  const HOSTILE = [
    '10.244.1.2', '10.96.0.10:80', '[fe80::1]:8080', '1. not a list', '- not a list', '# not a heading', '**bold**', '_em_', '`code`',
    '[click](javascript:alert(1))', '![img](http://evil.example/x.png)', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
    'a | b | c', 'evil.example/*?q=<b>&x=1', '=HYPERLINK("http://evil.example")', '~~gone~~', '\\*', 'line\nbreak', '> quote', '    code block',
  ];
  it.each(HOSTILE)('%j renders as its own text, nothing more', (text) => {
    const esc = escapeMarkdown(text, 500);
    // As a paragraph and as a table cell.
    const para = md.render(esc);
    const cell = md.render(`| h |\n| --- |\n| ${esc} |`);
    for (const html of [para, cell]) {
      for (const tag of ['<a ', '<em>', '<strong>', '<code>', '<script', '<img', '<ol', '<ul', '<h1', '<blockquote', '<s>', '<pre']) expect(html, `${tag} in ${html}`).not.toContain(tag);
    }
    const textOf = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&').trim();
    expect(textOf(para)).toBe(text.replace(/\n/g, '\\x0a').trim());
  });

  it('addresses keep their dots in the source too (no "10\\.244")', () => {
    expect(escapeMarkdown('10.244.1.2')).toBe('10.244.1.2');
    expect(escapeMarkdown('10.96.0.10:80 → 10.244.2.2:8080')).toBe('10.96.0.10:80 → 10.244.2.2:8080');
    expect(escapeMarkdown('1. x')).toBe('1\\. x');
  });
});

describe('numbers: bucket sizes, one rounding rule, plurals', () => {
  it.each([[1e-5, '10 µs'], [2e-3, '2 ms'], [0.5, '500 ms'], [1, '1 s'], [120, '2 min'], [0.000009999999999999999, '10 µs'], [5e-9, '5 ns']])('durationText(%s) = %s', (s, t) => {
    expect(durationText(s)).toBe(t);
  });
  it('niceBucket gives round widths (no 0.000009999999999999999)', () => {
    for (const span of [0.002, 0.0019, 0.00199999, 0.0123, 1.7, 100, 3600]) {
      const b = niceBucket(span);
      expect(String(b), String(span)).toMatch(/^(0\.0*[125]|[125]0*|[125]e-\d+)$/);
      expect(span / b).toBeLessThanOrEqual(200.0001);
    }
    expect(niceBucket(100)).toBe(0.5);
  });
  it('a row shares its decimals', () => {
    expect(rowDecimals([96, 79.8, -16.2])).toBe(1);
    expect([96, 79.8].map((v) => fmtFixed(v, rowDecimals([96, 79.8])))).toEqual(['96.0', '79.8']);
    expect(rowDecimals([4.8, 2.8, -2])).toBe(2);
    expect(rowDecimals([118, 119, 1])).toBe(0);
    expect(fmtFixed(-2, 2, true)).toBe('−2.00');
    expect(fmtFixed(0, 1, true)).toBe('0.0');
    expect(fmtFixed(1234.5, 1)).toBe('1,234.5');
    expect(plural(1, 'hop')).toBe('1 hop');
    expect(plural(2, 'hop')).toBe('2 hops');
  });
});

describe.skipIf(!labPresent)('journeys drawn in the HTML report', () => {
  it('one inert SVG a journey, lanes named by cluster.json, an arrow a hop', async () => {
    const out = path.join(ART, 'journeys.html');
    await report([NGINX, '--cluster', path.join(LAB, 'cluster.json'), '--format', 'html'], out);
    const html = readFileSync(out, 'utf8');
    const json = JSON.parse(spawnSync(process.execPath, [path.join(ROOT, 'bin/overlayscope.js'), 'analyze', NGINX, '--cluster', path.join(LAB, 'cluster.json'), '--format', 'json'],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 }).stdout) as { journeys: Array<{ hops: unknown[] }>; pods: Array<{ name: string; namespace: string }> };
    const figures = [...html.matchAll(/<figure class="journey">(<svg[\s\S]*?<\/svg>)<\/figure>/g)].map((m) => m[1]!);
    expect(figures.length).toBe(Math.min(20, json.journeys.length));
    expect(figures.length).toBeGreaterThan(0);
    figures.forEach((svg, i) => {
      expect(inertSvg(svg), `journey ${i + 1}`).toBe(svg);
      expect((svg.match(/<polygon /g) ?? []).length + (svg.match(/<polyline /g) ?? []).length).toBe(json.journeys[i]!.hops.length);
    });
    // Lanes carry the metadata's names: the nginx-proxy pod and the NodePort's node.
    const proxy = json.pods.find((p) => /nginx-proxy/.test(p.name))!;
    expect(figures[0]).toContain(`<title>${proxy.name}</title>`);
    expect(figures[0]).toMatch(/>node1</);
  });
});
