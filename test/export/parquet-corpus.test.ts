/**
 * Every readable corpus capture exports every Parquet table, `packets`
 * included, one file at a time: no capture the analysis reads makes the
 * export fail. A capture whose seconds field is past 2262 (broken or
 * hostile) has those times null, since TIMESTAMP(NANOS) cannot hold them.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { sessionSource } from '../../src/export/parquet-tables.js';
import { parquetFiles } from '../../src/export/parquet-file.js';
import { ROOT } from '../helpers/corpus.js';

const DIR = path.join(ROOT, '..', 'shared', 'corpus', 'files');
const corpus = existsSync(DIR) ? readdirSync(DIR).filter((n) => /\.pcap(ng)?$/.test(n)).sort().map((n) => path.join(DIR, n)) : [];

describe('Parquet of every readable corpus capture', () => {
  it.skipIf(!corpus.length)('every table, packets included, written for each file', async () => {
    let files = 0, past2262 = 0;
    for (const f of corpus) {
      let s: AnalysisSession;
      try { s = await AnalysisSession.open([await fileSource(f, path.basename(f))], {}); } catch { continue; }
      const names: string[] = [];
      for (const [name, bytes] of parquetFiles(sessionSource(s), { session: 's', packets: s.captures })) { names.push(name); expect(bytes.length, `${path.basename(f)} ${name}`).toBeGreaterThan(12); }
      expect(names.length, path.basename(f)).toBe(7);
      files++;
      const t = s.flows.table;
      for (let i = 0; i < t.count; i++) if (t.firstSec(i) >= 9_223_372_036) past2262++;
    }
    console.log(`corpus: ${files} files exported; ${past2262} flows start past 2262 (times null)`);
    expect(files).toBeGreaterThan(40);
    expect(past2262, 'the corpus holds a capture with times past 2262').toBeGreaterThan(0);
  }, 300_000);
});
