import type { TLSSocket } from 'node:tls';
import { CipherAlgorithmType, ExchangeAlgorithmType, HashAlgorithmType } from './enums';

/** What .NET's obsolete cipher properties report, derived from the IANA suite name. */
export interface CipherInfo {
  suite: string;
  cipherAlgorithm: CipherAlgorithmType;
  cipherStrength: number;
  hashAlgorithm: HashAlgorithmType;
  hashStrength: number;
  keyExchangeAlgorithm: ExchangeAlgorithmType;
  keyExchangeStrength: number;
}

function cipherOf(suite: string): [CipherAlgorithmType, number] {
  if (suite.includes('AES_128')) return [CipherAlgorithmType.Aes128, 128];
  if (suite.includes('AES_256')) return [CipherAlgorithmType.Aes256, 256];
  if (suite.includes('3DES')) return [CipherAlgorithmType.TripleDes, 168];
  if (suite.includes('CHACHA20')) return [CipherAlgorithmType.None, 256];
  if (suite.includes('RC4')) return [CipherAlgorithmType.Rc4, 128];
  if (suite.includes('_NULL_')) return [CipherAlgorithmType.Null, 0];
  return [CipherAlgorithmType.None, 0];
}

function hashOf(suite: string): [HashAlgorithmType, number] {
  if (suite.endsWith('_SHA384')) return [HashAlgorithmType.Sha384, 384];
  if (suite.endsWith('_SHA256')) return [HashAlgorithmType.Sha256, 256];
  if (suite.endsWith('_SHA512')) return [HashAlgorithmType.Sha512, 512];
  if (suite.endsWith('_SHA')) return [HashAlgorithmType.Sha1, 160];
  if (suite.endsWith('_MD5')) return [HashAlgorithmType.Md5, 128];
  return [HashAlgorithmType.None, 0];
}

function exchangeOf(eph: { type?: string; size?: number } | null, suite: string): [ExchangeAlgorithmType, number] {
  // The ephemeral key is only reported on the client; the suite name still tells RSA key transport.
  if (eph && eph.type === 'ECDH') return [ExchangeAlgorithmType.EcDiffieHellman, eph.size ?? 0];
  if (eph && eph.type === 'DH') return [ExchangeAlgorithmType.DiffieHellman, eph.size ?? 0];
  if (suite.startsWith('TLS_ECDHE_')) return [ExchangeAlgorithmType.EcDiffieHellman, 0];
  if (suite.startsWith('TLS_DHE_')) return [ExchangeAlgorithmType.DiffieHellman, 0];
  if (suite.startsWith('TLS_RSA_')) return [ExchangeAlgorithmType.RsaKeyX, 0];
  // TLS 1.3 always uses an ephemeral (EC)DH exchange.
  return [ExchangeAlgorithmType.EcDiffieHellman, 0];
}

/** What the handshake left on the socket, read while it is alive (the rest is derived on demand). */
export interface CipherFacts {
  readonly suite: string;
  readonly ephemeral: { readonly type?: string; readonly size?: number } | null;
}

/**
 * The few combinations a process meets (suites × key exchanges), shared: an idle connection
 * holds a pointer, not its own copy of the suite name and of Node's key-info object.
 */
const knownFacts = new Map<string, CipherFacts>();
const kMaxKnownFacts = 256;

export function cipherFactsOf(socket: TLSSocket): CipherFacts {
  const c = socket.getCipher() as { standardName?: string; name: string };
  const suite = c.standardName ?? c.name;
  const info = socket.getEphemeralKeyInfo() as { type?: string; size?: number } | null;
  // A server is told nothing ({}); that and null mean the same to exchangeOf.
  const ephemeral = info?.type === undefined ? null : { type: info.type, size: info.size ?? 0 };
  const key = ephemeral === null ? suite : `${suite} ${ephemeral.type} ${ephemeral.size}`;
  let facts = knownFacts.get(key);
  if (facts === undefined) {
    facts = { suite, ephemeral };
    if (knownFacts.size < kMaxKnownFacts) knownFacts.set(key, facts);
  }
  return facts;
}

export function cipherInfoOf({ suite, ephemeral }: CipherFacts): CipherInfo {
  const [cipherAlgorithm, cipherStrength] = cipherOf(suite);
  const [hashAlgorithm, hashStrength] = hashOf(suite);
  const [keyExchangeAlgorithm, keyExchangeStrength] = exchangeOf(ephemeral, suite);
  return {
    suite,
    cipherAlgorithm,
    cipherStrength,
    hashAlgorithm,
    hashStrength,
    keyExchangeAlgorithm,
    keyExchangeStrength,
  };
}
