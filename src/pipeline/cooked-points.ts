/**
 * Names for the interfaces of an any-interface (SLL2) capture, one per
 * interface index (src/capture/cooked-interfaces.ts). The file says only the
 * index; the role comes from the traffic each index carried:
 * - `underlay`: tunnel outer packets (VXLAN/Geneve UDP at depth 0): the node's NIC;
 * - `tunnel`: frames whose cooked address is a VTEP MAC (an inner Ethernet
 *   address of those tunnel packets): the VXLAN device (flannel.1);
 * - `pod A veth`: IPv4 packets or ARP replies received as PACKET_OTHERHOST
 *   (a bridge port: the frame was for the bridge's MAC, not this device's), A
 *   their most common source: the pod behind the veth;
 * - `bridge`: a device that receives frames addressed to it and whose own MAC
 *   (address of its outgoing frames) is the source of the frames a veth sends
 *   to its pod (the gateway);
 * - `lo`: ARPHRD_LOOPBACK.
 * Otherwise only the index. The name shows the index: `node1-any/if2 underlay`.
 * Names a caller gives (`interfaceNames`) win over inferred ones.
 */
import type { CaptureInterface } from '../capture/types.js';
import type { DecodedPacket } from '../dissect/decoded.js';
import { ipv4ToString } from '../dissect/addr.js';

const PACKET_HOST = 0;
const PACKET_OUTGOING = 4;
const PACKET_OTHERHOST = 3;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;

class IndexEvidence {
  tunnelPackets = 0;
  hatype = -1;
  /** Own MAC (the address of outgoing frames) as hi 16 / lo 32 bits; -1 unknown. */
  ownHi = -1;
  ownLo = -1;
  /** Addresses seen on received frames, hi*2^32+lo (a few). */
  readonly peers = new Set<number>();
  lastPeerHi = -1;
  lastPeerLo = -1;
  /** IPv4 sources of PACKET_OTHERHOST packets, with counts. */
  readonly otherHostSources = new Map<number, number>();
  lastOther = -1;
  lastOtherCount = 0;
  /** Frames received as PACKET_HOST (addressed to this device's MAC). */
  hostFrames = 0;
}

export class CookedPointEvidence {
  private readonly byIface: Array<IndexEvidence | undefined> = [];
  /** Inner Ethernet MACs of tunnel packets (hi*2^32+lo): the VTEPs. */
  private readonly vteps = new Set<number>();
  private lastVtepHi = -1;
  private lastVtepLo = -1;

  /** An SLL2 record of synthetic interface `iface`; the cooked header starts at b[start]. */
  observe(iface: number, p: DecodedPacket, b: Uint8Array, start: number, caplen: number): void {
    let e = this.byIface[iface];
    if (e === undefined) e = this.byIface[iface] = new IndexEvidence();
    if (caplen < 20) return;
    e.hatype = (b[start + 8]! << 8) | b[start + 9]!;
    const type = b[start + 10]!;
    if (p.tunnelCount > 0) {
      e.tunnelPackets++;
      // The inner Ethernet header of the first tunnel: both its MACs are VTEPs (flannel.1 devices).
      if (p.ethCount > 0) {
        const m = p.ethMac;
        for (let k = 0; k < 12; k += 6) {
          const hi = (m[k]! << 8) | m[k + 1]!;
          const lo = ((m[k + 2]! << 24) | (m[k + 3]! << 16) | (m[k + 4]! << 8) | m[k + 5]!) >>> 0;
          if (hi !== this.lastVtepHi || lo !== this.lastVtepLo) {
            this.lastVtepHi = hi; this.lastVtepLo = lo;
            if ((m[k]! & 1) === 0 && this.vteps.size < 4096) this.vteps.add(hi * 0x1_0000_0000 + lo);
          }
        }
      }
    }
    if (b[start + 11] !== 6) return;
    const hi = (b[start + 12]! << 8) | b[start + 13]!;
    const lo = ((b[start + 14]! << 24) | (b[start + 15]! << 16) | (b[start + 16]! << 8) | b[start + 17]!) >>> 0;
    if (type === PACKET_OUTGOING) {
      if (e.ownHi < 0) { e.ownHi = hi; e.ownLo = lo; }
      return;
    }
    if (type === PACKET_HOST) e.hostFrames++;
    if ((hi !== e.lastPeerHi || lo !== e.lastPeerLo) && e.peers.size < 64) {
      e.lastPeerHi = hi; e.lastPeerLo = lo;
      e.peers.add(hi * 0x1_0000_0000 + lo);
    }
    // The pod behind a bridge port: the IPv4 source of what it sends to the gateway, or the
    // sender of its ARP replies (an idle pod only answers the bridge's ARP requests).
    let src = -1;
    if (type === PACKET_OTHERHOST) {
      if (p.netCount > 0 && p.ipVersion[0] === 4) src = p.ipSrc[0]!;
      else if (((b[start]! << 8) | b[start + 1]!) === 0x0806 && caplen >= 20 + 18 && b[start + 20 + 4] === 6 && b[start + 20 + 5] === 4) {
        const a = start + 20 + 14;
        src = ((b[a]! << 24) | (b[a + 1]! << 16) | (b[a + 2]! << 8) | b[a + 3]!) >>> 0;
      }
    }
    if (src !== -1) {
      if (src === e.lastOther) e.lastOtherCount++;
      else {
        if (e.lastOther !== -1) e.otherHostSources.set(e.lastOther, (e.otherHostSources.get(e.lastOther) ?? 0) + e.lastOtherCount);
        if (e.otherHostSources.size < 256 || e.otherHostSources.has(src)) { e.lastOther = src; e.lastOtherCount = 1; }
        else { e.lastOther = -1; e.lastOtherCount = 0; }
      }
    }
  }

  /** The role of each synthetic interface, once the capture has been read. */
  roles(interfaces: readonly CaptureInterface[]): Map<number, string> {
    const out = new Map<number, string>();
    const vethOwn = new Set<number>();
    for (const i of interfaces) {
      const e = this.byIface[i.id];
      if (!e || i.parentId === undefined) continue;
      if (e.lastOther !== -1) {
        e.otherHostSources.set(e.lastOther, (e.otherHostSources.get(e.lastOther) ?? 0) + e.lastOtherCount);
        e.lastOther = -1;
      }
      let role: string | null = null;
      if (e.hatype === ARPHRD_LOOPBACK) role = 'lo';
      else if (e.tunnelPackets > 0) role = 'underlay';
      else if (e.hatype === ARPHRD_ETHER && e.ownHi >= 0 && this.vteps.has(e.ownHi * 0x1_0000_0000 + e.ownLo)) role = 'tunnel';
      else if (e.otherHostSources.size > 0) {
        let best = -1, n = 0;
        for (const [src, c] of e.otherHostSources) if (c > n) { best = src; n = c; }
        role = `pod ${ipv4ToString(best)} veth`;
        if (e.ownHi >= 0) vethOwn.add(e.ownHi * 0x1_0000_0000 + e.ownLo);
      }
      if (role) out.set(i.id, role);
    }
    // The bridge: its own MAC is the source of what the veths send to their pods.
    for (const i of interfaces) {
      const e = this.byIface[i.id];
      // Frames addressed to it (a bridge port only forwards frames addressed to others).
      if (!e || i.parentId === undefined || out.has(i.id) || e.ownHi < 0 || e.hostFrames === 0) continue;
      if (vethOwn.has(e.ownHi * 0x1_0000_0000 + e.ownLo)) out.set(i.id, 'bridge');
    }
    return out;
  }
}

/** A synthetic interface's name: `<file stem>/if<index>` and its role, e.g. `node1-any/if2 underlay`. */
export function cookedPointName(file: string, ifindex: number, role: string | null): string {
  const stem = (file.split(/[\\/]/).pop() ?? file).replace(/\.(pcapng|pcap|cap|ntar)(\.gz)?$/i, '');
  return `${stem}/if${ifindex}${role ? ` ${role}` : ''}`;
}
