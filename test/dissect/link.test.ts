/**
 * Link types the corpus has no packets of: raw IP (101, 228, 229) and
 * OpenBSD loopback (108, network byte order), made from real packets with
 * their Ethernet header replaced, decoded as tshark decodes the same files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { LAYER_NAMES } from '../../src/dissect/layers.js';
import { corpusPresent } from '../helpers/corpus.js';
import { corpusPacket } from './packets.js';
import { tsharkPresent, tsharkTable } from './tshark.js';

const cfg = new DissectConfig();

function pcap(linkType: number, frames: Uint8Array[]): string {
  const head = new Uint8Array(24);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true); dv.setUint16(4, 2, true); dv.setUint16(6, 4, true); dv.setUint32(16, 65535, true); dv.setUint32(20, linkType, true);
  const parts: Uint8Array[] = [head];
  for (const f of frames) {
    const rec = new Uint8Array(16);
    new DataView(rec.buffer).setUint32(8, f.length, true); new DataView(rec.buffer).setUint32(12, f.length, true);
    parts.push(rec, f);
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'os-link-')), `lt${linkType}.pcap`);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

const layers = (p: DecodedPacket): string[] => Array.from(p.layerIds.subarray(0, p.layerCount), (id) => LAYER_NAMES[id]!).filter((l) => l !== 'data');

describe.skipIf(!corpusPresent)('raw IP and loopback link types', () => {
  it.each([
    [101, 'zeek__get.pcap', 1, ['ipv4', 'tcp'], 'raw:ip:tcp'],
    [228, 'zeek__get.pcap', 1, ['ipv4', 'tcp'], 'ip:tcp'],
    [229, 'tcpdump__icmpv6.pcap', 1, ['ipv6', 'icmpv6'], 'ipv6:icmpv6'],
    [101, 'tcpdump__icmpv6.pcap', 1, ['ipv6', 'icmpv6'], 'raw:ipv6:icmpv6'],
    [108, 'gopacket__test_dns.pcap', 2, ['null', 'ipv4', 'udp', 'dns'], 'null:ip:udp:dns'],
  ] as Array<[number, string, number, string[], string]>)('link type %i from %s frame %i', async (lt, file, n, want, tsharkStack) => {
    const eth = (await corpusPacket(file, n)).bytes;
    let frame = eth.subarray(14);
    if (lt === 108) {
      frame = new Uint8Array(eth.length - 10);
      frame.set([0, 0, 0, 2]); // AF_INET, network byte order
      frame.set(eth.subarray(14), 4);
    }
    const p = new DecodedPacket();
    decodePacket(p, frame, 0, frame.length, lt, cfg);
    expect(layers(p)).toEqual(want);
    expect(p.issueLayer).toBe(-1);
    if (!tsharkPresent) return;
    const [row] = tsharkTable(pcap(lt, [frame]), ['frame.protocols', 'ip.src', 'ipv6.src']);
    // tshark shows a `raw` layer for 101 only, and `null` for 108 as for 0: we record `null` for both, nothing for raw IP.
    expect(row!['frame.protocols']![0]).toBe(tsharkStack);
    const src = p.ipVersion[0] === 4 ? row!['ip.src']! : row!['ipv6.src']!;
    expect(src.length).toBe(1);
  });
});
