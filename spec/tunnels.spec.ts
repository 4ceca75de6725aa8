import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import { SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { readAll, readExactly } from './helpers/pairs';

describe('TLS over transports that are not TCP', function () {
  this.timeout(30000);

  it('child-process stdio (Duplex.from), 8 MiB with a SHA-256 check', async () => {
    const pki = await fixtures();
    const child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'stdio-server.js')], {
      env: { ...process.env, SSLD_CERT: pki.server.cert, SSLD_KEY: pki.server.key },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const inner = Duplex.from({ readable: child.stdout, writable: child.stdin });
    const client = new SslDuplex(inner, { allowHalfOpen: true });
    await client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert });
    const data = randomBytes(8 << 20);
    await client.writeAsync(data);
    await client.shutdownAsync();
    const answer = (await readAll(client)).toString();
    expect(answer).to.equal(createHash('sha256').update(data).digest('hex'));
    client.dispose();
    expect((await once(child, 'exit'))[0]).to.equal(0);
  });

  it('a WebSocket stream (TLS inside ws), 8 MiB both ways with SHA-256 checks', async () => {
    const pki = await fixtures();
    const web = http.createServer();
    const wss = new WebSocketServer({ server: web });
    const serverDone = new Promise<string>((resolve, reject) => {
      wss.on('connection', (ws) => {
        // A WebSocket has no half-close: ending its stream closes it. leaveInnerStreamOpen lets
        // close_notify go out while the socket stays open for the answer.
        const tls = new SslDuplex(createWebSocketStream(ws), { allowHalfOpen: true, leaveInnerStreamOpen: true });
        void (async () => {
          await tls.authenticateAsServerAsync(pki.server);
          const got = await readAll(tls);
          await tls.writeAsync(Buffer.from(createHash('sha256').update(got).digest('hex')));
          await tls.writeAsync(got); // and the bytes back
          await tls.shutdownAsync();
          resolve('done');
        })().catch(reject);
      });
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const { port } = web.address() as net.AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    await once(ws, 'open');
    const client = new SslDuplex(createWebSocketStream(ws), { allowHalfOpen: true, leaveInnerStreamOpen: true });
    await client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert });
    const data = randomBytes(8 << 20);
    await client.writeAsync(data);
    await client.shutdownAsync();
    const digest = (await readExactly(client, 64)).toString();
    expect(digest).to.equal(createHash('sha256').update(data).digest('hex'));
    const back = await readAll(client);
    expect(back.equals(data)).to.equal(true);
    await serverDone;
    client.dispose();
    ws.terminate();
    wss.close();
    web.close();
  });
});
