/**
 * TCP options beyond what the corpus holds: a SACK block, written over the
 * timestamp option of a real ACK (zeek__get.pcap frame 3: NOP NOP TS → NOP NOP
 * SACK, same length), decoded and described as tshark does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { describePacket } from '../../src/dissect/describe.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { corpusPresent } from '../helpers/corpus.js';
import { corpusPacket } from './packets.js';
import { tsharkPresent, tsharkTable } from './tshark.js';

const cfg = new DissectConfig();

describe.skipIf(!corpusPresent)('TCP SACK option', () => {
  it('counts SACK blocks, clears timestamps, and shows the block edges where tshark finds them', async () => {
    const frame = (await corpusPacket('zeek__get.pcap', 3)).bytes.slice();
    const opt = 14 + 20 + 20; // Ethernet + IPv4 + TCP fixed header
    expect(Array.from(frame.subarray(opt, opt + 4))).toEqual([1, 1, 8, 10]);
    const dv = new DataView(frame.buffer);
    frame[opt + 2] = 5; // SACK, length 10: one block
    dv.setUint32(opt + 4, 1_000_000); dv.setUint32(opt + 8, 1_001_448);
    const p = new DecodedPacket();
    decodePacket(p, frame, 0, frame.length, 1, cfg);
    expect([p.tcpSackBlocks[0], p.tcpHasTs[0], p.malformed]).toEqual([1, 0, 0]);
    const tcp = describePacket(frame, 1, cfg).find((l) => l.layer === 'tcp')!;
    const sack = tcp.fields.find((f) => f.name === 'Options')!.children!.find((f) => f.name === 'SACK')!;
    expect(sack).toMatchObject({ start: opt + 2, length: 10, value: '1 blocks' });
    expect(sack.children).toEqual([{ name: 'Block', value: '1000000-1001448', start: opt + 4, length: 8 }]);
    if (!tsharkPresent) return;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'os-sack-')), 'sack.pcap');
    const rec = new Uint8Array(16);
    new DataView(rec.buffer).setUint32(8, frame.length, true); new DataView(rec.buffer).setUint32(12, frame.length, true);
    writeFileSync(file, Buffer.concat([new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]), rec, frame]));
    const [row] = tsharkTable(file, ['tcp.options.sack_le', 'tcp.options.sack_re', 'tcp.options.sack.count', 'tcp.options.timestamp.tsval'], ['-o', 'tcp.relative_sequence_numbers:FALSE']);
    expect(row).toEqual({ 'tcp.options.sack_le': ['1000000'], 'tcp.options.sack_re': ['1001448'], 'tcp.options.sack.count': ['1'], 'tcp.options.timestamp.tsval': [] });
  });
});
