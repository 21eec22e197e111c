/**
 * One fuzz input through the whole analysis, the way a user meets it: the
 * CLI's `analyze` command (an AnalysisSession over the bytes, every observer
 * the session wires, the JSON contract), the table and CSV renderings, and
 * the packet rows the app pages through (each packet read back by offset and
 * summarised, DNS messages parsed). Returns what it saw and any broken
 * invariant; throws only when the engine throws (a crash).
 */
import { bytesSource } from '../../../src/capture/bytes-source.js';
import { openInputs } from '../../../src/capture/open-inputs.js';
import { InputError } from '../../../src/cli/errors.js';
import { inputErrors, openSession } from '../../../src/cli/open-session.js';
import { visibleText } from '../../../src/report/escape.js';
import { isContainer } from './containers.js';
import { runAnalyze, type CliContext } from '../../../src/cli/commands.js';
import { flowsCsv, renderAnalysisTable } from '../../../src/cli/format.js';
import { MAX_PACKET_ISSUES } from '../../../src/pipeline/analyze.js';
import type { AnalysisJson } from '../../../src/session/contract.js';
import { AnalysisSession } from '../../../src/session/analysis-session.js';
import { describePacket } from '../../../src/dissect/describe.js';
import { REPORT_FORMATS, exportReport } from '../../../src/report/report.js';
import type { ReportAnalysis, ReportInput } from '../../../src/report/report-model.js';

export interface RunResult {
  packets: number;
  issues: number;
  errors: number;
  exitCode: number;
  /** Broken promises (the engine did not crash, but said something untrue or nothing). */
  violations: string[];
}

/** Packet rows summarised per input (spread over the capture). */
const MAX_ROWS = 1500;

export async function analyzeInput(bytes: Uint8Array, name: string, chunkSize?: number): Promise<RunResult> {
  return (await analyzeInputKeep(bytes, name, chunkSize)).result;
}

/** As `analyzeInput`, also handing back the session (to measure what it holds). */
export async function analyzeInputKeep(bytes: Uint8Array, name: string, chunkSize?: number): Promise<{ result: RunResult; session: AnalysisSession | null }> {
  let session: AnalysisSession | null = null;
  let out = '';
  let err = '';
  // A gzip stream or an archive opens as the CLI opens it: its captures and sidecars (src/capture/open-inputs.ts).
  const container = isContainer(bytes);
  let inputFailed = false;
  const ctx: CliContext = {
    stdout: (s) => { out += s; },
    stderr: (s) => { err += s; },
    stderrIsTTY: false,
    open: async (_paths, opts) => {
      const o = { ...opts, ...(chunkSize ? { chunkSize } : {}) };
      if (container) {
        session = await openSession(await openInputs([bytesSource(bytes, name)]), o, (s) => { err += s; });
        if (inputErrors(session)) inputFailed = true;
        return session;
      }
      session = await AnalysisSession.open([bytesSource(bytes, name)], o);
      return session;
    },
    write: async () => { throw new Error('the fuzz harness writes nothing'); },
  };
  let exitCode: number;
  try {
    exitCode = await runAnalyze([name, '--format', 'json'], ctx);
    if (exitCode === 0 && inputFailed) exitCode = 1;
  } catch (e) {
    // An archive with no capture in it: the CLI's named error (exit 1), not a crash.
    if (!(container && e instanceof InputError)) throw e;
    const violations = e.message.startsWith(name) || e.message === 'no capture among the files opened' ? [] : [`the error "${e.message}" does not name the file`];
    return { result: { packets: 0, issues: 0, errors: 1, exitCode: 1, violations }, session: null };
  }
  const violations: string[] = [];
  let json: AnalysisJson;
  try {
    json = JSON.parse(out) as AnalysisJson;
  } catch (e) {
    return { result: { packets: 0, issues: 0, errors: 0, exitCode, violations: [`analyze --format json printed invalid JSON: ${(e as Error).message}`] }, session };
  }
  const s = session as AnalysisSession | null;
  if (!s) return { result: { packets: 0, issues: 0, errors: 0, exitCode, violations: ['analyze never opened a session'] }, session: null };
  // Before JSON.stringify turns NaN and Infinity into null.
  const nonFinite = findNonFinite(s.toJSON(), '$', 0);
  if (nonFinite) violations.push(`a number in the analysis is not finite at ${nonFinite}`);
  renderAnalysisTable(json);
  flowsCsv(json);
  if (container) checkContainerJson(json, name, exitCode, err, violations);
  else checkJson(json, bytes.length, name, exitCode, err, violations);

  // Every report format, as exported from the app and `overlayscope report`.
  const input: ReportInput = { label: name, generatedAt: '2024-01-01T00:00:00Z', analysis: json as ReportAnalysis };
  for (const f of REPORT_FORMATS) {
    const { text } = exportReport(input, f);
    if (f === 'html' && /<script/i.test(text)) violations.push('the HTML report holds a <script> element');
  }

  // Packet rows, as the app's packet list and the `packets` command show them,
  // and the detail tree of some of them.
  // (Every capture of an archive, each read back by offset from inside its container.)
  for (let ci = 0; ci < Math.min(s.captures.length, 8); ci++) {
    const n = s.captures[ci]!.index.count;
    const step = Math.max(1, Math.ceil(n / MAX_ROWS));
    for (let k = 0, d = 0; k < n; k += step, d++) {
      await s.packetSummary(ci, k);
      if (d % 8 === 0) {
        const { bytes: pb, linkType } = await s.readPacket(ci, k);
        describePacket(pb, linkType, s.config);
      }
    }
  }

  const errors = json.issues.filter((i) => i.severity === 'error').length
    + (json.inputNotes as Array<{ severity: string }> | undefined ?? []).filter((n) => n.severity === 'error').length;
  return { result: { packets: json.packets, issues: json.issues.length, errors, exitCode, violations }, session: s };
}

function checkJson(json: AnalysisJson, size: number, name: string, exitCode: number, stderr: string, v: string[]): void {
  if (json.schema !== 'overlayscope.analysis/v1') v.push(`schema is ${String(json.schema)}`);
  const c = json.captures[0];
  if (!c) { v.push('no capture in the JSON'); return; }
  if (c.packets * 16 > size) v.push(`${c.packets} packets cannot fit in ${size} bytes`);
  if (c.packets !== json.packets) v.push(`capture packets ${c.packets} differ from the total ${json.packets}`);
  const errs = json.issues.filter((i) => i.severity === 'error');
  if (!c.complete && errs.length === 0) v.push('the capture is marked incomplete but no error says why');
  if (errs.length > 0 && c.complete) v.push('an error was reported but the capture is marked complete');
  if ((exitCode === 1) !== (errs.length > 0)) v.push(`exit code ${exitCode} with ${errs.length} errors`);
  for (const e of errs) if (!stderr.includes(e.reason)) v.push(`the error "${e.reason}" is not on stderr`);
  const perPacket = json.issues.filter((i) => i.packet !== null).length;
  if (perPacket > MAX_PACKET_ISSUES + 1) v.push(`${perPacket} per-packet issues kept, more than the bound ${MAX_PACKET_ISSUES}`);
  for (const i of json.issues) {
    if (i.capture !== name) v.push(`issue names capture ${i.capture}, not ${name}`);
    if (typeof i.offset !== 'number' || !Number.isInteger(i.offset) || i.offset < 0 || i.offset > size) {
      v.push(`issue offset ${i.offset} outside the file (0..${size}): ${i.layer}: ${i.reason}`);
    }
    if (!i.layer) v.push(`issue without a layer: ${i.reason}`);
    if (!i.reason) v.push(`issue without a reason at offset ${i.offset}`);
    if (i.packet !== null && (!Number.isInteger(i.packet) || i.packet < 1 || i.packet > c.packets + 1)) {
      v.push(`issue names packet ${i.packet} of ${c.packets}: ${i.reason}`);
    }
    if (v.length > 20) return;
  }
  for (const f of json.flows) {
    if (!(f.packets >= 1 && f.packets <= json.packets)) v.push(`flow ${f.id} has ${f.packets} packets of ${json.packets}`);
    if (v.length > 20) return;
  }
}

/**
 * The promises for a container: every capture it yielded is named inside it,
 * the totals add up, every error (a capture's issue or an opening note) has
 * a layer, a reason and an offset, is on stderr, and sets the exit code.
 * Offsets are in the inflated bytes, so they are not bounded by the file.
 */
function checkContainerJson(json: AnalysisJson, name: string, exitCode: number, stderr: string, v: string[]): void {
  if (json.schema !== 'overlayscope.analysis/v1') v.push(`schema is ${String(json.schema)}`);
  if (!json.captures.length) { v.push('no capture in the JSON'); return; }
  const sum = json.captures.reduce((a, c) => a + c.packets, 0);
  if (sum !== json.packets) v.push(`captures' packets ${sum} differ from the total ${json.packets}`);
  const notes = (json.inputNotes ?? []) as Array<{ file: string; offset: number; layer: string; reason: string; severity: string }>;
  for (const c of json.captures) {
    if (!c.file.startsWith(name)) v.push(`capture ${c.file} is not named inside ${name}`);
    const errs = c.issues.filter((i) => i.severity === 'error');
    if (!c.complete && errs.length === 0) v.push(`capture ${c.file} is marked incomplete but no error says why`);
    if (errs.length > 0 && c.complete) v.push(`capture ${c.file}: an error was reported but the capture is marked complete`);
  }
  const errs = [...json.issues.filter((i) => i.severity === 'error'), ...notes.filter((n) => n.severity === 'error')];
  if ((exitCode === 1) !== (errs.length > 0)) v.push(`exit code ${exitCode} with ${errs.length} errors`);
  for (const e of errs) if (!stderr.includes(e.reason) && !stderr.includes(visibleText(e.reason))) v.push(`the error "${e.reason}" is not on stderr`);
  const perPacket = json.issues.filter((i) => i.packet !== null).length;
  if (perPacket > (MAX_PACKET_ISSUES + 1) * json.captures.length) v.push(`${perPacket} per-packet issues kept, more than the bound ${MAX_PACKET_ISSUES} a capture`);
  for (const i of [...json.issues, ...notes.map((n) => ({ ...n, capture: n.file, packet: null }))]) {
    if (!String(i.capture).startsWith(name)) v.push(`issue names capture ${i.capture}, not one inside ${name}`);
    if (typeof i.offset !== 'number' || !Number.isInteger(i.offset) || i.offset < 0) v.push(`issue offset ${i.offset} is not an offset: ${i.layer}: ${i.reason}`);
    if (!i.layer) v.push(`issue without a layer: ${i.reason}`);
    if (!i.reason) v.push(`issue without a reason at offset ${i.offset}`);
    if (v.length > 20) return;
  }
  for (const f of json.flows) {
    if (!(f.packets >= 1 && f.packets <= json.packets)) v.push(`flow ${f.id} has ${f.packets} packets of ${json.packets}`);
    if (v.length > 20) return;
  }
}

function findNonFinite(x: unknown, path: string, depth: number): string | null {
  if (depth > 12) return null;
  if (typeof x === 'number') return Number.isFinite(x) ? null : path;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const r = findNonFinite(x[i], `${path}[${i}]`, depth + 1);
      if (r) return r;
    }
    return null;
  }
  if (x && typeof x === 'object') {
    for (const [k, val] of Object.entries(x)) {
      const r = findNonFinite(val, `${path}.${k}`, depth + 1);
      if (r) return r;
    }
  }
  return null;
}
