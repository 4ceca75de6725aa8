import { ArgumentError, ArgumentNullError, ArgumentOutOfRangeError, Messages } from './errors';

/**
 * Rules 3–5 of the contract's check order: buffer, then offset, then count. `count` undefined
 * means "to the end of the buffer" (the promise forms' default).
 */
export function checkBufferArguments(buffer: unknown, offset: unknown, count: unknown): number {
  if (buffer === null || buffer === undefined) throw new ArgumentNullError('buffer');
  if (!(buffer instanceof Uint8Array)) throw new ArgumentError('buffer', Messages.bufferType);
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > buffer.length) {
    throw new ArgumentOutOfRangeError('offset');
  }
  const n = count === undefined ? buffer.length - offset : count;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || offset + n > buffer.length) {
    throw new ArgumentOutOfRangeError('count');
  }
  return n;
}

/** `readTimeout`/`writeTimeout`: -1 (infinite) or a positive integer of milliseconds. */
export function checkTimeout(value: unknown, paramName = 'value'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value === 0 || value < -1) {
    throw new ArgumentOutOfRangeError(paramName, Messages.timeoutRange);
  }
  return value;
}
