import { expect } from 'chai';
import { authenticatedPair, readExactly, sslPair, tick } from './helpers/pairs';
import { TimeoutError } from '../lib';

const isAbort = (e: unknown): boolean => e instanceof Error && e.name === 'AbortError';

describe('cancellation and timeouts (contract §4, §6)', () => {
  it('an already-aborted signal → AbortError with the reason as cause (after the argument checks)', async () => {
    const [client, server] = await authenticatedPair();
    const ac = new AbortController();
    ac.abort('because');
    const e = await client.readAsync(new Uint8Array(4), 0, 4, ac.signal).catch((x) => x);
    expect(isAbort(e)).to.equal(true);
    expect((e as Error).cause).to.equal('because');
    const w = await client.writeAsync(new Uint8Array(4), 0, 4, ac.signal).catch((x) => x);
    expect(isAbort(w)).to.equal(true);
    // argument errors come first
    const arg = await client.readAsync(new Uint8Array(4), 9, 1, ac.signal).catch((x) => x);
    expect(arg).to.be.instanceOf(RangeError);
    // the stream is still usable
    await server.writeAsync(Buffer.from('ok'));
    expect((await readExactly(client, 2)).toString()).to.equal('ok');
    client.dispose();
    server.dispose();
  });

  it('aborting a pending readAsync leaves the stream usable and loses no byte', async () => {
    const [client, server] = await authenticatedPair();
    const ac = new AbortController();
    const pending = client.readAsync(new Uint8Array(16), 0, 16, ac.signal);
    ac.abort(new Error('user gave up'));
    expect(isAbort(await pending.catch((x) => x))).to.equal(true);
    await server.writeAsync(Buffer.from('every byte'));
    expect((await readExactly(client, 10)).toString()).to.equal('every byte');
    client.dispose();
    server.dispose();
  });

  it('aborting a pending writeAsync faults the stream: later operations throw that error', async () => {
    const [client, server] = await authenticatedPair();
    const ac = new AbortController();
    const pending = client.writeAsync(Buffer.alloc(16 << 20), 0, undefined, ac.signal);
    ac.abort();
    const e = await pending.catch((x) => x);
    expect(isAbort(e)).to.equal(true);
    expect(() => client.beginRead(new Uint8Array(1), 0, 1))
      .to.throw()
      .that.equals(e);
    client.dispose();
    server.dispose();
  });

  it('aborting authentication faults the stream with the AbortError', async () => {
    const [client] = await sslPair();
    const ac = new AbortController();
    const p = client.authenticateAsClientAsync('localhost', ac.signal);
    ac.abort();
    const e = await p.catch((x) => x);
    expect(isAbort(e)).to.equal(true);
    expect(await client.authenticateAsClientAsync('localhost').catch((x) => x)).to.equal(e);
    client.dispose();
  });

  it('readTimeout: a read that outlives it fails with TimeoutError and faults the stream', async () => {
    const [client, server] = await authenticatedPair({ clientDuplex: { readTimeout: 50 } });
    const e = await client.readAsync(new Uint8Array(4)).catch((x) => x);
    expect(e).to.be.instanceOf(TimeoutError);
    expect(() => client.beginWrite(new Uint8Array(1), 0, 1))
      .to.throw()
      .that.equals(e);
    client.dispose();
    server.dispose();
  });

  it('writeTimeout: a write that cannot be handed over in time fails with TimeoutError', async () => {
    const [client, server] = await authenticatedPair({ transport: 'tcp' });
    client.writeTimeout = 100;
    // Nobody reads on the server: fill the pipe until one write has to wait.
    let e: unknown;
    for (let i = 0; i < 2000 && e === undefined; i++) {
      await client.writeAsync(Buffer.alloc(1 << 20)).catch((x) => (e = x));
    }
    expect(e).to.be.instanceOf(TimeoutError);
    client.dispose();
    server.dispose();
  });

  it('no timer is left behind when no timeout is set', async () => {
    const [client, server] = await authenticatedPair();
    const before = (process as unknown as { getActiveResourcesInfo(): string[] })
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout').length;
    const r = client.readAsync(new Uint8Array(4));
    await tick(5);
    const during = (process as unknown as { getActiveResourcesInfo(): string[] })
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout').length;
    expect(during).to.be.at.most(before);
    await server.writeAsync(Buffer.from('x'));
    expect(await r).to.equal(1);
    client.dispose();
    server.dispose();
  });
});
