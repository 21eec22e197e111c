/** Address formatting (RFC 5952 for IPv6) and parsing. */

export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function parseIpv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/**
 * An IPv6 address in text (RFC 4291: hex groups, one "::", an IPv4 tail) as
 * four big-endian 32-bit words; null when it is not one.
 */
export function parseIpv6(s: string): [number, number, number, number] | null {
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let text = s;
  if (text.includes('.')) {
    // An IPv4 tail (::ffff:10.1.2.3) is the last two groups.
    const dot = text.lastIndexOf(':');
    const v4 = parseIpv4(text.slice(dot + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, dot + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = part(halves[0]!);
  const rest = halves.length === 2 ? part(halves[1]!) : [];
  if (!head || !rest) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const g = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0, ((g[4]! << 16) | g[5]!) >>> 0, ((g[6]! << 16) | g[7]!) >>> 0];
}

/** `w[at..at+4)` are the address as four big-endian 32-bit words. */
export function ipv6ToString(w: ArrayLike<number>, at = 0): string {
  const g: number[] = [];
  for (let k = 0; k < 4; k++) {
    const x = w[at + k]! >>> 0;
    g.push(x >>> 16, x & 0xffff);
  }
  // IPv4-mapped ::ffff:a.b.c.d
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${ipv4ToString(w[at + 3]! >>> 0)}`;
  }
  // Longest run of zero groups (length >= 2) becomes "::".
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function ipToString(version: number, w: ArrayLike<number>, at: number): string {
  return version === 4 ? ipv4ToString(w[at]! >>> 0) : ipv6ToString(w, at);
}

export function macToString(b: ArrayLike<number>, at: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[at + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}
