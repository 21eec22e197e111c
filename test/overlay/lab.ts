/**
 * The namespace lab's fixtures (fixtures/lab: captures per capture point,
 * cluster.json, truth.json with conntrack's translations). Tests that need
 * them skip with a message when they are absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { parseClusterMetadata, type ClusterMetadata } from '../../src/overlay/cluster-metadata.js';
import type { OverlayJson } from '../../src/overlay/overlay.js';
import { fixturePath } from '../helpers/corpus.js';

export const LAB = fixturePath('lab');
export const labPresent = existsSync(path.join(LAB, 'truth.json')) && existsSync(path.join(LAB, 'captures'));
if (!labPresent) console.warn(`SKIPPED: lab tests need ${LAB}/truth.json and captures/ (npm run lab generates them)`);

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Truth = any;
export const truth: Truth = labPresent ? JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')) : null;

export function clusterMetadata(): ClusterMetadata {
  return parseClusterMetadata([{ name: 'cluster.json', text: readFileSync(path.join(LAB, 'cluster.json'), 'utf8') }]);
}

export function scenarioFiles(name: string): string[] {
  const dir = path.join(LAB, 'captures', name);
  return readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f));
}

export async function openFiles(files: readonly string[], cluster: ClusterMetadata | null): Promise<AnalysisSession> {
  const sources = await Promise.all(files.map((f) => fileSource(f)));
  return AnalysisSession.open(sources, cluster ? { clusterMetadata: cluster } : {});
}

export function overlayOf(s: AnalysisSession): OverlayJson {
  return s.overlay().toJSON();
}

/** conntrack's NAT entries of a scenario as "kind original => translated" (translated = the reply tuple reversed). */
export function truthTranslations(sc: Truth): string[] {
  const out: string[] = [];
  for (const node of Object.keys(sc.conntrack)) {
    for (const e of sc.conntrack[node]) {
      if (e.proto !== 'tcp' || (!e.dnat && !e.snat)) continue;
      const kind = e.dnat && e.snat ? 'dnat+snat' : e.dnat ? 'dnat' : 'snat';
      out.push(`${kind} ${e.original.src}:${e.original.sport}>${e.original.dst}:${e.original.dport} => ${e.reply.dst}:${e.reply.dport}>${e.reply.src}:${e.reply.sport}`);
    }
  }
  return out.sort();
}

export function translationKeys(o: OverlayJson): string[] {
  return o.translations.map((t) =>
    `${t.kind} ${t.original.src.ip}:${t.original.src.port}>${t.original.dst.ip}:${t.original.dst.port} => ${t.translated.src.ip}:${t.translated.src.port}>${t.translated.dst.ip}:${t.translated.dst.port}`).sort();
}
