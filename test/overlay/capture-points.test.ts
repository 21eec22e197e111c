/**
 * Stitching rows only where they can be used (issue #3): one capture point
 * keeps running counters and a row only for TCP SYN, SYN/ACK and HTTP heads
 * (what one point can stitch: see one-point.test.ts), two or more keep a row
 * per packet from the first packet, and a pcapng interface that first
 * appears after packets of another starts them there and says so. The
 * counters of one point alone must equal that point's share of the whole
 * lab session.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LAB, labPresent, openFiles, overlayOf, scenarioFiles, truth } from './lab.js';

interface PcapRecord { sec: number; usec: number; orig: number; data: Buffer }

function readPcap(file: string): PcapRecord[] {
  const b = readFileSync(file);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian microsecond pcap`);
  const out: PcapRecord[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const incl = b.readUInt32LE(off + 8);
    out.push({ sec: b.readUInt32LE(off), usec: b.readUInt32LE(off + 4), orig: b.readUInt32LE(off + 12), data: b.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return out;
}

function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

function idb(): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(1, 0); // Ethernet
  body.writeUInt32LE(262144, 4);
  return block(1, body);
}

function epb(iface: number, r: PcapRecord): Buffer {
  const head = Buffer.alloc(20);
  const ts = BigInt(r.sec) * 1000000n + BigInt(r.usec);
  head.writeUInt32LE(iface, 0);
  head.writeUInt32LE(Number(ts >> 32n), 4);
  head.writeUInt32LE(Number(ts & 0xffffffffn), 8);
  head.writeUInt32LE(r.data.length, 12);
  head.writeUInt32LE(r.orig, 16);
  return block(6, Buffer.concat([head, r.data]));
}

function shb(): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(0x1a2b3c4d, 0);
  body.writeUInt16LE(1, 4);
  body.writeInt32LE(-1, 8);
  body.writeInt32LE(-1, 12);
  return block(0x0a0d0d0a, body);
}

describe.skipIf(!labPresent)('capture points and stitching rows', () => {
  const files = labPresent ? scenarioFiles('nginx-proxy') : [];
  const node1 = files.find((f) => f.endsWith('node1-eth0.pcap'))!;
  const client = files.find((f) => f.endsWith('client-eth0.pcap'))!;

  it('one capture point: rows only for SYN, SYN/ACK and HTTP heads, a note; nodes, tunnels and packet counts as that point sees them in the whole session', async () => {
    const one = await openFiles([node1], null);
    const ob = one.overlayObserver;
    const o = overlayOf(one);
    expect(ob.recording).toBe(false);
    // tshark counts the SYNs (node1-eth0 holds one TCP header a packet, inside VXLAN or not); HTTP heads are the http layer's packets.
    const syns = execFileSync('tshark', ['-r', node1, '-d', 'udp.port==8472,vxlan', '-Y', 'tcp.flags.syn == 1', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
      .trim().split('\n').filter(Boolean).length;
    const heads = one.toJSON().protocols['http'] ?? 0;
    expect(syns).toBeGreaterThan(0);
    expect(heads).toBeGreaterThan(0);
    expect(ob.count).toBe(syns + heads);
    expect(ob.sparseRows).toBe(ob.count);
    let synRows = 0, headRows = 0;
    for (let r = 0; r < ob.count; r++) {
      if (ob.flags[r]! & 0x02) synRows++;
      if (ob.http[r] !== 0) headRows++;
      expect(ob.tProto[ob.tuple[r]!]).toBe(6);
      // The packet index's flow of the row's packet.
      expect(ob.rowFlow[r]).toBeGreaterThanOrEqual(0);
    }
    expect([synRows, headRows]).toEqual([syns, heads]);
    expect(o.notes).toEqual(['one capture point: translations are the connections it saw both before and after NAT (a node NIC sees a NodePort request and, inside VXLAN, the translated one); '
      + 'journeys are the requests it saw at two depths or that a proxy there relayed upstream; copies are not counted. '
      + 'Capture points on both sides of each NAT (several files, or a pcapng with several interfaces) give the rest']);

    const all = overlayOf(await openFiles(files, null));
    expect(all.notes).toEqual([]);
    const whole = all.capturePoints.find((p) => p.name === 'node1-eth0')!;
    expect(o.capturePoints).toEqual([{ ...whole, copies: 0 }]);
    // Each tunnel edge: the packets node1-eth0 saw of it, with no copy to remove (one point).
    const seenHere = all.tunnels.filter((t) => t.seenAt['node1-eth0']).map((t) => `${t.a}>${t.b} vni ${t.vni}: ${t.seenAt['node1-eth0']}`).sort();
    expect(o.tunnels.map((t) => `${t.a}>${t.b} vni ${t.vni}: ${t.packets}`).sort()).toEqual(seenHere);
    for (const t of o.tunnels) expect(t.overheadBytes).toBe(t.packets * truth.network.vxlan.encapsulationOverheadBytes);
    // node1 talks to node2 and node3 over VXLAN: all three VTEPs, with their flannel.1 MACs.
    const macOf = new Map<string, string>(truth.nodes.map((n: { underlayIp: string; vtepMac: string }) => [n.underlayIp, n.vtepMac]));
    expect(o.nodes.length).toBeGreaterThanOrEqual(2);
    for (const n of o.nodes) expect(n.vtepMacs).toEqual([macOf.get(n.ip)]);
  });

  it('two files: rows from the first packet, one per TCP/UDP packet of either point, copies and journeys found', async () => {
    const s = await openFiles([client, node1], null);
    const ob = s.overlayObserver;
    expect(ob.recording).toBe(true);
    expect(ob.lateStart).toBeNull();
    const o = overlayOf(s);
    expect(ob.count).toBe(o.capturePoints.reduce((a, p) => a + p.packets, 0));
    // The client's packets reappear at node1-eth0 (same link): copies are found.
    expect(o.capturePoints.find((p) => p.name === 'node1-eth0')!.copies).toBeGreaterThan(0);
    expect(o.journeys.length).toBe(truth.scenarios.find((x: { name: string }) => x.name === 'nginx-proxy').requestCount);
    expect(o.notes).toEqual([]);
    // Rows are 37 bytes in typed columns; a tuple per location and 5-tuple, far fewer than rows.
    const m = ob.rowBytes();
    expect(m.rowCapacityBytes / ob.tuple.length).toBe(37);
    expect(m.tuples).toBeLessThan(m.rows / 2);
  });

  it.each(['sll2', 'sll'])('one any-interface file (tcpdump -i any, %s) keeps rows from its first packet: its NodePort journeys, no late-start note', async (kind) => {
    const file = path.join(LAB, 'captures', `nginx-proxy-any-${kind}`, 'node1-any.pcap');
    const s = await openFiles([file], null);
    expect(s.overlayObserver.recording).toBe(true);
    expect(s.overlayObserver.lateStart).toBeNull();
    const o = overlayOf(s);
    expect(o.notes).toEqual([]);
    expect(o.capturePoints.length).toBeGreaterThanOrEqual(4);
    const requests = truth.scenarios.find((x: { name: string }) => x.name === 'nginx-proxy').requestCount;
    expect(o.journeys.length).toBe(requests);
    expect(o.translations.filter((t) => t.kind === 'dnat+snat').length).toBe(requests);
  });

  it('a merged pcapng (all interfaces described first) keeps rows from its first packet', async () => {
    const s = await openFiles([path.join(LAB, 'captures', 'nginx-proxy.pcapng')], null);
    expect(s.overlayObserver.recording).toBe(true);
    expect(s.overlayObserver.lateStart).toBeNull();
    expect(overlayOf(s).notes).toEqual([]);
  });

  it('a pcapng whose second interface is described after packets of the first: rows from its first packet, and a note saying so', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'overlayscope-late-'));
    try {
      const a = readPcap(client), b = readPcap(node1);
      const file = path.join(dir, 'late.pcapng');
      writeFileSync(file, Buffer.concat([shb(), idb(), ...a.map((r) => epb(0, r)), idb(), ...b.map((r) => epb(1, r))]));
      const s = await openFiles([file], null);
      const ob = s.overlayObserver;
      expect(ob.recording).toBe(true);
      expect(ob.lateStart).toEqual({ point: 1, capture: 0, packet: a.length + 1 });
      const o = overlayOf(s);
      // Before it, one-point rows (the client's SYNs and HTTP heads); from it on, a row per TCP/UDP packet of the second interface.
      expect(ob.sparseRows).toBeGreaterThan(0);
      for (let r = 0; r < ob.sparseRows; r++) expect(ob.tPoint[ob.tuple[r]!]).toBe(0);
      expect(ob.count - ob.sparseRows).toBe(o.capturePoints[1]!.packets);
      expect(o.capturePoints.map((p) => p.name)).toEqual(['late#0', 'late#1']);
      expect(o.capturePoints.map((p) => p.copies)).toEqual([0, expect.any(Number)]);
      expect(o.notes).toEqual([`capture point late#1 first appeared at packet ${a.length + 1} of ${file}: packets before it were read as from one capture point `
        + '(rows only for TCP SYN, SYN/ACK and HTTP heads), so before it translations and journeys are those one point shows, and copies and tunnel de-duplication start there']);
      // node1-eth0 holds each NodePort connection before NAT and, inside VXLAN, after it; the client's SYN is the original too.
      expect(o.translations.length).toBe(5);
      for (const t of o.translations) {
        expect(t.originalSeenAt).toEqual(['late#0', 'late#1']);
        expect(t.translatedSeenAt).toEqual(['late#1']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
