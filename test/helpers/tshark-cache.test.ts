/**
 * The tshark cache (tshark-cache.ts): its key follows the capture's bytes,
 * not its path, and every other input named; a cached answer is tshark's own.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath } from './corpus.js';
import { tsharkKey, tsharkPresent, tsharkRun } from './tshark-cache.js';

const SRC = fixturePath('lab', 'captures', 'nginx-proxy', 'client-eth0.pcap');

describe('tshark cache key', () => {
  it('same bytes at another path: same key; one byte changed, other arguments or another input: another key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tshark-key-'));
    try {
      const a = path.join(dir, 'a.pcap'), b = path.join(dir, 'b.pcap'), lua = path.join(dir, 'x.lua');
      copyFileSync(SRC, a);
      copyFileSync(SRC, b);
      writeFileSync(lua, '-- one\n');
      const args = (f: string): string[] => ['-n', '-r', f, '-X', `lua_script:${lua}`];
      const k = tsharkKey(args(a), [a, lua]);
      expect(tsharkKey(args(b), [b, lua])).toBe(k);
      expect(tsharkKey([...args(a), '-c', '5'], [a, lua])).not.toBe(k);
      expect(tsharkKey(args(a), [a, lua], { X: '1' })).not.toBe(k);
      writeFileSync(lua, '-- two\n');
      expect(tsharkKey(args(a), [a, lua])).not.toBe(k);
      writeFileSync(lua, '-- one\n');
      const bytes = readFileSync(b);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(b, bytes);
      expect(tsharkKey(args(b), [b, lua])).not.toBe(k);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!tsharkPresent)('the answer is what tshark prints, whether run now or read from the cache', async () => {
    const args = ['-n', '-r', SRC, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.seq', '-e', 'tcp.analysis.flags'];
    const direct = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
    const r = await tsharkRun(SRC, args);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(direct.stdout);
    expect(r.stdout.split('\n').filter(Boolean).length).toBe(118); // capinfos -c: 118 packets
  });
});
