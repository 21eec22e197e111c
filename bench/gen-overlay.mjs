#!/usr/bin/env node
// Deterministic generator of a synthetic Kubernetes-overlay capture (classic
// pcap, Ethernet, microsecond timestamps, little-endian). Plain Node, no deps.
//
//   node bench/gen-overlay.mjs --out FILE [--packets N] [--seed S] [--quiet]
//
// Same arguments => same bytes (seeded PRNG, fixed start time, no wall clock).
// Writes FILE (via FILE.partial + rename) and then FILE.truth.json with exact
// counts of what it wrote.
//
// What is in it (a three-node Flannel cluster on a VirtualBox host-only net):
//   nodes 192.168.56.11-13, pods 10.244.0-2.x (node .11 -> 10.244.0.0/24, ...)
//   * pod-to-pod HTTP/1.1 over TCP, node-to-node in VXLAN: UDP dst 8472 VNI 1
//     (Flannel) for most, UDP dst 4789 VNI 4096 for some. Each connection:
//     SYN, SYN/ACK, ACK, then 1-3 keep-alive exchanges (GET with Host header,
//     server ACK, 200 response with Content-Length in 2 or more segments of
//     <= MSS 1398 bytes, the first one carrying the headers, client ACK every 2 segments
//     and after the last), then FIN/ACK, FIN/ACK, ACK.
//   * direct node-to-node HTTP (not tunnelled): Prometheus on .11 scraping
//     node-exporter :9100 /metrics and kube-proxy :10256 /healthz on .12/.13.
//   * DNS over UDP in VXLAN 8472: pods query a CoreDNS pod on another node
//     (10.244.0.5 on .11 or 10.244.1.4 on .12) for an A record; one response
//     with one A record each. The very last packet may be a lone query when
//     an odd number of packets is left to fill (counted in the truth file).
// Several connections are in flight at once and their packets interleave;
// timestamps strictly increase. IPv4 header checksums, inner TCP and UDP
// checksums are correct; outer VXLAN UDP checksum is 0 (as Linux/Flannel send).
import fs from 'node:fs';
import path from 'node:path';

export const GEN_VERSION = 3;
export const DEFAULT_PACKETS = 2_000_000;
export const DEFAULT_SEED = 1;

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const a = { out: null, packets: DEFAULT_PACKETS, seed: DEFAULT_SEED, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--out') a.out = v();
    else if (k === '--packets') a.packets = Number(v().replace(/_/g, ''));
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--quiet') a.quiet = true;
    else if (k === '-h' || k === '--help') {
      console.log('usage: node bench/gen-overlay.mjs --out FILE [--packets N (default 2000000)] [--seed S (default 1)] [--quiet]');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!a.out) throw new Error('--out FILE is required');
  if (!Number.isInteger(a.packets) || a.packets < 1) throw new Error('--packets must be a positive integer');
  if (!Number.isInteger(a.seed)) throw new Error('--seed must be an integer');
  return a;
}

// ---------------------------------------------------------------- PRNG (sfc32 seeded by splitmix32)
function makeRng(seed) {
  let s = seed >>> 0;
  const sm = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm(), b = sm(), c = sm(), d = sm();
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 16; i++) u32();
  const rand = () => u32() / 4294967296;
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  return { u32, rand, int, pick };
}

// ---------------------------------------------------------------- cluster model
const ip = (a, b, c, d) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const ipStr = (x) => `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
const NODE_IPS = [ip(192, 168, 56, 11), ip(192, 168, 56, 12), ip(192, 168, 56, 13)];
const NODE_MACS = NODE_IPS.map((_, i) => Uint8Array.from([0x08, 0x00, 0x27, 0x4e, 0x9a, 0x11 + i]));
// flannel.1 VTEP MACs (locally administered), inner Ethernet of VXLAN frames.
const VTEP_MACS = NODE_IPS.map((_, i) => Uint8Array.from([0x0a, 0x6b, 0x3c, 0x51, 0x20 + i, 0x7e]));
const POD_SUBNET = (node) => ip(10, 244, node, 0);
const CLIENT_PODS_PER_NODE = 48; // 10.244.n.30 .. 10.244.n.77
const SERVER_PODS_PER_NODE = 12; // 10.244.n.10 .. 10.244.n.21
const COREDNS = [{ ip: ip(10, 244, 0, 5), node: 0 }, { ip: ip(10, 244, 1, 4), node: 1 }];
const SERVICE_IP = (k) => ip(10, 96, 0, 0) + 20 + k; // A records answered by DNS

const NAMESPACES = ['default', 'shop', 'payments', 'monitoring', 'auth', 'search'];
const SERVICES = ['frontend', 'cart', 'checkout', 'catalog', 'orders', 'users', 'inventory', 'ledger', 'search-api', 'recommend', 'gateway', 'session'];
const PATHS = ['/api/v1/items', '/api/v1/orders', '/api/v2/users', '/healthz', '/static/app.js', '/catalog/list', '/cart/view', '/v1/price', '/graphql', '/metrics'];
const AGENTS = ['curl/8.5.0', 'Go-http-client/1.1', 'python-requests/2.31.0', 'okhttp/4.12.0'];
const MSS = 1398;
const CAPTURE_START_US = 1736935200 * 1_000_000; // 2025-01-15T10:00:00Z
const HTTP_DATE = 'Wed, 15 Jan 2025 10:00:00 GMT';

// Encapsulations.
const ENC_NONE = 0, ENC_FLANNEL = 1, ENC_4789 = 2;
const ENCAPS = [null, { port: 8472, vni: 1 }, { port: 4789, vni: 4096 }];

// TCP flags
const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

// ---------------------------------------------------------------- generator
export function generate(opts) {
  const { out, packets: N, seed, quiet } = opts;
  const rng = makeRng(seed);
  const t0 = process.hrtime.bigint();

  // Body source: printable JSON-ish text (deterministic), sliced into responses.
  const BODY = Buffer.alloc(1 << 18);
  {
    const words = ['"id":', '"name":"', 'widget', 'gadget', '"price":', '"sku":"', 'k8s', '"tags":["', 'overlay', 'vxlan', '"ok":true', '},{', '"qty":'];
    let o = 0;
    while (o < BODY.length) {
      const w = rng.pick(words) + rng.int(0, 99999) + ',';
      o += BODY.write(w, o, 'latin1');
    }
  }

  const fd = fs.openSync(out + '.partial', 'w');
  const buf = Buffer.allocUnsafe(16 * 1024 * 1024);
  const FLUSH_AT = buf.length - 2048;
  let p = 0;
  const flush = () => {
    let w = 0;
    while (w < p) w += fs.writeSync(fd, buf, w, p - w);
    p = 0;
  };

  // pcap file header: LE, v2.4, µs, snaplen 262144, DLT_EN10MB
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeInt32LE(0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt32LE(262144, 16);
  buf.writeUInt32LE(1, 20);
  p = 24;

  // ---- truth counters
  const T = {
    packets: 0, capturedBytes: 0,
    vxlan8472: 0, vxlan4789: 0, vni: { 1: 0, 4096: 0 },
    tcpPackets0: 0, tcpPackets1: 0, udpPackets0: 0, udpPackets1: 0,
    tcpConns0: 0, tcpConns1: 0, tcpConns8472: 0, tcpConns4789: 0,
    httpReq0: 0, httpReq1: 0, httpResp0: 0, httpResp1: 0,
    httpRespBodyBytes: 0,
    dnsQueries: 0, dnsResponses: 0, dnsUnanswered: 0,
    tcpPayloadSegments: 0,
    maxFrame: 0, minFrame: 1e9,
    firstUs: 0, lastUs: 0,
  };
  const tcpConv = [new Set(), new Set()]; // depth 0, depth 1
  const udpConv = [new Set(), new Set()];
  const convKey = (a, ap, b, bp) => (a < b || (a === b && ap <= bp)) ? `${a}:${ap}-${b}:${bp}` : `${b}:${bp}-${a}:${ap}`;

  let clock = CAPTURE_START_US;
  let frameStart = 0; // offset of the frame in buf
  let ipIdOuter = [rng.int(0, 65535), rng.int(0, 65535), rng.int(0, 65535)];

  // ---- low-level writers (all write into buf)
  function ipHeader(o, totalLen, id, df, ttl, proto, src, dst) {
    buf[o] = 0x45; buf[o + 1] = 0;
    buf[o + 2] = totalLen >>> 8; buf[o + 3] = totalLen & 255;
    buf[o + 4] = (id >>> 8) & 255; buf[o + 5] = id & 255;
    buf[o + 6] = df ? 0x40 : 0; buf[o + 7] = 0;
    buf[o + 8] = ttl; buf[o + 9] = proto;
    buf[o + 10] = 0; buf[o + 11] = 0;
    buf[o + 12] = src >>> 24; buf[o + 13] = (src >>> 16) & 255; buf[o + 14] = (src >>> 8) & 255; buf[o + 15] = src & 255;
    buf[o + 16] = dst >>> 24; buf[o + 17] = (dst >>> 16) & 255; buf[o + 18] = (dst >>> 8) & 255; buf[o + 19] = dst & 255;
    let s = 0;
    for (let i = 0; i < 20; i += 2) s += (buf[o + i] << 8) | buf[o + i + 1];
    s = (s & 0xffff) + (s >>> 16); s = (s & 0xffff) + (s >>> 16);
    const c = ~s & 0xffff;
    buf[o + 10] = c >>> 8; buf[o + 11] = c & 255;
  }
  function eth(o, dst, src) {
    buf.set(dst, o); buf.set(src, o + 6);
    buf[o + 12] = 0x08; buf[o + 13] = 0x00;
  }
  function sum16(o, len) {
    let s = 0;
    const end = o + (len & ~1);
    for (let i = o; i < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
    if (len & 1) s += buf[o + len - 1] << 8;
    return s;
  }
  function l4Checksum(o, len, proto, src, dst, csumAt) {
    let s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
    s += sum16(o, len);
    while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
    let c = ~s & 0xffff;
    if (proto === 17 && c === 0) c = 0xffff;
    buf[csumAt] = c >>> 8; buf[csumAt + 1] = c & 255;
  }

  /**
   * Starts a frame for flow f in direction fromClient with an inner L4 of
   * l4Len bytes; writes Ethernet (+ outer IPv4/UDP/VXLAN + inner Ethernet) and
   * the inner IPv4 header. Returns the offset of the L4 header.
   */
  function beginFrame(f, fromClient, proto, l4Len) {
    if (p > FLUSH_AT) flush();
    frameStart = p + 16;
    let o = frameStart;
    const srcNode = fromClient ? f.cNode : f.sNode;
    const dstNode = fromClient ? f.sNode : f.cNode;
    const innerLen = 20 + l4Len;
    if (f.encap !== ENC_NONE) {
      const e = ENCAPS[f.encap];
      const udpLen = 8 + 8 + 14 + innerLen;
      eth(o, NODE_MACS[dstNode], NODE_MACS[srcNode]);
      const id = ipIdOuter[srcNode] = (ipIdOuter[srcNode] + 1) & 0xffff;
      ipHeader(o + 14, 20 + udpLen, id, false, 64, 17, NODE_IPS[srcNode], NODE_IPS[dstNode]);
      o += 34;
      buf[o] = f.udpSrc >>> 8; buf[o + 1] = f.udpSrc & 255;
      buf[o + 2] = e.port >>> 8; buf[o + 3] = e.port & 255;
      buf[o + 4] = udpLen >>> 8; buf[o + 5] = udpLen & 255;
      buf[o + 6] = 0; buf[o + 7] = 0;
      o += 8;
      buf[o] = 0x08; buf[o + 1] = 0; buf[o + 2] = 0; buf[o + 3] = 0;
      buf[o + 4] = (e.vni >>> 16) & 255; buf[o + 5] = (e.vni >>> 8) & 255; buf[o + 6] = e.vni & 255; buf[o + 7] = 0;
      o += 8;
      eth(o, VTEP_MACS[dstNode], VTEP_MACS[srcNode]);
      o += 14;
      if (f.encap === ENC_FLANNEL) T.vxlan8472++; else T.vxlan4789++;
      T.vni[e.vni]++;
    } else {
      eth(o, NODE_MACS[dstNode], NODE_MACS[srcNode]);
      o += 14;
    }
    let id;
    if (fromClient) id = f.idC = (f.idC + 1) & 0xffff; else id = f.idS = (f.idS + 1) & 0xffff;
    ipHeader(o, innerLen, id, proto === 6, f.encap !== ENC_NONE ? 63 : 64, proto,
      fromClient ? f.cIP : f.sIP, fromClient ? f.sIP : f.cIP);
    return o + 20;
  }

  function endFrame(end) {
    const len = end - frameStart;
    clock += 1 + Math.floor(rng.rand() * rng.rand() * 60);
    const sec = Math.floor(clock / 1e6);
    const usec = clock - sec * 1e6;
    buf.writeUInt32LE(sec, p);
    buf.writeUInt32LE(usec, p + 4);
    buf.writeUInt32LE(len, p + 8);
    buf.writeUInt32LE(len, p + 12);
    p = end;
    if (T.packets === 0) T.firstUs = clock;
    T.lastUs = clock;
    T.packets++;
    T.capturedBytes += len;
    if (len > T.maxFrame) T.maxFrame = len;
    if (len < T.minFrame) T.minFrame = len;
  }

  // SYN options: MSS 1398, NOP, NOP, SACK-permitted, NOP, window scale 7.
  const SYN_OPTS = Uint8Array.from([2, 4, MSS >>> 8, MSS & 255, 1, 1, 4, 2, 1, 3, 3, 7]);

  function tcp(f, fromClient, flags, payload, pOff, pLen) {
    const optLen = (flags & SYN) ? 12 : 0;
    const hl = 20 + optLen;
    const o = beginFrame(f, fromClient, 6, hl + pLen);
    const sport = fromClient ? f.cPort : f.sPort, dport = fromClient ? f.sPort : f.cPort;
    const seq = fromClient ? f.cSeq : f.sSeq;
    const ack = (flags & ACK) ? (fromClient ? f.sSeq : f.cSeq) : 0;
    buf[o] = sport >>> 8; buf[o + 1] = sport & 255; buf[o + 2] = dport >>> 8; buf[o + 3] = dport & 255;
    buf[o + 4] = seq >>> 24; buf[o + 5] = (seq >>> 16) & 255; buf[o + 6] = (seq >>> 8) & 255; buf[o + 7] = seq & 255;
    buf[o + 8] = ack >>> 24; buf[o + 9] = (ack >>> 16) & 255; buf[o + 10] = (ack >>> 8) & 255; buf[o + 11] = ack & 255;
    buf[o + 12] = (hl / 4) << 4; buf[o + 13] = flags;
    const win = (flags & SYN) ? (fromClient ? 64240 : 65160) : (fromClient ? 502 : 509);
    buf[o + 14] = win >>> 8; buf[o + 15] = win & 255;
    buf[o + 16] = 0; buf[o + 17] = 0; buf[o + 18] = 0; buf[o + 19] = 0;
    if (optLen) buf.set(SYN_OPTS, o + 20);
    if (pLen) payload.copy(buf, o + hl, pOff, pOff + pLen);
    l4Checksum(o, hl + pLen, 6, fromClient ? f.cIP : f.sIP, fromClient ? f.sIP : f.cIP, o + 16);
    const adv = pLen + ((flags & (SYN | FIN)) ? 1 : 0);
    if (fromClient) f.cSeq = (f.cSeq + adv) >>> 0; else f.sSeq = (f.sSeq + adv) >>> 0;
    if (f.encap === ENC_NONE) T.tcpPackets0++; else T.tcpPackets1++;
    if (pLen) T.tcpPayloadSegments++;
    endFrame(o + hl + pLen);
  }

  function udp(f, fromClient, payload, pLen) {
    const o = beginFrame(f, fromClient, 17, 8 + pLen);
    const sport = fromClient ? f.cPort : f.sPort, dport = fromClient ? f.sPort : f.cPort;
    const len = 8 + pLen;
    buf[o] = sport >>> 8; buf[o + 1] = sport & 255; buf[o + 2] = dport >>> 8; buf[o + 3] = dport & 255;
    buf[o + 4] = len >>> 8; buf[o + 5] = len & 255; buf[o + 6] = 0; buf[o + 7] = 0;
    payload.copy(buf, o + 8, 0, pLen);
    l4Checksum(o, len, 17, fromClient ? f.cIP : f.sIP, fromClient ? f.sIP : f.cIP, o + 6);
    if (f.encap === ENC_NONE) T.udpPackets0++; else T.udpPackets1++;
    endFrame(o + len);
  }

  // ---- flow construction
  const nextPort = new Map(); // client IP -> next ephemeral port
  function ephemeralPort(cIP) {
    let pt = nextPort.get(cIP) ?? rng.int(32768, 60999);
    pt += rng.int(1, 7);
    if (pt > 60999) pt = 32768 + (pt - 61000);
    nextPort.set(cIP, pt);
    return pt;
  }
  const outerSrcPort = () => rng.int(32768, 60999); // Linux: flow hash -> [32768, 61000)
  const podIP = (node, first, count) => POD_SUBNET(node) + first + rng.int(0, count - 1);

  function baseFlow(encap, cNode, sNode, cIP, sIP, sPort, proto) {
    const depth = encap === ENC_NONE ? 0 : 1;
    const set = proto === 6 ? tcpConv[depth] : udpConv[depth];
    let cPort, key;
    for (;;) {
      cPort = ephemeralPort(cIP);
      key = convKey(cIP, cPort, sIP, sPort);
      if (!set.has(key)) break; // every TCP connection is a distinct conversation
    }
    set.add(key);
    return {
      encap, cNode, sNode, cIP, sIP, cPort, sPort, udpSrc: outerSrcPort(),
      idC: rng.int(0, 65535), idS: rng.int(0, 65535),
      cSeq: rng.u32(), sSeq: rng.u32(), remaining: 0, it: null,
    };
  }

  // Body sizes; the smallest still makes a 2-segment response (headers ~150 bytes + >= 1400).
  function responseSize() {
    const r = rng.rand();
    if (r < 0.45) return rng.int(1400, 4000);
    if (r < 0.85) return rng.int(3000, 30000);
    return rng.int(30000, 160000);
  }
  const segsOf = (n) => Math.ceil(n / MSS);
  const exchangePackets = (respLen) => { const s = segsOf(respLen); return 2 + s + Math.ceil(s / 2); };

  function buildResponse(bodyLen) {
    const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${bodyLen}\r\nDate: ${HTTP_DATE}\r\nServer: nginx/1.25.3\r\nConnection: keep-alive\r\n\r\n`;
    const b = Buffer.allocUnsafe(head.length + bodyLen);
    b.write(head, 0, 'latin1');
    let o = head.length, from = rng.int(0, BODY.length - 1);
    while (o < b.length) {
      const n = Math.min(b.length - o, BODY.length - from);
      BODY.copy(b, o, from, from + n);
      o += n; from = 0;
    }
    return b;
  }

  function* httpSteps(f, exchanges) {
    const depth = f.encap === ENC_NONE ? 0 : 1;
    tcp(f, true, SYN, null, 0, 0); yield;
    tcp(f, false, SYN | ACK, null, 0, 0); yield;
    tcp(f, true, ACK, null, 0, 0); yield;
    for (const ex of exchanges) {
      const req = Buffer.from(`GET ${ex.path} HTTP/1.1\r\nHost: ${ex.host}\r\nUser-Agent: ${ex.agent}\r\nAccept: */*\r\n\r\n`, 'latin1');
      tcp(f, true, PSH | ACK, req, 0, req.length);
      if (depth) T.httpReq1++; else T.httpReq0++;
      yield;
      tcp(f, false, ACK, null, 0, 0); yield;
      const resp = buildResponse(ex.bodyLen);
      T.httpRespBodyBytes += ex.bodyLen;
      const segs = segsOf(resp.length);
      for (let i = 0; i < segs; i++) {
        const off = i * MSS, n = Math.min(MSS, resp.length - off);
        tcp(f, false, (i === segs - 1 ? PSH : 0) | ACK, resp, off, n);
        if (i === 0) { if (depth) T.httpResp1++; else T.httpResp0++; }
        yield;
        if ((i & 1) === 1 || i === segs - 1) { tcp(f, true, ACK, null, 0, 0); yield; }
      }
    }
    tcp(f, true, FIN | ACK, null, 0, 0); yield;
    tcp(f, false, FIN | ACK, null, 0, 0); yield;
    tcp(f, true, ACK, null, 0, 0); yield;
  }

  function newHttpFlow(kind) {
    let f, exchanges = [];
    const nEx = (() => { const r = rng.rand(); return r < 0.7 ? 1 : r < 0.9 ? 2 : 3; })();
    if (kind === 'direct') {
      const sNode = rng.int(1, 2);
      const metrics = rng.rand() < 0.6;
      f = baseFlow(ENC_NONE, 0, sNode, NODE_IPS[0], NODE_IPS[sNode], metrics ? 9100 : 10256, 6);
      const host = `${ipStr(NODE_IPS[sNode])}:${f.sPort}`;
      for (let i = 0; i < nEx; i++) {
        exchanges.push({ path: metrics ? '/metrics' : '/healthz', host, agent: metrics ? 'Prometheus/2.53.0' : 'kube-probe/1.30',
          bodyLen: metrics ? rng.int(20000, 90000) : rng.int(2, 200) });
      }
      T.tcpConns0++;
    } else {
      const encap = kind === '4789' ? ENC_4789 : ENC_FLANNEL;
      const cNode = rng.int(0, 2);
      const sNode = (cNode + rng.int(1, 2)) % 3;
      const cIP = podIP(cNode, 30, CLIENT_PODS_PER_NODE);
      const sIP = podIP(sNode, 10, SERVER_PODS_PER_NODE);
      const sPort = rng.rand() < 0.7 ? 8080 : 80;
      f = baseFlow(encap, cNode, sNode, cIP, sIP, sPort, 6);
      const svc = SERVICES[(sIP & 255) % SERVICES.length];
      const ns = NAMESPACES[((sIP >>> 8) + (sIP & 255)) % NAMESPACES.length];
      const host = rng.rand() < 0.5 ? `${svc}.${ns}.svc.cluster.local${sPort === 80 ? '' : ':' + sPort}` : `${svc}${sPort === 80 ? '' : ':' + sPort}`;
      const agent = rng.pick(AGENTS);
      for (let i = 0; i < nEx; i++) {
        exchanges.push({ path: `${rng.pick(PATHS)}/${rng.int(1, 99999)}`, host, agent, bodyLen: responseSize() });
      }
      T.tcpConns1++;
      if (encap === ENC_FLANNEL) T.tcpConns8472++; else T.tcpConns4789++;
    }
    // Packets this flow will emit: handshake 3 + teardown 3 + each exchange
    // (the response length includes its header block).
    f.remaining = 6;
    for (const ex of exchanges) {
      const headLen = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${ex.bodyLen}\r\nDate: ${HTTP_DATE}\r\nServer: nginx/1.25.3\r\nConnection: keep-alive\r\n\r\n`.length;
      f.remaining += exchangePackets(headLen + ex.bodyLen);
    }
    f.it = httpSteps(f, exchanges);
    return f;
  }

  function dnsMessage(id, name, answer) {
    const labels = name.split('.');
    const qnameLen = labels.reduce((n, l) => n + 1 + l.length, 1);
    const len = 12 + qnameLen + 4 + (answer ? 16 : 0);
    const b = Buffer.alloc(len);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(answer ? 0x8580 : 0x0100, 2);
    b.writeUInt16BE(1, 4);
    b.writeUInt16BE(answer ? 1 : 0, 6);
    let o = 12;
    for (const l of labels) { b[o++] = l.length; o += b.write(l, o, 'latin1'); }
    b[o++] = 0;
    b.writeUInt16BE(1, o); b.writeUInt16BE(1, o + 2); o += 4;
    if (answer) {
      b.writeUInt16BE(0xc00c, o); b.writeUInt16BE(1, o + 2); b.writeUInt16BE(1, o + 4);
      b.writeUInt32BE(30, o + 6); b.writeUInt16BE(4, o + 10); b.writeUInt32BE(answer, o + 12);
    }
    return b;
  }

  function* dnsSteps(f, id, name, answer, withResponse) {
    const q = dnsMessage(id, name, 0);
    udp(f, true, q, q.length); T.dnsQueries++; yield;
    if (!withResponse) { T.dnsUnanswered++; return; }
    const r = dnsMessage(id, name, answer);
    udp(f, false, r, r.length); T.dnsResponses++; yield;
  }

  function newDnsFlow(withResponse) {
    const dns = rng.pick(COREDNS);
    const cNode = (dns.node + rng.int(1, 2)) % 3;
    const f = baseFlow(ENC_FLANNEL, cNode, dns.node, podIP(cNode, 30, CLIENT_PODS_PER_NODE), dns.ip, 53, 17);
    const k = rng.int(0, SERVICES.length - 1);
    const name = `${SERVICES[k]}.${rng.pick(NAMESPACES)}.svc.cluster.local`;
    f.remaining = withResponse ? 2 : 1;
    f.it = dnsSteps(f, rng.int(0, 65535), name, SERVICE_IP(k), withResponse);
    return f;
  }

  // ---- scheduler: several flows in flight, packets interleaved
  const ACTIVE = 24;
  const active = [];
  let committed = 0; // packets emitted + still owed by active flows
  function spawn() {
    const budget = N - committed;
    if (budget <= 0) return false;
    const r = rng.rand();
    let f;
    if (r < 0.10) f = newDnsFlow(true);
    else if (r < 0.16) f = newHttpFlow('direct');
    else if (r < 0.30) f = newHttpFlow('4789');
    else f = newHttpFlow('8472');
    if (f.remaining > budget) {
      // Undo the flow's conversation bookkeeping and fill with DNS instead.
      undoFlow(f);
      f = newDnsFlow(budget >= 2);
    }
    committed += f.remaining;
    active.push(f);
    return true;
  }
  function undoFlow(f) {
    const depth = f.encap === ENC_NONE ? 0 : 1;
    tcpConv[depth].delete(convKey(f.cIP, f.cPort, f.sIP, f.sPort));
    if (depth) { T.tcpConns1--; if (f.encap === ENC_FLANNEL) T.tcpConns8472--; else T.tcpConns4789--; } else T.tcpConns0--;
  }

  while (T.packets < N) {
    while (active.length < ACTIVE && spawn()) { /* fill */ }
    const i = Math.floor(rng.rand() * active.length);
    const f = active[i];
    f.it.next();
    if (--f.remaining === 0) {
      if (!f.it.next().done) throw new Error('internal: flow emitted more packets than planned');
      active[i] = active[active.length - 1];
      active.pop();
    }
  }
  if (active.length) throw new Error('internal: flows left over');
  flush();
  fs.closeSync(fd);
  const fileBytes = fs.statSync(out + '.partial').size;
  const expectBytes = 24 + 16 * T.packets + T.capturedBytes;
  if (fileBytes !== expectBytes) throw new Error(`internal: wrote ${fileBytes} bytes, expected ${expectBytes}`);
  fs.renameSync(out + '.partial', out);

  const truth = {
    generator: 'bench/gen-overlay.mjs',
    version: GEN_VERSION,
    args: { packets: N, seed },
    format: { kind: 'pcap', endian: 'little', precision: 'us', linkType: 1, snapLen: 262144 },
    packets: T.packets,
    bytes: { file: fileBytes, captured: T.capturedBytes, minFrame: T.minFrame, maxFrame: T.maxFrame },
    time: { first: T.firstUs / 1e6, last: T.lastUs / 1e6, durationSec: (T.lastUs - T.firstUs) / 1e6 },
    connections: {
      total: T.tcpConns0 + T.tcpConns1,
      tunnelled: T.tcpConns1, tunnelled8472: T.tcpConns8472, tunnelled4789: T.tcpConns4789,
      direct: T.tcpConns0,
    },
    httpRequests: { total: T.httpReq0 + T.httpReq1, depth0: T.httpReq0, depth1: T.httpReq1 },
    httpResponses: { total: T.httpResp0 + T.httpResp1, depth0: T.httpResp0, depth1: T.httpResp1, bodyBytes: T.httpRespBodyBytes },
    dnsQueries: T.dnsQueries,
    dnsResponses: T.dnsResponses,
    dnsUnansweredQueries: T.dnsUnanswered,
    vxlanPackets: { total: T.vxlan8472 + T.vxlan4789, udp8472: T.vxlan8472, udp4789: T.vxlan4789, vni1: T.vni[1], vni4096: T.vni[4096] },
    directPackets: T.packets - T.vxlan8472 - T.vxlan4789,
    tcpPackets: { depth0: T.tcpPackets0, depth1: T.tcpPackets1 },
    udpPackets: { depth0: T.udpPackets0 + T.vxlan8472 + T.vxlan4789, depth1: T.udpPackets1 },
    tcpPayloadSegments: T.tcpPayloadSegments,
    tcpConversations: { depth0: tcpConv[0].size, depth1: tcpConv[1].size, total: tcpConv[0].size + tcpConv[1].size },
    // Inner UDP conversations (DNS); outer VXLAN UDP conversations are not counted.
    udpConversations: { depth1: udpConv[1].size },
    notes: [
      'depth 0 = outermost headers; depth 1 = inside one VXLAN header.',
      'Every TCP connection has a distinct 4-tuple, so connections == TCP conversations.',
      'tshark conv,tcp with -d udp.port==8472,vxlan reports the inner TCP of tunnelled packets: it should list tcpConversations.total rows.',
      'DNS goes pod -> CoreDNS pod on another node, in VXLAN 8472 VNI 1.',
    ],
  };
  fs.writeFileSync(out + '.truth.json', JSON.stringify(truth, null, 2) + '\n');
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!quiet) {
    console.error(`gen-overlay: ${out}: ${T.packets} packets, ${fileBytes} bytes (${(fileBytes / 1e9).toFixed(3)} GB), ` +
      `${truth.connections.total} TCP connections, ${truth.dnsQueries} DNS queries in ${secs.toFixed(2)} s (${(fileBytes / 1e6 / secs).toFixed(0)} MB/s)`);
  }
  return { truth, seconds: secs };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gen-overlay.mjs')) {
  try {
    const a = parseArgs(process.argv.slice(2));
    fs.mkdirSync(path.dirname(path.resolve(a.out)), { recursive: true });
    generate(a);
  } catch (e) {
    console.error(`gen-overlay: ${e.message}`);
    process.exit(1);
  }
}
