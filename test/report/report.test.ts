/**
 * Reports of a hostile capture (a real lab capture whose HTTP Host, URI and
 * a DNS name were rewritten to hold markup, an event handler, a formula and
 * a 10 KB string; see crafted-capture.ts) in every format, and of the lab
 * scenarios. What must hold: no executable content in the HTML, no live
 * formula in the CSV, no raw markup in the Markdown, the text itself kept
 * (escaped), whole-or-nothing writes that never replace a capture.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCompare, runReport } from '../../src/cli/commands.js';
import { csvCell } from '../../src/report/csv.js';
import { escapeHtml, escapeMarkdown, htmlText, safeJson, visibleText } from '../../src/report/escape.js';
import { inertSvg, REPORT_CSP } from '../../src/report/html.js';
import { reportFileName } from '../../src/report/report.js';
import { ROOT } from '../helpers/corpus.js';
import { labPresent, LAB } from '../compare/lab.js';
import { testContext } from './cli-context.js';
import { EVIL, EVIL_DNS_LABELS, EVIL_HOST, EVIL_URI, craftHostileCapture } from './crafted-capture.js';
import { decodeEntities, parseCsv, tokenize } from './html-tokens.js';

const ART = path.join(ROOT, 'test-artifacts', 'report');
const HOSTILE = path.join(ART, 'hostile.pcap');
const SOURCE = path.join(LAB, 'captures', 'nginx-proxy', 'client-eth0.pcap');

async function report(format: string, files: string[], extra: string[] = []): Promise<string> {
  const out = path.join(ART, `hostile.${format}`);
  const ctx = testContext();
  const code = await runReport([...files, '--format', format, '--out', out, ...extra], ctx);
  expect(ctx.err).toBe('');
  expect(code).toBe(0);
  return readFileSync(out, 'utf8');
}

function assertInertHtml(html: string): void {
  const { tags } = tokenize(html);
  const names = new Set(tags.map((t) => t.name));
  for (const bad of ['script', 'iframe', 'object', 'embed', 'frame', 'base', 'form', 'link', 'img', 'foreignobject']) expect(names.has(bad), `<${bad}>`).toBe(false);
  for (const t of tags) {
    for (const a of t.attrs) {
      expect(a.name.startsWith('on'), `<${t.name} ${a.name}=…>`).toBe(false);
      expect(/^\s*(javascript|data|vbscript):/i.test(decodeEntities(a.value)), `<${t.name} ${a.name}="${a.value.slice(0, 40)}">`).toBe(false);
      if (a.name === 'href') expect(a.value.startsWith('#'), `href ${a.value}`).toBe(true);
      if (a.name === 'src' || a.name === 'srcset' || a.name === 'action' || a.name === 'formaction') throw new Error(`<${t.name} ${a.name}>`);
    }
  }
  const csp = tags.find((t) => t.name === 'meta' && t.attrs.some((a) => a.name === 'http-equiv' && a.value.toLowerCase() === 'content-security-policy'));
  expect(csp, 'CSP meta').toBeDefined();
  const policy = decodeEntities(csp!.attrs.find((a) => a.name === 'content')!.value);
  expect(policy).toContain("default-src 'none'");
  expect(policy).toContain("script-src 'none'");
}

describe.skipIf(!labPresent)('reports of a hostile capture', () => {
  beforeAll(() => {
    mkdirSync(ART, { recursive: true });
    craftHostileCapture(SOURCE, HOSTILE);
  });

  it('the crafted capture holds the hostile text where the engine reads it', async () => {
    const json = JSON.parse(await report('json', [HOSTILE]));
    const hosts = json.http.map((h: { host: string }) => h.host);
    expect(hosts).toContain(EVIL_HOST);
    expect(json.http.map((h: { uri: string }) => h.uri)).toContain(EVIL_URI);
    expect(json.dns.map((d: { name: string }) => d.name)).toContain(EVIL_DNS_LABELS.join('.'));
  });

  it('HTML: no script, no event handler, no external load; the text is shown escaped and cut', async () => {
    const html = await report('html', [HOSTILE]);
    assertInertHtml(html);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(escapeHtml(EVIL.script));
    expect(html).toContain('&quot;onerror=alert(1)');
    expect(html).toContain(escapeHtml('=HYPERLINK('));
    // The DNS name is in the DNS table, as text.
    expect(decodeEntities(tokenize(html).text.join(''))).toContain(EVIL_DNS_LABELS.join('.'));
    // The 10 KB string is cut in cells, saying how much was left out.
    expect(html).not.toContain(EVIL.long);
    expect(html).toMatch(/more characters\)/);
    for (const id of ['summary', 'flows', 'http', 'dns', 'overlay', 'translations', 'journeys', 'issues']) expect(html).toContain(`<section id="${id}"`);
  });

  it('CSV: no cell a spreadsheet would read as a formula; the hostile text is kept', async () => {
    const csv = await report('csv', [HOSTILE]);
    const rows = parseCsv(csv);
    for (const r of rows) for (const c of r) {
      if (/^-?\d+(\.\d+)?$/.test(c)) continue; // numbers are numbers
      expect(/^[=+\-@\t\r]/.test(c), `live formula: ${c.slice(0, 60)}`).toBe(false);
    }
    const cells = rows.flat();
    expect(cells.length).toBeGreaterThan(28);
    // One table a file: the flows here; the HTTP transactions in http.csv (--table http).
    expect(rows.find((r) => r[0] === 'flow' && r[1] === 'method'), 'no second table').toBeUndefined();
    const http = parseCsv(await report('csv', [HOSTILE], ['--table', 'http']));
    expect(http[0]!.slice(0, 2)).toEqual(['flow', 'method']);
    expect(http.flat()).toContain(`'${EVIL_HOST}`);
    expect(http.flat()).toContain(EVIL_URI);
  });

  it('Markdown: no raw markup at all, and no link or emphasis the text could open', async () => {
    const md = await report('md', [HOSTILE]);
    expect(md).not.toContain('<');
    expect(md).toContain('&lt;script&gt;');
    expect(md).not.toMatch(/(^|[^\\])\[/m);
    expect(md).not.toContain(EVIL.long);
  });

  it('JSON: the text whole, and inert if pasted into a page', async () => {
    const text = await report('json', [HOSTILE]);
    expect(text).not.toMatch(/[<>]/);
    const json = JSON.parse(text);
    expect(json.schema).toBe('overlayscope.analysis/v1');
    expect(json.http.find((h: { uri: string }) => h.uri.length > 10_000).uri).toBe(EVIL_URI);
  });

  it('never writes over a capture it read, and leaves no partial file', async () => {
    const copy = path.join(ART, 'victim.pcap');
    writeFileSync(copy, readFileSync(HOSTILE));
    const before = readFileSync(copy);
    const ctx = testContext();
    await expect(runReport([copy, '--format', 'html', '--out', copy], ctx)).rejects.toThrow(/victim\.pcap: refusing to overwrite a capture that is being read/);
    expect(readFileSync(copy).equals(before)).toBe(true);
    const ctx2 = testContext();
    await expect(runCompare([copy, SOURCE, '--format', 'json', '--out', SOURCE], ctx2)).rejects.toThrow(/refusing to overwrite/);
    expect(existsSync(path.join(ART, 'no-such-dir', 'x.html'))).toBe(false);
    await expect(runReport([copy, '--out', path.join(ART, 'no-such-dir', 'x.html')], testContext())).rejects.toThrow(/ENOENT/);
  });
});

describe('escaping helpers', () => {
  it.each([
    ['=1+1', "'=1+1"], ['+1', "'+1"], ['-1', "'-1"], ['@SUM(A1)', "'@SUM(A1)"], ['\tx', "'\tx"],
    ['=HYPERLINK("a","b")', `"'=HYPERLINK(""a"",""b"")"`], ['plain', 'plain'], ['a,b', '"a,b"'],
  ])('csvCell(%j) = %j', (input, out) => {
    expect(csvCell(input)).toBe(out);
  });

  it('HTML text escapes every markup character and makes controls visible', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
    expect(htmlText('a\u0000b\u001bc\nd')).toBe('a\\x00b\\x1bc\\x0ad');
    expect(htmlText('x'.repeat(200))).toMatch(/^x{160}… \(40 more characters\)$/);
    expect(visibleText('\ud800x')).toBe('\\xd800x');
  });

  it('Markdown escapes what could become markup', () => {
    expect(escapeMarkdown('<b>[x](javascript:alert(1)) *y* `z` | #')).toBe('&lt;b&gt;\\[x\\]\\(javascript:alert\\(1\\)\\) \\*y\\* \\`z\\` \\| \\#');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('1. item')).toBe('1\\. item');
    expect(escapeMarkdown('client-eth0 2026-11-27T01:57')).toBe('client-eth0 2026-11-27T01:57');
  });

  it('JSON is inert in a page', () => {
    expect(safeJson({ a: '</script><b>&' }, 0)).toBe('{"a":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}');
  });

  it('a chart SVG with anything executable is refused', () => {
    expect(inertSvg('<svg width="1"><text>x</text></svg>')).not.toBeNull();
    expect(inertSvg('<svg onload="x()"></svg>')).toBeNull();
    expect(inertSvg('<svg><script>x()</script></svg>')).toBeNull();
    expect(inertSvg('<svg><a href="javascript:x()">y</a></svg>')).toBeNull();
    expect(inertSvg('<svg><foreignObject><div/></foreignObject></svg>')).toBeNull();
    expect(inertSvg('<div></div>')).toBeNull();
    expect(REPORT_CSP).toMatch(/default-src 'none'/);
  });

  it('report file names keep only safe characters', () => {
    expect(reportFileName('<script>/../x y', 'html')).toBe('overlayscope-script-.-x-y.html');
    expect(reportFileName('////', 'csv')).toBe('overlayscope-report-flows.csv');
  });
});
