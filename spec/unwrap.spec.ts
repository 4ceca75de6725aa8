import { expect } from 'chai';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import {
  InvalidOperationError,
  IOError,
  NotSupportedError,
  ObjectDisposedError,
  SslDuplex,
  SslProtocols,
} from '../lib';
import { fixtures } from './helpers/fixtures';
import { rechunked } from './helpers/forwarding';
import { innerPair, tick, type Transport } from './helpers/pairs';

/**
 * A Duplex in front of `inner` whose inbound bytes can be held back and then released as one
 * chunk, split inside a record, or byte by byte: how the peer's close_notify and the plaintext
 * after it reach the side that unwraps.
 */
function gate(inner: Duplex): { stream: Duplex; hold(): void; held(): number; release(how: Delivery): void } {
  let holding = false;
  let held: Buffer[] = [];
  const stream = rechunked(inner, (chunk) => {
    if (!holding) return [chunk];
    held.push(chunk);
    return [];
  });
  return {
    stream,
    hold: () => (holding = true),
    held: () => held.reduce((n, c) => n + c.length, 0),
    release(how) {
      holding = false;
      const all = Buffer.concat(held);
      held = [];
      const pieces =
        how === 'one chunk'
          ? [all]
          : how === 'split mid-record'
            ? [all.subarray(0, 3), all.subarray(3, 17), all.subarray(17, all.length - 2), all.subarray(all.length - 2)]
            : Array.from(all, (b) => Buffer.from([b]));
      for (const p of pieces) stream.push(p);
    },
  };
}

type Delivery = 'one chunk' | 'split mid-record' | 'byte by byte';

/** How many listeners `stream` has for each event a wrapper could leave behind. */
function listenersOf(stream: Duplex): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of ['data', 'end', 'close', 'error', 'drain', 'readable', 'finish']) {
    counts[event] = stream.listenerCount(event);
  }
  return counts;
}

/** Reads `stream` until `size` bytes came (or 2 s passed). */
async function readBytes(stream: Duplex, size: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let n = 0;
  const done = new Promise<void>((resolve) => {
    const onData = (c: Buffer): void => {
      got.push(c);
      n += c.length;
      if (n >= size) {
        stream.removeListener('data', onData);
        stream.pause();
        resolve();
      }
    };
    stream.on('data', onData);
    setTimeout(resolve, 2000).unref();
  });
  stream.resume();
  await done;
  return Buffer.concat(got);
}

const versions = [
  ['TLS 1.2', SslProtocols.Tls12],
  ['TLS 1.3', SslProtocols.Tls13],
] as const;

describe('unwrapAsync: end TLS and go on in plaintext without losing a byte (contract §6)', function () {
  this.timeout(20000);

  async function connected(
    transport: Transport,
    protocols: number,
    receiverRole: 'client' | 'server',
  ): Promise<{
    receiver: SslDuplex;
    sender: SslDuplex;
    g: ReturnType<typeof gate>;
    unwrapped: Record<string, number>;
  }> {
    const pki = await fixtures();
    const [a, b] = await innerPair(transport);
    // The receiver reads the peer's close_notify and the plaintext after it through the gate.
    const g = gate(receiverRole === 'client' ? a : b);
    const clientInner = receiverRole === 'client' ? g.stream : a;
    const serverInner = receiverRole === 'server' ? g.stream : b;
    const unwrapped = listenersOf(g.stream);
    const client = new SslDuplex(clientInner, { leaveInnerStreamOpen: true });
    const server = new SslDuplex(serverInner, { leaveInnerStreamOpen: true });
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert, enabledSslProtocols: protocols }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    return receiverRole === 'client'
      ? { receiver: client, sender: server, g, unwrapped }
      : { receiver: server, sender: client, g, unwrapped };
  }

  for (const transport of ['memory', 'tcp'] as const) {
    for (const [version, protocols] of versions) {
      for (const receiverRole of ['client', 'server'] as const) {
        for (const how of ['one chunk', 'split mid-record', 'byte by byte'] as const) {
          it(`the ${receiverRole} unwraps; close_notify and the plaintext after it arrive ${how} (${transport}, ${version})`, async () => {
            const { receiver, sender, g, unwrapped } = await connected(transport, protocols, receiverRole);
            // TLS traffic first, both ways.
            await sender.writeAsync(Buffer.from('over TLS'));
            const buf = new Uint8Array(64);
            expect(Buffer.from(buf.subarray(0, await receiver.readAsync(buf))).toString()).to.equal('over TLS');
            g.hold();
            const receiving = receiver.unwrapAsync();
            const senderInner = await sender.unwrapAsync();
            const after = Buffer.from(`plaintext right after the close_notify, ${how}, ${version}`);
            senderInner.write(after);
            // The close_notify (≥ 24 bytes) and the plaintext are both held: release them together.
            for (let i = 0; i < 100 && g.held() < after.length + 24; i++) await tick(5);
            g.release(how);
            const receiverInner = await receiving;
            expect(receiver.isAuthenticated, 'disposed').to.equal(false);
            expect(receiverInner).to.equal(g.stream);
            expect(receiverInner.isPaused(), 'handed back paused').to.equal(true);
            expect(listenersOf(receiverInner), 'none of our listeners').to.deep.equal(unwrapped);
            const got = await readBytes(receiverInner, after.length);
            expect(got.equals(after), 'every byte, in order').to.equal(true);
            // And plaintext goes on the other way too.
            receiverInner.write('and back');
            expect((await readBytes(senderInner as Duplex, 8)).toString()).to.equal('and back');
            receiverInner.destroy();
            senderInner.destroy();
          });
        }
      }
    }
  }

  for (const [version, protocols] of versions) {
    it(`over a net.Socket, no gate: the peer's close_notify and plaintext leave in one TCP write (${version})`, async () => {
      const pki = await fixtures();
      const [a, b] = (await innerPair('tcp')) as [net.Socket, net.Socket];
      const client = new SslDuplex(a, { leaveInnerStreamOpen: true });
      const server = new SslDuplex(b, { leaveInnerStreamOpen: true });
      await Promise.all([
        client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert, enabledSslProtocols: protocols }),
        server.authenticateAsServerAsync(pki.server),
      ]);
      const receiving = client.unwrapAsync();
      b.cork(); // the server's close_notify and its plaintext go out in one write
      const serverInner = await server.unwrapAsync();
      serverInner.write('PLAIN after close_notify');
      process.nextTick(() => b.uncork());
      const clientInner = await receiving;
      expect(clientInner).to.equal(a);
      expect((await readBytes(clientInner, 24)).toString()).to.equal('PLAIN after close_notify');
      a.destroy();
      b.destroy();
    });
  }

  it('after shutdownAsync(), unwrapAsync() sends no second close_notify and hands the stream back', async () => {
    const pki = await fixtures();
    const [a, b] = await innerPair('memory');
    const client = new SslDuplex(a, { leaveInnerStreamOpen: true });
    const server = new SslDuplex(b, { leaveInnerStreamOpen: true });
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    await client.shutdownAsync();
    const [clientSide, serverSide] = await Promise.all([client.unwrapAsync(), server.unwrapAsync()]);
    serverSide.write('plain after all');
    expect((await readBytes(clientSide, 15)).toString()).to.equal('plain after all');
    clientSide.destroy();
    serverSide.destroy();
  });

  it('an LDAP-style exchange on one connection: StartTLS, TLS traffic, TLS closure, plaintext, StartTLS again', async () => {
    const pki = await fixtures();
    const [a, b] = await innerPair('tcp');
    let clientSide: Duplex = a;
    let serverSide: Duplex = b;
    for (let round = 1; round <= 2; round++) {
      clientSide.write(`StartTLS ${round}\n`);
      expect((await readBytes(serverSide, 11)).toString()).to.equal(`StartTLS ${round}\n`);
      const client = new SslDuplex(clientSide, { leaveInnerStreamOpen: true });
      const server = new SslDuplex(serverSide, { leaveInnerStreamOpen: true });
      await Promise.all([
        client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
        server.authenticateAsServerAsync(pki.server),
      ]);
      await client.writeAsync(Buffer.from(`bind ${round}`));
      const buf = new Uint8Array(32);
      expect(Buffer.from(buf.subarray(0, await server.readAsync(buf))).toString()).to.equal(`bind ${round}`);
      // TLS closure (RFC 4511 §4.14.3), then plaintext on the same connection.
      [clientSide, serverSide] = await Promise.all([client.unwrapAsync(), server.unwrapAsync()]);
      serverSide.write(`plain ${round}`);
      expect((await readBytes(clientSide, 7)).toString()).to.equal(`plain ${round}`);
    }
    clientSide.destroy();
    serverSide.destroy();
  });

  describe('errors, in the contract’s order', () => {
    it('disposed → ObjectDisposedError; not authenticated or no leaveInnerStreamOpen → InvalidOperationError', async () => {
      const pki = await fixtures();
      const [a, b] = await innerPair('memory');
      const fresh = new SslDuplex(a, { leaveInnerStreamOpen: true });
      expect(await fresh.unwrapAsync().catch((e: unknown) => e)).to.be.instanceOf(InvalidOperationError);
      fresh.dispose();
      expect(await fresh.unwrapAsync().catch((e: unknown) => e)).to.be.instanceOf(ObjectDisposedError);
      const [c, d] = await innerPair('memory');
      const client = new SslDuplex(c);
      const server = new SslDuplex(d);
      await Promise.all([
        client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
        server.authenticateAsServerAsync(pki.server),
      ]);
      const e = await client.unwrapAsync().catch((x: unknown) => x);
      expect(e).to.be.instanceOf(InvalidOperationError);
      expect(client.isAuthenticated, 'a caller mistake does not poison the stream').to.equal(true);
      client.dispose();
      server.dispose();
      b.destroy();
    });

    it('a read pending → NotSupportedError; the transport ending before the close_notify → IOError', async () => {
      const { receiver, g } = await connected('memory', SslProtocols.None, 'client');
      const pending = receiver.readAsync(new Uint8Array(8)).catch((x: unknown) => x);
      expect(await receiver.unwrapAsync().catch((x: unknown) => x)).to.be.instanceOf(NotSupportedError);
      receiver.dispose();
      await pending;
      const next = await connected('memory', SslProtocols.None, 'client');
      const unwrapping = next.receiver.unwrapAsync().catch((x: unknown) => x);
      next.g.hold();
      await tick(20);
      next.g.stream.push(null); // the transport ends: no close_notify will come
      expect(await unwrapping).to.be.instanceOf(IOError);
      next.receiver.dispose();
      next.sender.dispose();
      g.stream.destroy();
    });
  });

  it('dispose() with leaveInnerStreamOpen hands back the bytes TLS never took (those after the close_notify)', async () => {
    const { receiver, sender, g } = await connected('memory', SslProtocols.None, 'client');
    g.hold();
    const senderInner = await Promise.all([sender.unwrapAsync(), receiver.shutdownAsync()]).then(([inner]) => inner);
    senderInner.write('after, never unwrapped');
    for (let i = 0; i < 100 && g.held() < 22 + 24; i++) await tick(5);
    g.release('one chunk');
    expect(await receiver.readAsync(new Uint8Array(8)), "the peer's close_notify").to.equal(0);
    receiver.dispose();
    expect((await readBytes(g.stream, 22)).toString()).to.equal('after, never unwrapped');
    senderInner.destroy();
  });

  it('an AbortSignal ends the wait for the peer’s close_notify with AbortError', async () => {
    const { receiver, sender } = await connected('memory', SslProtocols.None, 'client');
    // A peer that reads with the .NET methods keeps its half-close: it reads 0 and answers nothing.
    const senderRead = sender.readAsync(new Uint8Array(8));
    const ac = new AbortController();
    const unwrapping = receiver.unwrapAsync(ac.signal).catch((x: unknown) => x);
    await tick(20); // our close_notify is out; the peer has not answered
    ac.abort();
    expect(((await unwrapping) as Error).name).to.equal('AbortError');
    expect(await senderRead).to.equal(0);
    receiver.dispose();
    sender.dispose();
  });

  it('application data sent before the close_notify stays readable by readAsync while the unwrap waits', async () => {
    const { receiver, sender } = await connected('memory', SslProtocols.None, 'client');
    const unwrapping = receiver.unwrapAsync();
    await sender.writeAsync(Buffer.from('late data'));
    const buf = new Uint8Array(32);
    expect(Buffer.from(buf.subarray(0, await receiver.readAsync(buf))).toString()).to.equal('late data');
    const senderInner = await sender.unwrapAsync();
    await unwrapping;
    senderInner.destroy();
  });
});
