import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { connect, createServer, IOError, type SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { certRequiringServer, listen } from './helpers/pairs';

/** Node's own TLS server: only the socket under test is ours. */
async function nodeServer(
  options: tls.TlsOptions,
  onSecure: (s: tls.TLSSocket) => void,
): Promise<{ port: number; server: tls.Server }> {
  const server = tls.createServer(options, (s) => {
    s.on('error', () => undefined);
    onSecure(s);
  });
  server.on('tlsClientError', () => undefined);
  return { port: await listen(server), server };
}

/** connect() to a local test server, trusting the test CA, checking the name localhost. */
function trustingClient(port: number, ca: string): SslDuplex {
  return connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
}

/** A secure connect() client of Node's own server (which just reads), and that server. */
async function connectedToNode(
  options: tls.TlsOptions,
  ca: string,
): Promise<{ client: SslDuplex; server: tls.Server }> {
  const { port, server } = await nodeServer(options, (s) => s.resume());
  const client = trustingClient(port, ca);
  await once(client, 'secureConnect');
  return { client, server };
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a socket made by connect(): the members and events of tls.TLSSocket (contract §8)', function () {
  this.timeout(20000);

  it("onread: the plaintext fills the caller's buffer and no 'data' is emitted", async () => {
    const pki = await fixtures();
    const message = Buffer.from('hello onread, in pieces of five');
    const { port, server } = await nodeServer({ cert: pki.server.cert, key: pki.server.key }, (s) => s.end(message));
    const pieces: Buffer[] = [];
    const into = Buffer.alloc(5);
    let sameBuffer = true;
    const client = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
      onread: {
        buffer: into,
        callback: (n: number, buf: Uint8Array) => {
          sameBuffer &&= buf === into;
          pieces.push(Buffer.from(buf.subarray(0, n)));
        },
      },
    });
    client.on('data', () => expect.fail("'data' with onread"));
    await once(client, 'end');
    expect(sameBuffer).to.equal(true);
    expect(Buffer.concat(pieces).equals(message)).to.equal(true);
    expect(Math.max(...pieces.map((p) => p.length))).to.equal(5);
    client.destroy();
    server.close();
  });

  it('TLS-PSK: pskCallback on both sides, no certificate at all', async () => {
    const key = Buffer.from('82072606b502b0f4025e90eb75fe137d', 'hex');
    let serverSaw: unknown;
    const server = createServer(
      {
        ciphers: 'PSK+HIGH:TLS_AES_128_GCM_SHA256',
        pskCallback: (socket, identity) => {
          serverSaw = socket;
          return identity === 'alice' ? key : null;
        },
      },
      (s) => s.end('psk ok'),
    );
    const port = await listen(server);
    const client = connect({
      port,
      host: '127.0.0.1',
      ciphers: 'PSK+HIGH:TLS_AES_128_GCM_SHA256',
      checkServerIdentity: () => undefined,
      pskCallback: () => ({ psk: key, identity: 'alice' }),
    });
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    await once(client, 'end');
    expect(Buffer.concat(chunks).toString()).to.equal('psk ok');
    expect(serverSaw, 'the socket the program knows, not a TLS socket inside').to.have.property('isAuthenticated');
    client.destroy();
    server.close();
  });

  it("renegotiate() announces the new handshake: 'secureConnect', the callback, then 'secure'", async () => {
    const pki = await fixtures();
    const { port, server } = await nodeServer(
      { cert: pki.server.cert, key: pki.server.key, maxVersion: 'TLSv1.2' },
      (s) => s.resume(),
    );
    const client = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
    await once(client, 'secureConnect');
    const order: string[] = [];
    client.on('secureConnect', () => order.push('secureConnect'));
    client.on('secure', () => order.push('secure'));
    await new Promise<void>((resolve, reject) => {
      const ok = client.renegotiate({ rejectUnauthorized: true }, (err) => {
        order.push('callback');
        if (err) reject(err);
        else setImmediate(resolve);
      });
      expect(ok).to.equal(true);
    });
    expect(order).to.deep.equal(['secureConnect', 'callback', 'secure']);
    client.destroy();
    server.close();
  });

  it('getPeerX509Certificate() links the issuer, and getPeerCertificate() still answers afterwards', async () => {
    const pki = await fixtures();
    // The server sends its chain: TLS links the issuer it got.
    const chain = [pki.server.cert, pki.ca.cert].join('\n');
    const { client, server } = await connectedToNode({ cert: chain, key: pki.server.key }, pki.ca.cert);
    const peer = client.getPeerX509Certificate()!;
    expect(peer.issuerCertificate?.subject).to.equal(new X509Certificate(pki.ca.cert).subject);
    // Node's own getPeerCertificate() answers {} after getPeerX509Certificate(); ours does not.
    expect(client.getPeerCertificate().subject).to.have.property('CN', 'localhost');
    client.destroy();
    server.close();
  });

  it("setServername(non-string) throws Node's ERR_INVALID_ARG_TYPE, word for word", async () => {
    const pki = await fixtures();
    const { client, server } = await connectedToNode({ cert: pki.server.cert, key: pki.server.key }, pki.ca.cert);
    const real = new tls.TLSSocket(new net.Socket()) as tls.TLSSocket & { setServername(name: string): void };
    for (const bad of [{}, 7, () => undefined, Symbol('s')]) {
      let theirs: Error | undefined;
      try {
        real.setServername(bad as unknown as string);
      } catch (e) {
        theirs = e as Error;
      }
      expect(() => client.setServername(bad as unknown as string)).to.throw(TypeError, theirs!.message);
    }
    real.destroy();
    client.destroy();
    server.close();
  });

  it('bufferSize counts unsent bytes, and is undefined once closed (as net.Socket)', async () => {
    const pki = await fixtures();
    const { client, server } = await connectedToNode({ cert: pki.server.cert, key: pki.server.key }, pki.ca.cert);
    expect(client.bufferSize).to.equal(0);
    client.destroy();
    await once(client, 'close');
    expect(client.bufferSize).to.equal(undefined);
    server.close();
  });

  /** A TLS 1.3 client without the certificate the server requires: done before the server judges it. */
  async function refusedAfterHandshake(): Promise<{ client: SslDuplex; server: net.Server }> {
    const pki = await fixtures();
    const { server, port } = await certRequiringServer(pki);
    server.on('tlsClientError', () => undefined);
    const client = trustingClient(port, pki.ca.cert);
    await once(client, 'secureConnect');
    return { client, server };
  }

  it("a fault after the handshake reaches 'error' though nobody reads (a TLS 1.3 client the server refuses)", async () => {
    const { client, server } = await refusedAfterHandshake();
    const [err] = (await once(client, 'error')) as [Error & { code?: string }];
    expect(err.code).to.equal('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    server.close();
  });

  it('with the .NET methods in use the same fault goes to the pending read, not to an unheard error', async () => {
    const { client, server } = await refusedAfterHandshake();
    const failure = await client.readAsync(new Uint8Array(8)).catch((e: unknown) => e);
    expect(failure).to.be.instanceOf(IOError);
    expect((failure as IOError).cause).to.have.property('code', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    server.close();
  });

  it("is destroyed the moment its transport closes (a 'close' listener on the transport sees it)", async () => {
    const pki = await fixtures();
    let tcp: net.Socket | undefined;
    const server = createServer({ cert: pki.server.cert, key: pki.server.key });
    const accepted = once(server, 'secureConnection') as Promise<[SslDuplex]>;
    const port = await listen(server);
    server.on('connection', (s: net.Socket) => (tcp = s));
    const client = trustingClient(port, pki.ca.cert);
    client.on('error', () => undefined);
    const [stream] = await accepted;
    const seen = new Promise<boolean>((resolve) => tcp!.once('close', () => resolve(stream.destroyed)));
    tcp!.destroy();
    expect(await seen).to.equal(true);
    client.destroy();
    server.close();
  });

  it('the transport closing before the handshake is done is still the handshake error', async () => {
    const raw = net.createServer((s) => s.once('data', () => s.destroy()));
    const port = await listen(raw);
    const client = connect({ port, host: '127.0.0.1' });
    const [err] = (await once(client, 'error')) as [Error & { code?: string }];
    expect(err.code).to.equal('ECONNRESET');
    await tick(10);
    raw.close();
  });

  it('members called right after connect() act on the handshake to come: setSession, setServername', async () => {
    const pki = await fixtures();
    const seen: Array<{ servername: string | false; reused: boolean }> = [];
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => {
      seen.push({ servername: s.servername, reused: s.isSessionReused() });
      expect(s.server).to.equal(server);
      s.end('x');
    });
    const port = await listen(server);
    const first = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert, maxVersion: 'TLSv1.2' });
    expect(first.server).to.equal(undefined);
    first.setServername('sni.example');
    first.resume();
    const [session] = (await once(first, 'session')) as [Buffer];
    await once(first, 'close');
    const second = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
      maxVersion: 'TLSv1.2',
    });
    // Before TLS exists it answers as Node's would: false outside OpenSSL's 512..16384.
    expect([second.setMaxSendFragment(100), second.setMaxSendFragment(4096)]).to.deep.equal([false, true]);
    second.setSession(session);
    second.resume();
    await once(second, 'close');
    expect(seen).to.deep.equal([
      { servername: 'sni.example', reused: false },
      // Node's own server reports no name for a resumed TLS 1.2 session either.
      { servername: false, reused: true },
    ]);
    server.close();
  });
});
