import { expect } from 'chai';
import { once } from 'node:events';
import * as net from 'node:net';
import { AuthenticationError, connect, createServer, SslDuplex, SslServer } from '../lib';
import { fixtures } from './helpers/fixtures';
import { listen, readExactly, sslPair, tick } from './helpers/pairs';

describe('connect() and createServer() (contract §8)', () => {
  it("connect emits 'connect' then 'secureConnect'; createServer emits 'secureConnection'", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => s.pipe(s));
    expect(server).to.be.instanceOf(SslServer).and.instanceOf(net.Server);
    const port = await listen(server);
    const events: string[] = [];
    const client = connect(port, '127.0.0.1', { servername: 'localhost', ca: pki.ca.cert }, () =>
      events.push('listener'),
    );
    expect(client).to.be.instanceOf(SslDuplex);
    client.on('connect', () => events.push('connect'));
    client.on('secureConnect', () => events.push('secureConnect'));
    client.write('echo me'); // queued until the handshake completes
    await once(client, 'secureConnect');
    const got = await readExactly(client, 7);
    expect(got.toString()).to.equal('echo me');
    expect(events).to.deep.equal(['connect', 'listener', 'secureConnect']);
    expect(client.authorized).to.equal(true);
    expect(client.authorizationError).to.equal(null);
    client.destroy();
    server.close();
  });

  it("an untrusted server is an 'error' event with Node's error (code DEPTH_ZERO_SELF_SIGNED_CERT, as tls.connect gives); rejectUnauthorized: false lets it in", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.selfSigned.cert, key: pki.selfSigned.key }, (s) => s.end('hi'));
    const port = await listen(server);
    const bad = connect({ port, host: '127.0.0.1', servername: 'localhost' });
    const [err] = (await once(bad, 'error')) as [Error & { code?: string }];
    expect(err).to.not.be.instanceOf(AuthenticationError);
    expect(err.code).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
    const lax = connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
    await once(lax, 'secureConnect');
    expect(lax.authorized).to.equal(false);
    expect(lax.authorizationError).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
    lax.destroy();
    server.close();
  });

  it("a refused port is an 'error' event, not a throw", async () => {
    const server = net.createServer();
    const port = await listen(server);
    server.close();
    await tick(10);
    const client = connect(port, '127.0.0.1');
    const [err] = (await once(client, 'error')) as [Error & { code?: string }];
    expect(err.code, "the transport's own error, as tls.connect reports it").to.equal('ECONNREFUSED');
  });

  it("a client the server cannot authenticate → 'tlsClientError' (error, stream)", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, ca: pki.ca.cert });
    const port = await listen(server);
    const client = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
    client.on('error', () => undefined);
    const [err, stream] = (await once(server, 'tlsClientError')) as [Error & { code?: string }, SslDuplex];
    // As tls.createServer with requestCert: OpenSSL refuses a client without a certificate in the handshake.
    expect(err.code).to.equal('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    expect(stream).to.be.instanceOf(SslDuplex);
    client.destroy();
    server.close();
  });

  it('mutual TLS through the factories', async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, ca: pki.ca.cert });
    const port = await listen(server);
    const accepted = once(server, 'secureConnection') as Promise<[SslDuplex]>;
    const client = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
      cert: pki.client.cert,
      key: pki.client.key,
    });
    const [[s]] = await Promise.all([accepted, once(client, 'secureConnect')]);
    expect(s.isMutuallyAuthenticated && client.isMutuallyAuthenticated).to.equal(true);
    expect(s.authorized).to.equal(true);
    expect((s.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN).to.equal('test client');
    client.destroy();
    s.destroy();
    server.close();
  });

  it("a silent client is dropped after handshakeTimeout with Node's ERR_TLS_HANDSHAKE_TIMEOUT on 'tlsClientError', once", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key, handshakeTimeout: 100 });
    const reports: unknown[] = [];
    server.on('tlsClientError', (e) => reports.push(e));
    const port = await listen(server);
    const silent = net.connect(port, '127.0.0.1');
    const [err] = (await once(server, 'tlsClientError')) as [Error & { code?: string }];
    expect(err.code).to.equal('ERR_TLS_HANDSHAKE_TIMEOUT');
    await once(silent, 'close');
    await tick(50);
    expect(reports).to.have.length(1);
    server.close();
  });

  it('connect({ socket }) wraps an existing Duplex (no TCP connection of its own)', async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => s.end('over your socket'));
    const port = await listen(server);
    const raw = net.connect(port, '127.0.0.1');
    await once(raw, 'connect');
    const client = connect({ socket: raw, servername: 'localhost', ca: pki.ca.cert });
    const chunks: Buffer[] = [];
    for await (const c of client) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).to.equal('over your socket');
    server.close();
  });
});

describe('the socket surface', () => {
  it('forwards addresses and socket options to the inner socket; TLS members like TLSSocket', async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key, ALPNProtocols: ['http/1.1'] }, (s) =>
      s.pipe(s),
    );
    const port = await listen(server);
    const client = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
      ALPNProtocols: ['http/1.1'],
    });
    expect(client.encrypted).to.equal(true);
    expect(client.pending).to.equal(true);
    expect(client.readyState).to.equal('opening');
    await once(client, 'secureConnect');
    expect(client.remoteAddress).to.equal('127.0.0.1');
    expect(client.remotePort).to.equal(port);
    expect(client.remoteFamily).to.equal('IPv4');
    expect(client.localAddress).to.equal('127.0.0.1');
    expect(client.localPort).to.be.a('number');
    expect(client.address()).to.have.property('port', client.localPort);
    expect(client.setNoDelay(true)).to.equal(client);
    expect(client.setKeepAlive(true, 1000)).to.equal(client);
    expect(client.unref()).to.equal(client);
    expect(client.ref()).to.equal(client);
    expect(client.readyState).to.equal('open');
    expect(client.connecting).to.equal(false);
    expect(client.alpnProtocol).to.equal('http/1.1');
    expect(client.servername).to.equal('localhost');
    expect(client.getProtocol()).to.equal('TLSv1.3');
    expect(client.getCipher()!.standardName).to.equal(client.negotiatedCipherSuite);
    expect(client.getPeerX509Certificate()!.fingerprint256).to.equal(pki.server.x509.fingerprint256);
    expect((client.getPeerCertificate(true) as { raw: Buffer }).raw).to.be.instanceOf(Buffer);
    expect(client.exportKeyingMaterial(16, 'EXPORTER-test')).to.have.length(16);
    expect(client.getFinished()).to.be.instanceOf(Buffer);
    expect(client.isSessionReused()).to.equal(false);
    client.write('12345');
    await readExactly(client, 5);
    expect(client.bytesWritten).to.equal(5);
    expect(client.bytesRead).to.equal(5);
    client.destroySoon();
    await once(client, 'close');
    expect(client.readyState).to.equal('closed');
    server.close();
  });

  it("setTimeout emits 'timeout' after idleness and 0 turns it off", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, () => undefined);
    const port = await listen(server);
    const client = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
    await once(client, 'secureConnect');
    let fired = 0;
    client.setTimeout(50, () => fired++);
    expect(client.timeout).to.equal(50);
    await tick(120);
    expect(fired).to.equal(1);
    client.setTimeout(0);
    expect(client.timeout).to.equal(undefined);
    client.destroy();
    server.close();
  });

  it("members are harmless no-ops over an inner stream that lacks them; 'session' and 'keylog' are forwarded", async () => {
    const keylog: Buffer[] = [];
    const [client, server] = await sslPair();
    client.on('keylog', (line: Buffer) => keylog.push(line));
    const sessions: Buffer[] = [];
    client.on('session', (s: Buffer) => sessions.push(s));
    const pki = await fixtures();
    await Promise.all([
      client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    expect(client.setNoDelay()).to.equal(client);
    expect(client.ref().unref()).to.equal(client);
    expect(client.remoteAddress).to.equal(undefined);
    expect(client.address()).to.deep.equal({});
    await server.writeAsync(Buffer.from('x'));
    await readExactly(client, 1);
    expect(keylog.length).to.be.greaterThan(0);
    expect(keylog.join('')).to.match(/CLIENT_HANDSHAKE_TRAFFIC_SECRET/);
    expect(sessions.length).to.be.greaterThan(0);
    client.dispose();
    server.dispose();
  });
});
