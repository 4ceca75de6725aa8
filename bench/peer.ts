/**
 * The server side of the benchmarks, in its own process: raw `node:tls` or SslDuplex, chosen by
 * argv. It reports its port over IPC and, for the memory benchmark, its memory when asked.
 *
 *   node peer.js <raw|ssl> <sink|sink-apm|echo|hold|greet>      (env BENCH_WORKERS=N: N cluster workers)
 */
import cluster from 'node:cluster';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { createServer, type SslDuplex } from '../lib';

const [mode, role] = process.argv.slice(2) as ['raw' | 'ssl' | 'tcp', 'sink' | 'sink-apm' | 'echo' | 'hold' | 'greet'];
const cert = process.env.BENCH_CERT!;
const key = process.env.BENCH_KEY!;
const held: net.Socket[] = [];

function sinkStream(socket: net.Socket | SslDuplex): void {
  let n = 0;
  socket.on('data', (c: Buffer) => (n += c.length));
  socket.on('end', () => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    socket.end(b);
  });
  socket.on('error', () => undefined);
}

function sinkApm(s: SslDuplex): void {
  const buf = new Uint8Array(65536);
  let n = 0;
  const onRead = (ar: import('../lib').IAsyncResult): void => {
    let got: number;
    try {
      got = s.endRead(ar);
    } catch {
      s.dispose();
      return;
    }
    if (got === 0) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(n));
      s.end(b);
      return;
    }
    n += got;
    s.beginRead(buf, 0, buf.length, onRead);
  };
  s.beginRead(buf, 0, buf.length, onRead);
}

function onConnection(socket: net.Socket | SslDuplex): void {
  switch (role) {
    case 'sink':
      sinkStream(socket);
      break;
    case 'sink-apm':
      sinkApm(socket as SslDuplex);
      break;
    case 'echo':
      socket.setNoDelay?.(true);
      socket.on('error', () => undefined);
      socket.pipe(socket);
      break;
    case 'hold':
      socket.on('error', () => undefined);
      held.push(socket as net.Socket);
      break;
    case 'greet':
      // One byte the client waits for: both sides then finish the handshake (a TLS 1.3 client
      // that closed at 'secureConnect' would leave the server failing it, reading the close
      // before the client's Finished).
      socket.on('error', () => undefined);
      socket.end('!');
      break;
  }
}

/** A server on `workers` processes (node:cluster), as `ssl-duplex serve --workers N` runs. */
const workers = Number(process.env.BENCH_WORKERS ?? '1');

if (workers > 1 && cluster.isPrimary) {
  // The primary only forks and relays: the workers accept (round-robin) and report their port.
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (m: { port?: number }) => {
      if (m.port !== undefined && ++ready === workers) process.send!({ port: m.port });
    });
  }
  process.on('disconnect', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  const server: net.Server =
    mode === 'tcp'
      ? net.createServer({ allowHalfOpen: true }, (s) => onConnection(s))
      : mode === 'raw'
        ? tls.createServer({ cert, key, allowHalfOpen: true }, (s) => onConnection(s))
        : createServer({ cert, key, allowHalfOpen: true }, (s) => onConnection(s));
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as net.AddressInfo).port });
  });
  process.on('message', (m: { memory?: boolean; gc?: boolean; cpu?: boolean }) => {
    if (m.cpu) {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
      return;
    }
    if (m.memory) {
      (globalThis as { gc?: () => void }).gc?.();
      const u = process.memoryUsage();
      process.send!({ rss: u.rss, heapUsed: u.heapUsed, external: u.external, held: held.length });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
