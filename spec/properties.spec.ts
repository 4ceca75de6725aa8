import { expect } from 'chai';
import {
  ArgumentOutOfRangeError,
  CipherAlgorithmType,
  ExchangeAlgorithmType,
  HashAlgorithmType,
  InvalidOperationError,
  NotSupportedError,
  SslDuplex,
  SslProtocols,
} from '../lib';
import { fixtures } from './helpers/fixtures';
import { authenticatedPair, innerPair } from './helpers/pairs';

const sessionProperties = [
  'sslProtocol',
  'cipherAlgorithm',
  'cipherStrength',
  'hashAlgorithm',
  'hashStrength',
  'keyExchangeAlgorithm',
  'keyExchangeStrength',
  'negotiatedCipherSuite',
  'negotiatedApplicationProtocol',
  'remoteCertificate',
  'localCertificate',
] as const;

describe('properties (contract §6)', () => {
  it('never-throwing properties on a fresh stream', async () => {
    const [a] = await innerPair('memory');
    const s = new SslDuplex(a, true);
    expect(s.isAuthenticated).to.equal(false);
    expect(s.isEncrypted).to.equal(false);
    expect(s.isSigned).to.equal(false);
    expect(s.isServer).to.equal(false);
    expect(s.isMutuallyAuthenticated).to.equal(false);
    expect(s.canRead).to.equal(false);
    expect(s.canWrite).to.equal(false);
    expect(s.canSeek).to.equal(false);
    expect(s.canTimeout).to.equal(true);
    expect(s.leaveInnerStreamOpen).to.equal(true);
    expect(s.innerStream).to.equal(a);
    expect(s.targetHostName).to.equal('');
    expect(s.checkCertRevocationStatus).to.equal(false);
    expect(s.readTimeout).to.equal(-1);
    expect(s.writeTimeout).to.equal(-1);
    s.dispose();
    // ... and after dispose.
    expect(s.isAuthenticated).to.equal(false);
    expect(s.canRead).to.equal(false);
  });

  for (const name of sessionProperties) {
    it(`${name} before authentication → InvalidOperationError`, async () => {
      const [a] = await innerPair('memory');
      const s = new SslDuplex(a);
      expect(() => s[name]).to.throw(InvalidOperationError);
      s.dispose();
    });
  }

  it('after authentication: protocol, suite, algorithms, certificates', async () => {
    const pki = await fixtures();
    const [client, server] = await authenticatedPair({ client: { crl: pki.crl } });
    expect(client.sslProtocol).to.equal(SslProtocols.Tls13);
    expect(client.negotiatedCipherSuite).to.be.oneOf([
      'TLS_AES_256_GCM_SHA384',
      'TLS_AES_128_GCM_SHA256',
      'TLS_CHACHA20_POLY1305_SHA256',
    ]);
    expect(client.negotiatedCipherSuite).to.equal(server.negotiatedCipherSuite);
    if (client.negotiatedCipherSuite === 'TLS_AES_256_GCM_SHA384') {
      expect(client.cipherAlgorithm).to.equal(CipherAlgorithmType.Aes256);
      expect(client.cipherStrength).to.equal(256);
      expect(client.hashAlgorithm).to.equal(HashAlgorithmType.Sha384);
    }
    expect(client.keyExchangeAlgorithm).to.equal(ExchangeAlgorithmType.EcDiffieHellman);
    expect(client.keyExchangeStrength).to.be.greaterThan(0);
    expect(client.remoteCertificate!.fingerprint256).to.equal(pki.server.x509.fingerprint256);
    expect(server.localCertificate!.fingerprint256).to.equal(pki.server.x509.fingerprint256);
    expect(server.remoteCertificate).to.equal(null);
    expect(client.targetHostName).to.equal('localhost');
    expect(client.checkCertRevocationStatus).to.equal(true);
    expect(server.checkCertRevocationStatus).to.equal(false);
    expect(client.canRead && client.canWrite).to.equal(true);
    client.dispose();
    server.dispose();
  });

  it('TLS 1.2 reports the suite’s algorithms', async () => {
    const [client, server] = await authenticatedPair({
      client: { enabledSslProtocols: SslProtocols.Tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
    });
    expect(client.negotiatedCipherSuite).to.equal('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    expect(client.cipherAlgorithm).to.equal(CipherAlgorithmType.Aes128);
    expect(client.cipherStrength).to.equal(128);
    expect(client.hashAlgorithm).to.equal(HashAlgorithmType.Sha256);
    expect(server.keyExchangeAlgorithm).to.equal(ExchangeAlgorithmType.EcDiffieHellman);
    client.dispose();
    server.dispose();
  });

  it('readTimeout/writeTimeout: -1 or positive; 0 and < -1 → ArgumentOutOfRangeError', async () => {
    const [a] = await innerPair('memory');
    const s = new SslDuplex(a);
    s.readTimeout = 1000;
    s.writeTimeout = -1;
    expect(s.readTimeout).to.equal(1000);
    for (const bad of [0, -2, 1.5]) {
      expect(() => (s.readTimeout = bad)).to.throw(ArgumentOutOfRangeError);
      expect(() => (s.writeTimeout = bad)).to.throw(ArgumentOutOfRangeError);
    }
    expect(() => new SslDuplex(a, { readTimeout: 0 })).to.throw(ArgumentOutOfRangeError);
    s.dispose();
  });

  it('length, position, seek and setLength → NotSupportedError', async () => {
    const [a] = await innerPair('memory');
    const s = new SslDuplex(a);
    expect(() => s.length).to.throw(NotSupportedError);
    expect(() => s.position).to.throw(NotSupportedError);
    expect(() => (s.position = 1)).to.throw(NotSupportedError);
    expect(() => s.seek(0)).to.throw(NotSupportedError);
    expect(() => s.setLength(1)).to.throw(NotSupportedError);
    s.dispose();
  });
});
