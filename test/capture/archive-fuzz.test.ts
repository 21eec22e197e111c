/**
 * Containers under fuzzing: 10,000 inputs (OVERLAYSCOPE_ARCHIVE_FUZZ to change
 * the count) made from real archives of lab captures (tar, tar.gz, zip,
 * stored zip, zip64, nested tar.gz, .pcap.gz) by flipping bytes, cutting,
 * inserting and deleting bytes and overwriting header fields with extreme
 * values. Each is opened (src/capture/open-inputs.ts) and every capture it
 * yields is read through the chunk driver and read back by offset: nothing
 * may throw (every problem is a note or an issue), every error names its
 * file, and nothing takes more than a few seconds.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { openInputs } from '../../src/capture/open-inputs.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { fixturePath } from '../helpers/corpus.js';

const COUNT = Number(process.env['OVERLAYSCOPE_ARCHIVE_FUZZ'] ?? 10_000);
const dir = mkdtempSync(path.join(tmpdir(), 'archive-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seeds(): Array<{ name: string; bytes: Uint8Array }> {
  copyFileSync(fixturePath('lab/captures/ingress-any-sll2/node3-any.pcap'), path.join(dir, 'node3-any.pcap'));
  execFileSync('sh', ['-c', [
    'cp node3-any.pcap small.pcap',
    'echo "-A KUBE-SERVICES -d 10.96.0.10/32 -j KUBE-SVC-X" > iptables-rules.txt',
    'tar cf a.tar small.pcap iptables-rules.txt',
    'tar czf a.tgz small.pcap iptables-rules.txt',
    'zip -q a.zip small.pcap iptables-rules.txt',
    'zip -q -0 s.zip small.pcap iptables-rules.txt',
    'zip -q -fz z64.zip small.pcap',
    'tar czf nested.tgz a.tgz s.zip',
    'tar --format=pax -cf pax.tar small.pcap',
  ].join(' && ')], { cwd: dir, timeout: 60_000 });
  const out = ['a.tar', 'a.tgz', 'a.zip', 's.zip', 'z64.zip', 'nested.tgz', 'pax.tar'].map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(path.join(dir, n))) }));
  out.push({ name: 'small.pcap.gz', bytes: new Uint8Array(gzipSync(readFileSync(path.join(dir, 'small.pcap')))) });
  return out;
}

/** xorshift32: the same inputs every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

const EXTREMES = [0, 0xff, 0x7f, 0x80, 0x30, 0x37];

function mutate(b: Uint8Array, r: () => number): Uint8Array {
  let x = b.slice();
  const ops = 1 + Math.floor(r() * 3);
  for (let k = 0; k < ops; k++) {
    const op = Math.floor(r() * 6);
    const at = Math.floor(r() * x.length);
    if (op === 0) x[at] = Math.floor(r() * 256);
    else if (op === 1) x = x.slice(0, at);
    else if (op === 2) {
      // A run of one extreme byte: sizes, counts and offsets of headers at their bounds.
      const v = EXTREMES[Math.floor(r() * EXTREMES.length)]!;
      x.fill(v, at, Math.min(x.length, at + 1 + Math.floor(r() * 12)));
    } else if (op === 3) {
      const n = 1 + Math.floor(r() * 64);
      const y = new Uint8Array(x.length + n);
      y.set(x.subarray(0, at));
      for (let i = 0; i < n; i++) y[at + i] = Math.floor(r() * 256);
      y.set(x.subarray(at), at + n);
      x = y;
    } else if (op === 4) {
      const n = Math.min(x.length - at, 1 + Math.floor(r() * 600));
      const y = new Uint8Array(x.length - n);
      y.set(x.subarray(0, at));
      y.set(x.subarray(at + n), at);
      x = y;
    } else {
      // A 32-bit field set to an extreme (zip sizes and offsets, gzip ISIZE).
      const v = [0xffffffff, 0x7fffffff, 0x80000000, 0][Math.floor(r() * 4)]!;
      if (at + 4 <= x.length) new DataView(x.buffer, x.byteOffset, x.length).setUint32(at, v, true);
    }
  }
  return x;
}

describe('containers under fuzzing', () => {
  it(`${COUNT} mutated archives and gzip streams: no exception, every error named, each bounded in time`, async () => {
    const base = seeds();
    const r = rng(16);
    let captures = 0;
    let notes = 0;
    let errors = 0;
    let slowest = 0;
    const crashes: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const s = base[i % base.length]!;
      const bytes = mutate(s.bytes, r);
      const name = `${s.name}#${i}`;
      const t0 = performance.now();
      try {
        const o = await openInputs([bytesSource(bytes, name)]);
        notes += o.notes.length;
        for (const n of o.notes) {
          if (!n.file.startsWith(name) || !n.reason || !Number.isFinite(n.offset) || n.offset < 0) crashes.push(`${name}: bad note ${JSON.stringify(n)}`);
        }
        for (const c of o.captures) {
          captures++;
          let last = 0;
          await readCapture(c, {
            onInterface() {},
            onRecord(rec) { last = rec.dataOffset; },
            onIssue(issue) {
              if (issue.severity === 'error') errors++;
              if (!issue.capture.startsWith(name) || !issue.reason) crashes.push(`${name}: bad issue ${JSON.stringify(issue)}`);
            },
          });
          // Read back by offset, as the packet detail does (backwards: a fresh inflate).
          await c.read(last, 64).catch((e: Error) => { if (e.name !== 'SourceError') throw e; });
          await c.read(0, 16).catch((e: Error) => { if (e.name !== 'SourceError') throw e; });
        }
      } catch (e) {
        crashes.push(`${name}: ${(e as Error).name}: ${(e as Error).message}`);
      }
      slowest = Math.max(slowest, performance.now() - t0);
      if (crashes.length > 10) break;
    }
    console.log(`archive fuzz: ${COUNT} inputs, ${captures} captures read, ${notes} notes, ${errors} read errors, slowest ${slowest.toFixed(0)} ms, ${crashes.length} crashes`);
    expect(crashes).toEqual([]);
    expect(slowest).toBeLessThan(10_000);
  }, 900_000);
});
