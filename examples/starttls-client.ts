/**
 * An SMTP client that upgrades to TLS with STARTTLS (RFC 3207): plaintext greeting and EHLO on the
 * socket, then `new SslDuplex(socket)` and the rest of the session encrypted.
 *
 *   node dist/examples/starttls-client.js HOST PORT [CA.pem]
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { SslDuplex } from '../lib';

/** Reads one SMTP reply (its last line starts with "NNN ") from a plaintext or TLS stream. */
async function reply(read: () => Promise<Buffer | null>, pending: { buf: string }): Promise<string[]> {
  for (;;) {
    const lines = pending.buf.split('\r\n');
    const end = lines.findIndex((l) => /^\d{3} /.test(l));
    if (end >= 0) {
      pending.buf = lines.slice(end + 1).join('\r\n');
      return lines.slice(0, end + 1);
    }
    const chunk = await read();
    if (chunk === null) throw new Error('the server closed the connection');
    pending.buf += chunk.toString('latin1');
  }
}

export async function starttlsSession(host: string, port: number, ca?: string): Promise<string[]> {
  const socket = net.connect(port, host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const plain = { buf: '' };
  const readPlain = (): Promise<Buffer | null> =>
    new Promise((resolve) => {
      socket.once('data', (c: Buffer) => {
        socket.pause();
        resolve(c);
      });
      socket.resume();
    });
  await reply(readPlain, plain); // 220 greeting
  socket.write('EHLO example.client\r\n');
  const caps = await reply(readPlain, plain);
  if (!caps.some((l) => /STARTTLS/i.test(l))) throw new Error('the server does not offer STARTTLS');
  socket.write('STARTTLS\r\n');
  const go = await reply(readPlain, plain);
  if (!go.at(-1)!.startsWith('220')) throw new Error(`STARTTLS refused: ${go.at(-1)}`);
  // RFC 3207: anything the server sent before the handshake must be discarded.
  const tls = new SslDuplex(socket);
  try {
    await tls.authenticateAsClientAsync(ca ? { targetHost: host === '127.0.0.1' ? 'localhost' : host, ca } : host);
    const secure = { buf: '' };
    const buffer = new Uint8Array(4096);
    const readTls = async (): Promise<Buffer | null> => {
      const n = await tls.readAsync(buffer);
      return n === 0 ? null : Buffer.from(buffer.subarray(0, n));
    };
    await tls.writeAsync(Buffer.from('EHLO example.client\r\n'));
    const secureCaps = await reply(readTls, secure);
    await tls.writeAsync(Buffer.from('QUIT\r\n'));
    await reply(readTls, secure);
    return [`TLS: ${tls.negotiatedCipherSuite}`, ...secureCaps];
  } finally {
    tls.dispose();
  }
}

if (require.main === module) {
  const [host, port, caPath] = process.argv.slice(2);
  if (!host || !port) {
    console.error('usage: starttls-client HOST PORT [CA.pem]');
    process.exit(2);
  }
  starttlsSession(host, Number(port), caPath ? readFileSync(caPath, 'utf8') : undefined).then(
    (lines) => console.log(lines.join('\n')),
    (err: Error) => {
      console.error(`${err.name}: ${err.message}`);
      process.exit(1);
    },
  );
}
