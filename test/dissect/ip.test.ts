/**
 * IPv4 options and fragments, from a real TCP SYN (zeek__get.pcap frame 1)
 * with its IPv4 header edited: a Router Alert option added, then turned into
 * a later fragment. Each variant is checked against tshark on the same bytes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { describePacket } from '../../src/dissect/describe.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { LAYER_NAMES } from '../../src/dissect/layers.js';
import { corpusPresent } from '../helpers/corpus.js';
import { corpusPacket } from './packets.js';
import { tsharkPresent, tsharkTable } from './tshark.js';

const cfg = new DissectConfig();

function pcapOf(frames: Uint8Array[]): string {
  const parts: Uint8Array[] = [new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0])];
  for (const f of frames) {
    const rec = new Uint8Array(16);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, 1_700_000_000, true); dv.setUint32(8, f.length, true); dv.setUint32(12, f.length, true);
    parts.push(rec, f);
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'os-ip-')), 'ip.pcap');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** The frame with a 4-byte IPv4 Router Alert option (RFC 2113) inserted after the 20-byte header. */
function withOption(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 34));
  out.set([0x94, 0x04, 0x00, 0x00], 34);
  out.set(frame.subarray(34), 38);
  out[14] = 0x46; // IHL 6
  const total = ((out[16]! << 8) | out[17]!) + 4;
  out[16] = total >> 8; out[17] = total & 255;
  return out;
}

describe.skipIf(!corpusPresent)('IPv4 options and fragments', () => {
  it('decodes past an IPv4 option and shows it, as tshark does', async () => {
    const frame = withOption((await corpusPacket('zeek__get.pcap', 1)).bytes);
    const p = new DecodedPacket();
    decodePacket(p, frame, 0, frame.length, 1, cfg);
    expect(Array.from(p.layerIds.subarray(0, p.layerCount), (id) => LAYER_NAMES[id])).toEqual(['eth', 'ipv4', 'tcp']);
    expect([p.srcPort[0], p.dstPort[0], p.tcpMss[0]]).toEqual([59856, 80, 1460]);
    expect(p.layerStart[2]).toBe(38);
    const ip = describePacket(frame, 1, cfg).find((l) => l.layer === 'ipv4')!;
    expect(ip.length).toBe(24);
    expect(ip.fields.find((f) => f.name === 'Options')).toMatchObject({ start: 34, length: 4 });
    if (!tsharkPresent) return;
    const [row] = tsharkTable(pcapOf([frame]), ['ip.hdr_len', 'ip.opt.type', 'tcp.srcport', 'tcp.options.mss_val']);
    expect(row).toEqual({ 'ip.hdr_len': ['24'], 'ip.opt.type': ['148'], 'tcp.srcport': ['59856'], 'tcp.options.mss_val': ['1460'] });
  });

  it('marks first and later fragments; a later fragment has no transport header', async () => {
    const base = (await corpusPacket('zeek__get.pcap', 1)).bytes;
    const first = base.slice();
    first[20] = 0x20; first[21] = 0x00; // MF, offset 0
    const later = base.slice();
    later[20] = 0x00; later[21] = 185; // offset 185 × 8 = 1480 bytes, last fragment
    const p = new DecodedPacket();
    decodePacket(p, first, 0, first.length, 1, cfg);
    expect([p.ipFragment[0], p.has(10)]).toEqual([1, true]);
    decodePacket(p, later, 0, later.length, 1, cfg);
    expect(p.ipFragment[0]).toBe(2);
    expect(Array.from(p.layerIds.subarray(0, p.layerCount), (id) => LAYER_NAMES[id])).toEqual(['eth', 'ipv4']);
    expect(p.issueLayer).toBe(-1);
    if (!tsharkPresent) return;
    const rows = tsharkTable(pcapOf([first, later]), ['ip.flags.mf', 'ip.frag_offset', 'tcp.srcport'], ['-o', 'ip.defragment:FALSE']);
    expect(rows.map((r) => [r['ip.flags.mf']![0], r['ip.frag_offset']![0], r['tcp.srcport']![0] ?? ''])).toEqual([['1', '0', '59856'], ['0', '185', '']]);
  });
});
