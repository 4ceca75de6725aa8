import { expect } from 'chai';
import { constants, randomBytes } from 'node:crypto';
import { captureRejectionSymbol, once } from 'node:events';
import * as tls from 'node:tls';
import { createServer, type SslDuplex, type SslServer } from '../lib';
import { fixtures } from './helpers/fixtures';
import { certRequiringServer, listen } from './helpers/pairs';

/** Node's own client: only the server under test is ours. */
function nodeClient(port: number, options: tls.ConnectionOptions = {}): tls.TLSSocket {
  const client = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...options });
  client.on('error', () => undefined);
  return client;
}

/** One connection to `server` from Node's client; resolves once both sides are secure. */
async function accept(
  server: SslServer,
  options: tls.ConnectionOptions = {},
): Promise<{ stream: SslDuplex; client: tls.TLSSocket }> {
  const port = (server.address() as { port: number } | null)?.port ?? (await listen(server));
  const accepted = once(server, 'secureConnection') as Promise<[SslDuplex]>;
  const client = nodeClient(port, options);
  const [[stream]] = await Promise.all([accepted, once(client, 'secureConnect')]);
  return { stream, client };
}

/** The fingerprint of the certificate `server` presents to a client asking for `servername`; then closes. */
async function servedFor(server: SslServer, servername: string): Promise<string> {
  const { stream, client } = await accept(server, { servername });
  const fingerprint = client.getPeerX509Certificate()!.fingerprint256;
  client.destroy();
  stream.destroy();
  server.close();
  return fingerprint;
}

describe('createServer(): the members and events of tls.Server (contract §8)', function () {
  this.timeout(20000);

  it('SNI: the most recently added matching addContext() wins', async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key });
    server.addContext('*.example', { cert: pki.alpha.cert, key: pki.alpha.key });
    server.addContext('*.example', { cert: pki.beta.cert, key: pki.beta.key });
    expect(await servedFor(server, 'a.example')).to.equal(pki.beta.x509.fingerprint256);
  });

  it('SNI: an SNICallback option is asked instead of addContext()', async () => {
    const pki = await fixtures();
    const asked: string[] = [];
    const server = createServer({
      cert: pki.server.cert,
      key: pki.server.key,
      SNICallback: (name, cb) => {
        asked.push(name);
        cb(null, tls.createSecureContext({ cert: pki.alpha.cert, key: pki.alpha.key }));
      },
    });
    server.addContext('*.example', { cert: pki.beta.cert, key: pki.beta.key });
    expect(await servedFor(server, 'a.example')).to.equal(pki.alpha.x509.fingerprint256);
    expect(asked).to.deep.equal(['a.example']);
  });

  it('ticketKeys are the server’s own: two servers with the same options do not share them', async () => {
    const pki = await fixtures();
    const keys = randomBytes(48);
    const a = createServer({ cert: pki.server.cert, key: pki.server.key, ticketKeys: keys });
    const b = createServer({ cert: pki.server.cert, key: pki.server.key, ticketKeys: keys });
    expect(a.getTicketKeys().equals(keys)).to.equal(true);
    a.setTicketKeys(randomBytes(48));
    expect(b.getTicketKeys().equals(keys), 'rotating one server left the other alone').to.equal(true);
    // cluster hands the first worker's keys to the others through these.
    b._setServerData(a._getServerData());
    expect(b.getTicketKeys().equals(a.getTicketKeys())).to.equal(true);
  });

  it("session events: 'newSession' and 'resumeSession' let a server keep its own cache (TLS 1.2, no tickets)", async () => {
    const pki = await fixtures();
    const server = createServer({
      cert: pki.server.cert,
      key: pki.server.key,
      secureOptions: constants.SSL_OP_NO_TICKET,
    });
    const cache = new Map<string, Buffer>();
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      cache.set(id.toString('hex'), data);
      done();
    });
    let resumed = 0;
    server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data?: Buffer | null) => void) => {
      resumed++;
      cb(null, cache.get(id.toString('hex')) ?? null);
    });
    const first = await accept(server, { maxVersion: 'TLSv1.2' });
    const session = first.client.getSession()!;
    first.client.destroy();
    first.stream.destroy();
    expect(cache.size).to.equal(1);
    const second = await accept(server, { maxVersion: 'TLSv1.2', session });
    expect(resumed).to.equal(1);
    expect(second.client.isSessionReused()).to.equal(true);
    expect(second.stream.isSessionReused()).to.equal(true);
    second.client.destroy();
    second.stream.destroy();
    server.close();
  });

  it('pauseOnConnect: the secure socket arrives paused; allowHalfOpen is passed on', async () => {
    const pki = await fixtures();
    const server = createServer({
      cert: pki.server.cert,
      key: pki.server.key,
      pauseOnConnect: true,
      allowHalfOpen: true,
    });
    expect((server as unknown as { pauseOnConnect: boolean }).pauseOnConnect).to.equal(true);
    const { stream, client } = await accept(server);
    expect(stream.isPaused()).to.equal(true);
    expect(stream.allowHalfOpen).to.equal(true);
    client.destroy();
    stream.destroy();
    server.close();
  });

  it("a rejected async 'secureConnection' listener destroys that socket with the error (captureRejections)", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key });
    const boom = new Error('kaboom');
    const seen = new Promise<Error>((resolve) => {
      server.on('secureConnection', (s: SslDuplex) => s.on('error', resolve));
    });
    server[captureRejectionSymbol]!(boom, 'secureConnection', (await accept(server)).stream);
    expect(await seen).to.equal(boom);
    server.close();
  });

  it('requestCert: a client without a certificate fails in the handshake, with OpenSSL’s code', async () => {
    const pki = await fixtures();
    const { server, port } = await certRequiringServer(pki);
    nodeClient(port, { maxVersion: 'TLSv1.2' });
    const [err] = (await once(server, 'tlsClientError')) as [Error & { code?: string }];
    expect(err.code).to.equal('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    server.close();
  });

  it('requestCert: a certificate the server cannot verify is a hang-up, as tls.Server reports it', async () => {
    const pki = await fixtures();
    const { server, port } = await certRequiringServer(pki);
    nodeClient(port, { cert: pki.selfSigned.cert, key: pki.selfSigned.key });
    const [err] = (await once(server, 'tlsClientError')) as [Error & { code?: string }];
    expect([err.code, err.message]).to.deep.equal(['ECONNRESET', 'socket hang up']);
    server.close();
  });

  it("mirrors its options as tls.Server does (server.ca, server.requestCert…), and setOptions() is Node's", async () => {
    const pki = await fixtures();
    const server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, ca: pki.ca.cert });
    const node = tls.createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, ca: pki.ca.cert });
    for (const key of [
      'cert',
      'ca',
      'requestCert',
      'rejectUnauthorized',
      'honorCipherOrder',
      'sessionIdContext',
    ] as const) {
      expect(server[key], key).to.deep.equal((node as unknown as Record<string, unknown>)[key]);
    }
    const warned = once(process, 'warning') as Promise<[Error & { code?: string }]>;
    server.setOptions({ clientCertEngine: 'dynamic', requestCert: false } as tls.TlsOptions);
    expect(server.clientCertEngine).to.equal('dynamic');
    expect(server.requestCert).to.equal(false);
    expect((await warned)[0].code).to.equal('DEP0122');
  });
});

describe('createServer(): renegotiation as tls.Server has it', function () {
  this.timeout(20000);

  interface Outcome {
    renegotiated: boolean;
    after: string;
    serverError: string | undefined;
  }

  /** A TLS 1.2 client renegotiates, then writes; what the server saw. Ours and Node's must agree. */
  async function renegotiateThenWrite(make: typeof tls.createServer, secureOptions: number): Promise<Outcome> {
    const pki = await fixtures();
    let serverError: string | undefined;
    const received: Buffer[] = [];
    const server = make({ cert: pki.server.cert, key: pki.server.key, maxVersion: 'TLSv1.2', secureOptions }, (s) => {
      s.on('data', (c: Buffer) => received.push(c));
      s.on('error', (e: Error & { code?: string }) => (serverError = e.code));
    });
    const port = await listen(server);
    const client = nodeClient(port);
    await once(client, 'secureConnect');
    let renegotiated = false;
    client.renegotiate({}, (err) => (renegotiated = err === null));
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (!client.destroyed) client.write('after');
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.destroy();
    server.close();
    return { renegotiated, after: Buffer.concat(received).toString(), serverError };
  }

  it("a client's renegotiation is followed by default, as Node's server follows it", async () => {
    const ours = await renegotiateThenWrite(createServer as unknown as typeof tls.createServer, 0);
    expect(ours).to.deep.equal({ renegotiated: true, after: 'after', serverError: undefined });
    expect(ours).to.deep.equal(await renegotiateThenWrite(tls.createServer, 0));
  });

  it('with SSL_OP_NO_RENEGOTIATION it is refused as Node refuses it (no_renegotiation; the client gives up)', async () => {
    const refuse = constants.SSL_OP_NO_RENEGOTIATION;
    const ours = await renegotiateThenWrite(createServer as unknown as typeof tls.createServer, refuse);
    expect(ours.renegotiated).to.equal(false);
    expect(ours).to.deep.equal(await renegotiateThenWrite(tls.createServer, refuse));
  });
});
