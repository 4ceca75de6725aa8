import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { AuthenticationError, SslPolicyErrors, SslProtocols } from '../lib';
import { secureContext } from '../lib/tls-options';
import { fixtures } from './helpers/fixtures';
import { authenticatedPair } from './helpers/pairs';

// Connections whose options say the same thing share one SecureContext (lib/tls-options.ts).
// Sharing must never carry one connection's trust or protocol range over to another's.
describe('shared SecureContexts', () => {
  it('options with the same content share a context; any difference in what it holds does not', async () => {
    const pki = await fixtures();
    const base = { targetHost: 'localhost', ca: pki.ca.cert };
    const ctx = secureContext(base, null, 'clientCertificates');
    expect(secureContext({ targetHost: 'elsewhere.example', ca: `${pki.ca.cert}` }, null, 'x')).to.equal(ctx);
    expect(secureContext({ ...base, ca: pki.selfSigned.cert }, null, 'x')).not.to.equal(ctx);
    expect(secureContext({ ...base, enabledSslProtocols: SslProtocols.Tls12 }, null, 'x')).not.to.equal(ctx);
    expect(secureContext(base, pki.client, 'x')).not.to.equal(ctx);
    // Buffers are compared by identity: equal bytes in another Buffer get their own context.
    const der = Buffer.from(pki.ca.cert);
    expect(secureContext({ ...base, ca: der }, null, 'x')).not.to.equal(
      secureContext({ ...base, ca: Buffer.from(der) }, null, 'x'),
    );
  });

  it('asked twice in a row with the same options, the context is the last one; an array changed in place since is a difference', async () => {
    const pki = await fixtures();
    const cas = [pki.ca.cert];
    const ctx = secureContext({ targetHost: 'localhost', ca: cas }, null, 'x');
    expect(secureContext({ targetHost: 'localhost', ca: cas }, null, 'x')).to.equal(ctx);
    cas.push(pki.selfSigned.cert);
    const changed = secureContext({ targetHost: 'localhost', ca: cas }, null, 'x');
    expect(changed).not.to.equal(ctx);
    // An option that appears (or disappears) between two calls is a difference too.
    expect(
      secureContext({ targetHost: 'localhost', ca: cas, ciphers: 'TLS_AES_128_GCM_SHA256' }, null, 'x'),
    ).not.to.equal(changed);
    expect(secureContext({ targetHost: 'localhost', ca: cas }, null, 'x')).to.equal(changed);
  });

  it('a certificate chain given as an array is read once, yet an element changed in place builds its own context', async () => {
    const pki = await fixtures();
    const chain = [Buffer.from(new X509Certificate(pki.server.cert).raw), pki.ca.cert];
    const identity = { cert: chain, key: pki.server.key };
    const ctx = secureContext({}, identity, 'serverCertificate');
    expect(secureContext({}, identity, 'serverCertificate')).to.equal(ctx);
    chain[1] = pki.selfSigned.cert;
    expect(secureContext({}, identity, 'serverCertificate')).not.to.equal(ctx);
  });

  it('a connection trusting another CA is refused even after connections that trusted the right one', async () => {
    const pki = await fixtures();
    for (let i = 0; i < 2; i++) {
      const [client, server] = await authenticatedPair({ client: { ca: pki.ca.cert } });
      client.dispose();
      server.dispose();
    }
    let flags = -1;
    const e = await authenticatedPair({
      client: {
        ca: pki.selfSigned.cert,
        remoteCertificateValidationCallback: (_s, _c, _chain, errors) => ((flags = errors), false),
      },
    }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(AuthenticationError);
    expect(flags & SslPolicyErrors.RemoteCertificateChainErrors).to.not.equal(0);
    const [client, server] = await authenticatedPair({ client: { ca: pki.ca.cert } });
    expect(client.isAuthenticated).to.equal(true);
    client.dispose();
    server.dispose();
  });

  it('a connection limited to TLS 1.2 gets TLS 1.2 after TLS 1.3 connections with otherwise equal options', async () => {
    const [a, b] = await authenticatedPair();
    expect(a.sslProtocol).to.equal(SslProtocols.Tls13);
    a.dispose();
    b.dispose();
    const [client, server] = await authenticatedPair({ client: { enabledSslProtocols: SslProtocols.Tls12 } });
    expect(client.sslProtocol).to.equal(SslProtocols.Tls12);
    client.dispose();
    server.dispose();
  });
});
