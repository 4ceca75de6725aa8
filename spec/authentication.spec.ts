import { expect } from 'chai';
import type { X509Certificate } from 'node:crypto';
import {
  ArgumentNullError,
  AuthenticationError,
  InvalidOperationError,
  IOError,
  ObjectDisposedError,
  SslPolicyErrors,
  SslProtocols,
  type IAsyncResult,
} from '../lib';
import { fixtures } from './helpers/fixtures';
import { authenticatedPair, readExactly, sslPair } from './helpers/pairs';

/** Runs both handshakes and returns their outcomes (an error or undefined). */
async function handshake(
  clientAuth: Parameters<import('../lib').SslDuplex['authenticateAsClientAsync']>[0],
  serverAuth: Parameters<import('../lib').SslDuplex['authenticateAsServerAsync']>[0],
) {
  const [client, server] = await sslPair();
  const [c, s] = await Promise.all([
    client.authenticateAsClientAsync(clientAuth).then(
      () => undefined,
      (e: unknown) => e,
    ),
    server.authenticateAsServerAsync(serverAuth).then(
      () => undefined,
      (e: unknown) => e,
    ),
  ]);
  return { client, server, clientError: c, serverError: s };
}

describe('authentication (contract §5)', () => {
  for (const [name, flag] of [
    ['TLS 1.2', SslProtocols.Tls12],
    ['TLS 1.3', SslProtocols.Tls13],
  ] as const) {
    for (const kind of ['server', 'rsaServer'] as const) {
      it(`negotiates ${name} with a ${kind === 'server' ? 'P-256' : 'RSA-2048'} certificate`, async () => {
        const pki = await fixtures();
        const [client, server] = await authenticatedPair({
          client: { enabledSslProtocols: flag },
          server: { serverCertificate: pki[kind] },
        });
        expect(client.isAuthenticated && server.isAuthenticated).to.equal(true);
        expect(client.sslProtocol).to.equal(flag);
        expect(server.sslProtocol).to.equal(flag);
        expect(client.negotiatedCipherSuite).to.match(/^TLS_/);
        expect(client.remoteCertificate!.fingerprint256).to.equal(pki[kind].x509.fingerprint256);
        expect(client.isServer).to.equal(false);
        expect(server.isServer).to.equal(true);
        expect(client.isEncrypted && client.isSigned).to.equal(true);
        await client.writeAsync(Buffer.from('ok'));
        expect((await readExactly(server, 2)).toString()).to.equal('ok');
        client.dispose();
        server.dispose();
      });
    }
  }

  it('mutual TLS: isMutuallyAuthenticated on both ends, each sees the other’s certificate', async () => {
    const pki = await fixtures();
    const [client, server] = await authenticatedPair({
      client: { clientCertificates: [pki.client] },
      server: { clientCertificateRequired: true, ca: pki.ca.cert },
    });
    expect(client.isMutuallyAuthenticated).to.equal(true);
    expect(server.isMutuallyAuthenticated).to.equal(true);
    expect(server.remoteCertificate!.subject).to.contain('test client');
    expect(client.localCertificate!.fingerprint256).to.equal(pki.client.x509.fingerprint256);
    client.dispose();
    server.dispose();
  });

  it('a client certificate the server did not ask for is not mutual authentication on either end', async () => {
    const pki = await fixtures();
    const [client, server] = await authenticatedPair({ client: { clientCertificates: [pki.client] } });
    expect(client.isMutuallyAuthenticated).to.equal(false);
    expect(server.isMutuallyAuthenticated).to.equal(false);
    expect(client.localCertificate).to.equal(null);
    client.dispose();
    server.dispose();
  });

  it('SNI: serverCertificateSelectionCallback picks the certificate by host name', async () => {
    const pki = await fixtures();
    for (const host of ['alpha.test', 'beta.test']) {
      const seen: Array<string | null> = [];
      const [client, server] = await authenticatedPair({
        client: { targetHost: host },
        server: {
          serverCertificate: pki.server,
          serverCertificateSelectionCallback: (_sender, name) => {
            seen.push(name);
            return name === 'alpha.test' ? pki.alpha : pki.beta;
          },
        },
      });
      expect(seen).to.deep.equal([host]);
      expect(client.remoteCertificate!.subject).to.contain(host);
      expect(server.targetHostName).to.equal(host);
      expect(client.targetHostName).to.equal(host);
      client.dispose();
      server.dispose();
    }
  });

  it('ALPN: both ends agree on a protocol', async () => {
    const [client, server] = await authenticatedPair({
      client: { applicationProtocols: ['h2', 'http/1.1'] },
      server: { applicationProtocols: ['http/1.1', 'h2'] },
    });
    expect(client.negotiatedApplicationProtocol).to.be.oneOf(['h2', 'http/1.1']);
    expect(server.negotiatedApplicationProtocol).to.equal(client.negotiatedApplicationProtocol);
    client.dispose();
    server.dispose();
  });

  it('ALPN: no protocol in common fails both ends with AuthenticationError', async () => {
    const pki = await fixtures();
    const r = await handshake(
      { targetHost: 'localhost', ca: pki.ca.cert, applicationProtocols: ['h2'] },
      { serverCertificate: pki.server, applicationProtocols: ['http/1.1'] },
    );
    expect(r.clientError).to.be.instanceOf(AuthenticationError);
    expect(r.serverError).to.be.instanceOf(AuthenticationError);
    expect((r.clientError as Error).cause).to.be.instanceOf(Error);
  });

  it('ALPN: no protocol negotiated reads as the empty string', async () => {
    const [client, server] = await authenticatedPair();
    expect(client.negotiatedApplicationProtocol).to.equal('');
    client.dispose();
    server.dispose();
  });

  describe('SslPolicyErrors, computed like .NET and handed to the callback', () => {
    async function flagsFor(
      serverCertificate: keyof Awaited<ReturnType<typeof fixtures>>,
      extra: { crl?: boolean; targetHost?: string; trust?: boolean } = {},
    ): Promise<{ flags: number; cert: X509Certificate | null; chain: X509Certificate[] }> {
      const pki = await fixtures();
      let seen: { flags: number; cert: X509Certificate | null; chain: X509Certificate[] } | undefined;
      const r = await handshake(
        {
          targetHost: extra.targetHost ?? 'localhost',
          ca: extra.trust === false ? undefined : pki.ca.cert,
          crl: extra.crl ? pki.crl : undefined,
          remoteCertificateValidationCallback: (_s, cert, chain, flags) => {
            seen = { flags, cert, chain };
            return true;
          },
        },
        { serverCertificate: pki[serverCertificate] as never },
      );
      expect(r.clientError).to.equal(undefined);
      r.client.dispose();
      r.server.dispose();
      return seen!;
    }

    it('None for a trusted certificate with the right name; chain holds leaf then CA', async () => {
      const pki = await fixtures();
      const seen = await flagsFor('server');
      expect(seen.flags).to.equal(SslPolicyErrors.None);
      expect(seen.chain[0]!.fingerprint256).to.equal(pki.server.x509.fingerprint256);
      expect(seen.chain[seen.chain.length - 1]!.subject).to.contain('ssl-duplex test CA');
    });
    it('an untrusted self-signed certificate → RemoteCertificateChainErrors', async () => {
      expect((await flagsFor('selfSigned')).flags).to.equal(SslPolicyErrors.RemoteCertificateChainErrors);
    });
    it('a certificate for another host → RemoteCertificateNameMismatch', async () => {
      expect((await flagsFor('otherHost')).flags).to.equal(SslPolicyErrors.RemoteCertificateNameMismatch);
    });
    it('an expired certificate → RemoteCertificateChainErrors', async () => {
      expect((await flagsFor('expired')).flags).to.equal(SslPolicyErrors.RemoteCertificateChainErrors);
    });
    it('a certificate revoked by a given CRL → RemoteCertificateChainErrors (and fine without the CRL)', async () => {
      expect((await flagsFor('revoked', { crl: true })).flags).to.equal(SslPolicyErrors.RemoteCertificateChainErrors);
      expect((await flagsFor('revoked')).flags).to.equal(SslPolicyErrors.None);
    });
    it('both flags at once: untrusted and wrong name', async () => {
      expect((await flagsFor('otherHost', { trust: false })).flags).to.equal(
        SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch,
      );
    });
    it('a required client certificate that is missing → RemoteCertificateNotAvailable on the server', async () => {
      const pki = await fixtures();
      let flags = -1;
      const r = await handshake(
        { targetHost: 'localhost', ca: pki.ca.cert },
        {
          serverCertificate: pki.server,
          clientCertificateRequired: true,
          remoteCertificateValidationCallback: (_s, cert, _c, f) => {
            flags = f;
            expect(cert).to.equal(null);
            return false;
          },
        },
      );
      expect(flags).to.equal(SslPolicyErrors.RemoteCertificateNotAvailable);
      expect(r.serverError).to.be.instanceOf(AuthenticationError);
      r.client.dispose();
    });
    it('without a callback, a missing required client certificate fails the server', async () => {
      const pki = await fixtures();
      const r = await handshake(
        { targetHost: 'localhost', ca: pki.ca.cert },
        { serverCertificate: pki.server, clientCertificateRequired: true },
      );
      expect(r.serverError).to.be.instanceOf(AuthenticationError);
      r.client.dispose();
    });
    it('without a callback, any flag fails the client with AuthenticationError', async () => {
      const pki = await fixtures();
      for (const cert of [pki.selfSigned, pki.otherHost, pki.expired]) {
        const r = await handshake({ targetHost: 'localhost', ca: pki.ca.cert }, { serverCertificate: cert });
        expect(r.clientError).to.be.instanceOf(AuthenticationError);
        expect(r.client.isAuthenticated).to.equal(false);
        r.client.dispose();
        r.server.dispose();
      }
    });
  });

  it('a validation callback that returns false fails closed', async () => {
    const pki = await fixtures();
    const r = await handshake(
      { targetHost: 'localhost', ca: pki.ca.cert, remoteCertificateValidationCallback: () => false },
      { serverCertificate: pki.server },
    );
    expect(r.clientError).to.be.instanceOf(AuthenticationError);
    r.server.dispose();
  });

  it('a validation callback that throws fails closed, with the throw as cause', async () => {
    const pki = await fixtures();
    const boom = new Error('boom');
    const r = await handshake(
      {
        targetHost: 'localhost',
        ca: pki.ca.cert,
        remoteCertificateValidationCallback: () => {
          throw boom;
        },
      },
      { serverCertificate: pki.server },
    );
    expect(r.clientError).to.be.instanceOf(AuthenticationError);
    expect((r.clientError as Error).cause).to.equal(boom);
    r.server.dispose();
  });

  it('properties are readable inside the validation callback, isAuthenticated is not yet true', async () => {
    const pki = await fixtures();
    let inside: { auth: boolean; proto: number } | undefined;
    const [client, server] = await sslPair();
    await Promise.all([
      client.authenticateAsClientAsync({
        targetHost: 'localhost',
        ca: pki.ca.cert,
        remoteCertificateValidationCallback: (sender) => {
          const s = sender as typeof client;
          inside = { auth: s.isAuthenticated, proto: s.sslProtocol };
          return true;
        },
      }),
      server.authenticateAsServerAsync(pki.server),
    ]);
    expect(inside).to.deep.equal({ auth: false, proto: SslProtocols.Tls13 });
    client.dispose();
    server.dispose();
  });

  it('the constructor’s validation callback is used, and setting one in the options too is refused', async () => {
    const pki = await fixtures();
    const calls: number[] = [];
    const [client, server] = await sslPair({
      clientDuplex: { userCertificateValidationCallback: (_s, _c, _ch, f) => (calls.push(f), true) },
    });
    const e = await client
      .authenticateAsClientAsync({ targetHost: 'localhost', remoteCertificateValidationCallback: () => true })
      .catch((x) => x);
    expect(e).to.be.instanceOf(InvalidOperationError);
    await Promise.all([
      client.authenticateAsClientAsync('localhost'),
      server.authenticateAsServerAsync(pki.selfSigned),
    ]);
    expect(calls).to.deep.equal([SslPolicyErrors.RemoteCertificateChainErrors]);
    client.dispose();
    server.dispose();
  });

  describe('caller mistakes and state rules', () => {
    it('targetHost missing → ArgumentNullError(targetHost), and the stream is not poisoned', async () => {
      const pki = await fixtures();
      const [client, server] = await sslPair();
      const e = await client.authenticateAsClientAsync(undefined as never).catch((x) => x);
      expect(e).to.be.instanceOf(ArgumentNullError).with.property('paramName', 'targetHost');
      const e2 = await client.authenticateAsClientAsync({} as never).catch((x) => x);
      expect(e2).to.be.instanceOf(ArgumentNullError);
      expect(() => client.beginAuthenticateAsClient(null as never)).to.throw(ArgumentNullError);
      await Promise.all([
        client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
        server.authenticateAsServerAsync(pki.server),
      ]);
      expect(client.isAuthenticated).to.equal(true);
      client.dispose();
      server.dispose();
    });

    it('no server certificate and no selection callback → ArgumentNullError(serverCertificate)', async () => {
      const [, server] = await sslPair();
      const e = await server.authenticateAsServerAsync({}).catch((x) => x);
      expect(e).to.be.instanceOf(ArgumentNullError).with.property('paramName', 'serverCertificate');
      expect(() => server.beginAuthenticateAsServer(null as never)).to.throw(ArgumentNullError);
      server.dispose();
    });

    it('another authentication pending → InvalidOperationError', async () => {
      const pki = await fixtures();
      const [client, server] = await sslPair();
      const first = client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert });
      const second = await client.authenticateAsClientAsync('localhost').catch((x) => x);
      expect(second).to.be.instanceOf(InvalidOperationError);
      await Promise.all([first, server.authenticateAsServerAsync(pki.server)]);
      client.dispose();
      server.dispose();
    });

    it('already authenticated → InvalidOperationError; the other role → InvalidOperationError', async () => {
      const pki = await fixtures();
      const [client, server] = await authenticatedPair();
      expect(await client.authenticateAsClientAsync('localhost').catch((x) => x)).to.be.instanceOf(
        InvalidOperationError,
      );
      expect(await client.authenticateAsServerAsync(pki.server).catch((x) => x)).to.be.instanceOf(
        InvalidOperationError,
      );
      client.dispose();
      server.dispose();
    });

    it('a failed authentication is final: the same error object, again and again', async () => {
      const pki = await fixtures();
      const r = await handshake({ targetHost: 'localhost' }, { serverCertificate: pki.server });
      const err = r.clientError;
      expect(err).to.be.instanceOf(AuthenticationError);
      expect(r.client.isAuthenticated).to.equal(false);
      expect(await r.client.authenticateAsClientAsync('localhost').catch((x) => x)).to.equal(err);
      expect(() => r.client.beginAuthenticateAsClient('localhost'))
        .to.throw()
        .that.equals(err);
      expect(await r.client.readAsync(new Uint8Array(1)).catch((x) => x)).to.equal(err);
      expect(() => r.client.sslProtocol)
        .to.throw()
        .that.equals(err);
      r.client.dispose();
      r.server.dispose();
    });

    it('disposed → ObjectDisposedError', async () => {
      const [client] = await sslPair();
      client.dispose();
      expect(await client.authenticateAsClientAsync('localhost').catch((x) => x)).to.be.instanceOf(ObjectDisposedError);
      expect(() => client.beginAuthenticateAsServer({ serverCertificate: { cert: '', key: '' } })).to.throw(
        ObjectDisposedError,
      );
    });

    it('the transport ending during the handshake → IOError', async () => {
      const [client, , , b] = await sslPair();
      const p = client.authenticateAsClientAsync('localhost').catch((x) => x);
      b.once('data', () => b.end()); // read the ClientHello, answer with the end of the stream
      expect(await p).to.be.instanceOf(IOError);
    });

    it('garbage instead of a ServerHello → AuthenticationError', async () => {
      const [client, , , b] = await sslPair();
      const p = client.authenticateAsClientAsync('localhost').catch((x) => x);
      b.once('data', () => b.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
      expect(await p).to.be.instanceOf(AuthenticationError);
      client.dispose();
    });
  });

  describe('APM forms', () => {
    it('beginAuthenticateAsClient/Server with the .NET overloads, ended from the callbacks', async () => {
      const pki = await fixtures();
      const [client, server] = await sslPair({
        clientDuplex: { userCertificateValidationCallback: (_s, c) => c !== null },
      });
      const ended: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const check = (): void => void (ended.length === 2 && resolve());
        client.beginAuthenticateAsClient(
          'localhost',
          [],
          SslProtocols.Tls12,
          false,
          (ar: IAsyncResult) => {
            try {
              client.endAuthenticateAsClient(ar);
              ended.push(String(ar.asyncState));
              check();
            } catch (e) {
              reject(e);
            }
          },
          'client',
        );
        server.beginAuthenticateAsServer(
          pki.server,
          false,
          SslProtocols.Tls12,
          false,
          (ar: IAsyncResult) => {
            try {
              server.endAuthenticateAsServer(ar);
              ended.push(String(ar.asyncState));
              check();
            } catch (e) {
              reject(e);
            }
          },
          'server',
        );
      });
      expect(ended.sort()).to.deep.equal(['client', 'server']);
      expect(client.sslProtocol).to.equal(SslProtocols.Tls12);
      client.dispose();
      server.dispose();
    });

    it('endAuthenticateAsClient rethrows the handshake failure', async () => {
      const pki = await fixtures();
      const [client, server] = await sslPair();
      const ar = client.beginAuthenticateAsClient('localhost');
      await Promise.all([ar.asyncWaitHandle, server.authenticateAsServerAsync(pki.server).catch(() => undefined)]);
      expect(() => client.endAuthenticateAsClient(ar)).to.throw(AuthenticationError);
      client.dispose();
      server.dispose();
    });
  });
});
