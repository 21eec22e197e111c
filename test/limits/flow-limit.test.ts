/**
 * The flow bound (LIMITS.maxFlows): an input with more flows than the bound
 * keeps every packet, tracks the first flows, and says once, with the file,
 * the packet's offset and the layer, that the table is full.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/session/analysis-session.js';
import { LIMITS } from '../../src/capture/types.js';
import { fileSource } from '../../src/host/node/file-source.js';
import { corpusPath, corpusPresent } from '../helpers/corpus.js';

describe.skipIf(!corpusPresent)('flow bound', () => {
  it('stops creating flows past maxFlows with one clear issue and keeps every packet', async () => {
    const file = corpusPath('pcapplusplus__DnsPackets.pcap');
    const full = await AnalysisSession.open([await fileSource(file)]);
    const all = full.flows.table.count;
    expect(all).toBeGreaterThan(20);
    const bound = 10;
    const s = await AnalysisSession.open([await fileSource(file)], { maxFlows: bound });
    expect(s.flows.table.count).toBe(bound);
    expect(s.captures[0]!.packets).toBe(full.captures[0]!.packets);
    const issues = s.captures[0]!.issues.filter((i) => i.layer === 'flows');
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.reason).toMatch(/more than 10 flows: the flow table is full/);
    expect(issue.capture).toBe(file);
    // The issue points at the first packet whose flow could not be tracked.
    const n = issue.packet! - 1;
    expect(issue.offset).toBe(s.captures[0]!.index.fileOffset(n));
    expect(s.captures[0]!.index.flowId[n]).toBe(-1);
    expect(s.toJSON().flows).toHaveLength(bound);
  });

  it('is generous by default', () => {
    expect(LIMITS.maxFlows).toBeGreaterThanOrEqual(1_000_000);
  });
});
