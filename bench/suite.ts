/**
 * SslDuplex against raw node:tls, the same work in the same run, interleaved (A B A B …) after a
 * warm-up, servers in their own process. Prints medians, min–max and the ratio, and writes the
 * last full run to bench/RESULTS.md and its chart to bench/ratios.svg.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertificateAuthority } from '../bin/pki';
import {
  bulkApm,
  bulkStream,
  handshakes,
  idleMemory,
  inMemory,
  MiB,
  pin,
  pingPong,
  pinning,
  smallWrites,
  startPeer,
  type Mode,
  type Pki,
} from './measures';
import { cell, fmt, ratioChart, row, table, type Row } from './report';
import { percentile, summarize, type Summary } from './stats';

interface Options {
  quick: boolean;
  /** Run only these sections: bulk, small, pair, handshake, workers, pingpong, memory, context. */
  only?: string[];
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
          1.1,
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
    const peers = { raw: await startPeer('raw', 'greet', id), ssl: await startPeer('ssl', 'greet', id) };
    try {
      for (const concurrency of [1, 16]) {
        const count = quick ? 100 : concurrency === 1 ? 400 : 800;
        const label = `${kind}, ${concurrency === 1 ? 'sequential' : '16 concurrent'}`;
        log(`handshakes ${label} …`);
        // CPU per handshake of each process, µs: this one (the client) and the server's.
        const cpu: Record<'client' | 'server', Record<Mode, number[]>> = {
          client: { raw: [], ssl: [] },
          server: { raw: [], ssl: [] },
        };
        const rate = await interleaved(runs, async (m) => {
          const [client0, server0] = [process.cpuUsage(), await peers[m].cpu()];
          const perSecond = await handshakes(m, peers[m].port, pki.ca, count, concurrency);
          const client1 = process.cpuUsage(client0);
          cpu.client[m].push((client1.user + client1.system) / count);
          cpu.server[m].push(((await peers[m].cpu()) - server0) / count);
          return perSecond;
        });
        rows.push(row(`full TLS 1.3 handshakes/s, ${label}`, '1/s', rate, 1.0, null));
        for (const side of ['client', 'server'] as const) {
          // The warm-up pair is the first entry of each list.
          const pick = (a: number[]): Summary => summarize(a.slice(1));
          const pair: [Summary, Summary] = [pick(cpu[side].raw), pick(cpu[side].ssl)];
          rows.push(row(`CPU per handshake, ${side} process, ${label}`, 'µs', pair, null, 1.03));
        }
      }
      if (kind === 'P-256') {
        // What SslDuplex's context cache buys over tls.connect given its options on each call.
        log('handshakes P-256, raw with per-call options …');
        const count = quick ? 100 : 400;
        rows.push(
          row(
            'full TLS 1.3 handshakes/s, P-256, sequential — against raw tls.connect given per-call options (no shared context: what the cache buys)',
            '1/s',
            await interleaved(runs, (m) =>
              m === 'raw'
                ? handshakes('raw', peers.raw.port, pki.ca, count, 1, true)
                : handshakes('ssl', peers.ssl.port, pki.ca, count, 1),
            ),
            1.0,
            null,
          ),
        );
      }
    } finally {
      peers.raw.stop();
      peers.ssl.stop();
    }
  }

  if (want('workers')) {
    // The server on node:cluster: one worker, then one per core (the client shares the machine).
    // os.cpus(), not availableParallelism(): this process is pinned to one CPU.
    for (const n of [...new Set([1, os.cpus().length])]) {
      const peers = {
        raw: await startPeer('raw', 'greet', pki.p256, n),
        ssl: await startPeer('ssl', 'greet', pki.p256, n),
      };
      try {
        log(`handshakes against ${n} cluster worker(s) …`);
        const count = quick ? 100 : 800;
        rows.push(
          row(
            `full TLS 1.3 handshakes/s, P-256, 16 concurrent, server on ${n} cluster worker${n === 1 ? '' : 's'} (unpinned)`,
            '1/s',
            await interleaved(runs, (m) => handshakes(m, peers[m].port, pki.ca, count, 16)),
            1.0,
            null,
          ),
        );
      } finally {
        peers.raw.stop();
        peers.ssl.stop();
      }
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
    // The scale row: 10,000 idle connections per process (the open-files limit allows 20,000 here).
    const connections = quick ? 200 : 10_000;
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
        1.05,
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
    `Method: raw node:tls and SslDuplex measured interleaved (A B A B …), ${runs} measured runs (${moreRuns} for the bulk rows, ${shortRuns} for the 256-byte and ping-pong rows) after one warm-up pair, servers in a separate process (except the in-memory pair)${pinning ? ', client pinned to CPU 0 and servers to CPU 1 (taskset)' : ''}; in the handshake rows the server greets each connection with one byte that the client waits for, so that both sides complete the handshake. Ratio = SslDuplex / raw node:tls of the medians.`,
    '',
    table(rows),
    '',
    context,
  ].join('\n');
  console.log(output);
  if (!quick && !options.only) {
    const dir = path.resolve(__dirname, '..', '..', 'bench');
    writeFileSync(path.join(dir, 'RESULTS.md'), `# Benchmark results\n\n![ratios](ratios.svg)\n\n${output}\n`);
    writeFileSync(path.join(dir, 'ratios.svg'), ratioChart(rows, `SslDuplex / raw node:tls, medians (${machine})`));
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
