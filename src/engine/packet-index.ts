/**
 * The compact per-packet index: typed arrays that grow by doubling, about 40
 * bytes a packet. Packet bytes are not kept; a detail view reads them back
 * from the file by offset.
 */
export class PacketIndex {
  count = 0;
  fileOffset: Float64Array = new Float64Array(1024);
  tsSec: Float64Array = new Float64Array(1024);
  tsNsec: Uint32Array = new Uint32Array(1024);
  capLen: Uint32Array = new Uint32Array(1024);
  origLen: Uint32Array = new Uint32Array(1024);
  iface: Uint16Array = new Uint16Array(1024);
  /** Which layers the packet holds (bit i = layer id i). */
  layerMask: Uint32Array = new Uint32Array(1024);
  /** The innermost flow the packet belongs to (-1 none). */
  flowId: Int32Array = new Int32Array(1024);
  /** The outermost flow (depth 0) the packet belongs to (-1 none). */
  outerFlowId: Int32Array = new Int32Array(1024);

  push(fileOffset: number, tsSec: number, tsNsec: number, capLen: number, origLen: number, iface: number, layerMask: number): number {
    const n = this.count;
    if (n === this.fileOffset.length) this.grow();
    this.fileOffset[n] = fileOffset;
    this.tsSec[n] = tsSec;
    this.tsNsec[n] = tsNsec;
    this.capLen[n] = capLen;
    this.origLen[n] = origLen;
    this.iface[n] = iface;
    this.layerMask[n] = layerMask;
    this.flowId[n] = -1;
    this.outerFlowId[n] = -1;
    this.count = n + 1;
    return n;
  }

  private grow(): void {
    const size = this.fileOffset.length * 2;
    this.fileOffset = growF64(this.fileOffset, size);
    this.tsSec = growF64(this.tsSec, size);
    this.tsNsec = growU32(this.tsNsec, size);
    this.capLen = growU32(this.capLen, size);
    this.origLen = growU32(this.origLen, size);
    const ifc = new Uint16Array(size); ifc.set(this.iface); this.iface = ifc;
    this.layerMask = growU32(this.layerMask, size);
    const f = new Int32Array(size); f.set(this.flowId); this.flowId = f;
    const o = new Int32Array(size); o.set(this.outerFlowId); this.outerFlowId = o;
  }

  /** Bytes held by the index. */
  get memoryBytes(): number {
    return this.fileOffset.length * (8 + 8 + 4 + 4 + 4 + 2 + 4 + 4 + 4);
  }
}

function growF64(a: Float64Array, size: number): Float64Array {
  const r = new Float64Array(size); r.set(a); return r;
}
function growU32(a: Uint32Array, size: number): Uint32Array {
  const r = new Uint32Array(size); r.set(a); return r;
}
