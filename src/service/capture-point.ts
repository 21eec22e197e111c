/** The capture point a file stands for: pcapng if_name/if_description when it has one interface, else the file's base name. */
export function capturePointName(file: string, interfaces: ReadonlyArray<{ name: string | null; description: string | null }>): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  if (interfaces.length === 1) {
    const i = interfaces[0]!;
    const label = i.description || i.name;
    if (label && label !== 'any') return `${base.replace(/\.(pcapng|pcap|cap)$/i, '')} (${label})`;
  }
  return base.replace(/\.(pcapng|pcap|cap)$/i, '');
}
