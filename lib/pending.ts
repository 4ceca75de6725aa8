import { addAbortListener } from 'node:events';
import { AbortError } from './errors';

/** How an operation's outcome is delivered: an error, or null and the value. */
export type Done<T> = (error: unknown, value?: T) => void;

/**
 * One operation in flight (a read, a write, an authentication, a close_notify): its completion
 * runs once, and the timer and abort listener it carries are released on the way out, whoever
 * settles it first (TLS, the timer, the signal, a fault, dispose).
 */
export class Pending<T> {
  #done: Done<T> | null;
  #timer: NodeJS.Timeout | undefined = undefined;
  #abort: Disposable | undefined = undefined;

  constructor(done: Done<T>) {
    this.#done = done;
  }

  get settled(): boolean {
    return this.#done === null;
  }

  /** After `ms` (when positive) `onTimeout` runs, unless the operation settled first. */
  expireAfter(ms: number, onTimeout: () => void): void {
    if (ms > 0 && this.#done !== null) this.#timer = setTimeout(onTimeout, ms);
  }

  /** When `signal` aborts before the operation settled, `onAbort` gets the AbortError to report. */
  abortWith(signal: AbortSignal | undefined, onAbort: (error: AbortError) => void): void {
    if (signal === undefined || this.#done === null) return;
    this.#abort = addAbortListener(signal, () => onAbort(new AbortError(undefined, { cause: signal.reason })));
  }

  settle(error: unknown, value?: T): void {
    const done = this.#done;
    if (done === null) return;
    this.#done = null;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#abort?.[Symbol.dispose]();
    done(error, value);
  }
}

/** The promise forms: caller mistakes become a rejected promise instead of a throw. */
export function promise<T>(start: (done: Done<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((err, value) => (err !== null && err !== undefined ? reject(err) : resolve(value as T)));
  });
}
