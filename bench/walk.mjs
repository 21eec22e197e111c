#!/usr/bin/env node
// One timed pass over a capture, run as a child process by bench/run.mjs and
// bench/pcap-parser.mjs so its wall time and peak RSS can be measured alone.
//
//   node bench/walk.mjs --impl bare|reader|pcap-parser|pcap-parser-4m [--chunk-mib 4] FILE
//
//   bare            fs.readSync in chunks, walk every classic-pcap record header
//                   (no parsing beyond caplen): the floor for touching every record.
//   reader          our PcapReader (src/capture/pcap-reader.ts, bundled to
//                   bench/out/pcap-reader.mjs by bench/lib/bundle.mjs) fed the same chunks.
//   pcap-parser     npm pcap-parser 0.2.1, parse(path) (its own 64 KiB fs stream).
//   pcap-parser-4m  pcap-parser fed fs.createReadStream(path, { highWaterMark: 4 MiB }).
// Prints one JSON line: records, capturedBytes, ms, issues, maxRssKB.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let impl = 'bare', chunkMiB = 4, file = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--impl') impl = argv[++i];
  else if (argv[i] === '--chunk-mib') chunkMiB = Number(argv[++i]);
  else file = argv[i];
}
if (!file) { console.error('usage: node bench/walk.mjs --impl bare|reader|pcap-parser|pcap-parser-4m [--chunk-mib N] FILE'); process.exit(2); }
const CHUNK = Math.round(chunkMiB * 1024 * 1024);
const t0 = process.hrtime.bigint();
const done = (r) => {
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ impl, file, chunkMiB, ...r, ms, maxRssKB: process.resourceUsage().maxRSS }) + '\n');
};

if (impl === 'bare') {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(CHUNK);
  let n = fs.readSync(fd, buf, 0, CHUNK, 0);
  let off = 0;
  if (n < 24) { done({ records: 0, capturedBytes: 0, issues: ['file shorter than a pcap header'] }); process.exit(0); }
  const m = buf.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const be = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
  if (!le && !be) { done({ records: 0, capturedBytes: 0, issues: [`not classic pcap: magic 0x${m.toString(16)}`] }); process.exit(0); }
  let pos = 24, records = 0, captured = 0;
  for (;;) {
    const have = off + n - pos;
    if (have >= 16) {
      const o = pos - off + 8;
      const caplen = le ? buf.readUInt32LE(o) : buf.readUInt32BE(o);
      pos += 16 + caplen;
      captured += caplen;
      records++;
      continue;
    }
    // Re-read a header cut by the chunk end; otherwise carry on sequentially.
    const from = have > 0 ? pos : off + n;
    if (from >= size) break;
    n = fs.readSync(fd, buf, 0, CHUNK, from);
    off = from;
    if (n === 0) break;
  }
  const issues = [];
  if (pos !== size) { records--; issues.push(`last record ends at ${pos}, file size ${size}: truncated`); }
  done({ records, capturedBytes: captured, issues });
} else if (impl === 'reader') {
  const { PcapReader } = await import(pathToFileURL(path.join(here, 'out/pcap-reader.mjs')).href);
  let records = 0, captured = 0;
  const issues = [];
  const reader = new PcapReader(file, {
    onInterface() {},
    onRecord(rec) { records++; captured += rec.capturedLength; },
    onIssue(i) { issues.push(i); },
  });
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  let n;
  while ((n = fs.readSync(fd, buf, 0, CHUNK, null)) > 0) {
    reader.push(buf.subarray(0, n));
    if (reader.stopped) break;
  }
  reader.end();
  done({ records, capturedBytes: captured, issues });
} else if (impl === 'pcap-parser' || impl === 'pcap-parser-4m') {
  const require = createRequire(import.meta.url);
  const pcapp = require('pcap-parser');
  const input = impl === 'pcap-parser' ? file : fs.createReadStream(file, { highWaterMark: CHUNK });
  const parser = pcapp.parse(input);
  let records = 0, captured = 0;
  const issues = [];
  parser.on('packet', (p) => { records++; captured += p.header.capturedLength; });
  parser.on('error', (e) => issues.push({ reason: e.message }));
  parser.on('end', () => done({ records, capturedBytes: captured, issues }));
} else {
  console.error(`unknown --impl ${impl}`);
  process.exit(2);
}
