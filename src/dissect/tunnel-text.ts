/**
 * Tunnel types and tunnels of the contract as people name them: "VXLAN",
 * "VXLAN VNI 1", "GRE key 7", "IP-in-IP". Here, below the pipeline (packet
 * rows) and the reports that print them; src/api.ts re-exports both.
 */
/** Each tunnel type's name as people write it, and what its header calls the identifier the contract gives as `vni`. */
const TUNNEL_DISPLAY: Record<string, [name: string, idLabel: string]> = {
  vxlan: ['VXLAN', 'VNI'], geneve: ['Geneve', 'VNI'], ipip: ['IP-in-IP', ''], gre: ['GRE', 'key'],
  nvgre: ['NVGRE', 'VSID'], erspan: ['ERSPAN', 'session'], wireguard: ['WireGuard', 'index'],
};

/** A tunnel type of the contract (`vxlan`, `ipip`, ...) as people name it: "VXLAN", "IP-in-IP". */
export function tunnelTypeText(type: string): string {
  return TUNNEL_DISPLAY[type]?.[0] ?? type.toUpperCase();
}

/**
 * A tunnel of the contract (`{ type, vni }` of flows, tunnels and journey
 * hops) as people name it: "VXLAN VNI 1", "Geneve VNI 1", "GRE key 7",
 * "IP-in-IP" (no identifier: the contract's -1), "WireGuard" (its rows carry
 * no network identifier, -1).
 */
export function tunnelText(t: { type: string; vni: number | null }): string {
  const [name, label] = TUNNEL_DISPLAY[t.type] ?? [t.type.toUpperCase(), 'id'];
  return label && t.vni !== null && t.vni >= 0 ? `${name} ${label} ${t.vni}` : name;
}
