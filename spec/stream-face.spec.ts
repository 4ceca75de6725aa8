import { expect } from 'chai';
import * as sinon from 'sinon';
import { once } from 'node:events';
import * as net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { AuthenticationError, NotSupportedError } from '../lib';
import { fixtures } from './helpers/fixtures';
import { hashSink, randomSource } from './helpers/data';
import { authenticatedPair, readExactly, sslPair, tick } from './helpers/pairs';

const MiB = 1 << 20;

describe('stream face (contract §7)', () => {
  it("listeners come and go on the face as on a net.Socket: eventNames, listenerCount, 'removeListener' alike", async () => {
    const [client, server] = await authenticatedPair();
    const socket = new net.Socket();
    const seen = new Map<object, string[]>();
    for (const emitter of [client, socket]) {
      const removed: string[] = [];
      // Added first, so that it hears the removals below (Node's own sockets included).
      emitter.on('removeListener', (event: string) => removed.push(event));
      const before = emitter.eventNames().filter((e) => e !== 'removeListener');
      const [closeBefore, errorBefore] = [emitter.listenerCount('close'), emitter.listenerCount('error')];
      const f = (): void => undefined;
      const g = (): void => undefined;
      emitter.on('close', f);
      emitter.on('close', g);
      emitter.once('error', f);
      emitter.on('custom', g);
      expect([emitter.listenerCount('close'), emitter.listenerCount('error')]).to.deep.equal([
        closeBefore + 2,
        errorBefore + 1,
      ]);
      emitter.removeListener('close', f);
      emitter.removeListener('close', g);
      emitter.removeListener('error', f);
      emitter.removeListener('custom', g);
      expect(emitter.listenerCount('custom')).to.equal(0);
      expect(emitter.eventNames().filter((e) => e !== 'removeListener')).to.deep.equal(before);
      seen.set(emitter, removed);
    }
    expect(seen.get(client)).to.deep.equal(seen.get(socket));
    socket.destroy();
    client.dispose();
    server.dispose();
  });

  for (const transport of ['memory', 'tcp'] as const) {
    it(`64 MiB both ways through stream.pipeline, SHA-256 checked (${transport})`, async function () {
      this.timeout(60000);
      // Both directions end on their own: half-open, as with net.Socket({ allowHalfOpen: true }).
      const [client, server] = await authenticatedPair({
        transport,
        clientDuplex: { allowHalfOpen: true },
        serverDuplex: { allowHalfOpen: true },
      });
      const up = randomSource(64 * MiB, 1, 65536, 7);
      const down = randomSource(64 * MiB, 1, 65536, 11);
      const atServer = hashSink();
      const atClient = hashSink();
      await Promise.all([
        pipeline(up.stream, client),
        pipeline(server, atServer.stream),
        pipeline(down.stream, server),
        pipeline(client, atClient.stream),
      ]);
      expect(await atServer.digest).to.equal(await up.digest);
      expect(await atClient.digest).to.equal(await down.digest);
      expect(atServer.bytes()).to.equal(64 * MiB);
    });
  }

  it('writes made before authentication are queued, in order, and sent once it completes', async () => {
    const pki = await fixtures();
    const [client, server] = await sslPair();
    client.write('one ');
    client.write(Buffer.from('two '));
    client.write('three');
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    expect((await readExactly(server, 13)).toString()).to.equal('one two three');
    client.dispose();
    server.dispose();
  });

  it('when authentication fails, queued writes get the error and the stream is destroyed with it', async () => {
    const pki = await fixtures();
    const [client, server] = await sslPair();
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const writeDone = new Promise<unknown>((resolve) => client.write('lost?', (e) => resolve(e)));
    const [authError] = await Promise.all([
      client.authenticateAsClientAsync('localhost').catch((e) => e), // untrusted
      server.authenticateAsServerAsync(pki.server).catch(() => undefined),
    ]);
    expect(authError).to.be.instanceOf(AuthenticationError);
    expect(await writeDone).to.equal(authError);
    await tick();
    expect(client.destroyed).to.equal(true);
    expect(errors).to.deep.equal([authError]);
    server.dispose();
  });

  it('a program that only uses promises never sees an error event', async () => {
    const pki = await fixtures();
    const [client, server] = await sslPair();
    const emit = sinon.spy(client, 'emit');
    await Promise.all([
      client.authenticateAsClientAsync('localhost').catch(() => undefined),
      server.authenticateAsServerAsync(pki.server).catch(() => undefined),
    ]);
    await tick(20);
    expect(emit.getCalls().filter((c) => c.args[0] === 'error')).to.have.length(0);
    client.dispose();
    server.dispose();
  });

  it('beginRead while the stream face reads → NotSupportedError', async () => {
    const [client, server] = await authenticatedPair();
    client.on('data', () => undefined);
    expect(() => client.beginRead(new Uint8Array(4), 0, 4)).to.throw(NotSupportedError);
    client.removeAllListeners('data');
    client.pause();
    client.dispose();
    server.dispose();
  });

  it('beginWrite while a stream write is in flight → NotSupportedError', async () => {
    const [client, server] = await authenticatedPair();
    client.write(Buffer.alloc(8 * MiB)); // over the high-water mark: stays in flight
    expect(() => client.beginWrite(new Uint8Array(4), 0, 4)).to.throw(NotSupportedError);
    client.dispose();
    server.dispose();
  });

  it('stream writes wait behind a pending beginWrite and keep their order', async () => {
    const [client, server] = await authenticatedPair();
    const big = Buffer.alloc(2 * MiB, 0x61);
    const ar = client.beginWrite(big, 0, big.length);
    client.write('tail');
    const got = await readExactly(server, big.length + 4);
    await ar.asyncWaitHandle;
    client.endWrite(ar);
    expect(got.subarray(big.length).toString()).to.equal('tail');
    client.dispose();
    server.dispose();
  });

  it("end() sends close_notify; the peer's stream face gets 'end'", async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp', serverDuplex: { allowHalfOpen: true } });
    const finished = once(client, 'finish');
    const clientEnded = once(client, 'end');
    client.resume();
    client.end('bye');
    const chunks: Buffer[] = [];
    server.on('data', (c: Buffer) => chunks.push(c));
    await once(server, 'end');
    expect(Buffer.concat(chunks).toString()).to.equal('bye');
    await finished;
    server.end();
    await clientEnded; // the server's close_notify
    client.dispose();
    server.dispose();
  });

  it('for await reads the plaintext and ends at close_notify', async () => {
    const [client, server] = await authenticatedPair();
    void (async () => {
      await server.writeAsync(Buffer.from('a'));
      await server.writeAsync(Buffer.from('b'));
      await server.shutdownAsync();
    })();
    const parts: string[] = [];
    for await (const chunk of client) parts.push(String(chunk));
    expect(parts.join('')).to.equal('ab');
    client.dispose();
    server.dispose();
  });

  it('backpressure: a peer that stops reading stops the writer, memory stays bounded', async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp' });
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024);
    while (client.write(chunk)) {
      written += chunk.length;
      if (written > 256 * MiB) break;
    }
    expect(written).to.be.lessThan(64 * MiB);
    await tick(100);
    // The writer is stuck (nobody reads): its buffered bytes stay near the high-water marks.
    expect(client.writableLength).to.be.lessThan(1 * MiB);
    // Now the peer reads and everything arrives.
    const total = written + chunk.length;
    const got = await readExactly(server, total);
    expect(got.length).to.equal(total);
    client.dispose();
    server.dispose();
  });

  it('APM reads and stream reads can take turns', async () => {
    const [client, server] = await authenticatedPair();
    await server.writeAsync(Buffer.from('first'));
    expect((await readExactly(client, 5)).toString()).to.equal('first');
    await server.writeAsync(Buffer.from('second'));
    await server.shutdownAsync();
    const rest: Buffer[] = [];
    for await (const c of client) rest.push(c as Buffer);
    expect(Buffer.concat(rest).toString()).to.equal('second');
    client.dispose();
    server.dispose();
  });
});
