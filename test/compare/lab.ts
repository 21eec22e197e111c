/** The lab fixtures (fixtures/lab, issue #4): capture sets per scenario and their truth.json. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturePath } from '../helpers/corpus.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { AnalysisSession } from '../../src/session/analysis-session.js';

export const LAB = fixturePath('lab');
export const labPresent = existsSync(path.join(LAB, 'truth.json')) && existsSync(path.join(LAB, 'captures'));

export interface LabScenarioTruth {
  name: string;
  requestCount: number;
  connectionsPerRequest: { clientToNodePort: number; frontendToUpstream: number; endToEnd: number };
  connections: { clientToNodePort: number; frontendToUpstream: number; endToEnd: number };
  packetsPerRequest: { client: number; endToEnd: number; vxlan: number; vxlanEncapsulationBytes: number; allCapturePoints: number; perCapturePoint: Record<string, number> };
  vxlan: { transmissions: number; encapsulationBytes: number };
  captures: Array<{ point: string; packets: number; arpPackets: number }>;
}

export function labTruth(): { scenarios: LabScenarioTruth[] } {
  return JSON.parse(readFileSync(path.join(LAB, 'truth.json'), 'utf8')) as { scenarios: LabScenarioTruth[] };
}

export function scenarioFiles(name: string): string[] {
  const dir = path.join(LAB, 'captures', name);
  return readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => path.join(dir, f));
}

export async function openFiles(files: string[]): Promise<AnalysisSession> {
  return AnalysisSession.open(await Promise.all(files.map((f) => fileSource(f))));
}
