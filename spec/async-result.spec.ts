import { expect } from 'chai';
import * as sinon from 'sinon';
import {
  ArgumentError,
  ArgumentNullError,
  InvalidOperationError,
  ObjectDisposedError,
  type IAsyncResult,
} from '../lib';
import { authenticatedPair, tick } from './helpers/pairs';

describe('IAsyncResult (contract §3)', () => {
  it('carries asyncState and calls the callback once, later, never inside begin*', async () => {
    const [client, server] = await authenticatedPair();
    const callback = sinon.spy();
    const state = { tag: 'mine' };
    const ar = client.beginWrite(Buffer.from('x'), 0, 1, callback, state);
    expect(callback.called).to.equal(false);
    expect(ar.asyncState).to.equal(state);
    await ar.asyncWaitHandle;
    await tick();
    expect(callback.calledOnceWithExactly(ar)).to.equal(true);
    client.endWrite(ar);
    client.dispose();
    server.dispose();
  });

  it('completedSynchronously is true only when the result was known when begin* returned', async () => {
    const [client, server] = await authenticatedPair();
    const buf = new Uint8Array(8);
    const pending = client.beginRead(buf, 0, 8);
    expect(pending.isCompleted).to.equal(false);
    await server.writeAsync(Buffer.from('abc'));
    await pending.asyncWaitHandle;
    expect(pending.completedSynchronously).to.equal(false);
    expect(client.endRead(pending)).to.equal(3);

    // Data already buffered: the next read completes inside beginRead.
    await server.writeAsync(Buffer.from('defgh'));
    await tick(20);
    const first = client.beginRead(buf, 0, 2);
    await first.asyncWaitHandle;
    client.endRead(first);
    const buffered = client.beginRead(buf, 0, 8);
    expect(buffered.isCompleted).to.equal(true);
    expect(buffered.completedSynchronously).to.equal(true);
    expect(client.endRead(buffered)).to.equal(3);
    client.dispose();
    server.dispose();
  });

  it('asyncWaitHandle resolves, never rejects, also for a failed operation', async () => {
    const [client, server] = await authenticatedPair();
    const ar = client.beginRead(new Uint8Array(4), 0, 4);
    client.dispose();
    await ar.asyncWaitHandle; // would throw here if it rejected
    expect(ar.isCompleted).to.equal(true);
    expect(() => client.endRead(ar)).to.throw(ObjectDisposedError);
    server.dispose();
  });

  it('endX(null) → ArgumentNullError(asyncResult)', async () => {
    const [client, server] = await authenticatedPair();
    const e = (() => {
      try {
        client.endRead(null as never);
      } catch (x) {
        return x as ArgumentNullError;
      }
    })();
    expect(e).to.be.instanceOf(ArgumentNullError);
    expect(e!.paramName).to.equal('asyncResult');
    client.dispose();
    server.dispose();
  });

  it('endX with a foreign result, another method’s or another stream’s → ArgumentError(asyncResult)', async () => {
    const [client, server] = await authenticatedPair();
    const fake: IAsyncResult = {
      asyncState: null,
      isCompleted: true,
      completedSynchronously: true,
      asyncWaitHandle: Promise.resolve(),
    };
    expect(() => client.endWrite(fake))
      .to.throw(ArgumentError)
      .with.property('paramName', 'asyncResult');
    const w = client.beginWrite(Buffer.from('x'), 0, 1);
    await w.asyncWaitHandle;
    expect(() => client.endRead(w)).to.throw(ArgumentError);
    expect(() => server.endWrite(w)).to.throw(ArgumentError);
    client.endWrite(w);
    client.dispose();
    server.dispose();
  });

  it('endX twice → InvalidOperationError; endX before completion → InvalidOperationError', async () => {
    const [client, server] = await authenticatedPair();
    const r = client.beginRead(new Uint8Array(4), 0, 4);
    expect(() => client.endRead(r)).to.throw(InvalidOperationError);
    await server.writeAsync(Buffer.from('hi'));
    await r.asyncWaitHandle;
    expect(client.endRead(r)).to.equal(2);
    expect(() => client.endRead(r)).to.throw(InvalidOperationError, /once/);
    client.dispose();
    server.dispose();
  });

  it('endX reports the operation’s own outcome even after dispose', async () => {
    const [client, server] = await authenticatedPair();
    const w = client.beginWrite(Buffer.from('x'), 0, 1);
    await w.asyncWaitHandle;
    client.dispose();
    expect(() => client.endWrite(w)).not.to.throw();
    server.dispose();
  });
});
