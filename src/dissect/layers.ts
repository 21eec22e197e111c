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
export const LAYER_COUNT = 18;

export const LAYER_NAMES: readonly string[] = [
  'eth', 'vlan', 'sll', 'sll2', 'ipv4', 'ipv6', 'arp', 'icmp', 'icmpv6', 'udp', 'tcp',
  'vxlan', 'geneve', 'http', 'dns', 'null', 'llc', 'data',
];

/** Names of the layers whose packet counts the JSON contract reports. */
export const COUNTED_LAYERS: readonly number[] = [
  L_ETH, L_VLAN, L_SLL, L_SLL2, L_IPV4, L_IPV6, L_ARP, L_ICMP, L_ICMPV6, L_UDP, L_TCP,
  L_VXLAN, L_GENEVE, L_HTTP, L_DNS, L_NULL,
];

export const TUNNEL_NONE = 0;
export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;
export const TUNNEL_NAMES = ['none', 'vxlan', 'geneve'] as const;
export type TunnelType = 'vxlan' | 'geneve';

/** IP protocol numbers. */
export const IPPROTO_ICMP = 1;
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
