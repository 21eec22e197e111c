/**
 * Where a capture point came from, for `capturePoints[].source` and the
 * Overview: which tool's layout (or a plain file), which file and archive
 * member, which node, and for a pod's capture its pod and container.
 */
import { gadgetContext } from '../../capture/bundles/gadget-interface.js';
import type { CaptureOrigin } from '../../capture/open-inputs.js';
import type { CaptureInterface } from '../../capture/types.js';

export interface PointSource {
  /** `file` (opened as is), `retina`, `kubeshark`, `inspektor-gadget`, `ksniff` (a pod's -i any capture named after the pod: ksniff or kubectl debug), `calico`, `antrea`. */
  tool: string;
  /** The file the user opened. */
  file: string;
  /** The archive member holding the capture, or null. */
  member: string | null;
  node: string | null;
  /** `namespace/name`, when the tool's metadata names the pod captured in. */
  pod?: string;
  container?: string;
  interface?: string;
  timestamps?: 'zero' | 'coarse';
}

export const TOOL_NAMES: Record<string, string> = {
  file: 'file', retina: 'Retina', kubeshark: 'Kubeshark', 'inspektor-gadget': 'Inspektor Gadget', ksniff: 'ksniff / kubectl debug (the pod\'s -i any)', 'kubectl-debug': 'kubectl debug', calico: 'Calico PacketCapture', antrea: 'Antrea PacketCapture',
};

export function pointSource(origin: CaptureOrigin | undefined, file: string, iface: CaptureInterface | undefined): PointSource {
  const s: PointSource = { tool: origin?.tool ?? 'file', file: origin?.file ?? file, member: origin?.member ?? null, node: origin?.node ?? null };
  if (origin?.pod) s.pod = origin.pod;
  if (origin?.container) s.container = origin.container;
  if (origin?.interface) s.interface = origin.interface;
  const g = gadgetContext(iface?.description ?? null);
  if (g && origin?.tool === 'inspektor-gadget') {
    if (g.node) s.node = g.node;
    if (g.pod) s.pod = `${g.namespace ?? 'default'}/${g.pod}`;
    if (g.container) s.container = g.container;
  }
  if (origin?.timestamps) s.timestamps = origin.timestamps;
  return s;
}

/** One line for the UI: "Retina · node node1 · lab-capture-node1-…tar.gz: lab-capture-node1-….pcap". */
export function pointSourceText(s: PointSource): string {
  const parts = [TOOL_NAMES[s.tool] ?? s.tool];
  if (s.node) parts.push(`node ${s.node}`);
  if (s.pod) parts.push(`pod ${s.pod}${s.container ? ` (${s.container})` : ''}`);
  if (s.interface) parts.push(s.interface);
  // The file itself is shown beside it; an archive member says which archive held it.
  if (s.member) parts.push(`${s.file.split(/[\\/]/).pop() ?? s.file}: ${s.member}`);
  if (s.timestamps === 'zero') parts.push('timestamps all 0: durations not real');
  if (s.timestamps === 'coarse') parts.push('userspace timestamps: coarse');
  return parts.join(' · ');
}

/** One line for a whole capture in the UI: its one point's source, or for a file of several pods' interfaces (Inspektor Gadget) how many and on which nodes. */
export function captureSourceText(origin: CaptureOrigin | undefined, file: string, interfaces: readonly CaptureInterface[]): string {
  const base = pointSource(origin, file, interfaces.length === 1 ? interfaces[0] : undefined);
  if (origin?.tool !== 'inspektor-gadget' || interfaces.length < 2) return pointSourceText(base);
  const ctx = interfaces.map((i) => gadgetContext(i.description)).filter((c) => c !== null);
  const nodes = [...new Set(ctx.map((c) => c!.node).filter(Boolean))].sort();
  const text = pointSourceText(base).split(' · ');
  text.splice(1, 0, `${ctx.length} containers${nodes.length ? ` on ${nodes.join(', ')}` : ''}`);
  return text.join(' · ');
}
