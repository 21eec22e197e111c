#!/usr/bin/env node
// Paged reads of a big .pcap.gz, as the Packets view makes them (issue #16),
// run as a child by bench/run.mjs so its wall time and peak RSS are its own.
//
//   node bench/gzip-page.mjs --build            bundle the engine pieces to bench/out/gzip-page-engine.mjs
//   node bench/gzip-page.mjs FILE.pcap.gz [--page 100]
//
// Opens FILE as the app does (openInputs: gzip found by magic, inflated as
// read), reads it through once (readCapture, records only: the stream pass,
// keeping the offsets of the first, middle and last pages), then reads pages
// of --page packets back by offset (the packet detail's reads): the last page
// (no stream position is near it: inflates again from the start), the page
// after it (the same position, continued), the first page, the last page
// again, the middle page. Prints one JSON line with each page's milliseconds.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE = path.join(ROOT, 'bench/out/gzip-page-engine.mjs');
const argv = process.argv.slice(2);

if (argv[0] === '--build') {
  const { build } = await import('esbuild');
  await build({
    stdin: {
      contents: [
        "export { fileSource } from './src/host/node/file-source.ts';",
        "export { openInputs } from './src/capture/open-inputs.ts';",
        "export { readCapture } from './src/capture/read-capture.ts';",
      ].join('\n'),
      resolveDir: ROOT, sourcefile: 'bench-gzip-page-entry.mjs', loader: 'js',
    },
    outfile: ENGINE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  });
  process.exit(0);
}

const file = argv.find((a) => !a.startsWith('--'));
const pageArg = argv.indexOf('--page');
const PAGE = pageArg >= 0 ? Number(argv[pageArg + 1]) : 100;
if (!file) { console.error('usage: node bench/gzip-page.mjs --build | FILE.pcap.gz [--page N]'); process.exit(2); }
const { fileSource, openInputs, readCapture } = await import(pathToFileURL(ENGINE).href);

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const cpuMs = (c0) => { const c = process.cpuUsage(c0); return Math.round((c.user + c.system) / 1000); };
const o = await openInputs([await fileSource(file)]);
if (o.captures.length !== 1 || o.origins[0].path[0] !== 'gzip') { console.error(`${file}: not one gzip-compressed capture`); process.exit(1); }
const cap = o.captures[0];

// The stream pass: every record, keeping [offset, length] of the first page and a ring of the last ones.
const first = [];
const ring = new Array(2 * PAGE);
let n = 0;
let errors = 0;
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
await readCapture(cap, {
  onInterface() {},
  onRecord(r) {
    const e = [r.offset, r.dataOffset - r.offset + r.capturedLength];
    if (n < PAGE) first.push(e);
    ring[n % ring.length] = e;
    n++;
  },
  onIssue(i) { if (i.severity === 'error') errors++; },
});
const streamMs = ms(t0);
const streamCpuMs = cpuMs(c0);
if (n < 3 * PAGE) { console.error(`${file}: ${n} packets, too few for pages of ${PAGE}`); process.exit(1); }
// Ring order: the oldest entry sits at n % size.
const last2 = Array.from({ length: ring.length }, (_, k) => ring[(n + k) % ring.length]);
const lastButOne = last2.slice(0, PAGE);
const last = last2.slice(PAGE);

async function page(entries) {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  let bytes = 0;
  for (const [off, len] of entries) bytes += (await cap.read(off, len)).length;
  return { ms: Math.round(ms(t)), cpuMs: cpuMs(c), bytes };
}

const pages = {};
pages.endFromStart = await page(lastButOne);
pages.endNext = await page(last);
pages.firstPage = await page(first);
pages.endAgain = await page(lastButOne);
// The middle: offsets are only known from the stream pass for the first and last pages; the
// middle page is the first page's shape at half the inflated size (whatever records are there).
const mid = Math.floor(cap.size / 2);
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage();
const midBytes = (await cap.read(mid, 64 * 1024)).length;
pages.middle64KiB = { ms: Math.round(ms(t1)), cpuMs: cpuMs(c1), bytes: midBytes };

process.stdout.write(JSON.stringify({
  file, packets: n, errors, inflatedBytes: cap.size, streamMs: Math.round(streamMs), streamCpuMs, page: PAGE, pages,
  maxRssKB: process.resourceUsage().maxRSS,
}) + '\n');
