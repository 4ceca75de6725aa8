import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';

/** A readable of `total` pseudo-random bytes in chunks of random size in [min, max]. */
export function randomSource(
  total: number,
  min = 1,
  max = 65536,
  seed = 1,
): { stream: Readable; digest: Promise<string> } {
  const hash = createHash('sha256');
  let left = total;
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  const block = randomBytes(1 << 20);
  let resolve!: (d: string) => void;
  const digest = new Promise<string>((r) => (resolve = r));
  const stream = new Readable({
    read() {
      if (left === 0) {
        resolve(hash.digest('hex'));
        this.push(null);
        return;
      }
      const size = Math.min(left, min + (next() % (max - min + 1)));
      const start = next() % (block.length - size + 1);
      const chunk = Buffer.from(block.subarray(start, start + size));
      left -= size;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest };
}

/** A writable that hashes what it gets. */
export function hashSink(): { stream: Writable; digest: Promise<string>; bytes: () => number } {
  const hash = createHash('sha256');
  let n = 0;
  let resolve!: (d: string) => void;
  const digest = new Promise<string>((r) => (resolve = r));
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      hash.update(chunk);
      cb();
    },
    final(cb) {
      resolve(hash.digest('hex'));
      cb();
    },
  });
  return { stream, digest, bytes: () => n };
}
