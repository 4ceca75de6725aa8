import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import * as net from 'node:net';
import { createServer, SslDuplex } from '../lib';
import { httpsGet } from '../examples/https-request';
import { starttlsSession } from '../examples/starttls-client';
import { fixtures } from './helpers/fixtures';

function lines(child: ChildProcess): { all: string[]; waitFor: (re: RegExp) => Promise<RegExpMatchArray> } {
  const all: string[] = [];
  const waiters: Array<[RegExp, (m: RegExpMatchArray) => void]> = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      all.push(line);
      for (const [re, resolve] of waiters) {
        const m = line.match(re);
        if (m) resolve(m);
      }
    }
  });
  return {
    all,
    waitFor: (re) =>
      new Promise((resolve) => {
        const hit = all.map((l) => l.match(re)).find(Boolean);
        if (hit) resolve(hit);
        else waiters.push([re, resolve]);
      }),
  };
}

describe('examples: the SslStream.BeginWrite sample, ported', () => {
  const dir = path.resolve(__dirname, '..', 'examples');
  let tmp: string;
  before(async () => {
    const pki = await fixtures();
    tmp = mkdtempSync(path.join(tmpdir(), 'ssl-duplex-'));
    writeFileSync(path.join(tmp, 'cert.pem'), pki.server.cert);
    writeFileSync(path.join(tmp, 'key.pem'), pki.server.key);
    writeFileSync(path.join(tmp, 'ca.pem'), pki.ca.cert);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the server reads until <EOF> with beginRead/endRead and answers with beginWrite/endWrite', async () => {
    const server = spawn(process.execPath, [
      path.join(dir, 'seed-server.js'),
      path.join(tmp, 'cert.pem'),
      path.join(tmp, 'key.pem'),
    ]);
    try {
      const out = lines(server);
      const [, port] = await out.waitFor(/^Listening on (\d+)/);
      const client = spawn(process.execPath, [path.join(dir, 'seed-client.js'), port!, path.join(tmp, 'ca.pem')]);
      const clientOut = lines(client);
      const code = await new Promise<number | null>((resolve) => client.on('exit', resolve));
      expect(code).to.equal(0);
      expect(clientOut.all).to.include('Server says: Hello from the server.<EOF>');
      await out.waitFor(/^Write complete\./);
      expect(out.all).to.include('Message from the client: Hello from the client.<EOF>');
    } finally {
      server.kill();
    }
  });
});

describe('examples: STARTTLS client, https request, TLS over a child process', function () {
  this.timeout(20000);
  const dir = path.resolve(__dirname, '..', 'examples');

  it('starttls-client upgrades an SMTP session and reads the EHLO reply over TLS', async () => {
    const pki = await fixtures();
    const server = net.createServer((socket) => {
      let buf = '';
      socket.write('220 localhost ESMTP\r\n');
      const onData = (c: Buffer): void => {
        buf += c.toString('latin1');
        if (/^EHLO/m.test(buf) && !buf.includes('STARTTLS')) {
          socket.write('250-localhost\r\n250 STARTTLS\r\n');
        }
        if (buf.includes('STARTTLS\r\n')) {
          socket.removeListener('data', onData);
          socket.write('220 2.0.0 Ready to start TLS\r\n');
          const tls = new SslDuplex(socket);
          void (async () => {
            await tls.authenticateAsServerAsync(pki.server);
            const b = new Uint8Array(1024);
            await tls.readAsync(b); // EHLO
            await tls.writeAsync(Buffer.from('250-localhost\r\n250 AUTH PLAIN\r\n'));
            await tls.readAsync(b); // QUIT
            await tls.writeAsync(Buffer.from('221 bye\r\n'));
            tls.dispose();
          })();
        }
      };
      socket.on('data', onData);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const lines = await starttlsSession('127.0.0.1', port, pki.ca.cert);
    expect(lines[0]).to.match(/^TLS: TLS_/);
    expect(lines).to.include('250 AUTH PLAIN');
    server.close();
  });

  it('https-request fetches a page through createConnection', async () => {
    const pki = await fixtures();
    const web = http.createServer((req, res) => res.end(`you asked for ${req.url}`));
    const tlsServer = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => web.emit('connection', s));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const { port } = tlsServer.address() as import('node:net').AddressInfo;
    const r = await httpsGet(`https://localhost:${port}/example?x=1`, pki.ca.cert);
    expect(r.status).to.equal(200);
    expect(r.body).to.equal('you asked for /example?x=1');
    expect(r.protocol).to.match(/^TLSv1\.3 TLS_/);
    tlsServer.close();
    web.close();
  });

  it('tls-over-child-process runs as a program and the child answers over TLS', () => {
    const r = spawnSync(process.execPath, [path.join(dir, 'tls-over-child-process.js'), 'ping over stdio'], {
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^child \d+ read 15 bytes over TLS_\S+: PING OVER STDIO\n$/);
  });

  it('unwrap ends TLS and reads the plaintext the server sent in the same TCP write as its close_notify', () => {
    const r = spawnSync(process.execPath, [path.join(dir, 'unwrap.js')], { encoding: 'utf8', timeout: 20000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(
      'over TLS 1.3: secret answer to the question\nafter unwrap: plaintext again, on the same connection\n',
    );
  });
});
