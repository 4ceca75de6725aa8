/** What `fn` throws synchronously; a call that does not throw fails the spec. */
export function throwsFrom(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a synchronous throw');
}
