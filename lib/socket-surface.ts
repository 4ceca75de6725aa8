import type { X509Certificate } from 'node:crypto';
import { isIP, Socket as NetSocket } from 'node:net';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { Duplex } from 'readable-stream';
import { kCore, type Core } from './core';
import { ArgumentOutOfRangeError, nodeArgTypeError } from './errors';
import { eventNamesOf } from './events-shape';
import { peerCertificateOf } from './peer-certificate';
import { throwIfNotAuthenticated } from './guards';
import { nodeErrorOf } from './node-client';
import { Phase } from './state';

/**
 * Writes smaller than this wait for the rest of their tick (see SocketSurface#write). Large ones go at
 * once: they fill records by themselves, and the wait would only delay them.
 */
const kSmallWrite = 4096;

/** The streams whose writes of this tick wait to go to TLS together (see SocketSurface#write). */
const corkedThisTick = new Set<SocketSurface>();

/** One tick's end for all of them: their writes go to TLS. */
function uncorkAll(): void {
  for (const stream of corkedThisTick) {
    corkedThisTick.delete(stream);
    stream.uncork();
  }
}

/** The members of `net.Socket` an inner stream may or may not have. */
type SocketLike = Partial<
  Pick<
    net.Socket,
    | 'setNoDelay'
    | 'setKeepAlive'
    | 'ref'
    | 'unref'
    | 'address'
    | 'resetAndDestroy'
    | 'remoteAddress'
    | 'remotePort'
    | 'remoteFamily'
    | 'localAddress'
    | 'localPort'
    | 'localFamily'
    | 'connecting'
    | 'destroyed'
  >
>;

/**
 * A client made by connect() whose handshake has not started yet: its authentication options,
 * which setSession()/setServername() may still change (the factory deletes the entry at the start).
 */
export const pendingClientAuth = new WeakMap<object, { targetHost: string; session?: Buffer }>();

/** Sockets whose peer certificates were read before Node's getPeerX509Certificate() emptied them. */
const peerCertificatesTaken = new WeakMap<object, [tls.PeerCertificate, tls.DetailedPeerCertificate]>();

/**
 * The `net.Socket` / `tls.TLSSocket` surface of an SslDuplex, so that it drops in where Node code
 * expects a socket (http, https, http2, undici, ws). Socket members go to the inner stream when it
 * has them (a harmless no-op otherwise); TLS members ask the TLS socket, and never throw before
 * the handshake.
 */
export abstract class SocketSurface extends Duplex {
  /** @internal */
  [kCore]!: Core;
  #idleTimeout = 0;
  // Cached once seen, like net.Socket's peer name: a closed socket no longer knows it, and error
  // reports ('tlsClientError', logs) are written after the close. A net.Socket keeps its own
  // cache, so over one (every connection of createServer()) there is no second copy here.
  #peer: { address?: string; port?: number; family?: string } | undefined = undefined;

  /**
   * Like `net.Socket#write`. Small writes made in the same tick while nothing is in flight go to TLS
   * together (one TLS write, records filled), as http's OutgoingMessage corks until the next tick.
   */
  override write(chunk: unknown, cb?: (error: Error | null | undefined) => void): boolean;
  override write(chunk: unknown, encoding?: string, cb?: (error: Error | null | undefined) => void): boolean;
  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const size = (chunk as { length?: unknown } | null)?.length;
    if (this.writableLength === 0 && typeof size === 'number' && size < kSmallWrite && !corkedThisTick.has(this)) {
      this.cork();
      corkedThisTick.add(this);
      if (corkedThisTick.size === 1) process.nextTick(uncorkAll);
    }
    return super.write(chunk, encoding as string, cb as (error: Error | null | undefined) => void);
  }

  /**
   * Like `net.Socket#destroy`, and `dispose()` for the stream face. What was written in this tick
   * is handed to TLS first, as a socket's writes reach the kernel before it closes.
   */
  override destroy(error?: Error, cb?: (error: Error | null) => void): this {
    if (corkedThisTick.delete(this)) this.uncork();
    const role = this[kCore].personality;
    return super.destroy(error && role ? nodeErrorOf(error, role) : error, cb);
  }

  /** The events that have listeners, as a `net.Socket` answers (see events-shape.ts). */
  override eventNames(): (string | symbol)[] {
    return eventNamesOf(this);
  }

  /** `'close'` carries `hadError`, as a `net.Socket`'s does (readable-stream emits it bare). */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'close' && args.length === 0) return super.emit('close', this.errored !== null);
    if (event === 'error') {
      const report = this[kCore].clientErrors;
      if (report !== null) {
        report(args[0] as Error);
        return true;
      }
    }
    return super.emit(event, ...args);
  }

  get #inner(): SocketLike {
    return this[kCore].inner as SocketLike;
  }

  get #tls(): tls.TLSSocket | null {
    return this[kCore].tls;
  }

  /** Forwarded to the inner stream when it has it (a `net.Socket`); otherwise does nothing. */
  setNoDelay(noDelay?: boolean): this {
    this.#inner.setNoDelay?.(noDelay);
    return this;
  }
  /** Forwarded to the inner stream when it has it; otherwise does nothing. */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.#inner.setKeepAlive?.(enable, initialDelay);
    return this;
  }
  /** Forwarded to the inner stream when it has it; otherwise does nothing. */
  ref(): this {
    this.#inner.ref?.();
    return this;
  }
  /** Lets the process exit with this stream open: forwarded, and unrefs the idle timer. */
  unref(): this {
    this[kCore].idleTimer?.unref();
    this.#inner.unref?.();
    return this;
  }

  /**
   * Like `net.Socket#setTimeout`: `'timeout'` after `ms` of no plaintext read or written; 0 turns it
   * off. Nothing is closed: the listener decides. A negative or non-finite `ms` throws
   * `ArgumentOutOfRangeError`.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new ArgumentOutOfRangeError('ms');
    const core = this[kCore];
    if (core.idleTimer !== null) clearTimeout(core.idleTimer);
    core.idleTimer = null;
    this.#idleTimeout = ms;
    if (ms === 0) {
      if (callback) this.removeListener('timeout', callback);
      return this;
    }
    if (callback) this.once('timeout', callback);
    core.idleTimer = setTimeout(() => this.emit('timeout'), ms);
    core.idleTimer.unref();
    return this;
  }

  /** The idle timeout set by `setTimeout`, undefined when none. */
  get timeout(): number | undefined {
    return this.#idleTimeout === 0 ? undefined : this.#idleTimeout;
  }

  /** The inner socket's `address()`, `{}` when the inner stream has none. */
  address(): net.AddressInfo | Record<string, never> {
    const inner = this.#inner;
    return (inner.address?.() as net.AddressInfo | undefined) ?? {};
  }
  /** From the inner stream (kept after it closes); undefined when it has none (an in-memory pair). */
  get remoteAddress(): string | undefined {
    return this.#remember('address', this.#inner.remoteAddress);
  }
  /** From the inner stream, like `remoteAddress`. */
  get remotePort(): number | undefined {
    return this.#remember('port', this.#inner.remotePort);
  }
  /** From the inner stream, like `remoteAddress`. */
  get remoteFamily(): string | undefined {
    return this.#remember('family', this.#inner.remoteFamily);
  }

  #remember<K extends 'address' | 'port' | 'family'>(
    key: K,
    now: { address?: string; port?: number; family?: string }[K],
  ): typeof now {
    if (now === undefined) return this.#peer?.[key];
    if (!(this.#inner instanceof NetSocket)) (this.#peer ??= {})[key] = now;
    return now;
  }
  /** From the inner stream; undefined when it has none. */
  get localAddress(): string | undefined {
    return this.#inner.localAddress;
  }
  /** From the inner stream; undefined when it has none. */
  get localPort(): number | undefined {
    return this.#inner.localPort;
  }
  /** From the inner stream; undefined when it has none. */
  get localFamily(): string | undefined {
    return this.#inner.localFamily;
  }
  /** Plaintext bytes received (like TLSSocket's, which counts cleartext). */
  get bytesRead(): number {
    return this[kCore].bytesRead;
  }
  /** Plaintext bytes handed to TLS. */
  get bytesWritten(): number {
    return this[kCore].bytesWritten;
  }
  /** True while the inner socket is still connecting (`connect()` before `'connect'`). */
  get connecting(): boolean {
    return this.#inner.connecting === true;
  }
  /** True until authenticated: connecting, or the handshake still running. */
  get pending(): boolean {
    const phase = this[kCore].phase;
    return this.connecting || phase === Phase.Created || phase === Phase.Authenticating;
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
    const core = this[kCore];
    const nativeTls = core.tls !== null && core.transport === null;
    const inner = this.#inner;
    if (!nativeTls && typeof inner.resetAndDestroy === 'function' && inner.destroyed !== true) inner.resetAndDestroy();
    this.destroy();
    return this;
  }

  /** Always true: what http servers and frameworks read to tell HTTPS (`req.socket.encrypted`). */
  get encrypted(): true {
    return true;
  }
  /** True when the peer's certificate passed validation with no `SslPolicyErrors`. */
  get authorized(): boolean {
    const core = this[kCore];
    return core.phase === Phase.Authenticated && core.session?.remoteCertificate != null && core.verdict.errors === 0;
  }
  /** Node's name for why the peer is not authorized (e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`), or null. */
  get authorizationError(): string | null {
    return this[kCore].verdict.reason;
  }
  /** The ALPN protocol, or false when none was negotiated (Node's convention). */
  get alpnProtocol(): string | false {
    const alpn = this[kCore].session?.alpn;
    return alpn ? alpn : false;
  }
  /** Client: the SNI name sent (none for an IP address); server: the one received; false when none. */
  get servername(): string | false {
    const core = this[kCore];
    const host = core.targetHost;
    return host === '' || (core.role === 'client' && isIP(host) !== 0) ? false : host;
  }

  /** `tls.TLSSocket#getPeerCertificate`: the peer's certificate as an object (with `issuerCertificate` links when `detailed`), `{}` before the handshake or when none. Never throws. */
  getPeerCertificate(detailed?: boolean): tls.PeerCertificate | tls.DetailedPeerCertificate | Record<string, never> {
    const taken = peerCertificatesTaken.get(this);
    if (taken !== undefined) return detailed === true ? taken[1] : taken[0];
    const socket = this.#tls;
    return (socket === null ? null : peerCertificateOf(socket, detailed === true)) ?? {};
  }
  /** The peer's certificate as an `X509Certificate`, undefined when none or not authenticated. Never throws. */
  getPeerX509Certificate(): X509Certificate | undefined {
    // TLS's own links the issuers the peer sent (issuerCertificate); the session keeps a copy for after close.
    const socket = this.#tls;
    if (socket !== null && !peerCertificatesTaken.has(this)) {
      // Node's getPeerCertificate() answers {} once getPeerX509Certificate() was called: keep its answers first.
      peerCertificatesTaken.set(this, [
        peerCertificateOf(socket, false) as tls.PeerCertificate,
        peerCertificateOf(socket, true) as tls.DetailedPeerCertificate,
      ]);
    }
    return socket?.getPeerX509Certificate() ?? this[kCore].session?.remoteCertificate ?? undefined;
  }
  /** `tls.TLSSocket#getCertificate`: this side's certificate as an object, null when none. Never throws. */
  getCertificate(): tls.PeerCertificate | object | null {
    return this.#tls?.getCertificate() ?? null;
  }
  /** This side's certificate as an `X509Certificate`, undefined when none. Never throws. */
  getX509Certificate(): X509Certificate | undefined {
    return this[kCore].session?.localCertificate ?? undefined;
  }
  /** `tls.TLSSocket#getCipher`: `{ name, standardName, version }`; undefined before the handshake. Never throws. */
  getCipher(): tls.CipherNameAndProtocol | undefined {
    return this.#tls?.getCipher();
  }
  /** `'TLSv1.3'`, `'TLSv1.2'`…; null before the handshake. Never throws. */
  getProtocol(): string | null {
    return this.#tls?.getProtocol() ?? null;
  }
  /** The TLS session (for `session` resumption by a later client), undefined when none. Never throws. */
  getSession(): Buffer | undefined {
    return this.#tls?.getSession();
  }
  /** The session ticket (client, TLS 1.2), undefined when none. Never throws. */
  getTLSTicket(): Buffer | undefined {
    return this.#tls?.getTLSTicket();
  }
  /** True when the handshake resumed a session. Never throws. */
  isSessionReused(): boolean {
    return this.#tls?.isSessionReused() === true;
  }
  /** Client: the key exchange's group and size, e.g. `{ type: 'ECDH', name: 'X25519', size: 253 }`; `{}` on a server, null before. Never throws. */
  getEphemeralKeyInfo(): tls.EphemeralKeyInfo | object | null {
    return this.#tls?.getEphemeralKeyInfo() ?? null;
  }
  /** The signature algorithms both ends support, `[]` before the handshake. Never throws. */
  getSharedSigalgs(): string[] {
    return this.#tls?.getSharedSigalgs() ?? [];
  }
  /** The last Finished message this side sent (channel binding), undefined before the handshake. Never throws. */
  getFinished(): Buffer | undefined {
    return this.#tls?.getFinished();
  }
  /** The last Finished message received, undefined before the handshake. Never throws. */
  getPeerFinished(): Buffer | undefined {
    return this.#tls?.getPeerFinished();
  }
  /** Plaintext bytes written but not yet handed to TLS (`net.Socket#bufferSize`); undefined once closed, as Node's. */
  get bufferSize(): number | undefined {
    return this.closed ? undefined : this.writableLength;
  }
  /** True from the start until the handshake is done, as `tls.TLSSocket#secureConnecting`. */
  get secureConnecting(): boolean {
    const phase = this[kCore].phase;
    return phase === Phase.Created || phase === Phase.Authenticating;
  }
  /**
   * `tls.TLSSocket#renegotiate` (TLS 1.2): passed to Node's TLS; false when there is no TLS yet or
   * Node refuses (the callback then gets Node's error).
   */
  renegotiate(
    options: { rejectUnauthorized?: boolean; requestCert?: boolean },
    callback: (err: Error | null) => void,
  ): boolean {
    const socket = this.#tls;
    if (socket === null) return false;
    // A handshake done again is announced as Node announces it: 'secureConnect' (client), the
    // callback, then 'secure'.
    const done =
      typeof callback === 'function'
        ? (err: Error | null): void => {
            if (err === null && this[kCore].role === 'client') this.emit('secureConnect');
            callback(err);
            if (err === null) this.emit('secure');
          }
        : callback;
    return socket.renegotiate(options, done) !== false;
  }
  /**
   * `tls.TLSSocket#setServername`: the SNI name a client sends (before its handshake starts: after
   * `connect()` returns); the name checked against the certificate stays `servername`/`host`, as
   * in Node. A name that is not a string throws Node's `ERR_INVALID_ARG_TYPE`.
   */
  setServername(name: string): void {
    if (typeof name !== 'string') {
      throw nodeArgTypeError('name', name);
    }
    const pending = pendingClientAuth.get(this);
    if (pending !== undefined) pending.targetHost = name;
    else (this.#tls as (tls.TLSSocket & { setServername?(name: string): void }) | null)?.setServername?.(name);
  }
  /** `tls.TLSSocket#setSession`: a session to resume, for a client whose handshake has not started. */
  setSession(session: string | Buffer): void {
    const pending = pendingClientAuth.get(this);
    const data = typeof session === 'string' ? Buffer.from(session, 'latin1') : session;
    if (pending !== undefined) pending.session = data;
    else (this.#tls as (tls.TLSSocket & { setSession(s: Buffer): void }) | null)?.setSession(data);
  }
  /** `tls.TLSSocket#setKeyCert`: this side's certificate for the handshakes to come (a context or its options). */
  setKeyCert(context: tls.SecureContext | tls.SecureContextOptions): void {
    this[kCore].withTls((socket) => (socket as tls.TLSSocket & { setKeyCert(c: object): void }).setKeyCert(context));
  }
  /** `tls.TLSSocket#disableRenegotiation`: the peer's renegotiation attempts become errors. */
  disableRenegotiation(): void {
    this[kCore].withTls((socket) => socket.disableRenegotiation());
  }
  /** `tls.TLSSocket#enableTrace`: OpenSSL's trace of this connection on stderr. */
  enableTrace(): void {
    this[kCore].withTls((socket) => socket.enableTrace());
  }
  /** `tls.TLSSocket#setMaxSendFragment`: true when TLS takes the size (or will, once it exists). */
  setMaxSendFragment(size: number): boolean {
    const socket = this.#tls;
    if (socket !== null) return socket.setMaxSendFragment(size);
    // OpenSSL's range, which Node answers with false outside of: the same answer before TLS exists.
    if (!(size >= 512 && size <= 16384)) return false;
    this[kCore].withTls((s) => s.setMaxSendFragment(size));
    return true;
  }
  /** `tls.TLSSocket#server`: the server that accepted this connection, undefined for a client. */
  get server(): net.Server | undefined {
    return this[kCore].role === 'server'
      ? ((this.#inner as { server?: net.Server } | null)?.server ?? undefined)
      : undefined;
  }
  /** http.Server sets `socket.server` on the connections it is given: that value wins from then on. */
  set server(server: net.Server | undefined) {
    Object.defineProperty(this, 'server', { value: server, writable: true, configurable: true, enumerable: true });
  }

  /**
   * RFC 5705 keying material. `ObjectDisposedError` or a stored fault, then `InvalidOperationError`
   * before authentication; Node's own `RangeError`/`TypeError` for bad arguments.
   */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    const core = this[kCore];
    throwIfNotAuthenticated(core);
    return core.tls!.exportKeyingMaterial(length, label, context as Buffer);
  }
}
