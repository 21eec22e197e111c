/**
 * A journey drawn for the HTML report as inline SVG (no script, no style
 * attribute, no link: html.ts's inertSvg checks it): one lane per address in
 * the order the request met them, named by the cluster metadata where the
 * report has it (pod, Service, node), one arrow per hop labelled with its
 * capture point, its translation and its tunnel. Every text is escaped.
 */
import { tunnelText, type Journey } from '../api.js';
import { escapeHtml, visibleText } from './escape.js';
import type { ReportAnalysis } from './report-model.js';

const LANE = 170;
const TOP = 46;
const ROW = 30;
const PAD = 12;

/** Address → a name from the report's metadata (pods, Services, nodes), or null. */
export function addressNames(a: ReportAnalysis): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of a.nodes ?? []) if (n.name) m.set(n.ip, n.name);
  // Short: a lane is 170 px wide (the namespace is in the Pods and Services tables).
  for (const s of a.services ?? []) if (s.clusterIp) m.set(s.clusterIp, `Service ${s.name}`);
  for (const p of a.pods ?? []) if (p.name) m.set(p.ip, p.name);
  return m;
}

/** Escaped text cut to `max` characters with an ellipsis (a drawing has no room for "(N more characters)"). */
const t = (s: string, max: number): string => {
  const v = visibleText(s);
  return escapeHtml(v.length > max ? `${v.slice(0, max - 1)}…` : v);
};

export function journeySvg(j: Journey, names: ReadonlyMap<string, string>): string {
  const lanes: string[] = [];
  for (const h of j.hops) for (const ip of [h.src.ip, h.dst.ip]) if (!lanes.includes(ip)) lanes.push(ip);
  const x = (ip: string): number => PAD + lanes.indexOf(ip) * LANE + LANE / 2;
  const width = PAD * 2 + lanes.length * LANE;
  const height = TOP + j.hops.length * ROW + 14;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${t(`Journey ${j.label}`, 200)}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${t(j.label, 200)}</title>`,
  ];
  for (const ip of lanes) {
    const cx = x(ip);
    out.push(`<text x="${cx}" y="16" text-anchor="middle" font-weight="600"><title>${t(names.get(ip) ?? ip, 200)}</title>${t(names.get(ip) ?? ip, 22)}</text>`);
    out.push(`<text x="${cx}" y="30" text-anchor="middle" fill="#666">${names.has(ip) ? t(ip, 40) : ''}</text>`);
    out.push(`<line x1="${cx}" y1="${TOP - 8}" x2="${cx}" y2="${height - 6}" stroke="#bbb" stroke-dasharray="3 3"/>`);
  }
  j.hops.forEach((h, i) => {
    const y = TOP + i * ROW + 18;
    const x1 = x(h.src.ip);
    const x2 = x(h.dst.ip);
    const response = /response/.test(h.note);
    const colour = response ? '#8a5a00' : '#2f6fb3';
    const label = [`${i + 1}. ${h.point}`, h.translation, h.tunnel ? `${tunnelText(h.tunnel)} ${h.tunnel.outerSrc} → ${h.tunnel.outerDst}` : null].filter(Boolean).join(' · ');
    out.push(`<g><title>${t(`${h.note}: ${h.src.ip}:${h.src.port ?? ''} → ${h.dst.ip}:${h.dst.port ?? ''} at ${h.point}, ${h.time}`, 400)}</title>`);
    out.push(`<text x="${Math.min(x1, x2) + 4}" y="${y - 5}" fill="${colour}">${t(label, Math.max(24, Math.round((Math.abs(x2 - x1) + LANE) / 6)))}</text>`);
    if (x1 === x2) {
      out.push(`<polyline points="${x1},${y - 2} ${x1 + 18},${y - 2} ${x1 + 18},${y + 4} ${x1},${y + 4}" fill="none" stroke="${colour}"/>`);
    } else {
      const dir = x2 > x1 ? 1 : -1;
      out.push(`<line x1="${x1}" y1="${y}" x2="${x2 - dir * 7}" y2="${y}" stroke="${colour}" stroke-width="1.5"/>`);
      out.push(`<polygon points="${x2},${y} ${x2 - dir * 8},${y - 4} ${x2 - dir * 8},${y + 4}" fill="${colour}"/>`);
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}
