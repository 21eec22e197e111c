/**
 * Captures whose timestamps say nothing (Inspektor Gadget's tcpdump gadget
 * writes every packet at time 0): durations and latencies measured from them
 * (a TCP handshake's RTT, HTTP time to first byte and total) would read 0 ms
 * as if measured; they are given as null instead. Times themselves stay as
 * the file has them (and captures[].source.timestamps says "zero").
 */
import type { CaptureOrigin } from '../../capture/open-inputs.js';

export function untimedFiles(origins: readonly CaptureOrigin[] | undefined, files: readonly string[]): Set<string> {
  const out = new Set<string>();
  origins?.forEach((o, i) => { if (o.timestamps === 'zero' && files[i] !== undefined) out.add(files[i]!); });
  return out;
}

function touches(capture: unknown, untimed: ReadonlySet<string>): boolean {
  if (typeof capture === 'string') return untimed.has(capture);
  return Array.isArray(capture) && capture.some((c) => typeof c === 'string' && untimed.has(c));
}

/** A flow row with its TCP RTT nulled when it was seen in an untimed capture. */
export function flowWithoutDurations<T extends { capture?: unknown; [k: string]: unknown }>(f: T, untimed: ReadonlySet<string>): T {
  const tcp = f['tcp'] as Record<string, unknown> | undefined;
  if (!untimed.size || !tcp || !touches(f.capture, untimed)) return f;
  return { ...f, tcp: { ...tcp, rttMs: null } };
}

/** An HTTP row with its time to first byte and total nulled when its flow was seen in an untimed capture. */
export function httpWithoutDurations<T extends { [k: string]: unknown }>(h: T, flowCapture: unknown, untimed: ReadonlySet<string>): T {
  if (!untimed.size || !touches(flowCapture, untimed)) return h;
  return { ...h, ...('ttfbMs' in h ? { ttfbMs: null } : {}), ...('totalMs' in h ? { totalMs: null } : {}) };
}
