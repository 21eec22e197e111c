/**
 * The TCP sequence analysis (src/filter/tcp-analysis.ts) against tshark's,
 * value by value: every frame's tcp.seq, tcp.ack, tcp.nxtseq (relative, all
 * occurrences) and which tcp.analysis.* fields it has, as tshark 4.0 gives
 * them (tshark-tcp-analysis.lua), over the lab's capture points (any-interface
 * files: every packet seen twice or three times, so retransmissions, fast
 * retransmissions, out-of-order and duplicate ACKs), corpus captures with
 * window-full and zero-window probes, ICMP-quoted TCP and IPv6. Then what a
 * runner must respect: packets in file order, a restart from the first.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/read-capture.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket, linkTypeDecoded } from '../../src/dissect/decoder.js';
import { compileFilter } from '../../src/filter/compile.js';
import { FilterError } from '../../src/filter/errors.js';
import { FrameFilter } from '../../src/filter/frame-filter.js';
import * as T from '../../src/filter/tcp-analysis.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { CORPUS_FILES, ROOT, fixturePath } from '../helpers/corpus.js';

const LUA = path.join(ROOT, 'test', 'filter', 'tshark-tcp-analysis.lua');
const dirFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => path.join(dir, f)) : []);
const corpus = (name: string): string[] => (existsSync(path.join(CORPUS_FILES, name)) ? [path.join(CORPUS_FILES, name)] : []);
const FILES = [
  ...dirFiles(fixturePath('lab', 'captures', 'nginx-proxy')),
  ...dirFiles(fixturePath('lab', 'captures', 'nginx-proxy-any-sll2')),
  ...dirFiles(fixturePath('lab', 'captures', 'ingress-any-sll')),
  ...['suricata__http-mime-truncated__input.pcap', 'tcpdump__pptp.pcap', 'zeek__cooper-grill-dvwa.pcapng', 'zeek__vlan-pcp-dei.pcapng', 'arkime__v6.pcap',
    'zeek__ipv6-http-atomic-frag.pcap', 'pcapplusplus__three_http_streams.pcap'].flatMap(corpus),
];

const NAMES: Array<[string, number, number]> = [
  ['retransmission', T.TCP_A_RETRANSMISSION | T.TCP_A_FAST_RETRANSMISSION | T.TCP_A_SPURIOUS_RETRANSMISSION, 1],
  ['fast_retransmission', T.TCP_A_FAST_RETRANSMISSION, 1], ['spurious_retransmission', T.TCP_A_SPURIOUS_RETRANSMISSION, 1],
  ['out_of_order', T.TCP_A_OUT_OF_ORDER, 1], ['lost_segment', T.TCP_A_LOST_PACKET, 1], ['ack_lost_segment', T.TCP_A_ACK_LOST_PACKET, 1],
  ['window_update', T.TCP_A_WINDOW_UPDATE, 1], ['window_full', T.TCP_A_WINDOW_FULL, 1], ['keep_alive', T.TCP_A_KEEP_ALIVE, 1],
  ['keep_alive_ack', T.TCP_A_KEEP_ALIVE_ACK, 1], ['duplicate_ack', T.TCP_A_DUPLICATE_ACK, 2], ['zero_window', T.TCP_A_ZERO_WINDOW, 1],
  ['zero_window_probe', T.TCP_A_ZERO_WINDOW_PROBE, 1], ['zero_window_probe_ack', T.TCP_A_ZERO_WINDOW_PROBE_ACK, 1],
  ['reused_ports', T.TCP_A_REUSED_PORTS, 1], ['flags', 0xffff, 1],
];

function tshark(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('tshark', ['-n', '-q', '-r', file, '-d', 'udp.port==8472,vxlan', '-X', `lua_script:${LUA}`], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        if (err && (err as { killed?: boolean }).killed) { reject(new Error(`tshark timed out on ${file}`)); return; }
        resolve(stdout.split('\n').filter((l) => /^\d+\|/.test(l)));
      });
  });
}

/** Our lines in the Lua script's format, from the analyzer fed every record in file order. */
async function ours(file: string): Promise<string[]> {
  const cfg = new DissectConfig({ vxlanPorts: [4789, 8472] });
  const p = new DecodedPacket();
  const an = new T.TcpAnalyzer();
  const occ = new T.TcpOccurrences();
  const fcs: number[] = [];
  const out: string[] = [];
  await readCapture(await fileSource(file), {
    onInterface: (i) => { fcs[i.id] = i.fcsLength; },
    onRecord: (rec, bytes, start) => {
      let caplen = rec.capturedLength;
      const f = fcs[rec.interfaceId] ?? 0;
      if (f > 0 && rec.originalLength >= caplen && caplen >= f) caplen -= f;
      const ok = linkTypeDecoded(rec.linkType);
      if (ok) decodePacket(p, bytes, start, caplen, rec.linkType, cfg);
      an.next(rec.index, ok ? p : null, bytes, start, rec.timeless ? 0 : rec.tsSec, rec.timeless ? 0 : rec.tsNsec, occ);
      if (!occ.count) return;
      const present: string[] = [];
      for (const [name, mask, per] of NAMES) {
        let c = 0;
        for (let k = 0; k < occ.count; k++) if (occ.flags[k]! & mask) c += per;
        if (c) present.push(c > 1 ? `${name}x${c}` : name);
      }
      const list = (a: number[]): string => a.slice(0, occ.count).filter((v) => !Number.isNaN(v)).join(',');
      out.push(`${rec.index + 1}|${list(occ.seq)}|${list(occ.ack)}|${list(occ.nxtseq)}|${present.join(' ')}`);
    },
    onIssue: () => {},
  });
  return out;
}

const seen = new Map<string, number>();

describe.skipIf(FILES.length === 0)('TCP sequence analysis vs tshark, frame by frame', () => {
  it.each(FILES.map((f) => [path.relative(ROOT, f), f]))('%s', async (_name, file) => {
    const [t, o] = await Promise.all([tshark(file), ours(file)]);
    // (A capture point may hold no TCP at all: both sides then say nothing.)
    expect(o).toEqual(t);
    for (const line of t) for (const w of line.split('|')[4]!.split(' ').filter(Boolean)) seen.set(w.replace(/x\d+$/, ''), (seen.get(w.replace(/x\d+$/, '')) ?? 0) + 1);
  }, 180_000);

  it('the captures exercise the flags that matter (so the equality above is not empty)', () => {
    if (FILES.length < 20) return;
    for (const f of ['retransmission', 'fast_retransmission', 'out_of_order', 'duplicate_ack', 'window_update', 'window_full', 'zero_window_probe', 'zero_window_probe_ack']) {
      expect(seen.get(f) ?? 0, f).toBeGreaterThan(0);
    }
  });
});

describe('what a runner must respect', () => {
  const file = fixturePath('lab', 'captures', 'nginx-proxy-any-sll2', 'node3-any.pcap');
  async function records(): Promise<Array<{ rec: PacketRecord; bytes: Uint8Array }>> {
    const out: Array<{ rec: PacketRecord; bytes: Uint8Array }> = [];
    await readCapture(await fileSource(file), {
      onInterface: () => {},
      onRecord: (rec, bytes, start) => { out.push({ rec: { ...rec }, bytes: bytes.slice(start, start + rec.capturedLength) }); },
      onIssue: () => {},
    });
    return out;
  }

  it.skipIf(!existsSync(file))('a record skipped is refused; the capture read again from its first packet starts over with the same answers', async () => {
    const recs = await records();
    const ff = new FrameFilter(compileFilter('tcp.analysis.retransmission'), new DissectConfig({}), false);
    const p = new DecodedPacket();
    const pass = (): number[] => recs.filter(({ rec, bytes }) => ff.test(rec, bytes, 0, p)).map(({ rec }) => rec.index + 1);
    const first = pass();
    expect(first.length).toBeGreaterThan(0);
    expect(pass()).toEqual(first);
    expect(() => ff.test(recs[5]!.rec, recs[5]!.bytes, 0, p)).toThrow(T.TcpOrderError);
  });

  it('a filter without these fields runs no analysis; one naming them anywhere does', () => {
    expect(compileFilter('tcp.port == 80 && tcp.seq_raw == 1').tcpAnalysis).toBe(false);
    expect(compileFilter('tcp.port == 80 || tcp.seq == 1').tcpAnalysis).toBe(true);
    expect(compileFilter('!tcp.analysis.flags').tcpAnalysis).toBe(true);
  });

  it.each(['tcp.analysis.flags == 1', 'tcp.analysis.retransmission in {1}', 'tcp.analysis.flags contains "a"', 'tcp.analysis.flags > 0'])(
    'a label is tested alone, never compared, as tshark refuses: %s', (f) => {
      expect(() => compileFilter(f)).toThrow(FilterError);
    });
});
