/** Text renderings of the analysis for the CLI: a readable table and CSV. */
import type { AnalysisJson } from '../session/contract.js';
import { csvRow } from '../report/csv.js';
import { visibleText } from '../report/escape.js';
import { linkTypeText } from '../report/link-types.js';

export function renderAnalysisTable(a: AnalysisJson): string {
  const out: string[] = [];
  out.push('Captures');
  for (const c of a.captures) {
    out.push(`  ${c.file}  ${c.format}  ${c.linkTypes.map(linkTypeText).join(', ') || 'no link type'}  ${c.packets} packets  ${c.bytes} bytes  ${c.firstTime ?? '-'} .. ${c.lastTime ?? '-'}${c.complete ? '' : '  [incomplete]'}`);
    for (const i of c.issues) out.push(`    ${i.severity}: offset ${i.offset}: ${i.layer}: ${i.reason}`);
    if (c.offload) out.push(`    offloads were on: ${c.offload.frames} of ${c.packets} frames exceed ${c.offload.limit} bytes, up to ${c.offload.largest} (counted as captured, not as wire segments)`);
  }
  out.push('', `Packets: ${a.packets}`, '', 'Protocols (packets holding the layer at any depth)');
  for (const [name, n] of Object.entries(a.protocols).sort((x, y) => y[1] - x[1])) out.push(`  ${name.padEnd(8)} ${String(n).padStart(10)}`);
  const clocks = a.clocks ?? [];
  if (clocks.length > 1) {
    const ref = clocks.find((c) => c.reference);
    out.push('', `Hosts and clocks (offset from ${visibleText(ref?.host ?? '-')}'s clock; times ${clocks.some((c) => c.corrected) ? 'corrected' : 'as captured'})`);
    for (const c of clocks) {
      const off = c.offsetMs === null ? 'no packet links it' : c.reference ? 'reference' : `${c.offsetMs >= 0 ? '+' : ''}${c.offsetMs.toFixed(3)} ms${c.uncertaintyMs ? ` ± ${c.uncertaintyMs.toFixed(3)}` : ''}${c.source === 'stated' ? ' (stated)' : ''}${c.driftPpm ? `, drift ${c.driftPpm} ppm` : ''}`;
      out.push(`  ${visibleText(c.host).padEnd(20)} ${off.padEnd(32)} ${String(c.pairs).padStart(6)} pairs  ${visibleText(c.capturePoints.join(', '))}`);
    }
  }
  if (a.flows.length) {
    out.push('', `Flows: ${a.flows.length} (top 20 by bytes)`);
    out.push(`  ${'id'.padStart(6)} ${'d'.padStart(1)} ${'proto'.padEnd(6)} ${'A'.padEnd(40)} ${'B'.padEnd(40)} ${'packets'.padStart(8)} ${'bytes'.padStart(10)}  tunnel`);
    for (const f of [...a.flows].sort((x, y) => y.bytes - x.bytes).slice(0, 20)) {
      const ep = (e: { ip: string; port: number | null }) => (e.port === null ? e.ip : e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
      out.push(`  ${String(f.id).padStart(6)} ${f.depth} ${f.transport.padEnd(6)} ${ep(f.a).padEnd(40)} ${ep(f.b).padEnd(40)} ${String(f.packets).padStart(8)} ${String(f.bytes).padStart(10)}  ${f.tunnel ? `${f.tunnel.type} vni ${f.tunnel.vni} via flow ${f.tunnel.outerFlow}` : ''}`);
    }
  }
  if (a.http.length) {
    out.push('', `HTTP transactions: ${a.http.length} (first 20)`);
    // Method, host and URI come from the capture: control characters are shown escaped, never sent to the terminal.
    for (const h of a.http.slice(0, 20)) out.push(`  flow ${h.flow}  ${visibleText(h.method ?? '-')} ${visibleText(h.host ?? '')}${visibleText(h.uri ?? '')}  → ${h.status ?? 'no response'}`);
  }
  const warnings = a.issues.filter((i) => i.severity !== 'error');
  if (warnings.length) out.push('', `Packet issues: ${warnings.length} (see --format json for all)`);
  return out.join('\n') + '\n';
}

/** The flows as CSV: one row a flow, its Community ID v1 last (empty for ICMP/SCTP, as the JSON's null). */
export function flowsCsv(a: AnalysisJson): string {
  const header = ['id', 'capture', 'depth', 'transport', 'a_ip', 'a_port', 'b_ip', 'b_port', 'packets', 'bytes', 'packets_a_to_b', 'packets_b_to_a', 'bytes_a_to_b', 'bytes_b_to_a', 'first_time', 'last_time', 'tunnel_type', 'tunnel_vni', 'outer_flow', 'community_id'];
  const rows = [csvRow(header)];
  for (const f of a.flows) {
    rows.push(csvRow([f.id, Array.isArray(f.capture) ? f.capture.join(';') : f.capture ?? '', f.depth, f.transport, f.a.ip, f.a.port ?? '', f.b.ip, f.b.port ?? '',
      f.packets, f.bytes, f.packetsAtoB, f.packetsBtoA, f.bytesAtoB, f.bytesBtoA, f.firstTime, f.lastTime,
      f.tunnel?.type ?? '', f.tunnel?.vni ?? '', f.tunnel?.outerFlow ?? '', f.communityId ?? '']));
  }
  return rows.join('');
}
