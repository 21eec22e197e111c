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
//   floor           bare + a minimal decode (Ethernet, IPv4, UDP/TCP ports, VXLAN on 4789/8472
//                   into the inner frame) and a bidirectional flow table per depth counting
//                   packets and bytes (open addressing on numeric keys): what the least a flow
//                   analysis in JavaScript costs here. No TCP state, HTTP, DNS, overlay or
//                   output. Informative: it bounds what issue #3's "within 2.5x of the bare walk"
//                   leaves for the rest of an analysis.
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

if (impl === 'floor') {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(CHUNK);
  let n = fs.readSync(fd, buf, 0, CHUNK, 0);
  const m = n >= 24 ? buf.readUInt32LE(0) : 0;
  if (m !== 0xa1b2c3d4 && m !== 0xa1b23c4d) { done({ records: 0, capturedBytes: 0, flows: 0, issues: ['floor walks little-endian classic pcap only'] }); process.exit(0); }
  // Flow table: 8 words a slot (A address, B address, A port << 16 | B port, depth << 8 | protocol + 1, packets, bytes).
  let bits = 16, slots = new Int32Array(8 << bits), flows = 0;
  const find = (a, b, ports, dp) => {
    // Direction-independent key: the smaller (address, port) side first.
    const pa = ports >>> 16, pb = ports & 0xffff;
    if (a > b || (a === b && pa > pb)) { const t = a; a = b; b = t; ports = (pb << 16) | pa; }
    const h = Math.imul(Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) ^ ports ^ Math.imul(dp, 0xc2b2ae35), 0x27d4eb2f);
    const mask = (1 << bits) - 1;
    // The high bits of the product: its low bits depend on the low bits of the input only.
    for (let i = h >>> (32 - bits); ; i = (i + 1) & mask) {
      const s = i << 3;
      if (slots[s + 3] === 0) { slots[s] = a; slots[s + 1] = b; slots[s + 2] = ports; slots[s + 3] = dp + 1; flows++; return s; }
      if (slots[s] === a && slots[s + 1] === b && slots[s + 2] === ports && slots[s + 3] === dp + 1) return s;
    }
  };
  const grow = () => {
    const old = slots;
    bits++;
    slots = new Int32Array(8 << bits);
    flows = 0;
    for (let s = 0; s < old.length; s += 8) {
      if (old[s + 3] === 0) continue;
      const t = find(old[s], old[s + 1], old[s + 2], old[s + 3] - 1);
      slots[t + 4] = old[s + 4]; slots[t + 5] = old[s + 5];
    }
  };
  let pos = 24, off = 0, records = 0, captured = 0;
  for (;;) {
    const have = off + n - pos;
    const o = pos - off;
    const caplen = have >= 16 ? buf.readUInt32LE(o + 8) : 0;
    if (have < 16 || have < 16 + caplen) {
      const from = pos;
      if (from >= size) break;
      n = fs.readSync(fd, buf, 0, CHUNK, from);
      off = from;
      if (n < 16 || n < 16 + buf.readUInt32LE(8)) break;
      continue;
    }
    records++;
    captured += caplen;
    const end = o + 16 + caplen;
    let e = o + 16;
    for (let depth = 0; depth < 4 && e + 34 <= end; depth++) {
      if (buf[e + 12] !== 0x08 || buf[e + 13] !== 0x00) break;
      const ip = e + 14;
      const ihl = (buf[ip] & 15) * 4, proto = buf[ip + 9];
      const l4 = ip + ihl;
      const ports = (proto === 6 || proto === 17) && l4 + 4 <= end ? (buf[l4] << 24) | (buf[l4 + 1] << 16) | (buf[l4 + 2] << 8) | buf[l4 + 3] : 0;
      if (flows * 2 >= 1 << bits) grow();
      const src = (buf[ip + 12] << 24) | (buf[ip + 13] << 16) | (buf[ip + 14] << 8) | buf[ip + 15];
      const dst = (buf[ip + 16] << 24) | (buf[ip + 17] << 16) | (buf[ip + 18] << 8) | buf[ip + 19];
      const s = find(src, dst, ports, (depth << 8) | proto);
      slots[s + 4]++;
      slots[s + 5] += caplen;
      const dport = ports & 0xffff;
      if (proto !== 17 || (dport !== 4789 && dport !== 8472)) break;
      e = l4 + 16; // UDP (8) + VXLAN (8): the inner Ethernet frame
    }
    pos += 16 + caplen;
  }
  done({ records, capturedBytes: captured, flows, issues: pos === size ? [] : [`stopped at ${pos} of ${size}`] });
} else if (impl === 'bare') {
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
