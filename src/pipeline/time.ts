/** Capture times: integer seconds plus nanoseconds, formatted at the capture's precision. */

export interface Timestamp {
  sec: number;
  nsec: number;
}

/** ISO-8601 UTC with `precision` fractional digits (6 for µs captures, 9 for ns). */
export function formatTime(sec: number, nsec: number, precision = 9): string {
  // Flows and transactions of one capture share few distinct seconds: the
  // date part is computed once per second (Date#toISOString is slow).
  let prefix: string;
  if (sec === lastSec) prefix = lastPrefix;
  else {
    const p = isoSecond(sec);
    if (p === null) return `${sec}.${String(nsec).padStart(9, '0')}`;
    prefix = p;
    lastSec = sec;
    lastPrefix = prefix;
  }
  const digits = precision >= 9 ? 9 : precision <= 0 ? 0 : precision;
  if (digits === 0) return `${prefix}Z`;
  const frac = digits === 9 ? String(nsec).padStart(9, '0') : String(nsec).padStart(9, '0').slice(0, digits);
  return `${prefix}.${frac}Z`;
}

/** `YYYY-MM-DDTHH:MM:SS` of a second since the epoch (formatTime's date part); null out of Date's range. */
export function isoSecond(sec: number): string | null {
  const ms = sec * 1000;
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) return null;
  return d.toISOString().slice(0, 19);
}

let lastSec = NaN;
let lastPrefix = '';

/** Seconds as a float (for charts and durations; loses sub-µs precision on epoch times). */
export function toSeconds(sec: number, nsec: number): number {
  return sec + nsec / 1e9;
}

/** a - b in nanoseconds (exact while the difference is under ~104 days). */
export function diffNs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (aSec - bSec) * 1e9 + (aNsec - bNsec);
}

export function compareTime(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? aSec - bSec : aNsec - bNsec;
}
