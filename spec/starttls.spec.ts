import { expect } from 'chai';
import * as net from 'node:net';
import { SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { readExactly } from './helpers/pairs';
import { have, opensslClient, pkiFiles } from './helpers/processes';

/** Reads one CRLF line from a plaintext socket; bytes after it are put back (unshift) for TLS. */
function readLine(socket: net.Socket): Promise<{ line: string; rest: number }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      socket.removeListener('data', onData);
      socket.removeListener('error', reject);
      socket.pause();
      const rest = buf.subarray(i + 2);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ line: buf.subarray(0, i).toString('latin1'), rest: rest.length });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

async function tcpPair(): Promise<[net.Socket, net.Socket, net.Server]> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return [client, await accepted, server];
}

describe('STARTTLS', function () {
  this.timeout(30000);

  it('a plaintext exchange on a net.Socket, then the upgrade with SslDuplex on both ends', async () => {
    const pki = await fixtures();
    const [c, s, listener] = await tcpPair();
    listener.close();
    s.write('220 ready\r\n');
    expect((await readLine(c)).line).to.equal('220 ready');
    c.write('STARTTLS\r\n');
    expect((await readLine(s)).line).to.equal('STARTTLS');
    s.write('220 go ahead\r\n');
    expect((await readLine(c)).line).to.equal('220 go ahead');
    const client = new SslDuplex(c);
    const server = new SslDuplex(s);
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    await client.writeAsync(Buffer.from('EHLO secure\r\n'));
    expect((await readExactly(server, 13)).toString()).to.equal('EHLO secure\r\n');
    client.dispose();
    server.dispose();
  });

  it("the peer's first TLS bytes arrive in the same chunk as the last plaintext line", async () => {
    const pki = await fixtures();
    const [c, s, listener] = await tcpPair();
    listener.close();
    // The client pipelines: STARTTLS and its ClientHello leave in one write.
    c.cork();
    c.write('STARTTLS\r\n');
    const client = new SslDuplex(c);
    const clientAuth = client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert });
    setImmediate(() => c.uncork());
    const { line, rest } = await readLine(s);
    expect(line).to.equal('STARTTLS');
    expect(rest, 'TLS bytes in the same chunk').to.be.greaterThan(0);
    // The server takes the socket with the ClientHello already buffered in it.
    const server = new SslDuplex(s);
    await Promise.all([clientAuth, server.authenticateAsServerAsync(pki.server)]);
    await server.writeAsync(Buffer.from('250 upgraded\r\n'));
    expect((await readExactly(client, 14)).toString()).to.equal('250 upgraded\r\n');
    client.dispose();
    server.dispose();
  });

  it('openssl s_client -starttls smtp against a small SMTP server that upgrades with SslDuplex', async function () {
    if (!have('openssl')) this.skip();
    const pki = await fixtures();
    const files = await pkiFiles();
    const smtp = net.createServer();
    const session = new Promise<string>((resolve, reject) => {
      smtp.once('connection', (socket: net.Socket) => {
        void (async () => {
          socket.write('220 localhost ESMTP ssl-duplex\r\n');
          for (;;) {
            const { line } = await readLine(socket);
            if (/^EHLO/i.test(line)) socket.write('250-localhost\r\n250 STARTTLS\r\n');
            else if (/^STARTTLS/i.test(line)) {
              socket.write('220 2.0.0 Ready to start TLS\r\n');
              break;
            } else socket.write('500 unknown\r\n');
          }
          const tls = new SslDuplex(socket);
          await tls.authenticateAsServerAsync(pki.server);
          await tls.writeAsync(Buffer.from('250 secure hello\r\n'));
          const got = await readExactly(tls, 12);
          tls.dispose();
          resolve(got.toString());
        })().catch(reject);
      });
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.address() as net.AddressInfo;
    const peer = opensslClient(port, ['-starttls', 'smtp', '-verify_return_error', '-quiet'], files);
    try {
      await peer.waitFor('250 secure hello');
      peer.child.stdin!.write('QUIT secure\n');
      expect(await session).to.equal('QUIT secure\n');
    } finally {
      await peer.stop();
      smtp.close();
      files.cleanup();
    }
  });
});
