/**
 * The .NET enumerations, with .NET's numeric values so ported code that stores or compares the
 * numbers keeps working.
 */

/** System.Security.Authentication.SslProtocols (flags). `None` lets the library choose: TLS 1.2 and 1.3. */
export const SslProtocols = {
  None: 0,
  Ssl2: 12,
  Ssl3: 48,
  Tls: 192,
  Default: 240,
  Tls11: 768,
  Tls12: 3072,
  Tls13: 12288,
} as const;
export type SslProtocols = number;

/** System.Net.Security.SslPolicyErrors (flags). */
export const SslPolicyErrors = {
  None: 0,
  RemoteCertificateNotAvailable: 1,
  RemoteCertificateNameMismatch: 2,
  RemoteCertificateChainErrors: 4,
} as const;
export type SslPolicyErrors = number;

/** System.Security.Authentication.CipherAlgorithmType. ChaCha20 has no .NET member and reports `None`. */
export const CipherAlgorithmType = {
  None: 0,
  Null: 24576,
  Des: 26113,
  Rc2: 26114,
  TripleDes: 26115,
  Aes128: 26126,
  Aes192: 26127,
  Aes256: 26128,
  Aes: 26129,
  Rc4: 26625,
} as const;
export type CipherAlgorithmType = (typeof CipherAlgorithmType)[keyof typeof CipherAlgorithmType];

/** System.Security.Authentication.HashAlgorithmType. */
export const HashAlgorithmType = {
  None: 0,
  Md5: 32771,
  Sha1: 32772,
  Sha256: 32780,
  Sha384: 32781,
  Sha512: 32782,
} as const;
export type HashAlgorithmType = (typeof HashAlgorithmType)[keyof typeof HashAlgorithmType];

/**
 * System.Security.Authentication.ExchangeAlgorithmType. `EcDiffieHellman` (44550) is the value .NET
 * reports for ECDHE although the enum does not name it.
 */
export const ExchangeAlgorithmType = {
  None: 0,
  RsaSign: 9216,
  RsaKeyX: 41984,
  DiffieHellman: 43522,
  EcDiffieHellman: 44550,
} as const;
export type ExchangeAlgorithmType = (typeof ExchangeAlgorithmType)[keyof typeof ExchangeAlgorithmType];

/** System.Security.Cryptography.X509Certificates.X509RevocationMode. */
export const X509RevocationMode = {
  NoCheck: 0,
  Online: 1,
  Offline: 2,
} as const;
export type X509RevocationMode = (typeof X509RevocationMode)[keyof typeof X509RevocationMode];
