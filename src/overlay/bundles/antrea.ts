/**
 * Antrea PacketCapture files (antrea-io/antrea, docs/packetcapture-guide.md,
 * pkg/agent/packetcapture): the agent captures the CR's flow in userspace
 * and writes it with gopacket's `pcapgo.NewNgWriter(file, LinkTypeEthernet)`,
 * so the pcapng carries gopacket's defaults (SHB `shb_userappl` "gopacket",
 * one interface `intf0`); the file is `<CR uid>.pcapng` on the file server
 * (`/tmp/antrea/packetcapture/packets/<uid>.pcapng` in the agent Pod). Its
 * timestamps are taken in userspace, after the kernel handed the packet up:
 * coarser than a kernel capture's, so they are flagged.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.pcapng$/i;

/** True when a capture's name and first bytes are an Antrea PacketCapture file's. */
export function looksLikeAntrea(path: string, head: Uint8Array): boolean {
  const base = path.split(/[\\/]/).pop() ?? path;
  const named = UUID.test(base) || /(^|[\\/])packetcapture[\\/]packets[\\/][^\\/]+\.pcapng$/.test(path);
  if (!named || head.length < 28 || head[0] !== 0x0a || head[1] !== 0x0d || head[2] !== 0x0d || head[3] !== 0x0a) return false;
  const text = new TextDecoder('latin1').decode(head.subarray(0, Math.min(head.length, 4096)));
  return text.includes('gopacket') && text.includes('intf0');
}
