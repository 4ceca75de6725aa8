import { expect } from 'chai';
import { formatHygiene, runHygiene } from './long/hygiene';

// npm run soak runs 10,000 cycles per transport with the same checks.
describe('resource hygiene (300 cycles per transport; npm run soak runs 10,000)', function () {
  this.timeout(60000);
  for (const transport of ['memory', 'tcp'] as const) {
    it(`connect/authenticate/transfer/close cycles over ${transport} return to baseline`, async () => {
      const r = await runHygiene({ cycles: 300, transport });
      expect(r.errors, r.errors.join('\n')).to.deep.equal([]);
      expect(r.survivors, 'SslDuplex objects still reachable').to.equal(0);
      expect(r.leakedResources, 'handles or timers left behind').to.deep.equal({});
      expect(r.leakedProcessListeners).to.equal(0);
      expect(r.innerListenerLeaks, 'listeners left on an inner stream kept open').to.equal(0);
      expect(r.heapGrowthMiB, formatHygiene(r)).to.be.lessThan(4);
      expect(r.rssGrowthMiB, formatHygiene(r)).to.be.lessThan(64);
    });
  }
});
