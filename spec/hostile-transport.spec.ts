import { expect } from 'chai';
import { Duplex, duplexPair, PassThrough } from 'node:stream';
import { Duplex as RsDuplex } from 'readable-stream';
import { AuthenticationError, IOError, ObjectDisposedError, SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { rechunked } from './helpers/forwarding';
import { authenticatedPair, authenticateOver, readExactly, tick } from './helpers/pairs';

describe('hostile peers and broken transports', () => {
  it('the inner stream delivering one byte at a time during the handshake', async () => {
    const pki = await fixtures();
    const [a, b] = duplexPair();
    const bytewise = (c: Buffer): Buffer[] => Array.from(c, (x) => Buffer.from([x]));
    const client = new SslDuplex(rechunked(a, bytewise));
    const server = new SslDuplex(rechunked(b, bytewise));
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    await client.writeAsync(Buffer.from('one byte at a time'));
    expect((await readExactly(server, 18)).toString()).to.equal('one byte at a time');
    client.dispose();
    server.dispose();
  });

  it('random chunk sizes from 1 byte to 64 KiB on the inner stream, 4 MiB checked', async () => {
    const pki = await fixtures();
    const [a, b] = duplexPair();
    let seed = 3;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const random = (c: Buffer): Buffer[] => {
      const out: Buffer[] = [];
      for (let i = 0; i < c.length;) {
        const n = Math.min(c.length - i, 1 + (rnd() % 65536));
        out.push(c.subarray(i, i + n));
        i += n;
      }
      return out;
    };
    const client = new SslDuplex(rechunked(a, random));
    const server = new SslDuplex(rechunked(b, random));
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    const data = Buffer.alloc(4 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const [, got] = await Promise.all([client.writeAsync(data), readExactly(server, data.length)]);
    expect(got.equals(data)).to.equal(true);
    client.dispose();
    server.dispose();
  });

  it('a readable-stream Duplex as the inner stream', async () => {
    const pki = await fixtures();
    const [a, b] = duplexPair();
    const wrap = (d: Duplex): RsDuplex => {
      const w: RsDuplex = new RsDuplex({
        read() {
          d.resume();
        },
        write(chunk: Buffer, _e: unknown, cb: (e?: Error | null) => void) {
          d.write(chunk, cb);
        },
      });
      d.on('data', (c: Buffer) => void (w.push(c) || d.pause()));
      return w;
    };
    const client = new SslDuplex(wrap(a) as never);
    const server = new SslDuplex(wrap(b) as never);
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    await client.writeAsync(Buffer.from('rs'));
    expect((await readExactly(server, 2)).toString()).to.equal('rs');
    client.dispose();
    server.dispose();
  });

  it('string chunks already buffered in the inner stream do not crash the process (nodejs/node#58756)', async () => {
    const pki = await fixtures();
    const [a, b] = duplexPair();
    const server = new SslDuplex(b);
    const serving = server.authenticateAsServerAsync(pki.server).catch((e) => e);
    // The client's bytes arrive on a latin1-decoding inner stream: strings, not Buffers.
    a.setEncoding('latin1');
    const client = new SslDuplex(a);
    await tick(20); // let the ServerHello sit in `a`'s buffer as strings
    await client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert });
    await serving;
    await server.writeAsync(Buffer.from([0, 255, 128]));
    expect([...(await readExactly(client, 3))]).to.deep.equal([0, 255, 128]);
    client.dispose();
    server.dispose();
  });

  it('an inner stream that throws on write → the handshake fails with IOError, no crash', async () => {
    const broken = new Duplex({
      read() {},
      write() {
        throw new Error('broken transport');
      },
    });
    const client = new SslDuplex(broken);
    const e = await client.authenticateAsClientAsync('localhost').catch((x) => x);
    expect(e).to.be.instanceOf(IOError);
  });

  it('an inner stream whose write fails after the handshake → IOError on the write, stored', async () => {
    const pki = await fixtures();
    const [a, b] = duplexPair();
    let fail = false;
    const flaky = new Duplex({
      read() {
        a.resume();
      },
      write(chunk: Buffer, _e, cb) {
        if (fail) cb(new Error('EPIPE-like'));
        else a.write(chunk, cb);
      },
    });
    a.on('data', (c: Buffer) => void (flaky.push(c) || a.pause()));
    const client = new SslDuplex(flaky);
    const server = new SslDuplex(b);
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    fail = true;
    const errors: unknown[] = [];
    for (let i = 0; i < 3 && errors.length === 0; i++) {
      await client.writeAsync(Buffer.from('x')).catch((e) => errors.push(e));
      await tick(10);
    }
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(IOError);
    // Stored: the next write rethrows that same error.
    const later = await client.writeAsync(Buffer.from('y')).catch((e) => e);
    expect(later).to.equal(errors[0]);
    client.dispose();
    server.dispose();
  });

  it('garbage from the peer during the handshake → AuthenticationError on the server', async () => {
    const [a, b] = duplexPair();
    const pki = await fixtures();
    const server = new SslDuplex(b);
    const p = server.authenticateAsServerAsync(pki.server).catch((e) => e);
    a.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await p).to.be.instanceOf(AuthenticationError);
  });

  it('garbage records after the handshake → IOError on the read, then stored', async () => {
    const [a, mid] = duplexPair();
    const [midB, b] = duplexPair();
    mid.pipe(midB);
    const toClient = new PassThrough();
    midB.pipe(toClient).pipe(mid);
    const [client, server] = await authenticateOver(a, b);
    await server.writeAsync(Buffer.from('x'));
    await readExactly(client, 1);
    // A well-formed header with a body that does not decrypt.
    mid.write(Buffer.concat([Buffer.from([23, 3, 3, 0, 40]), Buffer.alloc(40, 0xaa)]));
    const e = await client.readAsync(new Uint8Array(64)).catch((x) => x);
    expect(e).to.be.instanceOf(IOError);
    expect(() => client.beginRead(new Uint8Array(1), 0, 1)).to.throw(IOError);
    client.dispose();
    server.dispose();
  });

  it('random garbage of many sizes never crashes the process', async () => {
    const pki = await fixtures();
    let settled = 0;
    for (let i = 0; i < 30; i++) {
      const [a, b] = duplexPair();
      const server = new SslDuplex(b);
      const p = server.authenticateAsServerAsync(pki.server).catch((e) => e);
      const junk = Buffer.alloc(1 + ((i * 977) % 3000));
      for (let j = 0; j < junk.length; j++) junk[j] = (i * 131 + j * 17) & 0xff;
      if (i % 3 === 0) junk[0] = 22; // looks like a handshake record
      a.write(junk);
      if (i % 2 === 0) a.end();
      const e = await Promise.race([p, tick(500).then(() => 'pending')]);
      // A peer that says nothing more may leave the handshake waiting; dispose ends it then.
      server.dispose();
      const outcome = e === 'pending' ? await p : e;
      expect(outcome).to.satisfy(
        (x: unknown) => x instanceof AuthenticationError || x instanceof IOError || x instanceof ObjectDisposedError,
      );
      if (e !== 'pending') settled++;
      a.destroy();
    }
    // Most of these are judged by TLS, not ended by the dispose.
    expect(settled).to.be.greaterThan(15);
  });

  it('a transport error after authentication reaches a pending read as IOError', async () => {
    const [client, server, a] = await authenticatedPair();
    const r = client.readAsync(new Uint8Array(8)).catch((e) => e);
    a.destroy(new Error('connection reset'));
    const e = await r;
    expect(e).to.be.instanceOf(IOError);
    expect((e as IOError).cause).to.have.property('message', 'connection reset');
    client.dispose();
    server.dispose();
  });
});
