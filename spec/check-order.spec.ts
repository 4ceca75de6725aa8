import { expect } from 'chai';
import {
  ArgumentError,
  ArgumentNullError,
  ArgumentOutOfRangeError,
  AuthenticationError,
  InvalidOperationError,
  NotSupportedError,
  ObjectDisposedError,
  SslDuplex,
  SslProtocols,
} from '../lib';
import { authenticatedPair, sslPair, tick } from './helpers/pairs';
import { fixtures } from './helpers/fixtures';
import { throwsFrom } from './helpers/throws';

type Begin = 'beginRead' | 'beginWrite';
const buf = (n = 16): Uint8Array => new Uint8Array(n);

describe('read/write check order (contract §4)', () => {
  for (const method of ['beginRead', 'beginWrite'] as Begin[]) {
    const asyncName = method === 'beginRead' ? 'readAsync' : 'writeAsync';

    describe(method, () => {
      it('rule 1: disposed → ObjectDisposedError, before a null buffer', async () => {
        const [client] = await authenticatedPair();
        client.dispose();
        expect(throwsFrom(() => client[method](null as never, 0, 0))).to.be.instanceOf(ObjectDisposedError);
      });

      it('rule 1: a stored fault is thrown again as the same object', async () => {
        const pki = await fixtures();
        const [client, server] = await sslPair();
        // The client does not trust the test CA (no `ca`): its authentication fails and is stored.
        const [err] = await Promise.all([
          client.authenticateAsClientAsync('localhost').catch((e) => e),
          server.authenticateAsServerAsync(pki.server).catch((e) => e),
        ]);
        expect(err).to.be.instanceOf(AuthenticationError);
        expect(throwsFrom(() => client[method](buf(), 0, 1))).to.equal(err);
        expect(throwsFrom(() => client[method](buf(), 0, 1))).to.equal(err);
        client.dispose();
        server.dispose();
      });

      it('rule 2: not authenticated → InvalidOperationError, before a bad offset', async () => {
        const [client, server] = await sslPair();
        expect(throwsFrom(() => client[method](buf(), -1, 0))).to.be.instanceOf(InvalidOperationError);
        expect(throwsFrom(() => client[method](buf(), -1, 0))).not.to.be.instanceOf(ObjectDisposedError);
        client.dispose();
        server.dispose();
      });

      it('rule 3: null buffer → ArgumentNullError(buffer); not a Uint8Array → ArgumentError(buffer)', async () => {
        const [client, server] = await authenticatedPair();
        const a = throwsFrom(() => client[method](undefined as never, 0, 0)) as ArgumentNullError;
        expect(a).to.be.instanceOf(ArgumentNullError);
        expect(a.paramName).to.equal('buffer');
        const b = throwsFrom(() => client[method]([1, 2, 3] as never, 0, 1)) as ArgumentError;
        expect(b).to.be.instanceOf(ArgumentError);
        expect(b).not.to.be.instanceOf(ArgumentNullError);
        expect(b.paramName).to.equal('buffer');
        client.dispose();
        server.dispose();
      });

      it('rule 4: offset < 0, > length or not an integer → ArgumentOutOfRangeError(offset), before count', async () => {
        const [client, server] = await authenticatedPair();
        for (const offset of [-1, 17, 1.5, NaN]) {
          const e = throwsFrom(() => client[method](buf(), offset, -5)) as ArgumentOutOfRangeError;
          expect(e).to.be.instanceOf(ArgumentOutOfRangeError);
          expect(e.paramName).to.equal('offset');
        }
        client.dispose();
        server.dispose();
      });

      it('rule 5: count < 0, past the end or not an integer → ArgumentOutOfRangeError(count)', async () => {
        const [client, server] = await authenticatedPair();
        for (const [offset, count] of [
          [0, -1],
          [10, 7],
          [0, 2.5],
          [16, 1],
        ] as const) {
          const e = throwsFrom(() => client[method](buf(), offset, count)) as ArgumentOutOfRangeError;
          expect(e).to.be.instanceOf(ArgumentOutOfRangeError);
          expect(e.paramName).to.equal('count');
        }
        client.dispose();
        server.dispose();
      });

      it(`rule 7: a second ${method === 'beginRead' ? 'read' : 'write'} while one is pending → NotSupportedError, after argument errors`, async () => {
        const [client, server] = await authenticatedPair();
        const big = new Uint8Array(8 << 20); // large enough that the write stays pending
        const first = client[method](big, 0, big.length);
        if (!first.isCompleted) {
          expect(throwsFrom(() => client[method](buf(), 0, 99))).to.be.instanceOf(ArgumentOutOfRangeError);
          expect(throwsFrom(() => client[method](buf(), 0, 1))).to.be.instanceOf(NotSupportedError);
        } else {
          expect.fail('the first operation should still be pending');
        }
        client.dispose();
        server.dispose();
      });

      it(`${asyncName} never throws: it rejects with the same error`, async () => {
        const [client, server] = await sslPair();
        let p: Promise<unknown> | undefined;
        expect(() => {
          p = (client[asyncName] as (b: unknown, o?: number, c?: number) => Promise<unknown>)(buf(), 0, 1);
        }).not.to.throw();
        const e = await p!.catch((x) => x);
        expect(e).to.be.instanceOf(InvalidOperationError);
        client.dispose();
        const d = await (client[asyncName] as (b: unknown) => Promise<unknown>)(null).catch((x) => x);
        expect(d).to.be.instanceOf(ObjectDisposedError);
        server.dispose();
      });
    });
  }

  it('rule 6: a write after shutdownAsync → InvalidOperationError (after argument checks)', async () => {
    const [client, server] = await authenticatedPair();
    await client.shutdownAsync();
    expect(throwsFrom(() => client.beginWrite(buf(), 0, 99))).to.be.instanceOf(ArgumentOutOfRangeError);
    const e = throwsFrom(() => client.beginWrite(buf(), 0, 1));
    expect(e).to.be.instanceOf(InvalidOperationError);
    expect(e).not.to.be.instanceOf(ObjectDisposedError);
    client.dispose();
    server.dispose();
  });

  it('a zero-length write follows rule 7 too', async () => {
    const [client, server] = await authenticatedPair();
    const big = new Uint8Array(8 << 20);
    client.beginWrite(big, 0, big.length);
    expect(throwsFrom(() => client.beginWrite(buf(), 0, 0))).to.be.instanceOf(NotSupportedError);
    client.dispose();
    server.dispose();
  });

  it('one read and one write may be pending at the same time', async () => {
    const [client, server] = await authenticatedPair();
    const r = client.beginRead(buf(), 0, 16);
    const w = client.beginWrite(Buffer.from('ping'), 0, 4);
    expect(r.isCompleted).to.equal(false);
    await w.asyncWaitHandle;
    client.endWrite(w);
    await server.writeAsync(Buffer.from('pong'));
    await r.asyncWaitHandle;
    expect(client.endRead(r)).to.equal(4);
    client.dispose();
    server.dispose();
  });

  for (const transport of ['memory', 'tcp'] as const) {
    for (const version of ['TLS 1.2', 'TLS 1.3'] as const) {
      it(`a count = 0 read waits for plaintext, then completes with 0 and takes nothing (${transport}, ${version})`, async () => {
        const protocols = version === 'TLS 1.2' ? SslProtocols.Tls12 : SslProtocols.Tls13;
        const [client, server] = await authenticatedPair({ transport, client: { enabledSslProtocols: protocols } });
        const ar = client.beginRead(buf(), 0, 0);
        const zero = client.readAsync(buf(), 3, 0).catch((e: unknown) => e);
        await tick(50);
        expect(ar.isCompleted, 'nothing has arrived yet').to.equal(false);
        await server.writeAsync(Buffer.from('data'));
        await ar.asyncWaitHandle;
        expect(ar.completedSynchronously).to.equal(false);
        expect(client.endRead(ar)).to.equal(0);
        // Data already here: a zero-byte read completes at once, with 0.
        const now = client.beginRead(buf(), 0, 0);
        expect(now.completedSynchronously).to.equal(true);
        expect(client.endRead(now)).to.equal(0);
        const whole = buf();
        expect(await client.readAsync(whole, 0, 8), 'the zero-byte reads took nothing').to.equal(4);
        expect(Buffer.from(whole.subarray(0, 4)).toString()).to.equal('data');
        // The promise form waited in the same way: while the APM read held the slot it was refused.
        expect(await zero).to.be.instanceOf(NotSupportedError);
        // At the end of the stream it completes with 0.
        const atEnd = client.readAsync(buf(), 0, 0);
        await server.shutdownAsync();
        expect(await atEnd).to.equal(0);
        client.dispose();
        server.dispose();
      });
    }
  }

  it('the SslDuplex constructor refuses a missing or one-way inner stream', () => {
    expect(() => new SslDuplex(null as never)).to.throw(ArgumentNullError);
    expect(() => new SslDuplex({} as never)).to.throw(ArgumentError);
  });

  for (const [method, first] of [
    ['beginAuthenticateAsClient', 'localhost'],
    ['beginAuthenticateAsServer', { cert: 'x', key: 'y' }],
  ] as const) {
    it(`${method} checks the stream before anything else, as every begin* does: disposed → ObjectDisposedError, even with a bad callback`, async () => {
      const [stream] = await sslPair();
      stream.dispose();
      const call = (): unknown => (stream[method] as (...a: unknown[]) => unknown)(first, 'not a function');
      expect(throwsFrom(call)).to.be.instanceOf(ObjectDisposedError);
    });
  }
});
