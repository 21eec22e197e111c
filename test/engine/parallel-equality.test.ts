/**
 * `analyze --threads N` (docs/decisions/0015-parallel-analysis.md): the JSON
 * output is byte-identical with 1, 2 and 4 threads on the lab sessions (both
 * scenarios: per-point files, the pcapng, the any-interface SLL and SLL2 sets,
 * each with and without cluster.json), on every capture of ../shared/corpus and
 * ../shared/corpus-encap alone (one capture point: the overlay's sparse rows
 * take their flow ids from the worker) with 1 and 2 threads, as is each lab
 * capture point alone, and on each corpus
 * as one session with 1, 2 and 4. OVERLAYSCOPE_TRACE_THREADS makes the CLI say
 * when the worker ran: every multi-thread run must have used it (a silent
 * fall-back to one thread would pass the comparison without testing anything).
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
const TRACE = /^overlayscope: flows of \d+ capture\(s\) built by a worker thread$/m;

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
async function expectSameOutput(label: string, inputs: readonly string[], threads: readonly number[], extra: readonly string[] = [], width = 2): Promise<void> {
  const runs = await pool(threads.map((t) => () => analyze(inputs, t, extra)), width);
  const first = runs[0]!;
  expect(first.stdout.length, `${label}: some JSON with --threads ${threads[0]}`).toBeGreaterThan(100);
  expect(TRACE.test(first.stderr), `${label}: --threads 1 stays on one thread`).toBe(false);
  for (let k = 1; k < runs.length; k++) {
    const r = runs[k]!;
    expect(TRACE.test(r.stderr), `${label}: --threads ${threads[k]} used the worker (stderr: ${r.stderr.slice(0, 300)})`).toBe(true);
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
]);

describe.skipIf(!built)('analyze --threads 1, 2, 4: byte-identical JSON', () => {
  it.each(labSets)('lab $name, with and without cluster.json', async ({ name, inputs }) => {
    expect(inputs.length).toBeGreaterThan(0);
    await Promise.all([expectSameOutput(name, inputs, [1, 2, 4], [], 1), expectSameOutput(`${name} --cluster`, inputs, [1, 2, 4], ['--cluster', CLUSTER], 1)]);
  }, 240_000);

  it('each lab capture point alone (one point: journeys count packets by the flow ids of sparse overlay rows), 1 and 2 threads', async () => {
    const files = ['nginx-proxy', 'ingress'].flatMap((s) => filesIn(path.join(LAB, s)));
    expect(files.length).toBe(28);
    await pool(files.map((f) => () => expectSameOutput(path.relative(LAB, f), [f], [1, 2], ['--cluster', CLUSTER], 1)), 3);
  }, 240_000);

  it('the bounds reach the worker: 40 flows and 200 packets a capture at most (the table-full issue, cut captures), the same JSON', async () => {
    const inputs = filesIn(path.join(LAB, 'nginx-proxy'));
    const json = async (threads: number): Promise<{ text: string; stderr: string }> => {
      let stderr = '';
      const session = await openSession(await openPaths(inputs), { threads, maxFlows: 40, maxPackets: 200 }, (x) => { stderr += x; });
      return { text: JSON.stringify(session.toJSON()), stderr };
    };
    const one = await json(1);
    const two = await json(2);
    expect(TRACE.test(two.stderr)).toBe(true);
    expect(one.text).toContain('the flow table is full');
    expect(one.text).toContain('more than 200 packets');
    expect(two.text === one.text).toBe(true);
  }, 120_000);

  it('a failing worker: the session is analysed again on one thread, said on stderr, the same output', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlayscope-worker-'));
    const broken = path.join(dir, 'broken-worker.mjs');
    // Fails after a capture's flow ids were sent: the main thread has read everything by then or soon.
    writeFileSync(broken, "import { parentPort } from 'node:worker_threads';\nsetTimeout(() => { throw new Error('broken on purpose'); }, 50);\nparentPort.on('message', () => {});\n");
    const inputs = filesIn(path.join(LAB, 'nginx-proxy'));
    try {
      const one = await analyze(inputs, 1);
      process.env['OVERLAYSCOPE_FLOW_WORKER'] = broken;
      const two = await analyze(inputs, 2);
      expect(two.stderr).toMatch(/^overlayscope: the flow worker failed: broken on purpose; analysing on one thread$/m);
      expect(two.status).toBe(one.status);
      expect(two.stdout.equals(one.stdout)).toBe(true);
    } finally {
      process.env['OVERLAYSCOPE_FLOW_WORKER'] = WORKER;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!corpusPresent)('every capture of ../shared/corpus alone (1, 2 threads) and all of them as one session (1, 2, 4)', async () => {
    const files = readdirSync(CORPUS_FILES).sort().map((f) => path.join(CORPUS_FILES, f));
    expect(files.length).toBeGreaterThan(50);
    await pool(files.map((f) => () => expectSameOutput(path.basename(f), [f], [1, 2], [], 1)), 3);
    await expectSameOutput('corpus as one session', files, [1, 2, 4]);
  }, 300_000);

  it.skipIf(!encapPresent)('every capture of ../shared/corpus-encap alone (1, 2 threads) and all of them as one session (1, 2, 4)', async () => {
    const files = readdirSync(ENCAP_FILES).sort().map((f) => path.join(ENCAP_FILES, f));
    expect(files.length).toBeGreaterThan(10);
    await pool(files.map((f) => () => expectSameOutput(path.basename(f), [f], [1, 2], [], 1)), 3);
    await expectSameOutput('corpus-encap as one session', files, [1, 2, 4]);
  }, 240_000);
});
