// `npm start`: the desktop app when the Electron binary is installed;
// otherwise the same UI served on 127.0.0.1 with the engine in a Web Worker.
// Usage: npm start [-- CAPTURE...]   (captures are opened in the desktop app;
// in the browser pick or drop them: the page cannot read local paths).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebServer } from './web-server.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);

function electronBinary() {
  const pkg = path.join(root, 'node_modules', 'electron');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  let rel = null;
  try { rel = fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim(); } catch { /* not installed */ }
  const bin = override ? path.join(override, rel || 'electron') : rel ? path.join(pkg, 'dist', rel) : null;
  return bin && fs.existsSync(bin) ? bin : null;
}

function newestMtime(dir) {
  let t = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function build(script) {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', ...script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) { console.error('overlayscope: the UI build failed'); process.exit(1); }
}

const webDir = path.join(root, 'dist-web');
const stale = !fs.existsSync(path.join(webDir, 'index.html')) ||
  Math.max(newestMtime(path.join(root, 'renderer')), newestMtime(path.join(root, 'src'))) > fs.statSync(path.join(webDir, 'index.html')).mtimeMs;
if (stale) build([]);

const bin = electronBinary();
if (bin) {
  if (!fs.existsSync(path.join(root, 'dist-electron', 'main.js'))) build(['--config', 'vite.electron.config.ts']);
  const child = spawn(bin, [root, ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const port = Number(process.env.PORT ?? 5173);
  const srv = await startWebServer({ webDir, labDir: path.join(root, 'fixtures', 'lab'), port }).catch(async (e) => {
    if (e.code !== 'EADDRINUSE') throw e;
    return startWebServer({ webDir, labDir: path.join(root, 'fixtures', 'lab'), port: 0 });
  });
  console.log(`Electron binary not available (offline install); serving the same UI at ${srv.url} — engine runs in a Web Worker in your browser${args.length ? ' (pick or drop your captures there)' : ', opening the lab captures'}`);
  const stop = () => { void srv.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
