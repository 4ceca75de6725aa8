import { ArgumentError, ArgumentNullError, InvalidOperationError, Messages } from './errors';

/** .NET's `IAsyncResult`. `asyncWaitHandle` resolves (never rejects) once the operation completed. */
export interface IAsyncResult {
  /** The `state` argument given to the `begin*` call, unchanged. */
  readonly asyncState: unknown;
  /** True once the operation finished, successfully or not; `end*` then returns at once. */
  readonly isCompleted: boolean;
  /**
   * True when the operation completed inside the `begin*` call (a read served from bytes already
   * decrypted, a write the transport took at once). The callback still runs later, never inside
   * `begin*`.
   */
  readonly completedSynchronously: boolean;
  /** Resolves (never rejects) when the operation completed: `await ar.asyncWaitHandle`, then `end*`. */
  readonly asyncWaitHandle: Promise<void>;
}

/** .NET's `AsyncCallback`: called once, never from inside the `begin*` call. */
export type AsyncCallback = (ar: IAsyncResult) => void;

/** Which `end*` method an `IAsyncResult` belongs to. */
export type OperationKind = 'read' | 'write' | 'authenticateAsClient' | 'authenticateAsServer';

const endNames: Record<OperationKind, string> = {
  read: 'EndRead',
  write: 'EndWrite',
  authenticateAsClient: 'EndAuthenticateAsClient',
  authenticateAsServer: 'EndAuthenticateAsServer',
};

/**
 * The one `IAsyncResult` implementation. The wait handle is made on first use so that an operation
 * nobody waits on allocates no promise.
 */
export class AsyncResult<T> implements IAsyncResult {
  readonly asyncState: unknown;
  readonly owner: object;
  readonly kind: OperationKind;
  #callback: AsyncCallback | undefined;
  #completed = false;
  #synchronous = false;
  #ended = false;
  #error: unknown = undefined;
  #failed = false;
  #value: T | undefined = undefined;
  #wake: (() => void) | undefined;
  #handle: Promise<void> | undefined;
  /** True while the `begin*` call that made this result is still on the stack. */
  #starting = true;

  constructor(owner: object, kind: OperationKind, callback: AsyncCallback | undefined, state: unknown) {
    if (callback !== undefined && callback !== null && typeof callback !== 'function') {
      throw new ArgumentError('asyncCallback');
    }
    this.owner = owner;
    this.kind = kind;
    this.#callback = callback ?? undefined;
    this.asyncState = state;
  }

  get isCompleted(): boolean {
    return this.#completed;
  }

  get completedSynchronously(): boolean {
    return this.#synchronous;
  }

  get asyncWaitHandle(): Promise<void> {
    if (this.#handle === undefined) {
      this.#handle = this.#completed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
    }
    return this.#handle;
  }

  /** Completion callback handed to the core operation. */
  readonly done = (error: unknown, value?: T): void => {
    if (this.#completed) return;
    this.#completed = true;
    this.#synchronous = this.#starting;
    if (error !== undefined && error !== null) {
      this.#failed = true;
      this.#error = error;
    } else {
      this.#value = value;
    }
    this.#wake?.();
    if (this.#callback !== undefined) process.nextTick(this.#callback, this);
  };

  /** Called by `begin*` right before it returns. */
  started(): this {
    this.#starting = false;
    return this;
  }

  /**
   * The shared body of every `end*` method: argument checks in .NET's order, then the outcome.
   * JS cannot block, so ending an operation that has not completed is a caller mistake.
   */
  static end<T>(owner: object, kind: OperationKind, ar: IAsyncResult | null | undefined): T {
    if (ar === null || ar === undefined) throw new ArgumentNullError('asyncResult');
    if (!(ar instanceof AsyncResult) || ar.owner !== owner || ar.kind !== kind) {
      throw new ArgumentError('asyncResult', Messages.foreignAsyncResult);
    }
    const result = ar as AsyncResult<T>;
    if (result.#ended) {
      throw new InvalidOperationError(Messages.endedTwice(endNames[kind]));
    }
    if (!result.#completed) {
      throw new InvalidOperationError(Messages.endedEarly(endNames[kind]));
    }
    result.#ended = true;
    if (result.#failed) throw result.#error;
    return result.#value as T;
  }
}
