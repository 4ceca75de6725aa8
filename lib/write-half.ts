import type { TLSSocket } from 'node:tls';
import { InvalidOperationError, IOError, Messages, TimeoutError } from './errors';
import { Pending, type Done } from './pending';

/** A write from any face. `chunks === null` is the stream face's `end()`: close_notify. */
export class WriteOp extends Pending<void> {
  constructor(
    done: Done<void>,
    readonly chunks: Uint8Array[] | null,
    /** A stream-face write: queued before authentication, refused after shutdown. */
    readonly stream: boolean,
  ) {
    super(done);
  }
}

/** What the write half needs of the connection it serves. */
export interface WriteHost {
  /** The TLS socket, or null before the handshake started. */
  readonly tls: TLSSocket | null;
  /** Milliseconds a write may wait; -1 for ever. */
  readonly writeTimeout: number;
  /** Plaintext handed to TLS (bytesWritten, the idle timer). */
  wrote(bytes: number): void;
  /** A write failed or timed out: TLS's record sequence is broken, the connection faults. */
  failed(error: unknown): void;
}

/**
 * The one write slot, shared by the APM, promise and stream faces. One write at a time goes to
 * TLS and completes on TLS's own callback, i.e. when its records have been handed to the
 * transport (as a `net.Socket` write does), so the caller may reuse its buffer and a
 * `destroy()` in the callback loses nothing. Small stream writes stay cheap because the stream
 * face buffers behind the one in flight and hands them over together (`_writev`): one TLS write
 * and one callback round for the lot. A batch of small writes is copied into one slab first: one
 * Buffer through TLSSocket's Writable costs far less than a pass per chunk (256-byte writes:
 * 1.03× raw corked, 1.13–1.29× through a slab). A batch of large writes goes corked instead, where
 * the copy would cost more than the passes it saves.
 */
const COALESCE_LIMIT = 64 * 1024;

/**
 * Slabs for those batches, shared by every connection and handed back when TLS calls back (it has
 * encrypted the bytes by then, and only one write per connection is in flight). A fresh Buffer per
 * batch was an ArrayBuffer per ~16 KiB for the GC to track: measured at 0.7× raw once the process
 * had moved a few hundred MiB. A slab whose write fails is left to the GC (TLS may still hold it).
 */
const freeSlabs: Buffer[] = [];
const kMaxFreeSlabs = 16;

function slabFor(chunks: readonly Uint8Array[]): Buffer {
  const slab = freeSlabs.pop() ?? Buffer.allocUnsafeSlow(COALESCE_LIMIT);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    slab.set(chunks[i]!, at);
    at += chunks[i]!.length;
  }
  return slab;
}

export class WriteHalf {
  readonly #host: WriteHost;
  /** The write TLS holds. */
  #inFlight: WriteOp | null = null;
  /** A stream write or `end()` waiting for authentication or for the write in flight. */
  #waiting: WriteOp | null = null;
  /** Who waits for the close_notify being sent (`shutdownAsync()`, then maybe `end()`); null when none. */
  #closing: Pending<void>[] | null = null;
  #shutdown = false;
  #open = false;
  /** TLS's write callback, made on first use: an idle connection does not carry it. */
  #onWritten: ((err?: Error | null) => void) | undefined = undefined;
  /** The slab of the batch in flight, if it went through one. */
  #slab: Buffer | null = null;

  constructor(host: WriteHost) {
    this.#host = host;
  }

  /** A write is in flight or waiting (rule 7). */
  get busy(): boolean {
    return this.#inFlight !== null || this.#waiting !== null;
  }

  /** A write has been handed to TLS and not yet called back. */
  get inFlight(): boolean {
    return this.#inFlight !== null;
  }

  /** The stream face has a write, an `end()` or a close_notify outstanding here. */
  get streamBusy(): boolean {
    return this.#inFlight?.stream === true || this.#waiting !== null || this.#closing !== null;
  }

  /** Somebody waits for a close_notify being sent. */
  get closing(): boolean {
    return this.#closing !== null;
  }

  /** close_notify was sent or is being sent. */
  get shutdown(): boolean {
    return this.#shutdown;
  }

  /** Authentication succeeded: what waited goes now. */
  open(): void {
    this.#open = true;
    this.#next();
  }

  /** Hands `op` to TLS now, or once authentication or the write ahead of it completes. */
  submit(op: WriteOp): void {
    if (!this.#open || this.#inFlight !== null) this.#waiting = op;
    else this.#send(op);
  }

  /** `shutdownAsync()`: close_notify after the write in flight, if any. */
  shutdownNow(pending: Pending<void>): void {
    this.#shutdown = true;
    const socket = this.#host.tls;
    if (socket === null || socket.writableFinished) {
      pending.settle(null);
      return;
    }
    this.#closing = [pending];
    socket.end((err?: Error | null) => {
      if (err) this.#host.failed(new IOError(Messages.writeFailed, { cause: err }));
      const waiting = this.#closing;
      this.#closing = null;
      if (waiting !== null) for (let i = 0; i < waiting.length; i++) waiting[i]!.settle(null);
    });
  }

  /** The TLS socket closed: a write it still held can never complete. */
  transportClosed(): void {
    if (this.#inFlight !== null) {
      this.#host.failed(new IOError(Messages.writeFailed, { cause: new Error(Messages.transportClosed) }));
    }
  }

  /** The connection faulted or was disposed: everything outstanding gets `error`. */
  fail(error: unknown): void {
    this.#open = false;
    this.#slab = null; // TLS may still hold it: not reused
    const inFlight = this.#inFlight;
    const waiting = this.#waiting;
    const closing = this.#closing;
    this.#inFlight = null;
    this.#waiting = null;
    this.#closing = null;
    inFlight?.settle(error);
    waiting?.settle(error);
    if (closing !== null) for (const pending of closing) pending.settle(error);
  }

  #next(): void {
    const op = this.#waiting;
    if (op !== null && this.#open && this.#inFlight === null) {
      this.#waiting = null;
      this.#send(op);
    }
  }

  #send(op: WriteOp): void {
    const chunks = op.chunks;
    if (chunks === null) {
      // end() after shutdownAsync(): done when that close_notify is.
      if (this.#closing !== null) this.#closing.push(op);
      else if (this.#shutdown) op.settle(null);
      else this.shutdownNow(op);
      return;
    }
    if (op.stream && this.#shutdown) {
      op.settle(new InvalidOperationError(Messages.alreadyShutdown));
      return;
    }
    this.#inFlight = op;
    const socket = this.#host.tls;
    if (socket === null || socket.destroyed || !socket.writable) {
      this.#host.failed(new IOError(Messages.writeFailed, { cause: new Error(Messages.transportClosed) }));
      return;
    }
    const onWritten = (this.#onWritten ??= (err) => this.#written(err));
    let bytes = 0;
    for (let i = 0; i < chunks.length; i++) bytes += chunks[i]!.length;
    if (chunks.length === 1) {
      socket.write(chunks[0]!, onWritten);
    } else if (bytes <= COALESCE_LIMIT) {
      const slab = (this.#slab = slabFor(chunks));
      socket.write(slab.subarray(0, bytes), onWritten);
    } else {
      socket.cork();
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) socket.write(chunks[i]!);
      socket.write(chunks[last]!, onWritten);
      socket.uncork();
    }
    this.#host.wrote(bytes);
    if (this.#inFlight === op) {
      const ms = this.#host.writeTimeout;
      if (ms > 0) op.expireAfter(ms, () => this.#host.failed(new TimeoutError(Messages.writeTimedOut(ms))));
    }
  }

  #written(err?: Error | null): void {
    const op = this.#inFlight;
    if (op === null) return; // failed meanwhile: already settled
    const slab = this.#slab;
    this.#slab = null;
    if (err) {
      this.#host.failed(new IOError(Messages.writeFailed, { cause: err }));
      return;
    }
    if (slab !== null && freeSlabs.length < kMaxFreeSlabs) freeSlabs.push(slab);
    this.#inFlight = null;
    op.settle(null);
    this.#next();
  }
}
