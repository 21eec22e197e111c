// `npm run fuzz`: bundles the fuzz harness (test/fuzz/lib, the engine and the
// CLI commands it drives) into dist/fuzz.js with esbuild, then runs it with
// the arguments given (see `npm run fuzz -- --help`).
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outfile = path.join(root, 'dist/fuzz.js');
await build({
  entryPoints: [path.join(root, 'test/fuzz/lib/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  // node_modules (yaml is CommonJS) load from node_modules at run time.
  packages: 'external',
  logLevel: 'warning',
});
const child = spawn(process.execPath, ['--enable-source-maps', outfile, '--root', root, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => { process.exitCode = code ?? (signal ? 1 : 0); });
