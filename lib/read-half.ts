import { Messages, TimeoutError } from './errors';
import { Pending, type Done } from './pending';

/** Plaintext read ahead of any reader before TLS stops reading the transport. */
const kReadAhead = 64 * 1024;

const kEof = 1;
const kOpen = 2;
const kFlowing = 4;
const kStreamWants = 8;
const kStreamEnded = 16;
const kPumping = 32;
const kApmUsed = 64;

/** An APM or promise read: where the plaintext goes, and who hears of it. */
export class ReadOp extends Pending<number> {
  constructor(
    done: Done<number>,
    readonly buffer: Uint8Array,
    readonly offset: number,
    readonly count: number,
  ) {
    super(done);
  }
}

/** What the read half needs of the connection it serves. */
export interface ReadHost {
  /** The stream face's `push`: false asks for nothing more until its next `_read`. */
  push(chunk: Buffer | null): boolean;
  /** The stream face's end, also when nobody reads it (`push(null)`, then `read(0)`, as net.Socket does). */
  endStream(): void;
  /** Starts or stops TLS reading the transport. */
  flow(on: boolean): void;
  /** Milliseconds an APM/promise read may wait; -1 for ever. */
  readonly readTimeout: number;
  /** The read cannot go on (a timeout): the connection faults with `error`. */
  failed(error: unknown): void;
}

/**
 * The one read slot. Plaintext from TLS queues here until somebody takes it: a pending APM/promise
 * read first (copied into the caller's buffer), else the stream face (TLS's chunks, no copy). TLS
 * reads the transport only while somebody waits or little is queued, so unread plaintext stays
 * under kReadAhead plus one chunk.
 */
export class ReadHalf {
  readonly #host: ReadHost;
  /** Made on first use: an idle connection carries none. */
  #queue: Buffer[] | null = null;
  #queued = 0;
  #op: ReadOp | null = null;
  /** The booleans below, one bit each: idle connections are many, and each field costs 8 bytes. */
  #flags = 0;

  constructor(host: ReadHost) {
    this.#host = host;
  }

  #flag(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }
  #setFlag(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }
  /** The peer's close_notify or the transport's end was seen. */
  get #eof(): boolean {
    return this.#flag(kEof);
  }
  set #eof(on: boolean) {
    this.#setFlag(kEof, on);
  }
  /** Authenticated and not failed: plaintext may be handed out. */
  get #open(): boolean {
    return this.#flag(kOpen);
  }
  set #open(on: boolean) {
    this.#setFlag(kOpen, on);
  }
  /** TLS reads the transport. */
  get #flowing(): boolean {
    return this.#flag(kFlowing);
  }
  set #flowing(on: boolean) {
    this.#setFlag(kFlowing, on);
  }
  get #streamWants(): boolean {
    return this.#flag(kStreamWants);
  }
  set #streamWants(on: boolean) {
    this.#setFlag(kStreamWants, on);
  }
  /** The stream face got its end (push(null)). */
  get #streamEnded(): boolean {
    return this.#flag(kStreamEnded);
  }
  set #streamEnded(on: boolean) {
    this.#setFlag(kStreamEnded, on);
  }
  /** See keepHalfOpen. */
  get #apmUsed(): boolean {
    return this.#flag(kApmUsed);
  }
  set #apmUsed(on: boolean) {
    this.#setFlag(kApmUsed, on);
  }
  get #pumping(): boolean {
    return this.#flag(kPumping);
  }
  set #pumping(on: boolean) {
    this.#setFlag(kPumping, on);
  }

  /** The APM/promise methods are in use (see keepHalfOpen). */
  get apmUsed(): boolean {
    return this.#apmUsed;
  }

  /** The pending APM/promise read, if any. */
  get op(): ReadOp | null {
    return this.#op;
  }

  /** The stream face asked for data it has not been given yet. */
  get streamWants(): boolean {
    return this.#streamWants;
  }

  /** Authentication succeeded: hand out what arrives. */
  open(): void {
    this.#open = true;
    this.#pump();
  }

  /** Plaintext from TLS. */
  data(chunk: Buffer): void {
    // The common case: the stream face is reading and nothing is queued.
    if (this.#streamWants && this.#op === null && !this.#queue?.length && !this.#pumping) {
      if (!this.#host.push(chunk)) this.#streamWants = false;
      return;
    }
    (this.#queue ??= []).push(chunk);
    this.#queued += chunk.length;
    this.#pump();
  }

  /** The peer's close_notify, or the transport's end: reads return 0 from now on. */
  end(): void {
    this.#eof = true;
    this.#pump();
  }

  /**
   * The APM/promise methods are in use (a read, a write, a shutdown): the peer's end no longer
   * ends the stream face by itself, so that the program keeps .NET's half-close (contract §4).
   */
  keepHalfOpen(): void {
    this.#apmUsed = true;
  }

  /**
   * A read of `count = 0` waits like any other until plaintext is here (or the end, or a failure),
   * then completes with 0 and takes nothing: .NET code waits for data that way (contract §4).
   */
  start(op: ReadOp): void {
    this.#apmUsed = true;
    this.#op = op;
    this.#pump();
    if (this.#op === op) {
      const ms = this.#host.readTimeout;
      // No closure for the common case of no timeout.
      if (ms > 0) op.expireAfter(ms, () => this.#host.failed(new TimeoutError(Messages.readTimedOut(ms))));
    }
  }

  /** Withdraws `op` before it took anything (an abort): no byte is lost. */
  cancel(op: ReadOp, error: unknown): void {
    if (this.#op !== op) return;
    this.#op = null;
    this.#pump();
    op.settle(error);
  }

  /** The stream face's `_read`. */
  streamRead(): void {
    this.#streamWants = true;
    if (this.#open) this.#pump();
  }

  /** The connection faulted or was disposed: the pending read gets `error`, nothing more flows. */
  fail(error: unknown): void {
    this.#open = false;
    const op = this.#op;
    this.#op = null;
    op?.settle(error);
  }

  #pump(): void {
    if (this.#pumping || !this.#open) return;
    this.#pumping = true;
    try {
      // No array until plaintext has to wait: an idle connection carries none.
      const queue = this.#queue;
      const op = this.#op;
      if (op !== null && ((queue !== null && queue.length > 0) || this.#eof)) {
        this.#op = null;
        op.settle(null, this.#takeInto(op.buffer, op.offset, op.count));
      }
      while (this.#streamWants && this.#op === null && this.#open) {
        const chunk = queue?.shift();
        if (chunk !== undefined) {
          this.#queued -= chunk.length;
          this.#streamWants = this.#host.push(chunk);
        } else {
          if (this.#eof && !this.#streamEnded) {
            this.#streamEnded = true;
            this.#streamWants = false;
            this.#host.push(null);
          }
          break;
        }
      }
      // The end of the peer's data ends the stream face even when nobody reads it, once nothing is
      // left unread, so that `allowHalfOpen: false` ends our side and 'close' follows (contract §7).
      // A program that reads with the APM/promise methods keeps its half-close instead (§4).
      if (this.#eof && !this.#streamEnded && !this.#apmUsed && this.#op === null && !this.#queue?.length) {
        this.#streamEnded = true;
        this.#streamWants = false;
        this.#host.endStream();
      }
      this.#flowControl();
    } finally {
      this.#pumping = false;
    }
  }

  /** Stopping and restarting the transport for every read costs more than the read. */
  #flowControl(): void {
    if (!this.#open) return;
    const flow = !this.#eof && (this.#op !== null || this.#streamWants || this.#queued < kReadAhead);
    if (flow === this.#flowing) return;
    this.#flowing = flow;
    this.#host.flow(flow);
  }

  /** Copies queued plaintext into the caller's buffer; what does not fit stays queued. */
  #takeInto(buffer: Uint8Array, offset: number, count: number): number {
    const queue = this.#queue;
    let n = 0;
    while (queue !== null && n < count && queue.length > 0) {
      const chunk = queue[0]!;
      const take = Math.min(chunk.length, count - n);
      buffer.set(take === chunk.length ? chunk : chunk.subarray(0, take), offset + n);
      n += take;
      if (take === chunk.length) queue.shift();
      else queue[0] = chunk.subarray(take);
    }
    this.#queued -= n;
    return n;
  }
}
