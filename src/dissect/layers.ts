/**
 * Layer ids. Numbers (not strings) so the hot loop records a packet's stack
 * in a Uint8Array and its set of layers in one 32-bit mask.
 * `LAYER_NAMES[id]` is the name used in the JSON contract's `protocols`.
 */
export const L_ETH = 0;
export const L_VLAN = 1;
export const L_SLL = 2;
export const L_SLL2 = 3;
export const L_IPV4 = 4;
export const L_IPV6 = 5;
export const L_ARP = 6;
export const L_ICMP = 7;
export const L_ICMPV6 = 8;
export const L_UDP = 9;
export const L_TCP = 10;
export const L_VXLAN = 11;
export const L_GENEVE = 12;
export const L_HTTP = 13;
export const L_DNS = 14;
/** BSD loopback (DLT_NULL / DLT_LOOP) header. */
export const L_NULL = 15;
/** 802.3 frame with an LLC header we do not decode further. */
export const L_LLC = 16;
/** Bytes we did not decode: unknown link type, ethertype, IP protocol, or TCP/UDP payload. */
export const L_DATA = 17;
/** GRE (RFC 2784/2890, enhanced GRE of PPTP RFC 2637), NVGRE included. */
export const L_GRE = 18;
/** ERSPAN type II/III header after GRE (type I has no header of its own but is counted too, as tshark does). */
export const L_ERSPAN = 19;
/** WireGuard message header (type, indexes, counter); the payload is encrypted. */
export const L_WG = 20;
export const LAYER_COUNT = 21;

export const LAYER_NAMES: readonly string[] = [
  'eth', 'vlan', 'sll', 'sll2', 'ipv4', 'ipv6', 'arp', 'icmp', 'icmpv6', 'udp', 'tcp',
  'vxlan', 'geneve', 'http', 'dns', 'null', 'llc', 'data', 'gre', 'erspan', 'wg',
];

/** Names of the layers whose packet counts the JSON contract reports. */
export const COUNTED_LAYERS: readonly number[] = [
  L_ETH, L_VLAN, L_SLL, L_SLL2, L_IPV4, L_IPV6, L_ARP, L_ICMP, L_ICMPV6, L_UDP, L_TCP,
  L_VXLAN, L_GENEVE, L_HTTP, L_DNS, L_NULL, L_GRE, L_ERSPAN, L_WG,
];

/**
 * Tunnel types (DecodedPacket.tunnelType). Each tunnel is one depth: the
 * network levels after it have netDepth one more than the level that carried it.
 * tunnelVni holds the tunnel's identifier: the VXLAN/Geneve VNI, the GRE key
 * (0 when absent), the NVGRE VSID, the ERSPAN session id, the WireGuard
 * receiver index (sender index for an initiation); 0 for IP-in-IP.
 */
export const TUNNEL_NONE = 0;
export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;
/** IPv4 or IPv6 directly in IPv4 (protocol 4 / 41) or IPv6 (4 / 41): Calico's IPIP, 6in4, 4in6, 6in6. */
export const TUNNEL_IPIP = 3;
/** GRE carrying IP, PPP (enhanced GRE of PPTP) or GRE. */
export const TUNNEL_GRE = 4;
/** NVGRE: GRE with protocol 0x6558 (transparent Ethernet bridging); the key's high 24 bits are the VSID. */
export const TUNNEL_NVGRE = 5;
/** ERSPAN type I, II or III (a port mirror in GRE): the mirrored Ethernet frame follows. */
export const TUNNEL_ERSPAN = 6;
/** WireGuard: an encrypted tunnel whose contents are not decoded (no inner level). */
export const TUNNEL_WIREGUARD = 7;
export const TUNNEL_NAMES = ['none', 'vxlan', 'geneve', 'ipip', 'gre', 'nvgre', 'erspan', 'wireguard'] as const;
export type TunnelType = 'vxlan' | 'geneve' | 'ipip' | 'gre' | 'nvgre' | 'erspan' | 'wireguard';

/** IP protocol numbers. */
export const IPPROTO_ICMP = 1;
/** IPv4 encapsulated (IP-in-IP, RFC 2003). */
export const IPPROTO_IPIP = 4;
/** IPv6 encapsulated (RFC 2473, 6in4 RFC 4213). */
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** Link types (LINKTYPE_*) with a dissector. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const LINKTYPE_NAMES: Record<number, string> = {
  0: 'null', 1: 'ether', 12: 'raw', 14: 'raw', 101: 'raw', 105: 'ieee-802-11', 108: 'loop', 113: 'linux-sll',
  127: 'ieee-802-11-radiotap', 228: 'ipv4', 229: 'ipv6', 274: 'ethernet-mpacket', 276: 'linux-sll2',
};

export function linkTypeName(lt: number): string {
  return LINKTYPE_NAMES[lt] ?? `linktype-${lt}`;
}
