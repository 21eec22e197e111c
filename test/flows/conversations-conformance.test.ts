/**
 * Our TCP and UDP flows against a live `tshark -r F -d udp.port==8472,vxlan
 * -z conv,tcp -z conv,udp` on every corpus capture: endpoints, frames and
 * bytes (total and per direction; bytes compared as tshark prints them,
 * "71 kB"). tshark's tables hold every depth at once (the outer VXLAN UDP
 * conversation and the inner TCP one are both rows), as our flows do.
 *
 * At least 99 % of conversations must match, and every conversation that
 * does not is listed in docs/known-differences.md (table
 * `conformance:conversations`); a listed one that matches now fails too.
 * Then HTTP: request/response pairs against tshark's http.request.method,
 * http.request.uri, http.response.code and http.request_in.
 * tshark's answers come from one pass a capture that
 * test/compare/traffic-profile.test.ts reads too (test/helpers/tshark-corpus.ts).
 * Skipped, with a message, without tshark or the corpus.
 */
import { describe, expect, it } from 'vitest';
import { corpusFiles, corpusPath, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';
import { tsharkPresent } from '../helpers/tshark-cache.js';
import { tsharkPass } from '../helpers/tshark-corpus.js';
import { knownDifferences } from '../conformance/known-differences.js';
import { compareConversations, ourConversations, pairKey, parseConversations, type Conversation } from './tshark-conv.js';

if (!corpusPresent) corpusSkipReason();
if (!tsharkPresent) console.warn('SKIPPED: conversation conformance needs tshark on PATH; it is absent here');

const run = corpusPresent && tsharkPresent;

describe.skipIf(!run)('TCP/UDP conversations equal tshark -z conv over ../shared/corpus', () => {
  const files = corpusFiles();
  const known = run ? knownDifferences('conversations') : [];
  const knownKeys = new Set(known.map((k) => `${k.file} ${k.protocol}`));
  const seen = new Set<string>();
  let matched = 0;
  let total = 0;

  it.each(files)('%s', async (file) => {
    const [pass, { conversations: ours }] = await Promise.all([tsharkPass(corpusPath(file)), ourConversations(corpusPath(file))]);
    const theirs = parseConversations(pass.conversations);
    const r = compareConversations(theirs, ours);
    matched += r.matched;
    total += r.matched + Math.max(r.onlyTshark.length, r.onlyOurs.length);
    const unexplained: string[] = [];
    const check = (c: Conversation, side: string): void => {
      const k = `${file} ${pairKey(c)}`;
      seen.add(k);
      if (!knownKeys.has(k)) unexplained.push(`${side}: ${pairKey(c)} ${c.frames} frames ${c.bytes} (A→B ${c.framesAtoB}, B→A ${c.framesBtoA})`);
    };
    r.onlyTshark.forEach((c) => check(c, 'tshark'));
    r.onlyOurs.forEach((c) => check(c, 'ours'));
    expect(unexplained, `conversations differing from tshark and not in docs/known-differences.md`).toEqual([]);
  });

  it('matches at least 99 % of conversations, and every listed difference still occurs', () => {
    expect(total).toBeGreaterThan(500);
    expect(matched / total).toBeGreaterThanOrEqual(0.99);
    const stale = known.filter((k) => !seen.has(`${k.file} ${k.protocol}`)).map((k) => `${k.file} ${k.protocol}`);
    expect(stale, 'listed in docs/known-differences.md but matching tshark now').toEqual([]);
  });
});

const HTTP_FILES = [
  'arkime__http-simple-get.pcap', 'arkime__v6-http.pcap', 'pcapplusplus__one_http_stream_fin.pcap', 'pcapplusplus__pcapng-example.pcapng',
  'pcapplusplus__sll.pcap', 'pcapplusplus__three_http_streams.pcap', 'scapy__http_content_length.pcap', 'suricata__decode-sll2-01__input.pcap',
  'suricata__decode-sll2-02__input.pcap', 'suricata__http-mime-truncated__input.pcap', 'suricata__vxlan-non-zero-reserved-fields__input.pcap',
  'zeek__cooper-grill-dvwa.pcapng', 'zeek__geneve-many-options.pcap', 'zeek__get.pcap', 'zeek__http-vlan-0.pcap', 'zeek__methods.pcap',
];

describe.skipIf(!run)('HTTP request/response pairs equal tshark\'s', () => {
  it.each(HTTP_FILES)('%s', async (file) => {
    const [r, { session }] = await Promise.all([tsharkPass(corpusPath(file)), ourConversations(corpusPath(file))]);
    // tshark exits 2 on a file cut short (after printing what it read).
    expect([0, 2]).toContain(r.status);
    const requests: string[] = [];
    const pairs: string[] = [];
    const uriAt = new Map<number, string[]>();
    // The frames tshark -Y 'http.request || http.response' keeps.
    const rows = r.frames.filter((f) => f['http.request'].length || f['http.response'].length);
    for (const f of rows) {
      const ms = f['http.request.method'];
      if (!ms.length) continue;
      const us = f['http.request.uri'];
      uriAt.set(Number(f['frame.number'][0]), ms.map((m, i) => `${m} ${us[i] ?? ''}`));
      requests.push(...ms.map((m, i) => `${m} ${us[i] ?? ''}`));
    }
    const responses: string[] = [];
    for (const f of rows) {
      const codes = f['http.response.code'];
      if (!codes.length) continue;
      const ins = f['http.request_in'];
      codes.forEach((c, i) => {
        responses.push(c);
        const req = ins[i] ? uriAt.get(Number(ins[i]))?.[0] : undefined;
        if (req) pairs.push(`${req} -> ${c}`);
      });
    }
    const tx = session.flows.http.transactions;
    expect(tx.filter((t) => t.clientDir >= 0).map((t) => `${t.method} ${t.uri}`).sort()).toEqual(requests.sort());
    expect(tx.filter((t) => t.status !== null).map((t) => String(t.status)).sort()).toEqual(responses.sort());
    // Each response tshark ties to a request is tied to the same request by us.
    const ours = tx.filter((t) => t.clientDir >= 0 && t.status !== null).map((t) => `${t.method} ${t.uri} -> ${t.status}`);
    for (const p of pairs) expect(ours, p).toContain(p);
    expect(requests.length + responses.length).toBeGreaterThan(0);
  });
});
