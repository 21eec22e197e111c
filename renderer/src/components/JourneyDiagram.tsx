/**
 * One request's journey as a sequence diagram: a lane per entity (client,
 * node with its NodePort, pod, Service), one arrow per crossing (a packet's
 * copies along one stretch folded, with the trail of capture points that saw
 * it), the address rewrites between crossings in the direction they happened,
 * tunnel stretches named by their nodes, keep-alive reuse marked. Text is
 * laid out from its measured width in a monospace font, never left of the
 * drawing's edge.
 */
import { useLayoutEffect, useRef, useState } from 'react';
import type { Journey, OverlayView } from '../../../src/api.js';
import { fmtClock, fmtMs } from '../format.js';
import { journeyModel, trailTunnels, type Reuse } from './journey-model.js';

/** Width of one character of the diagram's monospace text at 11px (DejaVu Sans Mono: 0.602 em). */
const CH = 6.7;
const PAD = 10;
const HEAD_H = 46;

const textW = (s: string, ch = CH) => s.length * ch;
/** Below this many characters from an arrow's start to the right edge, a crossing's text is pulled left whole instead of wrapped. */
const MIN_WRAP = 44;

/**
 * A line cut at its separators (" · ", " › ") into lines of at most `max`
 * characters, the separator ending each cut line; a part longer than `max`
 * stays whole.
 */
export function wrapLine(text: string, sep: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts = text.split(sep);
  const out: string[] = [];
  let cur = parts[0]!;
  for (const p of parts.slice(1)) {
    // Room kept for the separator that ends a cut line.
    if (cur.length + sep.length + p.length + sep.trimEnd().length <= max) cur += sep + p;
    else { out.push(cur + sep.trimEnd()); cur = `  ${p}`; }
  }
  out.push(cur);
  return out;
}

export function JourneyDiagram({ journey, view, reuse }: { journey: Journey; view: Pick<OverlayView, 'identities' | 'nodes'>; reuse?: Map<number, Reuse> }) {
  const m = journeyModel(view, journey, reuse);
  // The width the drawing has on screen: a crossing's text wraps to it rather than running off or far left of its arrow.
  const box = useRef<HTMLDivElement>(null);
  const [avail, setAvail] = useState(0);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setAvail(el.clientWidth);
    const ro = new ResizeObserver(() => setAvail(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  // Lanes as wide as their longest line.
  const widths = m.lanes.map((l) => Math.max(150, Math.ceil(Math.max(textW(l.title, 7.2), textW(l.sub, 6.2))) + 24));
  const xs: number[] = [];
  let acc = PAD;
  for (const w of widths) { xs.push(acc + w / 2); acc += w + 14; }
  const lanesW = acc - 14 + PAD;
  // Text may run to the lanes' right end or, when the box is wider, to its right edge.
  const rightLimit = Math.max(lanesW, avail) - PAD;
  // Rows: a crossing has 3 lines (+1 for keep-alive), a NAT step a line per change + 1.
  type Row = { y: number; h: number; lines: Array<{ text: string; cls: string; testid?: string }>; x1: number; x2: number; step: number };
  const rows: Row[] = [];
  let y = HEAD_H + 24;
  m.steps.forEach((s, k) => {
    if (s.kind === 'crossing') {
      const tunnels = trailTunnels(s);
      const leg = /^upstream request (\d+)$/.exec(s.note);
      const re = leg ? m.reuse.get(Number(leg[1])) : undefined;
      const firstOfLeg = re && !m.steps.slice(0, k).some((p) => p.kind === 'crossing' && p.note === s.note);
      // Lines start at the arrow's left end, wrapped at their separators to the room right of it (when there is enough room).
      const room = Math.floor((rightLimit - (Math.min(xs[s.from]!, xs[s.to]!) + 8)) / CH);
      const max = room >= MIN_WRAP ? room : Infinity;
      const lines: Array<{ text: string; cls: string; testid?: string }> = [
        ...wrapLine([s.note, ...tunnels].join(' · '), ' · ', max).map((text) => ({ text, cls: 'hop-label' })),
        ...wrapLine(`${fmtEp(s.src)} → ${fmtEp(s.dst)} · ${fmtClock(s.time)}${s.latencyMs != null ? ` · +${fmtMs(s.latencyMs)}` : ''} · ${s.packets} pkts on this connection here`, ' · ', max).map((text) => ({ text, cls: 'hop-sub' })),
        ...wrapLine(`seen at ${s.trail.join(' › ')}`, ' › ', max).map((text) => ({ text, cls: 'hop-trail', testid: 'journey-trail' })),
      ];
      if (firstOfLeg && re) lines.push({ text: `keep-alive: connection reused (request ${re.request} on it; opened by journey #${re.openedBy + 1})`, cls: 'hop-keepalive', testid: 'journey-keepalive' });
      const x1 = xs[s.from]!, x2 = xs[s.to]!;
      rows.push({ y, h: 16 + lines.length * 14 + 10, lines, x1, x2, step: k });
      y += 16 + lines.length * 14 + 10;
    } else {
      const ls = s.lanes.map((l) => xs[l]!);
      const lines = [{ text: s.between[0] === s.between[1] ? `address rewritten (${s.between[0]} saw it before and after):` : `address rewritten between ${s.between[0]} and ${s.between[1]}:`, cls: 'nat-label' }, ...s.changes.map((c) => ({ text: c, cls: 'nat-change', testid: 'journey-nat-change' }))];
      rows.push({ y, h: lines.length * 14 + 12, lines, x1: Math.min(...ls), x2: Math.max(...ls), step: k });
      y += lines.length * 14 + 12;
    }
  });
  const height = y + 10;
  // Text starts at the row's left lane (plus a little), pulled left where it would still run past the right limit, never past the left edge.
  const textX = (r: Row) => {
    const longest = Math.max(...r.lines.map((l) => textW(l.text)));
    const left = Math.min(r.x1, r.x2) + 8;
    return Math.max(PAD, Math.min(left, rightLimit - longest));
  };
  const width = Math.max(lanesW, ...rows.map((r) => textX(r) + Math.max(...r.lines.map((l) => textW(l.text))) + PAD));
  // The lane heads stay in view (sticky) while the crossings scroll under them.
  const lifelines = m.lanes.map((l, i) => <line key={l.key} x1={xs[i]} y1={0} x2={xs[i]} y2={height - HEAD_H} className="lifeline" />);
  return (
    <div className="journey-scroll" data-testid="journey-diagram" aria-label={`Journey ${journey.label}`} role="group" ref={box}>
      <svg className="journey-svg journey-lanes" viewBox={`0 0 ${width} ${HEAD_H + 4}`} width={width} height={HEAD_H + 4} role="img" aria-label="Lanes">
        {m.lanes.map((l, i) => (
          <g key={l.key} data-testid="journey-lane" data-title={l.title} data-kind={l.kind} data-inferred={l.inferred ? '1' : '0'}>
            <title>{`${l.title} — ${l.sub}\n${l.addresses.join(', ')}`}</title>
            <line x1={xs[i]} y1={HEAD_H} x2={xs[i]} y2={HEAD_H + 4} className="lifeline" />
            <rect x={xs[i]! - widths[i]! / 2} y={6} width={widths[i]} height={HEAD_H - 8} rx={6} className={`lifeline-head lane-${l.kind}`} />
            <text x={xs[i]} y={23} textAnchor="middle" className="lifeline-text">{l.title}</text>
            <text x={xs[i]} y={38} textAnchor="middle" className="lifeline-sub">{l.sub}</text>
          </g>
        ))}
      </svg>
      <svg className="journey-svg" viewBox={`0 ${HEAD_H} ${width} ${height - HEAD_H}`} width={width} height={height - HEAD_H} role="img" aria-label="Crossings">
        <defs><marker id="jarrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" className="arrowhead" /></marker></defs>
        <g transform={`translate(0,${HEAD_H})`}>{lifelines}</g>
        {rows.map((r) => {
          const s = m.steps[r.step]!;
          const tx = textX(r);
          if (s.kind === 'nat') {
            return (
              <g key={r.step} className="nat-step" data-testid="journey-nat">
                <rect x={tx - 6} y={r.y - 4} width={Math.max(...r.lines.map((l) => textW(l.text))) + 12} height={r.h - 6} rx={4} className="nat-box" />
                {r.lines.map((l, i) => <text key={i} x={tx} y={r.y + 9 + i * 14} className={l.cls} data-testid={l.testid}>{l.text}</text>)}
              </g>
            );
          }
          const ay = r.y + 6;
          const self = r.x1 === r.x2;
          return (
            <g key={r.step} className={`hop hop-${s.note.includes('response') ? 'reply' : 'request'}`} data-testid="journey-crossing" data-trail={s.trail.join(',')} data-from={m.lanes[s.from]!.title} data-to={m.lanes[s.to]!.title} data-note={s.note}>
              <title>{s.trail.map((p, i) => `${p}${s.tunnels[i] ? ` (inside ${s.tunnels[i]})` : ''}`).join('\n')}</title>
              {self ? <path d={`M${r.x1},${ay} h26 v10 h-22`} fill="none" markerEnd="url(#jarrow)" />
                : <line x1={r.x1} y1={ay} x2={r.x2 + (r.x2 > r.x1 ? -4 : 4)} y2={ay} markerEnd="url(#jarrow)" />}
              {r.lines.map((l, i) => <text key={i} x={tx} y={ay + 16 + i * 14} className={l.cls} data-testid={l.testid}>{l.text}</text>)}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function fmtEp(e: { ip: string; port: number | null }): string {
  return e.port == null ? e.ip : e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
