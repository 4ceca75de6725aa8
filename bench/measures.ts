/**
 * What the benchmark measures, each for raw node:tls or SslDuplex: the server peers (their own
 * process), dialing, bulk, small writes, the in-memory pair, handshakes, ping-pong, idle memory.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { duplexPair, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tls from 'node:tls';
import { connect, SslDuplex, type IAsyncResult } from '../lib';
import type { Identity } from '../bin/pki';

export type Mode = 'raw' | 'ssl';
type Duplexish = tls.TLSSocket | SslDuplex | net.Socket;

export interface Pki {
  ca: string;
  p256: Identity;
  rsa: Identity;
}

export const MiB = 1 << 20;

// ───────────────────────────── peers and connections ─────────────────────────────

export interface PeerHandle {
  port: number;
  child: ChildProcess;
  memory: () => Promise<{ rss: number; heapUsed: number; external: number }>;
  /** The server process's CPU time so far (user + system), µs. */
  cpu: () => Promise<number>;
  stop: () => void;
}

/**
 * With two or more cores the client (this process) and the server each get a core of their own:
 * left to the scheduler, two busy processes on two cores make runs of the same code differ by 50 %.
 */
export const pinning = os.cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
export function pin(pid: number, cpu: number): void {
  if (pinning) spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

export async function startPeer(
  mode: Mode | 'tcp',
  role: string,
  id: Identity,
  workers = 1,
  pinned = workers === 1,
): Promise<PeerHandle> {
  const child = fork(path.join(__dirname, 'peer.js'), [mode, role], {
    env: { ...process.env, BENCH_CERT: id.cert, BENCH_KEY: id.key, BENCH_WORKERS: String(workers) },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Cluster workers inherit their primary's CPU: pinned, N workers would share one core.
  if (pinned) pin(child.pid!, 1);
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  return {
    port,
    child,
    cpu: async () => {
      child.send({ cpu: true });
      const [m] = (await once(child, 'message')) as [{ cpu: number }];
      return m.cpu;
    },
    memory: async () => {
      child.send({ memory: true });
      const [m] = (await once(child, 'message')) as [{ rss: number; heapUsed: number; external: number }];
      return m;
    },
    stop: () => {
      child.disconnect();
      child.kill();
    },
  };
}

/** Node at its best: one SecureContext per trust store, built once and passed to every connect. */
const sharedContexts = new Map<string, tls.SecureContext>();
function sharedContext(ca: string): tls.SecureContext {
  let ctx = sharedContexts.get(ca);
  if (ctx === undefined) sharedContexts.set(ca, (ctx = tls.createSecureContext({ ca })));
  return ctx;
}

/**
 * A connected, authenticated client. Raw node:tls gets a shared `secureContext`, as a careful Node
 * programmer writes it; `perCall` gives it the options instead, so that tls.connect builds a
 * context per connection (the comparison that shows what SslDuplex's context cache buys).
 */
export async function dial(mode: Mode | 'tcp', port: number, ca: string, perCall = false): Promise<Duplexish> {
  if (mode === 'tcp') {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(s, 'connect');
    return s;
  }
  const s =
    mode === 'raw'
      ? tls.connect({
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          ...(perCall ? { ca } : { secureContext: sharedContext(ca) }),
          allowHalfOpen: true,
        } as unknown as tls.ConnectionOptions)
      : connect({ port, host: '127.0.0.1', servername: 'localhost', ca, allowHalfOpen: true });
  await once(s, 'secureConnect');
  return s;
}

/** Collects the sink's 8-byte byte count, sent when it saw our end. */
function ackOf(sock: Duplexish): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    sock.on('data', (c: Buffer) => parts.push(c));
    sock.once('end', () => {
      const b = Buffer.concat(parts);
      resolve(b.length >= 8 ? b.readBigUInt64BE(0) : -1n);
    });
    sock.once('error', reject);
  });
}

function source(total: number, block: Buffer): Readable {
  let left = total;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function check(got: bigint, total: number): void {
  if (got !== BigInt(total)) throw new Error(`the sink counted ${got} bytes, expected ${total}`);
}

// ───────────────────────────── the measures ─────────────────────────────

/** MiB/s of `total` bytes through stream.pipeline to a sink in another process. */
export async function bulkStream(mode: Mode | 'tcp', port: number, ca: string, total: number): Promise<number> {
  const sock = await dial(mode, port, ca);
  const block = randomBytes(64 * 1024);
  const ack = ackOf(sock);
  const start = process.hrtime.bigint();
  await pipeline(source(total, block), sock as NodeJS.WritableStream);
  check(await ack, total);
  const s = seconds(start);
  sock.destroy();
  return total / MiB / s;
}

/** MiB/s with 64 KiB beginWrite/endWrite on our side and beginRead into 64 KiB on the peer's. */
export async function bulkApm(port: number, ca: string, total: number): Promise<number> {
  const sock = (await dial('ssl', port, ca)) as SslDuplex;
  const block = randomBytes(64 * 1024);
  const ack = ackOf(sock);
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let left = total;
    const step = (): void => {
      if (left === 0) {
        sock.end();
        resolve();
        return;
      }
      const n = Math.min(left, block.length);
      left -= n;
      sock.beginWrite(block, 0, n, (ar: IAsyncResult) => {
        try {
          sock.endWrite(ar);
        } catch (e) {
          reject(e);
          return;
        }
        step();
      });
    };
    step();
  });
  check(await ack, total);
  const s = seconds(start);
  sock.destroy();
  return total / MiB / s;
}

/** MiB/s over an in-memory pair in this process: TLSSocket pair vs SslDuplex pair. */
export async function inMemory(mode: Mode, pki: Pki, total: number): Promise<number> {
  const [a, b] = duplexPair();
  let client: Duplexish;
  let server: Duplexish;
  if (mode === 'raw') {
    server = new tls.TLSSocket(b, {
      isServer: true,
      secureContext: tls.createSecureContext({ cert: pki.p256.cert, key: pki.p256.key }),
    });
    client = tls.connect({ socket: a, servername: 'localhost', ca: pki.ca });
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  } else {
    const c = new SslDuplex(a, { allowHalfOpen: true });
    const s = new SslDuplex(b, { allowHalfOpen: true });
    await Promise.all([
      c.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca }),
      s.authenticateAsServerAsync(pki.p256),
    ]);
    client = c;
    server = s;
  }
  let n = 0;
  const done = new Promise<void>((resolve) => {
    server.on('data', (c: Buffer) => {
      n += c.length;
      if (n >= total) resolve();
    });
  });
  const block = randomBytes(64 * 1024);
  const start = process.hrtime.bigint();
  await Promise.all([pipeline(source(total, block), client as NodeJS.WritableStream), done]);
  const s = seconds(start);
  client.destroy();
  server.destroy();
  return total / MiB / s;
}

/** MiB/s of 256-byte write() calls through the stream face, honouring backpressure. */
export async function smallWrites(mode: Mode, port: number, ca: string, total: number): Promise<number> {
  const sock = await dial(mode, port, ca);
  const small = randomBytes(256);
  const ack = ackOf(sock);
  const start = process.hrtime.bigint();
  for (let left = total; left > 0; left -= small.length) {
    if (!sock.write(small)) await once(sock, 'drain');
  }
  sock.end();
  check(await ack, total);
  const s = seconds(start);
  sock.destroy();
  return total / MiB / s;
}

/**
 * Full handshakes per second (new connection each, no resumption), `concurrency` at a time. Each
 * waits for the server's one-byte greeting, so that the server's handshake completes too.
 */
export async function handshakes(
  mode: Mode,
  port: number,
  ca: string,
  count: number,
  concurrency: number,
  perCall = false,
): Promise<number> {
  let left = count;
  const worker = async (): Promise<void> => {
    while (left-- > 0) {
      const s = await dial(mode, port, ca, perCall);
      await once(s, 'data');
      s.destroy();
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / seconds(start);
}

/** Round-trip times (µs) of 64-byte messages through an echo server. */
export async function pingPong(mode: Mode, port: number, ca: string, rounds: number): Promise<number[]> {
  const sock = await dial(mode, port, ca);
  sock.setNoDelay(true);
  const msg = randomBytes(64);
  const rtts: number[] = [];
  let got = 0;
  let wake: (() => void) | null = null;
  sock.on('data', (c: Buffer) => {
    got += c.length;
    if (got >= 64 && wake) {
      got -= 64;
      const w = wake;
      wake = null;
      w();
    }
  });
  for (let i = 0; i < rounds + 200; i++) {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      wake = resolve;
      sock.write(msg);
    });
    if (i >= 200) rtts.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  sock.destroy();
  return rtts;
}

/** Server memory per idle connection (bytes), clients being raw TLS in this process. */
export async function idleMemory(mode: Mode, pki: Pki, connections: number): Promise<{ rss: number; heap: number }> {
  const peer = await startPeer(mode, 'hold', pki.p256);
  try {
    const before = await peer.memory();
    const clients: Duplexish[] = [];
    for (let i = 0; i < connections; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, connections - i) }, () => dial('raw', peer.port, pki.ca)),
      );
      clients.push(...batch);
    }
    await new Promise((r) => setTimeout(r, 300));
    const after = await peer.memory();
    for (const c of clients) c.destroy();
    return {
      rss: (after.rss - before.rss) / connections,
      heap: (after.heapUsed + after.external - before.heapUsed - before.external) / connections,
    };
  } finally {
    peer.stop();
  }
}
