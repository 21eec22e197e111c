/**
 * The packet list's order and numbers (src/service/packet-browser.ts): one
 * frame number across the session (as mergecap numbers the merged file)
 * beside the per-file number, sorting by every column, TCP flags in
 * Wireshark's order. tshark is the reference.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { PacketRow, SourceRef } from '../../src/api.js';
import { createAnalyzerService, type SourceResolver } from '../../src/service/analyzer-service.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { fixturePath } from '../helpers/corpus.js';

const resolver: SourceResolver = {
  async resolve(ref: SourceRef) {
    if (ref.kind !== 'path') throw new Error('test resolver reads paths only');
    return fileSource(ref.path);
  },
};
const DIR = fixturePath('lab', 'captures', 'nginx-proxy');
const tsharkPresent = spawnSync('tshark', ['-v'], { timeout: 20_000 }).status === 0;

function tshark(file: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
}

async function all(api: ReturnType<typeof createAnalyzerService>, q: { sort?: { key: string; dir: 'asc' | 'desc' }; capture?: number } = {}): Promise<PacketRow[]> {
  const out: PacketRow[] = [];
  for (let off = 0; off < 100_000; off += 1000) {
    const p = await api.getPackets({ offset: off, limit: 1000, ...q });
    out.push(...p.rows);
    if (out.length >= p.total) break;
  }
  return out;
}

describe.skipIf(!tsharkPresent)('packet order and numbers', () => {
  it('numbers frames across the session, sorts by every column, and writes TCP flags as Wireshark does', async () => {
    const api = createAnalyzerService(resolver);
    const files = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();
    const s = await api.openSession(files.map((f) => ({ kind: 'path' as const, path: path.join(DIR, f) })));
    const rows = await all(api);
    expect(rows.length).toBe(s.packets);
    expect(rows.map((r) => r.frame)).toEqual(rows.map((_, i) => i + 1));
    // The per-file number is the file's own frame number (tshark's frame.number - 1 at that time).
    const client = s.captures.findIndex((c) => c.point === 'client-eth0');
    const clientRows = rows.filter((r) => r.capture === client);
    const ref = tshark(path.join(DIR, 'client-eth0.pcap'), ['frame.number', 'frame.len', 'tcp.flags.str', '_ws.col.Info']);
    expect(clientRows.map((r) => [r.index + 1, r.len])).toEqual(ref.map((x) => [Number(x[0]), Number(x[1])]));
    // Flags in tshark's order: every "[...]" of its info column equals ours (its HTTP lines have none).
    const flags = (info: string) => /\[([A-Z]+(?:, [A-Z]+)*)\]/.exec(info)?.[1] ?? null;
    const pairs = clientRows.map((r, i) => [flags(r.info), flags(ref[i]![3]!)] as const).filter(([, t]) => t !== null);
    expect(pairs.length).toBeGreaterThan(90);
    expect(pairs.map(([o]) => o)).toEqual(pairs.map(([, t]) => t));
    expect(pairs.map(([o]) => o)).toContain('FIN, ACK');

    // Every key sorts, both ways, stably (ties in time order).
    const coll = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
    const keys: Record<string, (r: PacketRow) => number | string> = {
      frame: (r) => r.frame!, index: (r) => r.index, point: (r) => r.point, len: (r) => r.len,
      src: (r) => r.src, dst: (r) => r.dst, layers: (r) => r.layers.join(' '), info: (r) => r.info,
    };
    for (const [key, get] of Object.entries(keys)) {
      for (const dir of ['asc', 'desc'] as const) {
        const sorted = await all(api, { sort: { key, dir } });
        expect(sorted.length).toBe(rows.length);
        for (let i = 1; i < sorted.length; i++) {
          const a = get(sorted[i - 1]!), b = get(sorted[i]!);
          const c = typeof a === 'number' ? a - (b as number) : coll.compare(a, b as string);
          expect(dir === 'asc' ? c <= 0 : c >= 0, `${key} ${dir} at ${i}`).toBe(true);
          if (c === 0) expect(sorted[i]!.frame! > sorted[i - 1]!.frame!, `${key} ${dir} stable at ${i}`).toBe(true);
        }
      }
    }
    await expect(api.getPackets({ offset: 0, limit: 1, sort: { key: 'nope', dir: 'asc' } })).rejects.toThrow(/cannot sort packets by 'nope'/);
  }, 180_000);
});
