/**
 * Ending TLS and going on in plaintext on the same TCP connection, as LDAP's TLS closure
 * (RFC 4511 §4.14.3) and FTPS's CCC (RFC 4217) do. The server sends its close_notify and a
 * plaintext greeting in the same TCP write; not one byte of the greeting is lost.
 *
 *   node dist/examples/unwrap.js
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { SslDuplex, SslProtocols } from '../lib';
import { selfSigned } from '../bin/pki';

export async function main(): Promise<string[]> {
  const identity = await selfSigned({ cn: 'localhost', names: ['localhost'] });
  const lines: string[] = [];
  const server = net.createServer(async (socket) => {
    // leaveInnerStreamOpen: the socket stays ours after TLS, and TLS is fed one record at a time.
    const tls = new SslDuplex(socket, { leaveInnerStreamOpen: true });
    await tls.authenticateAsServerAsync({ cert: identity.cert, key: identity.key });
    const buffer = new Uint8Array(64);
    const n = await tls.readAsync(buffer);
    await tls.writeAsync(Buffer.from(`secret answer to ${Buffer.from(buffer.subarray(0, n))}`));
    socket.cork(); // close_notify and the plaintext below leave in one TCP write
    const plain = await tls.unwrapAsync();
    plain.end('plaintext again, on the same connection\n');
    process.nextTick(() => socket.uncork());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  const tls = new SslDuplex(socket, { leaveInnerStreamOpen: true });
  await tls.authenticateAsClientAsync({ targetHost: 'localhost', ca: identity.cert });
  await tls.writeAsync(Buffer.from('the question'));
  const buffer = new Uint8Array(64);
  lines.push(
    `over ${tls.sslProtocol === SslProtocols.Tls13 ? 'TLS 1.3' : 'TLS 1.2'}: ${Buffer.from(buffer.subarray(0, await tls.readAsync(buffer)))}`,
  );
  const plain = await tls.unwrapAsync();
  plain.setEncoding('utf8');
  let text = '';
  for await (const chunk of plain) text += chunk;
  lines.push(`after unwrap: ${text.trim()}`);
  server.close();
  return lines;
}

if (require.main === module) {
  main().then(
    (lines) => console.log(lines.join('\n')),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
