// Bundles the CLI (src/cli.ts and the engine) into dist/cli.js with esbuild.
// Runs on `npm install` (prepare) so `npx overlayscope` works in a fresh checkout.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// What both bundles share: one ESM file for Node 20, with its source map.
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [path.join(root, 'src/cli.ts')],
  outfile: path.join(root, 'dist/cli.js'),
  // CommonJS dependencies bundled into this ESM file (yaml's node build) call require('process').
  banner: { js: "import { createRequire as __overlayscopeCreateRequire } from 'node:module'; const require = __overlayscopeCreateRequire(import.meta.url);" },
});
// The flow worker of `analyze --threads N` (src/host/node/analyze-worker.ts), found beside dist/cli.js.
await build({
  ...common,
  entryPoints: [path.join(root, 'src/host/node/analyze-worker.ts')],
  outfile: path.join(root, 'dist/analyze-worker.js'),
});
