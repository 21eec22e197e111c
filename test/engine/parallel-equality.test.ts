/**
 * `analyze --threads N` (docs/decisions/0015-parallel-analysis.md): the JSON
 * output is byte-identical with 1, 2 and 4 threads on the lab sessions (both
 * scenarios: per-point files, the pcapng, the any-interface SLL and SLL2 sets,
 * each with and without cluster.json; clock-skewed copies), on every capture of
 * ../shared/corpus and ../shared/corpus-encap alone (one capture point: the
 * overlay's sparse rows take their flow ids from the worker) with 1 and 2
 * threads, as is each lab capture point alone, and on each corpus as one
 * session with 1, 2 and 4. One capture runs the stage split (a flow worker),
 * two or more the capture split (a worker per share of the captures).
 * OVERLAYSCOPE_TRACE_THREADS makes the CLI say which split ran: every
 * multi-thread run must have used the one expected (a silent fall-back to one
 * thread would pass the comparison without testing anything), and where the
 * capture split falls back (the flow bound; a capture whose times span years),
 * stderr must say why.
 * The CLI's analyze runs in this process from the sources; its worker thread
 * runs dist/analyze-worker.js (npm test builds it).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalyze, type CliContext } from '../../src/cli/commands.js';
import { openSession } from '../../src/cli/open-session.js';
import { openPaths } from '../../src/host/node/open-paths.js';
import { CORPUS_FILES, corpusPresent, fixturePath, ROOT } from '../helpers/corpus.js';

const WORKER = path.join(ROOT, 'dist/analyze-worker.js');
const built = existsSync(WORKER);
if (!built) console.warn('SKIPPED: parallel equality needs dist/analyze-worker.js (node scripts/build-cli.mjs; npm test builds it)');
// The sources run here; the worker thread runs the built bundle (flowWorkerPath).
process.env['OVERLAYSCOPE_FLOW_WORKER'] = WORKER;
process.env['OVERLAYSCOPE_TRACE_THREADS'] = '1';
const ENCAP_FILES = path.join(process.env['OVERLAYSCOPE_CORPUS_ENCAP'] ?? path.resolve(ROOT, '../shared/corpus-encap'), 'files');
const encapPresent = existsSync(ENCAP_FILES);
if (!corpusPresent) console.warn(`SKIPPED: parallel equality over the corpus needs ${CORPUS_FILES}`);
if (!encapPresent) console.warn(`SKIPPED: parallel equality over the encapsulation corpus needs ${ENCAP_FILES}`);
const STAGE = /^overlayscope: flows of \d+ capture\(s\) built by a worker thread$/m;
const CAPTURES = /^overlayscope: captures read by (\d+) threads \(capture split: [\d +]+ captures; this thread reads the first share\)$/m;
const FALLBACK = /^overlayscope: the capture split cannot be merged exactly \((.*)\); analysing on one thread$/m;
const TRACE = new RegExp(`${STAGE.source}|${CAPTURES.source}`, 'm');
/** Which split a multi-thread run must take: the stage split (one capture), the capture split (two or more), or its fall-back to one thread (the reason). */
type Split = 'stage' | 'captures' | { fallback: RegExp };

interface Run { status: number; stdout: Buffer; stderr: string }

/** `overlayscope analyze INPUTS --format json --threads N` in this process, its stdout as the CLI writes it (UTF-8 pieces). */
async function analyze(inputs: readonly string[], threads: number, extra: readonly string[] = []): Promise<Run> {
  const pieces: Buffer[] = [];
  let stderr = '';
  const ctx: CliContext = {
    stdout: (s) => { pieces.push(Buffer.from(s, 'utf8')); },
    stderr: (s) => { stderr += s; },
    stderrIsTTY: false,
    open: async (paths, opts) => openSession(await openPaths(paths), opts, (s) => { stderr += s; }),
    write: () => Promise.reject(new Error('no files written here')),
    // A piece is a view of a reused buffer: copied.
    stdoutPiece: (b) => { pieces.push(Buffer.from(b)); return Promise.resolve(); },
  };
  const status = await runAnalyze([...inputs, '--format', 'json', '--threads', String(threads), ...extra], ctx);
  return { status, stdout: Buffer.concat(pieces), stderr };
}

/** Runs `jobs` two at a time (two cores, shared). */
async function pool<T>(jobs: Array<() => Promise<T>>, width = 2): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) { const k = next++; out[k] = await jobs[k]!(); }
  }));
  return out;
}

/** Analyses `inputs` with each thread count; the outputs must be the first's, byte for byte, and the worker must have run. */
async function expectSameOutput(label: string, inputs: readonly string[], threads: readonly number[], extra: readonly string[] = [], width = 2,
  split: Split = inputs.length > 1 ? 'captures' : 'stage'): Promise<void> {
  const runs = await pool(threads.map((t) => () => analyze(inputs, t, extra)), width);
  const first = runs[0]!;
  expect(first.stdout.length, `${label}: some JSON with --threads ${threads[0]}`).toBeGreaterThan(100);
  expect(TRACE.test(first.stderr), `${label}: --threads 1 stays on one thread`).toBe(false);
  for (let k = 1; k < runs.length; k++) {
    const r = runs[k]!;
    const err = `(stderr: ${r.stderr.slice(0, 300)})`;
    // One capture takes the stage split at every thread count unless --split flow asks (test/engine/flow-split.test.ts).
    if (split === 'stage') expect(STAGE.test(r.stderr), `${label}: --threads ${threads[k]} used the flow worker ${err}`).toBe(true);
    else if (split === 'captures') {
      // Two threads or more (this one and workers), at most N and one a capture (fewer when a big capture is a share alone).
      const workers = Number(CAPTURES.exec(r.stderr)?.[1]);
      expect(workers >= 2 && workers <= Math.min(threads[k]!, inputs.length), `${label}: --threads ${threads[k]} used 2..${threads[k]} threads ${err}`).toBe(true);
      expect(FALLBACK.exec(r.stderr)?.[1] ?? null, `${label}: merged, not fallen back`).toBe(null);
    } else {
      expect(CAPTURES.test(r.stderr), `${label}: --threads ${threads[k]} tried the capture split ${err}`).toBe(true);
      expect(FALLBACK.exec(r.stderr)?.[1], `${label}: --threads ${threads[k]} fell back and said why ${err}`).toMatch(split.fallback);
    }
    expect(r.status, `${label}: exit status with --threads ${threads[k]}`).toBe(first.status);
    if (!r.stdout.equals(first.stdout)) {
      let at = 0;
      while (at < r.stdout.length && r.stdout[at] === first.stdout[at]) at++;
      expect.fail(`${label}: --threads ${threads[k]} differs from --threads ${threads[0]} at byte ${at}: ` +
        `${JSON.stringify(first.stdout.subarray(Math.max(0, at - 80), at + 80).toString())} vs ${JSON.stringify(r.stdout.subarray(Math.max(0, at - 80), at + 80).toString())}`);
    }
  }
}

function filesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => path.join(dir, f));
}

const LAB = fixturePath('lab', 'captures');
const CLUSTER = fixturePath('lab', 'cluster.json');
const labSets = ['nginx-proxy', 'ingress'].flatMap((s) => [
  { name: `${s} per point`, inputs: filesIn(path.join(LAB, s)) },
  { name: `${s}.pcapng`, inputs: [path.join(LAB, `${s}.pcapng`)] },
  { name: `${s} any-sll`, inputs: filesIn(path.join(LAB, `${s}-any-sll`)) },
  { name: `${s} any-sll2`, inputs: filesIn(path.join(LAB, `${s}-any-sll2`)) },
  // Hosts' clocks skewed: the captures' first seconds differ (rows' times rebased in the merge).
  { name: `${s} skew-drifted`, inputs: filesIn(fixturePath('lab', 'captures-skew', 'skew-drifted', s)) },
]);
/** gopacket's test202 (both byte orders) and PcapPlusPlus's pcapng example hold records dated years after their others: the capture split cannot rebase their rows exactly. */
const SPANNING = /gopacket__[bl]e__test202\.pcapng$|pcapplusplus__pcapng-example\.pcapng$/;
const SPAN = /: packet times more than 52 days apart in one capture$/;

describe.skipIf(!built)('analyze --threads 1, 2, 4: byte-identical JSON', () => {
  it.each(labSets)('lab $name, with and without cluster.json', async ({ name, inputs }) => {
    expect(inputs.length).toBeGreaterThan(0);
    await Promise.all([expectSameOutput(name, inputs, [1, 2, 4], [], 1), expectSameOutput(`${name} --cluster`, inputs, [1, 2, 4], ['--cluster', CLUSTER], 1)]);
  }, 240_000);

  it('dual-stack pods over an IPv6 underlay (tunnel endpoints interned per thread, merged): 1, 2 and 4 threads', async () => {
    const inputs = filesIn(fixturePath('dual-stack', 'captures'));
    expect(inputs.length).toBe(4);
    await expectSameOutput('dual-stack', inputs, [1, 2, 4], ['--cluster', fixturePath('dual-stack', 'cluster.json')], 1);
  }, 120_000);

  it('each lab capture point alone (one point: journeys count packets by the flow ids of sparse overlay rows), 1 and 2 threads', async () => {
    const files = ['nginx-proxy', 'ingress'].flatMap((s) => filesIn(path.join(LAB, s)));
    expect(files.length).toBe(28);
    await pool(files.map((f) => () => expectSameOutput(path.relative(LAB, f), [f], [1, 2], ['--cluster', CLUSTER], 1)), 3);
  }, 240_000);

  it('the bounds reach the workers: 200 packets a capture (cut captures) merged; 40 flows a session (the table-full issue) falls back to one thread, saying so', async () => {
    const inputs = filesIn(path.join(LAB, 'nginx-proxy'));
    const json = async (threads: number, maxFlows?: number): Promise<{ text: string; stderr: string }> => {
      let stderr = '';
      const session = await openSession(await openPaths(inputs), { threads, maxPackets: 200, ...(maxFlows ? { maxFlows } : {}) }, (x) => { stderr += x; });
      return { text: JSON.stringify(session.toJSON()), stderr };
    };
    const [one, two, oneBound, twoBound] = [await json(1), await json(2), await json(1, 40), await json(2, 40)];
    expect(one.text).toContain('more than 200 packets');
    expect(one.text).not.toContain('the flow table is full');
    expect(CAPTURES.test(two.stderr) && !FALLBACK.test(two.stderr)).toBe(true);
    expect(two.text === one.text).toBe(true);
    expect(oneBound.text).toContain('the flow table is full');
    expect(FALLBACK.exec(twoBound.stderr)?.[1]).toMatch(/^more than 40 flows/);
    expect(twoBound.text === oneBound.text).toBe(true);
    // One capture: the stage split's worker takes the bound itself.
    let stderr = '';
    const single = async (threads: number): Promise<string> => JSON.stringify((await openSession(await openPaths([inputs[2]!]), { threads, maxFlows: 10, maxPackets: 200 }, (x) => { stderr += x; })).toJSON());
    const s1 = await single(1);
    expect(s1).toContain('the flow table is full');
    expect(await single(2) === s1).toBe(true);
    expect(STAGE.test(stderr)).toBe(true);
  }, 120_000);

  it('a failing worker: the session is analysed again on one thread, said on stderr, the same output (capture split and stage split)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-worker-'));
    const broken = path.join(dir, 'broken-worker.mjs');
    // Fails after a capture's flow ids were sent: the main thread has read everything by then or soon.
    writeFileSync(broken, "import { parentPort } from 'node:worker_threads';\nsetTimeout(() => { throw new Error('broken on purpose'); }, 50);\nparentPort.on('message', () => {});\n");
    const inputs = filesIn(path.join(LAB, 'nginx-proxy'));
    try {
      const one = await analyze(inputs, 1);
      const oneSingle = await analyze([inputs[0]!], 1);
      process.env['OVERLAYSCOPE_FLOW_WORKER'] = broken;
      const two = await analyze(inputs, 2);
      expect(two.stderr).toMatch(/^overlayscope: a capture worker failed: broken on purpose; analysing on one thread$/m);
      expect(two.status).toBe(one.status);
      expect(two.stdout.equals(one.stdout)).toBe(true);
      const twoSingle = await analyze([inputs[0]!], 2);
      expect(twoSingle.stderr).toMatch(/^overlayscope: the flow worker failed: broken on purpose; analysing on one thread$/m);
      expect(twoSingle.stdout.equals(oneSingle.stdout)).toBe(true);
    } finally {
      process.env['OVERLAYSCOPE_FLOW_WORKER'] = WORKER;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!corpusPresent)('every capture of ../shared/corpus alone (1, 2 threads) and all of them as one session (1, 2, 4)', async () => {
    const files = readdirSync(CORPUS_FILES).sort().map((f) => path.join(CORPUS_FILES, f));
    expect(files.length).toBeGreaterThan(50);
    await pool(files.map((f) => () => expectSameOutput(path.basename(f), [f], [1, 2], [], 1)), 3);
    // The captures spanning years fall in the first share, read in place on the session's thread (AnalysisSession.runSplit):
    // exact, nothing to rebase. In a worker's share such a capture is refused, said, and read again on one thread.
    await expectSameOutput('corpus as one session', files, [1, 2], [], 2);
    const spanning = files.find((f) => /gopacket__be__test202\.pcapng$/.test(f))!;
    await expectSameOutput('a capture spanning years read by a worker', [files.find((f) => f.endsWith('arkime__http-simple-get.pcap'))!, spanning], [1, 2], [], 2, { fallback: SPAN });
    await expectSameOutput('corpus but the two spanning years as one session', files.filter((f) => !SPANNING.test(f)), [1, 2, 4]);
  }, 300_000);

  it.skipIf(!encapPresent)('every capture of ../shared/corpus-encap alone (1, 2 threads) and all of them as one session (1, 2, 4)', async () => {
    const files = readdirSync(ENCAP_FILES).sort().map((f) => path.join(ENCAP_FILES, f));
    expect(files.length).toBeGreaterThan(10);
    await pool(files.map((f) => () => expectSameOutput(path.basename(f), [f], [1, 2], [], 1)), 3);
    await expectSameOutput('corpus-encap as one session', files, [1, 2, 4]);
  }, 240_000);
});
