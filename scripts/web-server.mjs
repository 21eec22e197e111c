// Serves the built renderer (dist-web/) on 127.0.0.1, and the lab captures
// read-only under /lab/ with a generated /lab/index.json. Used by
// `npm start` when no Electron binary is present, and by the e2e tests.
// Only GET/HEAD; only files inside the two roots; never writes anything.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
  '.map': 'application/json', '.pcap': 'application/vnd.tcpdump.pcap', '.pcapng': 'application/octet-stream',
};
const CAPTURE = /\.(pcap|pcapng|cap)$/i;

/** Lists the lab scenarios: captures/<scenario>/<point>.pcap, captures/<scenario>.pcapng, cluster.json. */
export function labManifest(labDir) {
  const capDir = path.join(labDir, 'captures');
  if (!fs.existsSync(capDir)) return { scenarios: [], cluster: null };
  const scenarios = [];
  for (const ent of fs.readdirSync(capDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!ent.isDirectory()) continue;
    const dir = path.join(capDir, ent.name);
    const captures = fs.readdirSync(dir).filter((f) => CAPTURE.test(f)).sort().map((f) => ({
      name: f, url: `lab/captures/${encodeURIComponent(ent.name)}/${encodeURIComponent(f)}`, size: fs.statSync(path.join(dir, f)).size,
    }));
    const mergedPath = path.join(capDir, `${ent.name}.pcapng`);
    const merged = fs.existsSync(mergedPath)
      ? { name: `${ent.name}.pcapng`, url: `lab/captures/${encodeURIComponent(ent.name)}.pcapng`, size: fs.statSync(mergedPath).size }
      : null;
    if (captures.length) scenarios.push({ name: ent.name, captures, merged });
  }
  const clusterPath = path.join(labDir, 'cluster.json');
  const cluster = fs.existsSync(clusterPath) ? { name: 'cluster.json', url: 'lab/cluster.json', size: fs.statSync(clusterPath).size } : null;
  return { scenarios, cluster };
}

/** The file under `root` that `rel` names, or null when it escapes `root`. */
export function safeJoin(root, rel) {
  let decoded;
  try { decoded = decodeURIComponent(rel); } catch { return null; }
  if (decoded.includes('\0')) return null;
  const abs = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  const r = path.resolve(root);
  return abs === r || abs.startsWith(r + path.sep) ? abs : null;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/**
 * Starts the server. `port` 0 picks a free one. Resolves to { server, url, close() }.
 * `extra` maps URL prefixes (e.g. '/bench/') to read-only directories, for measurements.
 */
export function startWebServer({ webDir, labDir, port = 0, host = '127.0.0.1', extra = {} }) {
  const server = http.createServer((req, res) => {
    const send = (code, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'Content-Type': type, ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'read-only server\n');
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = null;
    if (url.pathname === '/lab/index.json') {
      return send(200, JSON.stringify(labManifest(labDir)), TYPES['.json']);
    } else if (url.pathname.startsWith('/lab/')) {
      const rel = url.pathname.slice('/lab/'.length);
      if (!(rel.startsWith('captures/') || rel === 'cluster.json')) return send(404, 'not found\n');
      file = safeJoin(labDir, rel);
    } else {
      const prefix = Object.keys(extra).find((p) => url.pathname.startsWith(p));
      if (prefix) file = safeJoin(extra[prefix], url.pathname.slice(prefix.length));
      else file = safeJoin(webDir, url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    }
    if (!file) return send(400, 'bad path\n');
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return send(404, 'not found\n');
      const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
      if (req.method === 'HEAD') return res.end();
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      resolve({ server, port: p, url: `http://${host}:${p}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}
