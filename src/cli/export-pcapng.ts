/**
 * `overlayscope export-pcapng CAPTURE... --out FILE [--filter EXPR] [--journey ID]`:
 * one pcapng of the session for Wireshark (src/export/pcapng-session.ts):
 * every record of every capture (or those a display filter matches, or those
 * of one journey) in time order across capture points, one interface per
 * capture point, a Name Resolution Block naming pods, Services and nodes,
 * and per packet a comment with its flow, tunnel, translation and journey
 * hop. Written whole or not at all, never over an input
 * (src/host/node/atomic-write.ts).
 */
import type { CliContext } from './commands.js';
import { one, parseArgs, portList } from './args.js';
import { InputError, UsageError } from './errors.js';
import { CLOCK_HELP, CLOCK_SPEC, clockOptions } from './clock-args.js';
import type { AnalyzeOptions } from '../pipeline/analyze.js';
import { readFile } from 'node:fs/promises';
import { ClusterMetadataError, parseClusterMetadata } from '../overlay/cluster-metadata.js';
import { DissectConfig } from '../dissect/config.js';
import { pcapngPieces, UnknownJourneyError } from '../export/pcapng-session.js';
import { FILTER_HELP, FILTER_SPEC, filterOption } from './filter-options.js';
import { sessionFacts } from '../service/filter-facts.js';

export { pcapngPieces } from '../export/pcapng-session.js';

export const EXPORT_PCAPNG_HELP = `Usage: overlayscope export-pcapng CAPTURE... --out FILE [options]

One pcapng of the session for Wireshark: every packet of every capture in
time order across capture points (on the reference host's clock when the
hosts' clocks are corrected; the section comment says how), one
interface per capture point (if_name the point, if_description its host, file
and interface), a Name Resolution Block naming pods (name.namespace.pod),
Services (name.namespace.svc) and nodes when --cluster is given, and a
comment on each packet: its flow, tunnel, translation and journey hop.

Options:
  --out FILE           the pcapng to write (whole or not at all; never a capture read)
  --cluster FILE       kubectl metadata (repeatable)
${FILTER_HELP}
                       (only the matching packets)
  --journey ID         only the packets of journey ID's connections, at the
                       points its hops were seen (ids: analyze --format json)
${CLOCK_HELP}
  --vxlan-port N,...   UDP ports decoded as VXLAN (default 4789,8472)
  --geneve-port N,...  UDP ports decoded as Geneve (default 6081)
  --wireguard-port N,...
                       UDP ports decoded as WireGuard (default 51820)
  -h, --help           this help
Open it with: wireshark -o nameres.network_name:TRUE FILE (tshark: -N n).`;

export async function runExportPcapng(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, {
    help: {}, out: { value: true }, cluster: { value: true, multiple: true },
    'vxlan-port': { value: true }, 'geneve-port': { value: true }, 'wireguard-port': { value: true }, ...CLOCK_SPEC, ...FILTER_SPEC,
    journey: { value: true },
  });
  if (args.flags.has('help')) { ctx.stdout(EXPORT_PCAPNG_HELP + '\n'); return 0; }
  if (!args.positional.length) throw new UsageError(`export-pcapng needs at least one capture file\n\n${EXPORT_PCAPNG_HELP}`);
  const out = one(args, 'out');
  if (!out) throw new UsageError(`export-pcapng needs --out FILE\n\n${EXPORT_PCAPNG_HELP}`);
  const vxlanPorts = portList(one(args, 'vxlan-port'), 'vxlan-port');
  const genevePorts = portList(one(args, 'geneve-port'), 'geneve-port');
  const wireguardPorts = portList(one(args, 'wireguard-port'), 'wireguard-port');
  const clusterFiles = args.options.get('cluster') ?? [];
  let clusterMetadata = null;
  if (clusterFiles.length) {
    const files = await Promise.all(clusterFiles.map(async (p) => ({
      name: p, text: await readFile(p, 'utf8').catch((e: NodeJS.ErrnoException) => { throw new InputError(`${p}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`); }),
    })));
    try { clusterMetadata = parseClusterMetadata(files); } catch (e) {
      if (e instanceof ClusterMetadataError) throw new InputError(`cluster metadata: ${e.message}`);
      throw e;
    }
  }
  const dissect = { ...(vxlanPorts ? { vxlanPorts } : {}), ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}) };
  const opts: AnalyzeOptions = { ...dissect, ...(clusterMetadata ? { clusterMetadata } : {}), ...clockOptions(args) };
  const filter = filterOption(args);
  const journeyText = one(args, 'journey');
  const journey = journeyText === undefined ? null : Number(journeyText);
  if (journey !== null && !(Number.isInteger(journey) && journey >= 0)) throw new UsageError(`--journey takes a journey id (0, 1, ...), not '${journeyText}'`);
  const session = await ctx.open(args.positional, opts);
  let pieces: Uint8Array[];
  try {
    pieces = await pcapngPieces(session, new DissectConfig(dissect), { filter, journey, ...(filter?.usesFacts ? { facts: sessionFacts(session) } : {}) });
  } catch (e) {
    if (e instanceof UnknownJourneyError) throw new InputError(`export-pcapng: ${e.message}`);
    throw e;
  }
  if (ctx.writePieces) await ctx.writePieces(out, pieces, args.positional);
  else throw new InputError('export-pcapng: this host cannot write binary files');
  let failed = false;
  for (const c of session.captures) {
    for (const i of c.issues) {
      if (i.severity !== 'error') continue;
      failed = true;
      ctx.stderr(`overlayscope: ${i.capture}: offset ${i.offset}: ${i.layer}: ${i.reason}${c.packets ? ` (${c.packets} packets read before it are exported)` : ''}\n`);
    }
  }
  return failed ? 1 : 0;
}
