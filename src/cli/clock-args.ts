/** The options that state hosts and clocks (issue #12), shared by analyze, compare and report. */
import type { ClockOptions } from '../overlay/clocks.js';
import type { OptionSpec, ParsedArgs } from './args.js';
import { UsageError } from './errors.js';

export const CLOCK_SPEC: Record<string, OptionSpec> = {
  host: { value: true, multiple: true },
  'clock-offset': { value: true, multiple: true },
  'no-clock-correction': {},
};

export const CLOCK_HELP = `  --host POINT=HOST    capture point POINT was taken on host HOST (one clock);
                       repeatable. Without it, points are grouped by name
                       (node1-eth0, node1-cni0 -> node1), by any-interface file,
                       and by pod addresses in a node's pod CIDR
  --clock-offset HOST=SECONDS
                       HOST's clock is SECONDS ahead of the reference host's
                       (negative: behind): used instead of the estimate; repeatable
  --no-clock-correction
                       report each host's estimated clock offset ("clocks"),
                       but keep times as captured`;

function pairs(list: readonly string[], option: string, what: string): Array<[string, string]> {
  return list.map((x) => {
    const eq = x.lastIndexOf('=');
    if (eq <= 0 || eq === x.length - 1) throw new UsageError(`--${option} takes ${what}, not '${x}'`);
    return [x.slice(0, eq), x.slice(eq + 1)];
  });
}

export function clockOptions(args: ParsedArgs): ClockOptions {
  const out: { hosts?: Record<string, string>; clockOffsets?: Record<string, number>; clockCorrection?: boolean } = {};
  const hosts = args.options.get('host') ?? [];
  if (hosts.length) out.hosts = Object.fromEntries(pairs(hosts, 'host', 'POINT=HOST'));
  const offsets = args.options.get('clock-offset') ?? [];
  if (offsets.length) {
    out.clockOffsets = Object.fromEntries(pairs(offsets, 'clock-offset', 'HOST=SECONDS').map(([h, s]) => {
      const v = Number(s);
      if (s.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--clock-offset ${h}= takes seconds (e.g. 0.037 or -1.5), not '${s}'`);
      return [h, v];
    }));
  }
  if (args.flags.has('no-clock-correction')) out.clockCorrection = false;
  return out;
}
