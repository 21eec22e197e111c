/**
 * Packet lines name each tunnel as its header does (issue #13): VXLAN/Geneve
 * VNI, GRE key (only with the K bit), NVGRE VSID, ERSPAN session, WireGuard
 * receiver/sender index, IP-in-IP nothing; the numbers checked against a live
 * tshark on real packets of ../shared/corpus-encap and ../shared/corpus.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { CORPUS_FILES, ROOT } from '../helpers/corpus.js';

const ENCAP = process.env['OVERLAYSCOPE_CORPUS_ENCAP'] ?? path.resolve(ROOT, '../shared/corpus-encap/files');
const present = existsSync(ENCAP) && existsSync(CORPUS_FILES);
if (!present) console.warn(`SKIPPED: tunnel packet lines need ${ENCAP} and ${CORPUS_FILES}`);

function tshark(file: string, frame: number, field: string): string {
  return execFileSync('tshark', ['-r', file, '-Y', `frame.number == ${frame}`, '-T', 'fields', '-e', field], { encoding: 'utf8' }).trim().split(',')[0]!;
}

async function info(file: string, frame: number): Promise<string> {
  const s = await AnalysisSession.open([await fileSource(file)]);
  return (await s.packetSummary(0, frame - 1)).info;
}

describe.runIf(present)('tunnel text in packet lines', () => {
  it.each([
    ['pcapplusplus__WireGuard.pcap', 2, 'WireGuard index', 'wg.receiver'],
    ['zeek__erspanII.pcap', 2, 'ERSPAN session', 'erspan.spanid'],
    ['zeek__erspan.pcap', 2, 'NVGRE VSID', null],
  ] as const)('%s frame %i: %s', async (name, frame, label, field) => {
    const file = path.join(ENCAP, name);
    const text = await info(file, frame);
    const m = new RegExp(`\\(${label} (\\d+) `).exec(text);
    expect(m, text).not.toBeNull();
    if (field) expect(Number(m![1])).toBe(Number(tshark(file, frame, field)));
  });

  it('IP-in-IP names no identifier, VXLAN its VNI as tshark reads it', async () => {
    expect(await info(path.join(ENCAP, 'zeek__4in4.pcap'), 1)).toMatch(/\(IP-in-IP \d+\.\d+\.\d+\.\d+ → /);
    const vx = path.join(CORPUS_FILES, 'tcpdump__vxlan.pcap');
    expect(await info(vx, 1)).toContain(`(VXLAN VNI ${tshark(vx, 1, 'vxlan.vni')} `);
  });
});
