/** Reads a capture held in memory with our readers, collecting every record, interface and issue. */
import { bytesSource } from '../../src/capture/bytes-source.js';
import { readCapture, type ReadSummary } from '../../src/capture/read-capture.js';
import type { CaptureInterface, CaptureIssue } from '../../src/capture/types.js';
import { corpusPresent, corpusSkipReason } from '../helpers/corpus.js';

// Reader tests on corpus files are skipped where ../shared/corpus is absent: say so once.
if (!corpusPresent) corpusSkipReason();

export interface Rec {
  index: number; offset: number; dataOffset: number; sec: number; nsec: number;
  caplen: number; len: number; linkType: number; iface: number; timeless: boolean;
  /** First and last captured byte (checks the bytes handed out, not only the lengths). */
  first: number; last: number;
}

export interface ReadResult { recs: Rec[]; ifaces: CaptureInterface[]; issues: CaptureIssue[]; summary: ReadSummary }

export async function readBytes(bytes: Uint8Array, chunkSize = 1 << 20, name = 'test.cap'): Promise<ReadResult> {
  const recs: Rec[] = [];
  const ifaces: CaptureInterface[] = [];
  const issues: CaptureIssue[] = [];
  const summary = await readCapture(bytesSource(bytes, name), {
    // An SLL2 interface is described again (same id) once its first interface index is known.
    onInterface(i) { const k = ifaces.findIndex((x) => x.id === i.id); if (k >= 0) ifaces[k] = i; else ifaces.push(i); },
    onRecord(r, b, s) {
      recs.push({ index: r.index, offset: r.offset, dataOffset: r.dataOffset, sec: r.tsSec, nsec: r.tsNsec, caplen: r.capturedLength,
        len: r.originalLength, linkType: r.linkType, iface: r.interfaceId, timeless: r.timeless,
        first: r.capturedLength ? b[s]! : -1, last: r.capturedLength ? b[s + r.capturedLength - 1]! : -1 });
    },
    onIssue(i) { issues.push(i); },
  }, { chunkSize });
  return { recs, ifaces, issues, summary };
}

/** Frames of a file: [start, end) of the file header / each record (pcap) or each block (pcapng), and whether it yields a record. */
export interface Frame { start: number; end: number; record: boolean; /** pcapng block type (0 for pcap) */ type: number }

export function frames(bytes: Uint8Array): Frame[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Frame[] = [];
  if (dv.getUint32(0, true) === 0x0a0d0d0a) {
    let le = true;
    for (let o = 0; o + 12 <= bytes.length;) {
      if (dv.getUint32(o, true) === 0x0a0d0d0a) le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
      const type = dv.getUint32(o, le);
      const len = dv.getUint32(o + 4, le);
      out.push({ start: o, end: o + len, record: [2, 3, 6, 0xbad, 0x40000bad].includes(type), type });
      o += len;
    }
    return out;
  }
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  out.push({ start: 0, end: 24, record: false, type: 0 });
  for (let o = 24; o + 16 <= bytes.length;) {
    const caplen = dv.getUint32(o + 8, le);
    out.push({ start: o, end: o + 16 + caplen, record: true, type: 0 });
    o += 16 + caplen;
  }
  return out;
}
