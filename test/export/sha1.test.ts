/** SHA-1 (src/flows/sha1.ts) against node:crypto on every length 0..300 and the FIPS 180-2 examples. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { sha1 } from '../../src/flows/sha1.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('sha1', () => {
  it('gives FIPS 180-2 appendix A digests', () => {
    expect(hex(sha1(new TextEncoder().encode('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hex(sha1(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    expect(hex(sha1(new Uint8Array(0)))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('equals node:crypto for every length 0..300 (block and padding boundaries)', () => {
    let seed = 12345;
    for (let n = 0; n <= 300; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; b[i] = seed >>> 24; }
      expect(hex(sha1(b)), `length ${n}`).toBe(createHash('sha1').update(b).digest('hex'));
    }
  });
});
