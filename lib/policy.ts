import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { SslPolicyErrors } from './enums';

/** The peer's certificate as the validation callback sees it, and what is wrong with it. */
export interface PeerVerdict {
  sslPolicyErrors: number;
  certificate: X509Certificate | null;
  chain: X509Certificate[];
  /** OpenSSL's reason for chain errors (e.g. `CERT_HAS_EXPIRED`), or the name mismatch message. */
  reasons: string[];
}

/**
 * Computes `SslPolicyErrors` the way .NET does, after the handshake: OpenSSL's own verification
 * result (chain to the trusted roots, validity dates, CRLs) for chain errors, Node's
 * `checkServerIdentity` for the host name. Node's `authorized` cannot be used because a
 * standalone server-side TLSSocket never sets it.
 */
export function judgePeer(socket: TLSSocket, isServer: boolean, targetHost: string): PeerVerdict {
  // getPeerCertificate once: getPeerX509Certificate() consumes state Node needs for later calls.
  const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate | null;
  if (!peer || !peer.raw) {
    return {
      sslPolicyErrors: SslPolicyErrors.RemoteCertificateNotAvailable,
      certificate: null,
      chain: [],
      reasons: ['NO_PEER_CERTIFICATE'],
    };
  }
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = peer; c?.raw; c = c.issuerCertificate) {
    const key = c.fingerprint256;
    if (seen.has(key)) break;
    seen.add(key);
    chain.push(new X509Certificate(c.raw));
  }
  let errors = SslPolicyErrors.None;
  const reasons: string[] = [];
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })
    ._handle;
  const verifyError = handle?.verifyError?.();
  if (verifyError) {
    errors |= SslPolicyErrors.RemoteCertificateChainErrors;
    reasons.push(verifyError.code ?? verifyError.message);
  }
  if (!isServer) {
    const mismatch = checkServerIdentity(targetHost, peer);
    if (mismatch) {
      errors |= SslPolicyErrors.RemoteCertificateNameMismatch;
      reasons.push(mismatch.message);
    }
  }
  return { sslPolicyErrors: errors, certificate: chain[0] ?? null, chain, reasons };
}

/** `SslPolicyErrors` flags as .NET prints them. */
export function describePolicyErrors(flags: number): string {
  if (flags === 0) return 'None';
  return Object.entries(SslPolicyErrors)
    .filter(([, v]) => v !== 0 && (flags & v) !== 0)
    .map(([k]) => k)
    .join(', ');
}

/** Node's `authorizationError` for a verdict: OpenSSL's code, or Node's code for a name mismatch. */
export function authorizationErrorOf(flags: number, reasons: string[]): string {
  if ((flags & SslPolicyErrors.RemoteCertificateChainErrors) !== 0 && reasons[0]) return reasons[0];
  if ((flags & SslPolicyErrors.RemoteCertificateNameMismatch) !== 0) return 'ERR_TLS_CERT_ALTNAME_INVALID';
  return 'NO_PEER_CERTIFICATE';
}
