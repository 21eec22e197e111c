/**
 * Wireshark-ready pcapng (src/export/pcapng-writer.ts, src/cli/export-pcapng.ts):
 * tshark reads every record of the lab's two scenarios and of corpus files
 * (count and bytes equal capinfos' of the inputs), in time order, one
 * interface per capture point (capinfos), our comments exactly (flow,
 * tunnel "node1 → node2 VXLAN 1", translation, journey hop), and names
 * pods, Services and nodes from the Name Resolution Block (-N n). Comment
 * text is escaped, bounded and valid UTF-8; the CLI never writes over an input.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { DissectConfig } from '../../src/dissect/config.js';
import { pcapngPieces } from '../../src/cli/export-pcapng.js';
import { MAX_OPTION_BYTES, safeOptionText } from '../../src/export/pcapng-writer.js';
import { corpusPath, corpusSkipReason, fixturePath, ROOT } from '../helpers/corpus.js';

const tshark = (args: string[]): string => execFileSync('tshark', args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });

/** capinfos' packet count and data size of a file. */
function capinfos(file: string): { packets: number; bytes: number } {
  const out = execFileSync('capinfos', ['-c', '-d', '-M', '-T', '-r', file], { encoding: 'utf8', timeout: 60_000 });
  const [, packets, bytes] = out.trim().split('\t');
  return { packets: Number(packets), bytes: Number(bytes) };
}

/** Our EPB comments, in order, read back from the blocks (opt_comment). */
function ourComments(blocks: Uint8Array[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (dv.getUint32(0, true) !== 6) continue;
    const caplen = dv.getUint32(20, true);
    let p = 28 + ((caplen + 3) & ~3);
    let comment = '';
    while (p + 4 <= b.length - 4) {
      const code = dv.getUint16(p, true), len = dv.getUint16(p + 2, true);
      if (code === 0) break;
      if (code === 1) comment = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(p + 4, p + 4 + len));
      p += 4 + ((len + 3) & ~3);
    }
    out.push(comment);
  }
  return out;
}

async function exportSession(files: string[], cluster: string | null, dir: string): Promise<{ file: string; blocks: Uint8Array[]; s: AnalysisSession }> {
  const clusterMetadata = cluster ? parseClusterMetadata([{ name: cluster, text: readFileSync(cluster, 'utf8') }]) : null;
  const s = await AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f, f))), clusterMetadata ? { clusterMetadata } : {});
  const blocks = await pcapngPieces(s, new DissectConfig({}));
  const file = path.join(dir, 'out.pcapng');
  writeFileSync(file, Buffer.concat(blocks));
  return { file, blocks, s };
}

function labFiles(scenario: string): string[] {
  const d = fixturePath('lab', 'captures', scenario);
  return readdirSync(d).filter((n) => n.endsWith('.pcap')).sort().map((n) => path.join(d, n));
}

describe('export-pcapng on the lab', () => {
  it.each(['nginx-proxy', 'ingress'])('%s: every record in time order, one interface a point, our comments, NRB names', async (scenario) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const files = labFiles(scenario);
      const { file, blocks } = await exportSession(files, fixturePath('lab', 'cluster.json'), dir);
      const inputs = files.map(capinfos);
      const rows = tshark(['-r', file, '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.interface_name', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.comment']).split('\n').filter(Boolean).map((l) => l.split('\t'));
      // Every record, every byte.
      expect(rows.length).toBe(inputs.reduce((s, x) => s + x.packets, 0));
      expect(rows.reduce((s, r) => s + Number(r[2]), 0)).toBe(inputs.reduce((s, x) => s + x.bytes, 0));
      // Per capture point, the packets of its file.
      const perPoint = new Map<string, number>();
      for (const r of rows) perPoint.set(r[0]!, (perPoint.get(r[0]!) ?? 0) + 1);
      files.forEach((f, i) => expect(perPoint.get(path.basename(f, '.pcap')) ?? 0, f).toBe(inputs[i]!.packets));
      // Time order across points.
      for (let i = 1; i < rows.length; i++) expect(Number(rows[i]![1]) >= Number(rows[i - 1]![1])).toBe(true);
      // tshark reads exactly our comments.
      expect(rows.map((r) => r[3] ?? '')).toEqual(ourComments(blocks));
      const comments = rows.map((r) => r[3] ?? '');
      expect(comments.filter((c) => c.startsWith('flow ')).length).toBeGreaterThan(0.9 * rows.length);
      expect(comments.some((c) => / \| tunnel node1 → node2 VXLAN 1 \| /.test(c))).toBe(true);
      expect(comments.some((c) => /DNAT \S+ → \S+/.test(c))).toBe(true);
      expect(comments.filter((c) => / \| journey \d+ ".*" hop \d+ (request|response|upstream)/.test(c)).length).toBeGreaterThan(100);
      // capinfos: the interfaces, named by point.
      const info = execFileSync('capinfos', [file], { encoding: 'utf8', timeout: 60_000 });
      expect(info).toMatch(new RegExp(`Number of interfaces in file: ${files.length}\\b`));
      for (const f of files) expect(info).toContain(`Name = ${path.basename(f, '.pcap')}`);
      // Names from the NRB, as tshark resolves them.
      const hosts = tshark(['-r', file, '-N', 'n', '-o', 'nameres.use_external_name_resolver:FALSE', '-T', 'fields', '-e', 'ip.src_host', '-e', 'ip.dst_host']);
      expect(hosts).toMatch(/\bweb-[a-z0-9]+-[a-z0-9]+\.default\.pod\b/);
      expect(hosts).toMatch(/\bnode1\b/);
      if (scenario === 'nginx-proxy') expect(hosts).toMatch(/\bweb\.default\.svc\b/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.skipIf(corpusSkipReason())('export-pcapng on corpus files', () => {
  it('pcapng with several interfaces, SLL2, nanoseconds, VXLAN and Geneve: tshark reads every record', async () => {
    const names = ['zeek__pcapng-multi-interface.pcapng', 'pcapplusplus__many_interfaces-1.pcapng', 'zeek__linux_dlt_sll2.pcap', 'pcapplusplus__nanosecs.pcap', 'tcpdump__vxlan.pcap', 'zeek__geneve.pcap', 'arkime__v6-http.pcap'];
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const files = names.map(corpusPath);
      const { file } = await exportSession(files, null, dir);
      const expected = files.map(capinfos).reduce((s, x) => ({ packets: s.packets + x.packets, bytes: s.bytes + x.bytes }), { packets: 0, bytes: 0 });
      expect(capinfos(file)).toEqual(expected);
      const lens = tshark(['-r', file, '-T', 'fields', '-e', 'frame.len']).split('\n').filter(Boolean);
      expect(lens.length).toBe(expected.packets);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('comment text and the CLI', () => {
  it('escapes controls, bounds the length at a character, keeps UTF-8 valid', () => {
    expect(safeOptionText('GET /a\r\nX: 1\t\u0000')).toBe('GET /a\\x0d\\x0aX: 1\\x09\\x00');
    expect(safeOptionText('bad \ud800 surrogate')).toBe('bad \ufffd surrogate');
    const long = safeOptionText('→'.repeat(5000));
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(MAX_OPTION_BYTES);
    expect(long.endsWith('…')).toBe(true);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(long))).not.toThrow();
  });

  it('refuses --out over an input and leaves it unchanged; without --out is a usage error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const input = path.join(dir, 'in.pcap');
      writeFileSync(input, readFileSync(fixturePath('lab', 'captures', 'nginx-proxy', 'client-eth0.pcap')));
      const before = readFileSync(input);
      const cli = path.join(ROOT, 'dist', 'cli.js');
      const r = spawnSync('node', [cli, 'export-pcapng', input, '--out', input], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).not.toBe(0);
      expect(readFileSync(input).equals(before)).toBe(true);
      const u = spawnSync('node', [cli, 'export-pcapng', input], { encoding: 'utf8', timeout: 60_000 });
      expect(u.status).toBe(2);
      expect(u.stderr).toMatch(/--out/);
      const ok = spawnSync('node', [cli, 'export-pcapng', input, '--out', path.join(dir, 'x.pcapng')], { encoding: 'utf8', timeout: 60_000 });
      expect(ok.status).toBe(0);
      expect(statSync(path.join(dir, 'x.pcapng')).size).toBeGreaterThan(before.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
