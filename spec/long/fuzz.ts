/**
 * Hostile peer bytes against SslDuplex, in both roles. Each case feeds one hostile input to a
 * fresh SslDuplex (server: instead of a ClientHello; client: in answer to its ClientHello), then
 * ends the transport, and checks the outcome: AuthenticationError or IOError within a bounded
 * time, the inner stream released, no uncaught exception or unhandled rejection, no growth in
 * memory. Three cases in four run over an in-memory pair; the fourth over loopback TCP through a
 * plain Duplex that forwards to the socket (the JS path), whose peer stops at a random stage
 * (before, inside or after its input) by FIN or by RST. No 'error' listener is put on the
 * SslDuplex or on its inner stream: an error that escapes is an uncaught exception here.
 *
 *   node dist/spec/long/fuzz.js [--cases N] [--seed S]     (npm run fuzz: 10,000 cases)
 */
import * as net from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';
import { AuthenticationError, IOError, SslDuplex } from '../../lib';
import { fixtures, type Fixtures } from '../helpers/fixtures';
import { forwarding } from '../helpers/forwarding';

export interface FuzzReport {
  cases: number;
  /** Cases run over loopback TCP through a forwarding Duplex. */
  tcpCases: number;
  failures: Array<{ case: number; kind: string; role: string; outcome: string }>;
  byOutcome: Record<string, number>;
  slowestMs: number;
  slowestKind: string;
  heapGrowthMiB: number;
  uncaught: number;
}

type Role = 'server' | 'client';

/** A small deterministic PRNG (mulberry32): the same seed replays the same cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Real flights of a real handshake, recorded once, to mutate. */
interface Flights {
  clientHello: Buffer;
  serverFlight: Buffer;
}

async function recordFlights(pki: Fixtures): Promise<Flights> {
  const [a, b] = duplexPair();
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  const tapA = a.write.bind(a);
  const tapB = b.write.bind(b);
  (a as { write: unknown }).write = (c: Buffer, ...rest: unknown[]) => (
    toServer.push(Buffer.from(c)),
    tapA(c, ...(rest as []))
  );
  (b as { write: unknown }).write = (c: Buffer, ...rest: unknown[]) => (
    toClient.push(Buffer.from(c)),
    tapB(c, ...(rest as []))
  );
  const client = new SslDuplex(a);
  const server = new SslDuplex(b);
  await Promise.all([
    client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
    server.authenticateAsServerAsync(pki.server),
  ]);
  client.dispose();
  server.dispose();
  return { clientHello: toServer[0]!, serverFlight: Buffer.concat(toClient) };
}

const kinds = [
  'random',
  'header+random',
  'flipped-bits',
  'truncated',
  'oversized-length',
  'empty-records',
  'alert-flood',
  'plaintext-http',
  'replayed-hello',
] as const;
type Kind = (typeof kinds)[number];

function makeInput(kind: Kind, role: Role, rnd: () => number, flights: Flights): Buffer {
  const real = role === 'server' ? flights.clientHello : flights.serverFlight;
  const int = (n: number): number => Math.floor(rnd() * n);
  const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  switch (kind) {
    case 'random':
      return randomBytes(1 + int(4096));
    case 'header+random': {
      const len = int(2048);
      return Buffer.concat([
        Buffer.from([[20, 21, 22, 23, 24][int(5)]!, 3, int(5), len >> 8, len & 0xff]),
        randomBytes(len),
      ]);
    }
    case 'flipped-bits': {
      const copy = Buffer.from(real);
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) copy[int(copy.length)]! ^= 1 << int(8);
      return copy;
    }
    case 'truncated':
      return real.subarray(0, 1 + int(real.length - 1));
    case 'oversized-length': {
      const len = 0x4800 + int(0xffff - 0x4800);
      return Buffer.concat([Buffer.from([22, 3, 3, len >> 8, len & 0xff]), randomBytes(int(64))]);
    }
    case 'empty-records': {
      const n = 1 + int(2000);
      const rec = Buffer.from([role === 'server' ? 22 : 23, 3, 3, 0, 0]);
      return Buffer.concat(Array.from({ length: n }, () => rec));
    }
    case 'alert-flood': {
      const n = 1 + int(500);
      return Buffer.concat(Array.from({ length: n }, () => Buffer.from([21, 3, 3, 0, 2, 1, int(256)])));
    }
    case 'plaintext-http':
      return Buffer.from(
        role === 'server'
          ? 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
          : 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n',
      );
    case 'replayed-hello':
      return Buffer.concat([real, real]);
  }
}

/** Where the TCP peer stops, and how. */
interface Ending {
  /** Bytes of the input sent before stopping (0: none, input.length: all). */
  sent: number;
  /** Milliseconds between the last byte and the stop. */
  delayMs: number;
  how: 'fin' | 'rst';
}

function makeEnding(input: Buffer, rnd: () => number): Ending {
  const stage = Math.floor(rnd() * 4);
  return {
    sent: stage === 0 ? 0 : stage === 1 ? Math.floor(rnd() * input.length) : input.length,
    delayMs: stage === 3 ? 1 + Math.floor(rnd() * 20) : 0,
    how: rnd() < 0.5 ? 'fin' : 'rst',
  };
}

/** A loopback listener that hands out connected socket pairs, one per case. */
class TcpPairs {
  readonly #server = net.createServer();
  #waiting: ((s: net.Socket) => void) | undefined;

  async listen(): Promise<void> {
    this.#server.on('connection', (s) => this.#waiting?.(s));
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  async pair(): Promise<[net.Socket, net.Socket]> {
    const accepted = new Promise<net.Socket>((resolve) => (this.#waiting = resolve));
    const dialed = net.connect((this.#server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => dialed.once('connect', resolve).once('error', reject));
    return [dialed, await accepted];
  }

  close(): void {
    this.#server.close();
  }
}

/** One case: returns the outcome name ('AuthenticationError', 'IOError' or what went wrong). */
async function runCase(
  role: Role,
  input: Buffer,
  pki: Fixtures,
  limitMs: number,
  tcp?: { pairs: TcpPairs; ending: Ending },
  leaveOpen = false,
): Promise<{ outcome: string; released: boolean }> {
  let mine: Duplex;
  let theirs: Duplex;
  let send: () => void;
  if (tcp === undefined) {
    [mine, theirs] = duplexPair();
    send = () => {
      theirs.write(input);
      theirs.end();
    };
  } else {
    const [a, b] = await tcp.pairs.pair();
    const peer = role === 'server' ? a : b;
    mine = forwarding(role === 'server' ? b : a);
    theirs = peer;
    peer.on('error', () => undefined); // the hostile peer's own socket is not under test
    const { sent, delayMs, how } = tcp.ending;
    send = () => {
      if (sent > 0) peer.write(input.subarray(0, sent));
      const stop = (): void => void (how === 'fin' ? peer.end() : peer.resetAndDestroy());
      if (delayMs > 0) setTimeout(stop, delayMs);
      else stop();
    };
  }
  // leaveInnerStreamOpen runs TLS over the record-feeding path (the one unwrapAsync needs).
  const stream = new SslDuplex(mine, { leaveInnerStreamOpen: leaveOpen });
  const auth =
    role === 'server'
      ? stream.authenticateAsServerAsync(pki.server)
      : stream.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert });
  if (role === 'server') send();
  else theirs.once('data', send); // answer the ClientHello
  theirs.resume();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    auth.then(
      () => 'authenticated',
      (e: unknown) =>
        e instanceof AuthenticationError
          ? 'AuthenticationError'
          : e instanceof IOError
            ? 'IOError'
            : `other:${String(e)}`,
    ),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), limitMs))),
  ]);
  clearTimeout(timer);
  await new Promise((r) => setImmediate(r));
  // Released by the failure itself: closed, or with leaveInnerStreamOpen handed back with none of
  // our listeners on it.
  const released =
    (mine as Duplex).destroyed ||
    (mine as Duplex).writableEnded ||
    (leaveOpen && (mine as Duplex).listenerCount('data') === 0);
  stream.dispose();
  if (leaveOpen) {
    // Handed back: the inner stream is the caller's (this harness's) to close, and its errors too.
    (mine as Duplex).on('error', () => undefined);
    (mine as Duplex).destroy();
  }
  theirs.destroy();
  return { outcome, released };
}

export async function runFuzz(options: { cases: number; seed?: number; limitMs?: number }): Promise<FuzzReport> {
  const pki = await fixtures();
  const flights = await recordFlights(pki);
  const rnd = prng(options.seed ?? 1);
  const limitMs = options.limitMs ?? 2000;
  let uncaught = 0;
  const onUncaught = (err: unknown): void => {
    uncaught++;
    if (process.env.FUZZ_VERBOSE) console.error('uncaught:', err);
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  const report: FuzzReport = {
    cases: 0,
    tcpCases: 0,
    failures: [],
    byOutcome: {},
    slowestMs: 0,
    slowestKind: '',
    heapGrowthMiB: 0,
    uncaught: 0,
  };
  const pairs = new TcpPairs();
  await pairs.listen();
  try {
    for (let i = 0; i < options.cases; i++) {
      const kind = kinds[i % kinds.length]!;
      const role: Role = Math.floor(i / kinds.length) % 2 === 0 ? 'server' : 'client';
      const input = makeInput(kind, role, rnd, flights);
      const tcp = i % 4 === 3 ? { pairs, ending: makeEnding(input, rnd) } : undefined;
      if (tcp) report.tcpCases++;
      const started = performance.now();
      const { outcome, released } = await runCase(role, input, pki, limitMs, tcp, i % 5 === 1);
      const ms = performance.now() - started;
      if (ms > report.slowestMs) {
        report.slowestMs = ms;
        report.slowestKind = `${kind}/${role}`;
      }
      report.cases++;
      report.byOutcome[outcome] = (report.byOutcome[outcome] ?? 0) + 1;
      // A mutation can leave a valid handshake (a flipped bit in a random field): that is fine.
      const ok =
        (outcome === 'AuthenticationError' || outcome === 'IOError' || outcome === 'authenticated') && released;
      if (!ok)
        report.failures.push({ case: i, kind, role, outcome: released ? outcome : `${outcome}, inner not released` });
    }
  } finally {
    pairs.close();
    process.removeListener('uncaughtException', onUncaught);
    process.removeListener('unhandledRejection', onUncaught);
  }
  gc?.();
  report.heapGrowthMiB = (process.memoryUsage().heapUsed - heapStart) / 1048576;
  report.uncaught = uncaught;
  return report;
}

if (require.main === module) {
  const arg = (name: string, def: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
  };
  const started = Date.now();
  runFuzz({ cases: arg('--cases', 10000), seed: arg('--seed', 1) }).then(
    (r) => {
      for (const f of r.failures.slice(0, 20)) console.log(`FAIL case ${f.case} ${f.kind}/${f.role}: ${f.outcome}`);
      const outcomes = Object.entries(r.byOutcome)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(
        `fuzz: ${r.cases} cases (${r.tcpCases} over TCP through a forwarding Duplex), ${r.failures.length} failures, ${r.uncaught} uncaught; outcomes: ${outcomes}; slowest ${r.slowestMs.toFixed(0)} ms (${r.slowestKind}); heap growth ${r.heapGrowthMiB.toFixed(1)} MiB; ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      process.exit(r.failures.length === 0 && r.uncaught === 0 ? 0 : 1);
    },
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
