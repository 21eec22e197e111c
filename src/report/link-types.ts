/**
 * Link types by the names Wireshark's capinfos prints as "File encapsulation"
 * (wiretap's encapsulation descriptions), so a report reads "Ethernet", not 1.
 */
const NAMES: Record<number, string> = {
  0: 'NULL/Loopback',
  1: 'Ethernet',
  12: 'Raw IP',
  14: 'Raw IP',
  101: 'Raw IP',
  105: 'IEEE 802.11 Wireless LAN',
  108: 'OpenBSD loopback',
  113: 'Linux cooked-mode capture v1',
  127: 'IEEE 802.11 plus radiotap radio header',
  228: 'Raw IPv4',
  229: 'Raw IPv6',
  276: 'Linux cooked-mode capture v2',
};

/** A LINKTYPE_* value as people know it; unknown ones as "link type N". */
export function linkTypeText(lt: number): string {
  return NAMES[lt] ?? `link type ${lt}`;
}
