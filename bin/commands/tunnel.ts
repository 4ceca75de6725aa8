import * as net from 'node:net';
import { pipeline } from 'node:stream';
import { connect } from '../../lib';
import { hostPort, readFile } from './common';

export interface TunnelOptions {
  accept: string;
  connect: string;
  servername?: string;
  ca?: string;
  insecure?: boolean;
  json?: boolean;
}

/** stunnel's client mode: plaintext in on --accept, TLS out to --connect; back-pressured both ways. */
export async function runTunnel(opts: TunnelOptions): Promise<net.Server> {
  const accept = hostPort(opts.accept, '--accept');
  const target = hostPort(opts.connect, '--connect');
  const ca = opts.ca ? readFile(opts.ca, '--ca') : undefined;
  const server = net.createServer({ allowHalfOpen: true }, (plain) => {
    const tls = connect({
      port: target.port,
      host: target.host,
      servername: opts.servername ?? target.host,
      ...(ca ? { ca } : {}),
      rejectUnauthorized: opts.insecure !== true,
      allowHalfOpen: true,
    });
    const close = (err?: Error | null): void => {
      if (err) process.stderr.write(`tunnel: ${plain.remoteAddress}:${plain.remotePort}: ${err.message}\n`);
      plain.destroy();
      tls.destroy();
    };
    let open = 2;
    const half = (err?: Error | null): void => {
      if (err || --open === 0) close(err);
    };
    pipeline(plain, tls, half);
    pipeline(tls, plain, half);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(accept.port, accept.host, resolve));
  const a = server.address() as net.AddressInfo;
  if (opts.json) process.stdout.write(`${JSON.stringify({ event: 'listening', address: a.address, port: a.port })}\n`);
  else process.stderr.write(`tunnel listening on ${a.address}:${a.port} → TLS ${target.host}:${target.port}\n`);
  return server;
}
