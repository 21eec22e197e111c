/**
 * The committed lab fixtures (fixtures/lab, made by `npm run lab` in real
 * network namespaces) checked against the lab's own truth.json: our reader's
 * counts equal capinfos', VXLAN on 8472 carries pod addresses between node
 * IPs, and every client request shows as an HTTP request answered 200.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { AnalysisSession } from '../../src/engine/session.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { DecodedPacket } from '../../src/dissect/decoded.js';
import { decodePacket } from '../../src/dissect/decoder.js';
import { httpStartKind } from '../../src/dissect/app.js';
import { ipv4ToString } from '../../src/dissect/addr.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';

interface TruthCapture { point: string; file: string; capinfosPackets: number; capinfosDataBytes: number; protocols: Record<string, number>; vxlan: { packets: number }; http: { requests: number; responses: number; statusCodes: Record<string, number> } }
interface Scenario { name: string; requestCount: number; okCount: number; captures: TruthCapture[]; merged: { file: string; packets: number; interfaces: string[] } }
interface Truth { nodes: Array<{ name: string; underlayIp: string; podCidr: string; vtepMac: string }>; scenarios: Scenario[] }

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
