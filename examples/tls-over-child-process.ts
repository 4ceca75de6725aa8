/**
 * TLS over a transport that is not a socket: the parent and a child process talk TLS over the
 * child's stdin/stdout, wrapped with Duplex.from. The child is this same file with --child.
 *
 *   node dist/examples/tls-over-child-process.js "a message"
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { SslDuplex } from '../lib';
import { selfSigned } from '../bin/pki';

async function child(): Promise<void> {
  const tls = new SslDuplex(Duplex.from({ readable: process.stdin, writable: process.stdout }));
  await tls.authenticateAsServerAsync({ cert: process.env.EXAMPLE_CERT!, key: process.env.EXAMPLE_KEY! });
  const buffer = new Uint8Array(4096);
  const n = await tls.readAsync(buffer);
  const text = Buffer.from(buffer.subarray(0, n)).toString('utf8');
  await tls.writeAsync(
    Buffer.from(`child ${process.pid} read ${n} bytes over ${tls.negotiatedCipherSuite}: ${text.toUpperCase()}`),
  );
  await tls.shutdownAsync();
}

export async function talkToChild(message: string): Promise<string> {
  const identity = await selfSigned({ cn: 'child.local' });
  const proc = spawn(process.execPath, [__filename, '--child'], {
    env: { ...process.env, EXAMPLE_CERT: identity.cert, EXAMPLE_KEY: identity.key },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const tls = new SslDuplex(Duplex.from({ readable: proc.stdout, writable: proc.stdin }), { allowHalfOpen: true });
  try {
    await tls.authenticateAsClientAsync({ targetHost: 'child.local', ca: identity.cert });
    await tls.writeAsync(Buffer.from(message));
    const parts: Buffer[] = [];
    const buffer = new Uint8Array(4096);
    for (let n; (n = await tls.readAsync(buffer)) > 0;) parts.push(Buffer.from(buffer.subarray(0, n)));
    return Buffer.concat(parts).toString('utf8');
  } finally {
    tls.dispose();
    proc.kill();
  }
}

if (require.main === module) {
  if (process.argv.includes('--child')) {
    child().catch((err: Error) => {
      process.stderr.write(`child: ${err.message}\n`);
      process.exit(1);
    });
  } else {
    talkToChild(process.argv[2] ?? 'hello over stdio').then(
      (answer) => console.log(answer),
      (err: Error) => {
        console.error(`${err.name}: ${err.message}`);
        process.exit(1);
      },
    );
  }
}
