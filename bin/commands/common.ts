import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { SslProtocols, type SslDuplex } from '../../lib';

/** A user mistake: one line on stderr, exit code 2. */
export class UsageError extends CommanderError {
  constructor(message: string) {
    super(2, 'ssl-duplex.usage', message);
  }
}

export function hostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError(`${what} must be HOST:PORT, got '${value}'`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export function alpnList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('--alpn needs at least one protocol name');
  return list;
}

export function protocolsOf(opts: {
  'tls1.2'?: boolean;
  'tls1.3'?: boolean;
  tls12?: boolean;
  tls13?: boolean;
}): number {
  const v12 = opts['tls1.2'] ?? opts.tls12;
  const v13 = opts['tls1.3'] ?? opts.tls13;
  if (v12 && v13) throw new UsageError('--tls1.2 and --tls1.3 exclude each other');
  if (v12) return SslProtocols.Tls12;
  if (v13) return SslProtocols.Tls13;
  return SslProtocols.None;
}

const versionNames: Record<number, string> = { [SslProtocols.Tls12]: 'TLSv1.2', [SslProtocols.Tls13]: 'TLSv1.3' };

/** What `connect` prints on stderr and `serve` logs: the negotiated session and the peer. */
export function sessionSummary(tls: SslDuplex): Record<string, unknown> {
  const cert = tls.isAuthenticated ? tls.remoteCertificate : null;
  return {
    protocol: versionNames[tls.sslProtocol] ?? String(tls.sslProtocol),
    cipherSuite: tls.negotiatedCipherSuite,
    alpn: tls.negotiatedApplicationProtocol || null,
    peerCertificate: cert
      ? {
          subject: cert.subject.replace(/\n/g, ', '),
          issuer: cert.issuer.replace(/\n/g, ', '),
          validTo: cert.validTo,
          fingerprint256: cert.fingerprint256,
          subjectAltName: cert.subjectAltName ?? null,
        }
      : null,
    authorized: tls.authorized,
  };
}

export function formatSummary(s: Record<string, unknown>): string {
  const c = s.peerCertificate as Record<string, string> | null;
  const lines = [
    `* ${String(s.protocol)}, ${String(s.cipherSuite)}${s.alpn ? `, ALPN ${String(s.alpn)}` : ''}`,
    c ? `* peer: ${c.subject} (issuer ${c.issuer}), valid to ${c.validTo}` : '* peer: no certificate',
  ];
  if (c) lines.push(`* SHA-256 ${c.fingerprint256}`);
  if (!s.authorized && c) lines.push('* WARNING: certificate not verified (--insecure)');
  return lines.join('\n');
}
