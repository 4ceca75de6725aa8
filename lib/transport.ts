import { Duplex } from 'node:stream';
import { IOError, Messages } from './errors';
import { RecordBoundary } from './record-boundary';

/** What `SslDuplex` needs of an inner stream: any Node or readable-stream Duplex has it. */
export interface InnerStream extends NodeJS.EventEmitter {
  /** Hands ciphertext to the transport; `false` asks for a wait until `'drain'`. */
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  /** Ends the transport's writable side (on dispose, unless `leaveInnerStreamOpen`). */
  end(cb?: () => void): unknown;
  /** Tears the transport down (on dispose, unless `leaveInnerStreamOpen`; or if `end` does not close it). */
  destroy(error?: Error): unknown;
  /** Stops `'data'` while TLS has not asked for more. */
  pause(): unknown;
  /** Restarts `'data'` when TLS asks for more. */
  resume(): unknown;
  /** Optional: batches the records of one flush. */
  cork?(): void;
  /** Optional: ends a `cork()`. */
  uncork?(): void;
  /** When set, string chunks are turned back into bytes with this encoding. */
  readonly readableEncoding?: BufferEncoding | null;
  /** True once the transport is destroyed: nothing more is written to it. */
  readonly destroyed?: boolean;
  /** True when the transport ended before SslDuplex wrapped it. */
  readonly readableEnded?: boolean;
  /** False when the transport can take no more writes. */
  readonly writable?: boolean;
}

/**
 * The shim between Node's TLS (which sees this as its "socket") and the caller's inner stream.
 * It exists for what Node's own wrapper cannot do: leave the inner stream open after TLS ends
 * (`leaveInnerStreamOpen`), turn string chunks into bytes (a string reaching TLSWrap aborts the
 * process, nodejs/node#58756), report a transport that ends inside a TLS record, and complete
 * writes on acceptance by the inner stream rather than on wire completion.
 */
export class Transport extends Duplex {
  readonly #inner: InnerStream;
  readonly #leaveOpen: boolean;
  readonly #records = new RecordBoundary();
  #attached = true;
  #innerEnded = false;
  #endPushed = false;
  /** Inbound bytes not yet handed to TLS (the record-feeding mode, leaveInnerStreamOpen). */
  #held: Buffer[] = [];
  #feeding = false;
  /** Callbacks of writes the inner stream took beyond its buffer: they complete at its 'drain'. */
  #waitingForDrain: Array<(err?: Error | null) => void> = [];

  constructor(inner: InnerStream, leaveOpen: boolean) {
    // allowHalfOpen: the TLS layer above decides when to end its own side (half-close).
    super({ allowHalfOpen: true, decodeStrings: true });
    this.#inner = inner;
    this.#leaveOpen = leaveOpen;
    inner.on('data', this.#onData);
    inner.on('end', this.#onEnd);
    inner.on('close', this.#onClose);
    inner.on('error', this.#onError);
    inner.on('drain', this.#onDrain);
    // Reading starts when TLS asks for it (_read), not before.
    inner.pause();
    if (inner.readableEnded === true) process.nextTick(this.#onEnd);
    // TLS over a JS stream pauses and resumes it for flow control; a resume with nothing buffered
    // here does not call _read again, so the record feeder listens for it.
    if (leaveOpen) this.on('resume', this.#feed);
  }

  /** True once the inner stream ended while a TLS record was only partly received. */
  get endedInsideRecord(): boolean {
    return this.#innerEnded && this.#records.insideRecord;
  }

  readonly #onData = (chunk: unknown): void => {
    let bytes: Buffer;
    if (typeof chunk === 'string') {
      bytes = Buffer.from(chunk, this.#inner.readableEncoding ?? 'utf8');
    } else if (chunk instanceof Uint8Array) {
      bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else {
      this.destroy(new IOError(Messages.notBytes));
      return;
    }
    if (this.#leaveOpen) {
      this.#held.push(bytes);
      this.#feedRecords();
      return;
    }
    this.#records.feed(bytes);
    if (!this.push(bytes)) this.#inner.pause();
  };

  readonly #feed = (): void => this.#feedRecords();

  /**
   * With leaveInnerStreamOpen the connection may be unwrapped (unwrapAsync), so no byte after the
   * peer's close_notify may reach TLS: it is fed one record at a time, and TLS processes each piece
   * before push() returns (TLS over a JS stream reads on the same stack), so the close_notify is
   * seen before the next byte goes. Pieces are pushed only while TLS reads (flowing, nothing
   * buffered) and never from inside _read, where the push would be buffered instead.
   */
  #feedRecords(): void {
    if (this.#feeding) return;
    this.#feeding = true;
    try {
      while (this.#held.length > 0 && this.#attached && !this.#closeNotifySeen()) {
        if (this.readableFlowing !== true || this.readableLength > 0 || this.destroyed) break;
        const chunk = this.#held[0]!;
        const n = this.#records.toRecordEnd(chunk);
        const piece = n === chunk.length ? chunk : chunk.subarray(0, n);
        if (n === chunk.length) this.#held.shift();
        else this.#held[0] = chunk.subarray(n);
        this.#records.feed(piece);
        this.push(piece);
      }
      if (this.#closeNotifySeen() || this.#held.length > 0) {
        // TLS is done (what is held is the caller's, after unwrap) or not reading: hold the rest
        // there; TLS reading again ('resume') feeds on.
        this.#inner.pause();
      } else if (this.#innerEnded) {
        if (this.#attached && !this.#endPushed) {
          this.#endPushed = true;
          this.push(null);
        }
      } else if (this.#attached && this.readableFlowing === true) {
        this.#inner.resume();
      }
    } finally {
      this.#feeding = false;
    }
  }

  /** The TLS socket above has read the peer's close_notify (set by the core once TLS exists). */
  tlsEnded: () => boolean = () => false;

  #closeNotifySeen(): boolean {
    return this.#leaveOpen && this.tlsEnded();
  }

  /**
   * unwrapAsync's last step: lets go of the inner stream, paused, none of our listeners left, the
   * bytes held past the peer's close_notify put back in front of whatever it buffers, in order.
   */
  handBack(): InnerStream {
    this.#detach();
    return this.#inner;
  }

  /**
   * True once TLS was told of the inner stream's end: it had not read a close_notify by then (we
   * push the end only to a TLS that has not ended), so an unwrap cannot complete.
   */
  get endedWithoutCloseNotify(): boolean {
    return this.#endPushed;
  }

  readonly #onEnd = (): void => {
    if (this.#innerEnded || !this.#attached) return;
    this.#innerEnded = true;
    this.emit('innerEnd');
    if (this.#leaveOpen) {
      // What is held still goes to TLS first (a record cut short fails there, as it should).
      if (this.#held.length > 0 || this.#closeNotifySeen()) {
        this.#feedRecords();
        return;
      }
    }
    if (this.#records.insideRecord) {
      this.destroy(new IOError(Messages.eofMidRecord));
      return;
    }
    this.#endPushed = true;
    this.push(null);
  };

  readonly #onClose = (): void => {
    // An inner stream destroyed without 'end' ends the transport too.
    if (!this.#innerEnded) this.#onEnd();
    // Writes still waiting for a 'drain' will never get one: they failed.
    if (this.#attached && this.#waitingForDrain.length > 0) {
      this.destroy(new IOError(Messages.transportClosedBeforeWrite));
    }
  };

  readonly #onError = (err: Error): void => {
    this.destroy(err);
  };

  readonly #onDrain = (): void => {
    const waiting = this.#waitingForDrain;
    if (waiting.length > 0) {
      this.#waitingForDrain = [];
      for (const w of waiting) w();
    }
  };

  /**
   * Node's TLS over a JS stream (JSStreamSocket) calls write() for every batch of records, inside
   * cork()/uncork(). While nothing is queued here, the bytes go straight to the inner stream: the
   * Writable queue in between would only add a second copy of the inner stream's own bookkeeping
   * to every record. The callback still runs asynchronously, once the inner stream took the bytes.
   */
  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const callback = (typeof encoding === 'function' ? encoding : cb) as ((err?: Error | null) => void) | undefined;
    if (
      !this.#attached ||
      this.destroyed ||
      this.writableEnded ||
      this.writableLength > 0 ||
      this.#waitingForDrain.length > 0 ||
      !Buffer.isBuffer(chunk)
    ) {
      return super.write(chunk, encoding as BufferEncoding, callback);
    }
    let ok: boolean;
    try {
      ok = this.#inner.write(chunk);
    } catch (err) {
      this.destroy(err as Error);
      if (callback) process.nextTick(callback, err);
      return false;
    }
    if (callback) {
      if (ok) process.nextTick(callback);
      else this.#waitingForDrain.push(callback);
    }
    return ok;
  }

  /** Corking goes to the inner stream, which batches the records of one flush. */
  override cork(): void {
    this.#inner.cork?.();
  }

  override uncork(): void {
    try {
      this.#inner.uncork?.();
    } catch (err) {
      // The corked writes reach the inner stream here: a throwing one is a broken transport.
      this.destroy(err as Error);
    }
  }

  override _read(): void {
    if (!this.#attached) return;
    if (this.#leaveOpen) {
      if (this.#held.length > 0) process.nextTick(this.#feed);
      if (this.#closeNotifySeen()) return;
    }
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.#attached) {
      // Unwrapped: the inner stream is the caller's now; TLS has nothing more to say on it.
      cb();
      return;
    }
    let ok: boolean;
    try {
      ok = this.#inner.write(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (ok) cb();
    else this.#waitingForDrain.push(cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (!this.#attached) {
      cb();
      return;
    }
    let ok = true;
    try {
      this.#inner.cork?.();
      for (const { chunk } of chunks) ok = this.#inner.write(chunk);
      this.#inner.uncork?.();
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (ok) cb();
    else this.#waitingForDrain.push(cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.#leaveOpen && this.#attached) {
      try {
        this.#inner.end();
      } catch (err) {
        cb(err as Error);
        return;
      }
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.#detach();
    if (!this.#leaveOpen) closeInner(this.#inner);
    const closed = err ?? new IOError(Messages.transportClosed);
    const waiting = this.#waitingForDrain;
    this.#waitingForDrain = [];
    for (const w of waiting) w(closed);
    cb(err);
  }

  /** Hands the inner stream back: paused, and with none of our listeners left on it. */
  #detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    const inner = this.#inner;
    inner.removeListener('data', this.#onData);
    inner.removeListener('end', this.#onEnd);
    inner.removeListener('close', this.#onClose);
    inner.removeListener('error', this.#onError);
    inner.removeListener('drain', this.#onDrain);
    inner.pause();
    // Bytes TLS never got (past the peer's close_notify, or not yet fed) go back in front of what
    // the inner stream buffers after them, in order.
    const held = this.#held;
    this.#held = [];
    const unshift = (inner as InnerStream & { unshift?(chunk: Buffer): void }).unshift;
    if (held.length > 0 && inner.destroyed !== true && typeof unshift === 'function') {
      unshift.call(inner, held.length === 1 ? held[0]! : Buffer.concat(held));
    }
    // A stream already destroyed is nothing to hand back, but its pending 'error' must not escape.
    if (inner.destroyed === true) inner.on('error', ignore);
  }
}

/**
 * Ends the inner stream, then destroys it. Ending first matters for streams that do not pass a
 * destroy on to their peer (an in-memory pair): the peer sees its end of stream. A peer that never
 * reads cannot hold the stream open for long.
 */
export function closeInner(inner: InnerStream): void {
  // Errors after we let go must not become uncaught exceptions: a reset while ending, or an error
  // the stream was destroyed with a moment ago and has not emitted yet (it emits on the next tick).
  inner.on('error', ignore);
  if (inner.destroyed === true) return;
  const destroy = (): void => {
    clearTimeout(timer);
    try {
      inner.destroy();
    } catch {
      // Nothing left to release.
    }
  };
  const timer = setTimeout(destroy, 2000);
  timer.unref();
  const w = inner as InnerStream & { writableFinished?: boolean; writableEnded?: boolean };
  if (w.writable === false || w.writableFinished === true) {
    destroy();
    return;
  }
  inner.once('finish', destroy);
  inner.once('close', destroy);
  try {
    if (w.writableEnded !== true) inner.end();
  } catch {
    destroy();
  }
}

function ignore(): void {}
