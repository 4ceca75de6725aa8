import * as net from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';
import {
  createServer,
  SslDuplex,
  type SslServer,
  type SslDuplexOptions,
  type SslClientAuthenticationOptions,
  type SslServerAuthenticationOptions,
} from '../../lib';
import { fixtures, type Fixtures } from './fixtures';

export type Transport = 'memory' | 'tcp';

/** Two connected inner streams: an in-memory pair or a loopback TCP connection. */
export async function innerPair(kind: Transport): Promise<[Duplex, Duplex]> {
  if (kind === 'memory') return duplexPair();
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  const serverSide = await accepted;
  server.close();
  return [client, serverSide];
}

/** A loopback listener for one connection: its port, the accepted socket to come, and close(). */
export async function acceptOne(): Promise<{ port: number; next: Promise<net.Socket>; close: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const next = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  return { port: (server.address() as net.AddressInfo).port, next, close: () => server.close() };
}

/** Listens on a free loopback port; resolves with it. */
export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A connected loopback socket to `port`. */
export async function dialTcp(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  return s;
}

export interface PairOptions {
  transport?: Transport;
  client?: Partial<SslClientAuthenticationOptions>;
  server?: Partial<SslServerAuthenticationOptions>;
  clientDuplex?: SslDuplexOptions;
  serverDuplex?: SslDuplexOptions;
}

/** Two SslDuplex ends, not yet authenticated, over the chosen transport. */
export async function sslPair(options: PairOptions = {}): Promise<[SslDuplex, SslDuplex, Duplex, Duplex]> {
  const [a, b] = await innerPair(options.transport ?? 'memory');
  return [new SslDuplex(a, options.clientDuplex ?? {}), new SslDuplex(b, options.serverDuplex ?? {}), a, b];
}

/** Two authenticated SslDuplex ends; the client trusts the test CA and expects `localhost`. */
export async function authenticatedPair(options: PairOptions = {}): Promise<[SslDuplex, SslDuplex, Duplex, Duplex]> {
  const pki = await fixtures();
  const [client, server, a, b] = await sslPair(options);
  await Promise.all([
    client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert, ...options.client }),
    server.authenticateAsServerAsync({ serverCertificate: pki.server, ...options.server }),
  ]);
  return [client, server, a, b];
}

/**
 * Wraps two already-connected inner streams (possibly intercepted or rechunked by the spec) and
 * authenticates them as in `authenticatedPair`.
 */
export async function authenticateOver(a: Duplex, b: Duplex): Promise<[SslDuplex, SslDuplex]> {
  const pki = await fixtures();
  const client = new SslDuplex(a);
  const server = new SslDuplex(b);
  await Promise.all([
    client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
    server.authenticateAsServerAsync(pki.server),
  ]);
  return [client, server];
}

/** Reads with readAsync until the end of the stream. */
export async function readAll(stream: SslDuplex, size = 65536): Promise<Buffer> {
  const parts: Buffer[] = [];
  const buf = new Uint8Array(size);
  for (;;) {
    const n = await stream.readAsync(buf, 0, buf.length);
    if (n === 0) return Buffer.concat(parts);
    parts.push(Buffer.from(buf.subarray(0, n)));
  }
}

/** Reads with readAsync until `total` bytes arrived. */
export async function readExactly(stream: SslDuplex, total: number): Promise<Buffer> {
  const out = Buffer.alloc(total);
  let got = 0;
  while (got < total) {
    const n = await stream.readAsync(out, got, total - got);
    if (n === 0) throw new Error(`stream ended after ${got} of ${total} bytes`);
    got += n;
  }
  return out;
}

/** From now on the inner stream refuses every write, as a socket whose peer reset it does. */
export function refuseWrites(inner: Duplex): void {
  (inner as unknown as { write: () => never }).write = () => {
    throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
  };
}

export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** createServer() with the test certificate, asking for a client certificate from the test CA; listening. */
export async function certRequiringServer(pki: Fixtures): Promise<{ server: SslServer; port: number }> {
  const server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, ca: pki.ca.cert });
  return { server, port: await listen(server) };
}
