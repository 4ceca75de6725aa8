import { expect } from 'chai';
import * as sinon from 'sinon';
import { AbortError } from '../lib';
import { Pending } from '../lib/pending';

describe('a pending operation (pending.ts)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it('settles once: the first outcome wins, later ones are ignored', () => {
    const done = sinon.spy();
    const p = new Pending<number>(done);
    p.settle(null, 1);
    p.settle(new Error('late'));
    p.settle(null, 2);
    expect(done.callCount).to.equal(1);
    expect(done.firstCall.args).to.deep.equal([null, 1]);
    expect(p.settled).to.equal(true);
  });

  it('expires after its timeout unless settled first, and leaves no timer behind', () => {
    const expired = sinon.spy();
    const late = new Pending<void>(() => undefined);
    late.expireAfter(100, expired);
    clock.tick(99);
    expect(expired.callCount).to.equal(0);
    clock.tick(1);
    expect(expired.callCount).to.equal(1);

    const early = new Pending<void>(() => undefined);
    early.expireAfter(100, expired);
    early.settle(null);
    expect(clock.countTimers()).to.equal(0);
    clock.tick(1000);
    expect(expired.callCount).to.equal(1);
  });

  it('-1 (infinite) arms no timer', () => {
    new Pending<void>(() => undefined).expireAfter(-1, () => undefined);
    expect(clock.countTimers()).to.equal(0);
  });

  it("an abort before settling hands over an AbortError with the signal's reason as cause", () => {
    const controller = new AbortController();
    const onAbort = sinon.spy();
    new Pending<void>(() => undefined).abortWith(controller.signal, onAbort);
    controller.abort('why');
    expect(onAbort.callCount).to.equal(1);
    const e = onAbort.firstCall.args[0] as AbortError;
    expect(e).to.be.instanceOf(AbortError);
    expect(e.cause).to.equal('why');
  });

  it('settling removes the abort listener: a later abort does nothing', () => {
    const controller = new AbortController();
    const onAbort = sinon.spy();
    const p = new Pending<void>(() => undefined);
    p.abortWith(controller.signal, onAbort);
    p.settle(null);
    controller.abort();
    expect(onAbort.callCount).to.equal(0);
  });
});
