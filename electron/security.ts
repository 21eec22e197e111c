/**
 * Electron's security checklist, in one place: the window settings every
 * window uses, the Content-Security-Policy of our pages, and the one handler
 * that denies navigation, new windows, webviews and permission requests for
 * every webContents the app ever creates.
 */
import type { App, Session, WebContents, WebPreferences } from 'electron';
import { APP_ORIGIN } from './ipc-contract.js';
import { isHttpUrl } from './ipc-validate.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "worker-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** The hardened settings of every window the app makes (the main window adds its preload, the report-printing window turns JavaScript off). */
export function hardenedWebPreferences(): WebPreferences {
  return {
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

export function secureWebPreferences(preload: string): WebPreferences {
  return { preload, ...hardenedWebPreferences() };
}

/** Whether a navigation target is our own page (reloads of app://overlayscope/...). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

type OpenExternal = (url: string) => Promise<void>;

/** Denies everything a page could use to leave the app; http(s) links go to the user's browser. */
export function hardenWebContents(contents: WebContents, openExternal: OpenExternal): void {
  contents.on('will-navigate', (e, url) => { if (!isAppUrl(url)) e.preventDefault(); });
  contents.on('will-redirect', (e, url) => { if (!isAppUrl(url)) e.preventDefault(); });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isHttpUrl(url)) void openExternal(url);
    return { action: 'deny' };
  });
}

export function hardenApp(app: App, session: Session, openExternal: OpenExternal): void {
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents, openExternal));
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}

/** shell.openExternal, for http(s) only. */
export function safeOpenExternal(open: (url: string) => Promise<void>): OpenExternal {
  return async (url) => {
    if (!isHttpUrl(url)) throw new Error('only http and https links are opened');
    await open(url);
  };
}
