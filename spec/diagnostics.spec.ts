import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { ArgumentError, SslDuplex } from '../lib';
import { authenticatedPair, innerPair } from './helpers/pairs';

// NSS key log format: LABEL <64 hex client random> <hex secret>
const keyLogLine =
  /^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]{64,}$/;

describe('diagnostics: key log and NODE_DEBUG', () => {
  for (const protocol of ['TLS 1.3', 'TLS 1.2'] as const) {
    it(`the keylog option writes SSLKEYLOGFILE lines Wireshark can read (${protocol})`, async () => {
      const sink = new PassThrough();
      const lines: string[] = [];
      sink.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
      const [client, server] = await authenticatedPair({
        clientDuplex: { keylog: sink },
        client: { enabledSslProtocols: protocol === 'TLS 1.3' ? 12288 : 3072 },
      });
      await new Promise((r) => setImmediate(r));
      expect(lines.length).to.be.greaterThan(0);
      for (const line of lines) expect(line).to.match(keyLogLine);
      if (protocol === 'TLS 1.3') expect(lines.some((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0'))).to.equal(true);
      else expect(lines.some((l) => l.startsWith('CLIENT_RANDOM'))).to.equal(true);
      client.dispose();
      server.dispose();
    });
  }

  it('keylog also takes a function, and refuses anything else', async () => {
    const lines: Buffer[] = [];
    const [client, server] = await authenticatedPair({ serverDuplex: { keylog: (l) => lines.push(l) } });
    expect(lines.length).to.be.greaterThan(0);
    client.dispose();
    server.dispose();
    const [a] = await innerPair('memory');
    expect(() => new SslDuplex(a, { keylog: 42 as never })).to.throw(ArgumentError);
  });

  it('NODE_DEBUG=ssl-duplex logs state transitions and handshake results; silent without it', () => {
    const script = `
      const { authenticatedPair } = require(${JSON.stringify(path.join(__dirname, 'helpers', 'pairs.js'))});
      authenticatedPair().then(([c, s]) => { c.dispose(); s.dispose(); });`;
    const on = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_DEBUG: 'ssl-duplex' },
      encoding: 'utf8',
    });
    expect(on.stderr).to.match(/SSL-DUPLEX \d+: Created → Authenticating/);
    expect(on.stderr).to.match(/Authenticating → Authenticated \(client, TLSv1\.3, TLS_/);
    const off = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_DEBUG: '' },
      encoding: 'utf8',
    });
    expect(off.stderr).not.to.contain('SSL-DUPLEX');
  });
});
