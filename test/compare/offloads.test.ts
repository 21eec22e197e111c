/**
 * compare on the same traffic captured with offloads on and off
 * (fixtures/offloads): packets per request as captured differ ten-fold, TCP
 * data segments per request (payload split by the connection's MSS, less the
 * timestamp option) agree within 2 % and equal tshark's count of data
 * segments in the offloads-off capture; wire segments (every frame, super-
 * packets split) differ only by the ACKs a GRO receiver really did not send.
 * Then the same on the namespace lab run with offloads off and on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareProfiles } from '../../src/compare/compare.js';
import { profileSession } from '../../src/compare/traffic-profile.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { CORPUS, fixturePath } from '../helpers/corpus.js';

/** The explanation names each side with its label once ("A (nginx-proxy)"), then "A": sentences compared without the labels. */
const unlabel = (l: string): string => l.replace(/\b([AB]) \([^)]*\)/g, '$1');


const ON = fixturePath('offloads', 'offloads-on.pcap');
const OFF = fixturePath('offloads', 'offloads-off.pcap');

async function profile(file: string, label: string) {
  const s = await AnalysisSession.open([await fileSource(file)]);
  return profileSession(s, label);
}

function tsharkCount(file: string, filter: string): number {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).length;
}

describe('compare with offloads on and off', () => {
  it('data segments per request agree within 2 % (and equal tshark on the offloads-off capture); packets as captured do not', async () => {
    const on = await profile(ON, 'on');
    const off = await profile(OFF, 'off');
    expect(on.requests).toBe(3);
    expect(off.requests).toBe(3);
    // As captured: super-packets make far fewer packets.
    expect(on.requestFrames).toBeLessThan(off.requestFrames / 5);
    expect(on.offloadFrames).toBe(tsharkCount(ON, 'frame.len > 1514'));
    expect(off.offloadFrames).toBe(0);
    // Offloads off: every frame is a wire segment.
    expect(off.requestWireSegments).toBe(off.requestFrames);
    expect(off.requestDataSegments).toBe(tsharkCount(OFF, 'tcp.len > 0'));
    const dOn = on.requestDataSegments / on.requests;
    const dOff = off.requestDataSegments / off.requests;
    expect(Math.abs(dOn - dOff) / dOff).toBeLessThanOrEqual(0.02);
    // Wire segments: the data segments plus the frames without payload as captured.
    expect(on.requestWireSegments - on.requestDataSegments).toBe(tsharkCount(ON, 'tcp.len == 0'));
    expect(on.requestWireSegments).toBeGreaterThan(on.requestFrames);
    // Per point the same (one point here).
    expect(on.points[0]!.wireSegments).toBe(on.packetWireSegments);

    const c = compareProfiles(on, off);
    const metric = (name: string) => c.metrics.find((m) => m.name.startsWith(name))!;
    expect(metric('TCP data segments per request').a).toBeCloseTo(dOn, 3);
    expect(metric('TCP data segments per request').b).toBeCloseTo(dOff, 3);
    expect(metric('packets per request, end to end, as wire segments').a).toBeCloseTo(on.requestWireSegments / 3, 3);
    expect(metric('offloaded frames').a).toBe(on.offloadFrames);
    expect(c.explanation.map(unlabel).some((l) => l.startsWith('Captured with offloads on: A holds'))).toBe(true);
  });

  it('without the SYN the segment size falls back to what the MTU leaves (no regular-sized payload of 536 bytes or more)', async () => {
    // The offloads-on capture without its first connection's SYN and SYN/ACK (frames 1 and 2, tshark's
    // numbering): that connection's only regular-sized payloads are the 81-byte request, so its
    // super-packets (multiples of 1448 bytes) are split by 1500 - 20 - 20 - 12 (timestamps seen).
    const dir = mkdtempSync(path.join(tmpdir(), 'offloads-'));
    try {
      const cut = path.join(dir, 'no-syn.pcap');
      expect(spawnSync('editcap', [ON, cut, '1', '2']).status).toBe(0);
      expect(tsharkCount(cut, 'tcp.flags.syn == 1')).toBe(4);
      const p = await profile(cut, 'cut');
      expect(p.requests).toBe(3);
      expect(p.requestDataSegments).toBe(tsharkCount(OFF, 'tcp.len > 0'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The namespace lab run twice, offloads off (fixtures/lab) and at the kernel
 * default (fixtures/lab-offloads, `OFFLOADS=on`): same topology, requests and
 * capture points; request 3 fetches 64 KiB. Truth from each run's truth.json.
 */
const LAB_OFF = fixturePath('lab');
const LAB_ON = fixturePath('lab-offloads');
const labsPresent = existsSync(path.join(LAB_OFF, 'truth.json')) && existsSync(path.join(LAB_ON, 'truth.json'));
if (!labsPresent) console.warn(`SKIPPED: the offloads lab comparison needs ${LAB_OFF} and ${LAB_ON} (npm run lab; OFFLOADS=on)`);

async function labProfile(root: string, scenario: string, label: string) {
  const dir = path.join(root, 'captures', scenario);
  const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f));
  const s = await AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f))));
  return { session: s, profile: await profileSession(s, label) };
}

describe.skipIf(!labsPresent)('the lab with offloads on and off', () => {
  for (const scenario of ['nginx-proxy', 'ingress']) {
    it(`${scenario}: TCP data segments per request within 2 %, captured packets per request far apart; offload counts as truth.json`, async () => {
      const truthOn = JSON.parse(readFileSync(path.join(LAB_ON, 'truth.json'), 'utf8'));
      const truthOff = JSON.parse(readFileSync(path.join(LAB_OFF, 'truth.json'), 'utf8'));
      expect(truthOn.offloads).toBe('on');
      expect(truthOff.offloads).toBe('off');
      const off = await labProfile(LAB_OFF, scenario, 'off');
      const on = await labProfile(LAB_ON, scenario, 'on');
      const scOn = truthOn.scenarios.find((s: { name: string }) => s.name === scenario);
      const scOff = truthOff.scenarios.find((s: { name: string }) => s.name === scenario);
      expect(on.profile.requests).toBe(scOn.requestCount);
      expect(off.profile.requests).toBe(scOff.requestCount);
      // As captured: each point's packets per request as the lab counted them; end to end far apart.
      for (const [pr, sc] of [[on.profile, scOn], [off.profile, scOff]] as const) {
        for (const pt of pr.points) expect(pt.packets / pr.requests, pt.name).toBeCloseTo(sc.packetsPerRequest.perCapturePoint[pt.name], 6);
      }
      expect(on.profile.requestFrames / on.profile.requests).toBeLessThan(0.7 * (off.profile.requestFrames / off.profile.requests));
      // As TCP data segments: the same traffic.
      const dOn = on.profile.requestDataSegments / on.profile.requests;
      const dOff = off.profile.requestDataSegments / off.profile.requests;
      expect(Math.abs(dOn - dOff) / dOff).toBeLessThanOrEqual(0.02);
      // Offloads off: every frame is one wire segment.
      expect(off.profile.requestWireSegments).toBe(off.profile.requestFrames);
      expect(off.profile.offloadFrames).toBe(0);
      expect(on.profile.offloadFrames).toBeGreaterThan(0);
      // analyze: each point's frames over 1514 bytes and the longest, as the lab measured them.
      for (const [session, sc] of [[on.session, scOn], [off.session, scOff]] as const) {
        const doc = session.toJSON();
        for (const c of doc.captures) {
          const point = path.basename(c.file, '.pcap');
          const t = sc.captures.find((x: { point: string }) => x.point === point);
          expect(c.offload ?? null, point).toEqual(t.framesOver1514 ? { frames: t.framesOver1514, largest: t.maxFrameLength, limit: 1514 } : null);
        }
        expect(doc.issues.filter((i) => /checksum|length/i.test(i.reason))).toEqual([]);
      }
    });
  }
});

describe.skipIf(!existsSync(path.join(CORPUS, 'files', 'tcpdump__bigtcp-ipv4-vxlan-ipv4.pcap')))('BIG TCP', () => {
  it('a BIG TCP frame cut by the snap length counts the wire segments of its whole payload', async () => {
    const file = path.join(CORPUS, 'files', 'tcpdump__bigtcp-ipv4-vxlan-ipv4.pcap');
    const whole = await profile(file, 'whole');
    const dir = mkdtempSync(path.join(tmpdir(), 'bigtcp-'));
    try {
      const cut = path.join(dir, 'snap200.pcap');
      expect(spawnSync('editcap', ['-s', '200', file, cut]).status).toBe(0);
      const snapped = await profile(cut, 'snap');
      // One 80116-byte frame: its inner TCP payload split by what a 1500-byte MTU leaves (no SYN seen).
      expect(whole.offloadFrames).toBe(1);
      expect(whole.wireSegments).toBeGreaterThan(50);
      expect(snapped.wireSegments).toBe(whole.wireSegments);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
