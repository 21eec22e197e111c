/** Real packets taken from real captures, for dissector tests. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bytesSource } from '../../src/capture/bytes-source.js';
import { readCapture } from '../../src/capture/read-capture.js';
import type { CaptureInterface } from '../../src/capture/types.js';
import { corpusPath, corpusPresent, corpusSkipReason, ROOT } from '../helpers/corpus.js';

// Tests on corpus packets are skipped where ../shared/corpus is absent: say so once.
if (!corpusPresent) corpusSkipReason();

export interface RealPacket {
  file: string;
  /** 1-based, as tshark numbers frames. */
  n: number;
  bytes: Uint8Array;
  linkType: number;
  fcsLength: number;
}

const cache = new Map<string, RealPacket[]>();

/** Every packet of a corpus capture (copied out of the reader's buffers). */
export async function corpusPackets(file: string): Promise<RealPacket[]> {
  const hit = cache.get(file);
  if (hit) return hit;
  const bytes = new Uint8Array(readFileSync(corpusPath(file)));
  const out: RealPacket[] = [];
  const ifaces: CaptureInterface[] = [];
  await readCapture(bytesSource(bytes, file), {
    onInterface(i) { ifaces[i.id] = i; },
    onRecord(rec, b, start) {
      out.push({ file, n: rec.index + 1, bytes: b.slice(start, start + rec.capturedLength), linkType: rec.linkType, fcsLength: ifaces[rec.interfaceId]?.fcsLength ?? 0 });
    },
    onIssue() {},
  });
  cache.set(file, out);
  return out;
}

export async function corpusPacket(file: string, n: number): Promise<RealPacket> {
  const all = await corpusPackets(file);
  const p = all[n - 1];
  if (!p) throw new Error(`${file} has no packet ${n} (it has ${all.length})`);
  return p;
}

/** The encapsulation corpus (../shared/corpus-encap: IP-in-IP, GRE, ERSPAN, WireGuard), beside ../shared/corpus. */
export const CORPUS_ENCAP = process.env['OVERLAYSCOPE_CORPUS_ENCAP'] ?? path.resolve(ROOT, '../shared/corpus-encap');
export const encapPresent = existsSync(path.join(CORPUS_ENCAP, 'files'));
if (!encapPresent) console.warn(`SKIPPED: encapsulation dissector tests need ${path.join(CORPUS_ENCAP, 'files')} (../shared/corpus-encap); it is absent here`);

export function encapPath(file: string): string {
  return path.join(CORPUS_ENCAP, 'files', file);
}

/** Every packet of a corpus-encap capture. */
export async function encapPackets(file: string): Promise<RealPacket[]> {
  const key = `encap:${file}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const bytes = new Uint8Array(readFileSync(encapPath(file)));
  const out: RealPacket[] = [];
  await readCapture(bytesSource(bytes, file), {
    onInterface() {},
    onRecord(rec, b, start) {
      out.push({ file, n: rec.index + 1, bytes: b.slice(start, start + rec.capturedLength), linkType: rec.linkType, fcsLength: 0 });
    },
    onIssue() {},
  });
  cache.set(key, out);
  return out;
}

export async function encapPacket(file: string, n: number): Promise<RealPacket> {
  const all = await encapPackets(file);
  const p = all[n - 1];
  if (!p) throw new Error(`${file} has no packet ${n} (it has ${all.length})`);
  return p;
}
