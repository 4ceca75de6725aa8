import { expect } from 'chai';
import {
  ArgumentError,
  CipherAlgorithmType,
  ExchangeAlgorithmType,
  HashAlgorithmType,
  NotSupportedError,
  SslProtocols,
} from '../lib';
import { cipherInfoOf } from '../lib/cipher-info';
import { fromProtocolName, toVersionRange } from '../lib/protocols';
import { fixtures } from './helpers/fixtures';
import { sslPair } from './helpers/pairs';

describe('SslProtocols and cipher suites', () => {
  it('SslProtocols.None (and no value) means TLS 1.2 and TLS 1.3', () => {
    expect(toVersionRange(undefined)).to.deep.equal({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(toVersionRange(SslProtocols.None)).to.deep.equal({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  });

  it('flags become an OpenSSL version range', () => {
    expect(toVersionRange(SslProtocols.Tls12)).to.deep.equal({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(toVersionRange(SslProtocols.Tls12 | SslProtocols.Tls13)).to.deep.equal({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    });
    expect(toVersionRange(SslProtocols.Tls | SslProtocols.Tls11)).to.deep.equal({
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
    });
  });

  it('SSL 2/3 alone → NotSupportedError; unknown bits → ArgumentError(enabledSslProtocols)', () => {
    expect(() => toVersionRange(SslProtocols.Ssl3)).to.throw(NotSupportedError);
    expect(() => toVersionRange(SslProtocols.Ssl2)).to.throw(NotSupportedError);
    expect(() => toVersionRange(1))
      .to.throw(ArgumentError)
      .with.property('paramName', 'enabledSslProtocols');
    expect(() => toVersionRange(-1)).to.throw(ArgumentError);
    expect(() => toVersionRange(1.5)).to.throw(ArgumentError);
  });

  it('authenticating with a refused protocol set is a caller mistake, not a stored fault', async () => {
    const pki = await fixtures();
    const [c, s] = await sslPair();
    const e = await c.authenticateAsClientAsync({ targetHost: 'x', enabledSslProtocols: 7 }).catch((x) => x);
    expect(e).to.be.instanceOf(ArgumentError);
    // A stored fault would be rethrown here; a caller mistake leaves the stream ready to authenticate.
    await Promise.all([
      c.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
      s.authenticateAsServerAsync(pki.server),
    ]);
    expect(c.isAuthenticated).to.equal(true);
    c.dispose();
    s.dispose();
  });

  it('protocol names map back to flags', () => {
    expect(fromProtocolName('TLSv1')).to.equal(SslProtocols.Tls);
    expect(fromProtocolName('TLSv1.1')).to.equal(SslProtocols.Tls11);
    expect(fromProtocolName('TLSv1.2')).to.equal(SslProtocols.Tls12);
    expect(fromProtocolName('TLSv1.3')).to.equal(SslProtocols.Tls13);
    expect(fromProtocolName(null)).to.equal(SslProtocols.None);
  });

  const suites: Array<[string, number, number, number, number, number]> = [
    [
      'TLS_AES_128_GCM_SHA256',
      CipherAlgorithmType.Aes128,
      128,
      HashAlgorithmType.Sha256,
      256,
      ExchangeAlgorithmType.EcDiffieHellman,
    ],
    [
      'TLS_AES_256_GCM_SHA384',
      CipherAlgorithmType.Aes256,
      256,
      HashAlgorithmType.Sha384,
      384,
      ExchangeAlgorithmType.EcDiffieHellman,
    ],
    [
      'TLS_CHACHA20_POLY1305_SHA256',
      CipherAlgorithmType.None,
      256,
      HashAlgorithmType.Sha256,
      256,
      ExchangeAlgorithmType.EcDiffieHellman,
    ],
    [
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
      CipherAlgorithmType.Aes128,
      128,
      HashAlgorithmType.Sha1,
      160,
      ExchangeAlgorithmType.EcDiffieHellman,
    ],
    [
      'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
      CipherAlgorithmType.Aes256,
      256,
      HashAlgorithmType.Sha384,
      384,
      ExchangeAlgorithmType.DiffieHellman,
    ],
    [
      'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
      CipherAlgorithmType.TripleDes,
      168,
      HashAlgorithmType.Sha1,
      160,
      ExchangeAlgorithmType.RsaKeyX,
    ],
    [
      'TLS_RSA_WITH_RC4_128_MD5',
      CipherAlgorithmType.Rc4,
      128,
      HashAlgorithmType.Md5,
      128,
      ExchangeAlgorithmType.RsaKeyX,
    ],
    [
      'TLS_RSA_WITH_NULL_SHA256',
      CipherAlgorithmType.Null,
      0,
      HashAlgorithmType.Sha256,
      256,
      ExchangeAlgorithmType.RsaKeyX,
    ],
    [
      'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA512',
      CipherAlgorithmType.Aes256,
      256,
      HashAlgorithmType.Sha512,
      512,
      ExchangeAlgorithmType.EcDiffieHellman,
    ],
    [
      'TLS_UNKNOWN_THING',
      CipherAlgorithmType.None,
      0,
      HashAlgorithmType.None,
      0,
      ExchangeAlgorithmType.EcDiffieHellman,
    ],
  ];
  for (const [suite, cipher, strength, hash, hashStrength, exchange] of suites) {
    it(`${suite} → .NET's cipher, hash and exchange values`, () => {
      const info = cipherInfoOf({ suite, ephemeral: null });
      expect([
        info.cipherAlgorithm,
        info.cipherStrength,
        info.hashAlgorithm,
        info.hashStrength,
        info.keyExchangeAlgorithm,
      ]).to.deep.equal([cipher, strength, hash, hashStrength, exchange]);
    });
  }

  it('the ephemeral key decides the exchange when the client knows it', () => {
    expect(
      cipherInfoOf({ suite: 'TLS_AES_128_GCM_SHA256', ephemeral: { type: 'DH', size: 2048 } }).keyExchangeAlgorithm,
    ).to.equal(ExchangeAlgorithmType.DiffieHellman);
    expect(
      cipherInfoOf({ suite: 'TLS_AES_128_GCM_SHA256', ephemeral: { type: 'ECDH', size: 253 } }).keyExchangeStrength,
    ).to.equal(253);
  });
});
