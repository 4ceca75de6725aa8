import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import {
  AuthenticationError,
  SslDuplex,
  SslProtocols,
  type IAsyncResult,
  type SslClientAuthenticationOptions,
  type SslServerAuthenticationOptions,
} from '../lib';
import { fixtures } from './helpers/fixtures';
import { innerPair, sslPair, type Transport } from './helpers/pairs';

/** What .NET's own System.Net.Security functional tests expect of authentication (contract §5). */
const transports: Transport[] = ['memory', 'tcp'];
const versions = [
  ['TLS 1.2', SslProtocols.Tls12],
  ['TLS 1.3', SslProtocols.Tls13],
] as const;

/** Both sides' outcomes: `undefined` for success, else the error. */
async function both(client: Promise<void>, server: Promise<void>): Promise<[unknown, unknown]> {
  return Promise.all([
    client.then(
      () => undefined,
      (e: unknown) => e,
    ),
    server.then(
      () => undefined,
      (e: unknown) => e,
    ),
  ]);
}

/** An intermediate CA, a localhost leaf it issued, and the leaf's chain in every accepted shape. */
async function chainFixtures(): Promise<{ root: string; leaf: { cert: string; key: string }; intermediate: string }> {
  const pki = await fixtures();
  const sub = await pki.ca.intermediate();
  const leaf = await sub.issue({ cn: 'localhost', names: ['localhost'] });
  return { root: pki.ca.cert, leaf: { cert: leaf.cert, key: leaf.key }, intermediate: sub.cert };
}

describe('authentication as .NET’s own tests expect it (contract §5, round 2)', function () {
  this.timeout(20000);

  for (const transport of transports) {
    for (const [version, protocols] of versions) {
      const label = `${transport}, ${version}`;

      it(`a client that rejects the server's certificate still lets the server's authentication succeed (${label})`, async () => {
        const pki = await fixtures();
        const [client, server] = await sslPair({ transport });
        // The client trusts another CA: chain errors, no callback → it refuses, after the handshake.
        const [clientError, serverError] = await both(
          client.authenticateAsClientAsync({
            targetHost: 'localhost',
            ca: pki.selfSigned.cert,
            enabledSslProtocols: protocols,
          }),
          server.authenticateAsServerAsync({ serverCertificate: pki.server, enabledSslProtocols: protocols }),
        );
        expect(clientError).to.be.instanceOf(AuthenticationError);
        expect(serverError, "the server's authentication").to.equal(undefined);
        expect(server.isAuthenticated).to.equal(true);
        expect(await server.readAsync(new Uint8Array(8)), 'then the client is gone: end of stream').to.equal(0);
        client.dispose();
        server.dispose();
      });

      for (const shape of ['PEM', 'DER'] as const) {
        it(`a certificate chain given as an array [leaf, intermediate] (${shape}) is served whole (${label})`, async () => {
          const { root, leaf, intermediate } = await chainFixtures();
          const toDer = (pem: string): Buffer => new X509Certificate(pem).raw;
          const chain = shape === 'PEM' ? [leaf.cert, intermediate] : [toDer(leaf.cert), toDer(intermediate)];
          const [client, server] = await sslPair({ transport });
          const [clientError, serverError] = await both(
            client.authenticateAsClientAsync({ targetHost: 'localhost', ca: root, enabledSslProtocols: protocols }),
            server.authenticateAsServerAsync({ serverCertificate: { cert: chain, key: leaf.key } }),
          );
          expect([clientError, serverError]).to.deep.equal([undefined, undefined]);
          expect(server.localCertificate!.subject).to.equal(new X509Certificate(leaf.cert).subject);
          client.dispose();
          server.dispose();
        });
      }

      it(`a non-ASCII host name goes out as its A-label and arrives in its Unicode form (${label})`, async () => {
        const pki = await fixtures();
        const idn = await pki.ca.issue({ cn: 'xn--kda4b0koi.example', names: ['xn--kda4b0koi.example'] });
        const [client, server] = await sslPair({ transport });
        const asked: Array<string | null> = [];
        const [clientError, serverError] = await both(
          client.authenticateAsClientAsync({
            targetHost: 'żółć.example',
            ca: pki.ca.cert,
            enabledSslProtocols: protocols,
          }),
          server.authenticateAsServerAsync({
            serverCertificateSelectionCallback: (_sender, hostName) => {
              asked.push(hostName);
              return idn;
            },
          }),
        );
        // The certificate names the A-label: the check passes in that form.
        expect([clientError, serverError]).to.deep.equal([undefined, undefined]);
        expect(asked).to.deep.equal(['żółć.example']);
        expect([client.targetHostName, server.targetHostName]).to.deep.equal(['żółć.example', 'żółć.example']);
        client.dispose();
        server.dispose();
      });

      it(`.NET's overloads without SslProtocols read the boolean as checkCertificateRevocation (${label})`, async () => {
        const pki = await fixtures();
        const accept = { userCertificateValidationCallback: () => true };
        const [a, b] = await innerPair(transport);
        const client = new SslDuplex(a, accept);
        const server = new SslDuplex(b);
        // (targetHost, clientCertificates, checkCertificateRevocation) / (certificate, required, check…)
        const [clientError, serverError] = await both(
          client.authenticateAsClientAsync('localhost', [], false),
          server.authenticateAsServerAsync(pki.server, false, false),
        );
        expect([clientError, serverError]).to.deep.equal([undefined, undefined]);
        client.dispose();
        server.dispose();
        // The APM forms: (…, checkCertificateRevocation, callback, state).
        const [c, d] = await innerPair(transport);
        const apmClient = new SslDuplex(c, accept);
        const apmServer = new SslDuplex(d);
        const states: unknown[] = [];
        const done = (ar: IAsyncResult): number => states.push(ar.asyncState);
        const arClient = apmClient.beginAuthenticateAsClient('localhost', [], false, done, 'client');
        const arServer = apmServer.beginAuthenticateAsServer(pki.server, false, false, done, 'server');
        await Promise.all([arClient.asyncWaitHandle, arServer.asyncWaitHandle]);
        apmClient.endAuthenticateAsClient(arClient);
        apmServer.endAuthenticateAsServer(arServer);
        expect(states.sort()).to.deep.equal(['client', 'server']);
        apmClient.dispose();
        apmServer.dispose();
      });

      it(`the constructor's userCertificateSelectionCallback serves the server when nothing else does (${label})`, async () => {
        const pki = await fixtures();
        const [a, b] = await innerPair(transport);
        const asked: string[] = [];
        const server = new SslDuplex(b, {
          userCertificateSelectionCallback: (_sender, targetHost) => {
            asked.push(targetHost);
            return pki.server;
          },
        });
        const client = new SslDuplex(a);
        const clientOptions: SslClientAuthenticationOptions = {
          targetHost: 'localhost',
          ca: pki.ca.cert,
          enabledSslProtocols: protocols,
        };
        const serverOptions: SslServerAuthenticationOptions = {};
        const [clientError, serverError] = await both(
          client.authenticateAsClientAsync(clientOptions),
          server.authenticateAsServerAsync(serverOptions),
        );
        expect([clientError, serverError]).to.deep.equal([undefined, undefined]);
        expect(asked, 'called with the SNI name as targetHost').to.deep.equal(['localhost']);
        expect(server.localCertificate!.fingerprint256).to.equal(pki.server.x509.fingerprint256);
        client.dispose();
        server.dispose();
      });
    }
  }
});
