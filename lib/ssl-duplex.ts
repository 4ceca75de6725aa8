import { shapeEvents } from './events-shape';
import { AsyncResult, type AsyncCallback, type IAsyncResult } from './async-result';
import { Core, forwardedEvents } from './core';
import { ArgumentError, ArgumentNullError, Messages } from './errors';
import { checkRead, checkShutdown, checkWrite, throwIfAborted, unusable } from './guards';
import type {
  LocalCertificateSelectionCallback,
  RemoteCertificateValidationCallback,
  SslDuplexOptions,
} from './options';
import type { Duplex as NodeDuplex } from 'node:stream';
import { unwrap } from './unwrap';
import { Pending, promise, type Done } from './pending';
import { ReadOp } from './read-half';
import { DotnetAuthentication } from './dotnet-authentication';
import { kCore } from './core';
import { Phase } from './state';
import type { InnerStream } from './transport';
import { checkTimeout } from './validation';
import { WriteOp } from './write-half';

type StreamCallback = (error?: Error | null) => void;

/** The .NET constructor's positional form, or the options object. */
function constructorOptions(
  optionsOrLeaveOpen: SslDuplexOptions | boolean | undefined,
  validation: RemoteCertificateValidationCallback | null | undefined,
  selection: LocalCertificateSelectionCallback | null | undefined,
): SslDuplexOptions {
  if (typeof optionsOrLeaveOpen === 'object' && optionsOrLeaveOpen !== null) return optionsOrLeaveOpen;
  return {
    leaveInnerStreamOpen: optionsOrLeaveOpen === true,
    userCertificateValidationCallback: validation ?? undefined,
    userCertificateSelectionCallback: selection ?? undefined,
  };
}

function checkInnerStream(innerStream: InnerStream): void {
  if (innerStream === null || innerStream === undefined) throw new ArgumentNullError('innerStream');
  const s = innerStream as unknown as Record<string, unknown>;
  if (typeof s.write !== 'function' || typeof s.on !== 'function' || typeof s.pause !== 'function') {
    throw new ArgumentError('innerStream', Messages.notReadWrite);
  }
  if (s.readable === false || s.writable === false) throw new ArgumentError('innerStream', Messages.notReadWrite);
}

/**
 * .NET's `SslStream` for Node: TLS (Node's own `tls`, i.e. OpenSSL) over any inner Duplex, with the
 * APM (`begin*`/`end*`) and promise methods of SslStream and a Node `Duplex` face that runs on the
 * same state machine.
 *
 * Caller mistakes throw synchronously from `begin*` and property accessors, in the contract's
 * order; I/O outcomes arrive later through `end*`, the promise, or (only while the stream face is
 * in use) `'error'`.
 */
export class SslDuplex extends DotnetAuthentication {
  constructor(innerStream: InnerStream, options?: SslDuplexOptions);
  constructor(
    innerStream: InnerStream,
    leaveInnerStreamOpen?: boolean,
    userCertificateValidationCallback?: RemoteCertificateValidationCallback | null,
    userCertificateSelectionCallback?: LocalCertificateSelectionCallback | null,
  );
  constructor(
    innerStream: InnerStream,
    optionsOrLeaveOpen?: SslDuplexOptions | boolean,
    validation?: RemoteCertificateValidationCallback | null,
    selection?: LocalCertificateSelectionCallback | null,
  ) {
    const options = constructorOptions(optionsOrLeaveOpen, validation, selection);
    const duplexOptions: { allowHalfOpen: boolean; highWaterMark?: number } = {
      allowHalfOpen: options.allowHalfOpen === true,
    };
    if (options.highWaterMark !== undefined) duplexOptions.highWaterMark = options.highWaterMark;
    super(duplexOptions);
    shapeEvents(this);
    checkInnerStream(innerStream);
    checkCallback('userCertificateValidationCallback', options.userCertificateValidationCallback);
    checkCallback('userCertificateSelectionCallback', options.userCertificateSelectionCallback);
    const core = new Core(
      this,
      innerStream,
      options.leaveInnerStreamOpen === true,
      options.userCertificateValidationCallback ?? undefined,
      options.userCertificateSelectionCallback ?? undefined,
    );
    this[kCore] = core;
    if (options.readTimeout !== undefined) core.readTimeout = checkTimeout(options.readTimeout, 'readTimeout');
    if (options.writeTimeout !== undefined) core.writeTimeout = checkTimeout(options.writeTimeout, 'writeTimeout');
    if (options.keylog !== undefined && options.keylog !== null) {
      const sink = options.keylog;
      if (typeof sink !== 'function' && typeof (sink as NodeJS.WritableStream).write !== 'function') {
        throw new ArgumentError('keylog', Messages.keylogSink);
      }
      // NSS key log lines (SSLKEYLOGFILE format), as Wireshark reads them.
      this.on('keylog', (line: Buffer) => {
        if (typeof sink === 'function') sink(line);
        else (sink as NodeJS.WritableStream).write(line);
      });
    }
    this.on('newListener', SslDuplex.#onNewListener);
  }

  /** TLS turns session and key-log events on only for listeners; forward them the same way. */
  static readonly #onNewListener = function (this: SslDuplex, event: string | symbol): void {
    if (forwardedEvents.includes(event as string)) this[kCore].forwardTlsEvent(event as string);
  };

  // ───────────────────────────────────────── read, write ─────────────────────────────────────────

  /**
   * Starts a read into `buffer[offset, offset + count)`; completes as soon as at least one byte (or
   * the end, 0) is there. Throws synchronously, in this order: `ObjectDisposedError` or a stored
   * fault, then `InvalidOperationError` (not authenticated), `ArgumentNullError`/`ArgumentError('buffer')`,
   * `ArgumentOutOfRangeError('offset')`, `ArgumentOutOfRangeError('count')`, `NotSupportedError`
   * (another read pending, the stream face included). I/O failures come from {@link endRead}.
   */
  beginRead(
    buffer: Uint8Array,
    offset: number,
    count: number,
    asyncCallback?: AsyncCallback | null,
    asyncState?: unknown,
  ): IAsyncResult {
    const core = this[kCore];
    const n = checkRead(core, buffer, offset, count);
    const ar = new AsyncResult<number>(this, 'read', asyncCallback ?? undefined, asyncState);
    core.read.start(new ReadOp(ar.done, buffer, offset, n));
    return ar.started();
  }

  /**
   * Finishes {@link beginRead}: the number of bytes read, 0 at the end of the stream. Throws the
   * read's `IOError`/`TimeoutError`, or `ObjectDisposedError` when disposed while pending; and
   * `ArgumentError`/`InvalidOperationError` for a foreign, repeated or early call.
   */
  endRead(asyncResult: IAsyncResult): number {
    return AsyncResult.end<number>(this, 'read', asyncResult);
  }

  /**
   * Resolves with the number of bytes read (at least 1), 0 at the end of the stream. Never throws:
   * rejects with the errors {@link beginRead} throws, then `AbortError` for an aborted `signal`, then
   * the read's `IOError`. Aborting a pending read loses no byte and leaves the stream usable.
   */
  readAsync(buffer: Uint8Array, offset = 0, count?: number, signal?: AbortSignal): Promise<number> {
    return promise<number>((done) => {
      const core = this[kCore];
      const n = checkRead(core, buffer, offset, count);
      throwIfAborted(signal);
      const op = new ReadOp(done, buffer, offset, n);
      if (signal) op.abortWith(signal, (error) => core.read.cancel(op, error));
      core.read.start(op);
    });
  }

  /**
   * Starts writing `buffer[offset, offset + count)`; completes when its bytes have been encrypted
   * and handed to the transport. The bytes are not copied: leave the buffer alone until then.
   * Throws synchronously, in this order: `ObjectDisposedError` or a stored fault, then
   * `InvalidOperationError` (not authenticated), `ArgumentNullError`/`ArgumentError('buffer')`,
   * `ArgumentOutOfRangeError('offset')`, `ArgumentOutOfRangeError('count')`, `InvalidOperationError`
   * (after shutdown), `NotSupportedError` (another write pending, the stream face included).
   */
  beginWrite(
    buffer: Uint8Array,
    offset: number,
    count: number,
    asyncCallback?: AsyncCallback | null,
    asyncState?: unknown,
  ): IAsyncResult {
    const core = this[kCore];
    const n = checkWrite(core, buffer, offset, count);
    const ar = new AsyncResult<void>(this, 'write', asyncCallback ?? undefined, asyncState);
    this.#submitWrite(new WriteOp(ar.done, [buffer.subarray(offset, offset + n)], false), n);
    return ar.started();
  }

  /**
   * Finishes {@link beginWrite}. Throws the write's `IOError`/`TimeoutError`, or
   * `ObjectDisposedError` when disposed while pending; and `ArgumentError`/`InvalidOperationError`
   * for a foreign, repeated or early call.
   */
  endWrite(asyncResult: IAsyncResult): void {
    AsyncResult.end<void>(this, 'write', asyncResult);
  }

  /**
   * Resolves when the bytes have been handed to the transport. Never throws: rejects with the
   * errors {@link beginWrite} throws, then `AbortError` for an aborted `signal`, then the write's
   * `IOError`. Aborting a pending write faults the stream (the peer may have seen part of a record).
   */
  writeAsync(buffer: Uint8Array, offset = 0, count?: number, signal?: AbortSignal): Promise<void> {
    return promise<void>((done) => {
      const core = this[kCore];
      const n = checkWrite(core, buffer, offset, count);
      throwIfAborted(signal);
      const op = new WriteOp(done, [buffer.subarray(offset, offset + n)], false);
      if (signal) op.abortWith(signal, (error) => core.fail(error));
      this.#submitWrite(op, n);
    });
  }

  #submitWrite(op: WriteOp, count: number): void {
    const core = this[kCore];
    core.read.keepHalfOpen();
    if (count === 0) op.settle(null);
    else core.write.submit(op);
  }

  // ─────────────────────────────────────── shutdown, dispose ───────────────────────────────────────

  /**
   * Sends close_notify; `canWrite` is false at once, reads go on. Allowed while a write is pending
   * (close_notify follows it). Rejects with `ObjectDisposedError` or a stored fault, or
   * `InvalidOperationError` when not authenticated or already shut down.
   */
  shutdownAsync(): Promise<void> {
    return promise<void>((done) => {
      const core = this[kCore];
      checkShutdown(core);
      core.read.keepHalfOpen();
      core.write.shutdownNow(new Pending<void>(done));
    });
  }

  /**
   * Ends TLS and goes on in plaintext on the same connection (beyond .NET, like Python's `unwrap()`;
   * needs `leaveInnerStreamOpen`): resolves with the inner stream, paused, every byte the peer sent
   * after its close_notify still readable from it. Errors: see unwrap.ts and contract §6.
   */
  unwrapAsync(signal?: AbortSignal): Promise<NodeDuplex> {
    return unwrap(
      this[kCore],
      () => this.shutdownAsync(),
      () => this.dispose(),
      signal,
    );
  }

  /** Releases everything; idempotent, never throws, sends no close_notify. */
  dispose(): void {
    // The face goes first, so that pending stream writes fail into a destroyed stream (no 'error').
    if (!this.destroyed) this.destroy();
    else this[kCore].dispose();
  }

  /** `close()` is `dispose()`, as in .NET. */
  close(): void {
    this.dispose();
  }

  /** `using stream = new SslDuplex(…)` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ──────────────────────────── the stream face (same slots as above) ────────────────────────────

  /** @internal The stream face's read: the same read slot as `beginRead`. */
  override _read(): void {
    const core = this[kCore];
    if (core.phase === Phase.Faulted) this.destroy(core.fault as Error);
    else core.read.streamRead();
  }

  /** @internal Queued before authentication; the same write slot as `beginWrite`. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: StreamCallback): void {
    const error = unusable(this[kCore]);
    if (error !== undefined) cb(error as Error);
    else this[kCore].write.submit(new WriteOp(cb as Done<void>, [chunk], true));
  }

  /** @internal The writes buffered behind the one in flight go to TLS together: one write, one callback. */
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: StreamCallback): void {
    const error = unusable(this[kCore]);
    if (error !== undefined) cb(error as Error);
    else
      this[kCore].write.submit(
        new WriteOp(
          cb as Done<void>,
          chunks.map((c) => c.chunk),
          true,
        ),
      );
  }

  /** @internal `end()`: close_notify after the last write. */
  override _final(cb: StreamCallback): void {
    const error = unusable(this[kCore]);
    if (error !== undefined) cb(error as Error);
    else this[kCore].write.submit(new WriteOp(cb as Done<void>, null, true));
  }

  /** @internal `destroy()` disposes. */
  override _destroy(error: Error | null, cb: (error: Error | null) => void): void {
    this[kCore].faceDestroyed(error);
    cb(error);
  }
}

function checkCallback(name: string, cb: unknown): void {
  if (cb !== undefined && cb !== null && typeof cb !== 'function') throw new ArgumentError(name);
}
