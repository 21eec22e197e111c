/**
 * Zeek conn.log (src/export/zeek-conn.ts) on the lab's connections: per TCP
 * connection at every capture point, orig/resp packets, IP bytes and payload
 * bytes equal tshark's per direction, and conn_state is SF exactly where
 * tshark shows SYN, SYN/ACK and a FIN each way with no RST; rows agree with
 * our flows (packets, community IDs, tunnel parents = the rows of the outer
 * flows). A refused connection of the corpus (SYN answered by RST) is REJ.
 * The JSON variant carries the same values; strings are escaped as Zeek does.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { ZeekConnObserver, zeekConnJson, zeekConnRows, zeekConnTsv, ZEEK_CONN_FIELDS, type ZeekConnRow } from '../../src/export/zeek-conn.js';
import { flowCommunityId, tunnelLinks } from '../../src/flows/flow-output.js';
import { corpusPath, corpusSkipReason, fixturePath } from '../helpers/corpus.js';

async function analyse(files: string[]): Promise<{ s: AnalysisSession; rows: ZeekConnRow[] }> {
  const obs = new ZeekConnObserver();
  const s = await AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f, path.basename(f)))), { observers: [obs] });
  return { s, rows: zeekConnRows(s, obs) };
}

interface Dir { pkts: number; ipBytes: number; payload: number; syn: boolean; synAck: boolean; fin: boolean; rst: boolean }
const emptyDir = (): Dir => ({ pkts: 0, ipBytes: 0, payload: 0, syn: false, synAck: false, fin: false, rst: false });

/** tshark's innermost TCP packets of a file, by endpoint pair: per sending endpoint ("ip:port") its counts and flags. */
function tsharkTcp(file: string): Map<string, Map<string, Dir>> {
  const text = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-Y', 'tcp', '-T', 'fields', '-E', 'occurrence=l',
    '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'ip.len', '-e', 'tcp.len', '-e', 'tcp.flags', '-e', 'tcp.analysis.retransmission'],
  { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
  const conns = new Map<string, Map<string, Dir>>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [src, dst, sp, dp, ipLen, tcpLen, flags, retrans] = line.split('\t') as string[];
    const a = `${src}:${sp}`, b = `${dst}:${dp}`;
    const key = [a, b].sort().join(' ');
    let c = conns.get(key);
    if (!c) conns.set(key, c = new Map());
    let d = c.get(a);
    if (!d) c.set(a, d = emptyDir());
    const fl = parseInt(flags!, 16);
    d.pkts++;
    d.ipBytes += Number(ipLen);
    if (!retrans) d.payload += Number(tcpLen);
    if ((fl & 0x12) === 0x02) d.syn = true;
    if ((fl & 0x12) === 0x12) d.synAck = true;
    if (fl & 0x01) d.fin = true;
    if (fl & 0x04) d.rst = true;
  }
  return conns;
}

describe('Zeek conn.log on the lab (nginx-proxy, 14 capture points)', () => {
  it('TCP rows: packets, IP bytes, payload bytes per direction and conn_state as tshark shows them', async () => {
    const dir = fixturePath('lab', 'captures', 'nginx-proxy');
    const files = readdirSync(dir).filter((n) => n.endsWith('.pcap')).sort().map((n) => path.join(dir, n));
    const { s, rows } = await analyse(files);
    const t = s.flows.table;
    const byFile = new Map(files.map((f) => [path.basename(f), tsharkTcp(f)]));
    let tcp = 0, sf = 0, udp = 0, nat = 0;
    for (const r of rows) {
      const f = r.flow;
      // Rows agree with our flows.
      expect(r.orig_pkts + r.resp_pkts).toBe(t.packets(f));
      expect(r.community_id).toBe(flowCommunityId(s, f));
      expect(r.orig_ip_bytes! + r.resp_ip_bytes!, `flow ${f}`).toBe(t.bytes(f) - 14 * t.packets(f) - (t.depth[f]! > 0 ? 50 * t.packets(f) : 0));
      if (r.proto === 'udp') { udp++; continue; }
      if (r.proto !== 'tcp') continue;
      // A connection joined from two NAT half-views (a cni0 with br_netfilter) shows its reply under other addresses: tshark's tuples do not join it.
      if (t.natAlias[f]! >= 0) { nat++; expect([r.orig_pkts, r.resp_pkts]).toEqual([t.packetsAtoB(f), t.packetsBtoA(f)]); continue; }
      const conns = byFile.get(s.captures[t.capture[f]!]!.file)!;
      const o = `${r['id.orig_h']}:${r['id.orig_p']}`, p = `${r['id.resp_h']}:${r['id.resp_p']}`;
      const c = conns.get([o, p].sort().join(' '));
      expect(c, `${o} ${p}`).toBeDefined();
      const od = c!.get(o) ?? emptyDir(), rd = c!.get(p) ?? emptyDir();
      expect([r.orig_pkts, r.resp_pkts]).toEqual([od.pkts, rd.pkts]);
      expect([r.orig_ip_bytes, r.resp_ip_bytes]).toEqual([od.ipBytes, rd.ipBytes]);
      expect([r.orig_bytes, r.resp_bytes]).toEqual([od.payload, rd.payload]);
      const closed = od.syn && rd.synAck && od.fin && rd.fin && !od.rst && !rd.rst;
      expect(r.conn_state === 'SF', `${o} ${p} ${r.history}`).toBe(closed);
      if (closed) { sf++; expect(r.history).toMatch(/^ShA.*F.*f|^ShA.*f.*F/); }
      tcp++;
    }
    console.log(`lab: ${rows.length} rows, ${tcp} TCP checked against tshark (${sf} SF), ${nat} NAT-joined TCP, ${udp} UDP`);
    expect(sf).toBeGreaterThan(40);
    expect(tcp).toBeGreaterThan(50);
    // tunnel_parents name the outer flows' rows, which carry the tunnel as service.
    const byUid = new Map(rows.map((r) => [r.uid, r]));
    expect(byUid.size).toBe(rows.length);
    const links = tunnelLinks(s);
    let inner = 0;
    for (const r of rows) {
      if (t.depth[r.flow] === 0) { expect(r.tunnel_parents).toBeNull(); continue; }
      inner++;
      expect(r.tunnel_parents!.map((u) => byUid.get(u)!.flow).sort()).toEqual([...new Set(links.outersOf(r.flow).map((x) => x.outerFlow))].sort());
      for (const u of r.tunnel_parents!) expect(byUid.get(u)!.service).toBe('vxlan');
    }
    expect(inner).toBeGreaterThan(10);
  }, 120_000);

  it('TSV has Zeek\'s header lines and one row a flow; the JSON lines carry the same values', async () => {
    const { rows } = await analyse([fixturePath('lab', 'captures', 'nginx-proxy', 'node1-eth0.pcap')]);
    const tsv = zeekConnTsv(rows).split('\n');
    expect(tsv.slice(0, 5)).toEqual(['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn']);
    const fields = tsv.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    expect(fields).toEqual([...ZEEK_CONN_FIELDS]);
    expect(tsv.find((l) => l.startsWith('#types'))!.split('\t').length).toBe(fields.length + 1);
    const data = tsv.filter((l) => l && !l.startsWith('#'));
    expect(data.length).toBe(rows.length);
    const json = zeekConnJson(rows).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (let i = 0; i < rows.length; i++) {
      const cells = data[i]!.split('\t');
      expect(cells.length).toBe(fields.length);
      const j = json[i]!;
      fields.forEach((name, k) => {
        const cell = cells[k]!;
        if (cell === '-') { expect(j[name], name).toBeUndefined(); return; }
        if (name === 'tunnel_parents') expect((j[name] as string[]).join(',')).toBe(cell);
        else if (typeof j[name] === 'number') expect(Number(cell)).toBe(j[name]);
        else expect(cell).toBe(j[name]);
      });
    }
  });
});

describe.skipIf(corpusSkipReason())('Zeek conn.log on the corpus', () => {
  it('a SYN answered by RST (pcapplusplus pcapng-example) is REJ, as tshark shows it', async () => {
    const file = corpusPath('pcapplusplus__pcapng-example.pcapng');
    const { rows } = await analyse([file]);
    const rej = rows.filter((r) => r.conn_state === 'REJ');
    expect(rej.length).toBeGreaterThan(0);
    const conns = tsharkTcp(file);
    for (const r of rej) {
      const o = `${r['id.orig_h']}:${r['id.orig_p']}`, p = `${r['id.resp_h']}:${r['id.resp_p']}`;
      const c = conns.get([o, p].sort().join(' '))!;
      expect(c.get(o)!.syn).toBe(true);
      expect(c.get(p)!.rst).toBe(true);
      expect(c.get(p)!.synAck).toBe(false);
      expect(r.history).toBe('Sr');
    }
  });
});
