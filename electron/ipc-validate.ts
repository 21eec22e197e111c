/**
 * Argument validation for every IPC call: the renderer is untrusted input
 * (a compromised page could send anything). Each validator returns the
 * arguments rebuilt from checked fields, or throws IpcArgumentError naming
 * the call and the bad value. Pure functions: tested without Electron.
 */
import type { ClockSettings, FlowQuery, OpenOptions, PacketQuery, PageQuery, ReportFormat, SourceRef, TxQuery } from '../src/api.js';
import { ANALYSIS_THREADS } from '../src/api.js';
import { EXPORT_FORMATS, type EngineArgs, type EngineMethod, type ExportFormat, type ShellArgs, type ShellInvoke } from './ipc-contract.js';

export class IpcArgumentError extends Error {
  constructor(call: string, what: string) {
    super(`${call}: ${what}`);
    this.name = 'IpcArgumentError';
  }
}

/** Largest page a renderer may ask for in one call. */
export const MAX_PAGE = 10_000;
const MAX_SOURCES = 256;
const MAX_TEXT = 1_000;
/** A display filter's length limit (src/filter/lexer.ts MAX_FILTER_LENGTH). */
const MAX_FILTER = 64 * 1024;
const MAX_PATH = 4_096;

type Check<T> = (v: unknown, call: string, name: string) => T;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const int = (min: number, max: number): Check<number> => (v, call, name) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new IpcArgumentError(call, `${name} must be an integer in ${min}..${max}, got ${describe(v)}`);
  return v;
};
const str = (max: number): Check<string> => (v, call, name) => {
  if (typeof v !== 'string' || v.length > max || v.includes('\0')) throw new IpcArgumentError(call, `${name} must be a string of at most ${max} characters, got ${describe(v)}`);
  return v;
};
const optional = <T>(c: Check<T>) => (v: unknown, call: string, name: string): T | undefined => (v === undefined ? undefined : c(v, call, name));

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 40)}`;
}

function noExtraKeys(o: Record<string, unknown>, allowed: readonly string[], call: string, name: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new IpcArgumentError(call, `${name} has an unexpected field "${k.slice(0, 40)}"`);
}

/** Desktop SourceRefs: absolute local paths (opened read-only) or the bundled lab captures. */
export function sourceRef(v: unknown, call: string, name = 'source'): SourceRef {
  if (!isObj(v)) throw new IpcArgumentError(call, `${name} must be an object, got ${describe(v)}`);
  if (v['kind'] === 'path') {
    noExtraKeys(v, ['kind', 'path'], call, name);
    const p = str(MAX_PATH)(v['path'], call, `${name}.path`);
    if (!(p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'))) throw new IpcArgumentError(call, `${name}.path must be absolute`);
    return { kind: 'path', path: p };
  }
  if (v['kind'] === 'url') {
    noExtraKeys(v, ['kind', 'url', 'name'], call, name);
    const url = str(MAX_PATH)(v['url'], call, `${name}.url`);
    if (!/^lab\/[A-Za-z0-9._\-/%]+$/.test(url) || url.split('/').some((seg) => seg === '..' || seg === '.' || seg === '' || decodeURIComponent(seg).includes('/') || decodeURIComponent(seg) === '..'))
      throw new IpcArgumentError(call, `${name}.url must name a capture served with the app (lab/...)`);
    return { kind: 'url', url, name: str(255)(v['name'], call, `${name}.name`) };
  }
  throw new IpcArgumentError(call, `${name}.kind must be "path" or "url" in the desktop app`);
}

function sourceList(v: unknown, call: string, name = 'sources'): SourceRef[] {
  if (!Array.isArray(v) || v.length > MAX_SOURCES) throw new IpcArgumentError(call, `${name} must be an array of at most ${MAX_SOURCES} sources, got ${describe(v)}`);
  return v.map((s, i) => sourceRef(s, call, `${name}[${i}]`));
}

function ports(v: unknown, call: string, name: string): number[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > 64) throw new IpcArgumentError(call, `${name} must be an array of ports`);
  return v.map((p, i) => int(1, 65535)(p, call, `${name}[${i}]`));
}

function openOptions(v: unknown, call: string): OpenOptions | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new IpcArgumentError(call, `options must be an object, got ${describe(v)}`);
  noExtraKeys(v, ['vxlanPorts', 'genevePorts', 'cluster', 'label', 'threads'], call, 'options');
  const o: OpenOptions = {};
  const vx = ports(v['vxlanPorts'], call, 'options.vxlanPorts');
  const gn = ports(v['genevePorts'], call, 'options.genevePorts');
  if (vx) o.vxlanPorts = vx;
  if (gn) o.genevePorts = gn;
  if (v['cluster'] !== undefined) o.cluster = sourceList(v['cluster'], call, 'options.cluster');
  const label = optional(str(200))(v['label'], call, 'options.label');
  if (label !== undefined) o.label = label;
  // The app's "Analysis threads" setting (src/api.ts ANALYSIS_THREADS).
  // 'auto' or 1-64 (src/api.ts OpenOptions.threads; the error names the integer range, 'auto' being the other form).
  const threads = v['threads'] === 'auto' ? 'auto' as const : optional(int(1, ANALYSIS_THREADS.max))(v['threads'], call, 'options.threads');
  if (threads !== undefined) o.threads = threads;
  return o;
}

/** Most capture points a settings object names (a session holds at most 65,536). */
const MAX_HOST_ENTRIES = 65536;

function clockSettings(v: unknown, call: string): ClockSettings {
  if (!isObj(v)) throw new IpcArgumentError(call, `settings must be an object, got ${describe(v)}`);
  noExtraKeys(v, ['hosts', 'clockCorrection'], call, 'settings');
  if (typeof v['clockCorrection'] !== 'boolean') throw new IpcArgumentError(call, 'settings.clockCorrection must be a boolean');
  const h = v['hosts'];
  if (!isObj(h)) throw new IpcArgumentError(call, `settings.hosts must be an object, got ${describe(h)}`);
  const entries = Object.entries(h);
  if (entries.length > MAX_HOST_ENTRIES) throw new IpcArgumentError(call, `settings.hosts names ${entries.length} capture points, more than ${MAX_HOST_ENTRIES}`);
  // No prototype: a capture point named "__proto__" is a name like any other.
  const hosts = Object.create(null) as Record<string, string>;
  for (const [point, host] of entries) {
    if (point.length > MAX_TEXT) throw new IpcArgumentError(call, 'settings.hosts has a capture point name over the length limit');
    hosts[point] = str(MAX_TEXT)(host, call, 'settings.hosts[]');
  }
  return { hosts, clockCorrection: v['clockCorrection'] };
}

function pageQuery(v: unknown, call: string, extra: readonly string[] = []): PageQuery & Record<string, unknown> {
  if (!isObj(v)) throw new IpcArgumentError(call, `query must be an object, got ${describe(v)}`);
  noExtraKeys(v, ['offset', 'limit', ...extra], call, 'query');
  return { offset: int(0, 2 ** 40)(v['offset'], call, 'query.offset'), limit: int(0, MAX_PAGE)(v['limit'], call, 'query.limit') };
}

/** An optional `{ key, dir }` order of a page query. */
function sortOf(o: Record<string, unknown>, call: string): { key: string; dir: 'asc' | 'desc' } | undefined {
  const s = o['sort'];
  if (s === undefined) return undefined;
  if (!isObj(s)) throw new IpcArgumentError(call, 'query.sort must be an object');
  noExtraKeys(s, ['key', 'dir'], call, 'query.sort');
  if (s['dir'] !== 'asc' && s['dir'] !== 'desc') throw new IpcArgumentError(call, 'query.sort.dir must be "asc" or "desc"');
  return { key: str(64)(s['key'], call, 'query.sort.key'), dir: s['dir'] };
}

function textQuery(v: unknown, call: string): TxQuery {
  const q = pageQuery(v, call, ['text', 'sort']);
  const text = optional(str(MAX_TEXT))((v as Record<string, unknown>)['text'], call, 'query.text');
  const sort = sortOf(v as Record<string, unknown>, call);
  return { offset: q.offset, limit: q.limit, ...(text !== undefined ? { text } : {}), ...(sort ? { sort } : {}) };
}

function packetQuery(v: unknown, call: string): PacketQuery {
  const q = pageQuery(v, call, ['capture', 'flow', 'protocol', 'text', 'filter', 'sort']);
  const o = v as Record<string, unknown>;
  const out: PacketQuery = { offset: q.offset, limit: q.limit };
  const capture = optional(int(0, 65535))(o['capture'], call, 'query.capture');
  const flow = optional(int(0, 2 ** 31))(o['flow'], call, 'query.flow');
  const protocol = optional(str(32))(o['protocol'], call, 'query.protocol');
  const text = optional(str(MAX_TEXT))(o['text'], call, 'query.text');
  const filter = optional(str(MAX_FILTER))(o['filter'], call, 'query.filter');
  if (filter !== undefined) out.filter = filter;
  if (capture !== undefined) out.capture = capture;
  if (flow !== undefined) out.flow = flow;
  if (protocol !== undefined) out.protocol = protocol;
  if (text !== undefined) out.text = text;
  const sort = sortOf(o, call);
  if (sort) out.sort = sort;
  return out;
}

function flowQuery(v: unknown, call: string): FlowQuery {
  const q = pageQuery(v, call, ['text', 'transport', 'depth', 'node', 'pod', 'service', 'capture', 'sort', 'connections', 'connection', 'filter']);
  const o = v as Record<string, unknown>;
  const out: FlowQuery = { offset: q.offset, limit: q.limit };
  const filter = optional(str(MAX_FILTER))(o['filter'], call, 'query.filter');
  if (filter !== undefined) out.filter = filter;
  for (const k of ['text', 'transport', 'node', 'pod', 'service'] as const) {
    const s = optional(str(MAX_TEXT))(o[k], call, `query.${k}`);
    if (s !== undefined) out[k] = s;
  }
  const depth = optional(int(0, 16))(o['depth'], call, 'query.depth');
  if (depth !== undefined) out.depth = depth;
  const capture = optional(int(0, 65535))(o['capture'], call, 'query.capture');
  if (capture !== undefined) out.capture = capture;
  if (o['connections'] !== undefined) {
    if (typeof o['connections'] !== 'boolean') throw new IpcArgumentError(call, 'query.connections must be a boolean');
    out.connections = o['connections'];
  }
  const connection = optional(int(0, 2 ** 31))(o['connection'], call, 'query.connection');
  if (connection !== undefined) out.connection = connection;
  if (o['sort'] !== undefined) {
    const s = o['sort'];
    if (!isObj(s)) throw new IpcArgumentError(call, 'query.sort must be an object');
    noExtraKeys(s, ['key', 'dir'], call, 'query.sort');
    if (s['dir'] !== 'asc' && s['dir'] !== 'desc') throw new IpcArgumentError(call, 'query.sort.dir must be "asc" or "desc"');
    out.sort = { key: str(64)(s['key'], call, 'query.sort.key'), dir: s['dir'] };
  }
  return out;
}

function arity(args: unknown, call: string, min: number, max: number): unknown[] {
  if (!Array.isArray(args) || args.length < min || args.length > max) throw new IpcArgumentError(call, `expects ${min === max ? min : `${min} to ${max}`} arguments, got ${describe(args)}`);
  return args;
}

const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'csv', 'json', 'zip'];

/** One validator per AnalyzerApi call: raw IPC arguments in, typed arguments out. */
export const ENGINE_VALIDATORS: { [K in EngineMethod]: (args: unknown) => EngineArgs<K> } = {
  openSession: (a) => { const [s, o] = arity(a, 'openSession', 1, 2); const opts = openOptions(o, 'openSession'); return opts ? [sourceList(s, 'openSession'), opts] : [sourceList(s, 'openSession')]; },
  addCaptures: (a) => [sourceList(arity(a, 'addCaptures', 1, 1)[0], 'addCaptures')],
  loadCluster: (a) => {
    const [s, o] = arity(a, 'loadCluster', 1, 2);
    if (o === undefined) return [sourceList(s, 'loadCluster')];
    if (!isObj(o)) throw new IpcArgumentError('loadCluster', `options must be an object, got ${describe(o)}`);
    noExtraKeys(o, ['replace'], 'loadCluster', 'options');
    if (o['replace'] !== undefined && typeof o['replace'] !== 'boolean') throw new IpcArgumentError('loadCluster', `options.replace must be a boolean, got ${describe(o['replace'])}`);
    return [sourceList(s, 'loadCluster'), o['replace'] === undefined ? {} : { replace: o['replace'] }];
  },
  setClocks: (a) => [clockSettings(arity(a, 'setClocks', 1, 1)[0], 'setClocks')],
  cancel: (a) => { arity(a, 'cancel', 0, 0); return []; },
  getSummary: (a) => { arity(a, 'getSummary', 0, 0); return []; },
  getIssues: (a) => { const q = pageQuery(arity(a, 'getIssues', 1, 1)[0], 'getIssues'); return [{ offset: q.offset, limit: q.limit }]; },
  getPackets: (a) => [packetQuery(arity(a, 'getPackets', 1, 1)[0], 'getPackets')],
  checkFilter: (a) => [str(MAX_FILTER)(arity(a, 'checkFilter', 1, 1)[0], 'checkFilter', 'text')],
  getPacketDetail: (a) => { const [c, i] = arity(a, 'getPacketDetail', 2, 2); return [int(0, 65535)(c, 'getPacketDetail', 'capture'), int(0, 2 ** 40)(i, 'getPacketDetail', 'index')]; },
  getFlows: (a) => [flowQuery(arity(a, 'getFlows', 1, 1)[0], 'getFlows')],
  getFlowDetail: (a) => [int(0, 2 ** 31)(arity(a, 'getFlowDetail', 1, 1)[0], 'getFlowDetail', 'id')],
  getStream: (a) => [int(0, 2 ** 31)(arity(a, 'getStream', 1, 1)[0], 'getStream', 'flow')],
  getHttp: (a) => [textQuery(arity(a, 'getHttp', 1, 1)[0], 'getHttp')],
  getDns: (a) => [textQuery(arity(a, 'getDns', 1, 1)[0], 'getDns')],
  getOverlay: (a) => { arity(a, 'getOverlay', 0, 0); return []; },
  compare: (a) => {
    const [x, y, labels, o, sides] = arity(a, 'compare', 2, 5);
    const out: EngineArgs<'compare'> = [sourceList(x, 'compare', 'a'), sourceList(y, 'compare', 'b')];
    if (labels !== undefined) {
      if (!isObj(labels)) throw new IpcArgumentError('compare', 'labels must be an object');
      noExtraKeys(labels, ['a', 'b'], 'compare', 'labels');
      const la = optional(str(200))(labels['a'], 'compare', 'labels.a');
      const lb = optional(str(200))(labels['b'], 'compare', 'labels.b');
      out[2] = { ...(la !== undefined ? { a: la } : {}), ...(lb !== undefined ? { b: lb } : {}) };
    }
    const opts = openOptions(o, 'compare');
    if (opts) { out[2] ??= {}; out[3] = opts; }
    if (sides !== undefined) {
      // Each side: the open session, or its own metadata; capture points paired by the user.
      if (!isObj(sides)) throw new IpcArgumentError('compare', 'sides must be an object');
      noExtraKeys(sides, ['a', 'b', 'pairs'], 'compare', 'sides');
      const side = (v: unknown, name: 'a' | 'b') => {
        if (v === undefined) return undefined;
        if (!isObj(v)) throw new IpcArgumentError('compare', `sides.${name} must be an object`);
        noExtraKeys(v, ['session', 'cluster'], 'compare', `sides.${name}`);
        if (v['session'] !== undefined && typeof v['session'] !== 'boolean') throw new IpcArgumentError('compare', `sides.${name}.session must be a boolean`);
        return {
          ...(v['session'] !== undefined ? { session: v['session'] as boolean } : {}),
          ...(v['cluster'] !== undefined ? { cluster: sourceList(v['cluster'], 'compare', `sides.${name}.cluster`) } : {}),
        };
      };
      const sa = side(sides['a'], 'a'), sb = side(sides['b'], 'b');
      let pairs: Array<[string, string]> | undefined;
      if (sides['pairs'] !== undefined) {
        const l = sides['pairs'];
        if (!Array.isArray(l) || l.length > 1000) throw new IpcArgumentError('compare', 'sides.pairs must be an array of at most 1000 pairs');
        pairs = l.map((p, k) => {
          if (!Array.isArray(p) || p.length !== 2) throw new IpcArgumentError('compare', `sides.pairs[${k}] must be [point of A, point of B]`);
          return [str(500)(p[0], 'compare', `sides.pairs[${k}][0]`), str(500)(p[1], 'compare', `sides.pairs[${k}][1]`)];
        });
      }
      out[2] ??= {};
      out[4] = { ...(sa ? { a: sa } : {}), ...(sb ? { b: sb } : {}), ...(pairs ? { pairs } : {}) };
    }
    return out;
  },
  exportReport: (a) => {
    const f = arity(a, 'exportReport', 1, 1)[0];
    if (!REPORT_FORMATS.includes(f as ReportFormat)) throw new IpcArgumentError('exportReport', `format must be one of ${REPORT_FORMATS.join(', ')}`);
    return [f as ReportFormat];
  },
  exportData: (a) => {
    const f = arity(a, 'exportData', 1, 1)[0];
    if (f !== 'parquet' && f !== 'pcapng') throw new IpcArgumentError('exportData', `format must be parquet or pcapng, got ${describe(f)}`);
    return [f];
  },
};

export const SHELL_VALIDATORS: { [K in ShellInvoke]: (args: unknown) => ShellArgs<K> } = {
  pickCaptures: (a) => { arity(a, 'pickCaptures', 0, 0); return []; },
  pickCluster: (a) => { arity(a, 'pickCluster', 0, 0); return []; },
  saveReportAs: (a) => {
    const f = arity(a, 'saveReportAs', 1, 1)[0];
    if (!EXPORT_FORMATS.includes(f as ExportFormat)) throw new IpcArgumentError('saveReportAs', `format must be one of ${EXPORT_FORMATS.join(', ')}, got ${describe(f)}`);
    return [f as ExportFormat];
  },
  recentFiles: (a) => { arity(a, 'recentFiles', 0, 0); return []; },
  labManifest: (a) => { arity(a, 'labManifest', 0, 0); return []; },
  openExternal: (a) => {
    const u = str(2048)(arity(a, 'openExternal', 1, 1)[0], 'openExternal', 'url');
    if (!isHttpUrl(u)) throw new IpcArgumentError('openExternal', 'only http and https links are opened');
    return [u];
  },
};

export function isHttpUrl(u: string): boolean {
  try {
    const p = new URL(u);
    return p.protocol === 'http:' || p.protocol === 'https:';
  } catch {
    return false;
  }
}
