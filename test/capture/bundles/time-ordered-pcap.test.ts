/**
 * A classic pcap read in time order (src/capture/bundles/time-ordered-pcap.ts):
 * Kubeshark's node pcaps (per-stream files appended) sorted equal Wireshark's
 * reordercap byte for byte; an ordered file, a pcapng and a file over the
 * bound are left as they are; a cut record at the end stays at the end, so
 * the reader still reports it there.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/capture/bytes-source.js';
import { timeOrderedPcap } from '../../../src/capture/bundles/time-ordered-pcap.js';
import { readCapture } from '../../../src/capture/read-capture.js';
import type { ByteSource, CaptureIssue } from '../../../src/capture/types.js';
import { fixturePath } from '../../helpers/corpus.js';

const dir = mkdtempSync(path.join(tmpdir(), 'time-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
execFileSync('tar', ['xzf', fixturePath('kubeshark/nginx-proxy.tar.gz'), '-C', dir], { timeout: 30_000 });
const NODES = ['node1_192.168.56.11', 'node2_192.168.56.12', 'node3_192.168.56.13'];

async function all(src: ByteSource): Promise<Uint8Array> {
  return src.read(0, src.size);
}

describe('timeOrderedPcap', () => {
  it.each(NODES)('%s: sorted equals reordercap\'s output, byte for byte', async (n) => {
    const file = path.join(dir, `${n}.pcap`);
    const out = path.join(dir, `${n}.sorted.pcap`);
    execFileSync('reordercap', [file, out], { timeout: 30_000, stdio: 'ignore' });
    const r = await timeOrderedPcap(bytesSource(readFileSync(file), file));
    expect(r.outOfOrder).toBeGreaterThan(0);
    expect(Buffer.from(await all(r.source)).equals(readFileSync(out))).toBe(true);
  });

  it('an ordered file, a pcapng and a file over the bound are read as they are', async () => {
    const lab = readFileSync(fixturePath('lab/captures/nginx-proxy/node1-eth0.pcap'));
    const src = bytesSource(lab, 'node1-eth0.pcap');
    expect(await timeOrderedPcap(src)).toMatchObject({ source: src, outOfOrder: 0, refused: null, records: 337 });
    const ng = bytesSource(readFileSync(fixturePath('lab/captures/nginx-proxy.pcapng')), 'x.pcapng');
    expect((await timeOrderedPcap(ng)).source).toBe(ng);
    const big = bytesSource(readFileSync(path.join(dir, `${NODES[0]}.pcap`)), 'big.pcap');
    const r = await timeOrderedPcap(big, 1000);
    expect(r.source).toBe(big);
    expect(r.refused).toMatch(/over the 1000-byte bound/);
  });

  it('a cut last record stays last: the reader reports it after every whole record', async () => {
    const whole = readFileSync(path.join(dir, `${NODES[0]}.pcap`));
    const cut = whole.subarray(0, whole.length - 10);
    const r = await timeOrderedPcap(bytesSource(cut, 'cut.pcap'));
    expect(r.records).toBe(336);
    const issues: CaptureIssue[] = [];
    let packets = 0;
    let last = -1;
    let backwards = 0;
    await readCapture(r.source, {
      onInterface() {},
      onRecord(rec) { packets++; const t = rec.tsSec * 1e6 + rec.tsNsec / 1e3; if (t < last) backwards++; last = t; },
      onIssue(i) { issues.push(i); },
    });
    expect(packets).toBe(336);
    expect(backwards).toBe(0);
    expect(issues.filter((i) => i.severity === 'error')).toHaveLength(1);
    expect(issues[0]!.offset).toBeGreaterThan(cut.length - 2000);
  });
});
