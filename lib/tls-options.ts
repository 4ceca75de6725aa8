import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import { ArgumentError, ArgumentNullError, Messages } from './errors';
import type { CertificateWithKey, SslClientAuthenticationOptions, SslServerAuthenticationOptions } from './options';
import { toAsciiHost } from './idn';
import { toVersionRange } from './protocols';
import { X509RevocationMode } from './enums';

type CommonOptions = SslClientAuthenticationOptions | SslServerAuthenticationOptions;

/**
 * `cert` as one chain: an array is `[leaf, ...intermediates]` (PEM or DER each), where Node would
 * read an array as one certificate per key type. One PEM text is passed on as it is.
 */
function chainOf(cert: string | Buffer | Array<string | Buffer>): string | Buffer {
  if (!Array.isArray(cert)) return cert;
  // Asked at every handshake that builds its context from options: a DER certificate is parsed
  // once per array, not per connection, and the same string back lets the context cache compare
  // by pointer. The elements are checked, since an array can change in place.
  const known = chains.get(cert);
  if (known !== undefined && known.parts.length === cert.length && known.parts.every((c, i) => c === cert[i])) {
    return known.chain;
  }
  const chain = cert.map((c) => (isPem(c) ? c.toString().trim() : new X509Certificate(c).toString().trim())).join('\n');
  chains.set(cert, { parts: [...cert], chain });
  return chain;
}

const chains = new WeakMap<Array<string | Buffer>, { parts: Array<string | Buffer>; chain: string }>();

function isPem(c: string | Buffer): boolean {
  return (typeof c === 'string' ? c : c.subarray(0, 64).toString('latin1')).includes('-----BEGIN');
}

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
      ctx.cert = chainOf(certificate.cert);
      ctx.key = certificate.key;
    }
    if (certificate.passphrase !== undefined) ctx.passphrase = certificate.passphrase;
  }
  return ctx;
}

// Building an SSL_CTX parses every certificate and key: ~1 ms and ~40 KiB each, a fifth of a full
// client handshake. Connections whose options say the same thing share one context, as a
// tls.Server's do: strings are compared by value (a PEM read once and passed to every connect()),
// Buffers and other objects by identity (a Buffer changed in place is not noticed).
const contexts = new Map<string, tls.SecureContext>();
const MAX_CONTEXTS = 64;
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

function keyPart(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return `s${value.length}:${value}`;
  if (Array.isArray(value)) return `[${value.map(keyPart).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    let id = objectIds.get(value);
    if (id === undefined) objectIds.set(value, (id = nextObjectId++));
    return `o${id}`;
  }
  return `v${String(value)}`;
}

/** Every option that says something, by name: two option sets with the same key build the same context. */
function contextKey(o: tls.SecureContextOptions): string {
  const record = o as Record<string, unknown>;
  return Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
    .map((k) => `${k}=${keyPart(record[k])}`)
    .join('|');
}

/**
 * `tls.createSecureContext`, or the context already built from the same options. Node's own
 * errors (a bad PEM, a wrong passphrase, an unknown cipher) are thrown as they are.
 */
export function cachedSecureContext(ctxOptions: tls.SecureContextOptions): tls.SecureContext {
  // Most programs connect with the same options every time: comparing them with the last ones
  // (the same PEM string compares by pointer) spares building and hashing a key that holds the
  // whole PEM text, ~10 µs per connection.
  if (last !== undefined && sameOptions(last.options, ctxOptions as Record<string, unknown>)) return last.ctx;
  const ctx = keyedSecureContext(ctxOptions);
  // Arrays are copied: one changed in place must not match itself (the key would see the change).
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctxOptions)) options[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
  last = { options, ctx };
  return ctx;
}

let last: { options: Record<string, unknown>; ctx: tls.SecureContext } | undefined;

/** The same key as contextKey would give: strings by value, arrays by element, objects by identity. */
function sameOptions(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let n = 0;
  for (const k in b) {
    const v = b[k];
    if (v === undefined) continue;
    n++;
    const w = a[k];
    if (v === w) continue;
    if (!Array.isArray(v) || !Array.isArray(w) || v.length !== w.length) return false;
    for (let i = 0; i < v.length; i++) if (v[i] !== w[i]) return false;
  }
  let m = 0;
  for (const k in a) if (a[k] !== undefined) m++;
  return n === m;
}

function keyedSecureContext(ctxOptions: tls.SecureContextOptions): tls.SecureContext {
  const key = contextKey(ctxOptions);
  const cached = contexts.get(key);
  if (cached) {
    // Least recently used goes first: re-inserting keeps a busy context at the back.
    contexts.delete(key);
    contexts.set(key, cached);
    return cached;
  }
  const ctx = tls.createSecureContext(ctxOptions);
  // Bounded: a selection callback that makes a new certificate per call must not grow this.
  if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
  contexts.set(key, ctx);
  return ctx;
}

/** Builds (or reuses) a SecureContext; OpenSSL's refusal of bad PEM or a wrong key is the caller's mistake. */
export function secureContext(
  options: CommonOptions,
  certificate: CertificateWithKey | null | undefined,
  paramName: string,
): tls.SecureContext {
  try {
    return cachedSecureContext(contextOptions(options, certificate));
  } catch (err) {
    throw new ArgumentError(paramName, Messages.optionRefused(paramName, (err as Error).message), {
      cause: err,
    });
  }
}

function checkProtocols(list: unknown): string[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p.length === 0 || p.length > 255)) {
    throw new ArgumentError('applicationProtocols', Messages.applicationProtocols);
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
    secureContext: options.secureContext ?? secureContext(options, selectedCertificate, 'clientCertificates'),
    // SNI carries host names only (RFC 6066; Node warns when given an IP address), as A-labels.
    servername: targetHost !== '' && isIP(targetHost) === 0 ? toAsciiHost(targetHost) : undefined,
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

export function prepareServer(options: SslServerAuthenticationOptions, selects: boolean): PreparedServer {
  if (!options.serverCertificate && !options.secureContext && !selects) {
    throw new ArgumentNullError('serverCertificate');
  }
  const alpn = checkProtocols(options.applicationProtocols);
  return {
    secureContext: options.secureContext ?? secureContext(options, options.serverCertificate, 'serverCertificate'),
    requestCert: options.clientCertificateRequired === true,
    alpn,
    checkRevocation: revocationChecked(options),
  };
}

function revocationChecked(options: CommonOptions): boolean {
  const mode = options.certificateRevocationCheckMode;
  return options.crl !== undefined || (mode !== undefined && mode !== X509RevocationMode.NoCheck);
}
