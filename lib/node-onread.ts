import type { Duplex } from 'readable-stream';
import { kCore, type Core } from './core';

/** net.Socket's `onread`: plaintext copied into the caller's buffer(s) instead of `'data'` events. */
export interface OnRead {
  buffer: Uint8Array | (() => Uint8Array);
  callback: (bytesWritten: number, buffer: Uint8Array) => boolean | void;
}

/** net.Socket honours `onread` only when it is well formed, and ignores it silently otherwise. */
export function onReadOf(value: unknown): OnRead | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { buffer, callback } = value as Partial<OnRead>;
  const bufferOk = buffer instanceof Uint8Array || typeof buffer === 'function';
  return bufferOk && typeof callback === 'function' ? { buffer: buffer!, callback } : undefined;
}

/**
 * Routes the plaintext of `stream` to `onread` as net.Socket does: each piece fills one buffer
 * (a buffer function is asked for a new one per piece, and once more at the end, as each of TLS's
 * reads allocates); `pause()`, or the callback returning false, holds the next chunk until `resume()`.
 */
export function deliverToOnRead(stream: Duplex & { [kCore]: Core }, onread: OnRead): void {
  const core = stream[kCore];
  const { buffer, callback } = onread;
  const next = typeof buffer === 'function' ? buffer : (): Uint8Array => buffer;
  core.sink = (chunk) => {
    if (chunk === null) {
      if (typeof buffer === 'function') buffer();
      stream.push(null);
      stream.read(0);
      return false;
    }
    for (let at = 0; at < chunk.length;) {
      const into = next();
      const n = Math.min(into.length, chunk.length - at);
      into.set(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
      at += n;
      if (callback.call(stream, n, into) === false) stream.pause();
    }
    return !stream.isPaused();
  };
  stream.on('resume', () => core.read.streamRead());
  // Nobody calls _read when plaintext bypasses the stream's buffer: ask for it from the start.
  core.read.streamRead();
}
