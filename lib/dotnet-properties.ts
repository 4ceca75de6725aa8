import type { X509Certificate } from 'node:crypto';
import { InvalidOperationError, Messages, NotSupportedError } from './errors';
import { throwIfUnusable } from './guards';
import type { Session } from './session';
import { kCore } from './core';
import { SocketSurface } from './socket-surface';
import { Phase } from './state';
import type { InnerStream } from './transport';
import { checkTimeout } from './validation';

/**
 * SslStream's properties. The state ones never throw; the ones about the negotiated session throw
 * `InvalidOperationError` until there is one; the seek ones always throw `NotSupportedError`.
 */
export abstract class DotnetProperties extends SocketSurface {
  /** True once authentication succeeded, until a fault or dispose. Never throws. */
  get isAuthenticated(): boolean {
    return this[kCore].phase === Phase.Authenticated;
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
    return this[kCore].role === 'server';
  }
  /** True when both ends presented a certificate that was accepted. Never throws. */
  get isMutuallyAuthenticated(): boolean {
    return this.isAuthenticated && this[kCore].session?.mutual === true;
  }
  /** True while authenticated. Never throws. */
  get canRead(): boolean {
    return this.isAuthenticated;
  }
  /** True while authenticated and not shut down. Never throws. */
  get canWrite(): boolean {
    return this.isAuthenticated && !this[kCore].shutdown;
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
    return this[kCore].leaveInnerStreamOpen;
  }
  /** The stream TLS runs over, as given to the constructor. Never throws. */
  get innerStream(): InnerStream {
    return this[kCore].inner;
  }
  /** Client: the host it authenticated against; server: the SNI name the client sent ('' if none). */
  get targetHostName(): string {
    return this[kCore].targetHost;
  }
  /** True when authentication checked revocation (CRLs given, or the .NET overload asked). Never throws. */
  get checkCertRevocationStatus(): boolean {
    return this[kCore].checkRevocation;
  }

  /**
   * Milliseconds a read may wait, `-1` (default) for ever; a read that outlives it fails with
   * `TimeoutError` and faults the stream. Setting 0 or less than -1 throws `ArgumentOutOfRangeError`.
   */
  get readTimeout(): number {
    return this[kCore].readTimeout;
  }
  /** Throws `ArgumentOutOfRangeError` for 0, less than -1, or not an integer. */
  set readTimeout(value: number) {
    this[kCore].readTimeout = checkTimeout(value);
  }
  /** Like `readTimeout`, for writes: a write not handed to the transport in time faults the stream. */
  get writeTimeout(): number {
    return this[kCore].writeTimeout;
  }
  /** Throws `ArgumentOutOfRangeError` for 0, less than -1, or not an integer. */
  set writeTimeout(value: number) {
    this[kCore].writeTimeout = checkTimeout(value);
  }

  /** .NET's check for these properties: the negotiated session, which the validation callback already sees. */
  #session(): Session {
    const core = this[kCore];
    throwIfUnusable(core);
    if (core.session === null) throw new InvalidOperationError(Messages.notAuthenticated);
    return core.session;
  }

  /** The negotiated `SslProtocols` flag. Before authentication: `InvalidOperationError`. */
  get sslProtocol(): number {
    return this.#session().protocol;
  }
  /** The suite's bulk cipher as a `CipherAlgorithmType`. Before authentication: `InvalidOperationError`. */
  get cipherAlgorithm(): number {
    return this.#session().cipher.cipherAlgorithm;
  }
  /** The bulk cipher's key size in bits. Before authentication: `InvalidOperationError`. */
  get cipherStrength(): number {
    return this.#session().cipher.cipherStrength;
  }
  /** The suite's hash as a `HashAlgorithmType`. Before authentication: `InvalidOperationError`. */
  get hashAlgorithm(): number {
    return this.#session().cipher.hashAlgorithm;
  }
  /** The hash's size in bits. Before authentication: `InvalidOperationError`. */
  get hashStrength(): number {
    return this.#session().cipher.hashStrength;
  }
  /** The key exchange as an `ExchangeAlgorithmType`. Before authentication: `InvalidOperationError`. */
  get keyExchangeAlgorithm(): number {
    return this.#session().cipher.keyExchangeAlgorithm;
  }
  /** The key exchange's size in bits (curve or modulus). Before authentication: `InvalidOperationError`. */
  get keyExchangeStrength(): number {
    return this.#session().cipher.keyExchangeStrength;
  }
  /** The IANA name of the suite, e.g. `TLS_AES_128_GCM_SHA256`. Before authentication: `InvalidOperationError`. */
  get negotiatedCipherSuite(): string {
    return this.#session().cipher.suite;
  }
  /** The ALPN protocol, `''` when none was negotiated. Before authentication: `InvalidOperationError`. */
  get negotiatedApplicationProtocol(): string {
    return this.#session().alpn;
  }
  /** The peer's certificate, null if it sent none. Before authentication: `InvalidOperationError`. */
  get remoteCertificate(): X509Certificate | null {
    return this.#session().remoteCertificate;
  }
  /** The certificate this side presented, null if none. Before authentication: `InvalidOperationError`. */
  get localCertificate(): X509Certificate | null {
    return this.#session().localCertificate;
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
}
