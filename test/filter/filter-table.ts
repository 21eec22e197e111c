/**
 * The filters checked frame by frame against tshark -Y (test/filter/conformance.test.ts):
 * every field of docs/filter.md that tshark also has, every operator, several
 * occurrences (outer and inner headers), CIDR, sets with ranges, regular
 * expressions, `not` around absent fields, and filters tshark refuses.
 */
export const FILTERS: readonly string[] = [
  // frame
  'frame', 'frame.number <= 5', 'frame.number in {1, 3..5, 100}', 'frame.len > 1000', 'frame.len == frame.cap_len', 'frame.cap_len < 60',
  'frame.time_relative > 0.5', 'frame.time_relative <= 0.001', 'frame.interface_id == 1', 'frame.interface_id',
  // link
  'eth', 'eth.src == 00:00:00:00:00:00', 'eth.addr == ff:ff:ff:ff:ff:ff', 'eth.type == 0x0800', 'eth.type == 0x86dd', 'eth.type != 0x0800',
  'vlan', 'vlan.id == 100', 'vlan.id in {1..4094}', 'sll', 'sll.ifindex == 2', 'sll.pkttype == 4', 'not eth',
  // IPv4 (outer and inner occurrences)
  'ip', 'ip.src == 10.244.1.2', 'ip.addr == 10.244.0.0/16', 'ip.addr == 10.244.1.0/24 && tcp.port == 8080', 'ip.dst == 192.168.0.0/16',
  'ip.addr != 10.244.1.2', 'ip.src ~= 10.244.1.2', 'ip.src === 10.244.1.2', 'ip.src#1 == 172.18.0.0/16', 'ip.src#2 == 10.244.0.0/16', 'ip.proto == 17',
  'ip.proto in {1, 6}', 'ip.ttl < 64', 'ip.ttl == 0x40', 'ip.ttl == 0100', 'ip.id == 0', 'ip.len >= 1400', 'ip.hdr_len > 20', 'ip.flags.df == 1',
  'ip.flags.mf == 1', 'ip.frag_offset > 0', 'ip.dsfield.dscp != 0', 'ip.src == ip.dst', 'ip.addr eq 10.0.0.1 or ip.addr eq 10.0.0.2', 'count(ip.src) == 2',
  // IPv6
  'ipv6', 'ipv6.src == fe80::/10', 'ipv6.addr == ::1', 'ipv6.dst == ff02::1', 'ipv6.nxt == 58', 'ipv6.hlim == 255', 'ipv6.plen > 100', 'ipv6.flow != 0',
  // ARP, ICMP
  'arp', 'arp.opcode == 1', 'arp.opcode eq 2', 'arp.src.proto_ipv4 == 10.0.0.0/8', 'arp.dst.proto_ipv4 in {10.244.1.1, 10.244.2.1}', 'arp.src.hw_mac == 00:00:00:00:00:00',
  'icmp', 'icmp.type == 8', 'icmp.type in {0, 8}', 'icmp.code > 0', 'icmp.type == 3 && icmp.code == 3', 'icmpv6', 'icmpv6.type == 135', 'icmpv6.type >= 133 && icmpv6.type <= 136',
  // UDP, TCP
  'udp', 'udp.port == 53', 'udp.srcport == 8472', 'udp.dstport in {4789, 6081, 8472}', 'udp.length < 100', 'udp.port != 53', 'not udp.port == 53',
  'tcp', 'tcp.port == 8080', 'tcp.port in {80, 8080, 30000..32767}', 'tcp.srcport gt 1024 and tcp.dstport le 1024', 'tcp.flags.syn == 1', 'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.fin == true', 'tcp.flags.reset == 1', 'tcp.flags.push == 1', 'tcp.flags.ack == 0', 'tcp.flags == 0x012', 'tcp.flags & 0x02', 'tcp.seq_raw == 0', 'tcp.ack_raw > 1000000',
  'tcp.len > 0', 'tcp.len == 0 and tcp.flags.ack == 1', 'tcp.window_size_value < 1000', 'tcp.hdr_len > 20', 'tcp.options.mss_val == 1460', 'tcp.options.wscale.shift >= 7',
  'tcp.port != 8080', 'tcp.port ~= 8080', 'tcp.port === 8080', '!(tcp.port == 8080)', 'tcp.srcport == tcp.dstport', 'tcp.dstport > tcp.srcport',
  // relative sequence numbers and TCP analysis (state over the capture's packets, in file order)
  'tcp.seq == 1', 'tcp.ack == 1', 'tcp.seq > 1000', 'tcp.nxtseq == 1', 'tcp.seq == 0 && tcp.flags.syn == 1', 'tcp.flags.syn == 0 and tcp.ack == 1 and tcp.seq == 1',
  'tcp.ack > tcp.seq', 'tcp.nxtseq > tcp.seq and tcp.len == 0', 'count(tcp.seq) == 2', 'tcp.seq#1 == 1', 'vxlan && tcp.seq == 0',
  'ip.addr == 10.244.0.0/16 && tcp.seq == 1 && tcp.len > 0', 'tcp.ack in {0, 1}',
  'tcp.analysis.retransmission', '!tcp.analysis.retransmission && tcp', 'tcp.port == 8080 or tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission',
  'tcp.analysis.spurious_retransmission', 'tcp.analysis.out_of_order', 'tcp.analysis.flags', 'tcp.analysis.flags && !tcp.analysis.window_update',
  'tcp.analysis.duplicate_ack', 'count(tcp.analysis.duplicate_ack) == 2', 'tcp.analysis.lost_segment or tcp.analysis.ack_lost_segment',
  'tcp.analysis.reused_ports', 'tcp.analysis.keep_alive || tcp.analysis.zero_window || tcp.analysis.window_full', 'vxlan and tcp.analysis.flags',
  // tunnels
  'vxlan', 'vxlan.vni == 1', 'vxlan.vni != 1', 'geneve', 'geneve.vni > 0', 'gre', 'gre.proto == 0x0800', 'erspan', 'wg', 'wg.type == 4', 'vxlan && ip.dst == 10.244.2.0/24',
  'vxlan and tcp.flags.syn == 1', 'udp.port == 8472 and not vxlan',
  // HTTP, DNS
  'http', 'http.request', 'http.response', 'http.request.method == "GET"', 'http.request.method in {"GET", "HEAD"}', 'http.request.method != "GET"',
  'http.request.uri contains "api"', 'http.request.uri matches "^/[a-z]+$"', 'http.request.version == "HTTP/1.1"', 'http.response.code == 200',
  'http.response.code >= 400', 'http.host == "web"', 'http.host contains "example"', 'http.host matches "(?i)^WEB"', 'http.user_agent contains "curl"',
  'http.request and tcp.port == 30080', 'http contains "HTTP/1.1"',
  'dns', 'dns.qry.name == "google.com"', 'dns.qry.name contains "cluster.local"', 'dns.qry.name matches "\\\\.local$"', 'dns.qry.type == 28', 'dns.qry.type in {1, 28}',
  'dns.flags.response == 1', 'dns.flags.response == 0', 'dns.a == 10.96.0.0/12', 'dns.a', 'dns.aaaa', 'dns.id == 0', 'dns.resp.ttl > 300',
  // bytes, regex, functions, structure
  'frame contains "GET"', 'tcp contains 48:54:54:50', 'udp contains "google"', 'frame matches "(?i)content-length: *[0-9]+"', 'frame matches "a{2,5}b|x+y*z?"',
  'len(http.host) > 5', 'lower(http.request.method) == "get"', 'upper(http.host) contains "WEB"',
  '(ip.src == 10.244.1.0/24 || ip.dst == 10.244.1.0/24) && !(tcp.port == 22)', 'not (arp or icmp or dns)', 'tcp and not tcp.port in {80, 8080}',
  'tcp.port == 8080 and tcp.len > 0 or udp.port == 53', 'ip.addr == 10.244.1.2 and ip.addr == 10.244.2.3', '!ip', 'not ipv6.addr == ::1',
  // filters tshark refuses (we must refuse them too)
  'tcp.analysis.flags == 1', 'tcp.analysis.retransmission contains "a"', 'ip.adr == 1.2.3.4', 'ip.ttl in {63 64}', 'tcp.port == 70000', 'ip.src == 300.1.1.1', '(tcp', 'tcp)', 'http.host matches "(a"', 'tcp.port == "x"',
];
