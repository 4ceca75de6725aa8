import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { cipherFactsOf, cipherInfoOf, type CipherFacts, type CipherInfo } from './cipher-info';
import type { CertificateWithKey } from './options';
import type { PeerVerdict } from './policy';
import { fromProtocolName } from './protocols';

/**
 * What the handshake negotiated. The few facts only the live TLS socket knows are read at once;
 * everything that costs (certificate parsing, enum mapping) is derived on first use, since most
 * connections never ask.
 */
export class Session {
  readonly protocol: number;
  readonly alpn: string;
  readonly mutual: boolean;
  readonly #facts: CipherFacts;
  readonly #peer: PeerVerdict;
  readonly #local: CertificateWithKey | null;
  #localFallback: X509Certificate | null | undefined;
  #cipher: CipherInfo | undefined;
  #localCertificate: X509Certificate | null | undefined;

  constructor(socket: TLSSocket, peer: PeerVerdict, local: CertificateWithKey | null, mutual: boolean) {
    this.protocol = fromProtocolName(socket.getProtocol());
    this.alpn = typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '';
    this.mutual = mutual;
    this.#facts = cipherFactsOf(socket);
    this.#peer = peer;
    this.#local = local;
    // A PKCS#12 bundle is not parsed here; ask OpenSSL for the certificate it loaded instead.
    if (local && 'pfx' in local) this.#localFallback = socket.getX509Certificate() ?? null;
  }

  get cipher(): CipherInfo {
    return (this.#cipher ??= cipherInfoOf(this.#facts));
  }

  get remoteCertificate(): X509Certificate | null {
    return this.#peer.certificate;
  }

  get localCertificate(): X509Certificate | null {
    if (this.#localCertificate === undefined) {
      const c = this.#local;
      if (c === null) this.#localCertificate = null;
      else if ('pfx' in c) this.#localCertificate = this.#localFallback ?? null;
      else {
        const first = Array.isArray(c.cert) ? c.cert[0] : c.cert;
        this.#localCertificate = first === undefined ? null : new X509Certificate(first);
      }
    }
    return this.#localCertificate;
  }
}
