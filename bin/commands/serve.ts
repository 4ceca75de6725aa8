import * as net from 'node:net';
import { pipeline } from 'node:stream';
import { createServer, type CertificateWithKey, type SslDuplex } from '../../lib';
import { selfSigned } from '../pki';
import { alpnList, hostPort, readFile, UsageError } from './common';

export interface ServeOptions {
  host: string;
  port: string;
  cert?: string;
  key?: string;
  echo?: boolean;
  forward?: string;
  requireClientCert?: boolean;
  ca?: string;
  alpn?: string;
  json?: boolean;
}

function log(json: boolean | undefined, record: Record<string, unknown>): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(record)}\n`);
    return;
  }
  const parts = Object.entries(record).map(([k, v]) => `${k}=${v === null || v === undefined ? '-' : String(v)}`);
  process.stdout.write(`${parts.join(' ')}\n`);
}

/** A TLS echo server or terminator; resolves with the listening server. */
export async function runServe(opts: ServeOptions): Promise<net.Server> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0..65535, got '${opts.port}'`);
  if (!opts.echo && !opts.forward) throw new UsageError('choose --echo or --forward HOST:PORT');
  if (opts.echo && opts.forward) throw new UsageError('--echo and --forward exclude each other');
  if ((opts.cert === undefined) !== (opts.key === undefined)) throw new UsageError('--cert and --key go together');
  if (opts.requireClientCert && !opts.ca) throw new UsageError('--require-client-cert needs --ca FILE');
  const forward = opts.forward ? hostPort(opts.forward, '--forward') : undefined;
  let certificate: CertificateWithKey;
  let ephemeral: string | undefined;
  if (opts.cert && opts.key) {
    certificate = { cert: readFile(opts.cert, '--cert'), key: readFile(opts.key, '--key') };
  } else {
    const id = await selfSigned({
      cn: 'localhost',
      names: ['localhost', opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host],
    });
    certificate = { cert: id.cert, key: id.key };
    ephemeral = id.x509.fingerprint256;
  }
  const server = createServer({
    serverCertificate: certificate,
    requestCert: opts.requireClientCert === true,
    ...(opts.ca ? { ca: readFile(opts.ca, '--ca') } : {}),
    ...(opts.alpn ? { ALPNProtocols: alpnList(opts.alpn) } : {}),
    allowHalfOpen: true,
  });
  server.on('secureConnection', (tls: SslDuplex) => {
    const started = Date.now();
    const peer = `${tls.remoteAddress}:${tls.remotePort}`;
    const session = {
      protocol: tls.getProtocol(),
      cipher: tls.negotiatedCipherSuite,
      alpn: tls.alpnProtocol || null,
      client: tls.isMutuallyAuthenticated ? (tls.remoteCertificate?.subject.replace(/\n/g, ', ') ?? null) : null,
    };
    const done = (err?: Error | null): void => {
      log(opts.json, {
        event: 'connection',
        peer,
        ...session,
        bytesIn: tls.bytesRead,
        bytesOut: tls.bytesWritten,
        ms: Date.now() - started,
        error: err ? err.message : null,
      });
    };
    if (forward) {
      const upstream = net.connect(forward.port, forward.host);
      pipeline(tls, upstream, tls, (err) => {
        done(err);
        tls.dispose();
        upstream.destroy();
      });
    } else {
      pipeline(tls, tls, (err) => {
        done(err);
        tls.dispose();
      });
    }
  });
  server.on('tlsClientError', (err: Error, tls: SslDuplex) => {
    log(opts.json, { event: 'tlsClientError', peer: `${tls.remoteAddress}:${tls.remotePort}`, error: err.message });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, opts.host, resolve));
  const address = server.address() as net.AddressInfo;
  const listening = {
    event: 'listening',
    address: address.address,
    port: address.port,
    ephemeralCertificate: ephemeral ?? null,
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(listening)}\n`);
  else {
    process.stderr.write(`listening on ${address.address}:${address.port}\n`);
    if (ephemeral) process.stderr.write(`ephemeral self-signed certificate, SHA-256 ${ephemeral}\n`);
  }
  return server;
}
