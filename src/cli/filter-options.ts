/**
 * `--filter EXPR` / `-Y EXPR`: a Wireshark display filter (docs/filter.md) on
 * `packets`, `analyze`, `report` and `compare`. A bad filter is bad usage (exit 2) and the message
 * points at the problem: the filter, a caret under the column, the reason.
 */
import type { AnalyzeOptions } from '../pipeline/analyze.js';
import type { AnalysisSession } from '../session/analysis-session.js';
import { DissectConfig } from '../dissect/config.js';
import { IdentityResolver } from '../overlay/cluster-metadata.js';
import { resolverFacts, sessionFacts } from '../service/filter-facts.js';
import { compileFilter, FilterError, FrameFilter, type CompiledFilter, type FilterFacts } from '../filter/index.js';
import type { ParsedArgs } from './args.js';
import { UsageError } from './errors.js';

export const FILTER_SPEC = { filter: { value: true }, Y: { value: true } } as const;

export const FILTER_HELP = `  --filter EXPR, -Y EXPR
                       Wireshark display filter (docs/filter.md), e.g.
                       'ip.addr == 10.244.1.0/24 && tcp.port == 8080'`;

/** The compiled `--filter`/`-Y`, or null when neither was given. */
export function filterOption(args: ParsedArgs): CompiledFilter | null {
  const given = [...(args.options.get('filter') ?? []), ...(args.options.get('Y') ?? [])];
  if (given.length > 1) throw new UsageError('give one filter (--filter or -Y, once)');
  const text = given[0];
  if (text === undefined) return null;
  try {
    return compileFilter(text);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(`bad filter: ${e.message}\n${pointAt(text, e)}`);
    throw e;
  }
}

/** The filter's line with a caret under the column of the problem (long lines cut around it). */
function pointAt(text: string, e: FilterError): string {
  const line = text.split('\n')[e.line - 1] ?? '';
  const col = e.column - 1;
  const from = Math.max(0, col - 60);
  const shown = line.slice(from, from + 120).replace(/[\x00-\x1f\x7f]/g, ' ');
  return `  ${shown}\n  ${' '.repeat(col - from)}^`;
}

/** Fields whose facts come from the whole session (capture points' names and hosts, translations, journeys). */
const SESSION_FIELDS = new Set(['capture.point', 'capture.host', 'journey', 'nat.translated', 'flow.id', 'flow.packets', 'flow.bytes', 'flow.duration']);

/** Whether `filter` needs the session's facts; without metadata, the overlay's inference also names nodes (k8s.node, overlay.tunnel). */
export function needsSession(filter: CompiledFilter, hasMetadata: boolean): boolean {
  return filter.fields.some((f) => SESSION_FIELDS.has(f) || (!hasMetadata && (f === 'overlay.tunnel' || /^k8s\.(src\.|dst\.)?node$/.test(f))));
}

/**
 * Opens `files` keeping only the packets `filter` matches (all of them
 * without a filter). A filter that reads the session's facts (journey,
 * nat.translated, capture.*) first analyses the captures whole for those
 * facts, then again keeping the matching packets: two passes.
 */
export async function openFiltered(open: (paths: string[], opts: AnalyzeOptions) => Promise<AnalysisSession>, files: string[], opts: AnalyzeOptions,
  filter: CompiledFilter | null): Promise<AnalysisSession> {
  if (!filter) return open(files, opts);
  const cfg = new DissectConfig(opts);
  let facts: FilterFacts;
  if (needsSession(filter, !!opts.clusterMetadata)) {
    const { onProgress: _progress, ...whole } = opts;
    facts = sessionFacts(await open(files, whole));
  } else {
    facts = resolverFacts(opts.clusterMetadata ? new IdentityResolver(opts.clusterMetadata) : null);
  }
  return open(files, { ...opts, ...analyzeFilterOptions(filter, cfg, facts) });
}

/** AnalyzeOptions that keep only the packets the filter matches (one FrameFilter per capture: frame numbers and times are each capture's). */
export function analyzeFilterOptions(filter: CompiledFilter | null, cfg: DissectConfig, facts: FilterFacts = {}): Pick<AnalyzeOptions, 'packetFilter'> {
  if (!filter) return {};
  const perCapture = new Map<number, FrameFilter>();
  return {
    packetFilter: (capture, rec, bytes, start, caplen, decoded) => {
      let ff = perCapture.get(capture);
      if (!ff) {
        // frame.interface_id needs to know whether the file is pcapng: a classic pcap's first record starts at offset 24.
        ff = new FrameFilter(filter, cfg, rec.offset !== 24, facts, capture);
        perCapture.set(capture, ff);
      }
      return ff.matches(rec, bytes, start, caplen, decoded);
    },
  };
}
