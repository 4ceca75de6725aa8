/**
 * A client for seed-server: authenticates, sends "Hello from the client.<EOF>" with
 * beginWrite/endWrite, reads the answer with beginRead/endRead until "<EOF>".
 *
 *   node dist/examples/seed-client.js PORT CA.pem [host]
 */
import { readFileSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import * as net from 'node:net';
import { SslDuplex, type IAsyncResult } from '../lib';

export async function runSeedClient(port: number, ca: string, host = 'localhost'): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const stream = new SslDuplex(socket, false);
  try {
    await stream.authenticateAsClientAsync({ targetHost: host, ca });
    const message = Buffer.from('Hello from the client.<EOF>', 'utf8');
    const written = stream.beginWrite(message, 0, message.length);
    await written.asyncWaitHandle;
    stream.endWrite(written);

    const buffer = new Uint8Array(2048);
    const decoder = new TextDecoder();
    let reply = '';
    for (;;) {
      const ar = stream.beginRead(buffer, 0, buffer.length);
      await ar.asyncWaitHandle;
      const n = stream.endRead(ar as IAsyncResult);
      reply += decoder.decode(buffer.subarray(0, n), { stream: true });
      if (n === 0 || reply.includes('<EOF>')) break;
    }
    return reply;
  } finally {
    stream.dispose();
  }
}

if (require.main === module) {
  const [port, caPath, host] = process.argv.slice(2);
  if (!port || !caPath) {
    console.error('usage: seed-client PORT CA.pem [host]');
    process.exit(2);
  }
  runSeedClient(Number(port), readFileSync(caPath, 'utf8'), host).then(
    (reply) => console.log(`Server says: ${reply}`),
    (err: Error) => {
      console.error(`${err.name}: ${err.message}`);
      process.exit(1);
    },
  );
}
