/**
 * `--interface-names CAPTURE=FILE`: the names of an any-interface (SLL2)
 * capture's interface indexes, from `ip -j link` (or `ip -j addr`) run on the
 * node that took it. Without it, indexes are named by the role their traffic
 * shows (src/pipeline/cooked-points.ts). Shared by analyze, compare and report.
 */
import { readFile } from 'node:fs/promises';
import type { AnalyzeOptions } from '../pipeline/analyze.js';
import type { OptionSpec, ParsedArgs } from './args.js';
import { InputError, UsageError } from './errors.js';

export const INTERFACE_NAMES_SPEC: Record<string, OptionSpec> = {
  'interface-names': { value: true, multiple: true },
};

export const INTERFACE_NAMES_HELP = `  --interface-names CAPTURE=FILE
                       FILE is \`ip -j link\` (or \`ip -j addr\`) of the node that
                       took the any-interface (SLL2) capture CAPTURE (its file
                       name, with or without folder and extension): its indexes
                       are named CAPTURE/if<index> <name> instead of by inferred
                       role; repeatable`;

/** A capture's name without folder and extension: what CAPTURE is matched on. */
function stem(file: string): string {
  return (file.split(/[\\/]/).pop() ?? file).replace(/\.(pcapng|pcap|cap|ntar)(\.gz)?$/i, '');
}

export async function interfaceNameOptions(args: ParsedArgs): Promise<Pick<AnalyzeOptions, 'interfaceName'>> {
  const given = args.options.get('interface-names') ?? [];
  if (!given.length) return {};
  const byCapture = new Map<string, Map<number, string>>();
  for (const g of given) {
    const eq = g.lastIndexOf('=');
    if (eq <= 0 || eq === g.length - 1) throw new UsageError(`--interface-names takes CAPTURE=FILE, not '${g}'`);
    const capture = stem(g.slice(0, eq));
    const file = g.slice(eq + 1);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new InputError(`${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    let list: unknown;
    try { list = JSON.parse(text); } catch (e) { throw new InputError(`${file}: not JSON (${(e as Error).message}); expected the output of \`ip -j link\``); }
    if (!Array.isArray(list)) throw new InputError(`${file}: expected the array \`ip -j link\` prints`);
    const names = new Map<number, string>();
    list.forEach((x: unknown, k) => {
      const o = x as { ifindex?: unknown; ifname?: unknown };
      if (typeof o?.ifindex !== 'number' || !Number.isInteger(o.ifindex) || typeof o.ifname !== 'string' || o.ifname === '') {
        throw new InputError(`${file}: item ${k} has no integer ifindex and ifname`);
      }
      names.set(o.ifindex, o.ifname.slice(0, 64));
    });
    byCapture.set(capture, names);
  }
  return { interfaceName: (file, ifindex) => byCapture.get(stem(file))?.get(ifindex) ?? null };
}
