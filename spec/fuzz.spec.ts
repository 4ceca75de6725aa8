import { expect } from 'chai';
import { runFuzz } from './long/fuzz';

describe('hostile peer bytes (quick fuzz; npm run fuzz runs 10,000 cases)', function () {
  this.timeout(60000);
  it('500 cases in both roles (a quarter over TCP through a forwarding Duplex, peers stopping by FIN or RST) end in AuthenticationError or IOError, inner stream released, no crash', async () => {
    const r = await runFuzz({ cases: 500, seed: 20261125 });
    expect(r.tcpCases).to.equal(125);
    expect(r.failures, JSON.stringify(r.failures.slice(0, 5))).to.deep.equal([]);
    expect(r.uncaught).to.equal(0);
    expect(r.cases).to.equal(500);
    expect(r.slowestMs).to.be.lessThan(2000);
    expect((r.byOutcome.AuthenticationError ?? 0) + (r.byOutcome.IOError ?? 0)).to.be.greaterThan(450);
  });
});
