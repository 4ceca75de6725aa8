/**
 * Soak: many concurrent connections through createServer/connect for a fixed time, mixing bulk
 * echo, ping-pong, half-close and abrupt disconnects from either side. Every connection checks
 * its bytes (SHA-256 of what it sent against what came back, or a prefix of it when the
 * connection was cut on purpose); errors are sorted into injected (on a connection the soak
 * cut) and unexpected; memory is sampled throughout.
 *
 *   node --expose-gc dist/spec/long/soak.js [--connections 200] [--seconds 60]
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type SslDuplex } from '../../lib';
import { fixtures } from '../helpers/fixtures';
import { forceGc, settle } from './hygiene';

/** The first byte a client sends names what it will do; the server acts on it. */
const Mode = {
  bulk: 0x42, // 'B': echo of 64 KiB – 1 MiB, the client half-closes and reads the echo to the end
  pingPong: 0x50, // 'P': 50 round trips of 64 bytes
  halfClose: 0x48, // 'H': the server reads to the end, then answers with the SHA-256 of it
  clientCut: 0x41, // 'A': the client sends, reads a little, then destroys or resets the connection
  serverCut: 0x4b, // 'K': the server destroys the connection after its first chunk
} as const;
type ModeName = keyof typeof Mode;
const cutModes: ReadonlySet<number> = new Set([Mode.clientCut, Mode.serverCut]);

export interface SoakReport {
  connections: number;
  byMode: Record<ModeName, number>;
  bytesVerified: number;
  corrupted: number;
  injectedErrors: Record<string, number>;
  unexpectedErrors: Record<string, number>;
  firstUnexpected: string[];
  uncaught: number;
  peakRssMiB: number;
  /** RSS and heap (after GC) once warm (a quarter of the way in) and at the end. */
  warmRssMiB: number;
  endRssMiB: number;
  warmHeapMiB: number;
  endHeapMiB: number;
  seconds: number;
}

/** Random bytes to slice payloads from: generating them per connection would be the benchmark. */
const POOL = randomBytes(4 << 20);
function payload(size: number): Buffer {
  const start = Math.floor(Math.random() * (POOL.length - size));
  return POOL.subarray(start, start + size);
}
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function pickMode(): ModeName {
  const r = Math.random();
  if (r < 0.35) return 'bulk';
  if (r < 0.6) return 'pingPong';
  if (r < 0.8) return 'halfClose';
  if (r < 0.9) return 'clientCut';
  return 'serverCut';
}

async function writeAll(sock: SslDuplex, data: Buffer, chunk: number): Promise<void> {
  for (let off = 0; off < data.length; off += chunk) {
    if (!sock.write(data.subarray(off, off + chunk))) await once(sock, 'drain');
  }
}

async function readToEnd(sock: SslDuplex): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of sock) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Runs one client connection; resolves with the bytes it verified, throws what went wrong. */
async function client(mode: ModeName, port: number, ca: string, modeOfPort: Map<number, number>): Promise<number> {
  const sock = connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
  sock.once('connect', () => modeOfPort.set(sock.localPort!, Mode[mode]));
  // A stalled connection is a failure to report, not a worker stuck past the deadline.
  const watchdog = setTimeout(() => sock.destroy(new Error('connection stalled for 30 s')), 30_000);
  try {
    await once(sock, 'secureConnect');
    const head = Buffer.from([Mode[mode]]);
    switch (mode) {
      case 'bulk': {
        const data = Buffer.concat([head, payload(65536 + Math.floor(Math.random() * 983040))]);
        const [, back] = await Promise.all([writeAll(sock, data, 16384).then(() => sock.end()), readToEnd(sock)]);
        if (back.length !== data.length || sha256(back) !== sha256(data)) throw new Corruption(mode);
        return data.length * 2;
      }
      case 'pingPong': {
        const reader = sock[Symbol.asyncIterator]();
        let pending = Buffer.alloc(0);
        sock.write(head);
        for (let i = 0; i < 50; i++) {
          const ping = payload(64);
          sock.write(ping);
          while (pending.length < 64 + (i === 0 ? 1 : 0)) {
            const next = await reader.next();
            if (next.done) throw new Error('ping-pong: the server ended early');
            pending = Buffer.concat([pending, next.value as Buffer]);
          }
          if (i === 0) pending = pending.subarray(1);
          if (!pending.subarray(0, 64).equals(ping)) throw new Corruption(mode);
          pending = pending.subarray(64);
        }
        sock.end();
        if (!(await reader.next()).done) throw new Error('ping-pong: bytes after the last pong');
        return 50 * 128 + 2;
      }
      case 'halfClose': {
        const data = Buffer.concat([head, payload(1 + Math.floor(Math.random() * 131072))]);
        const [, back] = await Promise.all([writeAll(sock, data, 8192).then(() => sock.end()), readToEnd(sock)]);
        if (back.toString() !== sha256(data)) throw new Corruption(mode);
        return data.length + back.length;
      }
      case 'clientCut':
      case 'serverCut': {
        const data = Buffer.concat([head, payload(4096 + Math.floor(Math.random() * (2 << 20)))]);
        const received: Buffer[] = [];
        let got = 0;
        // The client cuts half-way through the echo at most, while the server still reads and writes.
        const enough = 1 + Math.floor((Math.random() * data.length) / 2);
        const done = new Promise<void>((resolve) => {
          sock.on('data', (c: Buffer) => {
            received.push(c);
            got += c.length;
            if (mode === 'clientCut' && got >= enough) {
              if (Math.random() < 0.5) sock.destroy();
              else sock.resetAndDestroy();
            }
          });
          sock.once('close', () => resolve());
          sock.once('end', () => resolve());
        });
        sock.on('error', () => undefined); // counted below through the 'close' it leads to
        writeAll(sock, data, 16384).then(
          () => mode === 'serverCut' && sock.end(),
          () => undefined,
        );
        await done;
        const back = Buffer.concat(received);
        // Cut connections may lose the tail, never change or reorder a byte.
        if (!data.subarray(0, back.length).equals(back)) throw new Corruption(mode);
        sock.destroy();
        return back.length * 2;
      }
      default:
        throw new Error(`no such mode: ${String(mode)}`);
    }
  } finally {
    clearTimeout(watchdog);
    if (!sock.destroyed) sock.destroy();
    await (sock.closed ? Promise.resolve() : once(sock, 'close'));
    modeOfPort.delete(sock.localPort ?? -1);
  }
}

class Corruption extends Error {
  constructor(mode: string) {
    super(`${mode}: the bytes that came back differ from the bytes sent`);
    this.name = 'Corruption';
  }
}

/** The server's side of each mode. */
async function serve(sock: SslDuplex): Promise<void> {
  let mode = -1;
  const hash = createHash('sha256');
  // A plain for-await destroys the stream when the loop ends, and this side still has to write.
  for await (const c of sock.iterator({ destroyOnReturn: false })) {
    const chunk = c as Buffer;
    if (mode < 0) mode = chunk[0]!;
    if (mode === Mode.serverCut) return void sock.destroy();
    if (mode === Mode.halfClose) hash.update(chunk);
    else if (!sock.write(chunk)) await once(sock, 'drain');
  }
  if (mode === Mode.halfClose) sock.write(hash.digest('hex'));
  sock.end();
}

export async function runSoak(options: { connections: number; seconds: number }): Promise<SoakReport> {
  const gc = forceGc();
  const pki = await fixtures();
  const modeOfPort = new Map<number, number>();
  const report: SoakReport = {
    connections: 0,
    byMode: { bulk: 0, pingPong: 0, halfClose: 0, clientCut: 0, serverCut: 0 },
    bytesVerified: 0,
    corrupted: 0,
    injectedErrors: {},
    unexpectedErrors: {},
    firstUnexpected: [],
    uncaught: 0,
    peakRssMiB: 0,
    warmRssMiB: 0,
    endRssMiB: 0,
    warmHeapMiB: 0,
    endHeapMiB: 0,
    seconds: 0,
  };
  const count = (injected: boolean, err: Error, where: string): void => {
    const bucket = injected ? report.injectedErrors : report.unexpectedErrors;
    const key = `${where} ${err.name}`;
    bucket[key] = (bucket[key] ?? 0) + 1;
    if (!injected && report.firstUnexpected.length < 10) report.firstUnexpected.push(`${key}: ${err.message}`);
  };
  const onUncaught = (err: unknown): void => {
    report.uncaught++;
    if (report.firstUnexpected.length < 10) report.firstUnexpected.push(`uncaught: ${String(err)}`);
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const server = createServer({ cert: pki.server.cert, key: pki.server.key, allowHalfOpen: true }, (sock) => {
    const peerMode = (): number | undefined => modeOfPort.get(sock.remotePort ?? -1);
    serve(sock).catch((err: Error) => {
      const mode = peerMode();
      count(mode === undefined || cutModes.has(mode), err, 'server');
      sock.destroy();
    });
  });
  server.on('tlsClientError', (err: Error) => count(false, err, 'server handshake'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const sampler = setInterval(() => {
    report.peakRssMiB = Math.max(report.peakRssMiB, process.memoryUsage().rss / 1048576);
  }, 250);
  const warmAt = setTimeout(
    () => {
      gc();
      const m = process.memoryUsage();
      report.warmRssMiB = m.rss / 1048576;
      report.warmHeapMiB = m.heapUsed / 1048576;
    },
    (options.seconds * 1000) / 4,
  );

  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const mode = pickMode();
      report.connections++;
      report.byMode[mode]++;
      try {
        const verified = await client(mode, port, pki.ca.cert, modeOfPort);
        report.bytesVerified += verified;
      } catch (e) {
        const err = e as Error;
        if (err instanceof Corruption) report.corrupted++;
        count(cutModes.has(Mode[mode]) && !(err instanceof Corruption), err, 'client');
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  report.seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  clearTimeout(warmAt);
  server.close();
  await once(server, 'close');
  await settle(gc);
  const m = process.memoryUsage();
  report.endRssMiB = m.rss / 1048576;
  report.endHeapMiB = m.heapUsed / 1048576;
  report.peakRssMiB = Math.max(report.peakRssMiB, report.endRssMiB);
  process.removeListener('uncaughtException', onUncaught);
  process.removeListener('unhandledRejection', onUncaught);
  return report;
}

/** Heap (after GC) may move this much between the warm mark and the end before it counts as growth. */
export const HEAP_GROWTH_BOUND_MIB = 16;

/** The soak passes when no byte was corrupted, every error was one the soak injected, memory stayed flat. */
export function soakPassed(r: SoakReport): boolean {
  return (
    r.corrupted === 0 &&
    r.uncaught === 0 &&
    Object.keys(r.unexpectedErrors).length === 0 &&
    r.endHeapMiB - r.warmHeapMiB < HEAP_GROWTH_BOUND_MIB
  );
}

export function formatSoak(r: SoakReport, concurrency: number): string {
  const modes = Object.entries(r.byMode)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `soak: ${concurrency} concurrent for ${r.seconds.toFixed(0)} s: ${r.connections} connections (${modes}); ` +
    `${(r.bytesVerified / 1048576).toFixed(0)} MiB verified, ${r.corrupted} corrupted; ` +
    `injected errors ${JSON.stringify(r.injectedErrors)}, unexpected ${JSON.stringify(r.unexpectedErrors)}, ` +
    `uncaught ${r.uncaught}; peak RSS ${r.peakRssMiB.toFixed(0)} MiB, RSS ${r.warmRssMiB.toFixed(0)} → ` +
    `${r.endRssMiB.toFixed(0)} MiB, heap after GC ${r.warmHeapMiB.toFixed(1)} → ${r.endHeapMiB.toFixed(1)} MiB`
  );
}

if (require.main === module) {
  const arg = (name: string, def: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
  };
  const connections = arg('--connections', 200);
  let finished = false;
  process.on('exit', () => {
    if (!finished) {
      console.log('soak: stalled with nothing left to run');
      process.exitCode = 1;
    }
  });
  runSoak({ connections, seconds: arg('--seconds', 60) }).then(
    (r) => {
      finished = true;
      for (const line of r.firstUnexpected) console.log(line);
      console.log(formatSoak(r, connections));
      process.exit(soakPassed(r) ? 0 : 1);
    },
    (err: Error) => {
      finished = true;
      console.error(err);
      process.exit(1);
    },
  );
}
