import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { connect, createServer, type ConnectOptions, type SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { listen } from './helpers/pairs';

/** A server from node:tls itself, so that only the client under test is ours. */
async function nodeServer(options: tls.TlsOptions): Promise<{ port: number; close: () => void }> {
  const server = tls.createServer(options, (s) => {
    s.on('error', () => undefined);
    s.end('hello');
  });
  server.on('tlsClientError', () => undefined);
  return { port: await listen(server), close: () => server.close() };
}

/** Node's own server with the test certificate for localhost: the fixtures, its port, close(). */
async function localhostServer(): Promise<{
  pki: Awaited<ReturnType<typeof fixtures>>;
  port: number;
  close: () => void;
}> {
  const pki = await fixtures();
  return { pki, ...(await nodeServer({ cert: pki.server.cert, key: pki.server.key })) };
}

/** connect() options for the test server at `port`, trusting the test CA, TLS 1.2 at most. */
function trustedTls12(port: number, ca: string): ConnectOptions {
  return { port, host: '127.0.0.1', servername: 'localhost', ca, maxVersion: 'TLSv1.2' };
}

async function secure(client: SslDuplex): Promise<void> {
  await once(client, 'secureConnect');
}

describe("connect(): Node's options, verification and errors (node-client.ts, contract §8)", function () {
  this.timeout(20000);

  it('checkServerIdentity is called with the host name and the peer certificate, and decides', async () => {
    const pki = await fixtures();
    const { port, close } = await nodeServer({ cert: pki.otherHost.cert, key: pki.otherHost.key });
    const seen: Array<[string, string]> = [];
    const accepting = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
      checkServerIdentity: (host, cert) => void seen.push([host, cert.subject.CN as string]),
    });
    await secure(accepting);
    expect(seen).to.deep.equal([['localhost', 'other.example']]);
    expect(accepting.authorized).to.equal(true);
    accepting.destroy();

    const refusal = Object.assign(new Error('not this one'), { code: 'MY_REFUSAL' });
    const refusing = connect({ port, host: '127.0.0.1', ca: pki.ca.cert, checkServerIdentity: () => refusal });
    const [err] = (await once(refusing, 'error')) as [Error];
    expect(err).to.equal(refusal);
    close();
  });

  it("a name mismatch is Node's ERR_TLS_CERT_ALTNAME_INVALID on 'error'; rejectUnauthorized: false reports it in authorizationError", async () => {
    const pki = await fixtures();
    const { port, close } = await nodeServer({ cert: pki.otherHost.cert, key: pki.otherHost.key });
    const strict = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
    const [err] = (await once(strict, 'error')) as [Error & { code?: string }];
    expect(err.code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    const lax = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
      rejectUnauthorized: false,
    });
    await secure(lax);
    expect(lax.authorized).to.equal(false);
    expect(lax.authorizationError).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    lax.destroy();
    close();
  });

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 lets an untrusted server in, as it does for tls.connect', async () => {
    const pki = await fixtures();
    const { port, close } = await nodeServer({ cert: pki.selfSigned.cert, key: pki.selfSigned.key });
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const client = connect({ port, host: '127.0.0.1', servername: 'localhost' });
      await secure(client);
      expect(client.authorizationError).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
      client.destroy();
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
      close();
    }
  });

  it('minVersion / maxVersion are honoured: maxVersion TLSv1.2 negotiates TLS 1.2; minVersion TLSv1.3 against a TLS 1.2 server fails', async () => {
    const pki = await fixtures();
    const { port, close } = await nodeServer({ cert: pki.server.cert, key: pki.server.key, maxVersion: 'TLSv1.2' });
    const capped = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
      maxVersion: 'TLSv1.2',
    });
    await secure(capped);
    expect(capped.getProtocol()).to.equal('TLSv1.2');
    capped.destroy();
    const floor = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert, minVersion: 'TLSv1.3' });
    const [err] = (await once(floor, 'error')) as [Error & { code?: string }];
    expect(err.code).to.match(/^ERR_SSL_/);
    close();
  });

  it("bad options throw at the call with Node's own errors, and open no connection", async () => {
    const server = net.createServer();
    let connections = 0;
    server.on('connection', (s) => (connections++, s.destroy()));
    const port = await listen(server);
    expect(() => connect({ port, ciphers: 9 as unknown as string }))
      .to.throw(TypeError)
      .with.property('code', 'ERR_INVALID_ARG_TYPE');
    expect(() => connect({ port, ciphers: 'NO-SUCH-CIPHER' })).to.throw(Error, /no cipher match/i);
    expect(() => connect({ port, minVersion: 'TLSv9' as tls.SecureVersion }))
      .to.throw(TypeError)
      .with.property('code', 'ERR_TLS_INVALID_PROTOCOL_VERSION');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections).to.equal(0);
    server.close();
  });

  it('a secureContext given is used as it is (its CA, not the default roots)', async () => {
    const { pki, port, close } = await localhostServer();
    const client = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      secureContext: tls.createSecureContext({ ca: pki.ca.cert }),
    });
    await secure(client);
    expect(client.authorized).to.equal(true);
    client.destroy();
    close();
  });

  it('a servername that is an IP address gets DEP0123, once, as tls.connect warns', async () => {
    const { pki, port, close } = await localhostServer();
    const warnings: Array<{ name: string; code?: string }> = [];
    const onWarning = (w: Error & { code?: string }): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 2; i++) {
        const client = connect({ port, host: '127.0.0.1', servername: '127.0.0.1', ca: pki.ca.cert });
        await secure(client);
        client.destroy();
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => [w.name, w.code])).to.deep.equal([['DeprecationWarning', 'DEP0123']]);
    } finally {
      process.removeListener('warning', onWarning);
      close();
    }
  });

  it('servername is false for an IP address (no SNI sent), as in Node', async () => {
    const { pki, port, close } = await localhostServer();
    const client = connect({ port, host: '127.0.0.1', ca: pki.ca.cert });
    await secure(client);
    expect(client.servername).to.equal(false);
    client.destroy();
    close();
  });

  it("a session from 'session' resumes a later connection (session option)", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => {
      s.on('error', () => undefined);
      s.end('x');
    });
    const port = await listen(server);
    const options = trustedTls12(port, pki.ca.cert);
    const first = connect(options);
    const [session] = (await once(first, 'session')) as [Buffer];
    first.resume();
    await once(first, 'close');
    const second = connect({ ...options, session });
    await secure(second);
    expect(second.isSessionReused()).to.equal(true);
    second.destroy();
    server.close();
  });

  it("a server that hangs up during the handshake is Node's ECONNRESET on 'error'", async () => {
    const server = net.createServer((s) => s.once('data', () => s.end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
    const [err] = (await once(client, 'error')) as [Error & { code?: string; host?: string; port?: number }];
    expect(err.code).to.equal('ECONNRESET');
    expect([err.host, err.port]).to.deep.equal(['127.0.0.1', (server.address() as net.AddressInfo).port]);
    server.close();
  });

  it("net.connect's own options go through (lookup is asked for the address)", async () => {
    const { pki, port, close } = await localhostServer();
    const asked: string[] = [];
    const client = connect({
      port,
      host: 'localhost',
      ca: pki.ca.cert,
      lookup: ((hostname: string, o: { all?: boolean }, cb: (e: Error | null, a: unknown, f?: number) => void) => {
        asked.push(hostname);
        if (o.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
        else cb(null, '127.0.0.1', 4);
      }) as unknown as net.LookupFunction,
    });
    await secure(client);
    expect(asked).to.deep.equal(['localhost']);
    client.destroy();
    close();
  });

  it("TLSSocket's members pass to Node's TLS: secureConnecting, bufferSize, setMaxSendFragment, disableRenegotiation, setServername's check", async () => {
    const { pki, port, close } = await localhostServer();
    const client = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
    expect(client.secureConnecting).to.equal(true);
    await secure(client);
    expect(client.secureConnecting).to.equal(false);
    expect(client.bufferSize).to.equal(0);
    expect(client.setMaxSendFragment(1024)).to.equal(true);
    expect(client.setMaxSendFragment(1)).to.equal(false); // below OpenSSL's minimum of 512
    client.disableRenegotiation();
    expect(() => client.setServername(undefined as unknown as string))
      .to.throw(TypeError)
      .with.property('code', 'ERR_INVALID_ARG_TYPE');
    expect(client.renegotiate({}, () => undefined)).to.equal(false); // TLS 1.3 has no renegotiation
    client.destroy();
    close();
  });
});

describe("createServer(): Node's options and errors (node-client.ts, contract §8)", function () {
  this.timeout(20000);

  it("bad options throw at the call with Node's own errors, as tls.createServer does", async () => {
    const pki = await fixtures();
    const base = { cert: pki.server.cert, key: pki.server.key };
    expect(() => createServer({ ...base, ciphers: 'NO-SUCH-CIPHER' })).to.throw(Error, /no cipher match/i);
    expect(() => createServer({ ...base, key: true as unknown as string }))
      .to.throw(TypeError)
      .with.property('code', 'ERR_INVALID_ARG_TYPE');
    expect(() => createServer({ ...base, key: 'not a key' })).to.throw(Error);
  });

  it("a client speaking something else is Node's TLS error on 'tlsClientError'; one that hangs up is ECONNRESET 'socket hang up'", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key });
    const port = await listen(server);
    const junk = net.connect(port, '127.0.0.1', () => junk.write('GET / HTTP/1.1\r\n\r\n'));
    junk.on('error', () => undefined);
    const [e1] = (await once(server, 'tlsClientError')) as [Error & { code?: string }];
    expect(e1.code).to.match(/^ERR_SSL_/);
    const quitter = net.connect(port, '127.0.0.1', () => quitter.end());
    const [e2] = (await once(server, 'tlsClientError')) as [Error & { code?: string }];
    expect(e2.code).to.equal('ECONNRESET');
    expect(e2.message).to.match(/socket hang up/);
    server.close();
  });
});

describe("SslServer: tls.Server's members (server.ts, contract §8)", function () {
  this.timeout(20000);

  it('addContext serves the context whose pattern matches the SNI name (one * for one label); others get the default', async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => {
      s.on('error', () => undefined);
      s.end();
    });
    server.addContext('*.test', { cert: pki.alpha.cert, key: pki.alpha.key });
    const port = await listen(server);
    const subjectFor = async (servername: string): Promise<string> => {
      const c = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false });
      await secure(c);
      const cn = c.getPeerCertificate().subject?.CN as string;
      c.destroy();
      return cn;
    };
    expect(await subjectFor('alpha.test')).to.equal('alpha.test');
    expect(await subjectFor('a.b.test')).to.equal('localhost');
    expect(await subjectFor('localhost')).to.equal('localhost');
    server.close();
  });

  it("the server's cipher order wins unless honorCipherOrder is false, as with tls.Server", async () => {
    const pki = await fixtures();
    const negotiated = async (honorCipherOrder?: boolean): Promise<string | undefined> => {
      const server = createServer({
        cert: pki.rsaServer.cert,
        key: pki.rsaServer.key,
        ciphers: 'AES256-SHA256:AES128-GCM-SHA256',
        maxVersion: 'TLSv1.2',
        ...(honorCipherOrder === undefined ? {} : { honorCipherOrder }),
      });
      server.on('secureConnection', (s) => s.end());
      const client = connect({
        port: await listen(server),
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.ca.cert,
        ciphers: 'AES128-GCM-SHA256:AES256-SHA256',
        maxVersion: 'TLSv1.2',
      });
      await secure(client);
      const name = client.getCipher()?.name;
      client.destroy();
      server.close();
      return name;
    };
    expect(await negotiated()).to.equal('AES256-SHA256');
    expect(await negotiated(false)).to.equal('AES128-GCM-SHA256');
  });

  it('getTicketKeys/setTicketKeys read and replace the keys of the shared context', async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key });
    const keys = server.getTicketKeys();
    expect(keys.length).to.equal(48);
    const fresh = Buffer.alloc(48, 7);
    server.setTicketKeys(fresh);
    expect(server.getTicketKeys().equals(fresh)).to.equal(true);
  });
});

describe("the stream face's 'close' (contract §7)", () => {
  it("'close' says hadError: true after an error, false after a clean end, as a net.Socket's does", async () => {
    const { pki, port, close } = await localhostServer();
    const clean = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
    clean.resume();
    const [hadErrorClean] = (await once(clean, 'close')) as [boolean];
    expect(hadErrorClean).to.equal(false);
    const failing = connect({ port, host: '127.0.0.1', servername: 'wrong.example', ca: pki.ca.cert });
    failing.on('error', () => undefined);
    // (events.once would reject on the 'error' that comes first.)
    const hadError = await new Promise<boolean>((resolve) => failing.once('close', resolve));
    expect(hadError).to.equal(true);
    close();
  });
});

describe("connect(): minDHSize and the server's keylog (node-client.ts, server.ts)", function () {
  this.timeout(20000);

  it('minDHSize is checked at the call as tls.connect checks it (AssertionError), and a weaker DH server is ERR_TLS_DH_PARAM_SIZE', async () => {
    expect(() => connect({ port: 1, minDHSize: 0 })).to.throw(/minDHSize is not a positive number/);
    expect(() => connect({ port: 1, minDHSize: '1' as unknown as number })).to.throw(/minDHSize is not a number/);
    const pki = await fixtures();
    const dhparam = spawnSync('openssl', ['dhparam', '1024'], { encoding: 'utf8' }).stdout;
    const { port, close } = await nodeServer({
      cert: pki.rsaServer.cert,
      key: pki.rsaServer.key,
      dhparam,
      ciphers: 'DHE-RSA-AES128-GCM-SHA256',
      maxVersion: 'TLSv1.2',
    });
    const options = trustedTls12(port, pki.ca.cert);
    const weak = connect({ ...options, minDHSize: 2048 });
    const [err] = (await once(weak, 'error')) as [Error & { code?: string }];
    expect(err.code).to.equal('ERR_TLS_DH_PARAM_SIZE');
    const fine = connect({ ...options, minDHSize: 1024 });
    await secure(fine);
    expect((fine.getEphemeralKeyInfo() as { type?: string }).type).to.equal('DH');
    fine.destroy();
    close();
  });

  it("an SslServer with a 'keylog' listener emits (line, socket) for its connections, as tls.Server does", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => s.end());
    const lines: Array<[Buffer, unknown]> = [];
    server.on('keylog', (line: Buffer, socket: unknown) => lines.push([line, socket]));
    const client = connect({
      port: await listen(server),
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.ca.cert,
    });
    await secure(client);
    client.resume();
    await once(client, 'close');
    expect(lines.length).to.be.greaterThan(0);
    expect(lines[0]![0].toString()).to.match(/^[A-Z_]+ [0-9a-f]+ [0-9a-f]+/);
    expect((lines[0]![1] as { encrypted?: boolean }).encrypted).to.equal(true);
    server.close();
  });
});
