import type { SecureVersion } from 'node:tls';
import { SslProtocols } from './enums';
import { ArgumentError, Messages, NotSupportedError } from './errors';

const order: Array<[number, SecureVersion]> = [
  [SslProtocols.Tls, 'TLSv1'],
  [SslProtocols.Tls11, 'TLSv1.1'],
  [SslProtocols.Tls12, 'TLSv1.2'],
  [SslProtocols.Tls13, 'TLSv1.3'],
];
const known =
  SslProtocols.Ssl2 |
  SslProtocols.Ssl3 |
  SslProtocols.Tls |
  SslProtocols.Tls11 |
  SslProtocols.Tls12 |
  SslProtocols.Tls13;

/**
 * `SslProtocols` flags → Node's `minVersion`/`maxVersion`. OpenSSL takes a range, so a set with a
 * gap (TLS 1.1 | TLS 1.3) enables the versions between too.
 */
export function toVersionRange(flags: number | undefined): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  if (flags === undefined || flags === SslProtocols.None) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~known) !== 0) {
    throw new ArgumentError(
      'enabledSslProtocols',
      "The specified value is not valid in the 'SslProtocols' enumeration.",
    );
  }
  const enabled = order.filter(([flag]) => (flags & flag) !== 0);
  if (enabled.length === 0) {
    throw new NotSupportedError(Messages.sslV2V3);
  }
  return { minVersion: enabled[0]![1], maxVersion: enabled[enabled.length - 1]![1] };
}

/** Node's `getProtocol()` name → the `SslProtocols` flag. */
export function fromProtocolName(name: string | null): number {
  switch (name) {
    case 'TLSv1':
      return SslProtocols.Tls;
    case 'TLSv1.1':
      return SslProtocols.Tls11;
    case 'TLSv1.2':
      return SslProtocols.Tls12;
    case 'TLSv1.3':
      return SslProtocols.Tls13;
    default:
      return SslProtocols.None;
  }
}
