// Display-filter cost (issue #15): one pass over a capture in-process, either
// decoding every packet (the decode pass: readCapture + decodePacket into one
// reused DecodedPacket) or decoding and testing a display filter on it
// (FrameFilter.test, what `packets --filter` and `analyze --filter` do per
// packet). Prints one JSON line: { mode, filter, packets, matched, ms, cpuMs }.
//
//   node bench/filter-pass.mjs --mode decode|filter [--filter EXPR] FILE
//
// The engine is bundled by esbuild to bench/out/filter-pass-engine.mjs (gitignored) on first use.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE = path.join(ROOT, 'bench/out/filter-pass-engine.mjs');

export const DEFAULT_FILTER = 'ip.addr == 10.244.0.0/16 && tcp.port == 8080';

export async function bundleFilterEngine() {
  fs.mkdirSync(path.dirname(ENGINE), { recursive: true });
  await build({
    stdin: {
      contents: [
        "export { readCapture } from './src/capture/read-capture.ts';",
        "export { fileSource } from './src/host/node/file-source.ts';",
        "export { DissectConfig } from './src/dissect/config.ts';",
        "export { DecodedPacket } from './src/dissect/decoded.ts';",
        "export { decodePacket, linkTypeDecoded } from './src/dissect/decoder.ts';",
        "export { compileFilter } from './src/filter/compile.ts';",
        "export { FrameFilter } from './src/filter/frame-filter.ts';",
      ].join('\n'),
      resolveDir: ROOT, loader: 'ts',
    },
    outfile: ENGINE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  });
  return ENGINE;
}

async function main() {
  const a = process.argv.slice(2);
  let mode = 'filter', filter = DEFAULT_FILTER, file = null;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--mode') mode = a[++i];
    else if (a[i] === '--filter') filter = a[++i];
    else file = a[i];
  }
  if (!file || (mode !== 'decode' && mode !== 'filter')) throw new Error('usage: node bench/filter-pass.mjs --mode decode|filter [--filter EXPR] FILE');
  if (!fs.existsSync(ENGINE)) await bundleFilterEngine();
  const e = await import(pathToFileURL(ENGINE).href);
  const cfg = new e.DissectConfig({});
  const p = new e.DecodedPacket();
  const fcs = [];
  const decodable = [];
  let packets = 0, matched = 0;
  const ff = mode === 'filter' ? new e.FrameFilter(e.compileFilter(filter), cfg, false) : null;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await e.readCapture(await e.fileSource(file), {
    onInterface(i) { fcs[i.id] = i.fcsLength; decodable[i.id] = e.linkTypeDecoded(i.linkType); ff?.onInterface(i); },
    onRecord(rec, bytes, start) {
      packets++;
      if (ff) { if (ff.test(rec, bytes, start, p)) matched++; return; }
      let caplen = rec.capturedLength;
      const f = fcs[rec.interfaceId] ?? 0;
      if (f > 0 && rec.originalLength >= caplen && caplen >= f) caplen -= f;
      if (decodable[rec.interfaceId]) e.decodePacket(p, bytes, start, caplen, rec.linkType, cfg);
    },
    onIssue() {},
  });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  // CPU time (user + system) as well as wall: on a loaded machine the wall time mostly measures the others.
  console.log(JSON.stringify({ mode, filter: ff ? filter : null, packets, matched, ms: Math.round(ms), cpuMs: Math.round((c.user + c.system) / 1000) }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => { console.error(err.message); process.exit(1); });
}
