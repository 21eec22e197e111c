/**
 * The header's word on cluster metadata: which file, how many nodes, pods
 * and Services it names, or that none is loaded. A click opens a popover
 * (closes on Escape and an outside click) with the files and a way to add
 * another or replace them. A file that is not kubectl metadata (a capture
 * picked by mistake) is refused by the engine with a message naming it,
 * shown in the window's error banner; the loaded metadata stays.
 */
import { useRef, useState } from 'react';
import { useSession } from '../session.js';
import { usePopoverClose } from './DataTable.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function ClusterChip() {
  const s = useSession();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  usePopoverClose(open, ref, () => setOpen(false));
  if (!s.summary) return null;
  const c = s.summary.cluster ?? null;
  const counts = c ? `${plural(c.nodes, 'node')}, ${plural(c.pods, 'pod')}, ${plural(c.services, 'Service')}` : '';
  const files = c?.files.map((f) => f.split(/[\\/]/).pop() ?? f) ?? [];
  const fileText = files.length ? (files.length === 1 ? files[0]! : `${files[0]} + ${files.length - 1} more`) : 'from the capture bundle';
  const pick = (list: FileList | null, replace: boolean) => {
    const f = Array.from(list ?? []);
    if (!f.length) return;
    setOpen(false);
    void s.loadCluster(s.host.refsForFiles(f), { replace });
  };
  return (
    <div className="cluster-chip-wrap" ref={ref}>
      <button type="button" className={`cluster-chip${c ? ' loaded' : ''}`} data-testid="cluster-chip" aria-expanded={open} aria-haspopup="dialog"
        title={c ? `Cluster metadata: ${files.join(', ') || 'from the capture bundle'} (${counts})` : 'No cluster metadata: names of nodes, pods and Services are inferred where they can be'}
        onClick={() => setOpen((o) => !o)} disabled={s.busy}>
        {c ? <><span className="cluster-dot" aria-hidden="true">●</span> <span className="cluster-file">{fileText}</span> <span className="muted">· {counts}</span></> : <span className="muted">no cluster metadata</span>}
      </button>
      {open ? (
        <div className="cluster-popover" role="dialog" aria-label="Cluster metadata" data-testid="cluster-popover">
          {c ? (
            <>
              <div className="small"><strong>Cluster metadata loaded</strong></div>
              <ul className="cluster-files" data-testid="cluster-files">
                {(c.files.length ? c.files : ['(from the capture bundle or iptables dumps)']).map((f) => <li key={f} title={f}>{f}</li>)}
              </ul>
              <div className="small" data-testid="cluster-counts">{counts}</div>
            </>
          ) : (
            <p className="small">No metadata loaded: nodes, pods and Services are named by inference (marked “inferred”). Load the output of
              <code> kubectl get nodes,pods,services,endpointslices -A -o json</code> (JSON or YAML).</p>
          )}
          <div className="row cluster-actions">
            <label className="btn small primary" title="Use these files instead of the metadata loaded now">
              {c ? 'Replace…' : 'Load…'}
              <input type="file" hidden multiple accept=".json,.yaml,.yml" data-testid="cluster-replace-input"
                onChange={(e) => { const l = e.target.files; pick(l, true); e.target.value = ''; }} />
            </label>
            {c ? (
              <label className="btn small" title="Add files to the metadata loaded now (another namespace, another kind of object)">
                Add…
                <input type="file" hidden multiple accept=".json,.yaml,.yml" data-testid="cluster-add-input"
                  onChange={(e) => { const l = e.target.files; pick(l, false); e.target.value = ''; }} />
              </label>
            ) : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
