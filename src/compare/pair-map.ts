/**
 * An open-addressing hash table from a pair of 32-bit keys to an int32 value,
 * in typed arrays: the comparison pass looks frames and TCP views up once per
 * packet without allocating (numeric keys, no strings, no boxed numbers).
 */
export class PairMap {
  private k1: Uint32Array;
  private k2: Uint32Array;
  private vals: Int32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let c = 16;
    while (c < capacity * 2) c *= 2;
    this.k1 = new Uint32Array(c);
    this.k2 = new Uint32Array(c);
    this.vals = new Int32Array(c);
    this.used = new Uint8Array(c);
    this.mask = c - 1;
  }

  /** The value stored for (a, b), or -1. */
  get(a: number, b: number): number {
    const k1 = this.k1, k2 = this.k2, used = this.used, mask = this.mask;
    let i = (fmix32(a ^ Math.imul(b, 0x9e3779b1)) >>> 0) & mask;
    while (used[i]) {
      if (k1[i] === a >>> 0 && k2[i] === b >>> 0) return this.vals[i]!;
      i = (i + 1) & mask;
    }
    return -1;
  }

  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.used.length) this.grow();
    this.put(a >>> 0, b >>> 0, v);
  }

  private put(a: number, b: number, v: number): void {
    const mask = this.mask;
    let i = (fmix32(a ^ Math.imul(b, 0x9e3779b1)) >>> 0) & mask;
    while (this.used[i]) {
      if (this.k1[i] === a && this.k2[i] === b) { this.vals[i] = v; return; }
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.k1[i] = a;
    this.k2[i] = b;
    this.vals[i] = v;
    this.size++;
  }

  private grow(): void {
    const { k1, k2, vals, used } = this;
    const c = used.length * 2;
    this.k1 = new Uint32Array(c);
    this.k2 = new Uint32Array(c);
    this.vals = new Int32Array(c);
    this.used = new Uint8Array(c);
    this.mask = c - 1;
    this.size = 0;
    for (let i = 0; i < used.length; i++) if (used[i]) this.put(k1[i]!, k2[i]!, vals[i]!);
  }
}

/** MurmurHash3's finaliser: spreads every input bit over the output. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Two independent running hashes over 32-bit words (a 64-bit fingerprint, collision odds ~2^-64 per pair). */
export class Hash2 {
  h1 = 0;
  h2 = 0;
  reset(seed = 0): void {
    this.h1 = 0x811c9dc5 ^ seed;
    this.h2 = 0x27d4eb2f ^ Math.imul(seed, 0x165667b1);
  }
  add(x: number): void {
    this.h1 = Math.imul(this.h1 ^ (x >>> 0), 0x01000193);
    this.h1 = (this.h1 << 13) | (this.h1 >>> 19);
    this.h2 = Math.imul((this.h2 + Math.imul(x >>> 0, 0xcc9e2d51)) | 0, 0x1b873593);
    this.h2 = (this.h2 << 15) | (this.h2 >>> 17);
  }
  /** Finalised pair; read a, then b. */
  get a(): number { return fmix32(this.h1); }
  get b(): number { return fmix32(this.h2 ^ 0x5bd1e995); }
}
