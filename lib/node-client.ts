import assert from 'node:assert';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { AuthenticationError, IOError, Messages, TimeoutError } from './errors';
import { SslPolicyErrors } from './enums';
import type { RemoteCertificateValidationCallback } from './options';
import { kVerdictOnly, NO_VERDICT, type PeerVerdict } from './policy';
import { kCore, type Core } from './core';
import { cachedSecureContext } from './tls-options';

/**
 * The Node personality: what `connect()` and `createServer()` do with Node's option names so that
 * a socket they make behaves as one from `tls` would. The .NET methods on the same socket keep the
 * contract's classes; only what the factories themselves report is Node's.
 */

/** `tls.createSecureContext`'s option names, as `tls.connect` accepts them. */
const contextKeys = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'crl',
  'ciphers',
  'ecdhCurve',
  'sigalgs',
  'minVersion',
  'maxVersion',
  'secureProtocol',
  'secureOptions',
  'honorCipherOrder',
  'dhparam',
  'sessionIdContext',
  'privateKeyEngine',
  'privateKeyIdentifier',
  'clientCertEngine',
] as const;

/** Node's context options from `options`, after Node's defaults (as tls.connect and tls.Server pass them). */
function contextOptionsOf(options: Record<string, unknown>, keys: readonly string[]): tls.SecureContextOptions {
  const ctx: Record<string, unknown> = { ciphers: tls.DEFAULT_CIPHERS };
  for (const key of keys) if (options[key] !== undefined) ctx[key] = options[key];
  return ctx as tls.SecureContextOptions;
}

/**
 * The context Node would build for these options (shared with every connection that says the
 * same), or the caller's own `secureContext`. Node's errors for bad options are thrown here, at
 * the call, as `tls.connect` throws them.
 */
export function nodeSecureContext(options: Record<string, unknown>): tls.SecureContext {
  return (
    (options.secureContext as tls.SecureContext | undefined) ??
    cachedSecureContext(contextOptionsOf(options, contextKeys))
  );
}

const serverContextKeys = [...contextKeys, 'ticketKeys', 'sessionTimeout'] as const;

/**
 * A server's own context, as tls.Server builds it: never shared with another server, since its
 * ticket keys and session cache are the server's (setTicketKeys() on one must not rotate another's).
 */
export function nodeServerContext(options: Record<string, unknown>): tls.SecureContext {
  return (
    (options.secureContext as tls.SecureContext | undefined) ??
    tls.createSecureContext(contextOptionsOf(options, serverContextKeys))
  );
}

/** What the verifier asks of the socket it judges (an SslDuplex). */
interface VerifiedSocket {
  [kCore]: Core;
  isSessionReused(): boolean;
  getPeerCertificate(detailed: boolean): object;
  getEphemeralKeyInfo(): object | null;
}

/**
 * Node's verification: OpenSSL's verdict on the chain, then `checkServerIdentity` (Node's, or the
 * caller's) unless the session was resumed. `authorized`/`authorizationError` say what it found;
 * with `rejectUnauthorized` the handshake fails with that very error (Node's code and message).
 */
export function nodeVerifier(
  hostname: string,
  checkServerIdentity: (hostname: string, cert: tls.PeerCertificate) => Error | undefined,
  rejectUnauthorized: boolean,
  minDHSize = 1024,
): RemoteCertificateValidationCallback {
  const verify = (sender: object, _c: unknown, _chain: unknown, _errors: number, verdict?: PeerVerdict): boolean => {
    const stream = sender as VerifiedSocket;
    // Node refuses weak Diffie-Hellman whatever rejectUnauthorized says.
    const key = stream.getEphemeralKeyInfo() as { type?: string; size?: number } | null;
    if (key?.type === 'DH' && key.size !== undefined && key.size < minDHSize) {
      throw Object.assign(new Error(Messages.dhParamSize(key.size)), { code: 'ERR_TLS_DH_PARAM_SIZE' });
    }
    let error: (Error & { code?: string }) | undefined = verdict?.chainError ?? undefined;
    if (error === undefined && !stream.isSessionReused()) {
      let cert: object | undefined = verdict?.detailed;
      // Node hands a custom checkServerIdentity the detailed chain; its own reads the leaf only.
      if (cert === undefined || (checkServerIdentity !== tls.checkServerIdentity && !('issuerCertificate' in cert))) {
        cert = stream.getPeerCertificate(true);
      }
      error = checkServerIdentity(hostname, cert as tls.PeerCertificate) ?? undefined;
    }
    const core = stream[kCore];
    core.verdict =
      error === undefined
        ? NO_VERDICT
        : { errors: SslPolicyErrors.RemoteCertificateChainErrors, reason: error.code ?? error.message };
    if (error !== undefined && rejectUnauthorized) throw error;
    return true;
  };
  return Object.assign(verify, { [kVerdictOnly]: true as const }) as unknown as RemoteCertificateValidationCallback;
}

/**
 * What `tls` would report for a failed handshake (the client's 'error', the server's
 * 'tlsClientError'): Node's error, not ours, which keeps it as its `cause`.
 */
export function nodeErrorOf(err: unknown, role: 'client' | 'server' = 'client'): Error {
  const cause = (err as { cause?: unknown })?.cause;
  if (err instanceof AuthenticationError && cause instanceof Error) return cause;
  if (err instanceof TimeoutError) {
    return Object.assign(new Error(Messages.handshakeTimeoutNode), { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
  }
  // tls.Server refuses a client certificate after the handshake by destroying the socket, which
  // its 'tlsClientError' reports as a hang-up.
  const refused = role === 'server' && err instanceof AuthenticationError;
  if (err instanceof IOError || refused) {
    if (cause instanceof Error && !refused) return cause;
    const message = role === 'client' ? Messages.disconnectedBeforeSecure : Messages.socketHangUp;
    return Object.assign(new Error(message), { code: 'ECONNRESET' });
  }
  return err as Error;
}

/** `minDHSize`, checked as tls.connect checks it (an AssertionError with Node's message). */
export function checkMinDHSize(options: { minDHSize?: unknown }): number | undefined {
  if (!('minDHSize' in options)) return undefined;
  const size = options.minDHSize;
  assert(typeof size === 'number', Messages.minDHSizeNotNumber(size));
  assert(size > 0, Messages.minDHSizeNotPositive(size));
  return size;
}

let ipServernameWarned = false;

/** Node's DEP0123, once per process, for a `servername` that is an IP address. */
export function warnIpServername(servername: unknown): void {
  if (ipServernameWarned || typeof servername !== 'string' || isIP(servername) === 0) return;
  ipServernameWarned = true;
  process.emitWarning(Messages.ipServername, 'DeprecationWarning', 'DEP0123');
}

/** Node's default, which NODE_TLS_REJECT_UNAUTHORIZED=0 turns off. */
export function rejectUnauthorizedOf(option: boolean | undefined): boolean {
  return option ?? process.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0';
}
