/**
 * Stitching on crafted edge cases, made by editing the real lab captures
 * (editcap, mergecap, and a seq/ack rewrite of a time-shifted copy) rather
 * than synthesising packets:
 * - a capture point that missed packets (handshakes and every third packet dropped);
 * - two requests in the same millisecond (the ingress run shifted onto the nginx-proxy run);
 * - port reuse (the same run replayed 10 s later with new initial sequence numbers:
 *   every 4-tuple used twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { L_TCP } from '../../src/dissect/layers.js';
import { clusterMetadata, labPresent, openFiles, overlayOf, scenarioFiles, translationKeys, truth, truthTranslations } from './lab.js';

function haveTool(t: string): boolean {
  try { execFileSync(t, ['-v'], { stdio: 'ignore' }); return true; } catch { return false; }
}
const tools = haveTool('editcap') && haveTool('mergecap') && haveTool('tshark');
if (!tools) console.warn('SKIPPED: stitching edge cases need editcap, mergecap and tshark');

const scenario = (name: string): { requestCount: number; requests: Array<{ clientPort: number }> } & Record<string, unknown> =>
  truth.scenarios.find((s: { name: string }) => s.name === name);

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'overlayscope-stitch-'));
  // One folder per case, files keep their names: capture points are named from them.
  for (const d of ['missed', 'both', 'reuse']) mkdirSync(path.join(tmp, d));
});
afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

/** Classic little-endian pcap: the records, each with its header. */
function readPcap(file: string): { header: Buffer; records: Array<{ sec: number; usec: number; orig: number; data: Buffer }> } {
  const b = readFileSync(file);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian microsecond pcap`);
  const records: Array<{ sec: number; usec: number; orig: number; data: Buffer }> = [];
  for (let off = 24; off + 16 <= b.length;) {
    const incl = b.readUInt32LE(off + 8);
    records.push({ sec: b.readUInt32LE(off), usec: b.readUInt32LE(off + 4), orig: b.readUInt32LE(off + 12), data: Buffer.from(b.subarray(off + 16, off + 16 + incl)) });
    off += 16 + incl;
  }
  return { header: b.subarray(0, 24), records };
}

function writePcap(file: string, header: Buffer, records: Array<{ sec: number; usec: number; orig: number; data: Buffer }>): void {
  const parts: Buffer[] = [header];
  for (const r of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.sec, 0); h.writeUInt32LE(r.usec, 4); h.writeUInt32LE(r.data.length, 8); h.writeUInt32LE(r.orig, 12);
    parts.push(h, r.data);
  }
  writeFileSync(file, Buffer.concat(parts));
}

/** The innermost TCP header's offset in an Ethernet frame, or -1. */
function tcpOffset(p: DecodedPacket, cfg: DissectConfig, data: Buffer): number {
  decodePacket(p, data, 0, data.length, 1, cfg);
  for (let k = p.layerCount - 1; k >= 0; k--) if (p.layerIds[k] === L_TCP) return p.layerStart[k]!;
  return -1;
}

describe.skipIf(!labPresent || !tools)('stitching edge cases on edited lab captures', () => {
  it('a capture point that missed packets: handshakes dropped everywhere but the client (also inside VXLAN), a third of node2-cni0 lost', async () => {
    const files: string[] = [];
    for (const f of scenarioFiles('nginx-proxy')) {
      const base = path.basename(f);
      if (base === 'client-eth0.pcap') { files.push(f); continue; }
      const out = path.join(tmp, 'missed', base);
      const syns = execFileSync('tshark', ['-r', f, '-d', 'udp.port==8472,vxlan', '-Y', 'tcp.flags.syn == 1', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
        .split('\n').filter(Boolean);
      const total = readPcap(f).records.length;
      const drop = new Set(syns);
      if (base === 'node2-cni0.pcap') for (let n = 3; n <= total; n += 3) drop.add(String(n));
      if (drop.size) execFileSync('editcap', [f, out, ...[...drop].sort((a, b) => Number(a) - Number(b))]);
      else writeFileSync(out, readFileSync(f));
      files.push(out);
    }
    const o = overlayOf(await openFiles(files, clusterMetadata()));
    expect(translationKeys(o)).toEqual(truthTranslations(scenario('nginx-proxy')));
    expect(o.journeys.length).toBe(scenario('nginx-proxy').requestCount);
    expect(o.journeys.every((j) => j.complete)).toBe(true);
    for (const t of o.translations) expect(t.evidence).toMatch(/initial sequence number|sequence numbers/);
  });

  it('two requests in the same millisecond: the ingress run shifted onto the nginx-proxy run, one session', async () => {
    // The first request (first TCP payload) of each run.
    const first = (f: string): number => Number(execFileSync('tshark', ['-r', f, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8' }).split('\n')[0]);
    const shift = first(scenarioFiles('nginx-proxy').find((f) => f.endsWith('client-eth0.pcap'))!)
      - first(scenarioFiles('ingress').find((f) => f.endsWith('client-eth0.pcap'))!);
    const files: string[] = [];
    for (const f of scenarioFiles('nginx-proxy')) {
      const base = path.basename(f);
      const other = scenarioFiles('ingress').find((g) => path.basename(g) === base)!;
      const shifted = path.join(tmp, `shifted-${base}`);
      execFileSync('editcap', ['-F', 'pcap', '-t', shift.toFixed(6), other, shifted]);
      const out = path.join(tmp, 'both', base);
      // mergecap refuses a file without packets (a pod idle in one scenario).
      const parts = [f, shifted].filter((x) => readPcap(x).records.length > 0);
      if (parts.length === 2) execFileSync('mergecap', ['-F', 'pcap', '-w', out, ...parts]);
      else writeFileSync(out, readFileSync(parts[0] ?? f));
      files.push(out);
    }
    const o = overlayOf(await openFiles(files, clusterMetadata()));
    // The two first client SYNs are in the same millisecond.
    const starts = o.journeys.map((j) => j.hops[0]!.time.slice(0, 23));
    expect(new Set(starts).size, starts.join(' ')).toBeLessThan(starts.length);
    const want = [...truthTranslations(scenario('nginx-proxy')), ...truthTranslations(scenario('ingress'))].sort();
    expect(translationKeys(o)).toEqual(want);
    expect(o.journeys.length).toBe(10);
    expect(o.journeys.every((j) => j.complete)).toBe(true);
    // Each journey continues at the frontend its NodePort leads to, never the other scenario's.
    for (const j of o.journeys) {
      const nodePort = j.hops[0]!.dst.port;
      const front = nodePort === 30080 ? 'pod-nginx-proxy-eth0' : 'pod-ingress-nginx-eth0';
      const other = nodePort === 30080 ? 'pod-ingress-nginx-eth0' : 'pod-nginx-proxy-eth0';
      expect(j.hops.some((h) => h.point === front)).toBe(true);
      expect(j.hops.some((h) => h.point === other)).toBe(false);
    }
  });

  it('port reuse: the run replayed 10 s later with new ISNs gives every translation twice, each journey its own', async () => {
    const cfg = new DissectConfig();
    const p = new DecodedPacket();
    const K = 0x40000000;
    const files: string[] = [];
    for (const f of scenarioFiles('nginx-proxy')) {
      const { header, records } = readPcap(f);
      const replay = records.map((r) => {
        const data = Buffer.from(r.data);
        const t = tcpOffset(p, cfg, data);
        if (t >= 0) {
          data.writeUInt32BE((data.readUInt32BE(t + 4) + K) >>> 0, t + 4);
          if (data[t + 13]! & 0x10) data.writeUInt32BE((data.readUInt32BE(t + 8) + K) >>> 0, t + 8);
        }
        return { ...r, sec: r.sec + 10, data };
      });
      const out = path.join(tmp, 'reuse', path.basename(f));
      writePcap(out, header, [...records, ...replay]);
      files.push(out);
    }
    const o = overlayOf(await openFiles(files, clusterMetadata()));
    const once = truthTranslations(scenario('nginx-proxy'));
    expect(translationKeys(o)).toEqual([...once, ...once].sort());
    expect(o.journeys.length).toBe(10);
    expect(o.journeys.every((j) => j.complete)).toBe(true);
    // The replayed journeys stay 10 s after their originals: no hop borrowed from the other run.
    for (const j of o.journeys) {
      const secs = j.hops.map((h) => Date.parse(h.time));
      expect(Math.max(...secs) - Math.min(...secs)).toBeLessThan(5000);
    }
  });
});
