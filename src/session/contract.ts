/**
 * The CLI's JSON contract (`overlayscope.analysis/v1`), as TypeScript types.
 * Documented for users in docs/cli.md; add fields freely, bump the schema for
 * a breaking change.
 */
import type { HostClock } from '../overlay/clocks.js';
import type { CaptureIssue } from '../capture/types.js';
import type { CaptureOrigin } from '../capture/open-inputs.js';
import type { FlowJson, HttpJson } from '../flows/flow-output.js';

export interface CaptureJson {
  file: string;
  format: 'pcap' | 'pcapng' | 'unknown';
  linkTypes: number[];
  interfaces: Array<{ id: number; linkType: number; name: string | null; description: string | null; snapLen: number;
    /** Interfaces of an any-interface (SLL2) capture, one per interface index: the index, the file's interface it came from, the inferred role. */
    ifindex?: number; parent?: number; role?: string | null }>;
  packets: number;
  /** Sum of original frame lengths. */
  bytes: number;
  fileSize: number;
  firstTime: string | null;
  lastTime: string | null;
  /** False when an error stopped reading before the end of the file. */
  complete: boolean;
  /** Packets of link types without a dissector. */
  undecoded: number;
  /** File-level issues and errors (per-packet warnings are in the top-level `issues`). */
  issues: CaptureIssue[];
  droppedIssues: number;
  /** Frames longer than a 1500-byte MTU allows (offloaded super-packets), null when none: src/pipeline/offloads.ts. */
  offload?: { frames: number; largest: number; limit: number } | null;
  /** Where the capture came from when it was not a plain file: gzip, archive members, a capture tool's bundle (src/capture/open-inputs.ts). */
  source?: CaptureOrigin;
}

// The flow and HTTP objects are written by their producer (src/flows/flow-output.ts); assembled and re-exported here.
export type { EndpointJson, FlowJson, HttpJson } from '../flows/flow-output.js';

export interface AnalysisJson {
  schema: 'overlayscope.analysis/v1';
  captures: CaptureJson[];
  packets: number;
  protocols: Record<string, number>;
  flows: FlowJson[];
  http: HttpJson[];
  dns: unknown[];
  issues: Array<{ capture: string; packet: number | null; offset: number; layer: string; reason: string; severity: string }>;
  /** One per host (capture points sharing a clock): see docs/cli.md, "Hosts and clocks". */
  clocks?: HostClock[];
  [extra: string]: unknown;
}
