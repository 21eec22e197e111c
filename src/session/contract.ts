/**
 * The CLI's JSON contract (`overlayscope.analysis/v1`), as TypeScript types.
 * Documented for users in docs/cli.md; add fields freely, bump the schema for
 * a breaking change.
 */
import type { HostClock } from '../overlay/clocks.js';
import type { CaptureIssue } from '../capture/types.js';
import type { CaptureOrigin } from '../capture/open-inputs.js';
import type { TunnelType } from '../dissect/layers.js';

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

export interface EndpointJson { ip: string; port: number | null }

export interface FlowJson {
  id: number;
  capture?: string | string[];
  /** The flow's interface in its capture (its capture point) when the capture holds several: a pcapng interface, an SLL2 interface index, an SLL hop (captures[].interfaces[id]). */
  interface?: number;
  transport: string;
  a: EndpointJson;
  b: EndpointJson;
  depth: number;
  packets: number;
  bytes: number;
  packetsAtoB: number;
  packetsBtoA: number;
  bytesAtoB: number;
  bytesBtoA: number;
  firstTime: string;
  lastTime: string;
  tunnel: null | { type: TunnelType; vni: number; outerFlow: number };
  /** Community ID v1 (corelight/community-id-spec, seed 0 unless --community-id-seed); null for ICMP, ICMPv6 and SCTP flows. */
  communityId?: string | null;
  [extra: string]: unknown;
}

export interface HttpJson {
  flow: number;
  method: string | null;
  host: string | null;
  uri: string | null;
  status: number | null;
  requestTime: string | null;
  responseTime: string | null;
  [extra: string]: unknown;
}

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
