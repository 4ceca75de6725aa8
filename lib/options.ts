import type { X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import type { SslProtocols, X509RevocationMode } from './enums';

/** A certificate with its private key: PEM/DER `cert` + `key`, or a PKCS#12 `pfx`. */
export type CertificateWithKey =
  | {
      /** The certificate, then any intermediates, PEM or DER. */
      cert: string | Buffer | Array<string | Buffer>;
      /** Its private key, PEM or DER. */
      key: string | Buffer;
      /** For an encrypted `key`. */
      passphrase?: string;
    }
  | {
      /** A PKCS#12 bundle with the certificate, its chain and key. */
      pfx: string | Buffer;
      /** For the bundle. */
      passphrase?: string;
    };

/** Trusted roots or CRLs: PEM text or DER bytes, one or many. */
export type PemOrDer = string | Buffer | Array<string | Buffer>;

/**
 * .NET's `RemoteCertificateValidationCallback`. Return `true` to accept the peer. Runs after the
 * TLS handshake, before `isAuthenticated` becomes true; returning false or throwing fails the
 * authentication with `AuthenticationError`.
 */
export type RemoteCertificateValidationCallback = (
  sender: object,
  certificate: X509Certificate | null,
  chain: X509Certificate[],
  sslPolicyErrors: SslPolicyErrors,
) => boolean;
type SslPolicyErrors = number;

/**
 * .NET's `LocalCertificateSelectionCallback`. Node offers no hook inside the handshake, so it is
 * called once before the handshake starts, with `remoteCertificate` null and no acceptable issuers
 * (the first of the two calls .NET makes).
 */
export type LocalCertificateSelectionCallback = (
  sender: object,
  targetHost: string,
  localCertificates: CertificateWithKey[],
  remoteCertificate: X509Certificate | null,
  acceptableIssuers: string[],
) => CertificateWithKey | null | undefined;

/** .NET's `ServerCertificateSelectionCallback`: picks the certificate for the SNI host name. */
export type ServerCertificateSelectionCallback = (
  sender: object,
  hostName: string | null,
) => CertificateWithKey | null | undefined;

interface CommonAuthenticationOptions {
  /** `SslProtocols` flags; `None` (the default) means TLS 1.2 and TLS 1.3. */
  enabledSslProtocols?: SslProtocols;
  /** ALPN protocol names in order of preference, e.g. `['h2', 'http/1.1']`. */
  applicationProtocols?: string[];
  /**
   * Judges the peer's certificate after the handshake, with the `SslPolicyErrors` found; when set it
   * replaces the default rule (accept only `None`). Overrides the constructor's
   * `userCertificateValidationCallback`.
   */
  remoteCertificateValidationCallback?: RemoteCertificateValidationCallback;
  /** Revocation is checked against the CRLs given in `crl`; Node fetches none itself. */
  certificateRevocationCheckMode?: X509RevocationMode;
  /**
   * TLS 1.2 renegotiation started by the peer. Default, as in .NET 7+: refused on a server (the
   * read fails with `IOError`), allowed on a client. TLS 1.3 has no renegotiation.
   */
  allowRenegotiation?: boolean;
  /** **Node:** trusted roots; default Node's bundled Mozilla roots. */
  ca?: PemOrDer;
  /** **Node:** CRLs; giving any turns revocation checking on. */
  crl?: PemOrDer;
  /** **Node:** OpenSSL cipher list (TLS 1.2 and below). */
  ciphers?: string;
  /**
   * **Node:** a context from `tls.createSecureContext`, used as it is: `enabledSslProtocols`, `ca`,
   * `crl`, `ciphers` and the certificate are then not read (what `connect()` builds from Node's
   * option names).
   */
  secureContext?: SecureContext;
  /** **Node:** OpenSSL's trace of the handshake on stderr, as `tls` has it. */
  enableTrace?: boolean;
}

/** **Node:** what a TLS-PSK client offers (`pskCallback`'s answer). */
export interface PskIdentity {
  /** The pre-shared key. */
  psk: NodeJS.ArrayBufferView;
  /** The identity the server looks the key up by. */
  identity: string;
}

/** .NET's `SslClientAuthenticationOptions`. */
export interface SslClientAuthenticationOptions extends CommonAuthenticationOptions {
  /** The server's name: sent as SNI (unless an IP address) and checked against its certificate. */
  targetHost: string;
  /** Certificates the client may present when the server asks; the first is used unless a callback picks. */
  clientCertificates?: CertificateWithKey[];
  /** Picks the client certificate; overrides the constructor's `userCertificateSelectionCallback`. */
  localCertificateSelectionCallback?: LocalCertificateSelectionCallback;
  /** **Node:** a session to resume (from `getSession()` or the `'session'` event of an earlier connection). */
  session?: Buffer;
  /** **Node:** TLS-PSK, as `tls.connect`'s: `(hint) => ({ psk, identity })`, or null to refuse. */
  pskCallback?: (hint: string | null) => PskIdentity | null;
}

/** .NET's `SslServerAuthenticationOptions`. */
export interface SslServerAuthenticationOptions extends CommonAuthenticationOptions {
  /** The server's certificate; required unless `serverCertificateSelectionCallback` is given. */
  serverCertificate?: CertificateWithKey;
  /** Picks the certificate for the client's SNI name (null when it sent none). */
  serverCertificateSelectionCallback?: ServerCertificateSelectionCallback;
  /**
   * **Node:** `tls.createServer`'s SNI hook, used when `serverCertificateSelectionCallback` is not
   * given: `cb(null, secureContext)` serves that context, `cb(null)` the default one.
   */
  SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
  /**
   * Ask the client for a certificate. A client that sends none gets `RemoteCertificateNotAvailable`,
   * which fails authentication unless a validation callback accepts it.
   */
  clientCertificateRequired?: boolean;
  /** **Node:** TLS-PSK, as `tls.createServer`'s: `(socket, identity) => psk`, or null to refuse. */
  pskCallback?: (socket: unknown, identity: string) => NodeJS.ArrayBufferView | Pick<PskIdentity, 'psk'> | null;
  /**
   * **Node:** with `clientCertificateRequired`, a client that sends no certificate fails inside the
   * handshake (OpenSSL's alert, `ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE`), as with
   * `tls.createServer`'s `requestCert` and `rejectUnauthorized`; no validation callback is asked.
   */
  rejectUnauthorized?: boolean;
  /** **Node:** the PSK identity hint sent to clients. */
  pskIdentityHint?: string;
  /**
   * **Node:** the `tls.Server`-like emitter TLS reports sessions to (`'newSession'`,
   * `'resumeSession'`, `'OCSPRequest'`), as tls.Server's sockets do; `createServer()` passes itself.
   */
  server?: import('node:events').EventEmitter;
}

/** The constructor's options (the .NET constructor parameters plus Node's stream options). */
export interface SslDuplexOptions {
  /** After `dispose()`/`end()` the inner stream is neither ended nor destroyed (STARTTLS, multiplexers). */
  leaveInnerStreamOpen?: boolean;
  /** Judges the peer's certificate when the authentication options give no callback of their own. */
  userCertificateValidationCallback?: RemoteCertificateValidationCallback;
  /** Picks the client certificate when the authentication options give no callback of their own. */
  userCertificateSelectionCallback?: LocalCertificateSelectionCallback;
  /** Milliseconds, `-1` (default) for none. */
  readTimeout?: number;
  /** Milliseconds, `-1` (default) for none. */
  writeTimeout?: number;
  /** Like `net.Socket`, false by default: the stream face ends its side once the peer ended. */
  allowHalfOpen?: boolean;
  /** The stream face's buffer size in bytes, both directions (Node's default otherwise). */
  highWaterMark?: number;
  /**
   * **Node:** where to write the TLS key log (SSLKEYLOGFILE format, one line per secret) so a
   * packet capture can be decrypted in Wireshark: a writable stream (e.g. `fs.createWriteStream`
   * in append mode) or a function called with each line. The `'keylog'` event carries the same.
   */
  keylog?: NodeJS.WritableStream | ((line: Buffer) => void);
}
