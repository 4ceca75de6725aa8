#!/usr/bin/env node
/**
 * The ssl-duplex command. Each subcommand lives in bin/commands/; this file only wires the
 * arguments, the exit codes and the one-line error reporting.
 *
 * Exit codes: 0 success, 1 failure (TLS, network, checksum), 2 bad arguments.
 */
import { Command, CommanderError } from 'commander';
import { writeCertificate } from './commands/cert';
import { UsageError } from './commands/common';
import { runConnect, type ConnectOptions } from './commands/connect';
import { formatDemo, runDemo } from './commands/demo';
import { certificateFromPrimary, runServe, runServeCluster, workerCount, type ServeOptions } from './commands/serve';
import { runTunnel, type TunnelOptions } from './commands/tunnel';

const program = new Command();
program
  .name('ssl-duplex')
  .description('TLS over any stream, the .NET SslStream way: demo and tools built on SslDuplex')
  .option('--verbose', 'print stack traces on errors')
  .exitOverride();

function fail(err: unknown): never {
  const verbose = program.opts().verbose === true;
  const e = err as Error & { code?: string };
  console.error(`ssl-duplex: ${e.name ?? 'Error'}${e.code ? ` (${e.code})` : ''}: ${e.message}`);
  if (verbose && e.stack) console.error(e.stack);
  process.exit(1);
}

program
  .command('demo', { isDefault: false })
  .description('run a TLS server and client on loopback and report what they negotiated')
  .option('--megabytes <n>', 'MiB to send through stream.pipeline', '8')
  .option('--json', 'print the report as JSON')
  .action(async (opts: { megabytes: string; json?: boolean }) => {
    const mb = Number(opts.megabytes);
    if (!Number.isInteger(mb) || mb < 0 || mb > 4096)
      throw new CommanderError(2, 'bad-arg', '--megabytes must be 0..4096');
    const showProgress = process.stderr.isTTY && !opts.json;
    const report = await runDemo(mb, showProgress ? progress : undefined);
    if (showProgress) process.stderr.write('\r\x1b[K');
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatDemo(report));
    if (!report.checksumMatch) process.exit(1);
  });

program
  .command('connect')
  .description('stdin → TLS → stdout, like openssl s_client; session summary and peer certificate on stderr')
  .argument('<host:port>', 'where to connect')
  .option('--servername <name>', 'host name to verify and send as SNI (default: the host)')
  .option('--ca <file>', 'trusted root certificates (PEM); default Node’s bundled roots')
  .option('--insecure', 'accept any certificate')
  .option('--cert <file>', 'client certificate (PEM)')
  .option('--key <file>', 'client private key (PEM)')
  .option('--alpn <list>', 'ALPN protocols, comma-separated')
  .option('--tls1.2', 'TLS 1.2 only')
  .option('--tls1.3', 'TLS 1.3 only')
  .option('--starttls <protocol>', 'upgrade a plaintext session first (smtp)')
  .option('--json', 'session summary as JSON')
  .action(async (target: string, opts: ConnectOptions) => {
    await runConnect(target, opts);
  });

program
  .command('serve')
  .description('a TLS echo server or TLS terminator; one log line per connection')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <n>', 'port to listen on (0 = any)', '8443')
  .option('--cert <file>', 'server certificate (PEM); default an ephemeral self-signed one')
  .option('--key <file>', 'server private key (PEM)')
  .option('--echo', 'send back what each client sends')
  .option('--forward <host:port>', 'forward the plaintext to this TCP address')
  .option('--require-client-cert', 'ask for a client certificate and verify it against --ca')
  .option('--ca <file>', 'roots for client certificates (PEM)')
  .option('--alpn <list>', 'ALPN protocols, comma-separated')
  .option('--json', 'log lines as JSON')
  .option('--workers <n>', 'server processes on node:cluster (default: one per core)')
  .action(async (opts: ServeOptions) => {
    const fromPrimary = certificateFromPrimary();
    const workers = fromPrimary ? 1 : workerCount(opts.workers);
    if (workers > 1) {
      const servers = await runServeCluster(opts, workers);
      await waitForSignal(() => servers.close());
      return;
    }
    const server = await runServe(opts, fromPrimary);
    await waitForSignal(() => server.close());
  });

program
  .command('tunnel')
  .description("plaintext in, TLS out (stunnel's client mode), many connections at once")
  .requiredOption('--accept <host:port>', 'where to accept plaintext connections')
  .requiredOption('--connect <host:port>', 'the TLS server to connect to')
  .option('--servername <name>', 'host name to verify and send as SNI')
  .option('--ca <file>', 'trusted root certificates (PEM)')
  .option('--insecure', 'accept any certificate')
  .option('--json', 'machine-readable output')
  .action(async (opts: TunnelOptions) => {
    const server = await runTunnel(opts);
    await waitForSignal(() => server.close());
  });

program
  .command('cert')
  .description('write a self-signed certificate and key (cert.pem, key.pem)')
  .requiredOption('--out <dir>', 'folder to write to')
  .option(
    '--name <host>',
    'a DNS name or IP address (repeatable)',
    (v: string, prev: string[]) => [...prev, v],
    [] as string[],
  )
  .option('--json', 'print the paths and fingerprint as JSON')
  .action(async (opts: { out: string; name: string[]; json?: boolean }) => {
    const r = await writeCertificate(opts.out, opts.name);
    const info = {
      cert: r.cert,
      key: r.key,
      fingerprint256: r.identity.x509.fingerprint256,
      validTo: r.identity.x509.validTo,
    };
    console.log(
      opts.json
        ? JSON.stringify(info)
        : `wrote ${r.cert} and ${r.key}
SHA-256 ${info.fingerprint256}`,
    );
  });

program
  .command('bench')
  .description('run the benchmark suite (SslDuplex against raw node:tls) and print its table')
  .option('--quick', 'fewer and smaller runs')
  .action(async (opts: { quick?: boolean }) => {
    const { runBenchmarks } = await import('../bench/suite');
    await runBenchmarks({ quick: opts.quick === true });
  });

/** Long-running commands end cleanly on SIGINT/SIGTERM. */
function waitForSignal(stop: () => void): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (): void => {
      stop();
      resolve();
      setTimeout(() => process.exit(0), 500).unref();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

let lastProgress = 0;
function progress(done: number, total: number): void {
  const now = Date.now();
  if (now - lastProgress < 100 && done < total) return;
  lastProgress = now;
  process.stderr.write(`\r  ${((100 * done) / total).toFixed(0)}% of ${(total / 1048576).toFixed(0)} MiB`);
}

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`ssl-duplex: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
        process.exit(0);
      }
      if (err.code !== 'bad-arg') process.exit(2); // commander already printed its message
      console.error(`ssl-duplex: ${err.message}`);
      process.exit(2);
    }
    fail(err);
  }
}

void main();
