/**
 * An error a container (gzip stream, tar or zip archive) met while giving a
 * capture's bytes: where (the offset in the container's own bytes and in the
 * bytes handed on), what (`gzip`, `deflate`, `tar`, `zip`) and why. readCapture
 * turns it into an error issue of the capture; what was read before it is kept.
 */
import type { ByteSource } from './types.js';

export class SourceError extends Error {
  constructor(
    /** The file (or archive member) whose bytes were being read. */
    readonly file: string,
    /** Offset in the bytes handed on (the capture's offsets) where they end. */
    readonly offset: number,
    /** `gzip`, `deflate`, `tar`, `zip`. */
    readonly layer: string,
    readonly reason: string,
  ) {
    super(`${file}: offset ${offset}: ${layer}: ${reason}`);
    this.name = 'SourceError';
  }
}

/** Bounds on what compressed or archived input may expand to (issue #16). */
export const CONTAINER_LIMITS = {
  /** Inflated bytes per compressed input byte beyond which a stream is a compression bomb... */
  maxRatio: 200,
  /** ...once it has inflated this much (small streams of zeros are legitimately 1000:1). */
  ratioCheckAfter: 64 * 1024 * 1024,
  /** Most bytes one compressed stream may inflate to. */
  maxInflated: 64 * 1024 * 1024 * 1024,
  /** Most members listed in one archive (nested archives count on their own). */
  maxMembers: 10_000,
  /** Archives inside archives followed this deep (Retina's "all captures" archive holds one archive per node: 2). */
  maxDepth: 3,
  /** Largest text member kept as a sidecar (ip-resources.txt, iptables-rules.txt, name histories). */
  maxSidecarBytes: 16 * 1024 * 1024,
  /** All sidecars of one open together. */
  maxSidecarTotal: 64 * 1024 * 1024,
  /** Most captures one open yields (each becomes a capture point). */
  maxCaptures: 1024,
};
export type ContainerLimits = typeof CONTAINER_LIMITS;

/**
 * A capture's source as the engine gets it from a container: `chunks()`
 * throws the container's error (readCapture makes it the capture's error
 * issue, keeping every record before it), while a read by offset (the format
 * sniff, a packet's bytes) past that error gives the bytes there are, none
 * at worst: the error is said once, where the capture's reading stopped, and
 * never escapes a packet view or the analysis.
 */
export function readsWithinKept(src: ByteSource): ByteSource {
  return {
    name: src.name,
    get size() { return src.size; },
    chunks: (n, signal) => src.chunks(n, signal),
    async read(offset, length) {
      try {
        return await src.read(offset, length);
      } catch (e) {
        if (e instanceof SourceError) return new Uint8Array(0);
        throw e;
      }
    },
  };
}
