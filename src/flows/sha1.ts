/**
 * SHA-1 (FIPS 180-4, section 6.1) in plain TypeScript, synchronous and
 * platform-neutral (the engine has no node:crypto, and WebCrypto's digest is
 * asynchronous). Used for Community ID (community-id.ts), whose input is at
 * most 40 bytes: one 64-byte block, so `sha1Block` hashes a block the caller
 * filled and padded, with no allocation. Not for security: Community ID only
 * needs the same digest as every other implementation.
 * test/export/sha1.test.ts checks it against node:crypto on every length 0..300.
 */

/** The 80-word message schedule, reused. */
const W = new Int32Array(80);

/**
 * Hashes one already padded 64-byte block (16 big-endian words in `block`)
 * from the initial state into `out` (5 words).
 */
export function sha1Block(block: ArrayLike<number>, out: Int32Array): void {
  out[0] = 0x67452301; out[1] = 0xefcdab89 | 0; out[2] = 0x98badcfe | 0; out[3] = 0x10325476; out[4] = 0xc3d2e1f0 | 0;
  compress(block, 0, out);
}

/** FIPS 180-4 6.1.2: one block of 16 words from `words[at..]` into the state `h`. */
function compress(words: ArrayLike<number>, at: number, h: Int32Array): void {
  const w = W;
  for (let t = 0; t < 16; t++) w[t] = words[at + t]!;
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
  for (let t = 0; t < 80; t++) {
    let f: number, k: number;
    if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
    else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
    else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc | 0; }
    else { f = b ^ c ^ d; k = 0xca62c1d6 | 0; }
    const tmp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = tmp;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0; h[4] = (h[4]! + e) | 0;
}

/** SHA-1 of any bytes (20-byte digest). */
export function sha1(data: Uint8Array): Uint8Array {
  const n = data.length;
  // Message, 0x80, zeros, 64-bit length in bits: a multiple of 64 bytes (FIPS 180-4 5.1.1).
  const blocks = Math.floor((n + 8) / 64) + 1;
  const words = new Int32Array(blocks * 16);
  for (let i = 0; i < n; i++) words[i >> 2]! |= data[i]! << (24 - 8 * (i & 3));
  words[n >> 2]! |= 0x80 << (24 - 8 * (n & 3));
  words[blocks * 16 - 2] = Math.floor(n / 0x20000000);
  words[blocks * 16 - 1] = (n * 8) | 0;
  const h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]);
  for (let b = 0; b < blocks; b++) compress(words, 16 * b, h);
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = (h[i >> 2]! >>> (24 - 8 * (i & 3))) & 255;
  return out;
}
