import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Core } from './core';
import { InvalidOperationError, IOError, Messages, NotSupportedError } from './errors';
import { throwIfAborted, throwIfNotAuthenticated, throwIfUnusable } from './guards';

/**
 * unwrapAsync (contract §6): close_notify both ways, then the inner stream back with every byte
 * the peer sent after its close_notify still readable from it. Only a connection whose TLS runs
 * over the library's record-feeding Transport can do it (leaveInnerStreamOpen): Node's native path
 * drops the bytes after a close_notify inside TLSWrap.
 */
function checkUnwrap(core: Core, signal: AbortSignal | undefined): void {
  throwIfUnusable(core);
  throwIfNotAuthenticated(core);
  if (!core.leaveInnerStreamOpen || core.transport === null) {
    throw new InvalidOperationError(Messages.unwrapNeedsLeaveOpen);
  }
  if (core.read.op !== null) throw new NotSupportedError(Messages.nestedRead);
  throwIfAborted(signal);
}

/** Resolves once the peer's close_notify has been read (its plaintext before it drained to us). */
async function peerCloseNotify(core: Core, tls: TLSSocket, signal: AbortSignal | undefined): Promise<void> {
  const transport = core.transport!;
  for (;;) {
    if (transport.endedWithoutCloseNotify) throw new IOError(Messages.endedBeforeCloseNotify);
    if (tls.readableEnded) return;
    if (tls.destroyed) throw new IOError(Messages.endedBeforeCloseNotify);
    // Each of these may be the one: wait for the first, then look again.
    const ac = new AbortController();
    const options = { signal: ac.signal };
    const waits = [once(tls, 'end', options), once(transport, 'innerEnd', options), once(tls, 'close', options)];
    if (signal) waits.push(once(signal, 'abort', options));
    try {
      await Promise.race(waits);
    } catch (err) {
      if (signal?.aborted) throw err;
    } finally {
      ac.abort();
    }
    throwIfAborted(signal);
  }
}

/**
 * Rejects (never throws, as every promise method) with `ObjectDisposedError` or the stored fault,
 * `InvalidOperationError` (not authenticated, no `leaveInnerStreamOpen`), `NotSupportedError` (a
 * read pending), `IOError` (the transport ended before the peer's close_notify) or `AbortError`.
 */
export async function unwrap(
  core: Core,
  shutdown: () => Promise<void>,
  dispose: () => void,
  signal: AbortSignal | undefined,
): Promise<Duplex> {
  checkUnwrap(core, signal);
  core.read.keepHalfOpen();
  const tls = core.tls!;
  if (!core.write.shutdown) await shutdown();
  else if (!tls.writableFinished && !tls.destroyed) await once(tls, 'finish');
  await peerCloseNotify(core, tls, signal);
  const inner = core.transport!.handBack();
  dispose();
  return inner as unknown as Duplex;
}
