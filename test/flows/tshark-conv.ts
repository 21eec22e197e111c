/**
 * tshark's conversation tables (`-q -z conv,tcp -z conv,udp`), run live and
 * parsed, and our flows put in the same shape for comparison.
 */
import { spawnSync } from 'node:child_process';
import { fileSource } from '../../src/host/node/file-source.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { endpoints, transportName } from '../../src/flows/flow-output.js';

export const tsharkPresent = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

export interface Conversation {
  transport: 'tcp' | 'udp';
  a: string;
  b: string;
  framesAtoB: number;
  framesBtoA: number;
  /** As tshark prints it ("948 bytes", "71 kB"). */
  bytes: string;
  bytesAtoB: string;
  bytesBtoA: string;
  frames: number;
  /** Our flow id (ours only). */
  id?: number;
  depth?: number;
}

/** tshark's format_size with SI prefixes, integer division (wsutil/str_util.c). */
export function tsharkSize(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let u = 0;
  let v = n;
  while (u < units.length - 1 && Math.floor(v / 1000) >= 10) { v = Math.floor(v / 1000); u++; }
  return `${v} ${units[u]}`;
}

const ROW = /^(\S+)\s+<->\s+(\S+)\s+(\d+) (\d+ (?:bytes|[kMGT]B))\s+(\d+) (\d+ (?:bytes|[kMGT]B))\s+(\d+) (\d+ (?:bytes|[kMGT]B))\s/;

/** Runs tshark on `file`, VXLAN decoded on 8472 as well as 4789 (as we do by default). */
export function tsharkConversations(file: string): Conversation[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-d', 'udp.port==8472,vxlan', '-q', '-z', 'conv,tcp', '-z', 'conv,udp'],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return parseConversations(r.stdout);
}

/** tshark's `-z conv,tcp -z conv,udp` tables (lines before and after them are skipped). */
export function parseConversations(stdout: string): Conversation[] {
  const out: Conversation[] = [];
  let transport: 'tcp' | 'udp' | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('TCP Conversations')) { transport = 'tcp'; continue; }
    if (line.startsWith('UDP Conversations')) { transport = 'udp'; continue; }
    if (line.startsWith('====')) { transport = null; continue; }
    if (!transport) continue;
    const m = ROW.exec(line);
    if (!m) continue;
    // Columns: "<-" (B to A), "->" (A to B), total.
    out.push({ transport, a: m[1]!, b: m[2]!, framesBtoA: Number(m[3]), bytesBtoA: m[4]!, framesAtoB: Number(m[5]), bytesAtoB: m[6]!, frames: Number(m[7]), bytes: m[8]! });
  }
  return out;
}

function ep(ip: string, port: number | null): string {
  return `${ip}:${port ?? ''}`;
}

/**
 * Our TCP and UDP flows of one capture, as conversations. Our flows are per
 * capture point (a capture and one interface); tshark's conversations span a
 * file's interfaces, so for the comparison the k-th flow of a tuple and depth
 * on each interface are added together (directions mapped), as tshark does.
 */
export async function ourConversations(file: string): Promise<{ session: AnalysisSession; conversations: Conversation[] }> {
  const session = await AnalysisSession.open([await fileSource(file)]);
  const t = session.flows.table;
  const conversations: Conversation[] = [];
  type Sum = { c: Conversation; pAB: number; pBA: number; bAB: number; bBA: number };
  const merged = new Map<string, Sum>();
  const ordinal = new Map<string, number>();
  const sums: Sum[] = [];
  for (let f = 0; f < t.count; f++) {
    const transport = transportName(t.proto[f]!);
    if (transport !== 'tcp' && transport !== 'udp') continue;
    const { a, b } = endpoints(t, f);
    const ea = ep(a.ip, a.port), eb = ep(b.ip, b.port);
    const tuple = `${t.capture[f]} ${t.depth[f]} ${transport} ${[ea, eb].sort().join(' ')}`;
    const k = (ordinal.get(`${t.iface[f]} ${tuple}`) ?? 0);
    ordinal.set(`${t.iface[f]} ${tuple}`, k + 1);
    const key = `${tuple} #${k}`;
    let s = merged.get(key);
    if (!s) {
      s = { c: { transport, a: ea, b: eb, framesAtoB: 0, framesBtoA: 0, bytesAtoB: '', bytesBtoA: '', frames: 0, bytes: '', id: f, depth: t.depth[f]! }, pAB: 0, pBA: 0, bAB: 0, bBA: 0 };
      merged.set(key, s);
      sums.push(s);
    }
    const same = s.c.a === ea;
    s.pAB += same ? t.packetsAtoB(f) : t.packetsBtoA(f);
    s.pBA += same ? t.packetsBtoA(f) : t.packetsAtoB(f);
    s.bAB += same ? t.bytesAtoB(f) : t.bytesBtoA(f);
    s.bBA += same ? t.bytesBtoA(f) : t.bytesAtoB(f);
  }
  for (const s of sums) {
    conversations.push({
      ...s.c, framesAtoB: s.pAB, framesBtoA: s.pBA, bytesAtoB: tsharkSize(s.bAB), bytesBtoA: tsharkSize(s.bBA),
      frames: s.pAB + s.pBA, bytes: tsharkSize(s.bAB + s.bBA),
    });
  }
  return { session, conversations };
}

/** Whether two conversations agree on endpoints, frames and bytes (per direction too). */
export function sameConversation(x: Conversation, y: Conversation): boolean {
  if (x.transport !== y.transport || x.frames !== y.frames || x.bytes !== y.bytes) return false;
  if (x.a === y.a && x.b === y.b) return x.framesAtoB === y.framesAtoB && x.bytesAtoB === y.bytesAtoB && x.framesBtoA === y.framesBtoA;
  if (x.a === y.b && x.b === y.a) return x.framesAtoB === y.framesBtoA && x.bytesAtoB === y.bytesBtoA && x.framesBtoA === y.framesAtoB;
  return false;
}

export function pairKey(c: Conversation): string {
  return `${c.transport} ${[c.a, c.b].sort().join(' <-> ')}`;
}

/** Matches tshark's rows to ours; returns the unmatched of each side. */
export function compareConversations(theirs: Conversation[], ours: Conversation[]): { matched: number; onlyTshark: Conversation[]; onlyOurs: Conversation[] } {
  const left = [...ours];
  const onlyTshark: Conversation[] = [];
  let matched = 0;
  for (const c of theirs) {
    const i = left.findIndex((o) => sameConversation(c, o));
    if (i >= 0) { left.splice(i, 1); matched++; } else onlyTshark.push(c);
  }
  return { matched, onlyTshark, onlyOurs: left };
}
