/** Runs the real tshark as the reference dissector (tests skip, saying so, where it is absent). */
import { spawnSync } from 'node:child_process';

export const tsharkPresent = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
if (!tsharkPresent) console.warn('SKIPPED: tshark comparisons need tshark on PATH (apt-get install -y tshark)');

export interface PdmlField { name: string; pos: number; size: number; show: string; depth: number }
export interface PdmlProto { name: string; pos: number; size: number; fields: PdmlField[] }

function attrs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return out;
}

/** Frame `n` of `file` as tshark's PDML: its protocols in order, each with its fields. */
export function pdml(file: string, n: number, extra: string[] = []): PdmlProto[] {
  const r = spawnSync('tshark', ['-n', '-r', file, ...extra, '-T', 'pdml', '-Y', `frame.number==${n}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  const protos: PdmlProto[] = [];
  for (const line of r.stdout.split('\n')) {
    const t = line.trimStart();
    const depth = line.length - t.length;
    if (t.startsWith('<proto ')) {
      const a = attrs(t);
      protos.push({ name: a['name']!, pos: Number(a['pos']), size: Number(a['size']), fields: [] });
    } else if (t.startsWith('<field ') && protos.length) {
      const a = attrs(t);
      protos[protos.length - 1]!.fields.push({ name: a['name']!, pos: Number(a['pos']), size: Number(a['size']), show: a['show'] ?? '', depth });
    }
  }
  return protos;
}

/** `tshark -T fields` for one frame: the values of `fields` (occurrences joined by ","). */
export function tsharkFields(file: string, n: number, fields: string[], extra: string[] = []): string[] {
  const r = spawnSync('tshark', ['-n', '-r', file, ...extra, '-Y', `frame.number==${n}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
    ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '').split('\t');
}

/** `tshark -T fields` for every frame of `file`: one row a frame, each field's occurrences as a list. */
export function tsharkTable(file: string, fields: string[], extra: string[] = []): Array<Record<string, string[]>> {
  const r = spawnSync('tshark', ['-n', '-r', file, ...extra, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|',
    ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 && r.stdout === '') throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '').split('\n').map((line) => {
    const cells = line.split('\t');
    const row: Record<string, string[]> = {};
    fields.forEach((f, i) => { row[f] = cells[i] ? cells[i]!.split('|') : []; });
    return row;
  });
}
