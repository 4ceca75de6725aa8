import cluster from 'node:cluster';
import * as net from 'node:net';
import { availableParallelism } from 'node:os';
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
  /** Server processes on node:cluster (default: one per core); 1 serves in this process. */
  workers?: string;
}

function log(json: boolean | undefined, record: Record<string, unknown>): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(record)}\n`);
    return;
  }
  const parts = Object.entries(record).map(([k, v]) => `${k}=${v === null || v === undefined ? '-' : String(v)}`);
  process.stdout.write(`${parts.join(' ')}\n`);
}

/** What a server presents: its certificate, and the fingerprint when it was made on the spot. */
export interface ServeCertificate {
  certificate: CertificateWithKey;
  ephemeral?: string;
}

/** The options' checks, and the certificate (read, or made); nothing listens yet. */
export async function prepareServe(opts: ServeOptions): Promise<ServeCertificate> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0..65535, got '${opts.port}'`);
  if (!opts.echo && !opts.forward) throw new UsageError('choose --echo or --forward HOST:PORT');
  if (opts.echo && opts.forward) throw new UsageError('--echo and --forward exclude each other');
  if ((opts.cert === undefined) !== (opts.key === undefined)) throw new UsageError('--cert and --key go together');
  if (opts.requireClientCert && !opts.ca) throw new UsageError('--require-client-cert needs --ca FILE');
  if (opts.forward) hostPort(opts.forward, '--forward');
  if (opts.cert && opts.key) {
    return { certificate: { cert: readFile(opts.cert, '--cert'), key: readFile(opts.key, '--key') } };
  }
  const id = await selfSigned({
    cn: 'localhost',
    names: ['localhost', opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host],
  });
  return { certificate: { cert: id.cert, key: id.key }, ephemeral: id.x509.fingerprint256 };
}

/** A TLS echo server or terminator; resolves with the listening server. */
export async function runServe(opts: ServeOptions, made?: ServeCertificate): Promise<net.Server> {
  const { certificate, ephemeral } = made ?? (await prepareServe(opts));
  const port = Number(opts.port);
  const forward = opts.forward ? hostPort(opts.forward, '--forward') : undefined;
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
        ...(cluster.isWorker ? { worker: cluster.worker!.id } : {}),
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
  if (cluster.isWorker) {
    // The primary prints one 'listening' line for all its workers.
    process.send!({ listening: { address: address.address, port: address.port } });
    return server;
  }
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

const kSharedCertificate = 'SSL_DUPLEX_SERVE_CERTIFICATE';

/** `--workers`: 1..256; default one per core. */
export function workerCount(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers must be 1..256, got '${value}'`);
  return n;
}

/** In a worker of `serve --workers`: the certificate its primary made (every worker presents the same one). */
export function certificateFromPrimary(): ServeCertificate | undefined {
  const shared = cluster.isWorker ? process.env[kSharedCertificate] : undefined;
  return shared === undefined ? undefined : (JSON.parse(shared) as ServeCertificate);
}

/**
 * `serve --workers N`: N processes on node:cluster, the engine Node gives for a process per core
 * (the primary accepts and hands connections round-robin; SslServer shares its session-ticket keys
 * between workers as tls.Server does, so a session resumes on any worker). The primary checks the
 * options and makes the certificate before any fork, prints one 'listening' line, replaces a
 * worker that dies, and stops them all on close().
 */
export async function runServeCluster(opts: ServeOptions, workers: number): Promise<{ close(): void }> {
  const made = await prepareServe(opts);
  const env = { [kSharedCertificate]: JSON.stringify(made) };
  let listening = 0;
  let stopping = false;
  const stopAll = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
  };
  const fork = (): void => {
    const worker = cluster.fork(env);
    let listened = false;
    worker.on('message', (m: { listening?: { address: string; port: number } }) => {
      if (!m.listening) return;
      listened = true;
      if (++listening !== workers) return;
      const line = { event: 'listening', ...m.listening, workers, ephemeralCertificate: made.ephemeral ?? null };
      if (opts.json) process.stdout.write(`${JSON.stringify(line)}\n`);
      else {
        process.stderr.write(`listening on ${line.address}:${line.port} (${workers} workers)\n`);
        if (made.ephemeral) process.stderr.write(`ephemeral self-signed certificate, SHA-256 ${made.ephemeral}\n`);
      }
    });
    worker.on('exit', (code) => {
      if (stopping) return;
      // A worker that never listened (the port is taken, say) would fail again: stop, do not loop.
      if (!listened) {
        stopAll();
        process.exitCode = code || 1;
        return;
      }
      fork();
    });
  };
  for (let i = 0; i < workers; i++) fork();
  return { close: stopAll };
}
