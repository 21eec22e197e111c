#!/usr/bin/env node
// npm `pcap-parser` (0.2.1) against our readers (src/capture), for
// docs/decisions/0001-pcap-parser.md.
//
//   node bench/pcap-parser.mjs [--reps 3] [--big-packets 2000000] [--seed 1] [--no-write] [--skip-throughput] [--nice N]
//
// 1. Throughput on the big generated capture (bench/out/overlay-<N>-s<seed>.pcap,
//    generated if missing): child processes under /usr/bin/time -f '%e %M',
//    interleaved reps of
//      bare            bench/walk.mjs --impl bare            (floor: every record header)
//      reader          bench/walk.mjs --impl reader          (our PcapReader, 4 MiB fs chunks)
//      pcap-parser     bench/walk.mjs --impl pcap-parser     (pcapp.parse(path): its own 64 KiB stream)
//      pcap-parser-4m  bench/walk.mjs --impl pcap-parser-4m  (pcapp.parse(fs.createReadStream(path, 4 MiB chunks)))
// 2. Framing equivalence: both read the 100k and the big capture in-process;
//    sha256 over every record's (ts_sec, ts_frac, caplen, origlen, bytes) must match.
// 3. Capabilities: every capture in ../shared/corpus/files (if present) read by both;
//    a truncated copy and a corrupt-caplen copy of the 100k capture; reading a
//    packet back by file offset.
// Writes bench/pcap-parser-results.json.
import { spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { generate, GEN_VERSION, DEFAULT_PACKETS, DEFAULT_SEED } from './gen-overlay.mjs';
import { bundleReaders, bundleReader } from './lib/bundle.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench/out');
const CORPUS = path.resolve(ROOT, '../shared/corpus');
const rel = (p) => path.relative(ROOT, p);
const require = createRequire(import.meta.url);
const pcapp = require('pcap-parser');
const ppVersion = JSON.parse(fs.readFileSync(require.resolve('pcap-parser/package.json'), 'utf8')).version;

const opt = { reps: 3, bigPackets: DEFAULT_PACKETS, seed: DEFAULT_SEED, write: true, throughput: true, nice: 0 };
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    if (k === '--reps') opt.reps = Number(a[++i]);
    else if (k === '--big-packets') opt.bigPackets = Number(String(a[++i]).replace(/_/g, ''));
    else if (k === '--seed') opt.seed = Number(a[++i]);
    else if (k === '--no-write') opt.write = false;
    else if (k === '--skip-throughput') opt.throughput = false;
    else if (k === '--nice') opt.nice = Number(a[++i]);
    else { console.error(`unknown argument ${k}`); process.exit(2); }
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const r = (x, d = 3) => Number(x.toFixed(d));
const loadAtStart = os.loadavg().map((x) => r(x, 2));

// ---------------------------------------------------------------- inputs
fs.mkdirSync(OUT, { recursive: true });
function ensureCapture(packets) {
  const file = path.join(OUT, `overlay-${packets}-s${opt.seed}.pcap`);
  try {
    const t = JSON.parse(fs.readFileSync(file + '.truth.json', 'utf8'));
    if (t.version === GEN_VERSION && t.args.packets === packets && t.args.seed === opt.seed && fs.statSync(file).size === t.bytes.file) return { file, truth: t };
  } catch { /* generate */ }
  console.log(`generating ${rel(file)} ...`);
  return { file, truth: generate({ out: file, packets, seed: opt.seed }).truth };
}
const big = ensureCapture(opt.bigPackets);
const small = ensureCapture(100_000);
await bundleReader(); // for bench/walk.mjs --impl reader
const { PcapReader, PcapngReader, sniffFormat } = await import(await bundleReaders());

// ---------------------------------------------------------------- 1. throughput
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const AUTOGROUP = (() => { try { return fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1'; } catch { return false; } })();
function child(args, timeoutS = 600) {
  const tf = path.join(OUT, `.time-pp-${process.pid}.txt`);
  let cmd = [process.execPath, ...args];
  if (opt.nice) {
    // Own session => own scheduler autogroup, whose nice is set as well (see bench/run.mjs).
    cmd = ['nice', '-n', String(opt.nice), ...cmd];
    if (AUTOGROUP) cmd = ['setsid', '-w', 'sh', '-c', `echo ${opt.nice} > /proc/self/autogroup 2>/dev/null; exec "$@"`, 'sh', ...cmd];
  }
  const argv = TIME ? [TIME, ['-f', '%e %M', '-o', tf, '--', ...cmd]] : [cmd[0], cmd.slice(1)];
  const t0 = process.hrtime.bigint();
  const res = spawnSync(argv[0], argv[1], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutS * 1000, maxBuffer: 16 << 20 });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  let rssKB = null;
  if (TIME && fs.existsSync(tf)) {
    const last = fs.readFileSync(tf, 'utf8').trim().split('\n').pop().trim().split(/\s+/);
    if (last.length === 2 && Number.isFinite(Number(last[0]))) rssKB = Number(last[1]);
    fs.rmSync(tf, { force: true });
  }
  let out = null;
  try { out = JSON.parse(res.stdout.toString().trim().split('\n').pop()); } catch { /* none */ }
  if (rssKB == null && out?.maxRssKB) rssKB = out.maxRssKB;
  return { wallS, rssKB, exit: res.status, signal: res.signal, timedOut: res.error?.code === 'ETIMEDOUT', out, stderr: res.stderr.toString().slice(-800) };
}

const IMPLS = ['bare', 'reader', 'pcap-parser', 'pcap-parser-4m'];
const throughput = { file: rel(big.file), packets: big.truth.packets, bytes: big.truth.bytes.file, reps: opt.reps, impls: {} };
if (opt.throughput) {
  child(['bench/walk.mjs', '--impl', 'bare', big.file]); // warm the page cache
  const runs = Object.fromEntries(IMPLS.map((i) => [i, []]));
  for (let rep = 1; rep <= opt.reps; rep++) {
    for (const impl of IMPLS) {
      const m = child(['bench/walk.mjs', '--impl', impl, big.file]);
      runs[impl].push({ rep, wallS: r(m.wallS, 4), innerS: m.out ? r(m.out.ms / 1000, 4) : null, rssKB: m.rssKB, records: m.out?.records ?? null, exit: m.exit });
      console.log(`  throughput rep ${rep} ${impl.padEnd(15)} ${m.wallS.toFixed(3)} s  ${m.rssKB ? Math.round(m.rssKB / 1024) : '?'} MiB  records ${m.out?.records}`);
    }
  }
  for (const impl of IMPLS) {
    const ok = runs[impl].filter((x) => x.exit === 0);
    const wall = median(ok.map((x) => x.wallS));
    throughput.impls[impl] = {
      medianWallS: r(wall, 3),
      recordsPerS: Math.round(big.truth.packets / wall),
      mbPerS: r(big.truth.bytes.file / 1e6 / wall, 0),
      peakRssMB: r(Math.max(...ok.map((x) => x.rssKB)) * 1024 / 1e6, 1),
      allRecords: ok.every((x) => x.records === big.truth.packets),
      runs: runs[impl],
    };
  }
  for (const impl of IMPLS) throughput.impls[impl].overReader = r(throughput.impls[impl].medianWallS / throughput.impls.reader.medianWallS, 2);
}

// ---------------------------------------------------------------- readers, in-process
/** Our ingest: sniff the magic, then PcapReader or PcapngReader, 4 MiB chunks. */
function readOurs(file, { digest = false, onRecord = null } = {}) {
  const h = digest ? crypto.createHash('sha256') : null;
  const hdr = Buffer.alloc(16);
  const res = { format: null, records: 0, issues: [], interfaces: [] };
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let n = fs.readSync(fd, buf, 0, buf.length, null);
  res.format = n >= 4 ? sniffFormat(buf.subarray(0, n)) : null;
  if (!res.format) { fs.closeSync(fd); res.issues.push({ severity: 'error', offset: 0, reason: n === 0 ? 'empty file' : 'neither pcap nor pcapng' }); return res; }
  const precision = [];
  const sink = {
    onInterface(i) { res.interfaces.push({ linkType: i.linkType, precision: i.precision }); precision[i.id] = i.precision; },
    onRecord(rec, bytes, start) {
      res.records++;
      if (h) {
        const frac = precision[rec.interfaceId] === 9 ? rec.tsNsec : Math.floor(rec.tsNsec / 1000);
        hdr.writeUInt32LE(rec.tsSec >>> 0, 0); hdr.writeUInt32LE(frac >>> 0, 4);
        hdr.writeUInt32LE(rec.capturedLength, 8); hdr.writeUInt32LE(rec.originalLength, 12);
        h.update(hdr); h.update(bytes.subarray(start, start + rec.capturedLength));
      }
      onRecord?.(rec, bytes, start);
    },
    onIssue(i) { res.issues.push({ severity: i.severity, packet: i.packet, offset: i.offset, layer: i.layer, reason: i.reason }); },
  };
  const reader = res.format === 'pcap' ? new PcapReader(file, sink) : new PcapngReader(file, sink);
  while (n > 0) {
    reader.push(buf.subarray(0, n));
    if (reader.stopped) break;
    n = fs.readSync(fd, buf, 0, buf.length, null);
  }
  reader.end();
  fs.closeSync(fd);
  if (h) res.sha256 = h.digest('hex');
  return res;
}

/** pcap-parser as its README shows: parse(path), listen to events. */
function readPcapParser(file, { digest = false } = {}) {
  return new Promise((resolve) => {
    const h = digest ? crypto.createHash('sha256') : null;
    const hdr = Buffer.alloc(16);
    const res = { records: 0, errors: [], header: null, endEvent: false };
    let parser;
    try { parser = pcapp.parse(file); } catch (e) { res.errors.push(e.message); resolve(res); return; }
    const finish = () => { if (res.done) return; res.done = true; clearTimeout(timer); if (h) res.sha256 = h.digest('hex'); delete res.done; parser.stream?.destroy?.(); resolve(res); };
    const timer = setTimeout(() => { res.timedOut = true; finish(); }, 120_000);
    parser.on('globalHeader', (g) => { res.header = g; });
    parser.on('packet', (p) => {
      res.records++;
      if (h) {
        hdr.writeUInt32LE(p.header.timestampSeconds >>> 0, 0); hdr.writeUInt32LE(p.header.timestampMicroseconds >>> 0, 4);
        hdr.writeUInt32LE(p.header.capturedLength, 8); hdr.writeUInt32LE(p.header.originalLength, 12);
        h.update(hdr); h.update(p.data);
      }
      if (res.records === 1) res.packetKeys = { packet: Object.keys(p), header: Object.keys(p.header) };
    });
    parser.on('error', (e) => { res.errors.push(e.message); });
    parser.on('end', () => { res.endEvent = true; setImmediate(finish); });
  });
}

// ---------------------------------------------------------------- 2. equivalence on the generated captures
const equivalence = [];
for (const c of [small, big]) {
  const t0 = Date.now();
  const a = readOurs(c.file, { digest: true });
  const b = await readPcapParser(c.file, { digest: true });
  equivalence.push({ file: rel(c.file), truthPackets: c.truth.packets, ours: a.records, pcapParser: b.records, sha256Ours: a.sha256, sha256PcapParser: b.sha256, identical: a.sha256 === b.sha256 && a.records === b.records, seconds: r((Date.now() - t0) / 1000, 1) });
  console.log(`  equivalence ${rel(c.file)}: ours ${a.records}, pcap-parser ${b.records}, identical ${a.sha256 === b.sha256}`);
}

// ---------------------------------------------------------------- 3a. corpus
const manifest = new Map();
const corpus = [];
if (fs.existsSync(path.join(CORPUS, 'files'))) {
  try {
    const rows = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const head = rows.shift();
    for (const row of rows) manifest.set(row[0], Object.fromEntries(head.map((k, i) => [k, row[i]])));
  } catch { /* no manifest */ }
  for (const name of fs.readdirSync(path.join(CORPUS, 'files')).sort()) {
    const file = path.join(CORPUS, 'files', name);
    const a = readOurs(file, { digest: true });
    const b = await readPcapParser(file, { digest: true });
    const m = manifest.get(name);
    const firstError = a.issues.find((i) => i.severity === 'error');
    corpus.push({
      file: name, format: m?.format ?? a.format, endian: m?.endian ?? null, tsharkPackets: m?.packets ?? null,
      ours: { records: a.records, error: firstError ? `${firstError.reason} (offset ${firstError.offset}${firstError.packet ? `, packet ${firstError.packet}` : ''})` : null, warnings: a.issues.filter((i) => i.severity === 'warning').length },
      pcapParser: { records: b.records, errors: b.errors, endEvent: b.endEvent, timedOut: !!b.timedOut },
      sameRecords: a.records === b.records && a.sha256 === b.sha256,
    });
  }
  console.log(`  corpus: ${corpus.length} files; pcap-parser reads the same records as ours in ${corpus.filter((c) => c.sameRecords).length}`);
} else console.log(`  corpus: ${rel(CORPUS)} not present, skipped`);

// ---------------------------------------------------------------- 3b. truncated and corrupt copies of the 100k capture
const srcBytes = fs.readFileSync(small.file);
const truncFile = path.join(OUT, 'pp-truncated.pcap');
fs.writeFileSync(truncFile, srcBytes.subarray(0, srcBytes.length - 700)); // cuts the last record(s) mid-way
let corruptAt = 24, idx = 0;
for (; idx < 50_000; idx++) corruptAt += 16 + srcBytes.readUInt32LE(corruptAt + 8);
const corrupt = Buffer.from(srcBytes);
corrupt.writeUInt32LE(0x7ffffff0, corruptAt + 8); // record 50,001 claims a 2 GiB caplen
const corruptFile = path.join(OUT, 'pp-corrupt-caplen.pcap');
fs.writeFileSync(corruptFile, corrupt);

const truncation = {};
{
  const a = readOurs(truncFile);
  const b = await readPcapParser(truncFile);
  truncation.file = `${rel(small.file)} minus its last 700 bytes (${srcBytes.length - 700} bytes)`;
  truncation.ours = { records: a.records, issues: a.issues };
  truncation.pcapParser = { records: b.records, errors: b.errors, endEvent: b.endEvent };
}
const corruptRes = { file: `${rel(small.file)} with record 50,001 (file offset ${corruptAt}) claiming caplen 0x7ffffff0` };
{
  const a = readOurs(corruptFile);
  corruptRes.ours = { records: a.records, issues: a.issues.filter((i) => i.severity === 'error') };
  const cr = child(['bench/walk.mjs', '--impl', 'reader', corruptFile]);
  corruptRes.ours.child = { wallS: r(cr.wallS, 3), peakRssMB: cr.rssKB ? r(cr.rssKB * 1024 / 1e6, 1) : null };
  const cp = child(['bench/walk.mjs', '--impl', 'pcap-parser', corruptFile], 300);
  corruptRes.pcapParser = { records: cp.out?.records ?? null, errors: cp.out?.issues ?? null, wallS: r(cp.wallS, 3), peakRssMB: cp.rssKB ? r(cp.rssKB * 1024 / 1e6, 1) : null, exit: cp.exit, timedOut: cp.timedOut };
  console.log(`  corrupt caplen: ours ${a.records} records + error in ${cr.wallS.toFixed(2)} s; pcap-parser ${cp.out?.records} records, errors ${JSON.stringify(cp.out?.issues)}, ${cp.wallS.toFixed(2)} s, ${cp.rssKB} KiB`);
}

// ---------------------------------------------------------------- 3c. reading a packet back by offset
const readBack = {};
{
  const want = new Set();
  for (let i = 0; i < 1000; i++) want.add(Math.floor((i * 2654435761) % small.truth.packets));
  const samples = [];
  readOurs(small.file, { onRecord(rec, bytes, start) { if (want.has(rec.index)) samples.push({ index: rec.index, offset: rec.offset, dataOffset: rec.dataOffset, len: rec.capturedLength, sha: crypto.createHash('sha1').update(bytes.subarray(start, start + rec.capturedLength)).digest('hex') }); } });
  const fd = fs.openSync(small.file, 'r');
  let ok = 0;
  for (const s of samples) {
    const b = Buffer.alloc(s.len);
    fs.readSync(fd, b, 0, s.len, s.dataOffset);
    if (crypto.createHash('sha1').update(b).digest('hex') === s.sha) ok++;
  }
  fs.closeSync(fd);
  const pp = await new Promise((resolve) => {
    const p = pcapp.parse(small.file);
    p.once('packet', (pk) => { resolve({ packetKeys: Object.keys(pk), headerKeys: Object.keys(pk.header) }); p.stream.destroy(); });
  });
  readBack.ours = { sampled: samples.length, bytesMatchAtDataOffset: ok };
  readBack.pcapParser = { ...pp, offsetProvided: pp.headerKeys.some((k) => /offset/i.test(k)) || pp.packetKeys.some((k) => /offset/i.test(k)) };
  console.log(`  read-back: ours ${ok}/${samples.length} packets re-read at rec.dataOffset; pcap-parser packet keys ${pp.packetKeys}, header keys ${pp.headerKeys}`);
}

// ---------------------------------------------------------------- output
const results = {
  date: new Date().toISOString(),
  command: `node bench/pcap-parser.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { node: process.version, cpuModel: os.cpus()[0]?.model, cpus: os.cpus().length, totalMemGiB: r(os.totalmem() / 2 ** 30, 1), loadAverage: { start: loadAtStart, end: os.loadavg().map((x) => r(x, 2)) } },
  gitHead: (() => { try { return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { return null; } })(),
  uncommittedCaptureFiles: (() => { try { return execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src/capture'], { encoding: 'utf8' }).split('\n').filter(Boolean).length; } catch { return null; } })(),
  options: opt,
  pcapParserVersion: ppVersion,
  throughput, equivalence, truncation, corruptCaplen: corruptRes, readBack, corpus,
};
if (opt.write) {
  fs.writeFileSync(path.join(ROOT, 'bench/pcap-parser-results.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('wrote bench/pcap-parser-results.json');
}
if (opt.throughput) {
  console.log('\nimpl            median s  records/s   MB/s  peak RSS MB  x reader');
  for (const [k, v] of Object.entries(throughput.impls)) console.log(`${k.padEnd(15)} ${String(v.medianWallS).padStart(8)} ${String(v.recordsPerS).padStart(10)} ${String(v.mbPerS).padStart(6)} ${String(v.peakRssMB).padStart(12)} ${String(v.overReader).padStart(9)}`);
}
console.log('\ncorpus file                                        tshark  ours  pcap-parser  same  pcap-parser error');
for (const c of corpus) console.log(`${c.file.padEnd(50)} ${String(c.tsharkPackets).slice(0, 6).padStart(6)} ${String(c.ours.records).padStart(5)} ${String(c.pcapParser.records).padStart(12)} ${c.sameRecords ? ' yes' : '  NO'}  ${c.pcapParser.errors.join('; ')}${c.ours.error ? `  | ours: ${c.ours.error}` : ''}`);
console.log('\ntruncated:', JSON.stringify(truncation));
process.exit(0);
