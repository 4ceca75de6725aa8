import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { AuthRequest, Core } from './core';
import { ArgumentError, AuthenticationError, InvalidOperationError, Messages } from './errors';
import { checkAuthenticate, throwIfAborted, type Role } from './guards';
import type {
  RemoteCertificateValidationCallback,
  SslClientAuthenticationOptions,
  SslServerAuthenticationOptions,
} from './options';
import { toAsciiHost, toUnicodeHost } from './idn';
import { Pending, type Done } from './pending';
import { leafForIdentityCheck, restorePeerCertificate } from './peer-certificate';
import { decide, judgePeer, kVerdictOnly, policyErrors, verdictOf } from './policy';
import { Session } from './session';
import { Phase } from './state';
import { prepareClient, prepareServer, secureContext } from './tls-options';

/** Everything a handshake needs, checked and built before anything starts. */
export interface HandshakePlan extends Omit<AuthRequest, 'pending' | 'seenPeer'> {
  role: Role;
  checkRevocation: boolean;
  /** Client: the host name to check; server: '' until SNI says. */
  targetHost: string;
  /** Builds the TLS socket over the transport the core picked. */
  create(transport: net.Socket, auth: AuthRequest): tls.TLSSocket;
}

function validationCallback(
  core: Core,
  fromOptions: RemoteCertificateValidationCallback | undefined,
): RemoteCertificateValidationCallback | undefined {
  if (fromOptions === undefined || fromOptions === null) return core.ctorValidation;
  if (typeof fromOptions !== 'function') throw new ArgumentError('remoteCertificateValidationCallback');
  if (core.ctorValidation !== undefined) throw new InvalidOperationError(Messages.validationCallbackSet);
  return fromOptions;
}

/** The client's synchronous checks (contract §4–5 order after the arguments); nothing starts. */
export function planClient(
  core: Core,
  options: SslClientAuthenticationOptions,
  signal: AbortSignal | undefined,
): HandshakePlan {
  checkAuthenticate(core, 'client');
  const validate = validationCallback(core, options.remoteCertificateValidationCallback);
  if (options.localCertificateSelectionCallback && core.ctorSelection) {
    throw new InvalidOperationError(Messages.selectionCallbackSet);
  }
  const select = options.localCertificateSelectionCallback ?? core.ctorSelection;
  const candidates = options.clientCertificates ?? [];
  const chosen = select ? select(core.face, options.targetHost, candidates, null, []) : candidates[0];
  const prepared = prepareClient(options, chosen);
  throwIfAborted(signal);
  // A client follows the server's renegotiation requests unless told not to (.NET's default).
  const renegotiate = options.allowRenegotiation !== false;
  return {
    role: 'client',
    validate,
    clientCertificateRequired: false,
    localCertificate: chosen ?? null,
    checkRevocation: prepared.checkRevocation,
    targetHost: prepared.targetHost,
    create(transport, auth) {
      const connectOptions: tls.ConnectionOptions = {
        socket: transport,
        secureContext: prepared.secureContext,
        // Verification is ours, after the handshake, like .NET (see policy.ts).
        rejectUnauthorized: false,
        // Node calls this with the certificate when the chain verified; keep it for judgePeer.
        checkServerIdentity: (_host, cert) => {
          auth.seenPeer = cert;
          restorePeerCertificate(socket);
          return undefined;
        },
      };
      if (prepared.servername !== undefined) connectOptions.servername = prepared.servername;
      if (prepared.alpn !== undefined) connectOptions.ALPNProtocols = prepared.alpn;
      if (options.session !== undefined) connectOptions.session = options.session;
      if (options.enableTrace === true) connectOptions.enableTrace = true;
      if (options.pskCallback !== undefined)
        connectOptions.pskCallback = options.pskCallback as tls.ConnectionOptions['pskCallback'];
      const socket = tls.connect(connectOptions);
      socket.getPeerCertificate = leafForIdentityCheck as tls.TLSSocket['getPeerCertificate'];
      if (!renegotiate) socket.disableRenegotiation();
      return socket;
    },
  };
}

/** The server's synchronous checks; nothing starts. */
export function planServer(
  core: Core,
  options: SslServerAuthenticationOptions,
  signal: AbortSignal | undefined,
): HandshakePlan {
  checkAuthenticate(core, 'server');
  const validate = validationCallback(core, options.remoteCertificateValidationCallback);
  const nodeSni = options.SNICallback;
  // .NET's order: the options' selection callback, else the certificate, else the constructor's
  // userCertificateSelectionCallback, asked with the SNI name as targetHost.
  const fromCtor = core.ctorSelection;
  const select =
    options.serverCertificateSelectionCallback ??
    (options.serverCertificate === undefined && options.secureContext === undefined && nodeSni === undefined && fromCtor
      ? (sender: object, hostName: string | null) => fromCtor(sender, hostName ?? '', [], null, [])
      : undefined);
  const prepared = prepareServer(options, select !== undefined);
  throwIfAborted(signal);
  // .NET 7+: a server refuses client-initiated renegotiation unless asked to allow it.
  const renegotiate = options.allowRenegotiation === true;
  return {
    role: 'server',
    validate,
    clientCertificateRequired: prepared.requestCert,
    localCertificate: options.serverCertificate ?? null,
    checkRevocation: prepared.checkRevocation,
    targetHost: '',
    create(transport, auth) {
      const serverOptions: tls.TLSSocketOptions = {
        isServer: true,
        secureContext: prepared.secureContext,
        requestCert: prepared.requestCert,
        // OpenSSL then refuses a client without a certificate; a bad chain is still judged after.
        rejectUnauthorized: prepared.requestCert && options.rejectUnauthorized === true,
      };
      if (prepared.alpn !== undefined) serverOptions.ALPNProtocols = prepared.alpn;
      if (options.enableTrace === true) serverOptions.enableTrace = true;
      // TLS emits the session events (and OCSPRequest) on the server it is given, as in tls.Server.
      if (options.server !== undefined) serverOptions.server = options.server as tls.Server;
      const psk = options.pskCallback;
      if (psk !== undefined) {
        // Node hands its callback the TLS socket; ours is the socket the program knows.
        (serverOptions as Record<string, unknown>).pskCallback =
          typeof psk === 'function' ? (_socket: unknown, identity: string) => psk(core.face, identity) : psk;
        (serverOptions as Record<string, unknown>).pskIdentityHint = options.pskIdentityHint;
      }
      if (typeof select === 'function') {
        serverOptions.SNICallback = (servername, cb) => {
          try {
            core.targetHost = toUnicodeHost(servername);
            const certificate = select(core.face, core.targetHost);
            if (certificate) auth.localCertificate = certificate;
            cb(null, certificate ? secureContext(options, certificate, 'serverCertificate') : undefined);
          } catch (err) {
            cb(err as Error, undefined);
          }
        };
      } else if (typeof nodeSni === 'function') {
        serverOptions.SNICallback = (servername, cb) => {
          core.targetHost = toUnicodeHost(servername);
          nodeSni(servername, cb);
        };
      }
      const socket = new tls.TLSSocket(transport, serverOptions);
      if (!renegotiate) socket.disableRenegotiation();
      return socket;
    },
  };
}

/** One start for both roles: the phase moves, TLS is built over the transport, and we wait. */
export function startHandshake(
  core: Core,
  plan: HandshakePlan,
  signal: AbortSignal | undefined,
  done: Done<void>,
): void {
  core.transition(Phase.Authenticating);
  core.role = plan.role;
  core.checkRevocation = plan.checkRevocation;
  core.targetHost = plan.targetHost;
  const pending = new Pending<void>(done);
  const auth: AuthRequest = {
    pending,
    validate: plan.validate,
    clientCertificateRequired: plan.clientCertificateRequired,
    localCertificate: plan.localCertificate,
    seenPeer: undefined,
  };
  core.auth = auth;
  let socket: tls.TLSSocket;
  try {
    socket = plan.create(core.transportForTls(), auth);
  } catch (err) {
    core.authFailed(new AuthenticationError(Messages.authFailed, { cause: err }));
    return;
  }
  core.attach(socket);
  socket.once(plan.role === 'client' ? 'secureConnect' : 'secure', () => secured(core, auth));
  if (signal) pending.abortWith(signal, (error) => core.authFailed(error));
}

/** TLS is done: judge the peer like .NET (after the handshake), then open the connection. */
function secured(core: Core, auth: AuthRequest): void {
  const socket = core.tls;
  if (socket === null || core.auth !== auth || core.phase !== Phase.Authenticating) return;
  const isServer = core.role === 'server';
  if (!isServer) restorePeerCertificate(socket); // Node skipped its identity check (chain error, resumption)
  if (isServer && socket.servername) core.targetHost = toUnicodeHost(socket.servername);
  // Certificates carry A-labels: a Unicode targetHost is checked in that form (contract §5).
  const verdict = judgePeer(
    socket,
    isServer,
    toAsciiHost(core.targetHost),
    auth.clientCertificateRequired,
    auth.seenPeer,
    needsChain(auth.validate),
  );
  auth.seenPeer = undefined;
  // The client sent its certificate only if the server asked (a CertificateRequest leaves the
  // peer's signature algorithms behind).
  const sent = isServer || (auth.localCertificate !== null && socket.getSharedSigalgs().length > 0);
  core.session = new Session(
    socket,
    verdict,
    sent ? auth.localCertificate : null,
    isServer ? verdict.hasCertificate && auth.clientCertificateRequired : sent,
  );
  // Stated before the callback runs, so that the Node personality's verifier can restate it.
  const flags = policyErrors(verdict, isServer, auth.clientCertificateRequired, auth.validate !== undefined);
  core.verdict = verdictOf(flags, verdict.reasons);
  const { rejection } = decide(core.face, verdict, isServer, auth.clientCertificateRequired, auth.validate);
  verdict.detailed = undefined; // an idle connection does not keep Node's certificate objects
  if (rejection !== null) {
    core.authFailed(rejection, !isServer);
    return;
  }
  if (core.phase !== Phase.Authenticating) return; // disposed from inside the callback
  core.authenticated();
  core.face.emit('secure');
  if (!isServer) core.face.emit('secureConnect');
  auth.pending.settle(null);
}

/** A validation callback that reads the chain gets it; Node's verifier reads only the verdict. */
function needsChain(validate: AuthRequest['validate']): boolean {
  return validate !== undefined && (validate as { [kVerdictOnly]?: true })[kVerdictOnly] !== true;
}
