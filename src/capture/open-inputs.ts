/**
 * What the user opened, as captures: a pcap or pcapng file as is; a gzip
 * stream (`.pcap.gz`, detected by its magic, never its name) inflated as it
 * is read; a tar, tar.gz or zip archive as the captures and sidecar text
 * files it holds, nested archives too (src/capture/archive.ts). Notes say
 * what was skipped or refused and why.
 */
import { inflatedSource, isGzip } from './inflate-source.js';
import { listArchive, sniffArchive, type ArchiveKind } from './archive.js';
import { sniffFormat } from './sniff.js';
import { CONTAINER_LIMITS, readsWithinKept, SourceError, type ContainerLimits } from './source-error.js';
import type { ByteSource } from './types.js';

/** A text file that came with the captures (Retina's ip-resources.txt, iptables-rules.txt, ...). */
export interface Sidecar {
  /** Display path: `archive.tar.gz/member/path`. */
  name: string;
  /** The member's path inside its archive (its base name for a plain file). */
  member: string;
  /** The archive (display path) that held it, or null for a file opened as is. */
  archive: string | null;
  text: string;
}

/** Where a capture came from: the file as opened and the containers around it. */
export interface CaptureOrigin {
  /** The file the user opened. */
  file: string;
  /** Archive members and streams from the outside in (`gzip`, `tar:path`, `zip:path`). */
  path: string[];
  /** The member's path in its innermost archive, or null. */
  member: string | null;
  /** The innermost archive (display path), or null. */
  archive: string | null;
  /** The capture tool whose layout it came in (`retina`), its node and start time, when the layout says (src/overlay/capture-bundles.ts). */
  tool?: string;
  node?: string;
  started?: string;
  /** Text files read beside it (ip-resources.txt, iptables-rules.txt). */
  sidecars?: string[];
  /** The pod (`namespace/name`) and container the capture was taken in, when the tool's layout says (ksniff, kubectl debug, Calico, Antrea). */
  pod?: string;
  container?: string;
  /** The interface the layout names (Calico's `<endpoint>_<iface>`). */
  interface?: string;
  /** Timestamps the tool is known to write badly: `zero` (none: Inspektor Gadget), `coarse` (userspace: Antrea). */
  timestamps?: 'zero' | 'coarse';
  /** Records reordered by time when read (Kubeshark's appended per-stream files): how many were out of order. */
  reordered?: number;
}

export interface InputNote {
  file: string;
  /** Offset in the file or stream the note is about (0 when it is about the whole). */
  offset: number;
  layer: string;
  reason: string;
  severity: 'error' | 'warning' | 'note';
}

export interface OpenedInputs {
  captures: ByteSource[];
  /** origins[i] is where captures[i] came from. */
  origins: CaptureOrigin[];
  sidecars: Sidecar[];
  notes: InputNote[];
}

const HEAD = 512;

export type InputKind = 'pcap' | 'pcapng' | 'gzip' | ArchiveKind | null;

/** What a stream's first bytes say it is. */
export function sniffInput(head: Uint8Array): InputKind {
  const f = sniffFormat(head);
  if (f) return f;
  if (isGzip(head)) return 'gzip';
  return sniffArchive(head);
}

/** Expands each source into the captures and sidecars it holds (a plain capture is itself). */
export async function openInputs(sources: readonly ByteSource[], limits: Partial<ContainerLimits> = {}): Promise<OpenedInputs> {
  const lim = { ...CONTAINER_LIMITS, ...limits };
  const out: OpenedInputs = { captures: [], origins: [], sidecars: [], notes: [] };
  const state = { sidecarBytes: 0 };
  for (const s of sources) await expand(s, { file: s.name, path: [], member: null, archive: null }, 0, lim, out, state);
  return out;
}

async function expand(src: ByteSource, origin: CaptureOrigin, depth: number, lim: ContainerLimits, out: OpenedInputs,
  state: { sidecarBytes: number }): Promise<void> {
  let head: Uint8Array;
  try {
    head = await src.read(0, HEAD);
  } catch (e) {
    if (!(e instanceof SourceError)) throw e;
    out.notes.push({ file: e.file, offset: e.offset, layer: e.layer, reason: e.reason, severity: 'error' });
    return;
  }
  let kind = sniffInput(head);
  let inner = src;
  const path = [...origin.path];
  if (kind === 'gzip') {
    inner = await inflatedSource({ kind: 'gzip', source: src, name: src.name, limits: lim });
    path.push('gzip');
    try {
      head = await inner.read(0, HEAD);
    } catch (e) {
      // A stream too short or broken to tell what it holds: read as a capture, the error is its issue.
      if (!(e instanceof SourceError)) throw e;
      head = new Uint8Array(0);
    }
    const k = sniffInput(head);
    kind = k === 'tar' ? 'tar' : 'gzip';
  }
  if (kind === 'tar' || kind === 'zip') {
    if (depth >= lim.maxDepth) {
      out.notes.push({ file: src.name, offset: 0, layer: kind, reason: `an archive nested ${depth + 1} deep (more than ${lim.maxDepth}): not opened`, severity: 'warning' });
      return;
    }
    const listing = await listArchive(inner, kind, lim);
    out.notes.push(...listing.notes);
    for (const m of listing.members) {
      const memberOrigin: CaptureOrigin = { file: origin.file, path: [...path, `${kind}:${m.path}`], member: m.path, archive: src.name };
      if (m.size === 0) {
        out.notes.push({ file: m.source.name, offset: m.offset, layer: kind, reason: 'empty member: skipped', severity: 'note' });
        continue;
      }
      let mk: InputKind;
      try {
        mk = sniffInput(await m.source.read(0, HEAD));
      } catch (e) {
        if (!(e instanceof SourceError)) throw e;
        out.notes.push({ file: e.file, offset: e.offset, layer: e.layer, reason: e.reason, severity: 'error' });
        continue;
      }
      if (mk !== null) {
        await expand(m.source, memberOrigin, depth + 1, lim, out, state);
        continue;
      }
      if (isSidecarName(m.path)) {
        if (m.size > lim.maxSidecarBytes || state.sidecarBytes + m.size > lim.maxSidecarTotal) {
          out.notes.push({ file: m.source.name, offset: m.offset, layer: kind, reason: `text file of ${m.size} bytes is beyond the ${lim.maxSidecarBytes}-byte bound (${lim.maxSidecarTotal} in all) for files read beside the captures: not read`, severity: 'warning' });
          continue;
        }
        try {
          const bytes = await m.source.read(0, m.size);
          state.sidecarBytes += bytes.length;
          out.sidecars.push({ name: m.source.name, member: m.path, archive: src.name, text: new TextDecoder('utf-8').decode(bytes) });
        } catch (e) {
          if (!(e instanceof SourceError)) throw e;
          out.notes.push({ file: e.file, offset: e.offset, layer: e.layer, reason: e.reason, severity: 'error' });
        }
        continue;
      }
      out.notes.push({ file: m.source.name, offset: m.offset, layer: kind, reason: 'neither a capture, an archive nor a known text file: skipped', severity: 'note' });
    }
    return;
  }
  if (kind === null && depth === 0 && isSidecarName(src.name)) {
    // A text file opened beside the captures (an iptables-save dump, `ip -j addr`).
    if (src.size > lim.maxSidecarBytes) {
      out.notes.push({ file: src.name, offset: 0, layer: 'file', reason: `text file of ${src.size} bytes is beyond the ${lim.maxSidecarBytes}-byte bound for files read beside the captures: not read`, severity: 'error' });
      return;
    }
    const name = src.name.split(/[\\/]/).pop() ?? src.name;
    out.sidecars.push({ name: src.name, member: name, archive: null, text: new TextDecoder('utf-8').decode(await src.read(0, src.size)) });
    return;
  }
  if (out.captures.length >= lim.maxCaptures) {
    out.notes.push({ file: src.name, offset: 0, layer: 'file', reason: `more than ${lim.maxCaptures} captures in one open: not read`, severity: 'error' });
    return;
  }
  // A capture, a gzip-compressed capture, or something unknown (the reader names its magic).
  // From a container: its error is the capture's issue where reading stopped, never thrown by a read by offset.
  out.captures.push(inner === src && !origin.path.length ? inner : readsWithinKept(inner));
  out.origins.push({ ...origin, path });
}

/** Text files kept beside the captures: what capture tools put in their bundles. */
export function isSidecarName(path: string): boolean {
  return /\.(txt|json|log|ya?ml|tsv|csv)$/i.test(path);
}
