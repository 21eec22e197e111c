/**
 * The one wrapper every IPC handler goes through: it checks the sender,
 * validates the arguments, then calls the handler. Errors cross back as
 * plain Error messages (Electron keeps only the message). Takes Electron's
 * ipcMain as a parameter so it is tested with a minimal fake.
 */
import type { SenderInfo } from './trusted-sender.js';

export interface IpcMainLike {
  handle(channel: string, listener: (event: SenderInfo, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export class UntrustedSenderError extends Error {
  constructor(channel: string) {
    super(`${channel}: refused a call from an untrusted sender`);
    this.name = 'UntrustedSenderError';
  }
}

export function guardedHandler<A extends unknown[], R>(
  channel: string,
  isTrusted: (e: SenderInfo) => boolean,
  validate: (args: unknown) => A,
  handler: (event: SenderInfo, ...args: A) => R | Promise<R>,
): (event: SenderInfo, ...raw: unknown[]) => Promise<R> {
  return async (event, ...raw) => {
    if (!isTrusted(event)) throw new UntrustedSenderError(channel);
    const args = validate(raw);
    return handler(event, ...args);
  };
}

/** Registers a guarded handler; returns the channel for bookkeeping. */
export function handle<A extends unknown[], R>(
  ipc: IpcMainLike, channel: string, isTrusted: (e: SenderInfo) => boolean,
  validate: (args: unknown) => A, handler: (event: SenderInfo, ...args: A) => R | Promise<R>,
): string {
  ipc.removeHandler(channel);
  ipc.handle(channel, guardedHandler(channel, isTrusted, validate, handler));
  return channel;
}
