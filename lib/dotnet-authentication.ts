import { AsyncResult, type IAsyncResult } from './async-result';
import { apmArguments, clientOptions, serverOptions, signalOf } from './auth-args';
import type { Core } from './core';
import { throwIfUnusable } from './guards';
import { planClient, planServer, startHandshake, type HandshakePlan } from './handshake';
import type { CertificateWithKey, SslClientAuthenticationOptions, SslServerAuthenticationOptions } from './options';
import { DotnetProperties } from './dotnet-properties';
import { promise } from './pending';
import { kCore } from './core';

/**
 * SslStream's authentication: the .NET overloads (promise and APM forms, both roles) over one
 * handshake start (handshake.ts). Its own layer of the SslDuplex surface, as .NET keeps it in a
 * partial class of its own.
 */
export abstract class DotnetAuthentication extends DotnetProperties {
  /**
   * Authenticates as the client. `targetHostOrOptions` is the server's name (checked against its
   * certificate, sent as SNI) or an `SslClientAuthenticationOptions`. The .NET overloads'
   * `clientCertificates, enabledSslProtocols, checkCertificateRevocation` (or
   * `clientCertificates, checkCertificateRevocation`) follow the host name.
   */
  authenticateAsClientAsync(
    targetHostOrOptions: string | SslClientAuthenticationOptions,
    signalOrCertificates?: AbortSignal | CertificateWithKey[] | null,
    enabledSslProtocols?: number | boolean,
    checkCertificateRevocation?: boolean,
  ): Promise<void> {
    const signal = signalOf(signalOrCertificates);
    return this.#authenticate(signal, (core) =>
      planClient(
        core,
        clientOptions(targetHostOrOptions, signalOrCertificates, enabledSslProtocols, checkCertificateRevocation),
        signal,
      ),
    );
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
    return this.#beginAuthenticate('authenticateAsClient', rest, (core, [certificates, protocols, revocation]) =>
      planClient(
        core,
        clientOptions(
          targetHostOrOptions,
          certificates,
          protocols as number | undefined,
          revocation as boolean | undefined,
        ),
        undefined,
      ),
    );
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
   * `SslServerAuthenticationOptions`. The .NET overloads' `clientCertificateRequired,
   * enabledSslProtocols, checkCertificateRevocation` (or `clientCertificateRequired,
   * checkCertificateRevocation`) follow the certificate.
   */
  authenticateAsServerAsync(
    certificateOrOptions: CertificateWithKey | SslServerAuthenticationOptions,
    signalOrClientCertificateRequired?: AbortSignal | boolean | null,
    enabledSslProtocols?: number | boolean,
    checkCertificateRevocation?: boolean,
  ): Promise<void> {
    const signal = signalOf(signalOrClientCertificateRequired);
    const required =
      typeof signalOrClientCertificateRequired === 'boolean' ? signalOrClientCertificateRequired : undefined;
    return this.#authenticate(signal, (core) =>
      planServer(
        core,
        serverOptions(certificateOrOptions, required, enabledSslProtocols, checkCertificateRevocation),
        signal,
      ),
    );
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
    return this.#beginAuthenticate('authenticateAsServer', rest, (core, [required, protocols, revocation]) =>
      planServer(
        core,
        serverOptions(
          certificateOrOptions,
          required as boolean | undefined,
          protocols as number | undefined,
          revocation as boolean | undefined,
        ),
        undefined,
      ),
    );
  }

  /** Finishes {@link beginAuthenticateAsServer}; throws as {@link endAuthenticateAsClient} does. */
  endAuthenticateAsServer(asyncResult: IAsyncResult): void {
    AsyncResult.end<void>(this, 'authenticateAsServer', asyncResult);
  }

  /** The promise forms: the stream's state first (rule 1), then the arguments, then TLS. */
  #authenticate(signal: AbortSignal | undefined, plan: (core: Core) => HandshakePlan): Promise<void> {
    return promise<void>((done) => {
      const core = this[kCore];
      throwIfUnusable(core);
      startHandshake(core, plan(core), signal, done);
    });
  }

  /** The APM forms: the same checks, all before the IAsyncResult exists. */
  #beginAuthenticate(
    kind: 'authenticateAsClient' | 'authenticateAsServer',
    rest: unknown[],
    plan: (core: Core, middle: [unknown, unknown, unknown]) => HandshakePlan,
  ): IAsyncResult {
    const core = this[kCore];
    const { callback, state, middle } = apmArguments(rest);
    throwIfUnusable(core);
    const planned = plan(core, middle);
    const ar = new AsyncResult<void>(this, kind, callback, state);
    startHandshake(core, planned, undefined, ar.done);
    return ar.started();
  }
}
