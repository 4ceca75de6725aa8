import { expect } from 'chai';
import { nextPhase, Phase } from '../lib/state';

/**
 * The transition table of state.ts, written out again here from the contract's diagram: a move is
 * legal exactly when it is listed. Faulted and Disposed are reached from every live phase; nothing
 * leaves Disposed; a failed authentication never comes back.
 */
const legal: Array<[Phase, Phase]> = [
  [Phase.Created, Phase.Authenticating],
  [Phase.Created, Phase.Disposed],
  [Phase.Authenticating, Phase.Authenticated],
  [Phase.Authenticating, Phase.Faulted],
  [Phase.Authenticating, Phase.Disposed],
  [Phase.Authenticated, Phase.Faulted],
  [Phase.Authenticated, Phase.Disposed],
  [Phase.Faulted, Phase.Disposed],
];

describe('the phase table (state.ts)', () => {
  const phases = Object.values(Phase);
  for (const from of phases) {
    for (const to of phases) {
      const allowed = legal.some(([f, t]) => f === from && t === to);
      it(`${from} → ${to}: ${allowed ? 'legal' : 'an internal error'}`, () => {
        if (allowed) expect(nextPhase(from, to)).to.equal(to);
        else expect(() => nextPhase(from, to)).to.throw(/illegal transition/);
      });
    }
  }
});
