import * as tls from 'node:tls';

const getPeerCertificate = tls.TLSSocket.prototype.getPeerCertificate;

/** The peer's certificate as Node answers it, whatever the handshake has set on the socket. */
export function peerCertificateOf(
  socket: tls.TLSSocket,
  detailed: boolean,
): tls.PeerCertificate | tls.DetailedPeerCertificate | null {
  return getPeerCertificate.call(socket, detailed) as tls.PeerCertificate | null;
}

/**
 * The client TLS socket's getPeerCertificate() until Node's own identity check (tls.connect's
 * onConnectSecure) has run: that check reads the leaf's names only, but asks for the detailed
 * chain, which Node builds into objects (subject, fingerprints, public key… of every certificate)
 * at a fifth of a client handshake's CPU (~200 µs of ~900 µs measured, the leaf alone ~70 µs).
 * Put back at that check, or at 'secure' when Node skips it (a chain error, a resumed session); the
 * library's own reads (policy, the socket surface) go through peerCertificateOf either way.
 */
export function leafForIdentityCheck(this: tls.TLSSocket): tls.PeerCertificate {
  return getPeerCertificate.call(this, false);
}

export function restorePeerCertificate(socket: tls.TLSSocket): void {
  if ((socket.getPeerCertificate as unknown) === leafForIdentityCheck) socket.getPeerCertificate = getPeerCertificate;
}
