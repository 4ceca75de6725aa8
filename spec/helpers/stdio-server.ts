/**
 * A child process that speaks TLS on its stdin/stdout: an SslDuplex server over
 * Duplex.from({ readable: stdin, writable: stdout }) that answers with the SHA-256 of what it read.
 * The certificate comes in the environment (SSLD_CERT, SSLD_KEY).
 */
import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { SslDuplex } from '../../lib';

async function main(): Promise<void> {
  const inner = Duplex.from({ readable: process.stdin, writable: process.stdout });
  const tls = new SslDuplex(inner, { allowHalfOpen: true });
  await tls.authenticateAsServerAsync({
    serverCertificate: { cert: process.env.SSLD_CERT!, key: process.env.SSLD_KEY! },
  });
  const hash = createHash('sha256');
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await tls.readAsync(buf);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
  }
  await tls.writeAsync(Buffer.from(hash.digest('hex')));
  await tls.shutdownAsync();
}

main().catch((err: Error) => {
  process.stderr.write(`stdio-server: ${err.name}: ${err.message}\n`);
  process.exit(1);
});
