/** What the bundle tests share: `analyze` through the CLI's code path, and the parts of two analyses they compare. */
import { runAnalyze, type CliContext } from '../../src/cli/commands.js';
import { openSession } from '../../src/cli/open-session.js';
import { openPaths } from '../../src/host/node/open-paths.js';

export type Json = Record<string, any>;

export async function analyze(args: string[]): Promise<{ json: Json; code: number; stderr: string }> {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    stdout: (s) => { out += s; },
    stderr: (s) => { err += s; },
    stderrIsTTY: false,
    open: async (paths, opts) => openSession(await openPaths(paths), opts, (s) => { err += s; }),
    write: async () => { throw new Error('no writes'); },
  };
  const code = await runAnalyze([...args, '--format', 'json'], ctx);
  return { json: JSON.parse(out) as Json, code, stderr: err };
}

export function translations(j: Json): string[] {
  return (j['translations'] as Json[]).map((t) => `${t['kind']} ${t['service']} ${JSON.stringify(t['original'])} ${JSON.stringify(t['translated'])}`).sort();
}

export function journeys(j: Json): string[] {
  return (j['journeys'] as Json[]).map((x) => JSON.stringify({ label: x['label'], http: x['http'], hops: (x['hops'] as Json[]).map((h) => [h['src'], h['dst'], h['translation'], h['tunnel'], h['packets'], h['note']]) }));
}

/** Every flow endpoint's identity as `ip kind name`, deduplicated and sorted. */
export function identities(j: Json): string[] {
  const out = new Set<string>();
  for (const f of j['flows'] as Json[]) {
    if (!f['identity']) continue;
    out.add(`${f['a']['ip']} ${f['identity']['a']['kind']} ${f['identity']['a']['name']}`);
    out.add(`${f['b']['ip']} ${f['identity']['b']['kind']} ${f['identity']['b']['name']}`);
  }
  return [...out].sort();
}

/** Journey hops without times or names: who sent what to whom, translated how, through which tunnel, how many packets. */
export function hops(j: Json): string[] {
  return (j['journeys'] as Json[]).map((x) => JSON.stringify({ http: [x['http']?.['method'], x['http']?.['uri'], x['http']?.['status']], hops: (x['hops'] as Json[]).map((h) => [h['src'], h['dst'], h['translation'], h['tunnel'], h['packets']]) })).sort();
}

/** Translations without the Service name: the NAT-ed connections. */
export function natConnections(j: Json): string[] {
  return (j['translations'] as Json[]).map((t) => `${t['kind']} ${JSON.stringify(t['original'])} ${JSON.stringify(t['translated'])}`).sort();
}
