/**
 * Who may call the main process: only the top frame of one of our own
 * windows, showing our own page (app://overlayscope/). Anything else (an
 * iframe, a navigated-away page, an unknown webContents) is refused.
 */
import { APP_ORIGIN } from './ipc-contract.js';

/** The part of Electron's IpcMainInvokeEvent this check reads. */
export interface SenderInfo {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export function isTrustedSender(event: SenderInfo, trustedWebContents: ReadonlySet<number>): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (!trustedWebContents.has(event.sender.id)) return false;
  let url: URL;
  try { url = new URL(frame.url); } catch { return false; }
  return `${url.protocol}//${url.host}` === APP_ORIGIN;
}
