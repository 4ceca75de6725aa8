import { Duplex } from 'readable-stream';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { AsyncResult, type AsyncCallback, type IAsyncResult } from './async-result';
import { SslPolicyErrors } from './enums';
import {
  AbortError,
  ArgumentError,
  ArgumentNullError,
  ArgumentOutOfRangeError,
  AuthenticationError,
  InvalidOperationError,
  IOError,
  Messages,
  NotSupportedError,
  ObjectDisposedError,
  SslDuplexError,
  TimeoutError,
} from './errors';
import type {
  CertificateWithKey,
  LocalCertificateSelectionCallback,
  RemoteCertificateValidationCallback,
  SslClientAuthenticationOptions,
  SslDuplexOptions,
  SslServerAuthenticationOptions,
} from './options';
import { authorizationErrorOf, describePolicyErrors, judgePeer } from './policy';
import { Session } from './session';
import { debug } from './debug';
import { nextPhase, Phase } from './state';
import { prepareClient, prepareServer, secureContext } from './tls-options';
import { closeInner, Transport, type InnerStream } from './transport';
import { checkBufferArguments, checkTimeout } from './validation';

type Done<T> = (error: unknown, value?: T) => void;
type StreamCallback = (error?: Error | null) => void;

interface PendingRead {
  buffer: Uint8Array;
  offset: number;
  count: number;
  done: Done<number>;
  timer: NodeJS.Timeout | undefined;
}

interface PendingWrite {
  done: Done<void>;
  timer: NodeJS.Timeout | undefined;
}

/** A stream-face write waiting for authentication or for the APM write ahead of it. */
interface DeferredStreamWrite {
  chunks: Buffer[];
  cb: StreamCallback;
}

interface AuthRequest {
  role: 'client' | 'server';
  validate: RemoteCertificateValidationCallback | undefined;
  clientCertificateRequired: boolean;
  /** Client: the certificate offered; server: the one served (SNI may change it). */
  localCertificate: CertificateWithKey | null;
  done: Done<void>;
}

const forwardedEvents = ['session', 'keylog', 'OCSPResponse'];

/** Plaintext read ahead of any reader before TLS stops reading the transport. */
const kReadAhead = 64 * 1024;

function isTlsLibraryError(err: unknown): boolean {
  const e = err as { code?: unknown; library?: unknown };
  return (
    typeof e?.library === 'string' ||
    (typeof e?.code === 'string' && (e.code.startsWith('ERR_SSL_') || e.code.startsWith('ERR_TLS_')))
  );
}

/** The TLS socket's pointer back to the SslDuplex that drives it (see #tlsListeners). */
const kOwner = Symbol('ssl-duplex owner');
type OwnedSocket = tls.TLSSocket & { [kOwner]?: SslDuplex };

/**
 * .NET's `SslStream` for Node: TLS (Node's own `tls`, i.e. OpenSSL) over any inner Duplex, with the
 * APM (`begin*`/`end*`) and promise methods of SslStream and a Node `Duplex` face that runs on the
 * same state machine.
 *
 * Caller mistakes throw synchronously from `begin*` and property accessors, in the contract's
 * order; I/O outcomes arrive later through `end*`, the promise, or (only while the stream face is
 * in use) `'error'`.
 */
export class SslDuplex extends Duplex {
  readonly #inner: InnerStream;
  readonly #leaveInnerStreamOpen: boolean;
  readonly #ctorValidation: RemoteCertificateValidationCallback | undefined;
  readonly #ctorSelection: LocalCertificateSelectionCallback | undefined;
  #readTimeout = -1;
  #writeTimeout = -1;

  #phase: Phase = Phase.Created;
  #fault: unknown = undefined;
  #role: 'client' | 'server' | null = null;
  #auth: AuthRequest | null = null;
  #session: Session | null = null;
  #targetHost = '';
  #checkRevocation = false;
  /** The peer certificate Node's client looked at during the handshake (see judgePeer). */
  #seenPeer: tls.DetailedPeerCertificate | undefined = undefined;

  #tls: tls.TLSSocket | null = null;
  #transport: Transport | null = null;

  // Read side: plaintext TLS handed us that nobody has taken yet, and who is waiting for more.
  #readQueue: Buffer[] = [];
  #queuedBytes = 0;
  #tlsFlowing = false;
  #readEof = false;
  #readOp: PendingRead | null = null;
  #streamWantsData = false;
  #streamEnded = false;
  #pumping = false;

  // Write side.
  #writeOp: PendingWrite | null = null;
  #deferredStreamWrite: DeferredStreamWrite | null = null;
  /** The stream face's write that TLS has not yet taken (its callback), or null. */
  #streamWriteCb: StreamCallback | null = null;
  #onStreamWritten: ((err?: unknown) => void) | undefined = undefined;
  #drainWaiter: ((err?: unknown) => void) | null = null;
  #shutdown = false;
  #finalCallback: StreamCallback | null = null;

  // The net.Socket / tls.TLSSocket surface.
  #bytesRead = 0;
  #bytesWritten = 0;
  #idleTimeout = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #verdict: { errors: number; reason: string | null } = { errors: 0, reason: null };

  constructor(innerStream: InnerStream, options?: SslDuplexOptions);
  constructor(
    innerStream: InnerStream,
    leaveInnerStreamOpen?: boolean,
    userCertificateValidationCallback?: RemoteCertificateValidationCallback | null,
    userCertificateSelectionCallback?: LocalCertificateSelectionCallback | null,
  );
  constructor(
    innerStream: InnerStream,
    optionsOrLeaveOpen?: SslDuplexOptions | boolean,
    validation?: RemoteCertificateValidationCallback | null,
    selection?: LocalCertificateSelectionCallback | null,
  ) {
    const options: SslDuplexOptions =
      typeof optionsOrLeaveOpen === 'object' && optionsOrLeaveOpen !== null
        ? optionsOrLeaveOpen
        : {
            leaveInnerStreamOpen: optionsOrLeaveOpen === true,
            userCertificateValidationCallback: validation ?? undefined,
            userCertificateSelectionCallback: selection ?? undefined,
          };
    const duplexOptions: { allowHalfOpen: boolean; highWaterMark?: number } = {
      allowHalfOpen: options.allowHalfOpen === true,
    };
    if (options.highWaterMark !== undefined) duplexOptions.highWaterMark = options.highWaterMark;
    super(duplexOptions);
    if (innerStream === null || innerStream === undefined) throw new ArgumentNullError('innerStream');
    const s = innerStream as unknown as Record<string, unknown>;
    if (typeof s.write !== 'function' || typeof s.on !== 'function' || typeof s.pause !== 'function') {
      throw new ArgumentError('innerStream', 'The stream has to be read/write.');
    }
    if (s.readable === false || s.writable === false) {
      throw new ArgumentError('innerStream', 'The stream has to be read/write.');
    }
    for (const [name, cb] of [
      ['userCertificateValidationCallback', options.userCertificateValidationCallback],
      ['userCertificateSelectionCallback', options.userCertificateSelectionCallback],
    ] as const) {
      if (cb !== undefined && cb !== null && typeof cb !== 'function') throw new ArgumentError(name);
    }
    this.#inner = innerStream;
    this.#leaveInnerStreamOpen = options.leaveInnerStreamOpen === true;
    this.#ctorValidation = options.userCertificateValidationCallback ?? undefined;
    this.#ctorSelection = options.userCertificateSelectionCallback ?? undefined;
    if (options.readTimeout !== undefined) this.#readTimeout = checkTimeout(options.readTimeout, 'readTimeout');
    if (options.writeTimeout !== undefined) this.#writeTimeout = checkTimeout(options.writeTimeout, 'writeTimeout');
    if (options.keylog !== undefined && options.keylog !== null) {
      const sink = options.keylog;
      if (typeof sink !== 'function' && typeof (sink as NodeJS.WritableStream).write !== 'function') {
        throw new ArgumentError('keylog', 'keylog must be a writable stream or a function.');
      }
      // NSS key log lines (SSLKEYLOGFILE format), as Wireshark reads them.
      this.on('keylog', (line: Buffer) => {
        if (typeof sink === 'function') sink(line);
        else (sink as NodeJS.WritableStream).write(line);
      });
    }
    this.on('newListener', SslDuplex.#onNewListener);
  }

  /**
   * TLS turns session and key-log callbacks on only for listeners; forward them the same way. One
   * function for all instances (EventEmitter calls it with `this`): no closure per connection.
   */
  static readonly #onNewListener = function (this: SslDuplex, event: string | symbol): void {
    if (forwardedEvents.includes(event as string)) this.#forwardTlsEvent(event as string);
  };

  /**
   * The TLS socket's listeners, shared by every instance: EventEmitter calls them with the socket
   * as `this`, and the socket points back at its SslDuplex. Six closures per connection were a
   * tenth of an idle connection's heap.
   */
  static readonly #tlsListeners = {
    error(this: OwnedSocket, err: unknown): void {
      this[kOwner]!.#tlsError(err);
    },
    end(this: OwnedSocket): void {
      this[kOwner]!.#tlsEnded();
    },
    close(this: OwnedSocket): void {
      this[kOwner]!.#tlsClosed();
    },
    drain(this: OwnedSocket): void {
      this[kOwner]!.#tlsDrained();
    },
    secure(this: OwnedSocket): void {
      this[kOwner]!.#secured();
    },
    data(this: OwnedSocket, chunk: Buffer): void {
      this[kOwner]!.#tlsData(chunk);
    },
  };

  #forwardTlsEvent(event: string): void {
    const socket = this.#tls;
    if (socket === null || socket.listenerCount(event) > 0) return;
    socket.on(event, (...args: unknown[]) => this.emit(event, ...args));
  }

  /** The only writer of #phase: the table in state.ts decides what is legal. */
  #transition(to: Phase, cause?: unknown): void {
    const from = this.#phase;
    this.#phase = nextPhase(from, to);
    if (debug.enabled) {
      const detail =
        to === Phase.Authenticated && this.#session
          ? ` (${this.#role}, ${this.#tls?.getProtocol() ?? '?'}, ${this.#session.cipher.suite}${this.#session.alpn ? `, ALPN ${this.#session.alpn}` : ''})`
          : cause !== undefined
            ? ` (${(cause as Error).name}: ${(cause as Error).message})`
            : '';
      debug('%s → %s%s', from, to, detail);
    }
  }

  // ───────────────────────────── guards (the contract's check order) ─────────────────────────────

  /** Rule 1: a stored fault is thrown again as the same object; a disposed stream throws anew. */
  #throwIfFaulted(): void {
    if (this.#phase === Phase.Disposed) throw new ObjectDisposedError();
    if (this.#phase === Phase.Faulted) throw this.#fault;
  }

  /** Rules 1–2. */
  #throwIfNotAuthenticated(): void {
    this.#throwIfFaulted();
    if (this.#phase !== Phase.Authenticated) throw new InvalidOperationError(Messages.notAuthenticated);
  }

  /** Rules 1–7 for a read; returns the count. */
  #checkRead(buffer: unknown, offset: unknown, count: unknown): number {
    this.#throwIfNotAuthenticated();
    const n = checkBufferArguments(buffer, offset, count);
    if (this.#readOp !== null || this.#streamFaceReading()) throw new NotSupportedError(Messages.nestedRead);
    return n;
  }

  /** Rules 1–7 for a write; returns the count. */
  #checkWrite(buffer: unknown, offset: unknown, count: unknown): number {
    this.#throwIfNotAuthenticated();
    const n = checkBufferArguments(buffer, offset, count);
    if (this.#shutdown) throw new InvalidOperationError(Messages.alreadyShutdown);
    if (this.#writeOp !== null || this.#streamWriteCb !== null || this.#deferredStreamWrite !== null) {
      throw new NotSupportedError(Messages.nestedWrite);
    }
    return n;
  }

  /** The properties that need a finished handshake (.NET's check "H"). */
  #requireSession(): Session {
    this.#throwIfFaulted();
    if (this.#session === null) throw new InvalidOperationError(Messages.notAuthenticated);
    return this.#session;
  }

  #checkAuthenticate(role: 'client' | 'server'): void {
    this.#throwIfFaulted();
    if (this.#phase === Phase.Authenticating) throw new InvalidOperationError(Messages.nestedAuth);
    if (this.#role !== null && this.#role !== role) throw new InvalidOperationError(Messages.roleSwitch);
    if (this.#phase === Phase.Authenticated) throw new InvalidOperationError(Messages.reauth);
  }

  #streamFaceReading(): boolean {
    return this.readableFlowing === true || this.listenerCount('data') > 0 || this.listenerCount('readable') > 0;
  }

  #streamFaceInUse(): boolean {
    return (
      this.#streamFaceReading() ||
      this.#streamWantsData ||
      this.#deferredStreamWrite !== null ||
      this.#streamWriteCb !== null ||
      this.writableLength > 0 ||
      this.#finalCallback !== null
    );
  }

  // ─────────────────────────────────────── authentication ───────────────────────────────────────

  /**
   * Authenticates as the client. `targetHostOrOptions` is the server's name (checked against its
   * certificate, sent as SNI) or an `SslClientAuthenticationOptions`. The .NET overload's
   * `clientCertificates, enabledSslProtocols, checkCertificateRevocation` follow the host name.
   */
  authenticateAsClientAsync(
    targetHostOrOptions: string | SslClientAuthenticationOptions,
    signalOrCertificates?: AbortSignal | CertificateWithKey[] | null,
    enabledSslProtocols?: number,
    checkCertificateRevocation?: boolean,
  ): Promise<void> {
    return this.#promise<void>((done) => {
      const { options, signal } = this.#clientArgs(
        targetHostOrOptions,
        signalOrCertificates,
        enabledSslProtocols,
        checkCertificateRevocation,
      );
      this.#authenticateAsClient(options, signal, done);
    });
  }

  /**
   * The APM form of {@link authenticateAsClientAsync}: `(targetHost | options, callback?, state?)` or
   * .NET's `(targetHost, clientCertificates, enabledSslProtocols, checkCertificateRevocation,
   * callback?, state?)`. Caller mistakes throw here (`ArgumentNullError('targetHost')`,
   * `InvalidOperationError` when already authenticated, pending or in the server role,
   * `ObjectDisposedError`); handshake and validation failures are thrown by
   * {@link endAuthenticateAsClient}.
   */
  beginAuthenticateAsClient(
    targetHostOrOptions: string | SslClientAuthenticationOptions,
    ...rest: unknown[]
  ): IAsyncResult {
    // (targetHost, callback, state) or (targetHost, certificates, protocols, revocation, callback, state)
    const [callback, state, certificates, protocols, revocation] =
      typeof rest[0] === 'function' || rest.length <= 2
        ? [rest[0] as AsyncCallback | undefined, rest[1]]
        : [rest[3] as AsyncCallback | undefined, rest[4], rest[0], rest[1], rest[2]];
    const ar = new AsyncResult<void>(this, 'authenticateAsClient', callback, state);
    const { options } = this.#clientArgs(
      targetHostOrOptions,
      certificates as CertificateWithKey[] | undefined,
      protocols as number | undefined,
      revocation as boolean | undefined,
    );
    this.#authenticateAsClient(options, undefined, ar.done);
    return ar.started();
  }

  /**
   * Finishes {@link beginAuthenticateAsClient}: returns, or throws `AuthenticationError` (handshake or
   * certificate rejected) / `IOError` (the transport failed or ended). Throws `ArgumentNullError`/
   * `ArgumentError('asyncResult')` for a missing or foreign result, `InvalidOperationError` when
   * called twice or before the operation completed.
   */
  endAuthenticateAsClient(asyncResult: IAsyncResult): void {
    AsyncResult.end<void>(this, 'authenticateAsClient', asyncResult);
  }

  /**
   * Authenticates as the server with `serverCertificate` (`{cert, key}` or `{pfx}`) or an
   * `SslServerAuthenticationOptions`. The .NET overload's `clientCertificateRequired,
   * enabledSslProtocols, checkCertificateRevocation` follow the certificate.
   */
  authenticateAsServerAsync(
    certificateOrOptions: CertificateWithKey | SslServerAuthenticationOptions,
    signalOrClientCertificateRequired?: AbortSignal | boolean | null,
    enabledSslProtocols?: number,
    checkCertificateRevocation?: boolean,
  ): Promise<void> {
    return this.#promise<void>((done) => {
      const signal =
        typeof signalOrClientCertificateRequired === 'object' && signalOrClientCertificateRequired !== null
          ? signalOrClientCertificateRequired
          : undefined;
      const required =
        typeof signalOrClientCertificateRequired === 'boolean' ? signalOrClientCertificateRequired : undefined;
      const options = this.#serverArgs(certificateOrOptions, required, enabledSslProtocols, checkCertificateRevocation);
      this.#authenticateAsServer(options, signal, done);
    });
  }

  /**
   * The APM form of {@link authenticateAsServerAsync}: `(certificate | options, callback?, state?)` or
   * .NET's `(certificate, clientCertificateRequired, enabledSslProtocols, checkCertificateRevocation,
   * callback?, state?)`. Caller mistakes throw here (`ArgumentNullError('serverCertificate')`,
   * `InvalidOperationError`, `ObjectDisposedError`); handshake failures are thrown by
   * {@link endAuthenticateAsServer}.
   */
  beginAuthenticateAsServer(
    certificateOrOptions: CertificateWithKey | SslServerAuthenticationOptions,
    ...rest: unknown[]
  ): IAsyncResult {
    const [callback, state, required, protocols, revocation] =
      typeof rest[0] === 'function' || rest.length <= 2
        ? [rest[0] as AsyncCallback | undefined, rest[1]]
        : [rest[3] as AsyncCallback | undefined, rest[4], rest[0], rest[1], rest[2]];
    const ar = new AsyncResult<void>(this, 'authenticateAsServer', callback, state);
    const options = this.#serverArgs(
      certificateOrOptions,
      required as boolean | undefined,
      protocols as number | undefined,
      revocation as boolean | undefined,
    );
    this.#authenticateAsServer(options, undefined, ar.done);
    return ar.started();
  }

  /** Finishes {@link beginAuthenticateAsServer}; throws as {@link endAuthenticateAsClient} does. */
  endAuthenticateAsServer(asyncResult: IAsyncResult): void {
    AsyncResult.end<void>(this, 'authenticateAsServer', asyncResult);
  }

  #clientArgs(
    targetHostOrOptions: string | SslClientAuthenticationOptions,
    signalOrCertificates: AbortSignal | CertificateWithKey[] | null | undefined,
    enabledSslProtocols: number | undefined,
    checkCertificateRevocation: boolean | undefined,
  ): { options: SslClientAuthenticationOptions; signal: AbortSignal | undefined } {
    this.#throwIfFaulted();
    const signal =
      signalOrCertificates && !Array.isArray(signalOrCertificates) ? (signalOrCertificates as AbortSignal) : undefined;
    if (targetHostOrOptions === null || targetHostOrOptions === undefined) throw new ArgumentNullError('targetHost');
    let options: SslClientAuthenticationOptions;
    if (typeof targetHostOrOptions === 'string') {
      options = { targetHost: targetHostOrOptions };
      if (Array.isArray(signalOrCertificates)) options.clientCertificates = signalOrCertificates;
      if (enabledSslProtocols !== undefined) options.enabledSslProtocols = enabledSslProtocols;
      if (checkCertificateRevocation === true) options.certificateRevocationCheckMode = 1;
    } else if (typeof targetHostOrOptions === 'object') {
      options = targetHostOrOptions;
      if (options.targetHost === null || options.targetHost === undefined) throw new ArgumentNullError('targetHost');
    } else {
      throw new ArgumentError('targetHost');
    }
    if (typeof options.targetHost !== 'string') throw new ArgumentError('targetHost');
    return { options, signal };
  }

  #serverArgs(
    certificateOrOptions: CertificateWithKey | SslServerAuthenticationOptions,
    clientCertificateRequired: boolean | undefined,
    enabledSslProtocols: number | undefined,
    checkCertificateRevocation: boolean | undefined,
  ): SslServerAuthenticationOptions {
    this.#throwIfFaulted();
    if (certificateOrOptions === null || certificateOrOptions === undefined)
      throw new ArgumentNullError('serverCertificate');
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

  #validationCallback(
    fromOptions: RemoteCertificateValidationCallback | undefined,
  ): RemoteCertificateValidationCallback | undefined {
    if (fromOptions !== undefined && fromOptions !== null) {
      if (typeof fromOptions !== 'function') throw new ArgumentError('remoteCertificateValidationCallback');
      if (this.#ctorValidation !== undefined) {
        throw new InvalidOperationError(
          "The 'RemoteCertificateValidationCallback' option was already set in the SslStream constructor.",
        );
      }
      return fromOptions;
    }
    return this.#ctorValidation;
  }

  #authenticateAsClient(
    options: SslClientAuthenticationOptions,
    signal: AbortSignal | undefined,
    done: Done<void>,
  ): void {
    this.#checkAuthenticate('client');
    const validate = this.#validationCallback(options.remoteCertificateValidationCallback);
    if (options.localCertificateSelectionCallback && this.#ctorSelection) {
      throw new InvalidOperationError(
        "The 'LocalCertificateSelectionCallback' option was already set in the SslStream constructor.",
      );
    }
    const select = options.localCertificateSelectionCallback ?? this.#ctorSelection;
    const candidates = options.clientCertificates ?? [];
    const chosen = select ? select(this, options.targetHost, candidates, null, []) : candidates[0];
    const prepared = prepareClient(options, chosen);
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });

    this.#beginHandshake('client', prepared.checkRevocation, {
      role: 'client',
      validate,
      clientCertificateRequired: false,
      localCertificate: chosen ?? null,
      done,
    });
    this.#targetHost = prepared.targetHost;
    const connectOptions: tls.ConnectionOptions = {
      socket: this.#tlsTransport() as net.Socket,
      secureContext: prepared.secureContext,
      // Verification is ours, after the handshake, like .NET (see policy.ts).
      rejectUnauthorized: false,
      // Node calls this with the detailed certificate when the chain verified; keep it for judgePeer.
      checkServerIdentity: (_host, cert) => {
        this.#seenPeer = cert as tls.DetailedPeerCertificate;
        return undefined;
      },
    };
    if (prepared.servername !== undefined) connectOptions.servername = prepared.servername;
    if (prepared.alpn !== undefined) connectOptions.ALPNProtocols = prepared.alpn;
    // A client follows the server's renegotiation requests unless told not to (.NET's default).
    const renegotiate = options.allowRenegotiation !== false;
    this.#startTls(
      () => {
        const socket = tls.connect(connectOptions);
        if (!renegotiate) socket.disableRenegotiation();
        return socket;
      },
      'secureConnect',
      signal,
    );
  }

  #authenticateAsServer(
    options: SslServerAuthenticationOptions,
    signal: AbortSignal | undefined,
    done: Done<void>,
  ): void {
    this.#checkAuthenticate('server');
    const validate = this.#validationCallback(options.remoteCertificateValidationCallback);
    const prepared = prepareServer(options);
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    const select = options.serverCertificateSelectionCallback;
    this.#beginHandshake('server', prepared.checkRevocation, {
      role: 'server',
      validate,
      clientCertificateRequired: prepared.requestCert,
      localCertificate: options.serverCertificate ?? null,
      done,
    });
    const serverOptions: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: prepared.secureContext,
      requestCert: prepared.requestCert,
      rejectUnauthorized: false,
    };
    if (prepared.alpn !== undefined) serverOptions.ALPNProtocols = prepared.alpn;
    if (typeof select === 'function') {
      serverOptions.SNICallback = (servername, cb) => {
        try {
          this.#targetHost = servername;
          const certificate = select(this, servername);
          if (certificate && this.#auth) this.#auth.localCertificate = certificate;
          cb(null, certificate ? secureContext(options, certificate, 'serverCertificate') : undefined);
        } catch (err) {
          cb(err as Error, undefined);
        }
      };
    }
    const transport = this.#tlsTransport() as net.Socket;
    // .NET 7+: a server refuses client-initiated renegotiation unless asked to allow it.
    const renegotiate = options.allowRenegotiation === true;
    this.#startTls(
      () => {
        const socket = new tls.TLSSocket(transport, serverOptions);
        if (!renegotiate) socket.disableRenegotiation();
        return socket;
      },
      'secure',
      signal,
    );
  }

  #beginHandshake(role: 'client' | 'server', checkRevocation: boolean, request: AuthRequest): void {
    this.#transition(Phase.Authenticating);
    this.#role = role;
    this.#checkRevocation = checkRevocation;
    this.#auth = request;
  }

  /**
   * What Node's TLS reads and writes. A connected `net.Socket` goes in as it is, keeping Node's
   * native path (OpenSSL on the socket's handle); everything else, and any stream that must survive
   * TLS, goes through the Transport shim.
   */
  #tlsTransport(): InnerStream {
    const inner = this.#inner;
    const native =
      inner instanceof net.Socket &&
      !this.#leaveInnerStreamOpen &&
      !inner.connecting &&
      (inner as unknown as { _handle?: unknown })._handle != null &&
      !inner.readableEncoding &&
      inner.readableObjectMode !== true;
    if (native) {
      // The half-open policy is SslDuplex's (allowHalfOpen option); the TLS layer below must not
      // close its writable side because the peer ended.
      inner.allowHalfOpen = true;
      return inner;
    }
    this.#transport = new Transport(inner, this.#leaveInnerStreamOpen);
    return this.#transport;
  }

  #startTls(
    create: () => tls.TLSSocket,
    secureEvent: 'secure' | 'secureConnect',
    signal: AbortSignal | undefined,
  ): void {
    let socket: tls.TLSSocket;
    try {
      socket = create();
    } catch (err) {
      this.#authFailed(new AuthenticationError(Messages.authFailed, { cause: err }));
      return;
    }
    this.#tls = socket;
    (socket as OwnedSocket)[kOwner] = this;
    socket.on('error', SslDuplex.#tlsListeners.error);
    // A standalone server-side TLSSocket reports inner-stream errors only on this private event.
    socket.on('_tlsError', SslDuplex.#tlsListeners.error);
    socket.on('end', SslDuplex.#tlsListeners.end);
    socket.on('close', SslDuplex.#tlsListeners.close);
    socket.on('drain', SslDuplex.#tlsListeners.drain);
    socket.once(secureEvent, SslDuplex.#tlsListeners.secure);
    for (const event of forwardedEvents) if (this.listenerCount(event) > 0) this.#forwardTlsEvent(event);
    if (signal) {
      const onAbort = (): void => this.#abortAuthentication(signal);
      signal.addEventListener('abort', onAbort, { once: true });
      const auth = this.#auth!;
      const done = auth.done;
      auth.done = (err) => {
        signal.removeEventListener('abort', onAbort);
        done(err);
      };
    }
  }

  #abortAuthentication(signal: AbortSignal): void {
    if (this.#phase !== Phase.Authenticating) return;
    this.#authFailed(new AbortError(undefined, { cause: signal.reason }));
  }

  #secured(): void {
    const socket = this.#tls;
    const auth = this.#auth;
    if (socket === null || auth === null || this.#phase !== Phase.Authenticating) return;
    const isServer = auth.role === 'server';
    if (isServer) this.#targetHost = socket.servername || this.#targetHost;
    const verdict = judgePeer(socket, isServer, this.#targetHost, auth.clientCertificateRequired, this.#seenPeer);
    this.#seenPeer = undefined;
    // A server that does not ask for a client certificate has nothing to miss.
    const errors =
      isServer && !auth.clientCertificateRequired && !verdict.hasCertificate && auth.validate === undefined
        ? SslPolicyErrors.None
        : verdict.sslPolicyErrors;
    // The client sent its certificate only if the server asked (a CertificateRequest leaves the
    // peer's signature algorithms behind).
    const sent = isServer || (auth.localCertificate !== null && socket.getSharedSigalgs().length > 0);
    this.#session = new Session(
      socket,
      verdict,
      sent ? auth.localCertificate : null,
      isServer ? verdict.hasCertificate && auth.clientCertificateRequired : sent,
    );
    this.#verdict = {
      errors,
      reason: errors === SslPolicyErrors.None ? null : authorizationErrorOf(errors, verdict.reasons),
    };
    let accepted: boolean;
    if (auth.validate !== undefined) {
      try {
        accepted = auth.validate(this, verdict.certificate, verdict.chain, errors) === true;
      } catch (err) {
        this.#authFailed(
          new AuthenticationError('The remote certificate was rejected by RemoteCertificateValidationCallback.', {
            cause: err,
          }),
        );
        return;
      }
      if (!accepted) {
        this.#authFailed(
          new AuthenticationError('The remote certificate was rejected by RemoteCertificateValidationCallback.'),
        );
        return;
      }
    } else if (errors !== SslPolicyErrors.None) {
      const error = new AuthenticationError(
        `The remote certificate is invalid according to the validation procedure: ${describePolicyErrors(errors)} (${verdict.reasons.join('; ')})`,
      );
      (error as AuthenticationError & { sslPolicyErrors?: number }).sslPolicyErrors = errors;
      this.#authFailed(error);
      return;
    }
    if (this.#phase !== Phase.Authenticating) return; // disposed from inside the callback
    this.#transition(Phase.Authenticated);
    this.#auth = null;
    socket.on('data', SslDuplex.#tlsListeners.data);
    this.#pumpRead();
    const deferred = this.#deferredStreamWrite;
    if (deferred !== null) {
      this.#deferredStreamWrite = null;
      this.#streamWrite(deferred.chunks, deferred.cb);
    }
    if (this.#finalCallback !== null && deferred === null) this.#runFinal();
    this.emit('secure');
    if (!isServer) this.emit('secureConnect');
    auth.done(null);
  }

  /** Turns a handshake failure into the stored fault and tells everyone waiting. */
  #authFailed(error: unknown): void {
    if (this.#phase !== Phase.Authenticating) return;
    const auth = this.#auth;
    this.#auth = null;
    this.#session = null;
    this.#setFault(error);
    auth?.done(error);
  }

  // ─────────────────────────────────────── TLS socket events ───────────────────────────────────────

  #tlsError(err: unknown): void {
    if (this.#phase === Phase.Authenticating) {
      const error =
        err instanceof SslDuplexError
          ? err
          : isTlsLibraryError(err)
            ? new AuthenticationError(Messages.authFailed, { cause: err })
            : new IOError(Messages.eof, { cause: err });
      this.#authFailed(error);
      return;
    }
    if (this.#phase !== Phase.Authenticated) return;
    this.#setFault(err instanceof IOError ? err : new IOError(Messages.readFailed, { cause: err }));
  }

  #tlsEnded(): void {
    if (this.#phase === Phase.Authenticating) {
      this.#authFailed(new IOError(Messages.eof));
      return;
    }
    this.#readEof = true;
    this.#pumpRead();
  }

  #tlsClosed(): void {
    if (this.#phase === Phase.Authenticating) {
      this.#authFailed(new IOError(Messages.eof));
      return;
    }
    if (this.#phase !== Phase.Authenticated) return;
    // The transport is gone: reads see the end, a write still waiting can no longer complete.
    this.#readEof = true;
    this.#pumpRead();
    const waiter = this.#drainWaiter;
    this.#drainWaiter = null;
    waiter?.(new IOError('The transport was closed before the write completed.'));
  }

  #tlsDrained(): void {
    const waiter = this.#drainWaiter;
    this.#drainWaiter = null;
    waiter?.();
  }

  #tlsData(chunk: Buffer): void {
    this.#bytesRead += chunk.length;
    this.#idleTimer?.refresh();
    // The common case: the stream face is reading and nothing is queued.
    if (this.#streamWantsData && this.#readOp === null && this.#readQueue.length === 0 && !this.#pumping) {
      if (!this.push(chunk)) this.#streamWantsData = false;
      return;
    }
    this.#readQueue.push(chunk);
    this.#queuedBytes += chunk.length;
    this.#pumpRead();
  }

  /**
   * Hands queued plaintext to whoever waits: a pending APM/promise read first (it copies into the
   * caller's buffer), else the stream face (which gets TLS's chunks without a copy). The TLS
   * socket flows only while somebody wants data, so unread plaintext stays bounded.
   */
  #pumpRead(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const queue = this.#readQueue;
      const op = this.#readOp;
      if (op !== null && (queue.length > 0 || this.#readEof)) {
        this.#readOp = null;
        if (op.timer) clearTimeout(op.timer);
        op.done(null, this.#takeInto(op.buffer, op.offset, op.count));
      }
      while (this.#streamWantsData && this.#readOp === null) {
        const chunk = queue.shift();
        if (chunk !== undefined) {
          this.#queuedBytes -= chunk.length;
          this.#streamWantsData = this.push(chunk);
        } else {
          if (this.#readEof && !this.#streamEnded) {
            this.#streamEnded = true;
            this.#streamWantsData = false;
            this.push(null);
          }
          break;
        }
      }
      this.#flowControl();
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * TLS keeps reading while somebody waits or while little is queued: stopping and restarting the
   * transport for every read costs more than the read. Unread plaintext stays under kReadAhead
   * plus one chunk.
   */
  #flowControl(): void {
    const socket = this.#tls;
    if (socket === null || this.#phase !== Phase.Authenticated) return;
    const flow = !this.#readEof && (this.#readOp !== null || this.#streamWantsData || this.#queuedBytes < kReadAhead);
    if (flow === this.#tlsFlowing) return;
    this.#tlsFlowing = flow;
    if (flow) socket.resume();
    else socket.pause();
  }

  /** Copies queued plaintext into the caller's buffer; what does not fit stays queued. */
  #takeInto(buffer: Uint8Array, offset: number, count: number): number {
    const queue = this.#readQueue;
    let n = 0;
    while (n < count && queue.length > 0) {
      const chunk = queue[0]!;
      const take = Math.min(chunk.length, count - n);
      buffer.set(take === chunk.length ? chunk : chunk.subarray(0, take), offset + n);
      n += take;
      if (take === chunk.length) queue.shift();
      else queue[0] = chunk.subarray(take);
    }
    this.#queuedBytes -= n;
    return n;
  }

  // ───────────────────────────────────────────── read ─────────────────────────────────────────────

  /**
   * Starts a read into `buffer[offset, offset + count)`; completes as soon as at least one byte (or
   * the end, 0) is there. Throws synchronously, in this order: `ObjectDisposedError` or a stored fault, then `InvalidOperationError` (not authenticated), `ArgumentNullError`/`ArgumentError('buffer')`, `ArgumentOutOfRangeError('offset')`, `ArgumentOutOfRangeError('count')`, `NotSupportedError`
   * (another read pending, the stream face included). I/O failures come from {@link endRead}.
   */
  beginRead(
    buffer: Uint8Array,
    offset: number,
    count: number,
    asyncCallback?: AsyncCallback | null,
    asyncState?: unknown,
  ): IAsyncResult {
    const n = this.#checkRead(buffer, offset, count);
    const ar = new AsyncResult<number>(this, 'read', asyncCallback ?? undefined, asyncState);
    this.#startRead(buffer, offset, n, ar.done);
    return ar.started();
  }

  /**
   * Finishes {@link beginRead}: the number of bytes read, 0 at the end of the stream. Throws the
   * read's `IOError`/`TimeoutError`, or `ObjectDisposedError` when disposed while pending; and
   * `ArgumentError`/`InvalidOperationError` for a foreign, repeated or early call.
   */
  endRead(asyncResult: IAsyncResult): number {
    return AsyncResult.end<number>(this, 'read', asyncResult);
  }

  /**
   * Resolves with the number of bytes read (at least 1), 0 at the end of the stream. Never throws:
   * rejects with the errors {@link beginRead} throws, then `AbortError` for an aborted `signal`, then
   * the read's `IOError`. Aborting a pending read loses no byte and leaves the stream usable.
   */
  readAsync(buffer: Uint8Array, offset = 0, count?: number, signal?: AbortSignal): Promise<number> {
    return this.#promise<number>((done) => {
      const n = this.#checkRead(buffer, offset, count);
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (signal === undefined) {
        this.#startRead(buffer, offset, n, done);
        return;
      }
      const onAbort = (): void => {
        const op = this.#readOp;
        if (op === null || op.done !== wrapped) return;
        // Nothing was taken from the queue for this read: the stream stays usable, no byte is lost.
        this.#readOp = null;
        if (op.timer) clearTimeout(op.timer);
        this.#pumpRead();
        done(new AbortError(undefined, { cause: signal.reason }));
      };
      const wrapped: Done<number> = (err, value) => {
        signal.removeEventListener('abort', onAbort);
        done(err, value);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#startRead(buffer, offset, n, wrapped);
    });
  }

  #startRead(buffer: Uint8Array, offset: number, count: number, done: Done<number>): void {
    if (count === 0) {
      done(null, 0);
      return;
    }
    const op: PendingRead = { buffer, offset, count, done, timer: undefined };
    this.#readOp = op;
    this.#pumpRead();
    if (this.#readOp === op && this.#readTimeout > 0) {
      op.timer = setTimeout(() => this.#readTimedOut(), this.#readTimeout);
    }
  }

  #readTimedOut(): void {
    this.#setFault(new TimeoutError(`The read operation timed out after ${this.#readTimeout} ms.`));
  }

  // ───────────────────────────────────────────── write ─────────────────────────────────────────────

  /**
   * Starts writing `buffer[offset, offset + count)`; completes when TLS has taken the bytes
   * (encrypted and handed to the transport). The bytes are not copied: leave the buffer alone until
   * then. Throws synchronously, in this order: `ObjectDisposedError` or a stored fault, then `InvalidOperationError` (not authenticated), `ArgumentNullError`/`ArgumentError('buffer')`, `ArgumentOutOfRangeError('offset')`, `ArgumentOutOfRangeError('count')`, `InvalidOperationError` (after
   * shutdown), `NotSupportedError` (another write pending, the stream face included).
   */
  beginWrite(
    buffer: Uint8Array,
    offset: number,
    count: number,
    asyncCallback?: AsyncCallback | null,
    asyncState?: unknown,
  ): IAsyncResult {
    const n = this.#checkWrite(buffer, offset, count);
    const ar = new AsyncResult<void>(this, 'write', asyncCallback ?? undefined, asyncState);
    this.#startWrite(buffer, offset, n, ar.done);
    return ar.started();
  }

  /**
   * Finishes {@link beginWrite}. Throws the write's `IOError`/`TimeoutError`, or
   * `ObjectDisposedError` when disposed while pending; and `ArgumentError`/`InvalidOperationError`
   * for a foreign, repeated or early call.
   */
  endWrite(asyncResult: IAsyncResult): void {
    AsyncResult.end<void>(this, 'write', asyncResult);
  }

  /**
   * Resolves when TLS has taken the bytes. Never throws: rejects with the errors {@link beginWrite}
   * throws, then `AbortError` for an aborted `signal`, then the write's `IOError`. Aborting a pending
   * write faults the stream (the peer may have seen part of a record).
   */
  writeAsync(buffer: Uint8Array, offset = 0, count?: number, signal?: AbortSignal): Promise<void> {
    return this.#promise<void>((done) => {
      const n = this.#checkWrite(buffer, offset, count);
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (signal === undefined) {
        this.#startWrite(buffer, offset, n, done);
        return;
      }
      const onAbort = (): void => {
        if (this.#writeOp?.done !== wrapped) return;
        // The peer may have seen part of a record: the stream cannot be trusted any more.
        this.#setFault(new AbortError(undefined, { cause: signal.reason }));
      };
      const wrapped: Done<void> = (err) => {
        signal.removeEventListener('abort', onAbort);
        done(err);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#startWrite(buffer, offset, n, wrapped);
    });
  }

  #startWrite(buffer: Uint8Array, offset: number, count: number, done: Done<void>): void {
    if (count === 0) {
      done(null);
      return;
    }
    // No copy: the write completes when TLS is done with the caller's bytes (encrypted and
    // handed to the transport), as .NET's EndWrite does, so the caller may reuse its buffer then.
    // One APM write at a time (rule 7) also keeps TLS from concatenating queued chunks.
    const socket = this.#tls;
    const op: PendingWrite = { done, timer: undefined };
    if (socket === null || socket.destroyed || !socket.writable) {
      done(new IOError(Messages.writeFailed, { cause: new Error('The transport is closed.') }));
      return;
    }
    this.#writeOp = op;
    this.#bytesWritten += count;
    this.#idleTimer?.refresh();
    // Made on first use: a connection that never uses the APM face does not carry the closure.
    socket.write(buffer.subarray(offset, offset + count), (this.#onApmWritten ??= (err) => this.#apmWritten(err)));
    if (this.#writeOp === op && this.#writeTimeout > 0) {
      op.timer = setTimeout(() => this.#writeTimedOut(), this.#writeTimeout);
    }
  }

  #onApmWritten: ((err?: Error | null) => void) | undefined = undefined;
  #apmWritten(err?: Error | null): void {
    const op = this.#writeOp;
    if (op === null) return; // disposed or faulted meanwhile: already completed
    this.#writeOp = null;
    if (op.timer) clearTimeout(op.timer);
    op.done(err ? new IOError(Messages.writeFailed, { cause: err }) : null);
    this.#afterApmWrite();
  }

  #writeTimedOut(): void {
    this.#setFault(new TimeoutError(`The write operation timed out after ${this.#writeTimeout} ms.`));
  }

  /** A stream-face write that waited behind an APM write goes now. */
  #afterApmWrite(): void {
    const deferred = this.#deferredStreamWrite;
    if (deferred !== null && this.#phase === Phase.Authenticated) {
      this.#deferredStreamWrite = null;
      this.#streamWrite(deferred.chunks, deferred.cb);
    } else if (deferred === null && this.#finalCallback !== null && this.#phase === Phase.Authenticated) {
      this.#runFinal();
    }
  }

  /**
   * Hands plaintext to TLS. Completion is acceptance (TLS's buffer below its high-water mark) or
   * the next 'drain' (or the end of TLS's writable side, which has no 'drain'):
   * waiting for each record to reach the wire costs 6–8× on small writes.
   */
  #writeToTls(chunks: Buffer[], done: (err?: unknown) => void): void {
    const socket = this.#tls;
    if (socket === null || socket.destroyed || !socket.writable) {
      done(new IOError(Messages.writeFailed, { cause: new Error('The transport is closed.') }));
      return;
    }
    let ok = true;
    if (chunks.length === 1) {
      ok = socket.write(chunks[0]!);
      this.#bytesWritten += chunks[0]!.length;
    } else {
      socket.cork();
      for (const chunk of chunks) {
        ok = socket.write(chunk);
        this.#bytesWritten += chunk.length;
      }
      socket.uncork();
    }
    this.#idleTimer?.refresh();
    if (ok) done();
    else this.#drainWaiter = done;
  }

  // ─────────────────────────────────────── shutdown, dispose ───────────────────────────────────────

  /**
   * Sends close_notify; `canWrite` is false at once, reads go on. Allowed while a write is pending
   * (close_notify follows it). Rejects with `ObjectDisposedError` or a stored fault, or
   * `InvalidOperationError` when not authenticated or already shut down.
   */
  shutdownAsync(): Promise<void> {
    return this.#promise<void>((done) => {
      this.#throwIfNotAuthenticated();
      if (this.#shutdown) throw new InvalidOperationError(Messages.alreadyShutdown);
      this.#shutdown = true;
      this.#endTls(done);
    });
  }

  #endTls(done: Done<void>): void {
    const socket = this.#tls!;
    if (socket.writableFinished) {
      done(null);
      return;
    }
    socket.end(() => {
      // An ending Writable emits no 'drain': a write still waiting for one is complete now.
      const waiter = this.#drainWaiter;
      this.#drainWaiter = null;
      waiter?.();
      done(null);
    });
  }

  /** Releases everything; idempotent, never throws, sends no close_notify. */
  dispose(): void {
    if (this.#phase === Phase.Disposed) return;
    if (!this.destroyed) this.destroy();
    else this.#disposeCore(null);
  }

  /** `close()` is `dispose()`, as in .NET. */
  close(): void {
    this.dispose();
  }

  /** `using stream = new SslDuplex(…)` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #disposeCore(reason: Error | null): void {
    const faultedByThis = reason !== null && reason === this.#fault;
    if (this.#phase === Phase.Disposed) return;
    if (!faultedByThis) this.#transition(Phase.Disposed);
    this.#clearIdleTimer();
    const auth = this.#auth;
    this.#auth = null;
    if (auth || this.#hasPending()) {
      const error = faultedByThis ? reason : new ObjectDisposedError();
      auth?.done(error);
      this.#failPending(error);
    }
    this.#teardownTls();
  }

  /** Stores the first fatal error; every later operation reports it (rule 1). */
  #setFault(error: unknown): void {
    if (this.#phase === Phase.Faulted || this.#phase === Phase.Disposed) return;
    this.#fault = error;
    this.#transition(Phase.Faulted, error);
    this.#failPending(error);
    this.#teardownTls();
    // The stream face hears of it only if somebody uses it (contract §2).
    if (this.#streamFaceInUse() && !this.destroyed) this.destroy(error as Error);
  }

  #hasPending(): boolean {
    return (
      this.#readOp !== null ||
      this.#writeOp !== null ||
      this.#deferredStreamWrite !== null ||
      this.#finalCallback !== null
    );
  }

  #failPending(error: unknown): void {
    const read = this.#readOp;
    this.#readOp = null;
    if (read) {
      if (read.timer) clearTimeout(read.timer);
      read.done(error);
    }
    const write = this.#writeOp;
    this.#writeOp = null;
    this.#drainWaiter = null;
    if (write) {
      if (write.timer) clearTimeout(write.timer);
      write.done(error);
    }
    const deferred = this.#deferredStreamWrite;
    this.#deferredStreamWrite = null;
    deferred?.cb(error as Error);
    const final = this.#finalCallback;
    this.#finalCallback = null;
    final?.(error as Error);
  }

  #teardownTls(): void {
    const socket = this.#tls;
    if (socket !== null) {
      socket.removeListener('data', SslDuplex.#tlsListeners.data);
      socket.destroy();
    } else if (!this.#leaveInnerStreamOpen) {
      closeInner(this.#inner);
    }
    // With leaveInnerStreamOpen the Transport hands the inner stream back when TLS destroys it.
    this.#transport?.destroy();
  }

  // ──────────────────────────────────────────── stream face ────────────────────────────────────────────

  /** @internal The stream face's read: the same read slot as `beginRead`. */
  override _read(): void {
    this.#streamWantsData = true;
    if (this.#phase === Phase.Faulted) {
      this.destroy(this.#fault as Error);
      return;
    }
    if (this.#phase === Phase.Authenticated) this.#pumpRead();
  }

  /** @internal Queued before authentication; the same write slot as `beginWrite`. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: StreamCallback): void {
    this.#streamWrite([chunk], cb);
  }

  /** @internal Corked writes go to TLS together, so small writes share records. */
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: StreamCallback): void {
    this.#streamWrite(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  #streamWrite(chunks: Buffer[], cb: StreamCallback): void {
    switch (this.#phase) {
      case Phase.Faulted:
        cb(this.#fault as Error);
        return;
      case Phase.Disposed:
        cb(new ObjectDisposedError());
        return;
      case Phase.Created:
      case Phase.Authenticating:
        // Queued like a net.Socket's writes while connecting.
        this.#deferredStreamWrite = { chunks, cb };
        return;
    }
    if (this.#shutdown) {
      cb(new InvalidOperationError(Messages.alreadyShutdown));
      return;
    }
    if (this.#writeOp !== null) {
      this.#deferredStreamWrite = { chunks, cb };
      return;
    }
    this.#streamWriteCb = cb;
    // One completion function per connection, made on first use: no closure per write.
    this.#writeToTls(chunks, (this.#onStreamWritten ??= (err) => this.#streamWritten(err)));
  }

  #streamWritten(err?: unknown): void {
    const cb = this.#streamWriteCb;
    this.#streamWriteCb = null;
    cb?.((err as Error | undefined) ?? null);
  }

  /** @internal `end()`: close_notify after the last write. */
  override _final(cb: StreamCallback): void {
    this.#finalCallback = cb;
    if (this.#phase === Phase.Authenticated && this.#writeOp === null) this.#runFinal();
    else if (this.#phase === Phase.Faulted) this.#failPending(this.#fault);
    else if (this.#phase === Phase.Disposed) this.#failPending(new ObjectDisposedError());
  }

  /** `end()`: close_notify after the last write, then the inner stream ends (unless left open). */
  #runFinal(): void {
    const cb = this.#finalCallback;
    this.#finalCallback = null;
    if (cb === null) return;
    if (this.#shutdown) {
      cb();
      return;
    }
    this.#shutdown = true;
    this.#endTls(() => cb());
  }

  /** @internal `destroy()` disposes. */
  override _destroy(error: Error | null, cb: (error: Error | null) => void): void {
    this.#disposeCore(error);
    cb(error);
  }

  // ──────────────────────────────────────────── properties ────────────────────────────────────────────

  /** True once authentication succeeded, until a fault or dispose. Never throws. */
  get isAuthenticated(): boolean {
    return this.#phase === Phase.Authenticated;
  }
  /** Same as `isAuthenticated` (every suite offered encrypts). Never throws. */
  get isEncrypted(): boolean {
    return this.isAuthenticated;
  }
  /** Same as `isAuthenticated` (every suite offered signs). Never throws. */
  get isSigned(): boolean {
    return this.isAuthenticated;
  }
  /** True once authentication as the server was attempted. Never throws. */
  get isServer(): boolean {
    return this.#role === 'server';
  }
  /** True when both ends presented a certificate that was accepted. Never throws. */
  get isMutuallyAuthenticated(): boolean {
    return this.isAuthenticated && this.#session !== null && this.#session.mutual;
  }
  /** True while authenticated. Never throws. */
  get canRead(): boolean {
    return this.isAuthenticated;
  }
  /** True while authenticated and not shut down. Never throws. */
  get canWrite(): boolean {
    return this.isAuthenticated && !this.#shutdown;
  }
  /** Always false. */
  get canSeek(): boolean {
    return false;
  }
  /** Always true: `readTimeout` and `writeTimeout` apply. */
  get canTimeout(): boolean {
    return true;
  }
  /** As given to the constructor. Never throws. */
  get leaveInnerStreamOpen(): boolean {
    return this.#leaveInnerStreamOpen;
  }
  /** The stream TLS runs over, as given to the constructor. Never throws. */
  get innerStream(): InnerStream {
    return this.#inner;
  }
  /** Client: the host it authenticated against; server: the SNI name the client sent ('' if none). */
  get targetHostName(): string {
    return this.#targetHost;
  }
  /** True when authentication checked revocation (CRLs given, or the .NET overload asked). Never throws. */
  get checkCertRevocationStatus(): boolean {
    return this.#checkRevocation;
  }

  /**
   * Milliseconds a read may wait, `-1` (default) for ever; a read that outlives it fails with
   * `TimeoutError` and faults the stream. Setting 0 or less than -1 throws `ArgumentOutOfRangeError`.
   */
  get readTimeout(): number {
    return this.#readTimeout;
  }
  /** Throws `ArgumentOutOfRangeError` for 0, less than -1, or not an integer. */
  set readTimeout(value: number) {
    this.#readTimeout = checkTimeout(value);
  }
  /** Like `readTimeout`, for writes waiting on backpressure. */
  get writeTimeout(): number {
    return this.#writeTimeout;
  }
  /** Throws `ArgumentOutOfRangeError` for 0, less than -1, or not an integer. */
  set writeTimeout(value: number) {
    this.#writeTimeout = checkTimeout(value);
  }

  /** The negotiated `SslProtocols` flag. Before authentication: `InvalidOperationError`. */
  get sslProtocol(): number {
    return this.#requireSession().protocol;
  }
  /** The suite's bulk cipher as a `CipherAlgorithmType`. Before authentication: `InvalidOperationError`. */
  get cipherAlgorithm(): number {
    return this.#requireSession().cipher.cipherAlgorithm;
  }
  /** The bulk cipher's key size in bits. Before authentication: `InvalidOperationError`. */
  get cipherStrength(): number {
    return this.#requireSession().cipher.cipherStrength;
  }
  /** The suite's hash as a `HashAlgorithmType`. Before authentication: `InvalidOperationError`. */
  get hashAlgorithm(): number {
    return this.#requireSession().cipher.hashAlgorithm;
  }
  /** The hash's size in bits. Before authentication: `InvalidOperationError`. */
  get hashStrength(): number {
    return this.#requireSession().cipher.hashStrength;
  }
  /** The key exchange as an `ExchangeAlgorithmType`. Before authentication: `InvalidOperationError`. */
  get keyExchangeAlgorithm(): number {
    return this.#requireSession().cipher.keyExchangeAlgorithm;
  }
  /** The key exchange's size in bits (curve or modulus). Before authentication: `InvalidOperationError`. */
  get keyExchangeStrength(): number {
    return this.#requireSession().cipher.keyExchangeStrength;
  }
  /** The IANA name of the suite, e.g. `TLS_AES_128_GCM_SHA256`. Before authentication: `InvalidOperationError`. */
  get negotiatedCipherSuite(): string {
    return this.#requireSession().cipher.suite;
  }
  /** The ALPN protocol, `''` when none was negotiated. Before authentication: `InvalidOperationError`. */
  get negotiatedApplicationProtocol(): string {
    return this.#requireSession().alpn;
  }
  /** The peer's certificate, null if it sent none. Before authentication: `InvalidOperationError`. */
  get remoteCertificate(): X509Certificate | null {
    this.#throwIfNotAuthenticated();
    return this.#session!.remoteCertificate;
  }
  /** The certificate this side presented, null if none. Before authentication: `InvalidOperationError`. */
  get localCertificate(): X509Certificate | null {
    this.#throwIfNotAuthenticated();
    return this.#session!.localCertificate;
  }

  /** Not seekable: always throws `NotSupportedError`. */
  get length(): number {
    throw new NotSupportedError(Messages.noSeek);
  }
  /** Not seekable: getting or setting throws `NotSupportedError`. */
  get position(): number {
    throw new NotSupportedError(Messages.noSeek);
  }
  /** Always throws `NotSupportedError`. */
  set position(_value: number) {
    throw new NotSupportedError(Messages.noSeek);
  }
  /** Not seekable: throws `NotSupportedError`. */
  seek(_offset: number, _origin?: unknown): number {
    throw new NotSupportedError(Messages.noSeek);
  }
  /** Not seekable: throws `NotSupportedError`. */
  setLength(_value: number): void {
    throw new NotSupportedError(Messages.noSeek);
  }

  // ─────────────────────── the net.Socket / tls.TLSSocket surface (drop-in) ───────────────────────
  // Forwarded to the inner transport when it has the member; otherwise a harmless no-op.

  #forward(name: string, ...args: unknown[]): this {
    const fn = (this.#inner as unknown as Record<string, unknown>)[name];
    if (typeof fn === 'function') (fn as (...a: unknown[]) => unknown).apply(this.#inner, args);
    return this;
  }

  #innerValue<T>(name: string): T | undefined {
    return (this.#inner as unknown as Record<string, T | undefined>)[name];
  }

  /** Forwarded to the inner stream when it has it (a `net.Socket`); otherwise does nothing. */
  setNoDelay(noDelay?: boolean): this {
    return this.#forward('setNoDelay', noDelay);
  }
  /** Forwarded to the inner stream when it has it; otherwise does nothing. */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    return this.#forward('setKeepAlive', enable, initialDelay);
  }
  /** Forwarded to the inner stream when it has it; otherwise does nothing. */
  ref(): this {
    return this.#forward('ref');
  }
  /** Lets the process exit with this stream open: forwarded, and unrefs the idle timer. */
  unref(): this {
    this.#idleTimer?.unref();
    return this.#forward('unref');
  }

  /**
   * Like `net.Socket#setTimeout`: `'timeout'` after `ms` of no plaintext read or written; 0 turns it
   * off. Nothing is closed: the listener decides. A negative or non-finite `ms` throws
   * `ArgumentOutOfRangeError`.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new ArgumentOutOfRangeError('ms');
    this.#clearIdleTimer();
    this.#idleTimeout = ms;
    if (ms === 0) {
      if (callback) this.removeListener('timeout', callback);
      return this;
    }
    if (callback) this.once('timeout', callback);
    this.#idleTimer = setTimeout(() => this.emit('timeout'), ms);
    this.#idleTimer.unref();
    return this;
  }

  /** The idle timeout set by `setTimeout`, undefined when none. */
  get timeout(): number | undefined {
    return this.#idleTimeout === 0 ? undefined : this.#idleTimeout;
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  /** The inner socket's `address()`, `{}` when the inner stream has none. */
  address(): net.AddressInfo | Record<string, never> {
    const fn = this.#innerValue<() => net.AddressInfo>('address');
    return typeof fn === 'function' ? (fn.call(this.#inner) ?? {}) : {};
  }
  // Cached once seen, like net.Socket's peer name: a closed socket no longer knows it, and error
  // reports ('tlsClientError', logs) are written after the close.
  #peer: { address?: string; port?: number; family?: string } = {};
  /** From the inner stream (kept after it closes); undefined when it has none (an in-memory pair). */
  get remoteAddress(): string | undefined {
    return (this.#peer.address = this.#innerValue<string>('remoteAddress') ?? this.#peer.address);
  }
  /** From the inner stream, like `remoteAddress`. */
  get remotePort(): number | undefined {
    return (this.#peer.port = this.#innerValue<number>('remotePort') ?? this.#peer.port);
  }
  /** From the inner stream, like `remoteAddress`. */
  get remoteFamily(): string | undefined {
    return (this.#peer.family = this.#innerValue<string>('remoteFamily') ?? this.#peer.family);
  }
  /** From the inner stream; undefined when it has none. */
  get localAddress(): string | undefined {
    return this.#innerValue('localAddress');
  }
  /** From the inner stream; undefined when it has none. */
  get localPort(): number | undefined {
    return this.#innerValue('localPort');
  }
  /** From the inner stream; undefined when it has none. */
  get localFamily(): string | undefined {
    return this.#innerValue('localFamily');
  }
  /** Plaintext bytes received (like TLSSocket's, which counts cleartext). */
  get bytesRead(): number {
    return this.#bytesRead;
  }
  /** Plaintext bytes handed to TLS. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }
  /** True while the inner socket is still connecting (`connect()` before `'connect'`). */
  get connecting(): boolean {
    return this.#innerValue<boolean>('connecting') === true;
  }
  /** True until authenticated: connecting, or the handshake still running. */
  get pending(): boolean {
    return this.connecting || this.#phase === Phase.Created || this.#phase === Phase.Authenticating;
  }
  /** `net.Socket`'s states: `'opening'` until authenticated, then by which sides are still open. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.pending && !this.destroyed) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }
  /** Ends the writable side (close_notify after the queued writes), then destroys. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
  /**
   * Closes the transport abruptly (a TCP RST when the inner stream is a socket) and disposes.
   * When Node's native TLS owns the socket's handle (a connected net.Socket, authenticated),
   * resetting it underneath TLS would crash the process, and TLSSocket refuses a reset too: the
   * connection is then closed normally.
   */
  resetAndDestroy(): this {
    const nativeTls = this.#tls !== null && this.#transport === null;
    const reset = this.#innerValue<() => void>('resetAndDestroy');
    if (!nativeTls && typeof reset === 'function' && this.#innerValue('destroyed') !== true) reset.call(this.#inner);
    this.destroy();
    return this;
  }

  /** Always true: what http servers and frameworks read to tell HTTPS (`req.socket.encrypted`). */
  get encrypted(): true {
    return true;
  }
  /** True when the peer's certificate passed validation with no `SslPolicyErrors`. */
  get authorized(): boolean {
    return this.isAuthenticated && this.#session?.remoteCertificate != null && this.#verdict.errors === 0;
  }
  /** Node's name for why the peer is not authorized (e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`), or null. */
  get authorizationError(): string | null {
    return this.#verdict.reason;
  }
  /** The ALPN protocol, or false when none was negotiated (Node's convention). */
  get alpnProtocol(): string | false {
    return this.#session?.alpn ? this.#session.alpn : false;
  }
  /** Client: the SNI name sent; server: the one received; false when none. */
  get servername(): string | false {
    return this.#targetHost === '' ? false : this.#targetHost;
  }

  #tlsCall<T>(name: string, ...args: unknown[]): T | undefined {
    const socket = this.#tls as unknown as Record<string, unknown> | null;
    const fn = socket?.[name];
    return typeof fn === 'function' ? (fn as (...a: unknown[]) => T).apply(socket, args) : undefined;
  }

  /** `tls.TLSSocket#getPeerCertificate`: the peer's certificate as an object (with `issuerCertificate` links when `detailed`), `{}` before the handshake or when none. Never throws. */
  getPeerCertificate(detailed?: boolean): tls.PeerCertificate | tls.DetailedPeerCertificate | Record<string, never> {
    return this.#tlsCall('getPeerCertificate', detailed === true) ?? {};
  }
  /** The peer's certificate as an `X509Certificate`, undefined when none or not authenticated. Never throws. */
  getPeerX509Certificate(): X509Certificate | undefined {
    return this.#session?.remoteCertificate ?? undefined;
  }
  /** `tls.TLSSocket#getCertificate`: this side's certificate as an object, null when none. Never throws. */
  getCertificate(): tls.PeerCertificate | object | null {
    return this.#tlsCall('getCertificate') ?? null;
  }
  /** This side's certificate as an `X509Certificate`, undefined when none. Never throws. */
  getX509Certificate(): X509Certificate | undefined {
    return this.#session?.localCertificate ?? undefined;
  }
  /** `tls.TLSSocket#getCipher`: `{ name, standardName, version }`; undefined before the handshake. Never throws. */
  getCipher(): tls.CipherNameAndProtocol | undefined {
    return this.#tlsCall('getCipher');
  }
  /** `'TLSv1.3'`, `'TLSv1.2'`…; null before the handshake. Never throws. */
  getProtocol(): string | null {
    return this.#tlsCall('getProtocol') ?? null;
  }
  /** The TLS session (for `session` resumption by a later client), undefined when none. Never throws. */
  getSession(): Buffer | undefined {
    return this.#tlsCall('getSession');
  }
  /** The session ticket (client, TLS 1.2), undefined when none. Never throws. */
  getTLSTicket(): Buffer | undefined {
    return this.#tlsCall('getTLSTicket');
  }
  /** True when the handshake resumed a session. Never throws. */
  isSessionReused(): boolean {
    return this.#tlsCall<boolean>('isSessionReused') === true;
  }
  /** Client: the key exchange's group and size, e.g. `{ type: 'ECDH', name: 'X25519', size: 253 }`; `{}` on a server, null before. Never throws. */
  getEphemeralKeyInfo(): tls.EphemeralKeyInfo | object | null {
    return this.#tlsCall('getEphemeralKeyInfo') ?? null;
  }
  /** The signature algorithms both ends support, `[]` before the handshake. Never throws. */
  getSharedSigalgs(): string[] {
    return this.#tlsCall('getSharedSigalgs') ?? [];
  }
  /** The last Finished message this side sent (channel binding), undefined before the handshake. Never throws. */
  getFinished(): Buffer | undefined {
    return this.#tlsCall('getFinished');
  }
  /** The last Finished message received, undefined before the handshake. Never throws. */
  getPeerFinished(): Buffer | undefined {
    return this.#tlsCall('getPeerFinished');
  }
  /**
   * RFC 5705 keying material. `ObjectDisposedError` or a stored fault, then `InvalidOperationError`
   * before authentication; Node's own `RangeError`/`TypeError` for bad arguments.
   */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    this.#throwIfNotAuthenticated();
    return this.#tls!.exportKeyingMaterial(length, label, context as Buffer);
  }

  // ──────────────────────────────────────────── helpers ────────────────────────────────────────────

  /** The promise forms: caller mistakes become a rejected promise instead of a throw. */
  #promise<T>(start: (done: Done<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      start((err, value) => (err !== null && err !== undefined ? reject(err) : resolve(value as T)));
    });
  }
}
