import { expect } from 'chai';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { InvalidOperationError, ObjectDisposedError, SslDuplex } from '../lib';
import { authenticatedPair, innerPair, readAll, readExactly, sslPair, tick } from './helpers/pairs';

async function readPlain(stream: Duplex, total: number): Promise<string> {
  let got = Buffer.alloc(0);
  stream.resume();
  while (got.length < total) {
    const [chunk] = (await once(stream, 'data')) as [Buffer];
    got = Buffer.concat([got, chunk]);
  }
  stream.pause();
  return got.toString();
}

describe('shutdown and dispose (contract §6)', () => {
  describe('shutdownAsync', () => {
    it('sends close_notify: canWrite false at once, the peer reads 0, reads go on here', async () => {
      const [client, server] = await authenticatedPair({ transport: 'tcp' });
      const p = client.shutdownAsync();
      expect(client.canWrite).to.equal(false);
      expect(client.canRead).to.equal(true);
      await p;
      expect(await readAll(server)).to.have.length(0);
      await server.writeAsync(Buffer.from('still here'));
      expect((await readExactly(client, 10)).toString()).to.equal('still here');
      client.dispose();
      server.dispose();
    });

    it('end() after shutdownAsync() finishes only when that close_notify has reached the transport', async () => {
      const [client, server, inner] = await authenticatedPair();
      // The transport takes writes but does not say it is done with them until released.
      const held: Array<() => void> = [];
      const write = inner.write.bind(inner);
      (inner as unknown as { write: unknown }).write = (chunk: Buffer, cb?: () => void) => {
        held.push(() => write(chunk, cb));
        return false;
      };
      const shutdown = client.shutdownAsync();
      let finished = false;
      const ended = new Promise<void>((resolve) => client.end(() => ((finished = true), resolve())));
      await tick(50);
      expect(held.length, 'close_notify is with the transport').to.be.greaterThan(0);
      expect(finished, "'finish' before close_notify was handed over").to.equal(false);
      for (const release of held.splice(0)) release();
      inner.emit('drain');
      await Promise.all([shutdown, ended]);
      expect(finished).to.equal(true);
      client.dispose();
      server.dispose();
    });

    it('disposed → ObjectDisposedError; not authenticated or twice → InvalidOperationError', async () => {
      const [client, server] = await authenticatedPair();
      await client.shutdownAsync();
      expect(await client.shutdownAsync().catch((e) => e)).to.be.instanceOf(InvalidOperationError);
      client.dispose();
      expect(await client.shutdownAsync().catch((e) => e)).to.be.instanceOf(ObjectDisposedError);
      const fresh = new SslDuplex((await innerPair('memory'))[0]);
      expect(await fresh.shutdownAsync().catch((e) => e))
        .to.be.instanceOf(InvalidOperationError)
        .and.not.instanceOf(ObjectDisposedError);
      server.dispose();
    });

    it('is allowed while a write is pending; close_notify follows the write', async () => {
      const [client, server] = await authenticatedPair();
      const data = Buffer.alloc(4 << 20, 7);
      const w = client.writeAsync(data);
      const s = client.shutdownAsync();
      const got = await readAll(server);
      await Promise.all([w, s]);
      expect(got.equals(data)).to.equal(true);
      client.dispose();
      server.dispose();
    });
  });

  describe('dispose', () => {
    it('is idempotent, never throws, and every later operation throws ObjectDisposedError', async () => {
      const [client, server] = await authenticatedPair();
      client.dispose();
      client.dispose();
      client.close();
      client[Symbol.dispose]();
      expect(() => client.beginRead(new Uint8Array(1), 0, 1)).to.throw(ObjectDisposedError);
      expect(() => client.beginWrite(new Uint8Array(1), 0, 1)).to.throw(ObjectDisposedError);
      expect(() => client.sslProtocol).to.throw(ObjectDisposedError);
      server.dispose();
    });

    it('completes a pending read and a pending write with ObjectDisposedError', async () => {
      const [client, server] = await authenticatedPair();
      const r = client.readAsync(new Uint8Array(16));
      const big = Buffer.alloc(16 << 20);
      const w = client.writeAsync(big);
      client.dispose();
      expect(await r.catch((e) => e)).to.be.instanceOf(ObjectDisposedError);
      expect(await w.catch((e) => e)).to.be.instanceOf(ObjectDisposedError);
      server.dispose();
    });

    it('sends no close_notify: the peer sees the transport end at a record boundary and reads 0', async () => {
      const [client, server] = await authenticatedPair({ transport: 'tcp' });
      client.dispose();
      expect(await server.readAsync(new Uint8Array(8))).to.equal(0);
      server.dispose();
    });

    it('ends and destroys the inner stream unless leaveInnerStreamOpen', async () => {
      const [client, server, a] = await authenticatedPair({ transport: 'tcp' });
      client.dispose();
      await tick(50);
      expect(a.destroyed).to.equal(true);
      server.dispose();
    });

    it('destroy() on the stream face disposes too', async () => {
      const [client, server] = await authenticatedPair();
      client.destroy();
      expect(() => client.beginRead(new Uint8Array(1), 0, 1)).to.throw(ObjectDisposedError);
      server.dispose();
    });

    it('a dispose before authentication ends the handshake with ObjectDisposedError', async () => {
      const [client] = await sslPair();
      const p = client.authenticateAsClientAsync('localhost');
      client.dispose();
      expect(await p.catch((e) => e)).to.be.instanceOf(ObjectDisposedError);
    });
  });

  describe('leaveInnerStreamOpen', () => {
    for (const how of ['dispose', 'end'] as const) {
      it(`after ${how}(), the inner stream is neither ended nor destroyed and later plaintext arrives intact`, async () => {
        const [client, server, a, b] = await authenticatedPair({
          transport: 'tcp',
          clientDuplex: { leaveInnerStreamOpen: true },
          serverDuplex: { leaveInnerStreamOpen: true },
        });
        await client.writeAsync(Buffer.from('secret'));
        expect((await readExactly(server, 6)).toString()).to.equal('secret');
        if (how === 'dispose') {
          // Both ends have read everything the other sent (TLS 1.3 session tickets included).
          await server.writeAsync(Buffer.from('ack'));
          expect((await readExactly(client, 3)).toString()).to.equal('ack');
          client.dispose();
          server.dispose();
        } else {
          client.end();
          expect(await readAll(server)).to.have.length(0);
          server.end();
          expect(await readAll(client)).to.have.length(0);
          await tick(20);
          client.dispose();
          server.dispose();
        }
        await tick(20);
        for (const s of [a, b]) {
          expect(s.destroyed).to.equal(false);
          expect(s.writableEnded).to.equal(false);
          expect(s.listenerCount('data')).to.equal(0);
          expect(s.isPaused()).to.equal(true);
        }
        a.write('EHLO plaintext\r\n');
        expect(await readPlain(b, 16)).to.equal('EHLO plaintext\r\n');
        b.write('250 OK\r\n');
        expect(await readPlain(a, 8)).to.equal('250 OK\r\n');
        a.destroy();
        b.destroy();
      });
    }
  });
});
