/**
 * The session's pcapng (src/export/pcapng-session.ts) checked with tshark and
 * capinfos: --filter keeps what tshark's -Y keeps; --journey keeps one
 * journey's connections; clock-skewed captures come out on the reference
 * host's clock with the correction in the section comment; every file of the
 * corpus and of corpus-encap comes out readable record for record; hostile
 * capture text (HTTP Host/URI with markup, controls, 10 KB) and hostile
 * metadata names stay escaped and bounded in comments, interface names and
 * the Name Resolution Block.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import type { AnalyzeOptions } from '../../src/pipeline/analyze.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parseClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import { compileFilter } from '../../src/filter/index.js';
import { pcapngPieces, UnknownJourneyError, type PcapngExportOptions } from '../../src/export/pcapng-session.js';
import { MAX_OPTION_BYTES } from '../../src/export/pcapng-writer.js';
import { corpusSkipReason, CORPUS, fixturePath, ROOT } from '../helpers/corpus.js';
import { craftHostileCapture, EVIL_HOST } from '../report/crafted-capture.js';

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
const tsharkRows = (file: string, fields: string[], extra: string[] = []): string[][] =>
  run('tshark', ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])]).split('\n').filter(Boolean).map((l) => l.split('\t'));

function labFiles(...parts: string[]): string[] {
  const d = fixturePath(...parts);
  return readdirSync(d).filter((n) => n.endsWith('.pcap')).sort().map((n) => path.join(d, n));
}

async function exportTo(dir: string, files: string[], opts: AnalyzeOptions, pc: PcapngExportOptions = {}, name = 'out.pcapng'): Promise<{ file: string; s: AnalysisSession }> {
  const s = await AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f, f))), opts);
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat(await pcapngPieces(s, s.config, pc)));
  return { file, s };
}

const cluster = (): AnalyzeOptions => ({ clusterMetadata: parseClusterMetadata([{ name: 'cluster.json', text: readFileSync(fixturePath('lab', 'cluster.json'), 'utf8') }]) });

/** The Section Header Block's comment, as capinfos shows it. */
const shbComment = (file: string): string => /Capture comment:\s+(.*)/.exec(run('capinfos', ['-k', file]))?.[1] ?? '';

describe('export-pcapng selections', () => {
  it('--filter keeps exactly the packets tshark -Y keeps, point by point', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const files = labFiles('lab', 'captures', 'nginx-proxy');
      const filter = 'tcp.port == 8080 || dns';
      const { file } = await exportTo(dir, files, cluster(), { filter: compileFilter(filter) });
      const ours = tsharkRows(file, ['frame.interface_name']);
      let expected = 0;
      for (const f of files) {
        const n = tsharkRows(f, ['frame.number'], ['-d', 'udp.port==8472,vxlan', '-Y', filter]).length;
        expect(ours.filter((r) => r[0] === path.basename(f, '.pcap')).length, f).toBe(n);
        expected += n;
      }
      expect(ours.length).toBe(expected);
      expect(expected).toBeGreaterThan(500);
      // What tshark keeps of our file with the same filter: all of it.
      expect(tsharkRows(file, ['frame.number'], ['-d', 'udp.port==8472,vxlan', '-Y', filter]).length).toBe(expected);
      expect(shbComment(file)).toContain(`only packets matching the display filter "${filter}"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('--journey keeps one journey: every comment names it, every hop point is there, none of the other journeys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const files = labFiles('lab', 'captures', 'nginx-proxy');
      const { file, s } = await exportTo(dir, files, cluster(), { journey: 1 });
      const doc = s.toJSON() as unknown as { journeys: Array<{ id: number; label: string; hops: Array<{ point: string; packets: number }> }> };
      const jr = doc.journeys.find((j) => j.id === 1)!;
      const rows = tsharkRows(file, ['frame.interface_name', 'frame.comment']);
      expect(rows.length).toBeGreaterThanOrEqual(Math.max(...jr.hops.map((h) => h.packets)));
      const journeyTags = new Set(rows.map((r) => /\| journey (\d+) /.exec(r[1] ?? '')?.[1]).filter(Boolean));
      expect([...journeyTags]).toEqual(['1']);
      expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(jr.hops.map((h) => h.point)));
      // Each hop's packets (the request or response direction at that point) are all there.
      for (const [k, h] of jr.hops.entries()) {
        const tagged = rows.filter((r) => r[0] === h.point && (r[1] ?? '').includes(`| journey 1 "${jr.label}" hop ${k + 1} `)).length;
        expect(tagged, `${h.point} hop ${k + 1}`).toBeGreaterThan(0);
      }
      expect(shbComment(file)).toContain("only journey 1's connections");
      await expect(pcapngPieces(s, s.config, { journey: 99 })).rejects.toBeInstanceOf(UnknownJourneyError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('export-pcapng --filter on captures whose records are out of time order', () => {
  /** `file`'s records from `at` on, then those before it (mergecap -a keeps file order): the times jump back at the seam. */
  const rotated = (dir: string, file: string, at: number): string => {
    const name = path.basename(file, '.pcap');
    const head = path.join(dir, `${name}-head.pcap`), tail = path.join(dir, `${name}-tail.pcap`), out = path.join(dir, `${name}.pcap`);
    run('editcap', ['-r', file, head, `1-${at - 1}`]);
    run('editcap', ['-r', file, tail, `${at}-1000000`]);
    run('mergecap', ['-a', '-F', 'pcap', '-w', out, tail, head]);
    rmSync(head);
    rmSync(tail);
    return out;
  };

  it('TCP analysis, relative sequence numbers and frame.time_relative as tshark -Y gives them, point by point; the packets in time order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const lab = fixturePath('lab', 'captures', 'nginx-proxy');
      const files = [rotated(dir, path.join(lab, 'client-eth0.pcap'), 61), rotated(dir, path.join(lab, 'node1-eth0.pcap'), 150)];
      const filters = ['tcp.analysis.flags || tcp.seq == 1', 'tcp.seq > 1 && tcp.len > 0', 'tcp.ack == 1', 'frame.time_relative < 0', '!tcp.analysis.flags && frame.number > 100'];
      // tshark: every filter in one pass a file (test/filter/tshark-filters.lua prints "filter frame" a match), and each frame's time and length.
      const filtersFile = path.join(dir, 'filters.txt');
      writeFileSync(filtersFile, filters.join('\n') + '\n');
      const theirs = new Map(files.map((f) => {
        const frames = tsharkRows(f, ['frame.time_epoch', 'frame.len']).map((r) => `${r[0]} ${r[1]}`);
        const times = frames.map((r) => Number(r.split(' ')[0]));
        expect(times.some((t, i) => i > 0 && t < times[i - 1]!), `${f}: records out of time order`).toBe(true);
        const out = execFileSync('tshark', ['-n', '-q', '-r', f, '-d', 'udp.port==8472,vxlan', '-X', `lua_script:${path.join(ROOT, 'test', 'filter', 'tshark-filters.lua')}`],
          { encoding: 'utf8', timeout: 120_000, env: { ...process.env, OVERLAYSCOPE_FILTERS: filtersFile }, stdio: ['ignore', 'pipe', 'ignore'] });
        const kept = filters.map(() => [] as string[]);
        for (const m of out.matchAll(/^(\d+) (\d+)$/gm)) kept[Number(m[1])]!.push(frames[Number(m[2]) - 1]!);
        return [f, { kept: kept.map((k) => k.sort()), records: frames.length }];
      }));
      for (const [k, filter] of filters.entries()) {
        const { file } = await exportTo(dir, files, cluster(), { filter: compileFilter(filter) }, `out-${k}.pcapng`);
        const ours = tsharkRows(file, ['frame.interface_name', 'frame.time_epoch', 'frame.len']);
        for (const f of files) {
          const t = theirs.get(f)!;
          const mine = ours.filter((r) => r[0] === path.basename(f, '.pcap')).map((r) => `${r[1]} ${r[2]}`).sort();
          expect(mine, `${path.basename(f)} -Y ${filter}`).toEqual(t.kept[k]);
          // A selection, not all or nothing (tshark's count: the file has more records than it kept).
          expect(t.kept[k]!.length, `${path.basename(f)} -Y ${filter}`).toBeGreaterThan(0);
          expect(t.kept[k]!.length).toBeLessThan(t.records);
        }
        const times = ours.map((r) => Number(r[1]));
        for (let i = 1; i < times.length; i++) expect(times[i]! >= times[i - 1]!, `${filter}: packet ${i + 1} before ${i}`).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

const skew = fixturePath('lab', 'captures-skew', 'skew-vm', 'nginx-proxy');
describe.skipIf(!existsSync(skew))('export-pcapng and clock correction', () => {
  it('skew-vm (node2 120 ms behind): packets come out on the reference clock, as the unskewed capture, and the section comment says so', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const { file } = await exportTo(dir, labFiles('lab', 'captures-skew', 'skew-vm', 'nginx-proxy'), cluster());
      const { file: raw } = await exportTo(dir, labFiles('lab', 'captures-skew', 'skew-vm', 'nginx-proxy'), { ...cluster(), clockCorrection: false }, {}, 'raw.pcapng');
      expect(shbComment(file)).toMatch(/times corrected to \S+'s clock \(.*node1's clock \d+\.\d+ ms (ahead|behind), (subtracted|added)/);
      expect(shbComment(raw)).toContain('times as captured (no clock correction)');
      const firsts = new Map<string, Map<string, number>>();
      const first = (f: string, point: string): number => {
        let m = firsts.get(f);
        if (!m) {
          m = new Map();
          for (const [p, t] of tsharkRows(f, ['frame.interface_name', 'frame.time_epoch'])) if (!m.has(p!)) m.set(p!, Number(t));
          firsts.set(f, m);
        }
        return m.get(point)!;
      };
      const truthFirst = (point: string): number => Number(tsharkRows(fixturePath('lab', 'captures', 'nginx-proxy', `${point}.pcap`), ['frame.time_epoch'])[0]![0]);
      // Corrected: each point's first packet as far from node2-eth0's as in the unskewed captures (within 1 ms; the skew is 37-157 ms); raw: not.
      const gap = (f: (p: string) => number, point: string): number => f(point) - f('node2-eth0');
      for (const point of ['node1-eth0', 'client-eth0', 'node3-eth0']) {
        expect(Math.abs(gap((p) => first(file, p), point) - gap(truthFirst, point)), point).toBeLessThan(0.001);
      }
      expect(Math.abs(gap((p) => first(raw, p), 'node1-eth0') - gap(truthFirst, 'node1-eth0'))).toBeGreaterThan(0.01);
      // Time order across points holds on the corrected clock.
      const times = tsharkRows(file, ['frame.time_epoch']).map((r) => Number(r[0]));
      for (let i = 1; i < times.length; i++) expect(times[i]! >= times[i - 1]! - 1e-9).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.skipIf(corpusSkipReason())('export-pcapng on every corpus file', () => {
  const sets = [path.join(CORPUS, 'files'), path.join(CORPUS, '..', 'corpus-encap', 'files')].filter(existsSync);
  it.each(sets.map((s) => [path.basename(path.dirname(s)), s]))('%s: one session of every file; tshark reads every record we wrote; complete inputs count as capinfos says', async (_name, set) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      const names = readdirSync(set).sort();
      const s = await AnalysisSession.open(await Promise.all(names.map((n) => fileSource(path.join(set, n), n))));
      const file = path.join(dir, 'c.pcapng');
      writeFileSync(file, Buffer.concat(await pcapngPieces(s, s.config)));
      const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len'], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBe(0);
      const lens = r.stdout.split('\n').filter(Boolean).map(Number);
      const ours = s.captures.reduce((a, c) => a + c.index.count, 0);
      expect(lens.length).toBe(ours);
      // Inputs read to their end: capinfos's packets and bytes (inputs stopped by an error: what was read before it).
      let expected = 0, expectedBytes = 0, complete = 0;
      const info = spawnSync('capinfos', ['-c', '-d', '-M', '-T', '-r', ...names.map((n) => path.join(set, n))], { encoding: 'utf8', timeout: 120_000 });
      const byFile = new Map(info.stdout.split('\n').filter(Boolean).map((l) => { const [f, p, b] = l.split('\t'); return [path.basename(f!), [Number(p), Number(b)]] as const; }));
      s.captures.forEach((c, i) => {
        const stopped = c.issues.some((x) => x.severity === 'error');
        const ci = byFile.get(names[i]!);
        if (!stopped && ci && ci[0] !== c.index.count) {
          // capinfos counts packet blocks only; tshark also shows pcapng Custom Blocks as frames, as we do (docs/known-differences.md).
          const t = tsharkRows(path.join(set, names[i]!), ['frame.len']).map((x) => Number(x[0]));
          expected += t.length; expectedBytes += t.reduce((a, b) => a + b, 0); complete++;
        } else if (!stopped && ci) { expected += ci[0]; expectedBytes += ci[1]; complete++; }
        else { expected += c.index.count; for (let n = 0; n < c.index.count; n++) expectedBytes += c.index.origLen(n); }
      });
      expect([lens.length, lens.reduce((a, b) => a + b, 0)]).toEqual([expected, expectedBytes]);
      expect(complete).toBeGreaterThan(names.length / 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('hostile text in the pcapng', () => {
  it('HTTP Host/URI with markup and controls, pod and Service names with controls and 300 bytes: escaped and bounded; tshark reads it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcapng-'));
    try {
      // A hostile capture under a hostile file name (a newline, a tab, markup).
      const input = path.join(dir, 'evil\n\t<b>.pcap');
      craftHostileCapture(fixturePath('lab', 'captures', 'nginx-proxy', 'client-eth0.pcap'), input);
      const long = `p${'x'.repeat(300)}`;
      const meta = JSON.stringify({ kind: 'List', items: [
        { kind: 'Pod', metadata: { name: `evil\u0000\n${long}`, namespace: 'default' }, spec: { nodeName: 'node1' }, status: { podIP: '192.168.56.100', podIPs: [{ ip: '192.168.56.100' }] } },
        { kind: 'Service', metadata: { name: 'svc\r\n<script>', namespace: 'default' }, spec: { clusterIP: '192.168.56.11', ports: [{ port: 30080, protocol: 'TCP' }] } },
      ] });
      const s = await AnalysisSession.open([await fileSource(input, input)], { clusterMetadata: parseClusterMetadata([{ name: 'm.json', text: meta }]) });
      const file = path.join(dir, 'out.pcapng');
      writeFileSync(file, Buffer.concat(await pcapngPieces(s, s.config)));
      const rows = tsharkRows(file, ['frame.comment', 'frame.interface_name']);
      expect(rows.length).toBe(s.captures[0]!.index.count);
      const info = run('capinfos', [file]);
      // The interface name: the control characters as \xNN, nothing raw.
      expect(info).toContain('Name = evil\\x0a\\x09<b>');
      const hosts = run('tshark', ['-r', file, '-N', 'n', '-o', 'nameres.use_external_name_resolver:FALSE', '-T', 'fields', '-e', 'ip.src_host', '-e', 'ip.dst_host']);
      // NRB names: controls escaped, NUL gone, at most 255 bytes each.
      const names = new Set(hosts.split(/\s+/).filter((h) => h && !/^[\d.]+$/.test(h)));
      expect(names.size).toBeGreaterThan(0);
      for (const n of names) {
        expect(Buffer.byteLength(n)).toBeLessThanOrEqual(255);
        expect(n).not.toMatch(/[\u0000-\u001f]/);
      }
      expect([...names].some((n) => n.startsWith('evil\\x00\\x0a'))).toBe(true);
      expect([...names].some((n) => n.startsWith('svc\\x0d\\x0a<script>'))).toBe(true);
      // Every comment: bounded, no raw control character (what tshark prints on one line).
      for (const [c] of rows) {
        expect(Buffer.byteLength(c ?? '')).toBeLessThanOrEqual(MAX_OPTION_BYTES);
        expect(c ?? '').not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
      }
      // Our own reading of the blocks: the hostile request's journey label, if any, escaped and cut.
      expect(EVIL_HOST.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
