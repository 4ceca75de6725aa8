/**
 * The .NET enumerations, with .NET's numeric values so ported code that stores or compares the
 * numbers keeps working.
 */

/** System.Security.Authentication.SslProtocols (flags). `None` lets the library choose: TLS 1.2 and 1.3. */
export const SslProtocols = {
  /** Let the library choose: TLS 1.2 and TLS 1.3 (the secure default). */
  None: 0,
  /** SSL 2.0: refused, OpenSSL no longer has it (authentication fails with `NotSupportedError`). */
  Ssl2: 12,
  /** SSL 3.0: refused, OpenSSL no longer has it. */
  Ssl3: 48,
  /** TLS 1.0: only when asked for; also needs `ciphers` with `@SECLEVEL=0` on OpenSSL 3. */
  Tls: 192,
  /** .NET's obsolete `Ssl3 | Tls`; treated like `Tls`. */
  Default: 240,
  /** TLS 1.1: only when asked for (see `Tls`). */
  Tls11: 768,
  /** TLS 1.2. */
  Tls12: 3072,
  /** TLS 1.3. */
  Tls13: 12288,
} as const;
export type SslProtocols = number;

/** System.Net.Security.SslPolicyErrors (flags). */
export const SslPolicyErrors = {
  /** The certificate passed every check. */
  None: 0,
  /** The peer sent no certificate (a server that required one, or a client that got none). */
  RemoteCertificateNotAvailable: 1,
  /** The certificate does not name the target host. */
  RemoteCertificateNameMismatch: 2,
  /** The chain does not lead to a trusted root, or a certificate in it is expired, not yet valid or revoked. */
  RemoteCertificateChainErrors: 4,
} as const;
export type SslPolicyErrors = number;

/** System.Security.Authentication.CipherAlgorithmType. ChaCha20 has no .NET member and reports `None`. */
export const CipherAlgorithmType = {
  /** No cipher, or one .NET has no member for (ChaCha20). */
  None: 0,
  /** The NULL cipher (no encryption). */
  Null: 24576,
  /** DES. */
  Des: 26113,
  /** RC2. */
  Rc2: 26114,
  /** 3DES. */
  TripleDes: 26115,
  /** AES with a 128-bit key. */
  Aes128: 26126,
  /** AES with a 192-bit key. */
  Aes192: 26127,
  /** AES with a 256-bit key. */
  Aes256: 26128,
  /** AES of an unknown key size. */
  Aes: 26129,
  /** RC4. */
  Rc4: 26625,
} as const;
export type CipherAlgorithmType = (typeof CipherAlgorithmType)[keyof typeof CipherAlgorithmType];

/** System.Security.Authentication.HashAlgorithmType. */
export const HashAlgorithmType = {
  /** No hash, or an AEAD suite whose PRF hash is not reported. */
  None: 0,
  /** MD5. */
  Md5: 32771,
  /** SHA-1. */
  Sha1: 32772,
  /** SHA-256. */
  Sha256: 32780,
  /** SHA-384. */
  Sha384: 32781,
  /** SHA-512. */
  Sha512: 32782,
} as const;
export type HashAlgorithmType = (typeof HashAlgorithmType)[keyof typeof HashAlgorithmType];

/**
 * System.Security.Authentication.ExchangeAlgorithmType. `EcDiffieHellman` (44550) is the value .NET
 * reports for ECDHE although the enum does not name it.
 */
export const ExchangeAlgorithmType = {
  /** No key exchange (TLS 1.3 reports its group through `getEphemeralKeyInfo()` instead). */
  None: 0,
  /** RSA signatures. */
  RsaSign: 9216,
  /** RSA key exchange. */
  RsaKeyX: 41984,
  /** Finite-field Diffie-Hellman. */
  DiffieHellman: 43522,
  /** Elliptic-curve Diffie-Hellman (ECDHE). */
  EcDiffieHellman: 44550,
} as const;
export type ExchangeAlgorithmType = (typeof ExchangeAlgorithmType)[keyof typeof ExchangeAlgorithmType];

/** System.Security.Cryptography.X509Certificates.X509RevocationMode. */
export const X509RevocationMode = {
  /** No revocation check (the default when no `crl` is given). */
  NoCheck: 0,
  /** Check against the CRLs given in `crl` (Node fetches none itself). */
  Online: 1,
  /** Same as `Online`: only the CRLs given in `crl` are consulted. */
  Offline: 2,
} as const;
export type X509RevocationMode = (typeof X509RevocationMode)[keyof typeof X509RevocationMode];
