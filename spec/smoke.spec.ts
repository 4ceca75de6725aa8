import { expect } from 'chai';
import { authenticatedPair, readExactly } from './helpers/pairs';

describe('smoke', () => {
  for (const transport of ['memory', 'tcp'] as const) {
    it(`exchanges bytes both ways over ${transport}`, async () => {
      const [client, server] = await authenticatedPair({ transport });
      await client.writeAsync(Buffer.from('hello'));
      expect((await readExactly(server, 5)).toString()).to.equal('hello');
      await server.writeAsync(Buffer.from('world!'));
      expect((await readExactly(client, 6)).toString()).to.equal('world!');
      client.dispose();
      server.dispose();
    });
  }
});
