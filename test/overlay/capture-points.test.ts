/**
 * Stitching rows only where they can be used (issue #3): one capture point
 * keeps running counters only (no row, no translation, no journey, a note),
 * two or more keep rows from the first packet, and a pcapng interface that
 * first appears after packets of another starts rows there and says so.
 * The counters of one point alone must equal that point's share of the
 * whole lab session.
 */
import { describe, expect, it } from 'vitest';
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

  it('one capture point: no row, no translation or journey, a note; nodes, tunnels and packet counts as that point sees them in the whole session', async () => {
    const one = await openFiles([node1], null);
    const o = overlayOf(one);
    expect(one.overlayObserver.recording).toBe(false);
    expect(one.overlayObserver.count).toBe(0);
    expect(one.overlayObserver.tupleCount).toBe(0);
    expect(o.translations).toEqual([]);
    expect(o.journeys).toEqual([]);
    expect(o.notes).toHaveLength(1);
    expect(o.notes[0]).toMatch(/^one capture point: translations and journeys need/);

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
      // Rows only for the second interface's TCP/UDP packets.
      expect(ob.count).toBe(o.capturePoints[1]!.packets);
      expect(o.capturePoints.map((p) => p.name)).toEqual(['late#0', 'late#1']);
      expect(o.notes).toEqual([`capture point late#1 first appeared at packet ${a.length + 1} of ${file}: packets before it were read as from one capture point, so translations, journeys and tunnel de-duplication only cover packets from there on`]);
      // node1-eth0 alone holds each NodePort connection before NAT and, inside VXLAN, after it.
      expect(o.translations.length).toBeGreaterThan(0);
      for (const t of o.translations) expect(t.originalSeenAt).toEqual(['late#1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
