/**
 * Container edge cases not covered by archive.test.ts and gzip-source.test.ts
 * (issue #16): each gives a named error (file, offset, reason) or a bounded
 * result, and keeps what was read before it. Archives are made here by the
 * real tools (GNU tar, Info-ZIP zip, Python's tarfile/zipfile, gzip) or by
 * Node's zlib, in a temporary folder; captures are the lab's.
 *
 * - compression bombs: 1 GiB of zeros in one gzip member, and in a zip member
 *   whose central directory lies about its size (the declared-size check
 *   cannot see it: the inflate-time ratio bound stops it);
 * - member names: every absolute and climbing form, both separators;
 * - gzip cut inside its 10-byte header, inside an FNAME, mid-stream and in
 *   the trailer; an empty gzip; members one after another with an empty one
 *   between; zero padding (ignored, as gzip -d does) or other bytes (named)
 *   after the last member;
 * - zip64 as written by Python (force_zip64) and Info-ZIP (-fz), unpatched;
 *   a member declaring more than 4 GiB (its 64-bit sizes read right);
 * - empty archives; Retina's all-captures layout (a tgz of per-node tgz);
 *   tgz nested past the depth bound;
 * - a gzip too broken to inflate one byte through the whole analysis (fuzz
 *   seed 15: its format sniff threw).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedMemberName } from '../../src/capture/archive.js';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { openInputs, type OpenedInputs } from '../../src/capture/open-inputs.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { CONTAINER_LIMITS } from '../../src/capture/source-error.js';
import type { ByteSource } from '../../src/capture/types.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';
import { recordRow } from '../helpers/records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'archive-edges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N1 = fixturePath('lab/captures/ingress-any-sll2/node1-any.pcap');
const N3 = fixturePath('lab/captures/ingress-any-sll2/node3-any.pcap');

function sh(script: string): void {
  execFileSync('sh', ['-c', script], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
}
function py(script: string): void {
  execFileSync('python3', ['-c', script], { cwd: dir, stdio: 'pipe', timeout: 180_000 });
}

interface Read { recs: number[][]; errors: Array<{ offset: number; layer: string; reason: string }> }

async function read(source: ByteSource): Promise<Read> {
  const recs: number[][] = [];
  const errors: Read['errors'] = [];
  await readCapture(source, {
    onInterface() {},
    onRecord(r, b, s) { recs.push(recordRow(r, b, s)); },
    onIssue(i) { if (i.severity === 'error') errors.push({ offset: i.offset, layer: i.layer, reason: i.reason }); },
  });
  return { recs, errors };
}

async function open(file: string): Promise<OpenedInputs> {
  return openInputs([await fileSource(path.join(dir, file))]);
}

/** A classic pcap header (µs, Ethernet, snaplen 262144) and a record of 65,535 zero bytes: a capture that compresses ~1000:1. */
const PCAP_HEADER = Buffer.from('d4c3b2a10200040000000000000000000000040001000000', 'hex');
const ZERO_RECORD = (() => {
  const r = Buffer.alloc(16 + 65_535);
  r.writeUInt32LE(65_535, 8);
  r.writeUInt32LE(65_535, 12);
  return r;
})();

let plain1: number[][] = [];
let plain3: number[][] = [];
let pcap3: Uint8Array;

beforeAll(async () => {
  copyFileSync(N1, path.join(dir, 'node1-any.pcap'));
  copyFileSync(N3, path.join(dir, 'node3-any.pcap'));
  pcap3 = new Uint8Array(readFileSync(N3));
  plain1 = (await read(bytesSource(new Uint8Array(readFileSync(N1)), 'n1'))).recs;
  plain3 = (await read(bytesSource(pcap3, 'n3'))).recs;
}, 60_000);

describe('compression bombs', () => {
  it('1 GiB of zeros in one gzip member (about 1 MB): stops at the 200:1 bound once past 64 MiB, naming the file, offsets and ratio', async () => {
    const file = path.join(dir, 'zeros-1g.gz');
    // A pcap whose records hold zeros (so the reader gets past the format check): 24 + 16,384 x 65,551 bytes.
    await pipeline(Readable.from((function* () { yield PCAP_HEADER; for (let i = 0; i < 16_384; i++) yield ZERO_RECORD; })()), createGzip({ level: 9 }), createWriteStream(file));
    const o = await openInputs([await fileSource(file)]);
    expect(o.captures).toHaveLength(1);
    let total = 0;
    let err: Error | null = null;
    try {
      for await (const c of o.captures[0]!.chunks(1 << 20)) total += c.length;
    } catch (e) { err = e as Error; }
    expect(err?.name).toBe('SourceError');
    expect(err!.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: offset \\d+: gzip: inflates (\\d+):1 \\(\\d+ bytes from \\d+\\), beyond the 200:1 bound for a compression bomb; the rest is not read$`));
    // Past the check point, by at most one push's output (32 KiB of input: 33 MiB).
    expect(total).toBeGreaterThan(CONTAINER_LIMITS.ratioCheckAfter - 34 * 1024 * 1024);
    expect(total).toBeLessThan(CONTAINER_LIMITS.ratioCheckAfter + 34 * 1024 * 1024);
    // Through the reader: one gzip error issue at the inflated offset where it stopped.
    const r = await read(o.captures[0]!);
    expect(r.errors.map((e) => e.layer)).toEqual(['gzip']);
    expect(r.errors[0]!.reason).toMatch(/compression bomb/);
  }, 180_000);

  it('a zip member whose central directory understates its size (1 MB declared, 256 MiB of zeros inside) stops at the ratio bound while read; the other member is read whole', async () => {
    py(`
import zipfile
with zipfile.ZipFile('liar.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr('node3-any.pcap', open('node3-any.pcap','rb').read())
    with z.open('zeros.pcap', 'w', force_zip64=True) as f:
        f.write(bytes.fromhex('d4c3b2a10200040000000000000000000000040001000000'))
        rec = (65535).to_bytes(4, 'little') * 2
        for _ in range(4096): f.write(bytes(8) + rec + bytes(65535))
`);
    const b = new Uint8Array(readFileSync(path.join(dir, 'liar.zip')));
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    // The central directory entry of zeros.pcap: its uncompressed size (and the zip64 extra's) set to 1 MB.
    let patched = 0;
    for (let i = 0; i + 46 < b.length; i++) {
      if (dv.getUint32(i, true) !== 0x02014b50) continue;
      const nameLen = dv.getUint16(i + 28, true);
      const name = Buffer.from(b.subarray(i + 46, i + 46 + nameLen)).toString();
      if (name !== 'zeros.pcap') continue;
      const extraAt = i + 46 + nameLen;
      if (dv.getUint32(i + 24, true) === 0xffffffff) dv.setBigUint64(extraAt + 4, 1_000_000n, true);
      else dv.setUint32(i + 24, 1_000_000, true);
      patched++;
    }
    expect(patched).toBe(1);
    const o = await openInputs([bytesSource(b, 'liar.zip')]);
    expect(o.notes.filter((n) => n.severity === 'error')).toEqual([]);
    expect(o.captures.map((c) => c.name)).toEqual(['liar.zip/node3-any.pcap', 'liar.zip/zeros.pcap']);
    expect((await read(o.captures[0]!)).recs).toEqual(plain3);
    const z = await read(o.captures[1]!);
    expect(z.errors).toHaveLength(1);
    expect(z.errors[0]!.layer).toBe('deflate');
    expect(z.errors[0]!.reason).toMatch(/beyond the 200:1 bound for a compression bomb/);
  }, 180_000);
});

describe('member names', () => {
  it.each([
    ['../x', /climbing out/], ['a/../../x', /climbing out/], ['..\\x', /climbing out/], ['a\\..\\..\\x', /climbing out/], ['..', /climbing out/],
    ['/etc/x', /absolute/], ['\\x', /absolute/], ['C:\\x', /absolute/], ['C:x', /absolute/], ['c:/x', /absolute/], ['\\\\server\\share\\x', /absolute/],
    ['a\u0000b', /NUL/],
  ])('%j is refused: %s', (name, why) => {
    expect(refusedMemberName(name)).toMatch(why);
  });

  it.each(['x.pcap', 'a/b/x.pcap', 'a..b.pcap', '...', 'node1/..hidden', 'ok/./x.pcap'])('%j is read', (name) => {
    expect(refusedMemberName(name)).toBeNull();
  });

  it('Windows forms in a zip made by Python (C:\\x, \\\\server\\x, ..\\x) are refused, named; the good member is read', async () => {
    py(`
import zipfile
d = open('node3-any.pcap','rb').read()
with zipfile.ZipFile('win.zip', 'w') as z:
    for n in ['C:\\\\x.pcap', '\\\\\\\\server\\\\share\\\\x.pcap', '..\\\\x.pcap', 'ok.pcap']:
        i = zipfile.ZipInfo(n); i.filename = n; z.writestr(i, d)
`);
    const o = await open('win.zip');
    expect(o.captures.map((c) => path.basename(c.name))).toEqual(['ok.pcap']);
    const refused = o.notes.filter((n) => /is refused/.test(n.reason));
    expect(refused.map((n) => n.severity)).toEqual(['warning', 'warning', 'warning']);
    for (const n of refused) expect(n.offset).toBeGreaterThan(0);
  });
});

describe('gzip streams', () => {
  it('cut inside the 10-byte header or inside its FNAME: one named error, nothing thrown', async () => {
    const gz = new Uint8Array(execFileSync('gzip', ['-c'], { input: pcap3, timeout: 60_000 }));
    const named = new Uint8Array(execFileSync('sh', ['-c', 'gzip -c node3-any.pcap'], { cwd: dir, timeout: 60_000 }));
    expect(named[3]! & 0x08).toBe(8); // FNAME: 'node3-any.pcap\0' follows the header
    for (const [bytes, cut] of [[gz, 3], [gz, 4], [gz, 9], [gz, 10], [named, 12], [named, 20]] as const) {
      const o = await openInputs([bytesSource(bytes.subarray(0, cut), 'cut.gz')]);
      expect(o.captures, `cut at ${cut}`).toHaveLength(1);
      const r = await read(o.captures[0]!);
      expect(r.recs).toEqual([]);
      expect(r.errors, `cut at ${cut}`).toHaveLength(1);
      expect(r.errors[0]!.layer).toBe('gzip');
      expect(r.errors[0]!.reason).toMatch(/compressed offset \d+/);
    }
  });

  it('members one after another with an empty member between (gzip < /dev/null): read as gzip -dc reads them', async () => {
    sh('head -c 300000 node3-any.pcap | gzip > p1.gz && gzip < /dev/null > e.gz && tail -c +300001 node3-any.pcap | gzip -9 > p2.gz && cat p1.gz e.gz p2.gz > three.pcap.gz');
    expect(execFileSync('sh', ['-c', 'gzip -dc three.pcap.gz | cmp - node3-any.pcap && echo same'], { cwd: dir, encoding: 'utf8' }).trim()).toBe('same');
    const o = await open('three.pcap.gz');
    const r = await read(o.captures[0]!);
    expect(r.errors).toEqual([]);
    expect(r.recs).toEqual(plain3);
  });

  it.each([1, 3, 4, 1000])('%i zero bytes of padding after the last member (gzip -d ignores them): every record read, no error', async (pad) => {
    sh(`gzip -c node1-any.pcap > padded${pad}.pcap.gz && head -c ${pad} /dev/zero >> padded${pad}.pcap.gz && gzip -t padded${pad}.pcap.gz`);
    const r = await read((await open(`padded${pad}.pcap.gz`)).captures[0]!);
    expect(r.errors).toEqual([]);
    expect(r.recs).toEqual(plain1);
  });

  it('other bytes after the last member: every record read, then one error naming where they start', async () => {
    sh('gzip -c node1-any.pcap > tail.pcap.gz && printf "garbage after" >> tail.pcap.gz');
    const size = readFileSync(path.join(dir, 'tail.pcap.gz')).length;
    const r = await read((await open('tail.pcap.gz')).captures[0]!);
    expect(r.recs).toEqual(plain1);
    expect(r.errors).toEqual([{ offset: readFileSync(N1).length, layer: 'gzip', reason: `bytes after the last gzip member, from compressed offset ${size - 13}, are neither a gzip member nor padding (${readFileSync(N1).length} bytes inflated before them are kept)` }]);
  });

  it('an empty gzip stream (gzip < /dev/null): a capture of no bytes, named by the reader, not a crash', async () => {
    sh('gzip < /dev/null > empty.pcap.gz');
    const o = await open('empty.pcap.gz');
    expect(o.captures).toHaveLength(1);
    const r = await read(o.captures[0]!);
    expect(r.recs).toEqual([]);
    expect(r.errors.length).toBe(1);
  });

  it('a gzip too broken to inflate one byte goes through the whole analysis: one gzip error, nothing thrown (fuzz seed 15 input 92)', async () => {
    const gz = new Uint8Array(gzipSync(pcap3));
    gz.fill(0xff, 10, 40);
    const o = await openInputs([bytesSource(gz, 'broken.pcap.gz')]);
    const s = await AnalysisSession.open(o.captures);
    const j = s.toJSON();
    expect(j.packets).toBe(0);
    expect(j.issues.filter((i) => i.severity === 'error').map((i) => [i.capture, i.layer])).toEqual([['broken.pcap.gz', 'gzip']]);
    // A read by offset past the error (the detail view, the format sniff) gives no bytes rather than throwing.
    expect((await o.captures[0]!.read(0, 4)).length).toBe(0);
  });
});

/** Prints True when every member of the zip named in argv[1] has a zip64 local header (version needed >= 45, extra id 1). */
const ZIP64_LOCALS = `
import struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); raw = open(sys.argv[1], 'rb').read(); ok = True
for i in z.infolist():
    o = i.header_offset
    sig, need, _, _, _, _, _, _, _, nl, xl = struct.unpack('<IHHHHHIIIHH', raw[o:o+30])
    x = raw[o+30+nl:o+30+nl+xl]; ids = []; k = 0
    while k + 4 <= len(x):
        hid, ln = struct.unpack('<HH', x[k:k+4]); ids.append(hid); k += 4 + ln
    ok = ok and sig == 0x04034b50 and need >= 45 and 1 in ids
print(ok)
`;

describe('zip64', () => {
  it('written by Python (force_zip64) and by Info-ZIP (zip -fz), unpatched: members read as the plain files', async () => {
    py(`
import zipfile
with zipfile.ZipFile('py64.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    for n in ['node1-any.pcap', 'node3-any.pcap']:
        with z.open(n, 'w', force_zip64=True) as f: f.write(open(n,'rb').read())
`);
    sh('zip -q -fz if64.zip node1-any.pcap node3-any.pcap');
    for (const f of ['py64.zip', 'if64.zip']) {
      const b = readFileSync(path.join(dir, f));
      // Really zip64: every member's local header needs version 4.5 and carries a zip64 extra field (id 0x0001).
      expect(b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])), f).toBeGreaterThan(0);
      expect(execFileSync('python3', ['-c', ZIP64_LOCALS, f], { cwd: dir, encoding: 'utf8' }).trim(), f).toBe('True');
      const o = await open(f);
      expect(o.notes, f).toEqual([]);
      expect(o.captures.map((c) => path.basename(c.name))).toEqual(['node1-any.pcap', 'node3-any.pcap']);
      expect((await read(o.captures[0]!)).recs).toEqual(plain1);
      expect((await read(o.captures[1]!)).recs).toEqual(plain3);
    }
  }, 120_000);

  it('a member declaring more than 4 GiB (4.125 GiB of zeros, Python): its 64-bit sizes are read, and the declared ratio refuses it unread', async () => {
    py(`
import zipfile
with zipfile.ZipFile('big64.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    with z.open('zeros.pcap', 'w', force_zip64=True) as f:
        block = bytes(64 * 1024 * 1024)
        for _ in range(66): f.write(block)
    z.writestr('node3-any.pcap', open('node3-any.pcap','rb').read())
`);
    const o = await open('big64.zip');
    const bomb = o.notes.filter((n) => /compression bomb/.test(n.reason));
    expect(bomb).toHaveLength(1);
    expect(bomb[0]!.reason).toMatch(/"zeros.pcap" would inflate 4429185024 bytes from \d+ \(beyond 200:1, a compression bomb\): not read/);
    expect(bomb[0]!.severity).toBe('error');
    expect(o.captures.map((c) => path.basename(c.name))).toEqual(['node3-any.pcap']);
    expect((await read(o.captures[0]!)).recs).toEqual(plain3);
  }, 300_000);
});

describe('empty and nested archives', () => {
  it('an empty zip: no capture, no error; an empty tar (only zero blocks, no header to know it by) and a tgz of one: the reader\'s one named error', async () => {
    py(`
import tarfile, zipfile
tarfile.open('empty.tar', 'w').close()
tarfile.open('empty.tgz', 'w:gz').close()
zipfile.ZipFile('empty.zip', 'w').close()
`);
    const z = await open('empty.zip');
    expect(z.captures).toEqual([]);
    expect(z.notes.filter((n) => n.severity === 'error')).toEqual([]);
    for (const f of ['empty.tar', 'empty.tgz']) {
      const o = await open(f);
      expect(o.captures, f).toHaveLength(1);
      const r = await read(o.captures[0]!);
      expect(r.recs).toEqual([]);
      expect(r.errors.map((e) => `${e.offset} ${e.layer}`), f).toEqual(['0 file']);
    }
  });

  it('Retina\'s all-captures layout (a tgz of per-node <capture>-<node>-<time>UTC.tar.gz, each a pcap and its text files) opens every node\'s capture and sidecars', async () => {
    sh([
      'mkdir -p r1 r3 && cp node1-any.pcap r1/cap-node1-20240101120000UTC.pcap && cp node3-any.pcap r3/cap-node3-20240101120000UTC.pcap',
      'echo "*nat" > r1/iptables-rules.txt && echo "[]" > r1/ip-resources.txt && echo "*nat" > r3/iptables-rules.txt',
      'tar -C r1 -czf cap-node1-20240101120000UTC.tar.gz cap-node1-20240101120000UTC.pcap iptables-rules.txt ip-resources.txt',
      'tar -C r3 -czf cap-node3-20240101120000UTC.tar.gz cap-node3-20240101120000UTC.pcap iptables-rules.txt',
      'tar -czf all-captures.tar.gz cap-node1-20240101120000UTC.tar.gz cap-node3-20240101120000UTC.tar.gz',
    ].join(' && '));
    const o = await open('all-captures.tar.gz');
    expect(o.notes).toEqual([]);
    expect(o.captures.map((c) => path.relative(dir, c.name))).toEqual([
      'all-captures.tar.gz/cap-node1-20240101120000UTC.tar.gz/cap-node1-20240101120000UTC.pcap',
      'all-captures.tar.gz/cap-node3-20240101120000UTC.tar.gz/cap-node3-20240101120000UTC.pcap',
    ]);
    expect(o.origins[1]!.path).toEqual(['gzip', 'tar:cap-node3-20240101120000UTC.tar.gz', 'gzip', 'tar:cap-node3-20240101120000UTC.pcap']);
    expect(o.sidecars.map((s) => path.relative(dir, s.name))).toEqual([
      'all-captures.tar.gz/cap-node1-20240101120000UTC.tar.gz/iptables-rules.txt',
      'all-captures.tar.gz/cap-node1-20240101120000UTC.tar.gz/ip-resources.txt',
      'all-captures.tar.gz/cap-node3-20240101120000UTC.tar.gz/iptables-rules.txt',
    ]);
    expect((await read(o.captures[0]!)).recs).toEqual(plain1);
    expect((await read(o.captures[1]!)).recs).toEqual(plain3);
  });

  it('tgz in tgz in tgz in tgz: past the depth bound (3) a named note, the levels within it opened', async () => {
    sh('tar czf t1.tgz node3-any.pcap && tar czf t2.tgz t1.tgz && tar czf t3.tgz t2.tgz && tar czf t4.tgz t3.tgz');
    const deep = await open('t4.tgz');
    expect(deep.captures).toEqual([]);
    expect(deep.notes.map((n) => `${n.severity} ${path.relative(dir, n.file)}: ${n.reason}`)).toEqual(['warning t4.tgz/t3.tgz/t2.tgz/t1.tgz: an archive nested 4 deep (more than 3): not opened']);
    const ok = await open('t3.tgz');
    expect(ok.captures.map((c) => path.relative(dir, c.name))).toEqual(['t3.tgz/t2.tgz/t1.tgz/node3-any.pcap']);
    expect((await read(ok.captures[0]!)).recs).toEqual(plain3);
  });
});
