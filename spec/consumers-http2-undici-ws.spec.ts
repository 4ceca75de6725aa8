import { expect } from 'chai';
import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import { Agent, Client, request as undiciRequest } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { connect, createServer, type SslDuplex, type SslServer } from '../lib';
import { fixtures } from './helpers/fixtures';

async function listen(server: SslServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('consumers: http2, undici, ws over SslDuplex', function () {
  this.timeout(30000);

  describe('http2', () => {
    it('http2.connect({ createConnection }) with ALPN h2, against an http2 server fed SslDuplex', async () => {
      const pki = await fixtures();
      const h2 = http2.createServer();
      h2.on('stream', (stream, headers) => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end(`h2 says hi to ${headers[':path']}`);
      });
      const tlsServer = createServer({ cert: pki.server.cert, key: pki.server.key, ALPNProtocols: ['h2'] }, (s) => {
        expect(s.alpnProtocol).to.equal('h2');
        h2.emit('connection', s);
      });
      const port = await listen(tlsServer);
      const session = http2.connect(`https://localhost:${port}`, {
        createConnection: () =>
          connect({
            port,
            host: '127.0.0.1',
            servername: 'localhost',
            ca: pki.ca.cert,
            ALPNProtocols: ['h2'],
          }) as never,
      });
      const req = session.request({ ':path': '/over-ssl-duplex' });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      const [[headers]] = (await Promise.all([once(req, 'response'), once(req, 'end')])) as [
        [http2.IncomingHttpHeaders],
        unknown,
      ];
      expect(headers[':status']).to.equal(200);
      expect(body).to.equal('h2 says hi to /over-ssl-duplex');
      session.close();
      tlsServer.close();
      h2.close();
    });
  });

  describe('undici', () => {
    const connector =
      (port: number, ca: string, alpn?: string[]) =>
      (_opts: unknown, cb: (err: Error | null, socket: net.Socket | null) => void): void => {
        const s = connect({
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          ca,
          ...(alpn ? { ALPNProtocols: alpn } : {}),
        });
        // undici wants the callback asynchronously, once the socket is usable.
        s.once('secureConnect', () => cb(null, s as unknown as net.Socket));
        s.once('error', (e) => cb(e, null));
      };

    it('Client and Agent with a connect function returning SslDuplex (HTTP/1.1)', async () => {
      const pki = await fixtures();
      const web = http.createServer((req, res) => res.end(`undici ${req.method} ${req.url}`));
      const tlsServer = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => web.emit('connection', s));
      const port = await listen(tlsServer);
      const client = new Client(`https://localhost:${port}`, { connect: connector(port, pki.ca.cert) as never });
      const r1 = await client.request({ path: '/one', method: 'GET' });
      expect(await r1.body.text()).to.equal('undici GET /one');
      const r2 = await client.request({ path: '/two', method: 'POST', body: 'payload' });
      expect(await r2.body.text()).to.equal('undici POST /two');
      await client.close();

      const agent = new Agent({ connect: connector(port, pki.ca.cert) as never });
      const r3 = await undiciRequest(`https://localhost:${port}/three`, { dispatcher: agent });
      expect(await r3.body.text()).to.equal('undici GET /three');
      await agent.close();
      tlsServer.close();
      web.close();
    });

    it('h2 where undici negotiates it (allowH2, ALPN h2)', async () => {
      const pki = await fixtures();
      const h2 = http2.createServer((req, res) => res.end(`h2 via undici ${req.url}`));
      const tlsServer = createServer(
        { cert: pki.server.cert, key: pki.server.key, ALPNProtocols: ['h2', 'http/1.1'] },
        (s) => h2.emit('connection', s),
      );
      const port = await listen(tlsServer);
      const client = new Client(`https://localhost:${port}`, {
        allowH2: true,
        connect: connector(port, pki.ca.cert, ['h2', 'http/1.1']) as never,
      });
      const r = await client.request({ path: '/x', method: 'GET' });
      expect(await r.body.text()).to.equal('h2 via undici /x');
      await client.close();
      tlsServer.close();
      h2.close();
    });
  });

  describe('ws', () => {
    it('a WebSocket client and server over SslDuplex', async () => {
      const pki = await fixtures();
      const web = http.createServer();
      const wss = new WebSocketServer({ server: web });
      let serverSawSecure = false;
      wss.on('connection', (ws, req) => {
        serverSawSecure = (req.socket as unknown as SslDuplex).encrypted === true;
        ws.on('message', (data) => ws.send(`echo: ${String(data)}`));
      });
      const tlsServer = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => web.emit('connection', s));
      const port = await listen(tlsServer);
      const ws = new WebSocket(`wss://localhost:${port}/`, {
        createConnection: () =>
          connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert }) as unknown as net.Socket,
      });
      await once(ws, 'open');
      ws.send('hello');
      const [msg] = (await once(ws, 'message')) as [Buffer];
      expect(String(msg)).to.equal('echo: hello');
      expect(serverSawSecure).to.equal(true);
      ws.close();
      await once(ws, 'close');
      wss.close();
      tlsServer.close();
      web.close();
    });
  });
});
