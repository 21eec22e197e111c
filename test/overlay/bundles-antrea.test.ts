/**
 * Antrea PacketCapture pcapng (fixtures/antrea, made by make.py from the lab's
 * web-a pod capture): gopacket's pcapng (SHB "gopacket", IDB "intf0", ns
 * resolution) named `<CR uid>.pcapng`. Opened in one step it gives the plain
 * capture's packets, flows, HTTP and times; its source says Antrea and its
 * userspace timestamps are flagged as coarse. A gopacket pcapng not named as
 * Antrea names it is left alone.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/corpus.js';
import { analyze, type Json } from './bundles-helpers.js';

const DIR = fixturePath('antrea');
const FILE = path.join(DIR, readdirSync(DIR).find((f) => f.endsWith('.pcapng'))!);
const PLAIN = fixturePath('lab/captures/nginx-proxy/pod-web-a-eth0.pcap');
const tmp = mkdtempSync(path.join(tmpdir(), 'antrea-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Antrea PacketCapture pcapng', () => {
  it('the fixture is named <uid>.pcapng', () => {
    expect(path.basename(FILE)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.pcapng$/);
  });

  it('opens in one step: the plain capture\'s packets, flows, HTTP and times; source antrea, timestamps coarse', async () => {
    const p = (await analyze([PLAIN])).json;
    const r = await analyze([FILE]);
    expect(r.code).toBe(0);
    expect(r.json['packets']).toBe(p['packets']);
    expect(r.json['packets']).toBe(101);
    // Times at the file's resolution: gopacket writes nanoseconds (if_tsresol 9), the lab's pcap has microseconds.
    const us = (t: string | null): string | null => t?.replace(/(\.\d{6})000Z$/, '$1Z') ?? null;
    const flows = (j: Json): string[] => (j['flows'] as Json[]).map((f) => `${f['a']['ip']}:${f['a']['port']} ${f['b']['ip']}:${f['b']['port']} ${f['packets']} ${f['bytes']} ${us(f['firstTime'])} ${us(f['lastTime'])}`).sort();
    expect(flows(r.json)).toEqual(flows(p));
    const http = (j: Json): string[] => (j['http'] as Json[]).map((h) => `${h['method']} ${h['uri']} ${h['status']} ${us(h['requestTime'])} ${us(h['responseTime'])}`);
    expect(http(r.json)).toEqual(http(p));
    expect(r.json['captures'][0]['source']).toMatchObject({ tool: 'antrea', timestamps: 'coarse' });
    expect(r.json['capturePoints'][0]['source']).toMatchObject({ tool: 'antrea', timestamps: 'coarse' });
    expect(r.json['inputNotes']).toEqual([expect.objectContaining({ layer: 'antrea', severity: 'note', reason: expect.stringMatching(/userspace.*approximate/) })]);
  }, 60_000);

  it('the same file under another name is a plain pcapng', async () => {
    const other = path.join(tmp, 'capture.pcapng');
    copyFileSync(FILE, other);
    const r = (await analyze([other])).json;
    expect(r['capturePoints'][0]['source']).toMatchObject({ tool: 'file' });
    expect(r['inputNotes']).toBeUndefined();
  }, 60_000);
});
