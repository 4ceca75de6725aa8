import { expect } from 'chai';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { connect, createServer, type SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { freePort, have, pkiFiles, startPeer, waitForPort, type Peer } from './helpers/processes';

function get(
  options: http.RequestOptions,
  hooks?: (req: http.ClientRequest) => void,
): Promise<{ status: number; body: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket! }));
    });
    req.on('error', reject);
    hooks?.(req);
    req.end();
  });
}

describe('consumers: Node http over SslDuplex', function () {
  this.timeout(30000);

  describe('http client (createConnection) against nginx serving HTTPS', () => {
    let nginx: Peer | undefined;
    let port = 0;
    let files: Awaited<ReturnType<typeof pkiFiles>>;

    before(async function () {
      if (!have('nginx')) this.skip();
      files = await pkiFiles();
      port = await freePort();
      const conf = path.join(files.dir, 'nginx.conf');
      writeFileSync(
        conf,
        `daemon off;
master_process off;
pid ${files.dir}/nginx.pid;
error_log ${files.dir}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${files.dir};
  proxy_temp_path ${files.dir};
  fastcgi_temp_path ${files.dir};
  uwsgi_temp_path ${files.dir};
  scgi_temp_path ${files.dir};
  keepalive_requests 100;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${files.file('server.pem')};
    ssl_certificate_key ${files.file('server.key')};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 "hello from nginx over $ssl_protocol\\n"; }
  }
}
`,
      );
      nginx = startPeer('nginx', ['-c', conf, '-p', files.dir, '-e', path.join(files.dir, 'error.log')]);
      await waitForPort(port);
    });
    after(async () => {
      await nginx?.stop();
      files?.cleanup();
    });

    const dial = async (): Promise<SslDuplex> => {
      const pki = await fixtures();
      return connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
    };

    it('a plain request with createConnection', async () => {
      const s = await dial();
      const r = await get({ host: 'localhost', port, path: '/', createConnection: () => s as unknown as net.Socket });
      expect(r.status).to.equal(200);
      expect(r.body).to.equal('hello from nginx over TLSv1.3\n');
    });

    it('through a keep-alive http.Agent, with req.setNoDelay() and req.setSocketKeepAlive()', async () => {
      const ca = (await fixtures()).ca.cert;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let made = 0;
      // http.Agent calls createConnection for each new socket; ours hands it an SslDuplex.
      (agent as unknown as { createConnection: () => unknown }).createConnection = () => {
        made++;
        return connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
      };
      const hooks = (req: http.ClientRequest): void => {
        req.setNoDelay(true);
        req.setSocketKeepAlive(true, 1000);
      };
      const first = await get({ host: 'localhost', port, path: '/', agent }, hooks);
      const second = await get({ host: 'localhost', port, path: '/again', agent }, hooks);
      expect(first.status).to.equal(200);
      expect(second.status).to.equal(200);
      expect(made).to.equal(1); // the second request reused the SslDuplex
      expect(second.socket).to.equal(first.socket);
      agent.destroy();
    });
  });

  describe('http.Server fed SslDuplex connections, curl as the client', () => {
    it('serves HTTPS; req.socket.encrypted is true', async function () {
      if (!have('curl')) this.skip();
      const pki = await fixtures();
      const files = await pkiFiles();
      const web = http.createServer((req, res) => {
        const s = req.socket as unknown as SslDuplex;
        res.end(`encrypted=${String(s.encrypted)} protocol=${s.getProtocol()} remote=${s.remoteAddress}\n`);
      });
      const tlsServer = createServer({ cert: pki.server.cert, key: pki.server.key, ALPNProtocols: ['http/1.1'] }, (s) =>
        web.emit('connection', s),
      );
      await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
      const { port } = tlsServer.address() as net.AddressInfo;
      try {
        const curl = spawn('curl', [
          '-sS',
          '--cacert',
          files.file('ca.pem'),
          `https://localhost:${port}/`,
          '--resolve',
          `localhost:${port}:127.0.0.1`,
        ]);
        let out = '';
        curl.stdout.on('data', (c: Buffer) => (out += c.toString()));
        curl.stderr.on('data', (c: Buffer) => (out += c.toString()));
        const [code] = (await once(curl, 'exit')) as [number];
        expect(code, out).to.equal(0);
        expect(out).to.equal('encrypted=true protocol=TLSv1.3 remote=127.0.0.1\n');
      } finally {
        tlsServer.close();
        web.close();
        files.cleanup();
      }
    });

    it('Node http client ↔ Node http server, both over SslDuplex, with emit("connection")', async () => {
      const pki = await fixtures();
      const web = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () =>
          res.end(`got ${body.length} bytes over ${(req.socket as unknown as SslDuplex).negotiatedCipherSuite}`),
        );
      });
      const tlsServer = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => web.emit('connection', s));
      await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
      const { port } = tlsServer.address() as net.AddressInfo;
      const body = 'x'.repeat(100000);
      const res = await new Promise<string>((resolve, reject) => {
        const req = http.request(
          {
            method: 'POST',
            host: 'localhost',
            port,
            createConnection: () =>
              connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert }) as unknown as net.Socket,
          },
          (r) => {
            let b = '';
            r.on('data', (c: Buffer) => (b += c.toString()));
            r.on('end', () => resolve(b));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(res).to.match(/^got 100000 bytes over TLS_/);
      tlsServer.close();
      web.close();
    });
  });
});
