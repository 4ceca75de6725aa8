import type { AsyncCallback } from './async-result';
import { ArgumentError, ArgumentNullError } from './errors';
import type { CertificateWithKey, SslClientAuthenticationOptions, SslServerAuthenticationOptions } from './options';

/**
 * The authenticate overloads, .NET's and Node's, turned into one options object. Only argument
 * shapes are judged here; the stream's state is the guards' business.
 */

/** `(x, callback?, state?)` or .NET's `(x, a, b, c, callback?, state?)`: the APM tail and the middle. */
export function apmArguments(rest: unknown[]): {
  callback: AsyncCallback | undefined;
  state: unknown;
  middle: [unknown, unknown, unknown];
} {
  if (typeof rest[0] === 'function' || rest.length <= 2) {
    return {
      callback: rest[0] as AsyncCallback | undefined,
      state: rest[1],
      middle: [undefined, undefined, undefined],
    };
  }
  // .NET's overload without SslProtocols: (x, a, checkCertificateRevocation, callback?, state?).
  if (typeof rest[1] === 'boolean') {
    return { callback: rest[2] as AsyncCallback | undefined, state: rest[3], middle: [rest[0], undefined, rest[1]] };
  }
  return { callback: rest[3] as AsyncCallback | undefined, state: rest[4], middle: [rest[0], rest[1], rest[2]] };
}

/**
 * The overloads' tail, `(enabledSslProtocols, checkCertificateRevocation)` or .NET's shorter
 * `(checkCertificateRevocation)`: a boolean in the protocols' place is the revocation flag, never a
 * protocol value.
 */
function protocolsAndRevocation(
  enabledSslProtocols: number | boolean | undefined,
  checkCertificateRevocation: boolean | undefined,
): [number | undefined, boolean | undefined] {
  return typeof enabledSslProtocols === 'boolean'
    ? [undefined, enabledSslProtocols]
    : [enabledSslProtocols, checkCertificateRevocation];
}

/** `(targetHost | options, signal | clientCertificates?, enabledSslProtocols | checkCertificateRevocation?, checkCertificateRevocation?)`. */
export function clientOptions(
  targetHostOrOptions: string | SslClientAuthenticationOptions,
  certificates: unknown,
  protocolsOrRevocation: number | boolean | undefined,
  revocation: boolean | undefined,
): SslClientAuthenticationOptions {
  // Indexed, not destructured: an array iterator per handshake for nothing.
  const pr = protocolsAndRevocation(protocolsOrRevocation, revocation);
  const enabledSslProtocols = pr[0];
  const checkCertificateRevocation = pr[1];
  if (targetHostOrOptions === null || targetHostOrOptions === undefined) throw new ArgumentNullError('targetHost');
  let options: SslClientAuthenticationOptions;
  if (typeof targetHostOrOptions === 'string') {
    options = { targetHost: targetHostOrOptions };
    if (Array.isArray(certificates)) options.clientCertificates = certificates as CertificateWithKey[];
    if (enabledSslProtocols !== undefined) options.enabledSslProtocols = enabledSslProtocols;
    if (checkCertificateRevocation === true) options.certificateRevocationCheckMode = 1;
  } else if (typeof targetHostOrOptions === 'object') {
    options = targetHostOrOptions;
    if (options.targetHost === null || options.targetHost === undefined) throw new ArgumentNullError('targetHost');
  } else {
    throw new ArgumentError('targetHost');
  }
  if (typeof options.targetHost !== 'string') throw new ArgumentError('targetHost');
  return options;
}

/** `(serverCertificate | options, clientCertificateRequired?, enabledSslProtocols | checkCertificateRevocation?, checkCertificateRevocation?)`. */
export function serverOptions(
  certificateOrOptions: CertificateWithKey | SslServerAuthenticationOptions,
  clientCertificateRequired: boolean | undefined,
  protocolsOrRevocation: number | boolean | undefined,
  revocation: boolean | undefined,
): SslServerAuthenticationOptions {
  // Indexed, not destructured: an array iterator per handshake for nothing.
  const pr = protocolsAndRevocation(protocolsOrRevocation, revocation);
  const enabledSslProtocols = pr[0];
  const checkCertificateRevocation = pr[1];
  if (certificateOrOptions === null || certificateOrOptions === undefined) {
    throw new ArgumentNullError('serverCertificate');
  }
  const c = certificateOrOptions as Record<string, unknown>;
  if ('cert' in c || 'pfx' in c) {
    const options: SslServerAuthenticationOptions = { serverCertificate: certificateOrOptions as CertificateWithKey };
    if (clientCertificateRequired !== undefined) options.clientCertificateRequired = clientCertificateRequired;
    if (enabledSslProtocols !== undefined) options.enabledSslProtocols = enabledSslProtocols;
    if (checkCertificateRevocation === true) options.certificateRevocationCheckMode = 1;
    return options;
  }
  return certificateOrOptions as SslServerAuthenticationOptions;
}

/** The promise forms' second argument: an AbortSignal, or the .NET overload's next parameter. */
export function signalOf(value: unknown): AbortSignal | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AbortSignal) : undefined;
}
