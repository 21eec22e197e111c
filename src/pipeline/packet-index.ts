/**
 * The compact per-packet index, about 29 bytes a packet. Most fields are
 * kept in blocks of 64 Ki packets: a block is allocated once and never
 * copied, so the index grows without the transient 1.5× of doubling arrays
 * (a 2 M-packet capture: 59 MB instead of 88 MB of arrays plus 44 MB of old
 * copies awaiting a collection). Packet bytes are not kept; a detail view reads them back from
 * the file by offset.
 *
 * Fields are as small as is exact, with a per-block fallback to a wider type
 * the first time a value does not fit:
 * - file offset: Uint32 relative to the block's first packet (Float64 when a
 *   block spans 4 GiB or more),
 * - seconds: Int32 relative to the capture's first record (`baseSec`;
 *   Float64 when out of Int32 range), nanoseconds Uint32,
 * - interface: Uint8 (Uint16 from the first id of 256 or more, e.g. a pcapng
 *   custom block's NO_INTERFACE),
 * - captured and original lengths: Uint16 (Uint32 from the first of 64 KiB
 *   or more: BIG TCP, jumbo frames); layer mask: Uint32;
 * - innermost and outermost flow ids: Int32 in flat arrays (see flowId).
 */
export const INDEX_BLOCK_BITS = 16;
export const INDEX_BLOCK = 1 << INDEX_BLOCK_BITS;
const BLOCK_MASK = INDEX_BLOCK - 1;
const U32_LIMIT = 0x1_0000_0000;

class IndexBlock {
  offset: Uint32Array | Float64Array;
  sec: Int32Array | Float64Array;
  nsec: Uint32Array;
  capLen: Uint16Array | Uint32Array;
  origLen: Uint16Array | Uint32Array;
  iface: Uint8Array | Uint16Array;
  layerMask: Uint32Array;

  /** `offsetBase`: file offset of the block's first packet. */
  constructor(readonly offsetBase: number, public capacity: number) {
    this.offset = new Uint32Array(capacity);
    this.sec = new Int32Array(capacity);
    this.nsec = new Uint32Array(capacity);
    this.capLen = new Uint16Array(capacity);
    this.origLen = new Uint16Array(capacity);
    this.iface = new Uint8Array(capacity);
    this.layerMask = new Uint32Array(capacity);
  }

  /** Only the first block grows (small captures stay small); the others are born full size. */
  grow(capacity: number): void {
    this.offset = copyInto(this.offset, new (this.offset.constructor as Float64ArrayConstructor)(capacity));
    this.sec = copyInto(this.sec, new (this.sec.constructor as Float64ArrayConstructor)(capacity));
    this.nsec = copyInto(this.nsec, new Uint32Array(capacity));
    this.capLen = copyInto(this.capLen, new (this.capLen.constructor as Uint32ArrayConstructor)(capacity));
    this.origLen = copyInto(this.origLen, new (this.origLen.constructor as Uint32ArrayConstructor)(capacity));
    this.iface = copyInto(this.iface, new (this.iface.constructor as Uint16ArrayConstructor)(capacity));
    this.layerMask = copyInto(this.layerMask, new Uint32Array(capacity));
    this.capacity = capacity;
  }

  bytes(): number {
    return this.offset.byteLength + this.sec.byteLength + this.nsec.byteLength + this.capLen.byteLength
      + this.origLen.byteLength + this.iface.byteLength + this.layerMask.byteLength;
  }
}

function copyInto<T extends { set(a: ArrayLike<number>): void }>(from: ArrayLike<number>, to: T): T {
  to.set(from);
  return to;
}

const FIRST_BLOCK = 1024;

export class PacketIndex {
  count = 0;
  /** Seconds of the first record pushed; stored seconds are relative to it. */
  private baseSec = 0;
  private readonly blocks: IndexBlock[] = [];
  private last: IndexBlock | null = null;
  /**
   * The innermost flow of each packet (-1 none), and the outermost (depth 0).
   * Flat arrays grown by doubling, not blocks: the flow tracker writes them
   * per packet and src/overlay reads them as arrays.
   */
  flowId: Int32Array = new Int32Array(FIRST_BLOCK).fill(-1);
  outerFlowId: Int32Array = new Int32Array(FIRST_BLOCK).fill(-1);

  push(fileOffset: number, tsSec: number, tsNsec: number, capLen: number, origLen: number, iface: number, layerMask: number): number {
    const n = this.count;
    const i = n & BLOCK_MASK;
    let b = this.last;
    if (b === null || (i === 0 && n > 0)) {
      if (n === 0) this.baseSec = tsSec;
      b = this.last = new IndexBlock(fileOffset, n === 0 ? FIRST_BLOCK : INDEX_BLOCK);
      this.blocks.push(b);
    } else if (i === b.capacity) {
      b.grow(Math.min(INDEX_BLOCK, 2 * b.capacity));
    }
    const rel = fileOffset - b.offsetBase;
    if (rel >= U32_LIMIT && b.offset instanceof Uint32Array) b.offset = widen(b.offset);
    b.offset[i] = rel;
    const s = tsSec - this.baseSec;
    if ((s | 0) !== s && b.sec instanceof Int32Array) b.sec = widen(b.sec);
    b.sec[i] = s;
    b.nsec[i] = tsNsec;
    if (capLen > 0xffff && b.capLen instanceof Uint16Array) b.capLen = Uint32Array.from(b.capLen);
    b.capLen[i] = capLen;
    if (origLen > 0xffff && b.origLen instanceof Uint16Array) b.origLen = Uint32Array.from(b.origLen);
    b.origLen[i] = origLen;
    if (iface > 255 && b.iface instanceof Uint8Array) b.iface = Uint16Array.from(b.iface);
    b.iface[i] = iface;
    b.layerMask[i] = layerMask;
    if (n === this.flowId.length) {
      const size = 2 * n;
      this.flowId = copyInto(this.flowId, new Int32Array(size).fill(-1, n));
      this.outerFlowId = copyInto(this.outerFlowId, new Int32Array(size).fill(-1, n));
    }
    this.count = n + 1;
    return n;
  }

  /** File offset of packet n's first byte. */
  fileOffset(n: number): number {
    const b = this.blocks[n >>> INDEX_BLOCK_BITS]!;
    return b.offsetBase + b.offset[n & BLOCK_MASK]!;
  }
  /** Seconds since the epoch (0 for a record without a time). */
  tsSec(n: number): number {
    return this.baseSec + this.blocks[n >>> INDEX_BLOCK_BITS]!.sec[n & BLOCK_MASK]!;
  }
  tsNsec(n: number): number {
    return this.blocks[n >>> INDEX_BLOCK_BITS]!.nsec[n & BLOCK_MASK]!;
  }
  capLen(n: number): number {
    return this.blocks[n >>> INDEX_BLOCK_BITS]!.capLen[n & BLOCK_MASK]!;
  }
  origLen(n: number): number {
    return this.blocks[n >>> INDEX_BLOCK_BITS]!.origLen[n & BLOCK_MASK]!;
  }
  iface(n: number): number {
    return this.blocks[n >>> INDEX_BLOCK_BITS]!.iface[n & BLOCK_MASK]!;
  }
  /** Which layers the packet holds (bit i = layer id i). */
  layerMask(n: number): number {
    return this.blocks[n >>> INDEX_BLOCK_BITS]!.layerMask[n & BLOCK_MASK]!;
  }

  /** Bytes held by the index. */
  get memoryBytes(): number {
    let s = 0;
    for (const b of this.blocks) s += b.bytes();
    return s + this.flowId.byteLength + this.outerFlowId.byteLength;
  }
}

function widen(a: Uint32Array | Int32Array): Float64Array {
  return Float64Array.from(a);
}
