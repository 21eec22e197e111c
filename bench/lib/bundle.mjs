// Bundles engine TypeScript entry points for bench scripts with esbuild
// (like scripts/build-cli.mjs does for the CLI) into bench/out/ (gitignored).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT_DIR = path.join(ROOT, 'bench/out');

/** Bundles src/capture/pcap-reader.ts to bench/out/pcap-reader.mjs; returns its path. */
export async function bundleReader() {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const outfile = path.join(OUT_DIR, 'pcap-reader.mjs');
  await build({
    entryPoints: [path.join(ROOT, 'src/capture/pcap-reader.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Bundles the classic-pcap and pcapng readers and the format sniffer
 * (src/capture/{pcap-reader,pcapng-reader,sniff}.ts) to bench/out/readers.mjs.
 */
export async function bundleReaders() {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const outfile = path.join(OUT_DIR, 'readers.mjs');
  await build({
    stdin: {
      contents: [
        "export { PcapReader } from './src/capture/pcap-reader.ts';",
        "export { PcapngReader } from './src/capture/pcapng-reader.ts';",
        "export { sniffFormat } from './src/capture/sniff.ts';",
      ].join('\n'),
      resolveDir: ROOT,
      sourcefile: 'bench-readers-entry.mjs',
      loader: 'js',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}
