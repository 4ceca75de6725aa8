import { expect } from 'chai';
import * as fc from 'fast-check';
import {
  ArgumentOutOfRangeError,
  InvalidOperationError,
  NotSupportedError,
  ObjectDisposedError,
  type AsyncCallback,
  type IAsyncResult,
  type SslDuplex,
} from '../lib';
import { authenticatedPair } from './helpers/pairs';
import { throwsFrom } from './helpers/throws';

/**
 * Model-based tests: random sequences of calls on the client end of a real TLS pair, checked
 * against a small model of contract.md. Each call succeeds or fails with exactly the class the
 * model predicts; every callback runs once; nothing is left unsettled; the peer reads exactly the
 * bytes the client wrote, in order (a prefix of them when the client was disposed).
 */

interface Model {
  disposed: boolean;
  shutdown: boolean;
  /** Every chunk a completed write handed over, in order. */
  sent: Buffer[];
  /** What the peer sent the client (completed writes), in order, and how much the client read. */
  fromPeer: Buffer[];
  readByClient: number;
  /** The peer sent close_notify. */
  peerClosed: boolean;
  /** The error an aborted write stored: every later call throws this same object. */
  fault: unknown;
  /**
   * The APM/promise methods read, wrote or shut down: the peer's end then leaves the stream face
   * alone (.NET's half-close, contract §4). Without them the face ends at the peer's end once
   * nothing is unread, as a net.Socket does (§7), and a stream that has also ended its own side
   * closes (disposed).
   */
  apm: boolean;
  /** The stream face emitted 'end'. */
  faceEnded: boolean;
  /** end() was called on the stream face. */
  endCalled: boolean;
}

/** Bytes the peer sent that the client has not read yet. */
const unread = (m: Model): number => m.fromPeer.reduce((n, b) => n + b.length, 0) - m.readByClient;

/** Checks what a read returned against the model, and counts it as read. */
function checkRead(m: Model, count: number, got: Uint8Array, n: number): void {
  const left = unread(m);
  if (left === 0) {
    expect(n, 'a read after the peer closed and everything was read').to.equal(0);
    return;
  }
  expect(n).to.be.within(1, Math.min(count, left));
  const expected = Buffer.concat(m.fromPeer).subarray(m.readByClient, m.readByClient + n);
  expect(Buffer.from(got.subarray(0, n)).equals(expected), "the peer's bytes, in order").to.equal(true);
  m.readByClient += n;
}

interface Real {
  client: SslDuplex;
  server: SslDuplex;
  received: Buffer[];
  callbacks: Map<object, number>;
}

let counter = 0;
const payload = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = counter++ & 0xff;
  return b;
};

/** What a write must do in the model's state: resolve, or fail with this class. */
function expectedWriteError(m: Model): Function | null {
  if (m.disposed) return ObjectDisposedError;
  if (m.shutdown) return InvalidOperationError;
  return null;
}

/** An AsyncCallback that counts its calls per IAsyncResult. */
const counted =
  (r: Real): AsyncCallback =>
  (ar) =>
    r.callbacks.set(ar, (r.callbacks.get(ar) ?? 0) + 1);

/** Waits for the operation, then for its callback: it must have run exactly once. */
async function completedOnce(r: Real, ar: IAsyncResult): Promise<void> {
  await ar.asyncWaitHandle;
  await new Promise((res) => setImmediate(res));
  expect(r.callbacks.get(ar), 'the callback ran once').to.equal(1);
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

class WriteAsync implements fc.AsyncCommand<Model, Real> {
  constructor(readonly size: number) {}
  check = (m: Model): boolean => m.fault === undefined;
  async run(m: Model, r: Real): Promise<void> {
    const data = payload(this.size);
    const want = expectedWriteError(m);
    const { error } = await settle(r.client.writeAsync(data));
    if (want) expect(error).to.be.instanceOf(want);
    else {
      expect(error).to.equal(undefined);
      m.sent.push(data);
      m.apm = true;
    }
  }
  toString = (): string => `writeAsync(${this.size})`;
}

class BeginWrite implements fc.AsyncCommand<Model, Real> {
  constructor(readonly size: number) {}
  check = (m: Model): boolean => m.fault === undefined;
  async run(m: Model, r: Real): Promise<void> {
    const data = payload(this.size);
    const want = expectedWriteError(m);
    let ar: IAsyncResult | undefined;
    try {
      ar = r.client.beginWrite(data, 0, data.length, counted(r));
    } catch (e) {
      expect(want, String(e)).not.to.equal(null);
      expect(e).to.be.instanceOf(want!);
      return;
    }
    expect(want).to.equal(null);
    m.apm = true;
    await completedOnce(r, ar);
    r.client.endWrite(ar);
    m.sent.push(data);
  }
  toString = (): string => `beginWrite(${this.size})`;
}

class OverlappingWrites implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && !m.shutdown;
  async run(m: Model, r: Real): Promise<void> {
    const big = payload(1 << 20);
    m.apm = true;
    const first = r.client.writeAsync(big);
    // A second write while the first is pending: NotSupportedError, the first is unaffected.
    const one = payload(1);
    const second = await settle(r.client.writeAsync(one));
    if (second.error === undefined) {
      // The first write had already completed (TLS took it at once): then the second one is fine.
      await first;
      m.sent.push(big, one);
      return;
    }
    expect(second.error).to.be.instanceOf(NotSupportedError);
    await first;
    m.sent.push(big);
  }
  toString = (): string => 'overlappingWrites';
}

class StreamWrite implements fc.AsyncCommand<Model, Real> {
  constructor(readonly size: number) {}
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && !m.shutdown;
  async run(m: Model, r: Real): Promise<void> {
    const data = payload(this.size);
    const err = await new Promise<Error | null | undefined>((res) => r.client.write(data, res));
    expect(err ?? null).to.equal(null);
    m.sent.push(data);
  }
  toString = (): string => `write(${this.size})`;
}

class AbortedRead implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && unread(m) === 0 && !m.peerClosed;
  async run(m: Model, r: Real): Promise<void> {
    const ac = new AbortController();
    m.apm = true;
    const p = settle(r.client.readAsync(new Uint8Array(8), 0, 8, ac.signal));
    ac.abort();
    const { error, value } = await p;
    // Nothing arrives for the client in this model, so the read can only end by the abort.
    expect(value).to.equal(undefined);
    expect((error as Error).name).to.equal('AbortError');
  }
  toString = (): string => 'abortedRead';
}

class BadArguments implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault === undefined;
  async run(m: Model, r: Real): Promise<void> {
    const e = throwsFrom(() => r.client.beginWrite(new Uint8Array(4), 3, 2));
    expect(e).to.be.instanceOf(m.disposed ? ObjectDisposedError : ArgumentOutOfRangeError);
  }
  toString = (): string => 'badArguments';
}

class ZeroRead implements fc.AsyncCommand<Model, Real> {
  // A zero-byte read waits for plaintext or the end, as any read (contract §4): only when one is due.
  check = (m: Model): boolean => m.fault === undefined && (m.disposed || unread(m) > 0 || m.peerClosed);
  async run(m: Model, r: Real): Promise<void> {
    if (m.disposed) {
      expect(() => r.client.beginRead(new Uint8Array(1), 0, 0)).to.throw(ObjectDisposedError);
      return;
    }
    const ar = r.client.beginRead(new Uint8Array(1), 0, 0, counted(r));
    m.apm = true;
    await completedOnce(r, ar);
    expect(r.client.endRead(ar)).to.equal(0); // and it took nothing: the next read checks that
  }
  toString = (): string => 'zeroRead';
}

class Shutdown implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault === undefined;
  async run(m: Model, r: Real): Promise<void> {
    const { error } = await settle(r.client.shutdownAsync());
    if (m.disposed) expect(error).to.be.instanceOf(ObjectDisposedError);
    else if (m.shutdown) expect(error).to.be.instanceOf(InvalidOperationError);
    else {
      expect(error).to.equal(undefined);
      m.shutdown = true;
      m.apm = true;
    }
    expect(r.client.canWrite).to.equal(false);
  }
  toString = (): string => 'shutdownAsync';
}

class PeerSends implements fc.AsyncCommand<Model, Real> {
  constructor(readonly size: number) {}
  // Bounded so that the peer's write completes while the client is not reading (read-ahead).
  check = (m: Model): boolean =>
    m.fault === undefined && !m.disposed && !m.peerClosed && unread(m) + this.size <= 32768;
  async run(m: Model, r: Real): Promise<void> {
    const data = payload(this.size);
    await r.server.writeAsync(data);
    m.fromPeer.push(data);
  }
  toString = (): string => `peer.writeAsync(${this.size})`;
}

class ReadAsync implements fc.AsyncCommand<Model, Real> {
  constructor(readonly count: number) {}
  // A read with nothing coming would wait for ever: only when bytes or the end are due.
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && (unread(m) > 0 || m.peerClosed);
  async run(m: Model, r: Real): Promise<void> {
    const buf = new Uint8Array(this.count);
    m.apm = true;
    const n = await r.client.readAsync(buf, 0, this.count);
    checkRead(m, this.count, buf, n);
  }
  toString = (): string => `readAsync(${this.count})`;
}

class BeginRead implements fc.AsyncCommand<Model, Real> {
  constructor(readonly count: number) {}
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && (unread(m) > 0 || m.peerClosed);
  async run(m: Model, r: Real): Promise<void> {
    const buf = new Uint8Array(this.count);
    m.apm = true;
    const ar = r.client.beginRead(buf, 0, this.count, counted(r));
    await completedOnce(r, ar);
    checkRead(m, this.count, buf, r.client.endRead(ar));
  }
  toString = (): string => `beginRead(${this.count})`;
}

class PeerClose implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && !m.peerClosed;
  async run(m: Model, r: Real): Promise<void> {
    // Nobody used the .NET methods and nothing is unread: the stream face ends, as a socket's does.
    const ends = !m.apm && unread(m) === 0;
    const ended = ends ? new Promise((resolve) => r.client.once('end', resolve)) : undefined;
    await r.server.shutdownAsync();
    m.peerClosed = true;
    if (ended) {
      await ended;
      m.faceEnded = true;
      // Both sides over (end() was called): the stream closes (autoDestroy), i.e. it is disposed.
      if (m.endCalled) m.disposed = true;
    }
  }
  toString = (): string => 'peer.shutdownAsync';
}

class StreamEnd implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && !m.shutdown;
  async run(m: Model, r: Real): Promise<void> {
    await new Promise<void>((res) => r.client.end(res));
    m.shutdown = true;
    m.endCalled = true;
    if (m.faceEnded) m.disposed = true;
    expect(r.client.canWrite).to.equal(false);
    expect(() => r.client.beginWrite(new Uint8Array(1), 0, 1)).to.throw(InvalidOperationError);
  }
  toString = (): string => 'end()';
}

class AbortedWrite implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault === undefined && !m.disposed && !m.shutdown;
  async run(m: Model, r: Real): Promise<void> {
    const big = payload(1 << 20);
    const ac = new AbortController();
    m.apm = true;
    const pending = settle(r.client.writeAsync(big, 0, big.length, ac.signal));
    ac.abort();
    const { error } = await pending;
    if (error === undefined) {
      // TLS had taken the whole write before the abort: nothing to abort.
      m.sent.push(big);
      return;
    }
    expect((error as Error).name).to.equal('AbortError');
    // The peer may have seen part of a record: the stream is faulted with that same error.
    m.fault = error;
    m.sent.push(big); // some prefix of it may have gone out; the final check allows a prefix
  }
  toString = (): string => 'abortedWrite';
}

class AfterFault implements fc.AsyncCommand<Model, Real> {
  check = (m: Model): boolean => m.fault !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const calls = [
      () => r.client.beginWrite(new Uint8Array(1), 0, 1),
      () => r.client.beginRead(new Uint8Array(1), 0, 1),
      () => r.client.negotiatedCipherSuite,
    ];
    for (const call of calls) {
      const e = throwsFrom(call);
      if (m.disposed) expect(e).to.be.instanceOf(ObjectDisposedError);
      else expect(e, 'the stored fault, the same object').to.equal(m.fault);
    }
    const { error } = await settle(r.client.readAsync(new Uint8Array(1)));
    if (m.disposed) expect(error).to.be.instanceOf(ObjectDisposedError);
    else expect(error).to.equal(m.fault);
  }
  toString = (): string => 'afterFault';
}

class Dispose implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    r.client.dispose();
    m.disposed = true;
    expect(r.client.isAuthenticated).to.equal(false);
  }
  toString = (): string => 'dispose';
}

const commands = [
  fc.integer({ min: 0, max: 70000 }).map((n) => new WriteAsync(n)),
  fc.integer({ min: 0, max: 70000 }).map((n) => new BeginWrite(n)),
  fc.integer({ min: 1, max: 5000 }).map((n) => new StreamWrite(n)),
  fc.constant(new OverlappingWrites()),
  fc.constant(new AbortedRead()),
  fc.constant(new BadArguments()),
  fc.constant(new ZeroRead()),
  fc.constant(new Shutdown()),
  fc.constant(new Dispose()),
  fc.integer({ min: 1, max: 8192 }).map((n) => new PeerSends(n)),
  fc.integer({ min: 1, max: 20000 }).map((n) => new ReadAsync(n)),
  fc.integer({ min: 1, max: 20000 }).map((n) => new BeginRead(n)),
  fc.constant(new PeerClose()),
  fc.constant(new StreamEnd()),
  fc.constant(new AbortedWrite()),
  fc.constant(new AfterFault()),
];

async function drain(server: SslDuplex, into: Buffer[]): Promise<void> {
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await server.readAsync(buf).catch(() => 0);
    if (n === 0) return;
    into.push(Buffer.from(buf.subarray(0, n)));
  }
}

/** Runs the model; `runs` is small in npm test and large in `npm run fuzz`. */
export async function modelRun(runs: number, seed?: number): Promise<void> {
  const problems: unknown[] = [];
  const onProblem = (e: unknown): number => problems.push(e);
  process.on('unhandledRejection', onProblem);
  process.on('uncaughtException', onProblem);
  try {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
        // Half-open, so that the client's side stays writable after the peer's close_notify.
        const [client, server] = await authenticatedPair({ clientDuplex: { allowHalfOpen: true } });
        const errors: unknown[] = [];
        client.on('error', (e) => errors.push(e));
        const received: Buffer[] = [];
        const reading = drain(server, received);
        const real: Real = { client, server, received, callbacks: new Map() };
        const model: Model = {
          disposed: false,
          shutdown: false,
          sent: [],
          fromPeer: [],
          readByClient: 0,
          peerClosed: false,
          apm: false,
          faceEnded: false,
          endCalled: false,
          fault: undefined,
        };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // Let everything written reach the peer, then end the stream (a faulted one can only go).
        if (model.fault !== undefined) client.dispose();
        else if (!model.disposed && !model.shutdown) await client.shutdownAsync();
        const settled = await Promise.race([
          reading.then(() => true),
          new Promise((r) => setTimeout(() => r(false), 5000)),
        ]);
        expect(settled, 'the peer saw the end of the stream').to.equal(true);
        const got = Buffer.concat(received);
        const sent = Buffer.concat(model.sent);
        if (model.disposed || model.fault !== undefined) {
          expect(sent.subarray(0, got.length).equals(got), 'a prefix, in order').to.equal(true);
        } else expect(got.equals(sent), 'every byte, in order').to.equal(true);
        expect(errors, "no 'error' event for a promise/APM user").to.deep.equal([]);
        client.dispose();
        server.dispose();
      }),
      { numRuns: runs, ...(seed !== undefined ? { seed } : {}) },
    );
  } finally {
    process.removeListener('unhandledRejection', onProblem);
    process.removeListener('uncaughtException', onProblem);
  }
  expect(problems).to.deep.equal([]);
}

describe('model-based: random call sequences against the contract', function () {
  this.timeout(120000);
  // `npm run fuzz` sets SSLD_MODEL_RUNS=1000.
  const runs = Number(process.env.SSLD_MODEL_RUNS ?? 40);
  it(`every call matches the model, every byte arrives in order (fast-check, ${runs} runs)`, async () => {
    await modelRun(runs);
  });
});
