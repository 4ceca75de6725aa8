import { expect } from 'chai';
import { once } from 'node:events';
import { Duplex, Readable } from 'node:stream';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { AuthenticationError, connect, IOError, SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { authenticatedPair, tick } from './helpers/pairs';

describe('transport faults', function () {
  this.timeout(30000);

  /** A peer (Node's own TLS server) that resets the TCP connection after the handshake. */
  async function resettingPeer(): Promise<{ client: SslDuplex; reset: () => void; close: () => void }> {
    const pki = await fixtures();
    let socket: net.Socket | undefined;
    const raw = net.createServer((sock) => {
      socket = sock;
      const t = new tls.TLSSocket(sock, {
        isServer: true,
        secureContext: tls.createSecureContext({ cert: pki.server.cert, key: pki.server.key }),
      });
      t.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const client = connect({
      port: (raw.address() as net.AddressInfo).port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
    });
    await once(client, 'secureConnect');
    await tick(20);
    return { client, reset: () => socket!.resetAndDestroy(), close: () => raw.close() };
  }

  it('an RST from the peer → IOError (ECONNRESET) on the pending read, stored', async () => {
    const { client, reset, close } = await resettingPeer();
    const pending = client.readAsync(new Uint8Array(16)).catch((e) => e);
    reset();
    const e = await pending;
    expect(e).to.be.instanceOf(IOError);
    expect((e as IOError).cause).to.have.property('code', 'ECONNRESET');
    expect(() => client.beginWrite(new Uint8Array(1), 0, 1)).to.throw(IOError);
    client.dispose();
    close();
  });

  it('a peer that stops reading holds a 256 MiB writer by backpressure; memory stays within 64 MiB', async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp' });
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage().rss;
    let produced = 0;
    const total = 256 << 20;
    const block = Buffer.alloc(64 * 1024, 0x5a);
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        produced += block.length;
        this.push(block);
      },
    });
    let written = 0; // what pipe() handed to client.write()
    source.on('data', (c: Buffer) => (written += c.length));
    source.pipe(client);
    await tick(1500); // the server never reads
    const held = produced;
    const rssGrowth = (process.memoryUsage().rss - rssBefore) / 1048576;
    expect(held, 'bytes the writer was allowed to produce').to.be.lessThan(64 << 20);
    expect(rssGrowth, 'MiB of RSS growth').to.be.lessThan(64);
    // And nothing is lost: once the server reads, every byte handed to the writer arrives.
    source.unpipe(client);
    source.pause();
    const accepted = written;
    let got = 0;
    server.on('data', (c: Buffer) => (got += c.length));
    const deadline = Date.now() + 10_000;
    while (got < accepted && Date.now() < deadline) await tick(20);
    expect(got).to.be.greaterThan(0);
    expect(got, 'bytes the peer read of those the writer accepted').to.equal(accepted);
    client.dispose();
    server.dispose();
  });

  it('an inner stream that errors during a write → IOError on that write', async () => {
    const [client, server, a] = await authenticatedPair();
    a.write = () => {
      throw new Error('write exploded');
    };
    const e = await client.writeAsync(Buffer.from('x')).catch((x) => x);
    expect(e).to.be.instanceOf(IOError);
    client.dispose();
    server.dispose();
  });

  it('an inner stream that errors during a read → IOError with the inner error as cause', async () => {
    const [client, server, a] = await authenticatedPair();
    const pending = client.readAsync(new Uint8Array(4)).catch((x) => x);
    a.emit('error', new Error('read exploded'));
    const e = await pending;
    expect(e).to.be.instanceOf(IOError);
    expect((e as IOError).cause).to.have.property('message', 'read exploded');
    client.dispose();
    server.dispose();
  });

  it("the stream face reports a transport fault as one error event (for a socket from connect(), Node's ECONNRESET), then close", async () => {
    const { client, reset, close } = await resettingPeer();
    client.resume();
    const errored = once(client, 'error');
    const closed = new Promise((resolve) => client.once('close', resolve));
    reset();
    const [e] = (await errored) as [Error & { code?: string }];
    expect(e).to.not.be.instanceOf(IOError);
    expect(e.code).to.equal('ECONNRESET');
    // The .NET methods on the same socket keep the contract's class, with Node's error as cause.
    const stored = await client.readAsync(new Uint8Array(1)).catch((err: unknown) => err);
    expect(stored).to.be.instanceOf(IOError);
    expect((stored as IOError).cause).to.equal(e);
    await closed;
    close();
  });

  it('an inner stream that closes while a write waits for its drain → IOError on that write', async () => {
    const [client, server, a] = await authenticatedPair();
    // The inner stream stops taking bytes: every write is refused and no 'drain' will come.
    (a as unknown as { write: () => boolean }).write = () => false;
    const pending = client.writeAsync(Buffer.alloc(100_000, 1)).catch((e: unknown) => e);
    await tick(20);
    a.destroy();
    const e = await pending;
    expect(e).to.be.instanceOf(IOError);
    client.dispose();
    server.dispose();
  });

  it('resetAndDestroy over native TLS closes without crashing the process', async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp' });
    const pending = client.readAsync(new Uint8Array(16));
    server.resetAndDestroy();
    expect(await pending).to.equal(0); // a close at a record boundary
    client.dispose();
  });

  it('an inner stream destroyed with an error just before we let go never raises an uncaught exception', async () => {
    // The order that crashed: the peer's junk fails the handshake while the inner stream is being
    // destroyed with ECONNRESET (as a forwarding Duplex does when its socket resets); its 'error'
    // comes a tick after we detached.
    let uncaught: unknown;
    const onUncaught = (e: unknown): void => {
      uncaught = e;
    };
    const mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      for (const role of ['client', 'server'] as const) {
        const inner: Duplex = new Duplex({
          read() {},
          write(_chunk, _encoding, cb) {
            cb();
          },
        });
        const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        const stream = new SslDuplex(inner);
        const pki = await fixtures();
        const auth =
          role === 'client'
            ? stream.authenticateAsClientAsync('localhost')
            : stream.authenticateAsServerAsync(pki.server);
        setImmediate(() => {
          inner.push(Buffer.alloc(64, 0x42));
          inner.destroy(reset);
        });
        const e = await auth.catch((err: unknown) => err);
        expect(e).to.be.instanceOf(role === 'client' ? AuthenticationError : Error);
        await tick(50);
      }
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      for (const h of mochaHandlers) process.on('uncaughtException', h);
    }
    expect(uncaught).to.equal(undefined);
  });
});
