import { expect } from 'chai';
import { Duplex, finished, pipeline, Readable } from 'node:stream';
import { finished as finishedP } from 'node:stream/promises';
import { authenticatedPair, readAll } from './helpers/pairs';

describe("Node's stream utilities over SslDuplex", () => {
  it('stream.pipeline with a callback, Readable.from → SslDuplex', async () => {
    const [client, server] = await authenticatedPair();
    const done = new Promise<Error | null | undefined>((resolve) =>
      pipeline(Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]), client, (err) => resolve(err)),
    );
    expect((await readAll(server)).toString()).to.equal('abc');
    expect(await done).to.equal(undefined);
    client.dispose();
    server.dispose();
  });

  it('stream.finished reports the end, and an error when disposed mid-way', async () => {
    const [client, server] = await authenticatedPair();
    server.resume();
    const ended = finishedP(server, { writable: false });
    await client.shutdownAsync();
    await ended;

    const [c2, s2] = await authenticatedPair();
    c2.resume();
    const premature = new Promise<Error | undefined>((resolve) => finished(c2, (err) => resolve(err ?? undefined)));
    c2.destroy();
    const err = await premature;
    expect(err).to.have.property('code', 'ERR_STREAM_PREMATURE_CLOSE');
    client.dispose();
    server.dispose();
    s2.dispose();
  });

  it('Duplex.toWeb: WHATWG streams over the TLS connection', async () => {
    const [client, server] = await authenticatedPair({ clientDuplex: { allowHalfOpen: true } });
    const { readable, writable } = Duplex.toWeb(client as never) as unknown as {
      readable: ReadableStream<Uint8Array>;
      writable: WritableStream<Uint8Array>;
    };
    const writer = writable.getWriter();
    await writer.write(new TextEncoder().encode('web streams'));
    // close() settles once the whole Duplex is finished (both directions), so it is awaited last.
    const closing = writer.close();
    expect((await readAll(server)).toString()).to.equal('web streams');
    await server.writeAsync(Buffer.from('reply'));
    await server.shutdownAsync();
    const reader = readable.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).to.equal('reply');
    await closing;
    client.dispose();
    server.dispose();
  });
});
