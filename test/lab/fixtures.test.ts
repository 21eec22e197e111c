/**
 * The committed lab fixtures (fixtures/lab, made by `npm run lab` in real
 * network namespaces) checked against the lab's own truth.json: our reader's
 * counts equal capinfos', VXLAN on 8472 carries pod addresses between node
 * IPs, and every client request shows as an HTTP request answered 200.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { httpStartKind } from '../../src/dissect/app.js';
import { ipv4ToString } from '../../src/dissect/addr.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';

interface TruthCapture { point: string; file: string; capinfosPackets: number; capinfosDataBytes: number; protocols: Record<string, number>; vxlan: { packets: number }; http: { requests: number; responses: number; statusCodes: Record<string, number> }; framesOver1514?: number; maxFrameLength?: number; badChecksums?: { ipv4: number; tcp: number; udp: number } }
interface AnyInterface { ifindex: number; name: string; role: string; pod: string | null; packets: number; singleCapture: string | null; singleCapturePackets: number | null; equal: boolean }
interface AnyCapture { node: string; variant: string; dlt: number; file: string; packets: number; capinfosPackets: number; singleCaptures: string[]; singleCapturesPackets: number; interfaces: AnyInterface[] | null }
interface AnySet { variant: 'sll2' | 'sll'; dlt: number; folder: string; files: string[]; captures: AnyCapture[] }
interface Scenario { name: string; requestCount: number; okCount: number; captures: TruthCapture[]; merged: { file: string; packets: number; interfaces: string[] }; anyInterface: AnySet[] | null }
interface Truth {
  nodes: Array<{ name: string; underlayIp: string; podCidr: string; vtepMac: string }>;
  pods: Array<{ short: string; node: string; hostVeth: string }>;
  scenarios: Scenario[];
  hosts: Record<string, string[]>;
  referenceHost: string;
  clockSkew: Record<string, Record<string, number>>;
}

const truth = JSON.parse(readFileSync(fixturePath('lab', 'truth.json'), 'utf8')) as Truth;
const nodeIps = new Set(truth.nodes.map((n) => n.underlayIp));

async function scan(file: string, visit: (p: DecodedPacket, b: Uint8Array, base: number) => void): Promise<number> {
  const cfg = new DissectConfig();
  const p = new DecodedPacket();
  let n = 0;
  await readCapture(await fileSource(file), {
    onInterface() {},
    onIssue(i) { throw new Error(`${i.capture}: ${i.reason}`); },
    onRecord(rec, b, start) {
      n++;
      decodePacket(p, b, start, rec.capturedLength, rec.linkType, cfg);
      visit(p, b, start);
    },
  });
  return n;
}

describe.each(truth.scenarios.map((s) => [s.name, s] as const))('lab scenario %s', (_name, sc) => {
  it.each(sc.captures.map((c) => [c.point, c] as const))('%s: packets and bytes equal capinfos, layers equal the lab\'s count', async (_p, c) => {
    const session = await AnalysisSession.open([await fileSource(fixturePath('lab', c.file))]);
    const r = session.captures[0]!;
    expect(r.packets).toBe(c.capinfosPackets);
    expect(r.bytes).toBe(c.capinfosDataBytes);
    expect(r.issues).toEqual([]);
    expect(session.toJSON().protocols).toEqual(c.protocols);
  });

  it('the merged pcapng holds every capture point as an interface, with every packet', async () => {
    const session = await AnalysisSession.open([await fileSource(fixturePath('lab', sc.merged.file))]);
    const r = session.captures[0]!;
    expect(r.packets).toBe(sc.merged.packets);
    expect(r.interfaces.map((i) => i.name)).toEqual(sc.merged.interfaces);
    expect(r.packets).toBe(sc.captures.reduce((a, c) => a + c.capinfosPackets, 0));
  });

  it('VXLAN on UDP 8472 (VNI 1) carries 10.244.x.x pod addresses between node IPs', async () => {
    for (const c of sc.captures.filter((x) => x.point.endsWith('-eth0') && x.point.startsWith('node'))) {
      let vxlan = 0;
      await scan(fixturePath('lab', c.file), (p) => {
        if (p.tunnelCount === 0) return;
        vxlan++;
        const outer = p.tunnelNet[0]!;
        expect(p.dstPort[outer]).toBe(8472);
        expect(p.tunnelVni[0]).toBe(1);
        expect(nodeIps.has(ipv4ToString(p.ipSrc[outer * 4]!))).toBe(true);
        expect(nodeIps.has(ipv4ToString(p.ipDst[outer * 4]!))).toBe(true);
        const inner = p.innermostNet();
        expect(p.netDepth[inner]).toBe(1);
        expect(ipv4ToString(p.ipSrc[inner * 4]!)).toMatch(/^10\.244\./);
        expect(ipv4ToString(p.ipDst[inner * 4]!)).toMatch(/^10\.244\./);
      });
      expect(vxlan, c.point).toBe(c.vxlan.packets);
    }
  });

  it('every client request appears as an HTTP request answered 200', async () => {
    const client = sc.captures.find((c) => c.point === 'client-eth0')!;
    let requests = 0;
    const statuses: string[] = [];
    await scan(fixturePath('lab', client.file), (p, b, base) => {
      if (p.httpNet < 0) return;
      const start = base + p.payloadStart[p.httpNet]!;
      const kind = httpStartKind(b, start, p.payloadLength[p.httpNet]!);
      if (kind === 1) requests++;
      if (kind === 2) statuses.push(String.fromCharCode(...b.subarray(start + 9, start + 12)));
    });
    expect(requests).toBe(sc.requestCount);
    expect(statuses).toEqual(Array(sc.okCount).fill('200'));
  });
});

/** Every record of a file as read by our reader: timestamp (s, ns), link type, the bytes. */
async function records(file: string): Promise<Array<{ sec: number; nsec: number; linkType: number; data: Uint8Array }>> {
  const out: Array<{ sec: number; nsec: number; linkType: number; data: Uint8Array }> = [];
  await readCapture(await fileSource(file), {
    onInterface() {},
    onIssue(i) { throw new Error(`${i.capture}: ${i.reason}`); },
    onRecord(rec, b, start) {
      out.push({ sec: rec.tsSec, nsec: rec.tsNsec, linkType: rec.linkType, data: b.slice(start, start + rec.capturedLength) });
    },
  });
  return out;
}

/** capinfos -c of each file (null when capinfos is not installed). */
function capinfosCounts(files: string[]): Map<string, number> | null {
  const r = spawnSync('capinfos', ['-T', '-M', '-c', ...files], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) return null;
  if (r.status !== 0) throw new Error(`capinfos: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').slice(1);
  return new Map(lines.map((l) => { const [f, n] = l.split('\t'); return [f!, Number(n)]; }));
}

const withAny = truth.scenarios.filter((s) => s.anyInterface);
describe.skipIf(withAny.length === 0).each(withAny.map((s) => [s.name, s] as const))('lab scenario %s: any-interface captures (tcpdump -i any)', (_name, sc) => {
  const point = (p: string) => sc.captures.find((c) => c.point === p)!;

  it('each folder is a session as a Retina/ksniff user has it: the client\'s capture and one any-interface file per node', () => {
    expect(sc.anyInterface!.map((a) => a.variant)).toEqual(['sll2', 'sll']);
    for (const a of sc.anyInterface!) {
      expect(readdirSync(fixturePath('lab', a.folder)).sort()).toEqual([...a.files].sort());
      expect(a.files).toEqual(['client-eth0.pcap', ...truth.nodes.map((n) => `${n.name}-any.pcap`)]);
      expect(readFileSync(fixturePath('lab', a.folder, 'client-eth0.pcap'))).toEqual(readFileSync(fixturePath('lab', point('client-eth0').file)));
    }
  });

  it('packet counts: our reader = capinfos (now and at the run) = tshark; link type SLL2 (276) or SLL (113)', async () => {
    const files = sc.anyInterface!.flatMap((a) => a.captures);
    const live = capinfosCounts(files.map((f) => fixturePath('lab', f.file)));
    for (const f of files) {
      const recs = await records(fixturePath('lab', f.file));
      expect(recs.length, f.file).toBe(f.capinfosPackets);
      expect(f.packets, f.file).toBe(f.capinfosPackets);
      if (live) expect(live.get(fixturePath('lab', f.file)), f.file).toBe(recs.length);
      expect(new Set(recs.map((r) => r.linkType)), f.file).toEqual(new Set(recs.length ? [f.dlt] : []));
      expect(f.dlt).toBe(f.variant === 'sll2' ? 276 : 113);
    }
  });

  it('SLL2: packets per interface index (read from the cooked header) equal the single-interface capture of that interface, a pod veth the pod\'s eth0', async () => {
    const sll2 = sc.anyInterface!.find((a) => a.variant === 'sll2')!;
    for (const f of sll2.captures) {
      const perIndex = new Map<number, number>();
      for (const r of await records(fixturePath('lab', f.file))) {
        const ifindex = new DataView(r.data.buffer, r.data.byteOffset).getUint32(4); // SLL2: protocol 2, reserved 2, ifindex 4
        perIndex.set(ifindex, (perIndex.get(ifindex) ?? 0) + 1);
      }
      const ifs = f.interfaces!;
      for (const idx of perIndex.keys()) expect(ifs.map((i) => i.ifindex), `${f.file} ifindex ${idx}`).toContain(idx);
      const podsHere = truth.pods.filter((p) => p.node === f.node);
      expect(ifs.filter((i) => i.role === 'pod-veth').map((i) => [i.name, i.pod]).sort())
        .toEqual(podsHere.map((p) => [p.hostVeth, p.short]).sort());
      const expected: Record<string, string> = { 'underlay-nic': 'eth0', bridge: 'cni0', 'vxlan-device': 'flannel.1', loopback: 'lo' };
      for (const i of ifs) {
        const n = perIndex.get(i.ifindex) ?? 0;
        expect(n, `${f.file} ${i.name}`).toBe(i.packets);
        if (i.role in expected) expect(i.name).toBe(expected[i.role]);
        if (i.singleCapture === null) { expect(n, `${f.file} ${i.name}`).toBe(0); continue; }
        expect(i.singleCapture).toBe(i.role === 'pod-veth' ? `pod-${i.pod}-eth0` : `${f.node}-${i.name}`);
        expect(n, `${f.file} ${i.name} vs ${i.singleCapture}`).toBe(point(i.singleCapture).capinfosPackets);
        expect(i.equal).toBe(true);
      }
    }
  });

  it('SLL: no interface index, so only the total: every packet once per interface it crossed, as the node\'s single-interface captures, and as many as SLL2', () => {
    const [sll2, sll] = [sc.anyInterface!.find((a) => a.variant === 'sll2')!, sc.anyInterface!.find((a) => a.variant === 'sll')!];
    for (const f of sll.captures) {
      expect(f.interfaces).toBeNull();
      expect(f.singleCaptures.sort()).toEqual(truth.hosts[f.node]!.slice().sort());
      expect(f.capinfosPackets, f.file).toBe(f.singleCaptures.reduce((a, p) => a + point(p).capinfosPackets, 0));
      expect(f.capinfosPackets, f.file).toBe(sll2.captures.find((x) => x.node === f.node)!.capinfosPackets);
    }
  });
});

const skewSets = Object.entries(truth.clockSkew ?? {});
const skewPresent = skewSets.length > 0 && existsSync(fixturePath('lab', 'captures-skew'));
describe.skipIf(!skewPresent)('clock-skewed copies (captures-skew/<set>/<scenario>/<point>.pcap)', () => {
  it('hosts: every capture point on exactly one host; a pod on its node\'s host; node1 is the reference and never shifted', () => {
    const points = truth.scenarios[0]!.captures.map((c) => c.point);
    expect(Object.values(truth.hosts).flat().sort()).toEqual([...points].sort());
    expect(truth.hosts.client).toEqual(['client-eth0']);
    for (const p of truth.pods) expect(truth.hosts[p.node]).toContain(`pod-${p.short}-eth0`);
    for (const n of truth.nodes) expect(truth.hosts[n.name]).toEqual(expect.arrayContaining([`${n.name}-eth0`, `${n.name}-cni0`, `${n.name}-flannel.1`]));
    expect(truth.referenceHost).toBe('node1');
    for (const [, shifts] of skewSets) {
      expect(Object.keys(shifts).sort()).toEqual(Object.keys(truth.hosts).sort());
      expect(shifts.node1).toBe(0);
    }
    expect(truth.clockSkew['skew-vm']).toEqual({ client: 0.004, node1: 0, node2: 0.037, node3: -0.12 });
  });

  it.each(skewSets.map(([set]) => [set] as const))('%s: same packets and bytes as the original, every timestamp moved by exactly its host\'s shift; counts equal capinfos', async (set) => {
    const shifts = truth.clockSkew[set]!;
    const hostOf = new Map(Object.entries(truth.hosts).flatMap(([h, pts]) => pts.map((p) => [p, h] as const)));
    const files: string[] = [];
    for (const sc of truth.scenarios) {
      const dir = fixturePath('lab', 'captures-skew', set, sc.name);
      expect(readdirSync(dir).sort()).toEqual(sc.captures.map((c) => `${c.point}.pcap`).sort());
      for (const c of sc.captures) {
        const file = path.join(dir, `${c.point}.pcap`);
        files.push(file);
        const [orig, skewed] = [await records(fixturePath('lab', c.file)), await records(file)];
        expect(skewed.length, file).toBe(c.capinfosPackets);
        expect(skewed.length, file).toBe(orig.length);
        const shiftNs = Math.round(shifts[hostOf.get(c.point)!]! * 1e9);
        for (let i = 0; i < orig.length; i++) {
          const d = (skewed[i]!.sec - orig[i]!.sec) * 1e9 + (skewed[i]!.nsec - orig[i]!.nsec);
          if (d !== shiftNs) expect(d, `${file} packet ${i + 1}`).toBe(shiftNs);
          if (Buffer.compare(skewed[i]!.data, orig[i]!.data) !== 0) expect(skewed[i]!.data, `${file} packet ${i + 1}`).toEqual(orig[i]!.data);
        }
        if (shiftNs === 0) expect(readFileSync(file)).toEqual(readFileSync(fixturePath('lab', c.file)));
      }
    }
    const live = capinfosCounts(files);
    if (live) {
      const want = new Map(truth.scenarios.flatMap((sc) => sc.captures.map((c) => [path.join(fixturePath('lab', 'captures-skew', set, sc.name), `${c.point}.pcap`), c.capinfosPackets] as const)));
      for (const f of files) expect(live.get(f), f).toBe(want.get(f));
    }
  });
});

interface OffloadCapture extends TruthCapture { framesOver1514: number; maxFrameLength: number; badChecksums: { ipv4: number; tcp: number; udp: number } }
interface OffloadTruth { offloads: 'on' | 'off'; scenarios: Array<Scenario & { captures: OffloadCapture[]; requests: Array<{ n: number; url: string; sizeDownload: number; status: number }> }> }
const offloadsDir = fixturePath('lab-offloads');
const offloadsPresent = existsSync(path.join(offloadsDir, 'truth.json'));
if (!offloadsPresent) console.warn(`SKIPPED: offload tests need ${offloadsDir} (OFFLOADS=on bash fixtures/lab/run-lab.sh --out fixtures/lab-offloads --no-variants)`);

/** Our reader and decoder over a file: frames, frames longer than 1514 bytes, the longest, TCP payload bytes (headers' lengths, outermost level). */
async function framing(file: string): Promise<{ frames: number; over1514: number; max: number; tcpPayload: number }> {
  const r = { frames: 0, over1514: 0, max: 0, tcpPayload: 0 };
  const cfg = new DissectConfig();
  const p = new DecodedPacket();
  await readCapture(await fileSource(file), {
    onInterface() {},
    onIssue(i) { throw new Error(`${i.capture}: ${i.reason}`); },
    onRecord(rec, b, start) {
      r.frames++;
      if (rec.originalLength > 1514) r.over1514++;
      r.max = Math.max(r.max, rec.originalLength);
      decodePacket(p, b, start, rec.capturedLength, rec.linkType, cfg);
      if (p.netCount > 0 && p.ipProto[0] === 6 && p.l4Present[0]) r.tcpPayload += p.payloadWireLength[0]!;
    },
  });
  return r;
}

describe.skipIf(!offloadsPresent)('offloads on (fixtures/lab-offloads) against offloads off (fixtures/lab)', () => {
  const on = offloadsPresent ? JSON.parse(readFileSync(path.join(offloadsDir, 'truth.json'), 'utf8')) as OffloadTruth : null!;
  const off = truth as unknown as OffloadTruth;

  it('truth says which run is which; every request OK in both', () => {
    expect(on.offloads).toBe('on');
    expect(off.offloads).toBe('off');
    for (const s of [...on.scenarios, ...off.scenarios]) expect(s.okCount).toBe(s.requestCount);
  });

  it('the same traffic shape: the same requests (one of them 64 KiB) and the same TCP payload bytes at the client, in fewer frames with offloads on', async () => {
    expect(on.scenarios.map((s) => s.name)).toEqual(off.scenarios.map((s) => s.name));
    for (const s of on.scenarios) {
      const o = off.scenarios.find((x) => x.name === s.name)!;
      expect(s.requests.map((r) => [r.n, r.url, r.sizeDownload, r.status])).toEqual(o.requests.map((r) => [r.n, r.url, r.sizeDownload, r.status]));
      expect(s.requests.some((r) => r.sizeDownload === 65536)).toBe(true);
      const [fOn, fOff] = [await framing(path.join(offloadsDir, s.captures.find((c) => c.point === 'client-eth0')!.file)),
        await framing(fixturePath('lab', o.captures.find((c) => c.point === 'client-eth0')!.file))];
      expect(fOn.tcpPayload, s.name).toBe(fOff.tcpPayload);
      expect(fOn.frames, s.name).toBeLessThan(fOff.frames);
    }
  });

  it.each([['on'], ['off']] as const)('offloads %s: frames longer than 1514 bytes and the longest as truth.json says (our reader = tshark); off: none, and no bad checksum', async (which) => {
    const t = which === 'on' ? on : off;
    const dir = which === 'on' ? offloadsDir : fixturePath('lab');
    let over = 0;
    for (const s of t.scenarios) {
      for (const c of s.captures) {
        const f = await framing(path.join(dir, c.file));
        expect(f.frames, c.file).toBe(c.capinfosPackets);
        expect([f.over1514, f.max], c.file).toEqual([c.framesOver1514, c.maxFrameLength]);
        over += f.over1514;
        if (which === 'off') {
          expect(f.max, c.file).toBeLessThanOrEqual(1514);
          expect(c.badChecksums, c.file).toEqual({ ipv4: 0, tcp: 0, udp: 0 });
        }
      }
    }
    if (which === 'on') {
      expect(over).toBeGreaterThan(0);
      // Super-frames reach every hop of the large response's path: the client, node1's NIC, the frontend pod.
      for (const s of t.scenarios) {
        const front = s.name === 'ingress' ? 'pod-ingress-nginx-eth0' : 'pod-nginx-proxy-eth0';
        for (const p of ['client-eth0', 'node1-eth0', front]) expect(s.captures.find((c) => c.point === p)!.framesOver1514, `${s.name} ${p}`).toBeGreaterThan(0);
      }
    }
  });
});
