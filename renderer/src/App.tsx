/** The window: toolbar, progress, tabs of views, drag-and-drop of captures and kubectl files. */
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { SourceRef } from '../../src/api.js';
import type { ExportFormat } from '../../electron/ipc-contract.js';
import { useProgress, useSession } from './session.js';
import { Empty, ErrorState } from './components/States.js';
import { Overview } from './views/Overview.js';
import { Packets } from './views/Packets.js';
import { Flows } from './views/Flows.js';
import { Overlay } from './views/Overlay.js';
import { Dns, Http } from './views/Transactions.js';
import { Compare } from './views/Compare.js';
import { ClusterChip } from './components/ClusterChip.js';
import { ThreadsSetting } from './components/ThreadsSetting.js';
import { fmtBytes, fmtInt } from './format.js';

const TABS = ['Overview', 'Flows', 'Packets', 'Overlay', 'HTTP', 'DNS', 'Compare'] as const;
type Tab = (typeof TABS)[number];

const CLUSTER_FILE = /\.(json|ya?ml)$/i;

const FORMAT_NAMES: Record<ExportFormat, string> = { html: 'HTML report', pdf: 'PDF', md: 'Markdown', csv: 'CSV (flows)', json: 'JSON', zip: 'CSV tables (zip)', parquet: 'Parquet tables (zip)', pcapng: 'pcapng for Wireshark' };

/** A label worth showing beside the point count: a folder's or lab scenario's name, not "client-eth0 + 13 more". */
const shortLabel = (label: string): string | null => (/ \+ \d+ more$/.test(label) || label.includes(', ') ? null : label);

interface ExportMessage {
  text: string;
  tone: 'info' | 'error';
  action?: { label: string; run(): void };
}

export function App() {
  const s = useSession();
  const [tab, setTab] = useState<Tab>('Overview');
  const [theme, setTheme] = useState<'light' | 'dark'>(() => (localStorage.getItem('theme') as 'light' | 'dark' | null) ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  const [dragging, setDragging] = useState(false);
  const [exportMsg, setExportMsg] = useState<ExportMessage | null>(null);
  const autoOpened = useRef(false);

  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    localStorage.setItem('theme', theme);
  }, [theme]);

  // With no file given, open the lab captures served with the app.
  useEffect(() => {
    if (autoOpened.current || !s.lab || s.summary || s.busy) return;
    autoOpened.current = true;
    if (new URLSearchParams(location.search).get('autoload') !== '0' && s.lab.scenarios.length) void s.openLab();
  }, [s.lab, s.summary, s.busy, s]);

  // Desktop menu commands.
  useEffect(() => s.host.shell?.onMenu((cmd) => {
    switch (cmd.command) {
      case 'open': case 'open-recent': if (cmd.sources?.length) void s.open(cmd.sources); break;
      case 'add-capture': if (cmd.sources?.length) void s.add(cmd.sources); break;
      case 'load-cluster': if (cmd.sources?.length) void s.loadCluster(cmd.sources); break;
      case 'export-report': void exportReport('html'); break;
      case 'compare': setTab('Compare'); break;
    }
  }), [s]);

  const openFiles = (files: File[], mode: 'open' | 'add') => {
    const caps = files.filter((f) => !CLUSTER_FILE.test(f.name));
    const cluster = files.filter((f) => CLUSTER_FILE.test(f.name));
    // A folder's files carry their folder (folder/file.pcap): the session is named after it.
    const capRefs: SourceRef[] = s.host.refsForFiles(caps).map((r, i) => (r.kind === 'blob' && caps[i]!.webkitRelativePath ? { ...r, name: caps[i]!.webkitRelativePath } : r));
    const clusterRefs: SourceRef[] = s.host.refsForFiles(cluster);
    if (capRefs.length) {
      void (mode === 'add' && s.summary ? s.add(capRefs) : s.open(capRefs, clusterRefs.length ? { cluster: clusterRefs } : {}));
    } else if (clusterRefs.length) void s.loadCluster(clusterRefs);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = Array.from(e.dataTransfer.files);
    if (files.length) openFiles(files, e.shiftKey ? 'add' : 'open');
  };

  async function exportReport(format: ExportFormat) {
    try {
      if (s.host.shell) {
        // Desktop: main shows the save dialog (every format, this one first), prints PDFs, writes atomically.
        const saved = await s.host.shell.saveReportAs(format);
        setExportMsg(saved ? { tone: 'info', text: `Saved the ${FORMAT_NAMES[saved.format]} to ${saved.path}` } : null);
        return;
      }
      if (format === 'pdf') {
        setExportMsg({
          tone: 'info',
          text: 'PDF export is a desktop-app feature (it prints the HTML report). In the browser: download the HTML report, open it, then use Print → Save as PDF.',
          action: { label: 'Download HTML report', run: () => void exportReport('html') },
        });
        return;
      }
      // Browser: the engine's Web Worker makes the file (Parquet and pcapng: the same code as the CLI's), then it is downloaded.
      const r = format === 'parquet' || format === 'pcapng' ? await s.host.api.exportData(format) : await s.host.api.exportReport(format);
      const url = URL.createObjectURL(new Blob([r.bytes ? new Uint8Array(r.bytes) : r.text], { type: r.mime }));
      const a = document.createElement('a');
      a.href = url;
      a.download = r.fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExportMsg({ tone: 'info', text: `Downloaded ${r.fileName}` });
    } catch (e) {
      setExportMsg({ tone: 'error', text: `Export failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  return (
    <div className="app" onDragOver={(e) => { e.preventDefault(); setDragging(true); }} onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false); }} onDrop={onDrop}>
      <header className="topbar">
        <div className="brand"><span className="logo" aria-hidden="true">◈</span> OverlayScope</div>
        {/* The name gives way (whole on hover), never the count of capture points; the metadata chip gives way before either. */}
        <div className="session-label" data-testid="session-label" style={s.summary ? { minWidth: `${(shortLabel(s.summary.label) ? Math.min(s.summary.label.length, 13) + 3 : 0) + `${s.summary.captures.length} capture points`.length}ch` } : undefined} title={s.summary ? `${s.summary.label} · ${s.summary.captures.length} capture point${s.summary.captures.length === 1 ? '' : 's'}` : undefined}>{s.summary ? <>
          {shortLabel(s.summary.label) ? <span className="session-name" data-testid="session-name">{s.summary.label}</span> : null}
          <span className="session-points">{shortLabel(s.summary.label) ? ' · ' : ''}{s.summary.captures.length} capture point{s.summary.captures.length === 1 ? '' : 's'}</span>
        </> : 'no capture open'}</div>
        <ClusterChip />
        <div className="actions">
          <label className="btn primary" title="Open captures (pcap, pcapng, .gz, tar/zip archives, capture tools' bundles); kubectl JSON/YAML is loaded as cluster metadata">
            Open…<input data-testid="file-input" type="file" multiple hidden accept=".pcap,.pcapng,.cap,.gz,.tgz,.tar,.zip,.txt,.json,.yaml,.yml"
              onChange={(e) => { const f = Array.from(e.target.files ?? []); e.target.value = ''; if (f.length) openFiles(f, 'open'); }} />
          </label>
          <label className={`btn${s.summary ? '' : ' disabled'}`} title="Add capture points to this session">
            Add…<input data-testid="add-input" type="file" multiple hidden disabled={!s.summary} accept=".pcap,.pcapng,.cap,.gz,.tgz,.tar,.zip,.txt"
              onChange={(e) => { const f = Array.from(e.target.files ?? []); e.target.value = ''; if (f.length) openFiles(f, 'add'); }} />
          </label>
          <label className="btn" title="Open every capture of a folder (one file per capture point); the session is named after the folder">
            Folder…<input data-testid="folder-input" type="file" hidden
              ref={(el) => { if (el) { el.setAttribute('webkitdirectory', ''); el.setAttribute('directory', ''); } }}
              onChange={(e) => { const f = Array.from(e.target.files ?? []).filter((x) => /\.(pcap|pcapng|cap|gz|tgz|tar|zip|txt|json|ya?ml)$/i.test(x.name)).sort((x, y) => x.webkitRelativePath.localeCompare(y.webkitRelativePath)); e.target.value = ''; if (f.length) openFiles(f, 'open'); }} />
          </label>
          {s.lab?.scenarios.length ? (
            <select className="input" aria-label="Open lab scenario" value="" onChange={(e) => { if (e.target.value) void s.openLab(e.target.value); }}>
              <option value="">Lab captures…</option>
              {s.lab.scenarios.map((sc) => <option key={sc.name} value={sc.name}>{sc.name} ({sc.captures.length} points)</option>)}
            </select>
          ) : null}
          <select className="input" aria-label="Export report" data-testid="export" value="" disabled={!s.summary} onChange={(e) => { if (e.target.value) void exportReport(e.target.value as ExportFormat); }}>
            <option value="">Export…</option>
            <option value="html">HTML report</option>
            <option value="pdf">{s.host.kind === 'electron' ? 'PDF' : 'PDF (desktop app)'}</option>
            <option value="md">Markdown</option><option value="csv">CSV (flows)</option><option value="zip">CSV tables (zip: flows, HTTP, DNS)</option><option value="json">JSON</option>
            <option value="parquet">Parquet (all tables, zip)</option><option value="pcapng">pcapng for Wireshark</option>
          </select>
          <ThreadsSetting />
          <button type="button" className="btn icon" aria-label="Toggle dark theme" title="Light / dark" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>{theme === 'dark' ? '☀' : '☾'}</button>
        </div>
      </header>

      {s.busy ? <ProgressBar onCancel={s.cancel} /> : null}
      {s.error ? (
        <div className="banner banner-error" role="alert" data-testid="open-error">
          {s.error} <button type="button" className="btn small" onClick={s.dismissError}>Dismiss</button>
        </div>
      ) : null}
      {exportMsg ? (
        <div className={`banner banner-${exportMsg.tone}`} role={exportMsg.tone === 'error' ? 'alert' : 'status'} data-testid="export-message">
          {exportMsg.text}
          {exportMsg.action ? <button type="button" className="btn small primary" onClick={exportMsg.action.run}>{exportMsg.action.label}</button> : null}
          <button type="button" className="btn small" onClick={() => setExportMsg(null)}>{exportMsg.action ? 'Close' : 'OK'}</button>
        </div>
      ) : null}

      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={`tab${tab === t ? ' active' : ''}`} onClick={() => setTab(t)} data-testid={`tab-${t.toLowerCase()}`}>
            {t}
            {s.summary && t === 'Flows' ? <span className="count">{fmtInt(s.summary.flows)}</span> : null}
            {s.summary && t === 'Packets' ? <span className="count">{fmtInt(s.summary.packets)}</span> : null}
          </button>
        ))}
      </nav>

      <main className="main" role="tabpanel">
        {tab === 'Compare' ? <Compare /> : !s.summary ? (
          s.busy ? <LoadingCounts /> : (
            <Empty title="Open a capture">
              <p>Drop pcap or pcapng files here (one per capture point), with a kubectl JSON if you have one; or use <strong>Open…</strong>.
                Files are read here, in this {s.host.kind === 'electron' ? 'app' : 'browser'}, and never uploaded.</p>
              {s.lab?.scenarios.length ? <button type="button" className="btn primary" onClick={() => void s.openLab()}>Open the lab captures</button> : null}
            </Empty>
          )
        ) : tab === 'Overview' ? <Overview summary={s.summary} />
          : tab === 'Flows' ? <Flows />
          : tab === 'Packets' ? <Packets summary={s.summary} />
          : tab === 'Overlay' ? <Overlay />
          : tab === 'HTTP' ? <Http />
          : tab === 'DNS' ? <Dns />
          : <ErrorState error={new Error(`unknown view ${String(tab)}`)} />}
      </main>
      {dragging ? <div className="dropzone" aria-hidden="true"><div>Drop captures to open them · hold Shift to add them to this session</div></div> : null}
    </div>
  );
}

/** The loading bar: bytes read of total, live packet count (the first counts), and Cancel. */
function ProgressBar({ onCancel }: { onCancel(): void }) {
  const p = useProgress();
  if (!p || (p.phase !== 'reading' && p.phase !== 'correlating')) return null;
  const pct = p.bytesTotal ? Math.min(100, (p.bytesRead / p.bytesTotal) * 100) : 0;
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} data-testid="progress">
      <div className="progress-bar" style={{ width: `${pct}%` }} />
      <div className="progress-text">
        {p.phase === 'correlating' ? 'Correlating capture points… ' : `Reading ${fmtBytes(p.bytesRead)} of ${fmtBytes(p.bytesTotal)} (${Math.floor(pct)}%) · `}
        <span><strong data-testid="live-packets">{fmtInt(p.packets)}</strong> packets</span>
        <button type="button" className="btn small" onClick={onCancel} data-testid="cancel">Cancel</button>
      </div>
    </div>
  );
}

/** While the first session loads: the counts so far, large (they arrive long before the summary). */
function LoadingCounts() {
  const p = useProgress();
  return (
    <div className="state state-loading" role="status" aria-busy="true">
      <div className="state-title"><span className="spinner" /> Reading captures…</div>
      {p && p.bytesTotal ? (
        <div className="stats loading-stats">
          <div className="stat"><div className="stat-value">{fmtInt(p.packets)}</div><div className="stat-label">packets so far</div></div>
          <div className="stat"><div className="stat-value">{fmtBytes(p.bytesRead)}</div><div className="stat-label">of {fmtBytes(p.bytesTotal)} read</div></div>
          <div className="stat"><div className="stat-value">{p.capture + 1}</div><div className="stat-label">capture being read</div></div>
        </div>
      ) : null}
    </div>
  );
}
