/** The CLI's commands. Output goes through the context so tests can run them in-process. */
import { CLOCK_HELP, CLOCK_SPEC, clockOptions } from './clock-args.js';
import { INTERFACE_NAMES_HELP, INTERFACE_NAMES_SPEC, interfaceNameOptions } from './interface-names.js';
import type { AnalyzeOptions } from '../pipeline/analyze.js';
import type { ParallelOptions } from '../session/parallel/flow-handoff.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { readCapture } from '../capture/read-capture.js';
import { DissectConfig } from '../dissect/config.js';
import { DecodedPacket } from '../dissect/decoded.js';
import { decodePacket, linkTypeDecoded } from '../dissect/decoder.js';
import { summarizePacket } from '../pipeline/packet-summary.js';
import { formatTime } from '../pipeline/time.js';
import { choice, one, parseArgs, portList } from './args.js';
import { InputError, UsageError } from './errors.js';
import { singleCapture } from './open-session.js';
import { renderAnalysisTable, flowsCsv } from './format.js';
import { FILTER_HELP, FILTER_SPEC, filterOption, needsSession, openFiltered } from './filter-options.js';
import { FrameFilter } from '../filter/frame-filter.js';
import { sessionFacts } from '../service/filter-facts.js';
import { setCommunityIdSeed } from '../flows/flow-output.js';
import { ZeekConnObserver, zeekConnJson, zeekConnRows, zeekConnTsv } from '../export/zeek-conn.js';
import { writeParquetTables } from './export-parquet.js';
import { sessionSource } from '../export/parquet-tables.js';
import { jsonBytePieces, jsonPieces, LazyArray } from './json-stream.js';
import { readFile } from 'node:fs/promises';
import { ClusterMetadataError, parseClusterMetadata, type ClusterMetadata } from '../overlay/cluster-metadata.js';
import { readdir, stat } from 'node:fs/promises';
import { join as pathJoin } from 'node:path';
import { compareProfiles, compareSessions, comparisonJson, type ComparisonJson } from '../compare/compare.js';
import { profileSession } from '../compare/traffic-profile.js';
import { defaultSideLabel, parsePairs } from '../compare/sides.js';
import { sniffFormat } from '../capture/sniff.js';
import { safeJson, visibleText } from '../report/escape.js';
import { renderReport, reportStem } from '../report/report.js';
import { CSV_TABLES, csvTable, csvZip } from '../report/csv-report.js';
import { fmtFixed, rowDecimals, type ReportAnalysis } from '../report/report-model.js';
import { renderChartSvg } from '../host/node/report-charts.js';

export interface CliContext {
  stdout(s: string): void;
  stderr(s: string): void;
  stderrIsTTY: boolean;
  open(paths: string[], opts: AnalyzeOptions & ParallelOptions): Promise<AnalysisSession>;
  write(file: string, data: string | Uint8Array, protect: string[]): Promise<void>;
  /**
   * Writes `pieces` in order as one file, whole or not at all (optional: else
   * `write` gets them joined). A piece may be a view of a reused buffer: it
   * is valid until the next piece is taken.
   */
  writePieces?(file: string, pieces: Iterable<Uint8Array>, protect: string[]): Promise<void>;
  /** Writes a piece to stdout, resolving when it may take more and the piece may be reused (optional: else `stdout`). */
  stdoutPiece?(s: Uint8Array): Promise<void>;
}

const ANALYZE_HELP = `Usage: overlayscope analyze CAPTURE... [options]

Reads pcap/pcapng captures (one per capture point) and reports packets,
protocols, flows at every depth, HTTP and DNS transactions.

Options:
  --vxlan-port N,...   UDP ports decoded as VXLAN (default 4789,8472)
  --geneve-port N,...  UDP ports decoded as Geneve (default 6081)
  --wireguard-port N,...
                       UDP ports decoded as WireGuard (default 51820)
  --cluster FILE       kubectl get nodes,pods,services,endpoints,endpointslices,
                       ingresses -A -o json (or -o yaml) output; repeatable.
                       Names nodes, pods and Services in flows, translations
                       and journeys (docs/cli.md, "Overlay")
${CLOCK_HELP}
${INTERFACE_NAMES_HELP}
${FILTER_HELP}
                       (the analysis of the matching packets only)
  --format F           table (default), json, csv (the flow table), zeek-conn
                       (Zeek's conn.log, TSV), zeek-conn-json (its JSON lines),
                       parquet (--out DIR: flows, http, dns, translations,
                       journeys, captures .parquet; docs/parquet.md)
  --packets            with parquet: also packets.parquet (a row a packet a
                       capture point)
  --session NAME       with parquet: the sessionId column (default: the
                       captures' short label)
  --community-id-seed N
                       seed of the flows' Community IDs (0-65535, default 0)
  --threads N|auto     threads reading the captures (1-64; default auto:
                       the cores, up to 4, for 2+ plain captures of 768 MiB
                       or more, else 1: where the capture split is measured
                       faster); the same output whatever N (docs/cli.md)
  --split stage|flow   one capture on 2+ threads: its flows in one worker
                       (stage, the default) or split by flow key among the
                       threads (flow: slower here, see docs/cli.md); the same
                       output
  --out FILE           write there (whole or not at all) instead of stdout
  -h, --help           this help
Exit: 0 success; 1 a capture could not be (fully) read — output still holds
what was read; 2 bad usage.`;

const PACKETS_HELP = `Usage: overlayscope packets CAPTURE [options]

One line per packet: number, time, lengths, layers, source, destination, info.

Options:
  --format F           ndjson (default), table
  --limit N            stop after N packets (N matching packets with a filter)
${FILTER_HELP}
                       (only the matching packets; numbers stay the file's)
  --vxlan-port N,...   UDP ports decoded as VXLAN (default 4789,8472)
  --geneve-port N,...  UDP ports decoded as Geneve (default 6081)
  --wireguard-port N,...
                       UDP ports decoded as WireGuard (default 51820)
  --out FILE           write there instead of stdout
  -h, --help           this help`;

const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

export async function runAnalyze(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, {
    help: {}, 'vxlan-port': { value: true }, 'geneve-port': { value: true }, 'wireguard-port': { value: true }, format: { value: true }, out: { value: true },
    cluster: { value: true, multiple: true }, 'community-id-seed': { value: true }, ...CLOCK_SPEC, ...INTERFACE_NAMES_SPEC, ...FILTER_SPEC,
    threads: { value: true }, split: { value: true },
    packets: {}, session: { value: true },
  });
  if (args.flags.has('help')) { ctx.stdout(ANALYZE_HELP + '\n'); return 0; }
  if (!args.positional.length) throw new UsageError(`analyze needs at least one capture file\n\n${ANALYZE_HELP}`);
  const format = choice(one(args, 'format'), ['table', 'json', 'csv', 'zeek-conn', 'zeek-conn-json', 'parquet'] as const, 'table', 'format');
  const zeekObserver = format === 'zeek-conn' || format === 'zeek-conn-json' ? new ZeekConnObserver() : null;
  const vxlanPorts = portList(one(args, 'vxlan-port'), 'vxlan-port');
  const genevePorts = portList(one(args, 'geneve-port'), 'geneve-port');
  const wireguardPorts = portList(one(args, 'wireguard-port'), 'wireguard-port');
  const out = one(args, 'out');
  const filter = filterOption(args);
  const clusterMetadata = await readClusterFiles(args.options.get('cluster') ?? []);
  let lastShown = 0;
  const showProgress = ctx.stderrIsTTY;
  const threadsText = one(args, 'threads');
  const threads = threadsText === undefined || threadsText === 'auto' ? 'auto' as const : Number(threadsText);
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw new UsageError(`--threads takes auto or an integer 1-64, not '${threadsText}'`);
  const split = one(args, 'split');
  if (split !== undefined && split !== 'stage' && split !== 'flow') throw new UsageError(`--split takes stage or flow, not '${split}'`);
  const opts: AnalyzeOptions & ParallelOptions & { split?: 'stage' | 'flow' } = {
    threads, ...(split ? { split } : {}),
    ...(vxlanPorts ? { vxlanPorts } : {}),
    ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}),
    ...(clusterMetadata ? { clusterMetadata } : {}),
    ...(zeekObserver ? { observers: [zeekObserver] } : {}),
    ...clockOptions(args), ...(await interfaceNameOptions(args)),
    onProgress: (read, total) => {
      if (!showProgress || total < PROGRESS_MIN_BYTES) return;
      const pct = Math.floor((read / total) * 100);
      if (pct !== lastShown) {
        lastShown = pct;
        ctx.stderr(`\rreading ${(read / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB (${pct}%)`);
      }
    },
  };
  const seedText = one(args, 'community-id-seed');
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffff)) throw new UsageError(`--community-id-seed takes an integer 0-65535, not '${seedText}'`);
  const session = await openFiltered((p, o) => ctx.open(p, o), args.positional, opts, filter);
  if (seed !== undefined) setCommunityIdSeed(session, seed);
  if (showProgress && lastShown > 0) ctx.stderr('\r\x1b[K');
  if (format === 'json') {
    // Written in pieces, flows made one at a time: one string (or every flow
    // object at once) of a big analysis would cost more memory than the analysis.
    const parts = session.toJSONParts({ lazyJourneys: true });
    // UTF-8 pieces of one reused buffer, rows written as bytes (JsonBytes): each
    // piece is written before the next is made. Journeys too, a journey at a time.
    const j = parts.journeys!;
    const doc = { ...parts.doc, flows: new LazyArray(parts.flowCount, parts.flow, parts.flowText, parts.flowWrite), http: new LazyArray(parts.httpCount, parts.http, parts.httpText, parts.httpWrite), dns: new LazyArray(parts.dnsCount, parts.dns, undefined, parts.dnsWrite),
      journeys: new LazyArray(j.length, (i) => j.journey(i), undefined, (i, out) => j.write(i, out)) };
    if (out && ctx.writePieces) await ctx.writePieces(out, jsonBytePieces(doc), args.positional);
    else if (out) await ctx.write(out, [...jsonPieces(doc)].join(''), args.positional);
    else if (ctx.stdoutPiece) {
      for (const piece of jsonBytePieces(doc)) await ctx.stdoutPiece(piece);
    } else {
      for (const piece of jsonPieces(doc)) ctx.stdout(piece);
    }
  } else if (format === 'parquet') {
    // DIR/flows.parquet, http.parquet, dns.parquet (src/cli/export-parquet.ts, docs/parquet.md).
    if (!out) throw new UsageError('--format parquet needs --out DIR');
    // Flows, HTTP and DNS made one at a time (as the JSON writer does), straight into columns.
    await writeParquetTables(sessionSource(session), out, ctx, args.positional, {
      session: one(args, 'session') ?? defaultSideLabel(args.positional),
      ...(args.flags.has('packets') ? { packets: session.captures } : {}),
    });
  } else if (zeekObserver) {
    // Zeek's conn.log (src/export/zeek-conn.ts): TSV with its header lines, or its JSON lines.
    const rows = zeekConnRows(session, zeekObserver);
    const text = format === 'zeek-conn-json' ? zeekConnJson(rows) : zeekConnTsv(rows);
    if (out) await ctx.write(out, text, args.positional);
    else ctx.stdout(text);
  } else {
    const json = session.toJSON();
    const text = format === 'csv' ? flowsCsv(json) : renderAnalysisTable(json);
    if (out) await ctx.write(out, text, args.positional);
    else ctx.stdout(text);
  }
  let failed = false;
  for (const c of session.captures) {
    for (const i of c.issues) {
      if (i.severity === 'error') {
        failed = true;
        ctx.stderr(`overlayscope: ${i.capture}: offset ${i.offset}: ${i.layer}: ${i.reason}${c.packets ? ` (${c.packets} packets read before it are kept)` : ''}\n`);
      }
    }
  }
  return failed ? 1 : 0;
}

/** Reads and parses `--cluster` files; a missing or malformed file is an input error naming it. */
async function readClusterFiles(paths: readonly string[]): Promise<ClusterMetadata | null> {
  if (!paths.length) return null;
  const files = await Promise.all(paths.map(async (p) => {
    const bytes = await readFile(p).catch((e: NodeJS.ErrnoException) => {
      throw new InputError(`${p}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    const format = sniffFormat(bytes.subarray(0, 16));
    if (format) throw new InputError(`${p} is a capture (${format}), not kubectl metadata: give the output of kubectl get nodes,pods,services,endpointslices -A -o json`);
    return { name: p, text: bytes.toString('utf8') };
  }));
  try {
    return parseClusterMetadata(files);
  } catch (e) {
    if (e instanceof ClusterMetadataError) throw new InputError(`cluster metadata: ${e.message}`);
    throw e;
  }
}

export async function runPackets(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, {
    help: {}, format: { value: true }, limit: { value: true }, out: { value: true },
    'vxlan-port': { value: true }, 'geneve-port': { value: true }, 'wireguard-port': { value: true }, ...FILTER_SPEC,
  });
  if (args.flags.has('help')) { ctx.stdout(PACKETS_HELP + '\n'); return 0; }
  if (args.positional.length !== 1) throw new UsageError(`packets takes exactly one capture file\n\n${PACKETS_HELP}`);
  const format = choice(one(args, 'format'), ['ndjson', 'table'] as const, 'ndjson', 'format');
  const limitText = one(args, 'limit');
  const limit = limitText === undefined ? Infinity : Number(limitText);
  if (!(limit >= 0)) throw new UsageError(`--limit takes a number, not '${limitText}'`);
  const vxlanPorts = portList(one(args, 'vxlan-port'), 'vxlan-port');
  const genevePorts = portList(one(args, 'geneve-port'), 'geneve-port');
  const wireguardPorts = portList(one(args, 'wireguard-port'), 'wireguard-port');
  const cfg = new DissectConfig({ ...(vxlanPorts ? { vxlanPorts } : {}), ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}) });
  const path = args.positional[0]!;
  const filter = filterOption(args);
  // A .pcap.gz, or an archive of one capture, too (src/cli/open-session.ts).
  const source = await singleCapture(path, ctx.stderr);
  const out = one(args, 'out');
  const lines: string[] = [];
  const emit = (s: string): void => { if (out) lines.push(s); else ctx.stdout(s); };
  const p = new DecodedPacket();
  const ifaces: Array<{ linkType: number; fcs: number; precision: number }> = [];
  // capture.*, journey, nat.translated, and node names need the capture analysed whole first.
  const facts = filter && needsSession(filter, false)
    ? sessionFacts(await ctx.open([path], { ...(vxlanPorts ? { vxlanPorts } : {}), ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}) }))
    : {};
  const frameFilter = filter ? new FrameFilter(filter, cfg, source.size >= 4 && (await source.read(0, 4)).join() === '10,13,13,10', facts) : null;
  let shown = 0;
  let n = 0;
  let failed = false;
  const ac = new AbortController();
  if (format === 'table') emit(`${'No.'.padStart(6)}  ${'Time'.padEnd(30)} ${'Len'.padStart(6)}  ${'Source'.padEnd(22)} ${'Destination'.padEnd(22)} Layers / Info\n`);
  await readCapture(source, {
    onInterface(i) { ifaces[i.id] = { linkType: i.linkType, fcs: i.fcsLength, precision: i.precision }; frameFilter?.onInterface(i); },
    onRecord(rec, bytes, start) {
      if (shown >= limit) { ac.abort(); return; }
      n++;
      // The filter decodes the record into p; numbers stay the file's frame numbers.
      if (frameFilter && !frameFilter.test(rec, bytes, start, p)) return;
      shown++;
      const ifc = ifaces[rec.interfaceId];
      let caplen = rec.capturedLength;
      if (ifc && ifc.fcs > 0 && rec.originalLength >= caplen && caplen >= ifc.fcs) caplen -= ifc.fcs;
      let s = { layers: [] as string[], src: '', dst: '', info: rec.linkType < 0 ? 'pcapng custom block (not a packet)' : `undecoded link type ${rec.linkType}` };
      if (linkTypeDecoded(rec.linkType)) {
        if (!frameFilter) decodePacket(p, bytes, start, caplen, rec.linkType, cfg);
        s = summarizePacket(p, bytes, start, caplen);
      }
      // SPB and custom-block records carry no time.
      const time = rec.timeless ? null : formatTime(rec.tsSec, rec.tsNsec, ifc?.precision ?? 6);
      if (format === 'ndjson') {
        emit(JSON.stringify({ n, time, caplen: rec.capturedLength, len: rec.originalLength, layers: s.layers, src: s.src, dst: s.dst, info: s.info, offset: rec.dataOffset, interface: rec.interfaceId }) + '\n');
      } else {
        emit(`${String(n).padStart(6)}  ${(time ?? '-').padEnd(30)} ${String(rec.originalLength).padStart(6)}  ${s.src.padEnd(22)} ${s.dst.padEnd(22)} ${s.layers.join(':')}  ${s.info}\n`);
      }
    },
    onIssue(i) {
      if (i.severity === 'error') {
        failed = true;
        ctx.stderr(`overlayscope: ${i.capture}: offset ${i.offset}: ${i.layer}: ${i.reason}${n ? ` (${n} packets read before it)` : ''}\n`);
      }
    },
  }, { signal: ac.signal });
  if (out) await ctx.write(out, lines.join(''), [path]);
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------- compare and report (issue #7)

const COMPARE_HELP = `Usage: overlayscope compare A B [options]

Compares two sides, each one capture, a comma-separated set of captures (one
per capture point) or a folder of them: packets and bytes in total and per
capture point, packets per request end to end (each transmission on each
link counted once) and per capture point, TCP connections opened per request
and reused (keep-alive), proxy hops, address translations and tunnel
crossings per request, tunnel packets and encapsulation bytes by tunnel type
(VXLAN, Geneve, IP-in-IP, GRE, ERSPAN, WireGuard), handshake RTT,
time to first byte and total time per request, retransmissions and resets;
then explains the difference in plain words with the per-hop breakdown.

Options:
  --label-a NAME       name of side A (default: its one file's name, its folder,
                       or the prefix its file names share)
  --label-b NAME       name of side B
  --cluster FILE       kubectl metadata for both sides (repeatable)
  --cluster-a FILE     kubectl metadata for side A only (repeatable; instead of --cluster)
  --cluster-b FILE     kubectl metadata for side B only
  --pair PA=PB         pair capture point PA of A with PB of B (repeatable); by
                       default points pair by role, their names without the
                       scenario prefix (nginx-proxy.client and ingress.client: client)
${CLOCK_HELP}
${INTERFACE_NAMES_HELP}
${FILTER_HELP}
                       (each side: the analysis of its matching packets only)
  --vxlan-port N,...   UDP ports decoded as VXLAN (default 4789,8472)
  --geneve-port N,...  UDP ports decoded as Geneve (default 6081)
  --wireguard-port N,...
                       UDP ports decoded as WireGuard (default 51820)
  --format F           table (default), json (overlayscope.comparison/v1), md, html
  --out FILE           write there (whole or not at all) instead of stdout
  -h, --help           this help`;

const REPORT_HELP = `Usage: overlayscope report CAPTURE... --format html|md|csv|json [--out FILE] [--compare-to B]

A flow report people can share: summary, flows, HTTP and DNS transactions,
overlay (nodes, tunnels, pods, Services), translations and journeys.
  html   one standalone file: no script, no external asset, charts as inline SVG
  md     Markdown (GitHub tables)
  csv    one table: the flows (with each endpoint's pod, Service or node), or
         the one --table names
  zip    every table as its own CSV file: flows.csv, http.csv, dns.csv and,
         with --compare-to, comparison.csv (needs --out)
  json   the overlayscope.analysis/v1 document
Text from the captures is escaped in every format; CSV cells that could be
read as formulas are neutralised.

Options:
  --format F           html (default), md, csv, json, zip
  --table T            with csv: flows (default), http, dns or comparison
  --out FILE           write there (whole or not at all; never over a capture read)
  --label NAME         report title (default: the capture names)
  --compare-to B       add a Comparison section: these captures (side A) against
                       B (a capture, a comma-separated set or a folder)
  --label-b NAME       name of side B (default: its folder or file names)
  --cluster FILE       kubectl metadata (repeatable)
${CLOCK_HELP}
${INTERFACE_NAMES_HELP}
${FILTER_HELP}
                       (the report of the matching packets only; with
                       --compare-to, both sides filtered)
  --vxlan-port N,...   UDP ports decoded as VXLAN (default 4789,8472)
  --geneve-port N,...  UDP ports decoded as Geneve (default 6081)
  --wireguard-port N,...
                       UDP ports decoded as WireGuard (default 51820)
  -h, --help           this help`;

/** One side of `compare`: a comma-separated list of files and folders (a folder stands for its .pcap/.pcapng files). */
async function sideFiles(spec: string, which: string, split = true): Promise<string[]> {
  const parts = split ? spec.split(',').map((s) => s.trim()).filter(Boolean) : [spec];
  if (!parts.length) throw new UsageError(`side ${which} names no capture`);
  const out: string[] = [];
  for (const p of parts) {
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      throw new InputError(`${p}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => /\.(pcap|pcapng|cap|gz|tgz|tar|zip)$/i.test(n)).sort();
      if (!names.length) throw new InputError(`${p}: folder holds no .pcap or .pcapng file`);
      out.push(...names.map((n) => pathJoin(p, n)));
    } else out.push(p);
  }
  return out;
}

/** A side's default label: a folder given alone is its name; else as the app (src/compare/sides.ts). */
function sideLabel(spec: string, files?: readonly string[]): string {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 1 || !files) return defaultSideLabel(parts.length === 1 ? [parts[0]!.replace(/[\\/]+$/, '')] : parts);
  return defaultSideLabel(files);
}

function captureErrors(sessions: AnalysisSession[], ctx: CliContext): boolean {
  let failed = false;
  for (const s of sessions) {
    for (const c of s.captures) {
      for (const i of c.issues) {
        if (i.severity !== 'error') continue;
        failed = true;
        ctx.stderr(`overlayscope: ${i.capture}: offset ${i.offset}: ${i.layer}: ${i.reason}${c.packets ? ` (${c.packets} packets read before it are kept)` : ''}\n`);
      }
    }
  }
  return failed;
}

function comparisonTable(c: ComparisonJson): string {
  const out: string[] = [`A: ${c.a.label} (${c.a.points.length} capture points)`, `B: ${c.b.label} (${c.b.points.length} capture points)`, '', 'What makes the difference'];
  for (const e of c.explanation) out.push(`  - ${e}`);
  out.push('', 'Packets per request by hop');
  const hw = Math.max(4, ...c.perHop.map((h) => h.hop.length));
  for (const h of c.perHop) {
    const dh = Math.round((h.b - h.a) * 1000) / 1000;
    const d = rowDecimals([h.a, h.b, dh]);
    out.push(`  ${h.hop.padEnd(hw)} ${fmtFixed(h.a, d).padStart(8)} ${fmtFixed(h.b, d).padStart(8)} ${fmtFixed(dh, d, true).padStart(8)}`);
  }
  const nw = Math.max(...c.metrics.map((m) => m.name.length));
  let group = '';
  for (const m of c.metrics) {
    if (m.group !== group) {
      group = m.group;
      out.push('', `${group}`.padEnd(nw + 2) + ' ' + 'A'.padStart(12) + ' ' + 'B'.padStart(12) + ' ' + 'B − A'.padStart(12));
    }
    const unit = (m as { unit?: string }).unit ?? '';
    // One rounding rule a row: A, B and B − A with the same decimals.
    const d = rowDecimals([m.a, m.b, m.delta]);
    out.push(`  ${m.name.padEnd(nw)} ${fmtFixed(m.a, d, false, unit).padStart(12)} ${fmtFixed(m.b, d, false, unit).padStart(12)} ${fmtFixed(m.delta, d, true, unit).padStart(12)}`);
  }
  return visibleText(out.join('\n')).replace(/\\x0a/g, '\n') + '\n';
}

export async function runCompare(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, {
    help: {}, 'label-a': { value: true }, 'label-b': { value: true }, cluster: { value: true, multiple: true },
    'cluster-a': { value: true, multiple: true }, 'cluster-b': { value: true, multiple: true }, pair: { value: true, multiple: true },
    'vxlan-port': { value: true }, 'geneve-port': { value: true }, 'wireguard-port': { value: true }, format: { value: true }, out: { value: true }, ...CLOCK_SPEC, ...INTERFACE_NAMES_SPEC,
    ...FILTER_SPEC,
  });
  if (args.flags.has('help')) { ctx.stdout(COMPARE_HELP + '\n'); return 0; }
  if (args.positional.length !== 2) throw new UsageError(`compare takes two sides, A and B\n\n${COMPARE_HELP}`);
  const format = choice(one(args, 'format'), ['table', 'json', 'md', 'html'] as const, 'table', 'format');
  const filter = filterOption(args);
  const vxlanPorts = portList(one(args, 'vxlan-port'), 'vxlan-port');
  const genevePorts = portList(one(args, 'geneve-port'), 'geneve-port');
  const wireguardPorts = portList(one(args, 'wireguard-port'), 'wireguard-port');
  const clusterMetadata = await readClusterFiles(args.options.get('cluster') ?? []);
  const clusterA = args.options.get('cluster-a')?.length ? await readClusterFiles(args.options.get('cluster-a')!) : clusterMetadata;
  const clusterB = args.options.get('cluster-b')?.length ? await readClusterFiles(args.options.get('cluster-b')!) : clusterMetadata;
  let pairs: Array<[string, string]>;
  try { pairs = parsePairs(args.options.get('pair') ?? []); } catch (e) { throw new UsageError((e as Error).message); }
  const opts: AnalyzeOptions = {
    ...(vxlanPorts ? { vxlanPorts } : {}), ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}),
    ...clockOptions(args), ...(await interfaceNameOptions(args)),
  };
  const [specA, specB] = args.positional as [string, string];
  const filesA = await sideFiles(specA, 'A');
  const filesB = await sideFiles(specB, 'B');
  const labels = { a: one(args, 'label-a') ?? sideLabel(specA, filesA), b: one(args, 'label-b') ?? sideLabel(specB, filesB) };
  // One side at a time: a side's session is dropped once profiled, so peak memory is one side's.
  const sa = await openFiltered((p, o) => ctx.open(p, o), filesA, { ...opts, ...(clusterA ? { clusterMetadata: clusterA } : {}) }, filter);
  const pa = await profileSession(sa, labels.a);
  const failedA = captureErrors([sa], ctx);
  const sb = await openFiltered((p, o) => ctx.open(p, o), filesB, { ...opts, ...(clusterB ? { clusterMetadata: clusterB } : {}) }, filter);
  const pb = await profileSession(sb, labels.b);
  const failedB = captureErrors([sb], ctx);
  const json = comparisonJson(compareProfiles(pa, pb, { pairs, hasCluster: { a: !!clusterA, b: !!clusterB } }));
  const input = { label: `${labels.a} vs ${labels.b}`, generatedAt: new Date().toISOString(), analysis: null, comparison: json };
  let text: string;
  if (format === 'json') text = safeJson(json) + '\n';
  else if (format === 'md') text = renderReport(input, 'md');
  else if (format === 'html') text = renderReport(input, 'html', renderChartSvg);
  else text = comparisonTable(json);
  const out = one(args, 'out');
  if (out) await ctx.write(out, text, [...filesA, ...filesB]);
  else ctx.stdout(text);
  return failedA || failedB ? 1 : 0;
}

export async function runReport(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, {
    help: {}, format: { value: true }, out: { value: true }, label: { value: true }, cluster: { value: true, multiple: true }, table: { value: true },
    'vxlan-port': { value: true }, 'geneve-port': { value: true }, 'wireguard-port': { value: true }, 'compare-to': { value: true }, 'label-b': { value: true }, ...CLOCK_SPEC, ...INTERFACE_NAMES_SPEC,
    ...FILTER_SPEC,
  });
  if (args.flags.has('help')) { ctx.stdout(REPORT_HELP + '\n'); return 0; }
  if (!args.positional.length) throw new UsageError(`report needs at least one capture file\n\n${REPORT_HELP}`);
  const format = choice(one(args, 'format'), ['html', 'md', 'csv', 'json', 'zip'] as const, 'html', 'format');
  const csvTableName = choice(one(args, 'table'), CSV_TABLES, 'flows', 'table');
  if (args.options.has('table') && format !== 'csv') throw new UsageError('--table goes with --format csv (--format zip holds every table)');
  const outPath = one(args, 'out');
  if (format === 'zip' && !outPath) throw new UsageError('--format zip writes a binary file: give --out FILE.zip');
  // A folder stands for its captures, as in compare.
  const files: string[] = [];
  for (const p of args.positional) files.push(...await sideFiles(p, p, false));
  const vxlanPorts = portList(one(args, 'vxlan-port'), 'vxlan-port');
  const genevePorts = portList(one(args, 'geneve-port'), 'geneve-port');
  const wireguardPorts = portList(one(args, 'wireguard-port'), 'wireguard-port');
  const clusterMetadata = await readClusterFiles(args.options.get('cluster') ?? []);
  const filter = filterOption(args);
  const session = await openFiltered((p, o) => ctx.open(p, o), files, {
    ...(vxlanPorts ? { vxlanPorts } : {}), ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}), ...(clusterMetadata ? { clusterMetadata } : {}),
    ...clockOptions(args), ...(await interfaceNameOptions(args)),
  }, filter);
  const label = one(args, 'label') ?? (args.positional.length === 1 ? sideLabel(args.positional[0]!) : defaultSideLabel(files));
  const specB = one(args, 'compare-to');
  let comparison: ComparisonJson | null = null;
  const sessions = [session];
  const protect = [...files];
  if (specB) {
    const filesB = await sideFiles(specB, 'B');
    protect.push(...filesB);
    const sb = await openFiltered((p, o) => ctx.open(p, o), filesB, {
      ...(vxlanPorts ? { vxlanPorts } : {}), ...(genevePorts ? { genevePorts } : {}), ...(wireguardPorts ? { wireguardPorts } : {}), ...(clusterMetadata ? { clusterMetadata } : {}),
    }, filter);
    sessions.push(sb);
    comparison = comparisonJson(await compareSessions(session, sb, { a: label, b: one(args, 'label-b') ?? sideLabel(specB, filesB) }));
  }
  const input = { label, generatedAt: new Date().toISOString(), analysis: session.toJSON() as ReportAnalysis, comparison };
  const data: string | Uint8Array = format === 'zip' ? csvZip(input, `overlayscope-${reportStem(label)}`)
    : format === 'csv' ? csvTable(input, csvTableName)
    : renderReport(input, format, renderChartSvg);
  if (outPath) await ctx.write(outPath, data, protect);
  else ctx.stdout(typeof data === 'string' ? data : '');
  return captureErrors(sessions, ctx) ? 1 : 0;
}
