/**
 * The few globals the engine uses that both Node (>= 18) and browsers (and
 * their workers) provide. Declared here, minimally, because the engine is
 * compiled with neither DOM nor Node types: anything else platform-specific
 * must come through a host adapter.
 */
declare global {
  interface TextDecoder {
    decode(input?: Uint8Array): string;
  }
  var TextDecoder: { new (label?: string, options?: { fatal?: boolean }): TextDecoder };
  interface TextEncoder {
    encode(input?: string): Uint8Array;
  }
  var TextEncoder: { new (): TextEncoder };
  interface AbortSignal {
    readonly aborted: boolean;
  }
  interface AbortController {
    readonly signal: AbortSignal;
    abort(reason?: unknown): void;
  }
  var AbortController: { new (): AbortController };
  /** A browser File/Blob as a SourceRef carries it; only hosts read it. */
  interface Blob {
    readonly size: number;
  }
  interface Console {
    log(...data: unknown[]): void;
    warn(...data: unknown[]): void;
    error(...data: unknown[]): void;
  }
  var console: Console;
}
export {};
