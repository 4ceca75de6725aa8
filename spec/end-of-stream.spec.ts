import { expect } from 'chai';
import { once } from 'node:events';
import { duplexPair, PassThrough, Duplex } from 'node:stream';
import { IOError } from '../lib';
import { authenticatedPair, authenticateOver, readAll, readExactly, tick } from './helpers/pairs';

/**
 * An inner stream we can cut at any byte: the client's ciphertext goes through `forward`, which
 * can hold back the tail of a record and then end the stream.
 */
function interceptedPair(): { a: Duplex; b: Duplex; toClient: PassThrough; cut: (keep: number) => void } {
  const [a, mid] = duplexPair();
  const [midB, b] = duplexPair();
  // client → server flows untouched
  mid.pipe(midB);
  const toClient = new PassThrough();
  let held: Buffer | null = null;
  let cutAt = -1;
  midB.on('data', (chunk: Buffer) => {
    if (cutAt < 0) {
      mid.write(chunk);
      return;
    }
    held = held ? Buffer.concat([held, chunk]) : chunk;
    if (held.length >= cutAt) {
      mid.write(held.subarray(0, cutAt));
      mid.end();
    }
  });
  return {
    a,
    b,
    toClient,
    cut: (keep: number) => {
      cutAt = keep;
    },
  };
}

describe('end of stream (contract §4)', () => {
  for (const transport of ['memory', 'tcp'] as const) {
    it(`close_notify → readAsync and endRead return 0, and again (${transport})`, async () => {
      const [client, server] = await authenticatedPair({ transport });
      await server.writeAsync(Buffer.from('last words'));
      await server.shutdownAsync();
      expect((await readExactly(client, 10)).toString()).to.equal('last words');
      expect(await client.readAsync(new Uint8Array(4))).to.equal(0);
      expect(await client.readAsync(new Uint8Array(4))).to.equal(0);
      const ar = client.beginRead(new Uint8Array(4), 0, 4);
      await ar.asyncWaitHandle;
      expect(client.endRead(ar)).to.equal(0);
      client.dispose();
      server.dispose();
    });
  }

  it('half-close over TCP: after reading 0 the side can still write and shut down', async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp' });
    await client.writeAsync(Buffer.from('request'));
    await client.shutdownAsync();
    expect((await readAll(server)).toString()).to.equal('request');
    await server.writeAsync(Buffer.from('response after your close_notify'));
    await server.shutdownAsync();
    expect((await readAll(client)).toString()).to.equal('response after your close_notify');
    client.dispose();
    server.dispose();
  });

  it('the transport ending inside a TLS record → IOError', async () => {
    const { a, b, cut } = interceptedPair();
    const [client, server] = await authenticateOver(a, b);
    // Let session tickets through, then cut the next record 10 bytes in.
    await server.writeAsync(Buffer.from('x'));
    await readExactly(client, 1);
    cut(10);
    await server.writeAsync(Buffer.alloc(1000, 1));
    const e = await client.readAsync(new Uint8Array(2000)).catch((x) => x);
    expect(e).to.be.instanceOf(IOError);
    client.dispose();
    server.dispose();
  });

  it('the transport ending at a record boundary without close_notify → 0, like .NET', async () => {
    const { a, b, cut } = interceptedPair();
    const [client, server] = await authenticateOver(a, b);
    await server.writeAsync(Buffer.from('x'));
    await readExactly(client, 1);
    cut(5 + 1 + 1 + 16); // one whole TLS 1.3 record for 1 byte: header, byte, type, tag
    await server.writeAsync(Buffer.from('y'));
    expect((await readExactly(client, 1)).toString()).to.equal('y');
    expect(await client.readAsync(new Uint8Array(8))).to.equal(0);
    client.dispose();
    server.dispose();
  });
});

describe("the stream face's end (contract §7)", () => {
  for (const transport of ['memory', 'tcp'] as const) {
    it(`a stream nobody reads still ends at the peer's close_notify: 'end', our own end (allowHalfOpen false), then 'close' (${transport})`, async () => {
      const [client, server] = await authenticatedPair({ transport });
      const events: string[] = [];
      for (const e of ['end', 'finish', 'close'] as const) client.on(e, () => events.push(e));
      await server.shutdownAsync();
      await once(client, 'close');
      expect(events).to.deep.equal(['end', 'finish', 'close']);
      // The peer saw our close_notify: its reads end.
      expect((await readAll(server)).length).to.equal(0);
      server.dispose();
    });
  }

  it("with data left unread there is no 'end' until it is read", async () => {
    const [client, server] = await authenticatedPair();
    let ended = false;
    client.on('end', () => (ended = true));
    await server.writeAsync(Buffer.from('unread'));
    await server.shutdownAsync();
    await tick(50);
    expect(ended).to.equal(false);
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    await once(client, 'end');
    expect(Buffer.concat(chunks).toString()).to.equal('unread');
    client.dispose();
    server.dispose();
  });

  it('allowHalfOpen: the face ends, our side stays writable until we end it', async () => {
    const [client, server] = await authenticatedPair({ clientDuplex: { allowHalfOpen: true } });
    const ended = once(client, 'end');
    await server.shutdownAsync();
    await ended;
    expect(client.writable).to.equal(true);
    client.end('after your end');
    expect((await readAll(server)).toString()).to.equal('after your end');
    await once(client, 'close');
    server.dispose();
  });
});
