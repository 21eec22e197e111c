/**
 * Follow stream: a TCP flow's payload in order, each direction in its own
 * colour (text only), under a head that says whose stream it is (the flow's
 * two endpoints and where it was seen) and which colour is which direction.
 */
import type { FlowRow, StreamView } from '../../../src/api.js';
import { ErrorState, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';
import { fmtBytes, fmtEndpoint, fmtInt } from '../format.js';

/** Bytes and segments each way. */
function perDirection(v: StreamView) {
  const t = { AtoB: { bytes: 0, segments: 0 }, BtoA: { bytes: 0, segments: 0 } };
  for (const s of v.segments) { t[s.dir].bytes += s.bytes; t[s.dir].segments++; }
  return t;
}

export function StreamPanel({ flow, onClose }: { flow: number; onClose(): void }) {
  const { host, version } = useSession();
  const st = useAsync<StreamView>(() => host.api.getStream(flow), [host, version, flow]);
  // Whose stream: the flow's endpoints and capture points (the head stays plain if that lookup fails).
  const fl = useAsync<FlowRow | null>(() => host.api.getFlowDetail(flow).then((d) => d.flow, () => null), [host, version, flow]);
  const row = fl.status === 'ok' ? fl.value : null;
  const dirs = st.status === 'ok' ? perDirection(st.value) : null;
  const a = row ? fmtEndpoint(row.a) : 'A', b = row ? fmtEndpoint(row.b) : 'B';
  return (
    <div className="modal" role="dialog" aria-label={`Stream of flow ${flow}`} onKeyDown={(e) => { if (e.key === 'Escape') onClose(); }}>
      <div className="modal-box">
        <div className="modal-head">
          <div className="stream-head" data-testid="stream-head">
            <strong>Follow stream · flow #{flow}</strong>
            {row ? <span className="muted small"> · {row.transport.toUpperCase()} {a} ⇄ {b} · seen at {row.captures.join(', ')}</span> : null}
            {dirs ? (
              <div className="stream-legend small" data-testid="stream-legend">
                <span className="seg-key seg-AtoB">{a} → {b}: {fmtBytes(dirs.AtoB.bytes)} in {fmtInt(dirs.AtoB.segments)} segment{dirs.AtoB.segments === 1 ? '' : 's'}</span>
                <span className="seg-key seg-BtoA">{b} → {a}: {fmtBytes(dirs.BtoA.bytes)} in {fmtInt(dirs.BtoA.segments)} segment{dirs.BtoA.segments === 1 ? '' : 's'}</span>
              </div>
            ) : null}
          </div>
          <button type="button" className="btn" onClick={onClose} autoFocus>Close</button>
        </div>
        {st.status === 'loading' ? <Loading what="stream" /> : st.status === 'error' ? <ErrorState error={st.error} what="Follow stream" /> : (
          <div className="stream mono" data-testid="stream">
            {st.value.segments.length === 0 ? <div className="muted">No payload in this flow (handshake and acknowledgements only).</div> : null}
            {st.value.segments.map((s, i) => <pre key={i} className={`seg seg-${s.dir}`} title={`${s.dir === 'AtoB' ? `${a} → ${b}` : `${b} → ${a}`} · ${s.time} · ${s.bytes} bytes`}>{s.text}</pre>)}
            {st.value.truncated ? <div className="muted">… truncated</div> : null}
          </div>
        )}
      </div>
    </div>
  );
}
