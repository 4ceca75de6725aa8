import * as net from 'node:net';

import * as tls from 'node:tls';
import { kCore } from './core';
import { Messages, TimeoutError } from './errors';
import {
  checkMinDHSize,
  nodeErrorOf,
  nodeSecureContext,
  nodeVerifier,
  rejectUnauthorizedOf,
  warnIpServername,
} from './node-client';
import type {
  CertificateWithKey,
  SslClientAuthenticationOptions,
  SslDuplexOptions,
  SslServerAuthenticationOptions,
} from './options';
import { deliverToOnRead, onReadOf, type OnRead } from './node-onread';
import { pendingClientAuth } from './socket-surface';
import { SslDuplex } from './ssl-duplex';
import type { InnerStream } from './transport';

const DEFAULT_HANDSHAKE_TIMEOUT = 120_000;

/** `tls.connect`'s option names, plus the authentication options of SslClientAuthenticationOptions. */
export interface ConnectOptions
  extends
    Partial<SslClientAuthenticationOptions>,
    Omit<SslDuplexOptions, 'userCertificateValidationCallback'>,
    Omit<tls.SecureContextOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'crl' | 'ciphers'> {
  /** Node's host name check, called when the chain verified; default `tls.checkServerIdentity`. */
  checkServerIdentity?: (hostname: string, cert: tls.PeerCertificate) => Error | undefined;
  /** Default `'localhost'`; also the default `servername`. */
  host?: string;
  /** Default 443. */
  port?: number;
  /** A Unix socket path instead of `host`/`port`. */
  path?: string;
  /** An already-open Duplex (STARTTLS, a WebSocket stream, child stdio): no TCP connection is made. */
  socket?: InnerStream;
  /** net.Socket's `onread`: plaintext copied into `buffer`, then `callback(n, buffer)`; no `'data'` events. */
  onread?: OnRead;
  /** SNI and the name the certificate must carry; default `host`. Same as `targetHost`. */
  servername?: string;
  ca?: SslClientAuthenticationOptions['ca'];
  /** A client certificate (PEM/DER), with `key`; presented when the server asks. */
  cert?: string | Buffer | Array<string | Buffer>;
  /** The private key of `cert`. */
  key?: string | Buffer;
  /** A PKCS#12 client certificate instead of `cert`/`key`. */
  pfx?: string | Buffer;
  /** For `key` or `pfx`. */
  passphrase?: string;
  /** ALPN names, like `applicationProtocols`. */
  ALPNProtocols?: string[];
  /**
   * Default true (false when `NODE_TLS_REJECT_UNAUTHORIZED=0`, as in Node); false accepts any
   * certificate (`authorized` and `authorizationError` tell).
   */
  rejectUnauthorized?: boolean;
  /** Milliseconds for the handshake: none by default for a client (as tls.connect), 120 000 for a server (as tls.Server). */
  handshakeTimeout?: number;
  /** 4 or 6: the address family for `host`. */
  family?: number;
  /** `net.connect`'s: resolves `host` instead of `dns.lookup`. */
  lookup?: net.LookupFunction;
  /** `net.connect`'s: `dns.lookup` hints. */
  hints?: number;
  /** `net.connect`'s: try the addresses of `host` in turn (happy eyeballs). */
  autoSelectFamily?: boolean;
  /** The local address to connect from. */
  localAddress?: string;
  /** Node's: the smallest Diffie-Hellman key accepted from the server, in bits (default 1024). */
  minDHSize?: number;
  /** Calls `setTimeout(timeout)` on the returned stream: `'timeout'` after that many idle milliseconds. */
  timeout?: number;
}

export function certificateOf(o: {
  cert?: unknown;
  key?: unknown;
  pfx?: unknown;
  passphrase?: string;
}): CertificateWithKey | undefined {
  if (o.pfx !== undefined) return { pfx: o.pfx as string | Buffer, passphrase: o.passphrase };
  if (o.cert !== undefined && o.key !== undefined) {
    return { cert: o.cert as string, key: o.key as string, passphrase: o.passphrase };
  }
  return undefined;
}

export function duplexOptions(
  o: SslDuplexOptions,
  validation: SslDuplexOptions['userCertificateValidationCallback'],
): SslDuplexOptions {
  const d: SslDuplexOptions = {};
  if (o.leaveInnerStreamOpen !== undefined) d.leaveInnerStreamOpen = o.leaveInnerStreamOpen;
  if (o.allowHalfOpen !== undefined) d.allowHalfOpen = o.allowHalfOpen;
  if (o.highWaterMark !== undefined) d.highWaterMark = o.highWaterMark;
  if (o.readTimeout !== undefined) d.readTimeout = o.readTimeout;
  if (o.writeTimeout !== undefined) d.writeTimeout = o.writeTimeout;
  if (o.keylog !== undefined) d.keylog = o.keylog;
  if (validation) d.userCertificateValidationCallback = validation;
  return d;
}

const sharedAuthenticationKeys = [
  'remoteCertificateValidationCallback',
  'enabledSslProtocols',
  'certificateRevocationCheckMode',
  'allowRenegotiation',
  'ca',
  'crl',
  'ciphers',
  'pskCallback',
  'enableTrace',
] as const;

/** The authentication options given among `tls`-style options, with `ALPNProtocols` as ALPN. */
export function copyAuthenticationOptions(
  from: { applicationProtocols?: string[]; ALPNProtocols?: string[] },
  to: SslClientAuthenticationOptions | SslServerAuthenticationOptions,
  selectionKey: 'localCertificateSelectionCallback' | 'serverCertificateSelectionCallback',
): void {
  const source = from as Record<string, unknown>;
  const target = to as unknown as Record<string, unknown>;
  for (const key of [selectionKey, ...sharedAuthenticationKeys]) {
    if (source[key] !== undefined) target[key] = source[key];
  }
  const alpn = from.applicationProtocols ?? from.ALPNProtocols;
  if (alpn) to.applicationProtocols = alpn;
}

/**
 * Arms the handshake timer (a silent peer cannot hold the connection forever) until `handshake`
 * settles, which it does on success, failure and dispose alike. No listeners on the stream: a
 * listener added and removed per connection turns its `_events` into a dictionary (≈ 250 bytes per
 * idle connection, readable-stream does not pre-shape it as Node's own streams do).
 */
export function handshakeTimer(stream: SslDuplex, ms: number | undefined, handshake: Promise<unknown>): void {
  const limit = ms ?? DEFAULT_HANDSHAKE_TIMEOUT;
  if (limit <= 0) return;
  const timer = setTimeout(() => {
    if (!stream.isAuthenticated && !stream.destroyed) {
      stream.destroy(new TimeoutError(Messages.handshakeTimedOut(limit)));
    }
  }, limit);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  handshake.then(clear, clear);
}

const kFace = Symbol('ssl-duplex face');
type FacedStream = InnerStream & { [kFace]?: SslDuplex };

/** One listener for every connection (`this` is the transport): an idle connection carries no closure. */
function transportClosed(this: FacedStream): void {
  const stream = this[kFace];
  // Before the handshake is done its failure reports the close (ECONNRESET); unread plaintext
  // stays readable, and the stream ends when it is read, as net.Socket's would.
  if (stream?.isAuthenticated === true && !stream.destroyed && stream.readableLength === 0) stream.destroy();
}

/**
 * A tls.TLSSocket is destroyed the moment its transport closes (a 'close' listener on the
 * transport sees it destroyed); so is a socket made by connect()/createServer().
 */
export function destroyWithTransport(stream: SslDuplex, transport: InnerStream): void {
  (transport as FacedStream)[kFace] = stream;
  // on, not once: 'close' comes once, and once's wrapper would cost ~110 bytes per connection.
  transport.on('close', transportClosed);
}

type ConnectListener = () => void;

function normalizeConnectArgs(args: unknown[]): { options: ConnectOptions; listener?: ConnectListener } {
  let options: ConnectOptions = {};
  let listener: ConnectListener | undefined;
  const rest = [...args];
  if (typeof rest[rest.length - 1] === 'function') listener = rest.pop() as ConnectListener;
  if (typeof rest[0] === 'object' && rest[0] !== null) {
    options = { ...(rest[0] as ConnectOptions) };
  } else {
    if (rest[0] !== undefined) options.port = Number(rest[0]);
    if (typeof rest[1] === 'string') {
      options.host = rest[1];
      if (typeof rest[2] === 'object' && rest[2] !== null) options = { ...(rest[2] as ConnectOptions), ...options };
    } else if (typeof rest[1] === 'object' && rest[1] !== null) {
      options = { ...(rest[1] as ConnectOptions), ...options };
    }
  }
  return { options, listener };
}

/**
 * Shaped like `tls.connect`: opens the TCP connection (or takes `options.socket`), authenticates as
 * the client, emits `'connect'` then `'secureConnect'`, and returns the SslDuplex at once. Writes
 * made before the handshake completes are queued. Failures are `'error'` events.
 */
export function connect(options: ConnectOptions, listener?: ConnectListener): SslDuplex;
export function connect(port: number, host?: string, options?: ConnectOptions, listener?: ConnectListener): SslDuplex;
export function connect(port: number, options?: ConnectOptions, listener?: ConnectListener): SslDuplex;
export function connect(...args: unknown[]): SslDuplex {
  const { options, listener } = normalizeConnectArgs(args);
  const host = options.host ?? 'localhost';
  const auth: SslClientAuthenticationOptions = { targetHost: options.targetHost ?? (options.servername || host) };
  const certificate = certificateOf(options);
  if (options.clientCertificates) auth.clientCertificates = options.clientCertificates;
  else if (certificate) auth.clientCertificates = [certificate];
  copyAuthenticationOptions(options, auth, 'localCertificateSelectionCallback');
  // Node's option names build Node's context, here, so that a bad option throws at the call as in
  // tls.connect; the .NET options (enabledSslProtocols, clientCertificates) keep their own path.
  const dotnet = options.enabledSslProtocols !== undefined || options.clientCertificates !== undefined;
  if (!dotnet) auth.secureContext = nodeSecureContext(options as Record<string, unknown>);
  if (options.session !== undefined) auth.session = options.session;
  const rejectUnauthorized = rejectUnauthorizedOf(options.rejectUnauthorized);
  const minDHSize = checkMinDHSize(options);
  warnIpServername(options.servername);
  const validation =
    options.remoteCertificateValidationCallback !== undefined
      ? undefined
      : nodeVerifier(
          auth.targetHost,
          options.checkServerIdentity ?? tls.checkServerIdentity,
          rejectUnauthorized,
          minDHSize,
        );

  let socket: InnerStream;
  if (options.socket !== undefined) {
    socket = options.socket;
  } else {
    // net.connect's own options (lookup, hints, family, localAddress, autoSelectFamily…) go through.
    // `onread` is for the plaintext (below), not for the ciphertext.
    const tcp = (
      options.path
        ? { ...options, path: options.path, onread: undefined }
        : { ...options, port: options.port ?? 443, host, onread: undefined }
    ) as net.NetConnectOpts;
    socket = net.connect(tcp);
  }
  const stream = new SslDuplex(socket, duplexOptions(options, validation));
  stream[kCore].personality = 'client';
  destroyWithTransport(stream, socket);
  const onread = onReadOf(options.onread);
  if (onread !== undefined) deliverToOnRead(stream, onread);
  if (listener) stream.once('secureConnect', listener);
  if (options.timeout !== undefined) stream.setTimeout(options.timeout);

  // The transport's own errors before the handshake (ECONNREFUSED…) are reported as they are, as tls.connect does.
  const onEarlyError = (err: Error): void => {
    if (!stream.destroyed) stream.destroy(err);
  };
  socket.once('error', onEarlyError);
  pendingClientAuth.set(stream, auth);
  const start = (): void => {
    pendingClientAuth.delete(stream);
    socket.removeListener('error', onEarlyError);
    if (stream.destroyed) return;
    stream.emit('connect');
    const handshake = stream.authenticateAsClientAsync(auth);
    // tls.connect has no handshake timer of its own (a server's is 120 s): only when asked.
    if (options.handshakeTimeout !== undefined) handshakeTimer(stream, options.handshakeTimeout, handshake);
    handshake.catch((err: Error) => {
      if (stream.destroyed) return;
      const error = nodeErrorOf(err) as Error & Record<string, unknown>;
      // Node says where it was going when the peer hung up.
      if (error.code === 'ECONNRESET' && error.host === undefined && options.socket === undefined) {
        const { path, host: asked, port, localAddress } = options;
        Object.assign(error, { path, host: asked, port, localAddress });
      }
      stream.destroy(error);
    });
  };
  if ((socket as net.Socket).connecting === true) socket.once('connect', start);
  else process.nextTick(start);
  return stream;
}
