/**
 * Reads a corpus ground-truth file (../shared/corpus/ground-truth/<file>.txt,
 * written from tshark 4.0.17): the packet count tshark dissected and its
 * per-frame table, from which per-protocol packet counts are computed the
 * way our `protocols` object counts them (a frame counts once when the
 * protocol appears at any depth of `frame.protocols`).
 */

export interface FrameRow {
  number: number;
  protocols: string[];
  [column: string]: unknown;
}

export interface GroundTruth {
  /** Frames tshark dissected before stopping (0 when it refused the file). */
  packets: number;
  tsharkExit: number;
  /** Per-frame rows of the default run. */
  frames: Array<Record<string, string>>;
  /** Per-frame rows of a run with `-d udp.port==8472,vxlan`, where the file has one. */
  frames8472: Array<Record<string, string>> | null;
  /** Frames with http.request in tshark's default (reassembling) run, when recorded. */
  httpRequests: number | null;
  /** Whole text, for sections without a parser. */
  text: string;
}

/** tshark protocol names → our contract's layer names. */
export const TSHARK_TO_OURS: Record<string, string> = {
  eth: 'eth',
  vlan: 'vlan',
  ieee8021ad: 'vlan',
  sll: 'sll',
  ip: 'ipv4',
  ipv6: 'ipv6',
  arp: 'arp',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  udp: 'udp',
  tcp: 'tcp',
  vxlan: 'vxlan',
  geneve: 'geneve',
  dns: 'dns',
  gre: 'gre',
  erspan: 'erspan',
  wg: 'wg',
};

/** Contract layer names compared with tshark (sll covers SLL and SLL2: tshark calls both `sll`). */
export const COMPARED = ['eth', 'vlan', 'sll', 'ipv4', 'ipv6', 'arp', 'icmp', 'icmpv6', 'udp', 'tcp', 'vxlan', 'geneve', 'dns', 'gre', 'erspan', 'wg'] as const;

function parseTable(lines: string[], from: number): Array<Record<string, string>> {
  const header = lines[from + 1]!.split('\t');
  const rows: Array<Record<string, string>> = [];
  for (let k = from + 2; k < lines.length; k++) {
    const line = lines[k]!;
    if (line.startsWith('## ') || line === '') break;
    const cells = line.split('\t');
    if (!/^\d+$/.test(cells[0] ?? '')) break;
    const row: Record<string, string> = {};
    header.forEach((h, i) => { row[h] = cells[i] ?? ''; });
    rows.push(row);
  }
  return rows;
}

export function parseGroundTruth(text: string): GroundTruth {
  const lines = text.split('\n');
  let packets = 0;
  let tsharkExit = 0;
  let frames: Array<Record<string, string>> = [];
  let frames8472: Array<Record<string, string>> | null = null;
  let httpRequests: number | null = null;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    const pc = /^## packet count \(frames tshark dissected before stopping\): (\d+)\s+\(tshark exit (\d+)\)/.exec(line);
    if (pc) { packets = Number(pc[1]); tsharkExit = Number(pc[2]); continue; }
    const http = /^## HTTP: frames with http\.request: (\d+)/.exec(line);
    if (http) { httpRequests = Number(http[1]); continue; }
    if (line.startsWith('## per-frame table')) {
      const t = parseTable(lines, k);
      if (/8472/.test(line)) frames8472 = t;
      else frames = t;
    }
  }
  return { packets, tsharkExit, frames, frames8472, httpRequests, text };
}

/** tshark's per-protocol packet counts under our layer names. */
export function tsharkCounts(frames: Array<Record<string, string>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of frames) {
    const seen = new Set<string>();
    for (const name of (f['frame.protocols'] ?? '').split(':')) {
      const ours = TSHARK_TO_OURS[name];
      if (ours) seen.add(ours);
    }
    for (const s of seen) out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}
