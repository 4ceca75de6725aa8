import { expect } from 'chai';
import { once } from 'node:events';
import { Duplex, duplexPair } from 'node:stream';
import { IOError } from '../lib';
import { closeInner, Transport } from '../lib/transport';
import { tick } from './helpers/pairs';

/** A TLS-shaped record of `length` body bytes. */
function record(length: number): Buffer {
  return Buffer.concat([Buffer.from([23, 3, 3, length >> 8, length & 0xff]), Buffer.alloc(length, 1)]);
}

function collect(t: Transport): Buffer[] {
  const got: Buffer[] = [];
  t.on('data', (c: Buffer) => got.push(c));
  return got;
}

const ours = (s: Duplex): number =>
  ['data', 'end', 'close', 'error', 'drain'].reduce((n, e) => n + s.listenerCount(e), 0);

describe('the Transport shim between Node TLS and the inner stream (transport.ts)', () => {
  it('reads nothing until TLS asks: the inner stream stays paused', async () => {
    const [inner, peer] = duplexPair();
    const t = new Transport(inner, false);
    peer.write(record(3));
    await tick(10);
    expect(inner.isPaused()).to.equal(true);
    const got = collect(t);
    await tick(10);
    expect(Buffer.concat(got)).to.deep.equal(record(3));
    t.destroy();
  });

  it("string chunks become bytes in the inner stream's encoding (a string reaching TLSWrap aborts Node)", async () => {
    const [inner, peer] = duplexPair();
    inner.setEncoding('latin1');
    const t = new Transport(inner, false);
    const got = collect(t);
    peer.write(Buffer.from([0xc3, 0xa9, 0xff]));
    await tick(10);
    expect(Buffer.concat(got)).to.deep.equal(Buffer.from([0xc3, 0xa9, 0xff]));
    t.destroy();
  });

  it('a chunk that is not bytes (objectMode) destroys the transport with IOError', async () => {
    const inner = new Duplex({ objectMode: true, read() {}, write: (_c, _e, cb) => cb() });
    const t = new Transport(inner, false);
    t.resume();
    inner.push({ not: 'bytes' });
    const [e] = (await once(t, 'error')) as [Error];
    expect(e).to.be.instanceOf(IOError);
  });

  it('the inner stream ending at a record boundary ends the transport', async () => {
    const [inner, peer] = duplexPair();
    const t = new Transport(inner, false);
    t.resume();
    peer.end(record(10));
    await once(t, 'end');
    expect(t.endedInsideRecord).to.equal(false);
    t.destroy();
  });

  it('the inner stream ending inside a record → IOError, not a clean end', async () => {
    const [inner, peer] = duplexPair();
    const t = new Transport(inner, false);
    t.resume();
    let ended = false;
    t.once('end', () => (ended = true));
    peer.end(record(10).subarray(0, 9));
    const [e] = (await once(t, 'error')) as [Error];
    expect(e).to.be.instanceOf(IOError);
    await tick(20);
    expect(ended).to.equal(false);
  });

  it("a write goes to the inner stream at once; its callback comes later, or at the inner stream's 'drain'", async () => {
    let accept = true;
    const written: Buffer[] = [];
    const inner = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    inner.write = ((c: Buffer) => (written.push(c), accept)) as typeof inner.write;
    const t = new Transport(inner, false);
    let calls = 0;
    t.write(Buffer.from('a'), () => calls++);
    expect(written).to.have.length(1);
    expect(calls, 'never inside write()').to.equal(0);
    await tick(0);
    expect(calls).to.equal(1);
    accept = false;
    t.write(Buffer.from('b'), () => calls++);
    await tick(10);
    expect(calls, 'held until the inner stream drains').to.equal(1);
    inner.emit('drain');
    expect(calls).to.equal(2);
    t.destroy();
  });

  it("writes waiting for a 'drain' fail with IOError when the inner stream closes instead", async () => {
    const inner = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    inner.write = (() => false) as typeof inner.write;
    const t = new Transport(inner, false);
    t.on('error', () => undefined);
    const outcome = new Promise<unknown>((resolve) => t.write(Buffer.from('x'), resolve));
    inner.destroy();
    expect(await outcome).to.be.instanceOf(IOError);
  });

  it('leaveOpen: destroying the transport hands the inner stream back paused, with none of its listeners', async () => {
    const [inner, peer] = duplexPair();
    const before = ours(inner);
    const t = new Transport(inner, true);
    t.resume();
    t.destroy();
    await tick(10);
    expect(ours(inner)).to.equal(before);
    expect(inner.isPaused()).to.equal(true);
    expect(inner.destroyed).to.equal(false);
    // Still usable by its owner.
    peer.write('after');
    inner.resume();
    const [chunk] = (await once(inner, 'data')) as [Buffer];
    expect(chunk.toString()).to.equal('after');
    inner.destroy();
  });

  it('without leaveOpen: destroying the transport ends the inner stream (the peer sees its end), then destroys it', async () => {
    const [inner, peer] = duplexPair();
    const t = new Transport(inner, false);
    t.destroy();
    peer.resume();
    await once(peer, 'end');
    await tick(10);
    expect(inner.destroyed).to.equal(true);
  });

  it('closeInner on a stream destroyed a moment ago absorbs the error it has yet to emit', async () => {
    const inner = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    inner.destroy(new Error('ECONNRESET')); // 'error' is emitted on the next tick
    closeInner(inner);
    await tick(10); // an unabsorbed 'error' would fail this spec as an uncaught exception
    expect(inner.listenerCount('error')).to.equal(1);
  });
});
