/**
 * pcapng: both byte orders, several sections, interfaces with their names,
 * descriptions, time resolutions (10^-n and 2^-n) and offsets, enhanced,
 * simple and obsolete packet blocks, name-resolution/statistics/custom and
 * unknown blocks, several link types in one file; broken blocks stop the file
 * with the offset and reason, keeping every packet before them. Real corpus
 * files, and files assembled from real packets checked against tshark.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINKTYPE_CUSTOM_BLOCK, NO_INTERFACE } from '../../src/capture/types.js';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';
import { corpusPacket } from '../dissect/packets.js';
import { tsharkPresent } from '../dissect/tshark.js';
import { frames, readBytes } from './records.js';

function corpusBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(corpusPath(name)));
}

// ------------------------------------------------------------- a tiny pcapng writer (for assembling real packets)

class Writer {
  private readonly parts: Uint8Array[] = [];
  constructor(private le = true) {}
  block(type: number, body: Uint8Array): this {
    const padded = (body.length + 3) & ~3;
    const total = 12 + padded;
    const b = new Uint8Array(total);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, type, this.le); dv.setUint32(4, total, this.le);
    b.set(body, 8);
    dv.setUint32(total - 4, total, this.le);
    this.parts.push(b);
    return this;
  }
  section(le: boolean): this {
    this.le = le;
    const body = new Uint8Array(16);
    const dv = new DataView(body.buffer);
    dv.setUint32(0, 0x1a2b3c4d, le); dv.setUint16(4, 1, le); dv.setUint16(6, 0, le);
    dv.setInt32(8, -1, le); dv.setInt32(12, -1, le);
    return this.block(0x0a0d0d0a, body);
  }
  options(opts: Array<[number, Uint8Array]>): Uint8Array {
    const parts: number[] = [];
    for (const [code, v] of opts) {
      const h = new Uint8Array(4);
      new DataView(h.buffer).setUint16(0, code, this.le); new DataView(h.buffer).setUint16(2, v.length, this.le);
      parts.push(...h, ...v, ...new Array((4 - (v.length % 4)) % 4).fill(0));
    }
    parts.push(0, 0, 0, 0);
    return new Uint8Array(parts);
  }
  interface(linkType: number, opts: Array<[number, Uint8Array]>): this {
    const o = this.options(opts);
    const body = new Uint8Array(8 + o.length);
    const dv = new DataView(body.buffer);
    dv.setUint16(0, linkType, this.le); dv.setUint32(4, 0, this.le);
    body.set(o, 8);
    return this.block(1, body);
  }
  epb(iface: number, units: bigint, data: Uint8Array, type = 6): this {
    const body = new Uint8Array(20 + ((data.length + 3) & ~3));
    const dv = new DataView(body.buffer);
    if (type === 2) { dv.setUint16(0, iface, this.le); dv.setUint16(2, 0, this.le); } else dv.setUint32(0, iface, this.le);
    dv.setUint32(4, Number(units >> 32n), this.le); dv.setUint32(8, Number(units & 0xffffffffn), this.le);
    dv.setUint32(12, data.length, this.le); dv.setUint32(16, data.length, this.le);
    body.set(data, 20);
    return this.block(type, body);
  }
  spb(data: Uint8Array): this {
    const body = new Uint8Array(4 + data.length);
    new DataView(body.buffer).setUint32(0, data.length, this.le);
    body.set(data, 4);
    return this.block(3, body);
  }
  bytes(): Uint8Array {
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
function u64(v: bigint, le: boolean): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, le);
  return b;
}

describe.skipIf(!corpusPresent)('pcapng on real files', () => {
  it('reads the little- and big-endian versions of a 3-section file to the same records (gopacket test202)', async () => {
    const le = await readBytes(corpusBytes('gopacket__le__test202.pcapng'));
    const be = await readBytes(corpusBytes('gopacket__be__test202.pcapng'));
    expect(be.recs).toEqual(le.recs);
    expect(le.ifaces.map((i) => [i.id, i.linkType, i.name, i.snapLen])).toEqual([
      [0, 1, 'eth0', 96], [1, 0, 'null1', 0], [2, 1, 'silly ethernet interface 2', 128], [3, 1, 'eth0', 96], [4, 0, 'null1', 0],
    ]);
    expect(be.ifaces).toEqual(le.ifaces);
    // Custom blocks are records of no interface and no time (as Wireshark shows them); simple packets have no time.
    expect(le.recs.map((r) => (r.linkType === LINKTYPE_CUSTOM_BLOCK ? 'custom' : r.timeless ? 'spb' : 'epb'))).toEqual(
      ['custom', 'epb', 'epb', 'epb', 'spb', 'epb', 'custom', 'spb', 'epb', 'custom', 'epb']);
    expect(le.recs.filter((r) => r.linkType === LINKTYPE_CUSTOM_BLOCK).every((r) => r.iface === NO_INTERFACE)).toBe(true);
    expect(le.issues).toEqual([]);
  });

  it('keeps each interface\'s resolution (zeek__pcapng-multi-interface: 10^-9 and 10^-6; gopacket test902: 2^-8)', async () => {
    const multi = await readBytes(corpusBytes('zeek__pcapng-multi-interface.pcapng'));
    expect(multi.ifaces.map((i) => i.precision)).toEqual([9, 6]);
    const pow2 = await readBytes(corpusBytes('gopacket__le__test902.pcapng'));
    expect(pow2.ifaces[0]!.precision).toBe(3);
    expect([pow2.recs[0]!.sec, pow2.recs[0]!.nsec]).toEqual([1519128000, 195312500]);
  });

  it('reads several link types in one file (many_interfaces-1: Ethernet, NULL, raw; modify-request: 274 and SLL too)', async () => {
    const r = await readBytes(corpusBytes('pcapplusplus__many_interfaces-1.pcapng'));
    expect(new Set(r.ifaces.map((i) => i.linkType))).toEqual(new Set([1, 0, 12]));
    expect(new Set(r.recs.map((x) => x.linkType))).toEqual(new Set([1, 0]));
    const m = await readBytes(corpusBytes('zeek__modify-request.pcapng'));
    expect(m.ifaces.length).toBe(126);
    expect(new Set(m.ifaces.map((i) => i.linkType))).toEqual(new Set([1, 274, 113]));
  });

  it('reads a file with a section header and an interface but no packets (tcpdump__empty.pcapng)', async () => {
    const r = await readBytes(corpusBytes('tcpdump__empty.pcapng'));
    expect([r.recs.length, r.ifaces.length, r.issues]).toEqual([0, 1, []]);
  });

  it('refuses an unknown section version naming the offset (libpcap__pcapng-invalid-vers-1.pcapng)', async () => {
    const r = await readBytes(corpusBytes('libpcap__pcapng-invalid-vers-1.pcapng'), 4096, 'v0.pcapng');
    expect(r.issues).toEqual([{ capture: 'v0.pcapng', packet: null, offset: 12, layer: 'pcapng', severity: 'error', reason: 'unsupported pcapng version 0.1 (only 1.x is defined)' }]);
  });
});

describe.skipIf(!corpusPresent)('pcapng assembled from real packets, checked against tshark', () => {
  async function assembled(): Promise<{ bytes: Uint8Array; eth: Uint8Array; sll2: Uint8Array }> {
    const eth = (await corpusPacket('zeek__get.pcap', 1)).bytes;
    const sll2 = (await corpusPacket('suricata__decode-sll2-01__input.pcap', 1)).bytes;
    const w = new Writer(true).section(true)
      .interface(1, [[2, text('cni0')], [3, text('pod network <b>&')], [9, new Uint8Array([3])], [14, u64(1_600_000_000n, true)]])
      .epb(0, 1_234n, eth) // 1.234 s after the offset, in milliseconds
      .block(4, new Uint8Array([1, 0, 9, 0, 10, 0, 0, 1, 0x68, 0x6f, 0x73, 0x74, 0, 0, 0, 0, 0, 0, 0, 0])) // NRB: 10.0.0.1 "host"
      .epb(0, 2_500n, eth, 2) // obsolete Packet Block
      .block(0x00000abc, new Uint8Array(12)) // an unknown block type, skipped by its length
      .block(5, new Uint8Array(16)) // ISB
      .section(false) // a second section, big-endian
      .interface(276, [[2, text('any')], [9, new Uint8Array([0x8a])]]) // 2^-10 s units
      .epb(0, (1_700_000_000n << 10n) + 512n, sll2)
      .spb(eth);
    return { bytes: w.bytes(), eth, sll2 };
  }

  it('reads names, descriptions, resolutions, offsets and every packet block type as tshark does', async () => {
    const { bytes, eth, sll2 } = await assembled();
    const r = await readBytes(bytes, 7);
    expect(r.issues).toEqual([]);
    // Interface 1 is SLL2: its first interface index takes its id, the SPB's (an Ethernet frame read
    // as SLL2: an index from its MAC bytes) a new interface 2 (src/capture/cooked-interfaces.ts).
    expect(r.ifaces.map((i) => [i.id, i.linkType, i.name, i.description, i.precision, i.parentId, i.ifindex])).toEqual([
      [0, 1, 'cni0', 'pod network <b>&', 3, undefined, undefined], [1, 276, 'any', null, 4, 1, 2], [2, 276, null, null, 4, 1, ((eth[4]! << 24) | (eth[5]! << 16) | (eth[6]! << 8) | eth[7]!) >>> 0],
    ]);
    expect(r.recs.map((x) => [x.sec, x.nsec, x.caplen, x.iface, x.timeless, x.linkType])).toEqual([
      [1_600_000_001, 234_000_000, eth.length, 0, false, 1],
      [1_600_000_002, 500_000_000, eth.length, 0, false, 1],
      [1_700_000_000, 500_000_000, sll2.length, 1, false, 276],
      [0, 0, eth.length, 2, true, 276],
    ]);
    if (!tsharkPresent) return;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'os-pcapng-')), 'assembled.pcapng');
    writeFileSync(file, bytes);
    const t = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.interface_name', '-e', 'frame.interface_description'], { encoding: 'utf8' });
    expect(t.stderr.replace(/^Running as user.*\n/m, '')).toBe('');
    const rows = t.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((x) => x.slice(0, 2))).toEqual([
      ['1600000001.234000000', String(eth.length)],
      ['1600000002.500000000', String(eth.length)],
      ['1700000000.500000000', String(sll2.length)],
      ['', String(eth.length)],
    ]);
    // tshark 4.0 looks names up by the section-local interface id in the file-wide list, so it names the
    // second section's interface 0 after the first section's: only the first section's names are comparable.
    expect(rows.slice(0, 2).map((x) => x.slice(2))).toEqual([['cni0', 'pod network <b>&'], ['cni0', 'pod network <b>&']]);
    expect(rows[2]!.slice(2)).toEqual(['cni0', 'pod network <b>&']);
  });

  it('stops at a block whose trailing length disagrees, keeping every packet before it', async () => {
    const { bytes } = await assembled();
    const fr = frames(bytes);
    const epb2 = fr.filter((f) => f.type === 6)[1]!; // the big-endian section's EPB
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(epb2.end - 4, 8, false);
    const r = await readBytes(bad, 64, 'trailer.pcapng');
    expect(r.recs.length).toBe(2);
    expect(r.issues).toEqual([{ capture: 'trailer.pcapng', packet: null, offset: epb2.end - 4, layer: 'pcapng', severity: 'error',
      reason: `block of type 0x6 at offset ${epb2.start} ends with length 8, but starts with ${epb2.end - epb2.start}` }]);
  });

  it('stops at a block length that is not a multiple of 4, or an EPB claiming more bytes than it holds', async () => {
    const { bytes } = await assembled();
    const fr = frames(bytes);
    const pb = fr.find((f) => f.type === 2)!;
    const odd = bytes.slice();
    new DataView(odd.buffer).setUint32(pb.start + 4, 30, true);
    const a = await readBytes(odd, 4096, 'odd.pcapng');
    expect(a.recs.length).toBe(1);
    expect(a.issues.filter((i) => i.severity === 'error')).toEqual([{ capture: 'odd.pcapng', packet: null, offset: pb.start + 4, layer: 'pcapng', severity: 'error',
      reason: 'block of type 0x2 has an invalid total length 30 (must be a multiple of 4 and at least 12)' }]);
    const epb = fr.find((f) => f.type === 6)!;
    const lying = bytes.slice();
    new DataView(lying.buffer).setUint32(epb.start + 20, 4000, true);
    const b = await readBytes(lying, 4096, 'lying.pcapng');
    expect(b.recs.length).toBe(0);
    expect(b.issues).toEqual([{ capture: 'lying.pcapng', packet: null, offset: epb.start + 20, layer: 'pcapng', severity: 'error',
      reason: `enhanced packet block claims 4000 captured bytes but holds only ${epb.end - epb.start - 32}` }]);
  });

  it('stops at a packet naming an interface the section does not describe', async () => {
    const { bytes } = await assembled();
    const epb = frames(bytes).find((f) => f.type === 6)!;
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(epb.start + 8, 3, true);
    const r = await readBytes(bad, 4096, 'iface.pcapng');
    expect(r.recs.length).toBe(0);
    expect(r.issues).toEqual([{ capture: 'iface.pcapng', packet: null, offset: epb.start + 8, layer: 'pcapng', severity: 'error',
      reason: 'enhanced packet block 1 names interface 3, but the section describes 1' }]);
  });
});
