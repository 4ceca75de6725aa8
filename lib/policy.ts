import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import { SslPolicyErrors } from './enums';
import { peerCertificateOf } from './peer-certificate';
import { AuthenticationError, Messages } from './errors';
import type { RemoteCertificateValidationCallback } from './options';

/** The peer's certificate as the validation callback sees it, and what is wrong with it. */
export class PeerVerdict {
  readonly sslPolicyErrors: number;
  /** OpenSSL's reason for chain errors (e.g. `CERT_HAS_EXPIRED`), or the name mismatch message. */
  readonly reasons: readonly string[];
  /** OpenSSL's verification error as Node reports it (code and message), null when the chain verified. */
  readonly chainError: (Error & { code?: string }) | null;
  /**
   * The peer certificate as Node's object (the detailed chain, or the leaf alone when nothing needed
   * the chain), for the validation callback only (dropped after it).
   */
  detailed: PeerCertificate | DetailedPeerCertificate | undefined = undefined;
  readonly #raws: Buffer[];
  #chain: X509Certificate[] | undefined;

  constructor(
    sslPolicyErrors: number,
    reasons: readonly string[],
    raws: Buffer[],
    chainError: (Error & { code?: string }) | null = null,
  ) {
    this.sslPolicyErrors = sslPolicyErrors;
    this.reasons = reasons;
    this.#raws = raws;
    this.chainError = chainError;
  }

  get hasCertificate(): boolean {
    return this.#raws.length > 0;
  }

  /** Parsed on first use: most connections never look at the certificate objects. */
  get chain(): X509Certificate[] {
    return (this.#chain ??= this.#raws.map((raw) => new X509Certificate(raw)));
  }

  get certificate(): X509Certificate | null {
    return this.chain[0] ?? null;
  }
}

// One shared verdict: most servers never ask for a client certificate, and an idle connection
// should not carry its own copy of "none".
const NOT_AVAILABLE = new PeerVerdict(SslPolicyErrors.RemoteCertificateNotAvailable, ['NO_PEER_CERTIFICATE'], []);
const notAvailable = (): PeerVerdict => NOT_AVAILABLE;

/**
 * Computes `SslPolicyErrors` the way .NET does, after the handshake: OpenSSL's own verification
 * result (chain to the trusted roots, validity dates, CRLs) for chain errors, Node's
 * `checkServerIdentity` for the host name. Node's `authorized` cannot be used because a
 * standalone server-side TLSSocket never sets it. A server that did not ask for a certificate
 * cannot have received one, so it skips the look.
 */
export function judgePeer(
  socket: TLSSocket,
  isServer: boolean,
  targetHost: string,
  requested = true,
  seen?: PeerCertificate,
  needsChain = true,
): PeerVerdict {
  if (isServer && !requested) return notAvailable();
  // getPeerCertificate, not getPeerX509Certificate(), which consumes state Node needs for later
  // calls. `seen` is the copy Node's client already made for its identity check: the leaf alone
  // (see leafForIdentityCheck), or the detailed chain. The chain is built only for a validation
  // callback that reads it: Node's detailed objects cost a fifth of a client handshake.
  const seenChain = seen !== undefined && 'issuerCertificate' in seen;
  const peer = (
    seen !== undefined && (seenChain || !needsChain) ? seen : peerCertificateOf(socket, needsChain)
  ) as DetailedPeerCertificate | null;
  if (!peer || !peer.raw) return notAvailable();
  const raws: Buffer[] = [];
  const fingerprints = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = peer; c?.raw; c = c.issuerCertificate) {
    const key = c.fingerprint256;
    if (fingerprints.has(key)) break;
    fingerprints.add(key);
    raws.push(c.raw);
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
  const verdict = new PeerVerdict(errors, reasons, raws, verifyError ?? null);
  verdict.detailed = peer;
  return verdict;
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
export function authorizationErrorOf(flags: number, reasons: readonly string[]): string {
  if ((flags & SslPolicyErrors.RemoteCertificateChainErrors) !== 0 && reasons[0]) return reasons[0];
  if ((flags & SslPolicyErrors.RemoteCertificateNameMismatch) !== 0) return 'ERR_TLS_CERT_ALTNAME_INVALID';
  return 'NO_PEER_CERTIFICATE';
}

/** Marks a validation callback that reads only the verdict (its 5th argument), not the certificates. */
export const kVerdictOnly = Symbol('ssl-duplex verdict only');

/** What the surface reports of the peer after the handshake (`authorized`, `authorizationError`). */
export interface Verdict {
  errors: number;
  reason: string | null;
}

/** Nothing wrong, or nothing judged yet. Frozen: it is shared. */
export const NO_VERDICT: Verdict = Object.freeze({ errors: 0, reason: null });

/** The flags a verdict reports: a server that did not ask for a client certificate has nothing to miss. */
export function policyErrors(
  verdict: PeerVerdict,
  isServer: boolean,
  clientCertificateRequired: boolean,
  hasCallback: boolean,
): number {
  return isServer && !clientCertificateRequired && !verdict.hasCertificate && !hasCallback
    ? SslPolicyErrors.None
    : verdict.sslPolicyErrors;
}

/**
 * .NET's rule once TLS is done: a validation callback decides; without one, any flag fails. A
 * server that did not ask for a client certificate has nothing to miss. Returns the flags the
 * callback saw and the AuthenticationError to fail with, or null to accept.
 */
export function decide(
  sender: object,
  verdict: PeerVerdict,
  isServer: boolean,
  clientCertificateRequired: boolean,
  validate: RemoteCertificateValidationCallback | undefined,
): { errors: number; rejection: AuthenticationError | null } {
  const errors = policyErrors(verdict, isServer, clientCertificateRequired, validate !== undefined);
  if (validate !== undefined) {
    try {
      // The verdict rides along for the Node personality's verifier (node-client.ts), which needs
      // no parsed certificates: parsing them costs a tenth of a handshake.
      const v = validate as ((...args: unknown[]) => unknown) & { [kVerdictOnly]?: true };
      const accepted =
        v[kVerdictOnly] === true
          ? v(sender, null, [], errors, verdict)
          : v(sender, verdict.certificate, verdict.chain, errors, verdict);
      if (accepted === true) return { errors, rejection: null };
    } catch (err) {
      return { errors, rejection: new AuthenticationError(Messages.rejectedByCallback, { cause: err }) };
    }
    return { errors, rejection: new AuthenticationError(Messages.rejectedByCallback) };
  }
  if (errors === SslPolicyErrors.None) return { errors, rejection: null };
  const error = new AuthenticationError(
    Messages.invalidCertificate(describePolicyErrors(errors), verdict.reasons.join('; ')),
  ) as AuthenticationError & { sslPolicyErrors?: number };
  error.sslPolicyErrors = errors;
  return { errors, rejection: error };
}

/** The verdict the socket surface reports; the common one is shared (idle connections are many). */
export function verdictOf(errors: number, reasons: readonly string[]): Verdict {
  return errors === SslPolicyErrors.None ? NO_VERDICT : { errors, reason: authorizationErrorOf(errors, reasons) };
}
