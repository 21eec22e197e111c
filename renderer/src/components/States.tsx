/** Empty, loading and error states, the same everywhere. */
import type { ReactNode } from 'react';

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <div className="state-title">{title}</div>
      {children ? <div className="state-body">{children}</div> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-busy="true">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

/** An engine error; "not available yet" features get a calmer look than failures. */
export function ErrorState({ error, what }: { error: unknown; what?: string }) {
  const e = error instanceof Error ? error : new Error(String(error));
  const notYet = e.name === 'NotAvailableError' || /not available/i.test(e.message);
  return (
    <div className={`state ${notYet ? 'state-unavailable' : 'state-error'}`} role="alert" data-testid={notYet ? 'not-available' : 'error-state'}>
      <div className="state-title">{notYet ? `${what ?? 'This view'} is not available in this build yet` : `Could not load ${what ?? 'this view'}`}</div>
      <div className="state-body">{notYet ? 'It arrives with the engine work on it; the other views work now.' : <span className="mono">{e.message}</span>}</div>
    </div>
  );
}
