/**
 * Archives opened as sets of captures and sidecar files (src/capture/archive.ts,
 * open-inputs.ts): made here by GNU tar, Info-ZIP zip and Python's tarfile and
 * zipfile (independent writers), they give each member capture's records
 * exactly as the plain file; nested archives too. Edge cases each give a named
 * note or error, or a bounded result: `../x` and absolute member names,
 * symlinks, empty members, zip64, cut-short archives, 10,000+ members,
 * compression bombs.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { openInputs, type OpenedInputs } from '../../src/capture/open-inputs.js';
import { readCapture } from '../../src/capture/read-capture.js';
import type { ByteSource } from '../../src/capture/types.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';
import { recordRow } from '../helpers/records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'archive-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N1 = fixturePath('lab/captures/ingress-any-sll2/node1-any.pcap');
const N3 = fixturePath('lab/captures/ingress-any-sll2/node3-any.pcap');
const TEXT = 'default/web:http cluster IP\n';

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { cwd: dir, stdio: 'pipe', timeout: 60_000 });
}
function py(script: string): void {
  execFileSync('python3', ['-c', script], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
}

/** Every record as [index, offset, caplen, len, iface, sec, nsec, FNV-1a of its bytes], and errors. */
async function read(source: ByteSource): Promise<{ recs: number[][]; errors: string[] }> {
  const recs: number[][] = [];
  const errors: string[] = [];
  await readCapture(source, {
    onInterface() {},
    onRecord(r, b, s) { recs.push(recordRow(r, b, s)); },
    onIssue(i) { if (i.severity === 'error') errors.push(`${i.layer}: ${i.reason}`); },
  });
  return { recs, errors };
}

async function open(file: string): Promise<OpenedInputs> {
  return openInputs([await fileSource(path.join(dir, file))]);
}

const plain: Record<string, number[][]> = {};

beforeAll(async () => {
  copyFileSync(N1, path.join(dir, 'node1-any.pcap'));
  copyFileSync(N3, path.join(dir, 'node3-any.pcap'));
  writeFileSync(path.join(dir, 'iptables-rules.txt'), TEXT);
  plain['node1-any.pcap'] = (await read(bytesSource(new Uint8Array(readFileSync(N1)), 'n1'))).recs;
  plain['node3-any.pcap'] = (await read(bytesSource(new Uint8Array(readFileSync(N3)), 'n3'))).recs;
  const members = ['node1-any.pcap', 'node3-any.pcap', 'iptables-rules.txt'];
  run('tar', ['cf', 'a.tar', ...members]);
  run('tar', ['czf', 'a.tgz', ...members]);
  run('zip', ['-q', 'a.zip', ...members]);
  run('zip', ['-q', '-0', 'stored.zip', ...members]);
  run('tar', ['--format=pax', '-cf', 'pax.tar', ...members]);
  run('tar', ['czf', 'nested.tar.gz', 'a.tgz', 'a.zip']);
}, 120_000);

describe('archives as sets of captures', () => {
  it.each(['a.tar', 'a.tgz', 'a.zip', 'stored.zip', 'pax.tar'])('%s: each member capture reads as the plain file; the text member is a sidecar', async (file) => {
    const o = await open(file);
    expect(o.notes).toEqual([]);
    expect(o.captures.map((c) => c.name)).toEqual([`${path.join(dir, file)}/node1-any.pcap`, `${path.join(dir, file)}/node3-any.pcap`]);
    for (const c of o.captures) {
      const got = await read(c);
      expect(got.errors).toEqual([]);
      expect(got.recs).toEqual(plain[path.basename(c.name)]);
    }
    expect(o.sidecars).toEqual([{ name: `${path.join(dir, file)}/iptables-rules.txt`, member: 'iptables-rules.txt', archive: path.join(dir, file), text: TEXT }]);
    expect(o.origins[0]!.member).toBe('node1-any.pcap');
    expect(o.origins[0]!.path.at(-1)).toBe(`${file.endsWith('zip') ? 'zip' : 'tar'}:node1-any.pcap`);
  });

  it('archives inside an archive (Retina\'s all-captures layout) open member by member', async () => {
    const o = await open('nested.tar.gz');
    expect(o.notes).toEqual([]);
    expect(o.captures.map((c) => path.relative(dir, c.name))).toEqual([
      'nested.tar.gz/a.tgz/node1-any.pcap', 'nested.tar.gz/a.tgz/node3-any.pcap', 'nested.tar.gz/a.zip/node1-any.pcap', 'nested.tar.gz/a.zip/node3-any.pcap',
    ]);
    expect(o.origins[0]!.path).toEqual(['gzip', 'tar:a.tgz', 'gzip', 'tar:node1-any.pcap']);
    for (const c of o.captures) expect((await read(c)).recs).toEqual(plain[path.basename(c.name)]);
    expect(o.sidecars).toHaveLength(2);
  });
});

describe('reading members back by offset (the packet view)', () => {
  it('interleaved and concurrent reads of the members of a nested tar.gz return the plain files\' bytes', async () => {
    const o = await open('nested.tar.gz');
    const files = o.captures.map((c) => new Uint8Array(readFileSync(path.basename(c.name) === 'node1-any.pcap' ? N1 : N3)));
    // Turns between the captures, each going forwards, as a packet list in time order reads them.
    for (let k = 0; k < 40; k++) {
      const i = k % o.captures.length;
      const f = files[i]!;
      const at = Math.floor(((k + 1) / 41) * (f.length - 100));
      const got = await o.captures[i]!.read(at, 100);
      expect(Buffer.from(got).equals(Buffer.from(f.subarray(at, at + 100))), `capture ${i} at ${at}`).toBe(true);
    }
    // Many at once, in no order.
    const asks = Array.from({ length: 30 }, (_, k) => ({ i: (k * 7) % o.captures.length, at: (k * 9973) % 10_000 }));
    const got = await Promise.all(asks.map((a) => o.captures[a.i]!.read(a.at, 64)));
    asks.forEach((a, k) => expect(Buffer.from(got[k]!).equals(Buffer.from(files[a.i]!.subarray(a.at, a.at + 64)))).toBe(true));
  });
});

describe('archive edge cases: a named note or error, or a bounded result', () => {
  it.each([
    ['tar', 'w'], ['tar.gz', 'w:gz'],
  ])('%s: `../x`, absolute names, symlinks, hard links and empty members are refused or skipped, each named; the good member is read', async (ext, mode) => {
    py(`
import tarfile, io
with tarfile.open('evil.${ext}', '${mode}') as t:
    for name in ['../x.pcap', '/etc/abs.pcap', 'ok/../../up.pcap', 'C:/win.pcap']:
        data = open('node3-any.pcap','rb').read()
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    s = tarfile.TarInfo('link.pcap'); s.type = tarfile.SYMTYPE; s.linkname = '/etc/passwd'; t.addfile(s)
    h = tarfile.TarInfo('hard.pcap'); h.type = tarfile.LNKTYPE; h.linkname = 'node3-any.pcap'; t.addfile(h)
    e = tarfile.TarInfo('empty.pcap'); e.size = 0; t.addfile(e, io.BytesIO(b''))
    t.add('node3-any.pcap', arcname='good/node3-any.pcap')
`);
    const o = await open(`evil.${ext}`);
    expect(o.captures.map((c) => path.basename(c.name))).toEqual(['node3-any.pcap']);
    expect((await read(o.captures[0]!)).recs).toEqual(plain['node3-any.pcap']);
    const reasons = o.notes.map((n) => `${n.severity} ${n.reason}`);
    expect(reasons.filter((r) => /refused: a path climbing out/.test(r))).toHaveLength(2);
    expect(reasons.filter((r) => /refused: an absolute path/.test(r))).toHaveLength(2);
    expect(reasons.some((r) => /"link.pcap" is a symbolic link: ignored/.test(r))).toBe(true);
    expect(reasons.some((r) => /"hard.pcap" is a hard link: ignored/.test(r))).toBe(true);
    expect(reasons.some((r) => /note empty member: skipped/.test(r))).toBe(true);
  });

  it('zip: `../x`, absolute names, a symlink, an encrypted-flag member and an empty member are each named; the good member is read', async () => {
    py(`
import zipfile, stat
data = open('node3-any.pcap','rb').read()
with zipfile.ZipFile('evil.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('../x.pcap', data)
    z.writestr('/abs.pcap', data)
    i = zipfile.ZipInfo('link.pcap'); i.create_system = 3; i.external_attr = (stat.S_IFLNK | 0o777) << 16; z.writestr(i, '/etc/passwd')
    z.writestr('empty.pcap', b'')
    z.writestr('dir/', b'')
    z.writestr('good/node3-any.pcap', data)
`);
    const o = await open('evil.zip');
    expect(o.captures.map((c) => path.basename(c.name))).toEqual(['node3-any.pcap']);
    expect((await read(o.captures[0]!)).recs).toEqual(plain['node3-any.pcap']);
    const reasons = o.notes.map((n) => n.reason);
    expect(reasons.some((r) => /"..\/x.pcap" is refused: a path climbing out/.test(r))).toBe(true);
    expect(reasons.some((r) => /"\/abs.pcap" is refused: an absolute path/.test(r))).toBe(true);
    expect(reasons.some((r) => /"link.pcap" is a symbolic link: ignored/.test(r))).toBe(true);
    expect(reasons.some((r) => /empty member: skipped/.test(r))).toBe(true);
  });

  it('member names are untrusted text: line breaks and bidirectional overrides are shown escaped', async () => {
    py(`
import tarfile
with tarfile.open('names.tar', 'w') as t:
    t.add('node3-any.pcap', arcname='evil\\nline\\u202egnp.pcap')
`);
    const o = await open('names.tar');
    expect(o.captures.map((c) => path.basename(c.name))).toEqual(['evil\\x0aline\\x202egnp.pcap']);
    expect(o.origins[0]!.member).toBe('evil\nline\u202egnp.pcap');
    expect((await read(o.captures[0]!)).recs).toEqual(plain['node3-any.pcap']);
  });

  it('zip64: the zip64 end record and extra fields are followed', async () => {
    run('zip', ['-q', '-fz', 'z64.zip', 'node1-any.pcap', 'node3-any.pcap']);
    const b = new Uint8Array(readFileSync(path.join(dir, 'z64.zip')));
    // Point the classic end record at the zip64 one (0xFFFF count, 0xFFFFFFFF size and offset), as a >4 GiB archive has it.
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    const end = b.length - 22;
    expect(dv.getUint32(end, true)).toBe(0x06054b50);
    dv.setUint16(end + 8, 0xffff, true); dv.setUint16(end + 10, 0xffff, true);
    dv.setUint32(end + 12, 0xffffffff, true); dv.setUint32(end + 16, 0xffffffff, true);
    const o = await openInputs([bytesSource(b, 'z64.zip')]);
    expect(o.notes).toEqual([]);
    expect(o.captures.map((c) => c.name)).toEqual(['z64.zip/node1-any.pcap', 'z64.zip/node3-any.pcap']);
    for (const c of o.captures) expect((await read(c)).recs).toEqual(plain[path.basename(c.name)]);
  });

  it.each(['a.tar', 'a.tgz', 'a.zip'])('%s cut short anywhere: a named error (or the reader\'s on the cut member), every whole member before the cut read as the plain file, nothing thrown', async (file) => {
    const whole = new Uint8Array(readFileSync(path.join(dir, file)));
    for (const frac of [0.001, 0.2, 0.5, 0.8, 0.97, 0.999]) {
      const cut = whole.subarray(0, Math.floor(whole.length * frac));
      const o = await openInputs([bytesSource(cut, file)]);
      const errors = o.notes.filter((n) => n.severity === 'error');
      let readerErrors = 0;
      let wholeMembers = 0;
      for (const c of o.captures) {
        const got = await read(c);
        readerErrors += got.errors.length;
        const want = plain[path.basename(c.name)];
        // Too little of a tgz to tell what the gzip holds: read as a capture, whose error is the gzip's.
        if (!want) {
          expect(got.recs).toEqual([]);
          expect(got.errors.join()).toMatch(/^gzip: /);
          continue;
        }
        // What was read is a prefix of the plain file's records.
        expect(got.recs).toEqual(want.slice(0, got.recs.length));
        if (got.recs.length === want.length && !got.errors.length) wholeMembers++;
      }
      // Only the end-of-archive padding cut: every member is whole (a warning at most).
      if (wholeMembers === 2) continue;
      expect(errors.length + readerErrors, `${file} cut at ${frac}`).toBeGreaterThan(0);
      for (const e of errors) expect(e.reason).toMatch(/cut short|truncated|end of central directory|past the end|trailer missing or damaged/);
    }
  });

  it('10,001 members in a tar and 100,000 in a zip: a named error at 10,000, bounded in time', async () => {
    py(`
import tarfile, io, zipfile
with tarfile.open('many.tar', 'w') as t:
    for k in range(10001):
        i = tarfile.TarInfo('m%05d.txt' % k); i.size = 1; t.addfile(i, io.BytesIO(b'x'))
with zipfile.ZipFile('many.zip', 'w', zipfile.ZIP_STORED) as z:
    for k in range(100000):
        z.writestr('m%06d.txt' % k, b'')
`);
    const t0 = Date.now();
    const t = await open('many.tar');
    expect(t.notes.filter((n) => n.severity === 'error').map((n) => n.reason)).toEqual(['the archive holds more than 10000 members, the most one archive may; the rest are not read']);
    expect(t.sidecars).toHaveLength(10_000);
    const z = await open('many.zip');
    expect(z.notes.filter((n) => n.severity === 'error').map((n) => n.reason)).toEqual(['the archive holds 100000 members, more than 10000, the most one archive may; the rest are not read']);
    expect(z.captures).toHaveLength(0);
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 120_000);

  it('compression bombs: a zip member declaring > 200:1 is refused unread; a tar.gz of zeros stops at the ratio bound', async () => {
    py(`
import zipfile, tarfile, io
zeros = bytes(16 * 1024 * 1024)
with zipfile.ZipFile('bomb.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open('zeros.pcap', 'w', force_zip64=True) as f:
        for _ in range(16): f.write(zeros)
    z.writestr('node3-any.pcap', open('node3-any.pcap','rb').read())
with tarfile.open('bomb.tar.gz', 'w:gz', compresslevel=9) as t:
    i = tarfile.TarInfo('zeros.pcap'); i.size = 16 * len(zeros)
    class Z(io.RawIOBase):
        left = i.size
        def readinto(self, b):
            n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
    t.addfile(i, Z())
`);
    const z = await open('bomb.zip');
    expect(z.notes.map((n) => n.reason).filter((r) => /compression bomb/.test(r))).toHaveLength(1);
    expect(z.captures.map((c) => path.basename(c.name))).toEqual(['node3-any.pcap']);
    const t = await open('bomb.tar.gz');
    expect(t.notes.filter((n) => n.severity === 'error').map((n) => n.reason).join('\n')).toMatch(/beyond the 200:1 bound for a compression bomb/);
    expect(t.captures).toHaveLength(0);
  }, 120_000);

  it('archives nested deeper than the bound are noted, not opened', async () => {
    run('tar', ['cf', 'd1.tar', 'node3-any.pcap']);
    run('tar', ['cf', 'd2.tar', 'd1.tar']);
    run('tar', ['cf', 'd3.tar', 'd2.tar']);
    run('tar', ['cf', 'd4.tar', 'd3.tar']);
    const o = await open('d4.tar');
    expect(o.captures).toHaveLength(0);
    expect(o.notes.map((n) => n.reason).join('\n')).toMatch(/nested 4 deep \(more than 3\): not opened/);
    expect((await open('d3.tar')).captures).toHaveLength(1);
  });
});
