import * as tls from 'node:tls';
import { isIP } from 'node:net';
import { ArgumentError, ArgumentNullError } from './errors';
import type { CertificateWithKey, SslClientAuthenticationOptions, SslServerAuthenticationOptions } from './options';
import { toVersionRange } from './protocols';
import { X509RevocationMode } from './enums';

type CommonOptions = SslClientAuthenticationOptions | SslServerAuthenticationOptions;

function contextOptions(
  options: CommonOptions,
  certificate: CertificateWithKey | null | undefined,
): tls.SecureContextOptions {
  const { minVersion, maxVersion } = toVersionRange(options.enabledSslProtocols);
  const ctx: tls.SecureContextOptions = { minVersion, maxVersion };
  if (options.ca !== undefined) ctx.ca = options.ca;
  if (options.crl !== undefined) ctx.crl = options.crl;
  if (options.ciphers !== undefined) ctx.ciphers = options.ciphers;
  if (certificate) {
    if ('pfx' in certificate) ctx.pfx = certificate.pfx;
    else {
      ctx.cert = certificate.cert;
      ctx.key = certificate.key;
    }
    if (certificate.passphrase !== undefined) ctx.passphrase = certificate.passphrase;
  }
  return ctx;
}

// Building an SSL_CTX parses every certificate and key: ~1 ms and ~40 KiB each. A server (or a
// client) that passes the same options object for every connection gets the same context, as a
// tls.Server does. Options objects are treated as immutable once used.
const contexts = new WeakMap<object, Map<object | undefined, tls.SecureContext>>();

/** Builds (or reuses) a SecureContext; OpenSSL's refusal of bad PEM or a wrong key is the caller's mistake. */
export function secureContext(
  options: CommonOptions,
  certificate: CertificateWithKey | null | undefined,
  paramName: string,
): tls.SecureContext {
  let perOptions = contexts.get(options);
  const key = certificate ?? undefined;
  const cached = perOptions?.get(key);
  if (cached) return cached;
  try {
    const ctx = tls.createSecureContext(contextOptions(options, certificate));
    if (!perOptions) contexts.set(options, (perOptions = new Map()));
    // Bounded: a selection callback that makes a new certificate object per call must not grow this.
    if (perOptions.size > 64) perOptions.clear();
    perOptions.set(key, ctx);
    return ctx;
  } catch (err) {
    throw new ArgumentError(paramName, `The ${paramName} option was refused: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function checkProtocols(list: unknown): string[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p.length === 0 || p.length > 255)) {
    throw new ArgumentError('applicationProtocols', 'applicationProtocols must be an array of non-empty strings.');
  }
  return list.length === 0 ? undefined : (list as string[]);
}

export interface PreparedClient {
  targetHost: string;
  secureContext: tls.SecureContext;
  servername: string | undefined;
  alpn: string[] | undefined;
  hasCertificate: boolean;
  checkRevocation: boolean;
}

export function prepareClient(
  options: SslClientAuthenticationOptions,
  selectedCertificate: CertificateWithKey | null | undefined,
): PreparedClient {
  const targetHost = options.targetHost;
  const alpn = checkProtocols(options.applicationProtocols);
  return {
    targetHost,
    secureContext: secureContext(options, selectedCertificate, 'clientCertificates'),
    // SNI carries host names only (RFC 6066); Node warns when given an IP address.
    servername: targetHost !== '' && isIP(targetHost) === 0 ? targetHost : undefined,
    alpn,
    hasCertificate: !!selectedCertificate,
    checkRevocation: revocationChecked(options),
  };
}

export interface PreparedServer {
  secureContext: tls.SecureContext;
  requestCert: boolean;
  alpn: string[] | undefined;
  checkRevocation: boolean;
}

export function prepareServer(options: SslServerAuthenticationOptions): PreparedServer {
  if (!options.serverCertificate && typeof options.serverCertificateSelectionCallback !== 'function') {
    throw new ArgumentNullError('serverCertificate');
  }
  const alpn = checkProtocols(options.applicationProtocols);
  return {
    secureContext: secureContext(options, options.serverCertificate, 'serverCertificate'),
    requestCert: options.clientCertificateRequired === true,
    alpn,
    checkRevocation: revocationChecked(options),
  };
}

function revocationChecked(options: CommonOptions): boolean {
  const mode = options.certificateRevocationCheckMode;
  return options.crl !== undefined || (mode !== undefined && mode !== X509RevocationMode.NoCheck);
}
