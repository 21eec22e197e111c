/**
 * One tshark pass over a capture that several test files read (through the
 * cache of tshark-cache.ts: asked once a capture per test run): per frame the
 * fields below, then the `-z conv,tcp -z conv,udp` tables tshark prints
 * after the frames. Read by test/compare/traffic-profile.test.ts (resets,
 * retransmissions, SYN ISNs, HTTP requests) and
 * test/flows/conversations-conformance.test.ts (conversations; HTTP
 * request/response pairs). VXLAN is decoded on 8472 as well as 4789, as we do.
 */
import { tsharkRun } from './tshark-cache.js';

export const PASS_FIELDS = ['frame.number', 'tcp.flags.reset', 'tcp.analysis.retransmission', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.seq_raw',
  'http.request', 'http.response', 'http.request.method', 'http.response.code', 'http.request_in',
  // Last: free text, may hold the separator.
  'http.request.uri'] as const;
export type PassField = (typeof PASS_FIELDS)[number];

/** Joins a field's occurrences in a frame (tshark's -E aggregator). */
const AGGREGATOR = '\u001f';

export interface TsharkPass {
  /** tshark's exit status (2: a file cut short, after every frame it read). */
  status: number | null;
  /** One entry a frame: each field's occurrences, outermost first (none: absent). */
  frames: Array<Record<PassField, string[]>>;
  /** The conversation tables, as tshark prints them. */
  conversations: string;
}

export function tsharkPassArgs(file: string): string[] {
  return ['-n', '-r', file, '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', `aggregator=${AGGREGATOR}`,
    ...PASS_FIELDS.flatMap((f) => ['-e', f]), '-z', 'conv,tcp', '-z', 'conv,udp'];
}

export async function tsharkPass(file: string): Promise<TsharkPass> {
  const r = await tsharkRun(file, tsharkPassArgs(file), { timeoutMs: 120_000 });
  const lines = r.stdout.split('\n');
  const frames: TsharkPass['frames'] = [];
  let k = 0;
  for (; k < lines.length; k++) {
    const line = lines[k]!;
    if (line.startsWith('====')) break;
    if (!line) continue;
    const cells = line.split('|');
    // The URI is the rest of the line, '|' and all.
    const uri = cells.splice(PASS_FIELDS.length - 1).join('|');
    cells.push(uri);
    const row = {} as Record<PassField, string[]>;
    PASS_FIELDS.forEach((f, i) => { row[f] = cells[i] ? cells[i]!.split(AGGREGATOR) : []; });
    frames.push(row);
  }
  return { status: r.status, frames, conversations: lines.slice(k).join('\n') };
}

/** A field's last occurrence in a frame (tshark's -E occurrence=l), '' when absent. */
export const lastOf = (v: string[]): string => v[v.length - 1] ?? '';
