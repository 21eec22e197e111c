/** The language itself: errors with positions and suggestions, literals, operators, the regular-expression engine. */
import { describe, expect, it } from 'vitest';
import { checkFilter, compileFilter, FilterError, ByteRegex, fieldNames } from '../../src/filter/index.js';
import { FILTERS } from './filter-table.js';

const msg = (f: string): string => checkFilter(f)?.message ?? 'ok';

describe('errors say what and where', () => {
  it.each([
    ['ip.adr == 10.0.0.1', "unknown field 'ip.adr' at 1:1 (did you mean ip.addr?)"],
    ['tcp.port == 80 && ip.scr == 1.2.3.4', "unknown field 'ip.scr' at 1:19 (did you mean ip.src?)"],
    ['tcp.port == 70000', '70000 is too big for tcp.port (maximum 65535) at 1:13'],
    ['ip.src == 300.1.1.1', "'300.1.1.1' is not an IPv4 address or network (10.244.0.0/16) at 1:11 (ip.src is an IPv4 address)"],
    ['(tcp', "missing ')' at 1:1 (the '(' here is not closed)"],
    ['tcp)', "unbalanced ')' at 1:4"],
    ['', 'empty filter at 1:1'],
    ['ip.ttl in {63 64}', "expected ',' or '}' in the set but found '64' at 1:15"],
    ['http.host matches "(a"', "bad regular expression: missing ')' in regular expression at 1:19"],
    ['http.host matches "(a)\\\\1"', 'bad regular expression: backreferences are not supported (they need backtracking) at 1:19'],
    ['tcp.stream == 1', "field 'tcp.stream' is not supported at 1:1 (tshark numbers TCP conversations in its own order)"],
    ['tcp.analysis.flags == 1', "tcp.analysis.flags is a label: test it alone or with not, it cannot be compared ('==') at 1:20"],
    ['tcp.port ==', 'the filter ends where a field or a value should be at 1:12'],
    ['ip.src == 1.2.3.4\n  and tcp.prot == 80', "unknown field 'tcp.prot' at 2:7 (did you mean tcp.port?)"],
    ['tcp.flags.syn == true', "'true' is not a boolean (1 or 0) at 1:18 (tcp.flags.syn is a boolean)"],
    ['k8s', 'unknown field \'k8s\' at 1:1 (fields under it: k8s.pod, k8s.src.pod, k8s.dst.pod, k8s.namespace, k8s.src.namespace, ...)'],
    ['ip.src @ 1', "unexpected character '@' at 1:8"],
  ])('%s', (f, m) => expect(msg(f)).toBe(m));

  it('a very long or very deep filter is an error, quickly', () => {
    const t0 = Date.now();
    expect(checkFilter('('.repeat(5000) + 'tcp' + ')'.repeat(5000))).toBeInstanceOf(FilterError);
    expect(checkFilter('x'.repeat(1 << 20))).toBeInstanceOf(FilterError);
    expect(checkFilter('not '.repeat(200) + 'tcp')).toBeInstanceOf(FilterError);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('literals', () => {
  it.each([
    ['ip.ttl == 64', true], ['ip.ttl == 0x40', true], ['ip.ttl == 0100', true], ['ip.ttl == 0b1000000', true], ['ip.ttl == 64.0', false],
    ['ip.src == 10.0.0.0/8', true], ['ip.src == 10.0.0.0/33', false], ['ipv6.addr == fe80::/10', true], ['ipv6.addr == ::ffff:10.0.0.1', true],
    ['ipv6.addr == 1::2::3', false], ['eth.src == aa:bb:cc:dd:ee:ff', true], ['eth.src == aa-bb-cc-dd-ee-ff', true], ['eth.src == aabb.ccdd.eeff', true],
    ['eth.src == aa:bb:cc', false], ['http.host == "a\\x41\\101\\n\\"b"', true], ['http.host == "open', false], ["tcp.port == 'P'", true],
    ['frame.time_relative > 1.5e-3', true], ['tcp.port in {80, 8000..8999}', true], ['tcp.port == 99999999999999999999', false],
    ['http.request.method == GET', true], ['tcp contains 47:45:54', true], ['tcp.port not in {80}', true],
  ])('%s accepted: %s', (f, ok) => expect(checkFilter(f) === null).toBe(ok));
});

describe('the field table', () => {
  it('has the fields the issue names', () => {
    const want = ['frame.number', 'frame.len', 'frame.cap_len', 'frame.time_relative', 'frame.interface_id', 'eth.src', 'eth.dst', 'eth.addr', 'eth.type',
      'vlan.id', 'sll.ifindex', 'ip.src', 'ip.dst', 'ip.addr', 'ip.proto', 'ip.ttl', 'ip.id', 'ip.len', 'ipv6.src', 'ipv6.dst', 'ipv6.addr', 'ipv6.nxt',
      'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'icmp.type', 'icmp.code', 'icmpv6.type', 'udp.srcport', 'udp.dstport', 'udp.port', 'udp.length',
      'tcp.srcport', 'tcp.dstport', 'tcp.port', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.flags.reset', 'tcp.flags.push', 'tcp.len',
      'tcp.window_size_value', 'vxlan.vni', 'geneve.vni', 'http.request', 'http.response', 'http.request.method', 'http.request.uri', 'http.host',
      'http.request.version', 'http.response.code', 'dns.qry.name', 'dns.qry.type', 'dns.flags.response', 'dns.a', 'dns.aaaa', 'gre', 'erspan', 'wg',
      'k8s.pod', 'k8s.namespace', 'k8s.node', 'k8s.service', 'k8s.src.pod', 'k8s.dst.pod', 'capture.point', 'capture.host', 'overlay.depth', 'overlay.tunnel',
      'journey', 'nat.translated'];
    const have = new Set(fieldNames());
    expect(want.filter((f) => !have.has(f))).toEqual([]);
  });

  it('the conformance table has at least 80 filters and every one parses or fails with a FilterError', () => {
    expect(FILTERS.length).toBeGreaterThanOrEqual(80);
    for (const f of FILTERS) { const e = checkFilter(f); if (e) expect(e).toBeInstanceOf(FilterError); }
  });
});

describe('regular expressions (Pike VM over bytes)', () => {
  it.each([
    ['^GET /', 'GET /index', true], ['(?-i)get', 'GET', false], ['get', 'GET', true], ['a{2,3}b', 'xaab', true], ['a{2,3}b', 'xab', false],
    ['^(a|b)*c$', 'ababc', true], ['^(a|b)*c$', 'ababd', false], ['\\d+\\.\\d+', 'v1.25', true], ['[^a-z]', 'abc', false], ['[^a-z]', 'abC', false],
    ['(?-i)[^a-z]', 'abC', true], ['\\bweb\\b', 'a web b', true], ['\\bweb\\b', 'webs', false], ['colou?r', 'color', true], ['x$', 'ax\n', true],
    ['^$', '', true], ['[[:digit:]]{3}', 'ab123', true], ['\\x41', 'A', true], ['a.c', 'a\nc', false], ['(?s)a.c', 'a\nc', true],
  ])('/%s/ on %j: %s', (re, s, want) => expect(new ByteRegex(re).test(s)).toBe(want));

  it('pathological patterns take linear time (no backtracking)', () => {
    const t0 = Date.now();
    const s = 'a'.repeat(30_000);
    expect(new ByteRegex('^(a+)+$').test(s + 'b')).toBe(false);
    expect(new ByteRegex('(a|aa)*c').test(s)).toBe(false);
    expect(new ByteRegex('(.*a){12}x').test(s.slice(0, 3000))).toBe(false);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a program too big is refused, an input too costly gives up (no match) within the step budget', () => {
    expect(() => new ByteRegex('(a{1000}){1000}')).toThrow(/too big/);
    const re = new ByteRegex('(x|y|z|.){400}q');
    const t0 = Date.now();
    expect(re.test('x'.repeat(1 << 20))).toBe(false);
    expect(re.exhausted).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('compiles into filters', () => {
    expect(compileFilter('http.host matches "^web"').fields).toEqual(['http.host']);
  });
});
