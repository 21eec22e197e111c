/**
 * Every hard bound where the input controls a size, crossed by an input built
 * to cross it. Each refusal must name the file, the byte offset, the layer
 * and the reason, and the analysis of everything before it must be kept.
 */
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { LIMITS } from '../../src/capture/types.js';
import { MAX_LAYERS, MAX_NET, MAX_TUNNELS } from '../../src/dissect/decoded.js';
import { DNS_MAX_NAME, DNS_MAX_POINTER_HOPS, parseDnsMessage } from '../../src/dissect/dns-message.js';
import { MAX_PACKET_ISSUES } from '../../src/pipeline/analyze.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { HTTP_MAX_HEADER } from '../../src/flows/http-transactions.js';
import { Rng } from '../fuzz/lib/rng.js';
import { buildPcap, concat, epb, idb, options, pcapngBlock, shb, wr32, type FrameSpec } from '../fuzz/lib/structure.js';
import { handTcp, handUdp, httpWithoutEnd, nestedVxlan } from '../fuzz/lib/synth.js';

async function analyse(bytes: Uint8Array, name: string, opts: Record<string, unknown> = {}) {
  const session = await AnalysisSession.open([bytesSource(bytes, name)], opts);
  return { session, json: session.toJSON(), cap: session.captures[0]! };
}

const udp = (k: number) => handUdp(40000 + k, 5000, new TextEncoder().encode(`payload ${k}`));
const goodFrames = (n: number): FrameSpec[] => Array.from({ length: n }, (_, k) => ({ data: udp(k) }));

function errorOf(json: { issues: Array<{ severity: string; capture: string; offset: number; layer: string; reason: string; packet: number | null }> }) {
  const errs = json.issues.filter((i) => i.severity === 'error');
  expect(errs).toHaveLength(1);
  return errs[0]!;
}

describe('capture file bounds', () => {
  it(`refuses a pcap record longer than ${LIMITS.maxRecordLength} bytes, naming its offset, and keeps the records before it`, async () => {
    const good = buildPcap(1, goodFrames(3));
    const bad = new Uint8Array(16);
    wr32(bad, 8, LIMITS.maxRecordLength + 1, true);
    wr32(bad, 12, LIMITS.maxRecordLength + 1, true);
    const { json, cap } = await analyse(concat([good, bad, new Uint8Array(64)]), 'big-record.pcap');
    const e = errorOf(json);
    expect(e).toMatchObject({ capture: 'big-record.pcap', offset: good.length, layer: 'pcap', packet: 4 });
    expect(e.reason).toContain(`more than the ${LIMITS.maxRecordLength}-byte limit`);
    expect(cap.packets).toBe(3);
    expect(json.protocols['udp']).toBe(3);
    expect(json.captures[0]!.complete).toBe(false);
  });

  it('accepts a record of exactly the maximum length', async () => {
    const frame = new Uint8Array(LIMITS.maxRecordLength);
    frame.set(udp(0));
    const { json } = await analyse(buildPcap(1, [{ data: frame }, { data: udp(1) }]), 'max-record.pcap');
    expect(json.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(json.packets).toBe(2);
  });

  it(`refuses a pcapng block longer than ${LIMITS.maxBlockLength} bytes`, async () => {
    const head = concat([shb(), idb(1), epb(0, 1_700_000_000_000_000n, udp(0)), epb(0, 1_700_000_000_000_001n, udp(1))]);
    const lying = pcapngBlock(6, new Uint8Array(40));
    wr32(lying, 4, LIMITS.maxBlockLength + 4, true);
    const { json, cap } = await analyse(concat([head, lying]), 'big-block.pcapng');
    const e = errorOf(json);
    expect(e).toMatchObject({ capture: 'big-block.pcapng', offset: head.length + 4, layer: 'pcapng' });
    expect(e.reason).toContain(`more than the ${LIMITS.maxBlockLength}-byte limit`);
    expect(cap.packets).toBe(2);
  });

  it(`reads at most ${LIMITS.maxOptions} options of a block, says so, and reads on`, async () => {
    const many = options(Array.from({ length: LIMITS.maxOptions + 1 }, () => ({ code: 0x4000, value: new Uint8Array(0) })));
    const withName = options([{ code: 2, value: new TextEncoder().encode('eth0') }], false);
    const iface = idb(1, 65535, concat([withName, many]));
    const shbIdb = concat([shb(), iface]);
    const bytes = concat([shbIdb, epb(0, 1_700_000_000_000_000n, udp(0))]);
    const { json, cap } = await analyse(bytes, 'many-options.pcapng');
    const w = json.issues.find((i) => /options/.test(i.reason))!;
    expect(w).toMatchObject({ capture: 'many-options.pcapng', offset: shb().length, layer: 'pcapng', severity: 'warning' });
    expect(w.reason).toContain(`more than ${LIMITS.maxOptions} options`);
    expect(cap.interfaces[0]!.name).toBe('eth0');
    expect(cap.packets).toBe(1);
    expect(json.captures[0]!.complete).toBe(true);
  });

  it(`refuses interface ${LIMITS.maxInterfaces + 1} of a pcapng file and keeps the packets before it`, async () => {
    const one = idb(1);
    const ifaces = new Uint8Array(one.length * LIMITS.maxInterfaces);
    for (let k = 0; k < LIMITS.maxInterfaces; k++) ifaces.set(one, k * one.length);
    const before = concat([shb(), ifaces, epb(0, 1_700_000_000_000_000n, udp(0)), epb(LIMITS.maxInterfaces - 1, 1_700_000_000_000_001n, udp(1))]);
    const { json, cap } = await analyse(concat([before, one, epb(0, 1_700_000_000_000_002n, udp(2))]), 'many-interfaces.pcapng');
    const e = errorOf(json);
    expect(e).toMatchObject({ capture: 'many-interfaces.pcapng', offset: before.length, layer: 'pcapng' });
    expect(e.reason).toContain(`more than ${LIMITS.maxInterfaces} interfaces`);
    expect(cap.packets).toBe(2);
    expect(cap.interfaces).toHaveLength(LIMITS.maxInterfaces);
  });
});

describe('packet decoding bounds', () => {
  it(`stops at tunnel ${MAX_TUNNELS + 1} of a real VXLAN packet nested in itself, naming the offset, and keeps the layers before`, async () => {
    const frame = nestedVxlan({ ether: [] }, MAX_TUNNELS + 1);
    const { json, cap } = await analyse(buildPcap(1, [{ data: udp(0) }, { data: frame }, { data: udp(1) }]), 'nested-vxlan.pcap');
    const w = json.issues.find((i) => i.packet === 2)!;
    // Each wrap adds Ethernet (14) + IPv4 (20) + UDP (8) + VXLAN (8) = 50 bytes; the 9th VXLAN header starts at 8*50 + 42.
    const dataOffset = 24 + 16 + udp(0).length + 16;
    expect(w).toMatchObject({ capture: 'nested-vxlan.pcap', layer: 'vxlan', offset: dataOffset + MAX_TUNNELS * 50 + 42, severity: 'warning' });
    expect(w.reason).toContain(`limit of ${MAX_TUNNELS}`);
    expect(json.protocols['vxlan']).toBe(1);
    expect(cap.packets).toBe(3);
    const depths = json.flows.map((f) => f.depth);
    expect(Math.max(...depths)).toBe(MAX_TUNNELS);
  });

  it(`stops at IP header ${MAX_NET + 1} (ICMP errors quoting ICMP errors) with the offset`, async () => {
    // IPv4 + ICMP time-exceeded, quoting an IPv4 + ICMP time-exceeded, ... MAX_NET + 2 deep.
    const levels = MAX_NET + 2;
    const inner = new Uint8Array(levels * 28 + 8);
    for (let k = 0; k < levels; k++) {
      const o = k * 28;
      inner.set([0x45, 0, 0, 0, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], o);
      const total = inner.length - o;
      inner[o + 2] = total >> 8; inner[o + 3] = total & 0xff;
      inner.set([11, 0, 0, 0, 0, 0, 0, 0], o + 20);
    }
    const frame = concat([Uint8Array.of(2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00), inner]);
    const { json } = await analyse(buildPcap(1, [{ data: frame }]), 'nested-ip.pcap');
    const w = json.issues.find((i) => i.packet === 1)!;
    expect(w).toMatchObject({ capture: 'nested-ip.pcap', layer: 'ipv4', offset: 24 + 16 + 14 + MAX_NET * 28 });
    expect(w.reason).toMatch(/too many nested IP headers/);
    expect(json.protocols['icmp']).toBe(1);
  });

  it(`reports a packet of more than ${MAX_LAYERS} layers (stacked VLAN tags) instead of dropping layers silently`, async () => {
    const tags = MAX_LAYERS + 4;
    const eth = Uint8Array.of(2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00);
    const vlan = new Uint8Array(tags * 4);
    for (let k = 0; k < tags; k++) vlan.set([0, 1, k === tags - 1 ? 0x08 : 0x81, 0], k * 4);
    const ipUdp = udp(0).subarray(14);
    const { json } = await analyse(buildPcap(1, [{ data: concat([eth, vlan, ipUdp]) }]), 'many-vlans.pcap');
    const w = json.issues.find((i) => i.packet === 1);
    expect(w, 'a packet whose layers overflow the layer stack must say so').toBeDefined();
    expect(w!.capture).toBe('many-vlans.pcap');
    expect(w!.offset).toBeGreaterThanOrEqual(24 + 16 + 14);
    expect(w!.reason).toMatch(/layers/);
  });
});

describe('transaction bounds', () => {
  it(`refuses an HTTP header block longer than ${HTTP_MAX_HEADER} bytes with an issue naming file, offset and layer`, async () => {
    const frames = httpWithoutEnd({ ether: [] }, new Rng(5), Math.ceil(HTTP_MAX_HEADER / 1200) + 20);
    const { json, cap } = await analyse(buildPcap(1, frames), 'endless-headers.pcap');
    const w = json.issues.find((i) => /header block longer/.test(i.reason));
    expect(w, 'the HTTP header bound must be reported as an issue').toBeDefined();
    expect(w!).toMatchObject({ capture: 'endless-headers.pcap', layer: 'http' });
    expect(w!.packet).toBeGreaterThan(1);
    expect(w!.offset).toBe(cap.index.fileOffset(w!.packet! - 1));
    expect(cap.packets).toBe(frames.length);
  });

  it(`stops a DNS name at ${DNS_MAX_POINTER_HOPS} compression pointers and at ${DNS_MAX_NAME} bytes`, () => {
    // Header, then a name that points at itself (offset 12).
    const loop = Uint8Array.of(0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1);
    expect(parseDnsMessage(loop, 0, loop.length)!.error).toContain(`more than ${DNS_MAX_POINTER_HOPS} compression pointers`);
    const labels: number[] = [];
    for (let k = 0; k < 5; k++) labels.push(63, ...new Array<number>(63).fill(0x61));
    const long = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
    expect(parseDnsMessage(long, 0, long.length)!.error).toContain(`longer than ${DNS_MAX_NAME} bytes`);
  });

  it('reports a DNS pointer loop in a packet as an issue naming file, offset and layer', async () => {
    const loop = Uint8Array.of(0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1);
    const { json } = await analyse(buildPcap(1, [{ data: udp(0) }, { data: handUdp(40000, 53, loop) }]), 'dns-loop.pcap');
    const w = json.issues.find((i) => /compression pointers/.test(i.reason));
    expect(w, 'a refused DNS name must be reported').toBeDefined();
    expect(w!).toMatchObject({ capture: 'dns-loop.pcap', layer: 'dns', packet: 2 });
    // The offset of the packet that carried it (transactions are built after dissection).
    expect(w!.offset).toBe(24 + 16 + udp(0).length + 16);
    expect(w!.reason).toContain('DNS message 1');
  });
});

describe('memory bounds', () => {
  it(`keeps at most ${MAX_PACKET_ISSUES} packet issues per capture and counts the rest`, async () => {
    const extra = 25;
    const truncatedIp = Uint8Array.of(2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0);
    const frames = Array.from({ length: MAX_PACKET_ISSUES + extra }, () => ({ data: truncatedIp }));
    const { json, cap } = await analyse(buildPcap(1, frames), 'many-issues.pcap');
    expect(cap.packets).toBe(MAX_PACKET_ISSUES + extra);
    expect(json.issues.filter((i) => i.packet !== null)).toHaveLength(MAX_PACKET_ISSUES);
    expect(json.captures[0]!.droppedIssues).toBe(extra);
    expect(json.issues[0]).toMatchObject({ capture: 'many-issues.pcap', layer: 'ipv4', offset: 24 + 16 + 14, packet: 1 });
  });

  it('keeps the error that stopped the file even past the issue cap (fuzz seed 14 input 5092)', async () => {
    const truncatedIp = Uint8Array.of(2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0);
    const frames = Array.from({ length: MAX_PACKET_ISSUES + 5 }, () => ({ data: truncatedIp }));
    const whole = buildPcap(1, frames);
    const cut = whole.subarray(0, whole.length - 6); // the last record's data cut short
    const { json, cap } = await analyse(cut, 'cut-after-many.pcap');
    expect(cap.packets).toBe(MAX_PACKET_ISSUES + 4);
    expect(json.captures[0]!.complete).toBe(false);
    const errors = json.issues.filter((i) => i.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ capture: 'cut-after-many.pcap', packet: MAX_PACKET_ISSUES + 5, offset: whole.length - 16 - 16 });
    expect(json.captures[0]!.droppedIssues).toBe(4);
  });

  it('stops reading at the packet bound with an error naming the offset, keeping the packets before it', async () => {
    const frames = goodFrames(50);
    const bytes = buildPcap(1, frames);
    const { json, cap } = await analyse(bytes, 'packet-bound.pcap', { maxPackets: 40 });
    const e = errorOf(json);
    const offset41 = 24 + frames.slice(0, 40).reduce((a, f) => a + 16 + f.data.length, 0);
    expect(e).toMatchObject({ capture: 'packet-bound.pcap', offset: offset41, packet: 41 });
    expect(e.reason).toMatch(/more than 40 packets/);
    expect(cap.packets).toBe(40);
    expect(json.flows.reduce((a, f) => a + f.packets, 0)).toBe(40);
  });

  it(`has a default packet bound (${LIMITS.maxPackets ?? 'none'})`, () => {
    expect(LIMITS.maxPackets).toBeGreaterThanOrEqual(1_000_000);
  });
});

describe('a TCP stream that never ends its headers is bounded in memory', () => {
  it('holds no more than the header bound for one stream', async () => {
    const frames: FrameSpec[] = [];
    let seq = 1;
    frames.push({ data: handTcp(40000, 80, seq, new TextEncoder().encode('GET / HTTP/1.1\r\n')) });
    seq += 16;
    const chunk = new Uint8Array(1400).fill(0x41);
    for (let k = 0; k < 600; k++) { frames.push({ data: handTcp(40000, 80, seq, chunk) }); seq += chunk.length; }
    const { json } = await analyse(buildPcap(1, frames), 'endless-line.pcap');
    expect(json.packets).toBe(601);
    expect(json.issues.some((i) => /header block longer/.test(i.reason))).toBe(true);
  });
});
