import { expect } from 'chai';
import { formatSoak, HEAP_GROWTH_BOUND_MIB, runSoak } from './long/soak';

describe('soak (20 connections for 3 s; npm run soak runs 200 for 60 s)', function () {
  this.timeout(60000);
  it('bulk, ping-pong, half-close and cut connections through createServer/connect: no byte corrupted, no unexpected error', async () => {
    const r = await runSoak({ connections: 20, seconds: 3 });
    const summary = formatSoak(r, 20);
    expect(r.firstUnexpected, summary).to.deep.equal([]);
    expect(r.corrupted, summary).to.equal(0);
    expect(r.uncaught, summary).to.equal(0);
    expect(r.unexpectedErrors, summary).to.deep.equal({});
    for (const [mode, n] of Object.entries(r.byMode)) expect(n, `${mode} connections`).to.be.greaterThan(0);
    expect(r.bytesVerified).to.be.greaterThan(16 << 20);
    expect(r.endHeapMiB - r.warmHeapMiB, summary).to.be.lessThan(HEAP_GROWTH_BOUND_MIB);
  });
});
