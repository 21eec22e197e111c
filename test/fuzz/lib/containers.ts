/**
 * Fuzz inputs that are containers (issue #16): a capture (pristine or already
 * mutated) wrapped in gzip (one member or several, as `cat a.gz b.gz`
 * makes), tar, tar.gz, zip (deflated or stored) or an archive inside an
 * archive, or hostile archives (`../x`, absolute names, links, empty
 * members); then, often, mutated at the container's level: flipped and
 * extreme bytes, cuts, inserted and deleted runs, tar header fields rewritten
 * with their checksum made right again (so the lie gets past the checksum),
 * zip record fields and gzip header flags set to extremes.
 *
 * Everything is made in-process (fflate, a small ustar writer), so input i of
 * seed S is the same bytes on every machine; one pool of archives made by
 * the real tools (Info-ZIP zip with forced zip64, GNU tar's pax format,
 * Python's tarfile and zipfile) is added when those tools are installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync, zipSync } from 'fflate';
import type { Rng } from './rng.js';

export interface ContainerSeed { name: string; bytes: Uint8Array }

export const WRAP_KINDS = ['gzip', 'gzip-members', 'tar', 'tgz', 'zip', 'zip-stored', 'nested', 'hostile-tar'] as const;
export type WrapKind = (typeof WRAP_KINDS)[number];

const TEXT = new TextEncoder().encode('-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -j KUBE-SVC-X\n');

/** True when the bytes start as a container the app opens (gzip, tar, zip). */
export function isContainer(b: Uint8Array): boolean {
  if (b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b) return true;
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b) return true;
  return b.length >= 262 && String.fromCharCode(...b.subarray(257, 262)) === 'ustar';
}

interface TarEntry { name: string; data?: Uint8Array; type?: string; linkname?: string }

function octal(h: Uint8Array, o: number, n: number, v: number): void {
  const s = v.toString(8).padStart(n - 1, '0');
  for (let i = 0; i < n - 1; i++) h[o + i] = s.charCodeAt(i);
  h[o + n - 1] = 0;
}

function ascii(h: Uint8Array, o: number, s: string, n: number): void {
  const b = new TextEncoder().encode(s).subarray(0, n);
  h.set(b, o);
}

/** Sets a tar header's checksum (bytes 148..156) from its other bytes. */
export function fixTarChecksum(h: Uint8Array, o = 0): void {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[o + i]!;
  const s = sum.toString(8).padStart(6, '0');
  for (let i = 0; i < 6; i++) h[o + 148 + i] = s.charCodeAt(i);
  h[o + 154] = 0;
  h[o + 155] = 0x20;
}

/** A POSIX ustar archive (IEEE 1003.1): 512-byte headers, data padded to 512, two zero blocks. */
export function tar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    const h = new Uint8Array(512);
    ascii(h, 0, e.name, 100);
    octal(h, 100, 8, 0o644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, data.length);
    octal(h, 136, 12, 1_700_000_000);
    h[156] = (e.type ?? '0').charCodeAt(0);
    if (e.linkname) ascii(h, 157, e.linkname, 100);
    ascii(h, 257, 'ustar\u000000', 8);
    fixTarChecksum(h);
    parts.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return concatBytes(parts);
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const ZIP_TIME = new Date(2024, 0, 1);

/** `captures` (one or two) as the given container; names end in .pcap or .pcapng by their magic. */
export function wrap(kind: WrapKind, captures: readonly Uint8Array[], rng: Rng): Uint8Array {
  const name = (b: Uint8Array, i: number): string => `node${i + 1}-any.${b[0] === 0x0a && b[1] === 0x0d ? 'pcapng' : 'pcap'}`;
  const level = rng.pick([0, 1, 6, 9] as const);
  const entries = (): TarEntry[] => [...captures.map((b, i) => ({ name: name(b, i), data: b })), { name: 'iptables-rules.txt', data: TEXT }];
  const zipFiles = (lv: 0 | 1 | 6 | 9): Record<string, [Uint8Array, { level: 0 | 1 | 6 | 9; mtime: Date }]> =>
    Object.fromEntries(entries().map((e) => [e.name, [e.data!, { level: lv, mtime: ZIP_TIME }]]));
  switch (kind) {
    case 'gzip': return gzipSync(captures[0]!, { level, mtime: 0 });
    case 'gzip-members': {
      // Members one after another, cut anywhere in the capture (cat a.gz b.gz).
      const c = captures[0]!;
      const cuts = [0, rng.below(c.length + 1), rng.below(c.length + 1), c.length].sort((a, b) => a - b);
      return concatBytes(cuts.slice(1).map((e, i) => gzipSync(c.subarray(cuts[i]!, e), { level, mtime: 0 })));
    }
    case 'tar': return tar(entries());
    case 'tgz': return gzipSync(tar(entries()), { level, mtime: 0 });
    case 'zip': return zipSync(zipFiles(level === 0 ? 6 : level));
    case 'zip-stored': return zipSync(zipFiles(0));
    case 'nested': {
      // Retina's all-captures layout: an archive of per-node archives.
      const inner = captures.map((b, i) => ({ name: `cap-node${i + 1}-20240101000000UTC.tar.gz`, data: gzipSync(tar([{ name: name(b, i), data: b }, { name: 'iptables-rules.txt', data: TEXT }]), { mtime: 0 }) }));
      return gzipSync(tar(inner), { level, mtime: 0 });
    }
    case 'hostile-tar': {
      const c = captures[0]!;
      return tar([
        { name: '../x.pcap', data: c }, { name: '/etc/abs.pcap', data: c }, { name: 'C:\\win.pcap', data: c },
        { name: 'link.pcap', type: '2', linkname: '/etc/passwd' }, { name: 'hard.pcap', type: '1', linkname: 'node1-any.pcap' },
        { name: 'empty.pcap', data: new Uint8Array(0) }, { name: 'dir/', type: '5' }, { name: 'fifo', type: '6' },
        { name: 'ok/node1-any.pcap', data: c },
      ]);
    }
  }
}

const EXTREME8 = [0, 0xff, 0x7f, 0x80, 0x30, 0x37, 0x20];
const EXTREME32 = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0xfffe, 0xffff, 0x10000];

/** Offsets of a 4-byte little-endian signature (zip records), at most `max`. */
function findSig(b: Uint8Array, sig: number, max = 64): number[] {
  const out: number[] = [];
  const s0 = sig & 0xff, s1 = (sig >>> 8) & 0xff, s2 = (sig >>> 16) & 0xff, s3 = sig >>> 24;
  for (let i = 0; i + 4 <= b.length && out.length < max; i++) {
    if (b[i] === s0 && b[i + 1] === s1 && b[i + 2] === s2 && b[i + 3] === s3) out.push(i);
  }
  return out;
}

/** Tar headers (blocks at 512-byte boundaries whose magic says ustar). */
function tarHeaders(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let o = 0; o + 512 <= b.length && out.length < 256; o += 512) {
    if (b[o + 257] === 0x75 && b[o + 258] === 0x73 && b[o + 259] === 0x74) out.push(o);
  }
  return out;
}

type ContainerMutator = (b: Uint8Array, rng: Rng) => Uint8Array;

const CONTAINER_MUTATORS: ReadonlyArray<readonly [string, ContainerMutator]> = [
  ['c-flip', (b, rng) => {
    const x = b.slice();
    for (let k = rng.int(1, 4); k > 0 && x.length; k--) x[rng.below(x.length)] = rng.below(256);
    return x;
  }],
  ['c-cut', (b, rng) => b.slice(0, rng.below(b.length + 1))],
  ['c-extreme-run', (b, rng) => {
    const x = b.slice();
    const at = rng.below(x.length);
    x.fill(rng.pick(EXTREME8), at, Math.min(x.length, at + rng.int(1, 12)));
    return x;
  }],
  ['c-insert', (b, rng) => {
    const at = rng.below(b.length + 1);
    const n = rng.int(1, 64);
    const ins = new Uint8Array(n).map(() => rng.below(256));
    return concatBytes([b.subarray(0, at), ins, b.subarray(at)]);
  }],
  ['c-delete', (b, rng) => {
    const at = rng.below(b.length);
    const n = Math.min(b.length - at, rng.int(1, 600));
    return concatBytes([b.subarray(0, at), b.subarray(at + n)]);
  }],
  ['c-u32', (b, rng) => {
    const x = b.slice();
    const at = rng.below(x.length);
    if (at + 4 <= x.length) new DataView(x.buffer, x.byteOffset, x.length).setUint32(at, rng.pick(EXTREME32), true);
    return x;
  }],
  ['c-tar-field', (b, rng) => {
    // A field of a tar header rewritten, its checksum made right again: the lie gets past the checksum.
    const hs = tarHeaders(b);
    if (!hs.length) return b.slice();
    const x = b.slice();
    const h = rng.pick(hs);
    const f = rng.below(6);
    if (f === 0) {
      // Size: 0, huge octal, base-256, not octal, or off by a little.
      const v = rng.pick(['77777777777', '00000000000', '99999999999', '', 'base256', 'near']);
      if (v === 'base256') { x.fill(0, h + 124, h + 136); x[h + 124] = 0x80; x[h + 131] = rng.below(256); x[h + 135] = rng.below(256); }
      else if (v === 'near') {
        const s = Number.parseInt(String.fromCharCode(...x.subarray(h + 124, h + 135)), 8) || 0;
        octal(x, h + 124, 12, Math.max(0, s + rng.int(-600, 600)));
      } else { x.fill(0x20, h + 124, h + 136); ascii(x, h + 124, v, 11); }
    } else if (f === 1) x[h + 156] = rng.pick([0x30, 0x31, 0x32, 0x35, 0x4c, 0x78, 0x67, 0x4b, 0x53, 0x00, 0x37, 0xff]);
    else if (f === 2) ascii(x, h, rng.pick(['../../x.pcap', '/abs.pcap', 'a\nb.pcap', '\u202egnp.pcap', 'C:x.pcap', '']), 100);
    else if (f === 3) { x.fill(0, h + 345, h + 500); ascii(x, h + 345, rng.pick(['..', '/', 'a/../..', 'x'.repeat(155)]), 155); }
    else if (f === 4) x.fill(rng.pick(EXTREME8), h + 257, h + 265);
    else x.fill(0, h, h + 100);
    fixTarChecksum(x, h);
    return x;
  }],
  ['c-zip-field', (b, rng) => {
    // A field of a zip record (local header, central directory entry, end records) set to an extreme.
    const recs = [...findSig(b, 0x04034b50), ...findSig(b, 0x02014b50), ...findSig(b, 0x06054b50), ...findSig(b, 0x06064b50), ...findSig(b, 0x07064b50)];
    if (!recs.length) return b.slice();
    const x = b.slice();
    const at = rng.pick(recs) + 4 + 2 * rng.below(24);
    const dv = new DataView(x.buffer, x.byteOffset, x.length);
    if (at + 4 <= x.length && rng.chance(0.5)) dv.setUint32(at, rng.pick(EXTREME32), true);
    else if (at + 2 <= x.length) dv.setUint16(at, rng.pick([0, 0xffff, 0x8000, 1, 8, 12, 99, 0x800]), true);
    return x;
  }],
  ['c-gzip-header', (b, rng) => {
    // FLG bits (FEXTRA, FNAME, FCOMMENT, FHCRC, reserved), method, or ISIZE of the last member.
    const x = b.slice();
    if (x.length < 18) return x;
    const w = rng.below(3);
    if (w === 0) x[3] = rng.below(256);
    else if (w === 1) x[2] = rng.pick([0, 7, 8, 9, 0xff]);
    else new DataView(x.buffer, x.byteOffset, x.length).setUint32(x.length - 4, rng.pick(EXTREME32), true);
    return x;
  }],
];

/** Applies `n` container-level mutations. */
export function mutateContainer(b: Uint8Array, rng: Rng, n: number): { bytes: Uint8Array; ops: string[] } {
  let cur = b;
  const ops: string[] = [];
  for (let k = 0; k < n; k++) {
    const [name, fn] = rng.pick(CONTAINER_MUTATORS);
    cur = fn(cur, rng);
    ops.push(name);
  }
  return { bytes: cur, ops };
}

/**
 * Archives made by the real tools from one small capture (GNU tar pax,
 * Info-ZIP zip with forced zip64, Python's tarfile and zipfile with
 * force_zip64, gzip members concatenated by cat); files dated 2024-01-01 and
 * gzip without names or times, so the pool is the same bytes on every run.
 * Tools that are missing leave their entries out.
 */
export function toolPool(capture: Uint8Array): ContainerSeed[] {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-fuzz-containers-'));
  const out: ContainerSeed[] = [];
  try {
    writeFileSync(path.join(tmp, 'node1-any.pcap'), capture);
    writeFileSync(path.join(tmp, 'iptables-rules.txt'), TEXT);
    const t = new Date('2024-01-01T00:00:00Z');
    for (const f of ['node1-any.pcap', 'iptables-rules.txt']) utimesSync(path.join(tmp, f), t, t);
    const env = { ...process.env, TZ: 'UTC', GZIP: '-n' };
    const steps: Array<[string, string, string[]]> = [
      ['tool:pax.tar', 'tar', ['--format=pax', '--mtime=@1704067200', '--owner=0', '--group=0', '--numeric-owner', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-cf', 'pax.tar', 'node1-any.pcap', 'iptables-rules.txt']],
      ['tool:gnu.tgz', 'sh', ['-c', 'tar --format=gnu --mtime=@1704067200 --owner=0 --group=0 --numeric-owner -cf - node1-any.pcap iptables-rules.txt | gzip -n -6 > gnu.tgz']],
      ['tool:z64.zip', 'zip', ['-q', '-X', '-fz', 'z64.zip', 'node1-any.pcap', 'iptables-rules.txt']],
      ['tool:members.pcap.gz', 'sh', ['-c', 'head -c 40000 node1-any.pcap | gzip -n > a.gz && tail -c +40001 node1-any.pcap | gzip -n -1 > b.gz && cat a.gz b.gz > members.pcap.gz']],
      ['tool:py64.zip', 'python3', ['-c', [
        'import zipfile',
        "d = open('node1-any.pcap','rb').read()",
        "z = zipfile.ZipFile('py64.zip', 'w', zipfile.ZIP_DEFLATED)",
        "i = zipfile.ZipInfo('node1-any.pcap', (2024,1,1,0,0,0)); i.compress_type = zipfile.ZIP_DEFLATED",
        "f = z.open(i, 'w', force_zip64=True); f.write(d); f.close(); z.close()",
      ].join('\n')]],
    ];
    for (const [name, cmd, args] of steps) {
      const r = spawnSync(cmd, args, { cwd: tmp, env, timeout: 30_000, stdio: 'ignore' });
      const file = path.join(tmp, name.slice(5));
      if (r.status === 0 && existsSync(file)) out.push({ name, bytes: new Uint8Array(readFileSync(file)) });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
