import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  certificateOf,
  copyAuthenticationOptions,
  destroyWithTransport,
  duplexOptions,
  handshakeTimer,
} from './factories';
import { kCore } from './core';
import { nodeErrorOf, nodeServerContext } from './node-client';
import type { SslDuplexOptions, SslServerAuthenticationOptions } from './options';
import { SslDuplex } from './ssl-duplex';
import { secureContext } from './tls-options';

/** `tls.createServer`'s option names, plus the authentication options of SslServerAuthenticationOptions. */
export interface CreateServerOptions
  extends
    Partial<SslServerAuthenticationOptions>,
    Omit<SslDuplexOptions, 'userCertificateValidationCallback'>,
    Omit<tls.SecureContextOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'crl' | 'ciphers'> {
  /** The server certificate (PEM/DER), with `key`; or give `serverCertificate`. */
  cert?: string | Buffer | Array<string | Buffer>;
  /** The private key of `cert`. */
  key?: string | Buffer;
  /** A PKCS#12 server certificate instead of `cert`/`key`. */
  pfx?: string | Buffer;
  /** For `key` or `pfx`. */
  passphrase?: string;
  /** ALPN names, like `applicationProtocols`. */
  ALPNProtocols?: string[];
  /** Ask clients for a certificate, like `clientCertificateRequired`. */
  requestCert?: boolean;
  /** With `requestCert`: default true; false lets clients with bad or no certificates in. */
  rejectUnauthorized?: boolean;
  /** Milliseconds a client has to finish the handshake; default 120 000, like Node's. 0 turns it off. */
  handshakeTimeout?: number;
  /** Passed to net.Server. */
  pauseOnConnect?: boolean;
}

/** tls.Server's defaults: the server's cipher order wins unless told otherwise. */
function serverDefaults(options: object): Record<string, unknown> {
  const o = options as Record<string, unknown>;
  return { ...o, honorCipherOrder: o.honorCipherOrder ?? true };
}

/** tls.Server's properties that mirror its options (`server.ca`, `server.requestCert`…), copied from Node's. */
const mirroredOptions = [
  'key',
  'cert',
  'ca',
  'passphrase',
  'pfx',
  'crl',
  'ciphers',
  'ecdhCurve',
  'dhparam',
  'sigalgs',
  'privateKeyIdentifier',
  'privateKeyEngine',
  'clientCertEngine',
  'minVersion',
  'maxVersion',
  'secureProtocol',
  'secureOptions',
  'honorCipherOrder',
  'sessionIdContext',
  'sessionTimeout',
  'ticketKeys',
  'requestCert',
  'rejectUnauthorized',
  'ALPNProtocols',
  'enableTrace',
  'handshakeTimeout',
] as const;

/**
 * The properties by which `tls.Server` mirrors its options; set as Node sets them (from the
 * constructor's options, and by `setOptions()`). Informational: changing one changes no connection.
 */
export interface ServerOptionMirrors {
  /** The `key` option. */
  key?: unknown;
  /** The `cert` option. */
  cert?: unknown;
  /** The `ca` option. */
  ca?: unknown;
  /** The `passphrase` option. */
  passphrase?: unknown;
  /** The `pfx` option. */
  pfx?: unknown;
  /** The `crl` option. */
  crl?: unknown;
  /** The `ciphers` option. */
  ciphers?: unknown;
  /** The `ecdhCurve` option. */
  ecdhCurve?: unknown;
  /** The `dhparam` option. */
  dhparam?: unknown;
  /** The `sigalgs` option. */
  sigalgs?: unknown;
  /** The `privateKeyIdentifier` option. */
  privateKeyIdentifier?: unknown;
  /** The `privateKeyEngine` option. */
  privateKeyEngine?: unknown;
  /** The `clientCertEngine` option. */
  clientCertEngine?: unknown;
  /** The `minVersion` option. */
  minVersion?: unknown;
  /** The `maxVersion` option. */
  maxVersion?: unknown;
  /** The `secureProtocol` option. */
  secureProtocol?: unknown;
  /** The `secureOptions` option. */
  secureOptions?: unknown;
  /** The `honorCipherOrder` option (true unless false was given). */
  honorCipherOrder?: unknown;
  /** The `sessionIdContext` option, or Node's default (a hash of the command line). */
  sessionIdContext?: unknown;
  /** The `sessionTimeout` option. */
  sessionTimeout?: unknown;
  /** The `ticketKeys` option. */
  ticketKeys?: unknown;
  /** The `requestCert` option. */
  requestCert?: unknown;
  /** The `rejectUnauthorized` option (true unless false was given). */
  rejectUnauthorized?: unknown;
  /** The `ALPNProtocols` option, in Node's wire form. */
  ALPNProtocols?: unknown;
  /** The `enableTrace` option. */
  enableTrace?: unknown;
  /** The `handshakeTimeout` option. */
  handshakeTimeout?: unknown;
}

// The list (what is copied) and the interface (what is documented, one comment per member as the
// API docs require) name the same options: the compiler keeps the two in step.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const mirrorsInStep: SameKeys<(typeof mirroredOptions)[number], keyof ServerOptionMirrors> = true;
void mirrorsInStep;

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface SslServer extends ServerOptionMirrors {}

/**
 * A `net.Server` whose connections are wrapped in SslDuplex and authenticated as the server:
 * `'secureConnection'` (stream) on success, `'tlsClientError'` (error, stream) on failure, as
 * `tls.Server` has them. A handshake timeout (120 s by default) frees the slot of a silent client.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SslServer extends net.Server {
  readonly #options: CreateServerOptions;
  #authOptions: SslServerAuthenticationOptions | undefined;
  /** Built from Node's option names at construction, as tls.Server builds its own. */
  #context: tls.SecureContext | undefined;
  /** `addContext()`'s entries: the SNI name as a pattern, and the context it gets. */
  readonly #contexts: Array<[RegExp, tls.SecureContext]> = [];

  constructor(options: CreateServerOptions, secureConnectionListener?: (stream: SslDuplex) => void) {
    super({ pauseOnConnect: options.pauseOnConnect === true, allowHalfOpen: options.allowHalfOpen === true });
    this.#options = { ...options };
    if (options.serverCertificate === undefined && options.enabledSslProtocols === undefined) {
      // tls.Server's own checks of every option (types, SNICallback, booleans) and of the context:
      // Node's errors, thrown here, as tls.createServer throws them.
      const model = new tls.Server(options as tls.TlsOptions) as unknown as Record<string, unknown>;
      for (const key of mirroredOptions)
        if (key in model) (this as unknown as Record<string, unknown>)[key] = model[key];
      this.#context = nodeServerContext(serverDefaults({ sessionIdContext: model.sessionIdContext, ...options }));
    }
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
    this.on('connection', (socket: net.Socket) => this.#accept(socket));
  }

  /**
   * `tls.Server#setOptions` (deprecated, DEP0122): Node's own, which sets the option-mirroring
   * properties; `requestCert` and `rejectUnauthorized` apply to later connections.
   */
  setOptions(options: tls.TlsOptions): void {
    (tls.Server.prototype as unknown as { setOptions(o: object): void }).setOptions.call(this, options);
    this.#options.requestCert = options.requestCert === true;
    this.#options.rejectUnauthorized = options.rejectUnauthorized !== false;
    this.#authOptions = undefined;
  }

  /** Built once, so every connection shares one SecureContext (see tls-options.ts). */
  #auth(): SslServerAuthenticationOptions {
    if (this.#authOptions) return this.#authOptions;
    const o = this.#options;
    const auth: SslServerAuthenticationOptions = { clientCertificateRequired: this.#requestCert };
    const certificate = o.serverCertificate ?? certificateOf(o);
    if (certificate) auth.serverCertificate = certificate;
    if (this.#context) auth.secureContext = this.#context;
    if (typeof o.SNICallback === 'function' || this.#contexts.length > 0) {
      auth.SNICallback = (servername, cb) => this.#sni(servername, cb);
    }
    copyAuthenticationOptions(o, auth, 'serverCertificateSelectionCallback');
    if (o.pskIdentityHint !== undefined) auth.pskIdentityHint = o.pskIdentityHint;
    auth.server = this;
    // tls.Server follows a client's renegotiation (within tls.CLIENT_RENEG_LIMIT); refusing is
    // secureOptions' SSL_OP_NO_RENEGOTIATION, OpenSSL's warning alert, and the connection goes on.
    auth.allowRenegotiation ??= true;
    if (this.#requestCert && o.rejectUnauthorized !== false && o.remoteCertificateValidationCallback === undefined) {
      auth.rejectUnauthorized = true;
    }
    return (this.#authOptions = auth);
  }

  /**
   * Node's SNI rule: the `SNICallback` option when given (addContext() is then not consulted),
   * else the most recently added `addContext()` pattern that matches, else the default context.
   */
  #sni(servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void {
    if (typeof this.#options.SNICallback === 'function') {
      this.#options.SNICallback(servername, cb);
      return;
    }
    const found = this.#contexts.findLast(([pattern]) => pattern.test(servername));
    cb(null, found?.[1]);
  }

  /**
   * `tls.Server#addContext`: clients asking for `hostname` (SNI; `*` matches one label) get this
   * context, built from `tls.createSecureContext` options or given as one.
   */
  addContext(hostname: string, context: tls.SecureContextOptions | tls.SecureContext): void {
    const escaped = hostname.replace(/([.^$+?\-\\[\]{}])/g, '\\$1').replaceAll('*', '[^.]*');
    const ctx = 'context' in context ? (context as tls.SecureContext) : tls.createSecureContext(context);
    this.#contexts.push([new RegExp(`^${escaped}$`), ctx]);
    this.#authOptions = undefined;
  }

  /** `tls.Server#setSecureContext`: later connections get a context built from these options. */
  setSecureContext(options: tls.SecureContextOptions): void {
    // As tls.Server: the new context keeps the server's ticket keys and session timeout.
    const { ticketKeys, sessionTimeout } = this.#options as Record<string, unknown>;
    this.#context = nodeServerContext(serverDefaults({ ticketKeys, sessionTimeout, ...options }));
    Object.assign(this.#options, options);
    this.#authOptions = undefined;
  }

  /** `tls.Server#getTicketKeys`: the 48 bytes that protect this server's session tickets. */
  getTicketKeys(): Buffer {
    return this.#native().getTicketKeys();
  }

  /** `tls.Server#setTicketKeys`: shares ticket keys with other servers (a cluster). */
  setTicketKeys(keys: Buffer): void {
    this.#native().setTicketKeys(keys);
  }

  /**
   * @internal Node's cluster calls these as it does tls.Server's: a worker's ticket keys go to the
   * primary, and every worker gets the first one's, so a session resumes on any worker.
   */
  _getServerData(): { ticketKeys: string } {
    return { ticketKeys: this.getTicketKeys().toString('hex') };
  }
  /** @internal See `_getServerData`. */
  _setServerData(data: { ticketKeys: string }): void {
    this.setTicketKeys(Buffer.from(data.ticketKeys, 'hex'));
  }

  /** @internal tls.Server's name for its context: Node's TLS reads it to answer an OCSPRequest. */
  get _sharedCreds(): tls.SecureContext {
    const auth = this.#auth();
    return auth.secureContext ?? secureContext(auth, auth.serverCertificate, 'serverCertificate');
  }

  /** The context every connection shares (the same one the .NET options build, from the cache). */
  #native(): { getTicketKeys(): Buffer; setTicketKeys(keys: Buffer): void } {
    return (this._sharedCreds as unknown as { context: { getTicketKeys(): Buffer; setTicketKeys(keys: Buffer): void } })
      .context;
  }

  get #requestCert(): boolean {
    return this.#options.requestCert === true || this.#options.clientCertificateRequired === true;
  }

  /** tls.Server's: a rejected async 'secureConnection' listener destroys that socket with the error. */
  [Symbol.for('nodejs.rejection')](err: Error, event: string, stream: SslDuplex): void {
    if (event === 'secureConnection') stream.destroy(err);
    else
      (net.Server.prototype as unknown as Record<symbol, (...a: unknown[]) => void>)[
        Symbol.for('nodejs.rejection')
      ]!.call(this, err, event, stream);
  }

  #accept(socket: net.Socket): void {
    const o = this.#options;
    const acceptAll = this.#requestCert && o.rejectUnauthorized === false;
    const stream = new SslDuplex(socket, duplexOptions(o, acceptAll ? () => true : undefined));
    const core = stream[kCore];
    core.personality = 'server';
    destroyWithTransport(stream, socket);
    // tls.Server's 'keylog' (line, socket), for the connections of a server somebody listens to.
    if (this.listenerCount('keylog') > 0) stream.on('keylog', (line: Buffer) => this.emit('keylog', line, stream));
    void [stream.remoteAddress, stream.remotePort, stream.remoteFamily]; // cache them for later reports
    const auth = this.#auth();
    const onClientError = (err: Error): void => {
      core.clientErrors = null;
      this.emit('tlsClientError', nodeErrorOf(err, 'server'), stream);
    };
    // Not a listener added and removed: that would turn the stream's _events into a dictionary.
    core.clientErrors = onClientError;
    const handshake = stream.authenticateAsServerAsync(auth);
    handshakeTimer(stream, o.handshakeTimeout, handshake);
    handshake.then(
      () => {
        core.clientErrors = null;
        // net.Server's pauseOnConnect, as tls.Server passes it on: the socket arrives paused.
        if (o.pauseOnConnect === true) stream.pause();
        this.emit('secureConnection', stream);
      },
      (err: Error) => {
        // A stream destroyed with an error reports it by its 'error' event (which may still be on
        // its way: the intercept stays until it comes); otherwise the rejection is the report.
        if (core.clientErrors !== null && (!stream.destroyed || stream.errored === null)) onClientError(err);
        stream.dispose();
      },
    );
  }
}

/**
 * Shaped like `tls.createServer`: a listening-ready `SslServer` whose connections arrive as
 * authenticated SslDuplex streams on `'secureConnection'`; failed handshakes are `'tlsClientError'`.
 */
export function createServer(
  options: CreateServerOptions,
  secureConnectionListener?: (stream: SslDuplex) => void,
): SslServer {
  return new SslServer(options, secureConnectionListener);
}
