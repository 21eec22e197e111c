/** Unsigned reads from a byte array without allocating (no DataView per packet). */

export function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function u32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
export function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
export function u16(b: Uint8Array, o: number, little: boolean): number {
  return little ? u16le(b, o) : u16be(b, o);
}
export function u32(b: Uint8Array, o: number, little: boolean): number {
  return little ? u32le(b, o) : u32be(b, o);
}
