export { SslDuplex } from './ssl-duplex';
export {
  SslDuplexError,
  ArgumentError,
  ArgumentNullError,
  ArgumentOutOfRangeError,
  NotSupportedError,
  InvalidOperationError,
  ObjectDisposedError,
  IOError,
  TimeoutError,
  AuthenticationError,
  AbortError,
  isSslDuplexError,
} from './errors';
export {
  SslProtocols,
  SslPolicyErrors,
  CipherAlgorithmType,
  HashAlgorithmType,
  ExchangeAlgorithmType,
  X509RevocationMode,
} from './enums';
export type { IAsyncResult, AsyncCallback } from './async-result';
export type {
  PskIdentity,
  CertificateWithKey,
  PemOrDer,
  RemoteCertificateValidationCallback,
  LocalCertificateSelectionCallback,
  ServerCertificateSelectionCallback,
  SslClientAuthenticationOptions,
  SslServerAuthenticationOptions,
  SslDuplexOptions,
} from './options';
export type { InnerStream } from './transport';
export { connect } from './factories';
export { createServer, SslServer } from './server';
export type { ConnectOptions } from './factories';
export type { CreateServerOptions, ServerOptionMirrors } from './server';
