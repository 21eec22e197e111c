/** A small, strict option parser: unknown options are usage errors. */
import { UsageError } from './errors.js';

export interface OptionSpec {
  /** Takes a value. */
  value?: boolean;
  /** May be given several times (values collected). */
  multiple?: boolean;
}

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const out: ParsedArgs = { positional: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { out.positional.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--') || (a.startsWith('-') && a.length === 2)) {
      let name = a.startsWith('--') ? a.slice(2) : a.slice(1);
      let inline: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) { inline = name.slice(eq + 1); name = name.slice(0, eq); }
      if (name === 'h') name = 'help';
      const s = spec[name];
      if (!s) throw new UsageError(`unknown option '${a}'`);
      if (s.value) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`option '--${name}' needs a value`);
        const list = out.options.get(name) ?? [];
        if (list.length && !s.multiple) throw new UsageError(`option '--${name}' given twice`);
        list.push(v);
        out.options.set(name, list);
      } else out.flags.add(name);
    } else out.positional.push(a);
  }
  return out;
}

export function one(args: ParsedArgs, name: string): string | undefined {
  return args.options.get(name)?.[0];
}

export function portList(s: string | undefined, name: string): number[] | undefined {
  if (s === undefined) return undefined;
  const ports = s.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  if (!ports.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new UsageError(`--${name} takes comma-separated UDP ports (1-65535), not '${s}'`);
  }
  return ports;
}

export function choice<T extends string>(s: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (s === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not '${s}'`);
  return s as T;
}
