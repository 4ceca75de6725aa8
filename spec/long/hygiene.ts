/**
 * Resource hygiene: many connect → authenticate → transfer → close cycles, then a check that the
 * process is back where it started: heap, RSS, active handles and timers, listeners on process and
 * on inner streams that outlive their SslDuplex, and that every SslDuplex became garbage.
 *
 * The cycles rotate through the ways a connection ends, including the ones most likely to leak:
 * dispose with a read pending under a readTimeout (its timer must go), dispose with
 * leaveInnerStreamOpen (every listener on the inner stream must go), the stream face's end().
 *
 *   node --expose-gc dist/spec/long/hygiene.js [--cycles N]     (npm run soak runs 10,000 each)
 */
import * as net from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { SslDuplex } from '../../lib';
import { fixtures, type Fixtures } from '../helpers/fixtures';
import { readExactly } from '../helpers/pairs';

export type HygieneTransport = 'memory' | 'tcp';

export interface HygieneReport {
  transport: HygieneTransport;
  cycles: number;
  seconds: number;
  heapGrowthMiB: number;
  rssGrowthMiB: number;
  /** Active resources by type (Timeout, TCPSocketWrap…) that were not there at the start. */
  leakedResources: Record<string, number>;
  /** process listeners added and not removed. */
  leakedProcessListeners: number;
  /** Cycles whose inner stream (left open) kept a listener SslDuplex had added. */
  innerListenerLeaks: number;
  /** SslDuplex objects still reachable after the run and a full GC. */
  survivors: number;
  errors: string[];
}

/** A callable gc() even when node was not started with --expose-gc. */
export function forceGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Lets pending callbacks run and collects garbage, a few times over: memory figures mean something after. */
export async function settle(gc: () => void): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

function processListenerCount(): number {
  return process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0);
}

function listenerCounts(d: Duplex): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of d.eventNames()) out[String(e)] = d.listenerCount(e);
  return out;
}

const PAYLOAD = Buffer.alloc(16 * 1024, 0x42);

/** A loopback server that hands each accepted socket to whoever waits next. */
class Acceptor {
  readonly server = net.createServer();
  #waiting: Array<(s: net.Socket) => void> = [];
  constructor() {
    this.server.on('connection', (s) => this.#waiting.shift()?.(s));
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }
  async pair(port: number): Promise<[Duplex, Duplex]> {
    const accepted = new Promise<net.Socket>((r) => this.#waiting.push(r));
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    return [client, await accepted];
  }
}

function closed(d: Duplex): Promise<void> {
  return d.destroyed && d.closed ? Promise.resolve() : new Promise((r) => d.once('close', () => r()));
}

/** One cycle; `way` picks how the connection ends. */
async function cycle(
  way: number,
  inner: [Duplex, Duplex],
  pki: Fixtures,
  refs: Array<WeakRef<SslDuplex>>,
): Promise<boolean> {
  const leaveOpen = way === 2;
  const [a, b] = inner;
  // A real transport tells the other end when one end goes away; an in-memory pair does not.
  if (!leaveOpen) {
    a.once('close', () => b.destroy());
    b.once('close', () => a.destroy());
  }
  const before = leaveOpen ? [listenerCounts(a), listenerCounts(b)] : [];
  const client = new SslDuplex(a, { leaveInnerStreamOpen: leaveOpen, readTimeout: way === 1 ? 60_000 : undefined });
  const server = new SslDuplex(b, { leaveInnerStreamOpen: leaveOpen });
  refs.push(new WeakRef(client), new WeakRef(server));
  await Promise.all([
    client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }),
    server.authenticateAsServerAsync(pki.server),
  ]);
  await Promise.all([client.writeAsync(PAYLOAD), readExactly(server, PAYLOAD.length)]);
  await Promise.all([server.writeAsync(PAYLOAD), readExactly(client, PAYLOAD.length)]);
  let innerLeak = false;
  switch (way) {
    case 0: // orderly: close_notify both ways, then dispose
      await Promise.all([client.shutdownAsync(), server.shutdownAsync()]);
      client.dispose();
      server.dispose();
      break;
    case 1: {
      // dispose with a read pending under a readTimeout: the read fails, its timer goes
      const pending = client.readAsync(new Uint8Array(64)).catch(() => undefined);
      client.dispose();
      server.dispose();
      await pending;
      break;
    }
    case 2: {
      client.dispose();
      server.dispose();
      await Promise.all([closed(client), closed(server)]);
      const after = [listenerCounts(a), listenerCounts(b)];
      innerLeak = JSON.stringify(after) !== JSON.stringify(before);
      a.destroy();
      b.destroy();
      break;
    }
    default: // the stream face: end() on both sides, read to the end
      client.end();
      server.resume();
      client.resume();
      server.end();
      break;
  }
  await Promise.all([closed(client), closed(server), closed(a), closed(b)]);
  return innerLeak;
}

export async function runHygiene(options: { cycles: number; transport: HygieneTransport }): Promise<HygieneReport> {
  const gc = forceGc();
  const pki = await fixtures();
  const acceptor = options.transport === 'tcp' ? new Acceptor() : undefined;
  const port = acceptor ? await acceptor.listen() : 0;
  const inner = (): Promise<[Duplex, Duplex]> => (acceptor ? acceptor.pair(port) : Promise.resolve(duplexPair()));
  const refs: Array<WeakRef<SslDuplex>> = [];
  const errors: string[] = [];
  let innerListenerLeaks = 0;
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      try {
        if (await withinTime(cycle(i % 4, await inner(), pki, refs), 10_000)) innerListenerLeaks++;
      } catch (e) {
        if (errors.length < 10) errors.push(`cycle ${i} (way ${i % 4}): ${(e as Error).stack ?? String(e)}`);
      }
    }
  };

  // Warm up first: lazily built caches (secure contexts, JIT code, buffer pools) are not leaks.
  await run(Math.min(100, options.cycles));
  refs.length = 0;
  innerListenerLeaks = 0;
  await settle(gc);
  const base = { mem: process.memoryUsage(), resources: resourceCounts(), listeners: processListenerCount() };
  const started = performance.now();
  await run(options.cycles);
  const seconds = (performance.now() - started) / 1000;
  acceptor?.server.close();
  if (acceptor) await new Promise((r) => acceptor.server.once('close', r));
  await settle(gc);
  // Sockets close a tick or two after 'close' fires on the streams above them.
  const deadline = Date.now() + 2000;
  let resources = resourceCounts();
  while (Date.now() < deadline && Object.keys(grown(base.resources, resources)).length > 0) {
    await new Promise((r) => setTimeout(r, 20));
    resources = resourceCounts();
  }
  await settle(gc);
  const mem = process.memoryUsage();
  return {
    transport: options.transport,
    cycles: options.cycles,
    seconds,
    heapGrowthMiB: (mem.heapUsed - base.mem.heapUsed) / 1048576,
    rssGrowthMiB: (mem.rss - base.mem.rss) / 1048576,
    leakedResources: grown(base.resources, resources),
    leakedProcessListeners: processListenerCount() - base.listeners,
    innerListenerLeaks,
    survivors: refs.filter((r) => r.deref() !== undefined).length,
    errors,
  };
}

/** A stalled cycle is a failure to report, not a hang (nor a silent exit with nothing pending). */
async function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cycle stalled for ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, stall]);
  } finally {
    clearTimeout(timer);
  }
}

function grown(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    if (v > (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  }
  return out;
}

export function formatHygiene(r: HygieneReport): string {
  return (
    `hygiene (${r.transport}): ${r.cycles} cycles in ${r.seconds.toFixed(1)} s; heap ${sign(r.heapGrowthMiB)} MiB, ` +
    `RSS ${sign(r.rssGrowthMiB)} MiB; leaked resources ${JSON.stringify(r.leakedResources)}, process listeners ` +
    `${r.leakedProcessListeners}, inner-stream listener leaks ${r.innerListenerLeaks}, SslDuplex survivors ` +
    `${r.survivors}; errors ${r.errors.length}`
  );
}

function sign(n: number): string {
  return (n >= 0 ? '+' : '') + n.toFixed(1);
}

if (require.main === module) {
  const i = process.argv.indexOf('--cycles');
  const cycles = i >= 0 ? Number(process.argv[i + 1]) : 10000;
  let finished = false;
  process.on('exit', () => {
    if (!finished) {
      console.log('hygiene: stalled with nothing left to run');
      process.exitCode = 1;
    }
  });
  (async () => {
    let ok = true;
    for (const transport of ['memory', 'tcp'] as const) {
      const r = await runHygiene({ cycles, transport });
      for (const e of r.errors) console.log(e);
      console.log(formatHygiene(r));
      ok &&= r.errors.length === 0 && r.survivors === 0 && r.innerListenerLeaks === 0 && r.heapGrowthMiB < 8;
    }
    finished = true;
    process.exit(ok ? 0 : 1);
  })().catch((e: Error) => {
    console.error(e);
    process.exit(1);
  });
}
