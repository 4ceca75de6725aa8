#!/usr/bin/env node
/**
 * The ssl-duplex command. Each subcommand lives in bin/commands/; this file only wires the
 * arguments, the exit codes and the one-line error reporting.
 *
 * Exit codes: 0 success, 1 failure (TLS, network, checksum), 2 bad arguments.
 */
import { Command, CommanderError } from 'commander';
import { formatDemo, runDemo } from './commands/demo';

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

let lastProgress = 0;
function progress(done: number, total: number): void {
  const now = Date.now();
  if (now - lastProgress < 100 && done < total) return;
  lastProgress = now;
  process.stderr.write(`\r  ${((100 * done) / total).toFixed(0)}% of ${(total / 1048576).toFixed(0)} MiB`);
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
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
