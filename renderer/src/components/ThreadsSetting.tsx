/**
 * The header's settings button: "Analysis threads" (issue #18, decision 0015),
 * remembered in localStorage and applied to the next open. Auto is the cores
 * this machine has (navigator.hardwareConcurrency) capped at
 * ANALYSIS_THREADS.autoMax, but 1 while the engine says its parallel split is
 * not faster (ANALYSIS_THREADS.splitFaster; captureSplitFaster: faster for
 * sessions of two or more captures only). The popover also says how the open
 * session was analysed (SessionSummary.threads: the threads, the split that
 * ran), with the reason when it ran on fewer threads than asked.
 */
import { useRef, useState } from 'react';
import { ANALYSIS_THREADS, autoThreads } from '../../../src/api.js';
import { useSession } from '../session.js';
import { usePopoverClose } from './DataTable.js';

/** Where the setting is remembered (as column widths and panes are). */
export const THREADS_KEY = 'overlayscope.analysisThreads';
export type ThreadsChoice = 'auto' | 1 | 2 | 4;
const CHOICES: readonly ThreadsChoice[] = ['auto', 1, 2, 4];

export function readThreadsChoice(): ThreadsChoice {
  try {
    const v = JSON.parse(localStorage.getItem(THREADS_KEY) ?? '"auto"') as unknown;
    return CHOICES.includes(v as ThreadsChoice) ? (v as ThreadsChoice) : 'auto';
  } catch {
    return 'auto';
  }
}

function writeThreadsChoice(c: ThreadsChoice): void {
  try { localStorage.setItem(THREADS_KEY, JSON.stringify(c)); } catch { /* not remembered: storage full or denied */ }
}

/** The cores this machine offers the page, capped (Auto's value once the split is faster). */
export function coresCapped(): number {
  const n = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 1;
  return Math.max(1, Math.min(ANALYSIS_THREADS.autoMax, Number.isInteger(n) && n > 0 ? n : 1));
}

/** What Auto stands for on this build and machine, for captures of `sizes` bytes (the engine decides: src/api.ts autoThreads). */
function autoFor(sizes: number[]): number {
  return autoThreads(sizes, coresCapped());
}

/** The threads the next open asks for (OpenOptions.threads): Auto is resolved by the engine once it knows the captures' sizes. */
export function analysisThreads(): number | 'auto' {
  return readThreadsChoice();
}

const GiB = 2 ** 30;
const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`;

/** Auto's label: what it uses here. */
function autoLabel(): string {
  const one = autoFor([4 * GiB]), many = autoFor([2 * GiB, 2 * GiB]);
  return one === many ? `Auto (${one})` : `Auto (${many} for 2+ captures of ${mib(ANALYSIS_THREADS.autoMinBytes)}+, else ${one})`;
}

/** "2 threads · capture split (…)": how the open session ran. */
export function threadsUsedText(used: { requested: number; used: number; split?: 'stage' | 'capture'; note?: string; auto?: true }): string {
  return `${used.auto ? 'Auto: ' : ''}${used.used} thread${used.used === 1 ? '' : 's'}${used.requested !== used.used ? ` (${used.requested} asked for)` : ''}`
    + `${used.split ? ` · ${used.split} split` : ''}${used.note ? ` · ${used.note}` : ''}`;
}

export function ThreadsSetting() {
  const s = useSession();
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState<ThreadsChoice>(readThreadsChoice);
  const ref = useRef<HTMLDivElement>(null);
  usePopoverClose(open, ref, () => setOpen(false));
  const used = s.summary?.threads;
  const cores = coresCapped();
  const pick = (v: string) => {
    const c: ThreadsChoice = v === 'auto' ? 'auto' : (Number(v) as ThreadsChoice);
    setChoice(c);
    writeThreadsChoice(c);
  };
  return (
    <div className="settings-wrap" style={{ position: 'relative' }} ref={ref}>
      <button type="button" className="btn icon" aria-label="Settings" title="Settings: analysis threads" data-testid="settings-button"
        aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen((o) => !o)}>⚙</button>
      {open ? (
        <div className="cluster-popover" role="dialog" aria-label="Settings" data-testid="settings-popover" style={{ left: 'auto', right: 0, width: 360 }}>
          <div className="small"><strong>Settings</strong></div>
          <label className="row small" style={{ gap: 8, margin: '8px 0 6px', alignItems: 'center' }}>
            Analysis threads
            <select className="input" data-testid="threads-select" value={String(choice)} onChange={(e) => pick(e.target.value)}>
              {CHOICES.map((c) => <option key={c} value={String(c)}>{c === 'auto' ? autoLabel() : c}</option>)}
            </select>
          </label>
          <p className="small muted" data-testid="threads-hint">
            Applied to the next open. 2 or more: several captures are read in shares, one a thread (the capture split); one capture&apos;s flows are built by a second thread (the stage split). The results are the same as with 1.
            {ANALYSIS_THREADS.splitFaster
              ? ` Auto uses this machine's cores, up to ${ANALYSIS_THREADS.autoMax} (${cores} here).`
              : ANALYSIS_THREADS.captureSplitFaster
                ? ` Auto uses this machine's cores, up to ${ANALYSIS_THREADS.autoMax} (${cores} here), for two or more captures of ${mib(ANALYSIS_THREADS.autoMinBytes)} or more in all, and 1 otherwise (below that, or for one capture, a second thread was measured slower than 1).`
                : ` Auto uses 1 until the parallel split is faster on this build (measured: slower than 1 here, with more CPU); this machine offers ${cores}.`}
          </p>
          {used ? (
            <p className="small" data-testid="threads-used">
              This session: {threadsUsedText(used)}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
