/**
 * SslDuplex against raw node:tls, the same work in the same run, interleaved (A B A B …) after a
 * warm-up, servers in their own process. Prints medians, min–max and the ratio, and writes the
 * last full run to bench/RESULTS.md.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { duplexPair, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tls from 'node:tls';
import { connect, SslDuplex, type IAsyncResult } from '../lib';
import { CertificateAuthority, type Identity } from '../bin/pki';
import { percentile, summarize, type Summary } from './stats';

type Mode = 'raw' | 'ssl';
type Duplexish = tls.TLSSocket | SslDuplex | net.Socket;

interface Pki {
  ca: string;
  p256: Identity;
  rsa: Identity;
}

interface Row {
  measure: string;
  unit: string;
  raw: Summary;
  ssl: Summary;
  /** ssl/raw for "higher is better", raw/ssl would hide regressions: the ratio is always ssl/raw. */
  ratio: number;
  target: string;
  met: boolean;
  note?: string;
}

interface Options {
  quick: boolean;
  /** Run only these sections: bulk, small, pair, handshake, pingpong, memory, context. */
  only?: string[];
}

const MiB = 1 << 20;

// ───────────────────────────── peers and connections ─────────────────────────────

interface PeerHandle {
  port: number;
  child: ChildProcess;
  memory: () => Promise<{ rss: number; heapUsed: number; external: number }>;
  stop: () => void;
}

/**
 * With two or more cores the client (this process) and the server each get a core of their own:
 * left to the scheduler, two busy processes on two cores make runs of the same code differ by 50 %.
 */
const pinning = os.cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
function pin(pid: number, cpu: number): void {
  if (pinning) spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

async function startPeer(mode: Mode | 'tcp', role: string, id: Identity): Promise<PeerHandle> {
  const child = fork(path.join(__dirname, 'peer.js'), [mode, role], {
    env: { ...process.env, BENCH_CERT: id.cert, BENCH_KEY: id.key },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  pin(child.pid!, 1);
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  return {
    port,
    child,
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

async function dial(mode: Mode | 'tcp', port: number, ca: string): Promise<Duplexish> {
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
          ca,
          allowHalfOpen: true,
        } as tls.ConnectionOptions)
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
async function bulkStream(mode: Mode | 'tcp', port: number, ca: string, total: number): Promise<number> {
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
async function bulkApm(port: number, ca: string, total: number): Promise<number> {
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
async function inMemory(mode: Mode, pki: Pki, total: number): Promise<number> {
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
async function smallWrites(mode: Mode, port: number, ca: string, total: number): Promise<number> {
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

/** Full handshakes per second (new connection each, no resumption), `concurrency` at a time. */
async function handshakes(mode: Mode, port: number, ca: string, count: number, concurrency: number): Promise<number> {
  let left = count;
  const worker = async (): Promise<void> => {
    while (left-- > 0) {
      const s = await dial(mode, port, ca);
      s.destroy();
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / seconds(start);
}

/** Round-trip times (µs) of 64-byte messages through an echo server. */
async function pingPong(mode: Mode, port: number, ca: string, rounds: number): Promise<number[]> {
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
async function idleMemory(mode: Mode, pki: Pki, connections: number): Promise<{ rss: number; heap: number }> {
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

// ───────────────────────────── running and reporting ─────────────────────────────

async function interleaved(runs: number, measure: (mode: Mode) => Promise<number>): Promise<[Summary, Summary]> {
  await measure('raw');
  await measure('ssl');
  const raw: number[] = [];
  const ssl: number[] = [];
  for (let i = 0; i < runs; i++) {
    raw.push(await measure('raw'));
    ssl.push(await measure('ssl'));
  }
  return [summarize(raw), summarize(ssl)];
}

function row(
  measure: string,
  unit: string,
  pair: [Summary, Summary],
  atLeast: number | null,
  atMost: number | null,
): Row {
  const [raw, ssl] = pair;
  const ratio = ssl.median / raw.median;
  const met = (atLeast === null || ratio >= atLeast) && (atMost === null || ratio <= atMost);
  const target = atLeast !== null ? `≥ ${atLeast.toFixed(2)}` : `≤ ${atMost!.toFixed(2)}`;
  return { measure, unit, raw, ssl, ratio, target, met };
}

function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function cell(s: Summary): string {
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

function table(rows: Row[]): string {
  const lines = [
    '| measure | unit | raw node:tls, median (min–max) | SslDuplex, median (min–max) | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.measure} | ${r.unit} | ${cell(r.raw)} | ${cell(r.ssl)} | ${r.ratio.toFixed(2)} | ${r.target} | ${r.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

function opensslSpeed(): number | null {
  const r = spawnSync('openssl', ['speed', '-evp', 'aes-128-gcm', '-seconds', '2', '-bytes', '16384'], {
    encoding: 'utf8',
    timeout: 30000,
  });
  const m = /aes-128-gcm\s+([\d.]+)k/i.exec(r.stdout ?? '');
  return m ? (Number(m[1]) * 1000) / MiB : null;
}

export async function runBenchmarks(options: Options): Promise<Row[]> {
  const quick = options.quick;
  pin(process.pid, 0);
  const runs = quick ? 2 : 5;
  // Throughput and latency rows, whose medians move most with the machine's drift, get more runs.
  const moreRuns = quick ? 2 : 9;
  const shortRuns = quick ? 2 : 11;
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const ca = await CertificateAuthority.create('bench CA');
  const pki: Pki = {
    ca: ca.cert,
    p256: await ca.issue({ cn: 'localhost', names: ['localhost', '127.0.0.1'] }),
    rsa: await ca.issue({ cn: 'localhost', names: ['localhost', '127.0.0.1'], kind: 'RSA-2048' }),
  };
  const rows: Row[] = [];
  const want = (section: string): boolean => !options.only || options.only.includes(section);
  const bulk = quick ? 64 * MiB : 1024 * MiB;
  const mem = quick ? 32 * MiB : 256 * MiB;
  const small = quick ? 8 * MiB : 64 * MiB;

  const sinks = { raw: await startPeer('raw', 'sink', pki.p256), ssl: await startPeer('ssl', 'sink', pki.p256) };
  const apmSink = await startPeer('ssl', 'sink-apm', pki.p256);
  try {
    if (want('bulk')) {
      log(`bulk ${bulk / MiB} MiB, stream face …`);
      rows.push(
        row(
          `bulk ${bulk / MiB} MiB over loopback TCP, stream face (pipeline)`,
          'MiB/s',
          await interleaved(moreRuns, (m) => bulkStream(m, sinks[m].port, pki.ca, bulk)),
          1.0,
          null,
        ),
      );
      log(`bulk ${bulk / MiB} MiB, APM face …`);
      rows.push(
        row(
          `bulk ${bulk / MiB} MiB, APM face (64 KiB beginWrite/endWrite, beginRead into 64 KiB)`,
          'MiB/s',
          await interleaved(moreRuns, (m) =>
            m === 'raw' ? bulkStream('raw', sinks.raw.port, pki.ca, bulk) : bulkApm(apmSink.port, pki.ca, bulk),
          ),
          0.9,
          null,
        ),
      );
    }
    if (want('pair')) {
      log(`in-memory pair ${mem / MiB} MiB …`);
      rows.push(
        row(
          `bulk ${mem / MiB} MiB over an in-memory Duplex pair (vs TLSSocket over the same pair)`,
          'MiB/s',
          await interleaved(moreRuns, (m) => inMemory(m, pki, mem)),
          1.0,
          null,
        ),
      );
    }
    if (want('small')) {
      log(`256-byte writes, ${small / MiB} MiB …`);
      rows.push(
        row(
          `256-byte writes, ${small / MiB} MiB total, stream face`,
          'MiB/s',
          await interleaved(shortRuns, (m) => smallWrites(m, sinks[m].port, pki.ca, small)),
          1.0,
          null,
        ),
      );
    }
  } finally {
    sinks.raw.stop();
    sinks.ssl.stop();
    apmSink.stop();
  }

  const kinds = [
    ['P-256', pki.p256],
    ['RSA-2048', pki.rsa],
  ] as const;
  for (const [kind, id] of want('handshake') ? kinds : []) {
    const peers = { raw: await startPeer('raw', 'hold', id), ssl: await startPeer('ssl', 'hold', id) };
    try {
      for (const concurrency of [1, 16]) {
        const count = quick ? 100 : concurrency === 1 ? 400 : 800;
        log(`handshakes ${kind}, ${concurrency} at a time …`);
        rows.push(
          row(
            `full TLS 1.3 handshakes/s, ${kind}, ${concurrency === 1 ? 'sequential' : '16 concurrent'}`,
            '1/s',
            await interleaved(runs, (m) => handshakes(m, peers[m].port, pki.ca, count, concurrency)),
            0.95,
            null,
          ),
        );
      }
    } finally {
      peers.raw.stop();
      peers.ssl.stop();
    }
  }

  if (want('pingpong')) {
    const echo = { raw: await startPeer('raw', 'echo', pki.p256), ssl: await startPeer('ssl', 'echo', pki.p256) };
    try {
      log('64-byte ping-pong …');
      const rounds = quick ? 500 : 3000;
      const medians: Record<Mode, number[]> = { raw: [], ssl: [] };
      const p99s: Record<Mode, number[]> = { raw: [], ssl: [] };
      await interleaved(shortRuns, async (m) => {
        const rtts = await pingPong(m, echo[m].port, pki.ca, rounds);
        medians[m].push(percentile(rtts, 50));
        p99s[m].push(percentile(rtts, 99));
        return 0;
      });
      // The warm-up pair is the first entry of each list.
      const pick = (a: number[]): Summary => summarize(a.slice(1));
      rows.push(row('64-byte ping-pong round trip, median', 'µs', [pick(medians.raw), pick(medians.ssl)], null, 1.1));
      rows.push(row('64-byte ping-pong round trip, p99', 'µs', [pick(p99s.raw), pick(p99s.ssl)], null, 1.1));
    } finally {
      echo.raw.stop();
      echo.ssl.stop();
    }
  }

  if (want('memory')) {
    log('idle memory …');
    const connections = quick ? 200 : 2000;
    const rss: Record<Mode, number[]> = { raw: [], ssl: [] };
    const heap: Record<Mode, number[]> = { raw: [], ssl: [] };
    const memRuns = quick ? 1 : 3;
    for (let i = 0; i < memRuns; i++) {
      for (const m of ['raw', 'ssl'] as Mode[]) {
        const r = await idleMemory(m, pki, connections);
        rss[m].push(r.rss / 1024);
        heap[m].push(r.heap / 1024);
      }
    }
    rows.push(
      row(
        `idle memory per connection (${connections} connections), server RSS`,
        'KiB',
        [summarize(rss.raw), summarize(rss.ssl)],
        null,
        1.15,
      ),
    );
    rows.push(
      row(
        `idle memory per connection (${connections} connections), server heap + external`,
        'KiB',
        [summarize(heap.raw), summarize(heap.ssl)],
        null,
        1.15,
      ),
    );
  }

  // Context: plain TCP on the same loopback, and OpenSSL's own AES-128-GCM speed on one core.
  log('context: plain TCP and openssl speed …');
  const tcpRuns: number[] = [];
  let aes: number | null = null;
  if (want('context')) {
    const tcpPeer = await startPeer('tcp', 'sink', pki.p256);
    try {
      for (let i = 0; i < Math.max(2, runs - 2); i++) tcpRuns.push(await bulkStream('tcp', tcpPeer.port, pki.ca, bulk));
    } finally {
      tcpPeer.stop();
    }
    aes = opensslSpeed();
  }
  const tcp = summarize(tcpRuns.length ? tcpRuns : [0]);

  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, OpenSSL ${process.versions.openssl}, ${os.platform()} ${os.release()}`;
  const bulkRow = rows[0] ?? { ssl: summarize([0]), raw: summarize([0]) };
  const context = [
    `- plain TCP over the same loopback (no TLS): ${cell(tcp)} MiB/s`,
    aes !== null
      ? `- \`openssl speed -evp aes-128-gcm\` (16 KiB blocks, one core): ${fmt(aes)} MiB/s; the bulk TLS transfer reaches ${((100 * bulkRow.ssl.median) / aes).toFixed(0)} % of it with SslDuplex, ${((100 * bulkRow.raw.median) / aes).toFixed(0)} % with raw node:tls (TLS 1.3 picks AES-256-GCM, and both processes share ${cpus.length} cores)`
      : '- openssl speed: not available',
  ].join('\n');
  const output = [
    `Machine: ${machine}`,
    `Date: ${new Date().toISOString()}${quick ? ' (quick run: smaller sizes, 2 runs)' : ''}`,
    `Method: raw node:tls and SslDuplex measured interleaved (A B A B …), ${runs} measured runs (${moreRuns} for the bulk rows, ${shortRuns} for the 256-byte and ping-pong rows) after one warm-up pair, servers in a separate process (except the in-memory pair)${pinning ? ', client pinned to CPU 0 and servers to CPU 1 (taskset)' : ''}. Ratio = SslDuplex / raw node:tls of the medians.`,
    '',
    table(rows),
    '',
    context,
  ].join('\n');
  console.log(output);
  if (!quick && !options.only) {
    writeFileSync(path.resolve(__dirname, '..', '..', 'bench', 'RESULTS.md'), `# Benchmark results\n\n${output}\n`);
  }
  return rows;
}

if (require.main === module) {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',');
  runBenchmarks({ quick: process.argv.includes('--quick'), ...(only ? { only } : {}) }).then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
