/**
 * Certificates made at run time, in memory: the CLI's ephemeral identity and the specs' CAs,
 * leaves, expired certificates and CRLs. Nothing here is cryptography of our own: keys come from
 * WebCrypto and the X.509/CRL encoding from @peculiar/x509. Not part of the public API.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, X509Certificate, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type KeyKind = 'P-256' | 'RSA-2048';

const algorithms: Record<KeyKind, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  'P-256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as webcrypto.EcKeyGenParams,
  'RSA-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
};

export interface Identity {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  x509: X509Certificate;
  serial: string;
}

export interface IssueOptions {
  /** Subject common name; also the first DNS name unless `names` is given. */
  cn: string;
  /** DNS names and IP addresses for subjectAltName. */
  names?: string[];
  kind?: KeyKind;
  notBefore?: Date;
  notAfter?: Date;
  /** Adds the clientAuth extended key usage (serverAuth is always there). */
  client?: boolean;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

async function keyPair(kind: KeyKind): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithms[kind], true, ['sign', 'verify'])) as CryptoKeyPair;
}

function altNames(names: string[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension(
    names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })),
  );
}

async function identityOf(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<Identity> {
  const certPem = cert.toString('pem');
  return {
    cert: certPem,
    key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    x509: new X509Certificate(certPem),
    serial: cert.serialNumber,
  };
}

const day = 86_400_000;

/** A self-signed leaf certificate: what `serve` and the demo use when given none. */
export async function selfSigned(options: IssueOptions): Promise<Identity> {
  const kind = options.kind ?? 'P-256';
  const keys = await keyPair(kind);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${options.cn}`,
    notBefore: options.notBefore ?? new Date(Date.now() - day),
    notAfter: options.notAfter ?? new Date(Date.now() + 30 * day),
    keys,
    signingAlgorithm: algorithms[kind],
    extensions: [
      altNames(options.names ?? [options.cn]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
    ],
  });
  return identityOf(cert, keys);
}

/** A certificate authority that issues leaves and CRLs. */
export class CertificateAuthority {
  readonly identity: Identity;
  readonly #keys: CryptoKeyPair;
  readonly #cert: x509.X509Certificate;
  readonly #kind: KeyKind;

  private constructor(identity: Identity, keys: CryptoKeyPair, cert: x509.X509Certificate, kind: KeyKind) {
    this.identity = identity;
    this.#keys = keys;
    this.#cert = cert;
    this.#kind = kind;
  }

  /** The CA certificate in PEM: what a peer puts in `ca` to trust this CA's leaves. */
  get cert(): string {
    return this.identity.cert;
  }

  static async create(name = 'ssl-duplex test CA', kind: KeyKind = 'P-256'): Promise<CertificateAuthority> {
    const keys = await keyPair(kind);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - 2 * day),
      notAfter: new Date(Date.now() + 365 * day),
      keys,
      signingAlgorithm: algorithms[kind],
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(await identityOf(cert, keys), keys, cert, kind);
  }

  /** A subordinate CA signed by this one: its leaves verify only with the intermediate in the chain. */
  async intermediate(name = 'ssl-duplex test intermediate CA'): Promise<CertificateAuthority> {
    const kind = this.#kind;
    const keys = await keyPair(kind);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${name}`,
      issuer: this.#cert.subject,
      notBefore: new Date(Date.now() - 2 * day),
      notAfter: new Date(Date.now() + 180 * day),
      publicKey: keys.publicKey,
      signingKey: this.#keys.privateKey,
      signingAlgorithm: algorithms[kind],
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.#cert),
      ],
    });
    return new CertificateAuthority(await identityOf(cert, keys), keys, cert, kind);
  }

  async issue(options: IssueOptions): Promise<Identity> {
    const kind = options.kind ?? 'P-256';
    const keys = await keyPair(kind);
    const usages = ['1.3.6.1.5.5.7.3.1'];
    if (options.client) usages.push('1.3.6.1.5.5.7.3.2');
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${options.cn}`,
      issuer: this.#cert.subject,
      notBefore: options.notBefore ?? new Date(Date.now() - day),
      notAfter: options.notAfter ?? new Date(Date.now() + 30 * day),
      publicKey: keys.publicKey,
      signingKey: this.#keys.privateKey,
      signingAlgorithm: algorithms[this.#kind],
      extensions: [
        altNames(options.names ?? [options.cn]),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension(usages),
        await x509.AuthorityKeyIdentifierExtension.create(this.#cert),
      ],
    });
    return identityOf(cert, keys);
  }

  /** A CRL (PEM) that revokes the given serial numbers. */
  async crl(revokedSerials: string[]): Promise<string> {
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.#cert.subject,
      thisUpdate: new Date(Date.now() - day),
      nextUpdate: new Date(Date.now() + 7 * day),
      entries: revokedSerials.map((serialNumber) => ({ serialNumber, revocationDate: new Date(Date.now() - day) })),
      signingKey: this.#keys.privateKey,
      signingAlgorithm: algorithms[this.#kind],
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(this.#cert)],
    });
    return pem('X509 CRL', crl.rawData);
  }
}
