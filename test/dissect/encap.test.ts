/**
 * The encapsulation fields we decode (GRE key, sequence number and PPTP call
 * id; ERSPAN session id, VLAN and timestamp; WireGuard type, indexes and
 * counter) on every frame of ../shared/corpus-encap, against a live tshark
 * (-T fields): the same values in the same order of headers. Skipped, with a
 * message, where the folder or tshark is absent.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { describePacket } from '../../src/dissect/describe.js';
import {
  LAYER_NAMES, TUNNEL_ERSPAN, TUNNEL_GRE, TUNNEL_IPIP, TUNNEL_NAMES, TUNNEL_NVGRE, TUNNEL_VXLAN, TUNNEL_WIREGUARD,
} from '../../src/dissect/layers.js';
import { corpusPresent } from '../helpers/corpus.js';
import { corpusPacket, CORPUS_ENCAP, encapPacket, encapPackets, encapPath, encapPresent } from './packets.js';
import { tsharkPresent, tsharkTable } from './tshark.js';

const cfg = new DissectConfig();
const FIELDS = ['gre.key', 'gre.sequence_number', 'gre.key.call_id', 'erspan.spanid', 'erspan.vlan', 'erspan.timestamp',
  'wg.type', 'wg.sender', 'wg.receiver', 'wg.counter'];
const files = encapPresent ? readdirSync(path.join(CORPUS_ENCAP, 'files')).sort() : [];
const hex8 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

function ours(p: DecodedPacket): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(FIELDS.map((f) => [f, [] as string[]]));
  for (let t = 0; t < p.tunnelCount; t++) {
    const type = p.tunnelType[t]!;
    if (type === TUNNEL_GRE || type === TUNNEL_NVGRE || type === TUNNEL_ERSPAN) {
      const flags = p.greFlags[t]!;
      const version = flags & 7;
      if (version === 0 && (flags & 0x2000) !== 0) {
        // NVGRE exposes the VSID (the key's high 24 bits); the key's low byte is the flow id.
        out['gre.key']!.push(type === TUNNEL_NVGRE ? `vsid ${p.tunnelVni[t]}` : hex8(p.tunnelVni[t]!));
      }
      if (version === 1) out['gre.key.call_id']!.push(String(p.tunnelVni[t]));
      if (p.greSeq[t]! >= 0) out['gre.sequence_number']!.push(String(p.greSeq[t]));
      if (p.erspanType[t]! >= 2) {
        out['erspan.spanid']!.push(String(p.tunnelVni[t]));
        out['erspan.vlan']!.push(String(p.erspanVlan[t]));
      }
      if (p.erspanType[t] === 3) out['erspan.timestamp']!.push(String(p.erspanTimestamp[t]));
    }
  }
  if (p.wgType !== 0) {
    out['wg.type']!.push(String(p.wgType));
    if (p.wgSender !== -1) out['wg.sender']!.push(hex8(p.wgSender));
    if (p.wgReceiver !== -1) out['wg.receiver']!.push(hex8(p.wgReceiver));
    if (p.wgCounterLo !== -1) out['wg.counter']!.push(String(p.wgCounterHi * 2 ** 32 + p.wgCounterLo));
  }
  return out;
}

describe.skipIf(!encapPresent || !tsharkPresent)('encapsulation fields against tshark on every frame of ../shared/corpus-encap', () => {
  it.each(files)('%s', async (file) => {
    const theirs = tsharkTable(encapPath(file), FIELDS);
    const pkts = await encapPackets(file);
    expect(theirs.length).toBe(pkts.length);
    const p = new DecodedPacket();
    let compared = 0;
    pkts.forEach((pkt, k) => {
      decodePacket(p, pkt.bytes, 0, pkt.bytes.length, pkt.linkType, cfg);
      const o = ours(p);
      const t = theirs[k]!;
      // An outer IPv4 fragment: tshark reassembles and dissects the tunnel on the last fragment
      // (the first shows as data); we decode the first fragment's headers. Not compared.
      if (p.netCount > 0 && p.ipFragment[0] !== 0) return;
      // NVGRE: tshark shows the whole key; we keep its VSID (high 24 bits).
      let g = 0;
      t['gre.key'] = (t['gre.key'] ?? []).map((v) => (o['gre.key']![g++]?.startsWith('vsid') ? `vsid ${Number(v) >>> 8}` : v));
      for (const f of FIELDS) {
        expect(o[f], `${file} frame ${k + 1} ${f}`).toEqual(t[f] ?? []);
        compared += o[f]!.length;
      }
    });
    if (/WireGuard|erspanII|erspan3|type-ii|type-iii|pptp|various_gre|zeek__erspan\.pcap/.test(file)) expect(compared, 'fields compared').toBeGreaterThan(0);
  });

  it('names the tunnel types and describes the new layers with byte ranges inside the frame', async () => {
    const seen = new Set<string>();
    for (const file of files) {
      const p = new DecodedPacket();
      for (const pkt of await encapPackets(file)) {
        decodePacket(p, pkt.bytes, 0, pkt.bytes.length, pkt.linkType, cfg);
        for (let t = 0; t < p.tunnelCount; t++) seen.add(TUNNEL_NAMES[p.tunnelType[t]!]!);
        for (const layer of describePacket(pkt.bytes, pkt.linkType, cfg)) {
          for (const f of layer.fields) {
            expect(f.start, `${file} ${layer.layer} ${f.name}`).toBeGreaterThanOrEqual(0);
            expect(f.start + f.length, `${file} ${layer.layer} ${f.name}`).toBeLessThanOrEqual(pkt.bytes.length);
          }
        }
      }
    }
    expect([...seen].sort()).toEqual(['erspan', 'geneve', 'gre', 'ipip', 'nvgre', 'wireguard'].sort());
    expect(TUNNEL_NAMES[TUNNEL_IPIP]).toBe('ipip');
    expect(TUNNEL_NAMES[TUNNEL_WIREGUARD]).toBe('wireguard');
  });
});

describe.skipIf(!encapPresent || !corpusPresent)('VXLAN mirrored through ERSPAN decodes on', () => {
  it('a real VXLAN frame (tcpdump__vxlan.pcap 1) behind a real ERSPAN II header (zeek__erspanII.pcap 1): two tunnel levels', async () => {
    const mirror = await encapPacket('zeek__erspanII.pcap', 1);
    const vx = await corpusPacket('tcpdump__vxlan.pcap', 1);
    // Eth(14) IPv4(20) GRE with sequence (8) ERSPAN II (8): the mirrored frame starts at 50.
    const head = mirror.bytes.subarray(0, 50);
    expect(head[12]! << 8 | head[13]!).toBe(0x0800);
    expect(head[36]! << 8 | head[37]!).toBe(0x88be);
    const b = new Uint8Array(50 + vx.bytes.length);
    b.set(head, 0);
    b.set(vx.bytes, 50);
    // The outer IPv4 total length now covers the longer mirrored frame.
    const total = b.length - 14;
    b[16] = total >> 8; b[17] = total & 0xff;
    const p = new DecodedPacket();
    decodePacket(p, b, 0, b.length, 1, cfg);
    expect(Array.from(p.layerIds.subarray(0, p.layerCount), (id) => LAYER_NAMES[id]).filter((l) => l !== 'data'))
      .toEqual(['eth', 'ipv4', 'gre', 'erspan', 'eth', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'icmp']);
    expect(p.issueLayer).toBe(-1);
    expect(Array.from(p.tunnelType.subarray(0, p.tunnelCount))).toEqual([TUNNEL_ERSPAN, TUNNEL_VXLAN]);
    expect(Array.from(p.netDepth.subarray(0, p.netCount))).toEqual([0, 1, 2]);
    expect(p.tunnelVni[0]).toBe(100);
    expect(p.tunnelInner[0]).toBe(50);
    expect(p.tunnelNet[1]).toBe(1);
  });
});
