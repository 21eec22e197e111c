/**
 * Cuts a stream of chunks into frames (pcap records, pcapng blocks) without
 * copying the common case: frames wholly inside a chunk are handed out as
 * views of that chunk; only a frame that straddles two chunks is copied into
 * a carry buffer. Subclasses say how long the next frame is and parse it.
 */

/** A fatal framing problem: the file cannot be read past `offset`. */
export class FramingError extends Error {
  constructor(
    readonly offset: number,
    readonly layer: string,
    reason: string,
  ) {
    super(reason);
  }
}

export abstract class Framer {
  private carry: Uint8Array = new Uint8Array(0);
  private carryLength = 0;
  /** File offset of the next unread byte. */
  protected position = 0;
  stopped = false;

  /**
   * Length of the frame starting at `buf[off]`, given `avail` bytes there.
   * Returns a negative number `-n` when at least `n` bytes are needed to know.
   * Throws FramingError when the bytes present already show the file is broken.
   */
  protected abstract frameLength(buf: Uint8Array, off: number, avail: number, fileOffset: number): number;

  /** Parses one whole frame at `buf[off .. off+len)` that starts at `fileOffset`. */
  protected abstract parseFrame(buf: Uint8Array, off: number, len: number, fileOffset: number): void;

  /** Called with the fatal error; the framer stops. */
  protected abstract fail(err: FramingError): void;

  /** Called when the stream ends with `leftover` bytes of an incomplete frame. */
  protected abstract truncated(leftover: number, fileOffset: number, needed: number): void;

  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    try {
      let p = 0;
      // Finish a frame that began in an earlier chunk.
      while (this.carryLength > 0 && p < chunk.length) {
        const need = this.frameLength(this.carry, 0, this.carryLength, this.position);
        const target = need < 0 ? -need : need;
        const take = Math.min(target - this.carryLength, chunk.length - p);
        if (take > 0) {
          this.appendCarry(chunk, p, take);
          p += take;
        }
        // The carry holds `target` bytes now: enough to know the length, or the whole frame.
        const whole = this.carryLength === target ? this.frameLength(this.carry, 0, this.carryLength, this.position) : -1;
        if (whole >= 0 && this.carryLength === whole) {
          const start = this.position;
          this.parseFrame(this.carry, 0, whole, start);
          this.position += whole;
          this.carryLength = 0;
          if (this.stopped) return;
        }
      }
      // Frames wholly inside this chunk.
      while (p < chunk.length) {
        const avail = chunk.length - p;
        const need = this.frameLength(chunk, p, avail, this.position);
        if (need < 0 || need > avail) break;
        this.parseFrame(chunk, p, need, this.position);
        this.position += need;
        p += need;
        if (this.stopped) return;
      }
      if (p < chunk.length) this.appendCarry(chunk, p, chunk.length - p);
    } catch (e) {
      this.stopOn(e);
    }
  }

  /** A FramingError stops the framer and is reported; anything else is a bug and propagates. */
  private stopOn(e: unknown): void {
    if (!(e instanceof FramingError)) throw e;
    this.stopped = true;
    this.fail(e);
  }

  /** End of stream. */
  end(): void {
    if (this.stopped) return;
    if (this.carryLength > 0) {
      let need: number;
      try {
        need = this.frameLength(this.carry, 0, this.carryLength, this.position);
      } catch (e) {
        this.stopOn(e);
        return;
      }
      this.truncated(this.carryLength, this.position, need < 0 ? -need : need);
    }
    this.stopped = true;
  }

  private appendCarry(src: Uint8Array, from: number, n: number): void {
    if (this.carryLength + n > this.carry.length) {
      const grown = new Uint8Array(Math.max(this.carry.length * 2, this.carryLength + n, 4096));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(src.subarray(from, from + n), this.carryLength);
    this.carryLength += n;
  }
}
