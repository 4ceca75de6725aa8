import { AbortError, InvalidOperationError, Messages, NotSupportedError, ObjectDisposedError } from './errors';
import { Phase } from './state';
import { checkBufferArguments } from './validation';

/** Client or server: fixed by the first authentication attempt. */
export type Role = 'client' | 'server';

/** What the guards read: the stream's phase, its stored fault and who holds the two slots. */
export interface GuardView {
  readonly phase: Phase;
  readonly fault: unknown;
  readonly role: Role | null;
  /** `shutdownAsync()` or `end()` sent (or is sending) close_notify. */
  readonly shutdown: boolean;
  /** A read is pending: an APM/promise read, or the stream face reading. */
  readBusy(): boolean;
  /** A write is pending or waiting: APM, promise or stream face. */
  writeBusy(): boolean;
}

// The contract's check order (§4): every face calls these, in this order, before it starts anything.

/** Rule 1 without the throw: a stored fault (the same object), or a new ObjectDisposedError. */
export function unusable(v: GuardView): unknown {
  if (v.phase === Phase.Disposed) return new ObjectDisposedError();
  if (v.phase === Phase.Faulted) return v.fault;
  return undefined;
}

/** Rule 1. */
export function throwIfUnusable(v: GuardView): void {
  const error = unusable(v);
  if (error !== undefined) throw error;
}

/** Rules 1–2. */
export function throwIfNotAuthenticated(v: GuardView): void {
  throwIfUnusable(v);
  if (v.phase !== Phase.Authenticated) throw new InvalidOperationError(Messages.notAuthenticated);
}

/** Rules 1–5 and 7 for a read; returns the count. */
export function checkRead(v: GuardView, buffer: unknown, offset: unknown, count: unknown): number {
  throwIfNotAuthenticated(v);
  const n = checkBufferArguments(buffer, offset, count);
  if (v.readBusy()) throw new NotSupportedError(Messages.nestedRead);
  return n;
}

/** Rules 1–7 for a write; returns the count. */
export function checkWrite(v: GuardView, buffer: unknown, offset: unknown, count: unknown): number {
  throwIfNotAuthenticated(v);
  const n = checkBufferArguments(buffer, offset, count);
  if (v.shutdown) throw new InvalidOperationError(Messages.alreadyShutdown);
  if (v.writeBusy()) throw new NotSupportedError(Messages.nestedWrite);
  return n;
}

/** `shutdownAsync()`: rules 1–2, then once only. */
export function checkShutdown(v: GuardView): void {
  throwIfNotAuthenticated(v);
  if (v.shutdown) throw new InvalidOperationError(Messages.alreadyShutdown);
}

/** Authentication (§5), after the arguments: one at a time, one role, once. */
export function checkAuthenticate(v: GuardView, role: Role): void {
  throwIfUnusable(v);
  if (v.phase === Phase.Authenticating) throw new InvalidOperationError(Messages.nestedAuth);
  if (v.role !== null && v.role !== role) throw new InvalidOperationError(Messages.roleSwitch);
  if (v.phase === Phase.Authenticated) throw new InvalidOperationError(Messages.reauth);
}

/** After every other check (Node's cancellation): an already-aborted signal. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}
