/**
 * Next-layer tables for UDP and TCP ports, changeable at run time (as
 * gopacket's ports.go): the destination port is tried before the source port.
 */
export const PORT_NONE = 0;
export const PORT_VXLAN = 1;
export const PORT_GENEVE = 2;
export const PORT_DNS = 3;
export const PORT_WIREGUARD = 4;

export const DEFAULT_VXLAN_PORTS: readonly number[] = [4789, 8472];
export const DEFAULT_GENEVE_PORTS: readonly number[] = [6081];
/** WireGuard's customary listen port (Calico uses 51820, Cilium 51871: add it with --wireguard-port). */
export const DEFAULT_WIREGUARD_PORTS: readonly number[] = [51820];
export const DNS_PORT = 53;

export interface DissectOptions {
  vxlanPorts?: readonly number[];
  genevePorts?: readonly number[];
  wireguardPorts?: readonly number[];
}

export class DissectConfig {
  readonly udpPorts = new Uint8Array(65536);
  readonly tcpPorts = new Uint8Array(65536);
  readonly vxlanPorts: readonly number[];
  readonly genevePorts: readonly number[];
  readonly wireguardPorts: readonly number[];

  constructor(opts: DissectOptions = {}) {
    this.vxlanPorts = opts.vxlanPorts ?? DEFAULT_VXLAN_PORTS;
    this.genevePorts = opts.genevePorts ?? DEFAULT_GENEVE_PORTS;
    this.wireguardPorts = opts.wireguardPorts ?? DEFAULT_WIREGUARD_PORTS;
    this.udpPorts[DNS_PORT] = PORT_DNS;
    this.tcpPorts[DNS_PORT] = PORT_DNS;
    for (const p of this.vxlanPorts) this.udpPorts[checkPort(p)] = PORT_VXLAN;
    for (const p of this.genevePorts) this.udpPorts[checkPort(p)] = PORT_GENEVE;
    for (const p of this.wireguardPorts) this.udpPorts[checkPort(p)] = PORT_WIREGUARD;
  }
}

function checkPort(p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`not a UDP port: ${p}`);
  return p;
}
