/** Number and time formatting for the views (plain text; React escapes it). */
const nf = new Intl.NumberFormat('en-US');

export const fmtInt = (n: number | null | undefined): string => (n == null ? '—' : nf.format(n));

export function fmtBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${u === 0 ? Math.round(v) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

export function fmtDuration(sec: number | null | undefined): string {
  if (sec == null || !Number.isFinite(sec)) return '—';
  if (sec < 1e-3) return `${(sec * 1e6).toFixed(0)} µs`;
  if (sec < 1) return `${(sec * 1e3).toFixed(1)} ms`;
  if (sec < 120) return `${sec.toFixed(2)} s`;
  const m = Math.floor(sec / 60);
  return m < 120 ? `${m} min ${Math.round(sec - m * 60)} s` : `${(sec / 3600).toFixed(1)} h`;
}

export const fmtMs = (ms: number | null | undefined): string => (ms == null ? '—' : ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);

/** "2024-05-01T10:00:00.123456789Z" → "10:00:00.123456789" (the date is in the tooltip). */
export function fmtClock(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = iso.indexOf('T');
  return t < 0 ? iso : iso.slice(t + 1).replace(/Z$/, '');
}

export const fmtEndpoint = (e: { ip: string; port: number | null }): string =>
  e.port == null ? e.ip : e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;

export const fmtPct = (a: number, b: number): string => (b > 0 ? `${Math.round((a / b) * 100)}%` : '—');
