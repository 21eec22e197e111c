/**
 * What one capture point gives (issue #3 follow-up): a node NIC sees a
 * NodePort request before NAT and, inside VXLAN, after it, so node1-eth0
 * alone must yield exactly the NodePort translations conntrack recorded on
 * node1 (truth.json `scenarios[].nat`), and none invented; a proxy pod's
 * eth0 alone sees each request and the upstream request it caused, so its
 * journeys must pair them as truth.json's journeys say. Points that can show
 * nothing more than `http` lists give no journey.
 */
import { describe, expect, it } from 'vitest';
import type { Journey } from '../../src/api.js';
import { labPresent, openFiles, overlayOf, scenarioFiles, translationKeys, truth, type Truth } from './lab.js';

const scenario = (name: string): Truth => truth.scenarios.find((x: { name: string }) => x.name === name);
const fileOf = (name: string, point: string): string => scenarioFiles(name).find((f) => f.endsWith(`/${point}.pcap`))!;
const ep = (e: { ip: string; port: number | null }): string => `${e.ip}:${e.port}`;

/** truth.json's NAT entries of one node as translation keys (see lab.ts translationKeys). */
function natOf(sc: Truth, node: string): string[] {
  return sc.nat.filter((e: { node: string }) => e.node === node).map((e: { original: string; dnat: string | null; snat: string | null }) => {
    const [src, dst] = e.original.split(' -> ');
    const tdst = e.dnat ? e.dnat.split(' -> ')[1] : dst;
    const tsrc = e.snat ? e.snat.split(' -> ')[1] : src;
    const kind = e.dnat && e.snat ? 'dnat+snat' : e.dnat ? 'dnat' : 'snat';
    return `${kind} ${src}>${dst} => ${tsrc}>${tdst}`;
  }).sort();
}

describe.skipIf(!labPresent)('one capture point', () => {
  for (const name of ['nginx-proxy', 'ingress']) {
    describe(name, () => {
      const sc = labPresent ? scenario(name) : null;

      it('node1-eth0 alone: exactly the NodePort translations conntrack recorded on node1', async () => {
        const s = await openFiles([fileOf(name, 'node1-eth0')], null);
        const o = overlayOf(s);
        const want = natOf(sc, 'node1');
        expect(want).toHaveLength(sc.requestCount);
        expect(translationKeys(o)).toEqual(want);
        for (const t of o.translations) {
          expect(t.kind).toBe('dnat+snat');
          expect(t.originalSeenAt).toEqual(['node1-eth0']);
          expect(t.translatedSeenAt).toEqual(['node1-eth0']);
          expect(t.evidence).toMatch(/^same TCP initial sequence number; \d+ directional streams at 1 capture points$/);
        }
        // Without metadata the NodePort is a candidate Service, one connection per request.
        expect(o.candidateServices).toEqual([{ ip: sc.journeys[0].nodePort.ip, port: sc.nodePort, evidence: sc.requestCount }]);
        expect(o.capturePoints.map((p) => p.copies)).toEqual([0]);
      });

      it('node1-eth0 alone: a journey per request, the client request then its translation inside VXLAN, and the way back', async () => {
        const o = overlayOf(await openFiles([fileOf(name, 'node1-eth0')], null));
        expect(o.journeys).toHaveLength(sc.requestCount);
        for (const j of sc.journeys) {
          const jn = o.journeys.find((x) => x.hops[0]!.src.port === j.client.port)!;
          expect(jn, `journey of client port ${j.client.port}`).toBeDefined();
          const [req, fwd] = jn.hops;
          expect([ep(req!.src), ep(req!.dst), req!.tunnel, req!.translation]).toEqual([`${j.client.ip}:${j.client.port}`, `${j.nodePort.ip}:${j.nodePort.port}`, null, null]);
          expect([ep(fwd!.src), ep(fwd!.dst)]).toEqual([ep(j.frontend.seenSource), `${j.frontend.ip}:${j.frontend.port}`]);
          expect(fwd!.tunnel?.type).toBe('vxlan');
          expect(fwd!.translation).toBe(`DNAT ${j.nodePort.ip}:${j.nodePort.port} → ${j.frontend.ip}:${j.frontend.port}, SNAT ${j.client.ip}:${j.client.port} → ${ep(j.frontend.seenSource)}`);
          // A backend on node1 brings the proxy's upstream request through node1's NIC too.
          const upstream = jn.hops.filter((h) => h.note === 'upstream request 1');
          expect(upstream.length).toBe(j.upstream.backend.node === 'node1' ? 1 : 0);
          for (const u of upstream) expect([u.src.ip, ep(u.dst)]).toEqual([j.frontend.ip, `${j.upstream.backend.ip}:${j.upstream.backend.port}`]);
          const back = jn.hops.filter((h) => h.note === 'response');
          expect(back.map((h) => h.tunnel === null)).toEqual([false, true]);
          // The reply undoes the translations named as the request's were.
          expect(back[1]!.translation).toBe(`un-DNAT ${j.nodePort.ip}:${j.nodePort.port} → ${j.frontend.ip}:${j.frontend.port}, un-SNAT ${j.client.ip}:${j.client.port} → ${ep(j.frontend.seenSource)}`);
          expect(jn.complete).toBe(true);
          // Hop packets: the whole connection at that depth (counted from the flows), not only the rows kept.
          expect(req!.packets).toBeGreaterThanOrEqual(10);
          expect(fwd!.packets).toBe(req!.packets);
        }
      });

      it(`the proxy pod's eth0 alone: each request and the upstream request it caused`, async () => {
        const proxy: string = sc.frontend.pod;
        const o = overlayOf(await openFiles([fileOf(name, `pod-${proxy}-eth0`)], null));
        expect(o.translations).toEqual([]);
        expect(o.journeys).toHaveLength(sc.requestCount);
        for (const j of sc.journeys) {
          const jn: Journey = o.journeys.find((x) => x.hops[0]!.src.port === j.frontend.seenSource.port)!;
          expect(jn, `journey of ${ep(j.frontend.seenSource)}`).toBeDefined();
          const c = j.upstream.connection;
          expect(jn.hops.map((h) => `${h.note} ${ep(h.src)}>${ep(h.dst)}`)).toEqual([
            `request ${ep(j.frontend.seenSource)}>${j.frontend.ip}:${j.frontend.port}`,
            `upstream request 1 ${c.src}:${c.sport}>${c.dst}:${c.dport}`,
            `upstream response 1 ${c.dst}:${c.dport}>${c.src}:${c.sport}`,
            `response ${j.frontend.ip}:${j.frontend.port}>${ep(j.frontend.seenSource)}`,
          ]);
          expect(jn.hops.every((h) => h.point === `pod-${proxy}-eth0` && h.tunnel === null && h.translation === null)).toBe(true);
          expect(jn.complete).toBe(true);
          expect(jn.label).toBe(`GET ${sc.hostHeader}${new URL(sc.requests[j.n - 1].url).pathname}`);
        }
      });

      it('a point that shows nothing more than http lists (the client, a backend pod) gives no journey and no translation', async () => {
        for (const point of ['client-eth0', 'pod-web-b-eth0']) {
          const s = await openFiles([fileOf(name, point)], null);
          const o = overlayOf(s);
          expect(s.toJSON().http.length, point).toBeGreaterThan(0);
          expect([o.translations, o.journeys], point).toEqual([[], []]);
        }
      });
    });
  }
});
