import { expect } from 'chai';
import * as sinon from 'sinon';
import { once } from 'node:events';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { connect, createServer, ObjectDisposedError, TimeoutError } from '../lib';
import { fixtures } from './helpers/fixtures';
import { authenticatedPair, listen, readAll, refuseWrites, tick } from './helpers/pairs';

const MiB = 1 << 20;

/** Writes `count` blocks of `size` with write(); counts each callback's calls. */
function writeMany(
  stream: { write(chunk: Buffer, cb: (err?: Error | null) => void): boolean },
  count: number,
  size: number,
): { calls: number[]; errors: unknown[] } {
  const calls = new Array<number>(count).fill(0);
  const errors: unknown[] = [];
  const block = Buffer.alloc(size, 0x61);
  for (let i = 0; i < count; i++) {
    stream.write(block, (err) => {
      calls[i]!++;
      if (err) errors.push(err);
    });
  }
  return { calls, errors };
}

describe('the write slot (write-half.ts, contract §4, §7)', function () {
  this.timeout(30000);

  for (const transport of ['memory', 'tcp'] as const) {
    it(`every write() callback is called exactly once when disposed with 64 MiB held by a peer that does not read (${transport})`, async () => {
      const [client, server] = await authenticatedPair({ transport });
      const { calls, errors } = writeMany(client, 64, MiB);
      await tick(100);
      expect(calls.filter((c) => c > 0).length, 'some writes are still held').to.be.lessThan(64);
      client.dispose();
      await tick(100);
      expect(calls).to.deep.equal(new Array(64).fill(1));
      expect(errors.length).to.be.greaterThan(0);
      for (const e of errors) expect(e).to.be.instanceOf(ObjectDisposedError);
      server.dispose();
    });
  }

  it('tls.TLSSocket in the same situation calls all 64 too (the behaviour matched above)', async () => {
    const pki = await fixtures();
    const server = tls.createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => s.pause());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = tls.connect({
      port: (server.address() as net.AddressInfo).port,
      host: '127.0.0.1',
      ca: pki.ca.cert,
      servername: 'localhost',
    });
    socket.on('error', () => undefined);
    await once(socket, 'secureConnect');
    const { calls } = writeMany(socket, 64, MiB);
    await tick(100);
    socket.destroy();
    await tick(100);
    expect(calls).to.deep.equal(new Array(64).fill(1));
    server.close();
  });

  for (const transport of ['memory', 'tcp'] as const) {
    for (const size of [5, 100_000]) {
      it(`a write's callback comes once its bytes reached the transport: destroy() inside it loses nothing (${transport}, ${size} B)`, async () => {
        const [client, server] = await authenticatedPair({ transport });
        server.write(Buffer.alloc(size, 7), () => server.destroy());
        const got = await readAll(client);
        expect(got.length).to.equal(size);
        client.dispose();
      });
    }
  }

  for (const transport of ['memory', 'tcp'] as const) {
    it(`write() then destroy() in the same tick: the tick's cork is undone first, the bytes go out, the callback runs once (${transport})`, async () => {
      const [client, server] = await authenticatedPair({ transport });
      await tick(50); // the handshake's last flight (session tickets) has left
      let calls = 0;
      server.write('last words', () => calls++);
      expect(server.writableCorked, 'corked for the tick').to.equal(1);
      server.destroy();
      expect((await readAll(client)).toString()).to.equal('last words');
      expect(calls).to.equal(1);
      client.dispose();
    });
  }

  it("a write queued before the handshake calls back after 'secureConnect', never before", async () => {
    const pki = await fixtures();
    const received: Buffer[] = [];
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) =>
      s.on('data', (d: Buffer) => received.push(d)),
    );
    const client = connect({
      port: await listen(server),
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
    });
    const order: string[] = [];
    client.on('secureConnect', () => order.push('secureConnect'));
    client.write('queued', () => order.push('callback'));
    await once(client, 'secureConnect');
    await tick(100);
    expect(order).to.deep.equal(['secureConnect', 'callback']);
    expect(Buffer.concat(received).toString()).to.equal('queued');
    client.destroy();
    server.close();
  });

  it('small writes of one tick, and those buffered behind the one in flight, reach TLS together: 256 writes, a handful of TLS writes of one Buffer each', async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp' });
    // What reaches TLSWrap: one _write or _writev call of the TLS socket per batch.
    const batches = [sinon.spy(net.Socket.prototype, '_write'), sinon.spy(net.Socket.prototype, '_writev')];
    // And what enters TLSSocket's Writable: one write() per batch, the batch concatenated.
    const entries = sinon.spy(Duplex.prototype, 'write');
    const tlsBatches = (): number =>
      batches.reduce((n, spy) => n + spy.thisValues.filter((t) => t instanceof tls.TLSSocket).length, 0);
    try {
      const { calls } = writeMany(client, 256, 256);
      client.end();
      const got = await readAll(server);
      expect(got.length).to.equal(256 * 256);
      expect(calls).to.deep.equal(new Array(256).fill(1));
      expect(tlsBatches()).to.be.within(1, 8);
      expect(entries.thisValues.filter((t) => t instanceof tls.TLSSocket).length).to.be.within(1, 9); // + close_notify
    } finally {
      entries.restore();
      for (const spy of batches) spy.restore();
      server.dispose();
    }
  });

  it('batches of small writes on several connections at once (through the shared slabs) arrive intact, each in its order', async () => {
    const pairs = await Promise.all([0, 1, 2, 3].map(() => authenticatedPair({ transport: 'tcp' })));
    // A counter pattern per connection: any byte of one batch written over by another shows.
    const sent = pairs.map((_, p) =>
      Buffer.from(Array.from({ length: 4096 * 300 }, (_x, i) => (i * 7 + p * 13 + (i >> 12)) & 0xff)),
    );
    const received = pairs.map(([, server]) => readAll(server));
    await Promise.all(
      pairs.map(async ([client], p) => {
        for (let at = 0; at < sent[p]!.length; at += 300) {
          if (!client.write(sent[p]!.subarray(at, at + 300))) await once(client, 'drain');
        }
        client.end();
      }),
    );
    const got = await Promise.all(received);
    for (let p = 0; p < pairs.length; p++) expect(got[p]!.equals(sent[p]!), `connection ${p}`).to.equal(true);
    for (const [client, server] of pairs) {
      client.dispose();
      server.dispose();
    }
  });

  it('writeTimeout applies to stream writes too: one held past it fails with TimeoutError and faults the stream', async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp', clientDuplex: { writeTimeout: 100 } });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const outcome = new Promise<unknown>((resolve) => client.write(Buffer.alloc(16 << 20), resolve));
    const e = await outcome; // the peer does not read: the write cannot reach the transport
    expect(e).to.be.instanceOf(TimeoutError);
    expect(() => client.beginRead(new Uint8Array(1), 0, 1))
      .to.throw()
      .that.equals(e);
    expect(errors).to.deep.equal([e]);
    server.dispose();
    client.dispose();
  });

  it('a failed write faults the stream: later operations rethrow that same error', async () => {
    const [client, server, inner] = await authenticatedPair();
    refuseWrites(inner);
    const e = await client.writeAsync(Buffer.from('x')).catch((err: unknown) => err);
    expect(e).to.have.property('code', 'SSLD_ERR_IO');
    expect(() => client.beginRead(new Uint8Array(1), 0, 1))
      .to.throw()
      .that.equals(e);
    expect(() => client.beginWrite(new Uint8Array(1), 0, 1))
      .to.throw()
      .that.equals(e);
    server.dispose();
    client.dispose();
  });
});
