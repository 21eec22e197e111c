/** Follow stream: a TCP flow's payload in order, each direction in its own colour (text only). */
import type { StreamView } from '../../../src/api.js';
import { ErrorState, Loading } from '../components/States.js';
import { useAsync } from '../components/useAsync.js';
import { useSession } from '../session.js';

export function StreamPanel({ flow, onClose }: { flow: number; onClose(): void }) {
  const { host, version } = useSession();
  const st = useAsync<StreamView>(() => host.api.getStream(flow), [host, version, flow]);
  return (
    <div className="modal" role="dialog" aria-label={`Stream of flow ${flow}`} onKeyDown={(e) => { if (e.key === 'Escape') onClose(); }}>
      <div className="modal-box">
        <div className="modal-head"><strong>Follow stream · flow {flow}</strong><button type="button" className="btn" onClick={onClose} autoFocus>Close</button></div>
        {st.status === 'loading' ? <Loading what="stream" /> : st.status === 'error' ? <ErrorState error={st.error} what="Follow stream" /> : (
          <div className="stream mono" data-testid="stream">
            {st.value.segments.map((s, i) => <pre key={i} className={`seg seg-${s.dir}`} title={`${s.time} · ${s.bytes} bytes`}>{s.text}</pre>)}
            {st.value.truncated ? <div className="muted">… truncated</div> : null}
          </div>
        )}
      </div>
    </div>
  );
}
