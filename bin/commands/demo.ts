import { createHash, randomBytes } from 'node:crypto';
import { TextDecoder } from 'node:util';
import * as net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { SslDuplex, SslProtocols, type IAsyncResult } from '../../lib';
import { selfSigned } from '../pki';

export interface DemoReport {
  protocol: string;
  cipherSuite: string;
  alpn: string;
  subject: string;
  fingerprint256: string;
  message: string;
  bytes: number;
  seconds: number;
  mibPerSecond: number;
  checksum: string;
  checksumMatch: boolean;
}

const protocolNames: Record<number, string> = {
  [SslProtocols.Tls12]: 'TLS 1.2',
  [SslProtocols.Tls13]: 'TLS 1.3',
};

/** The seed's exchange on the server side: beginRead until "<EOF>", then beginWrite the answer. */
function answerLikeTheSeed(stream: SslDuplex): Promise<string> {
  return new Promise((resolve, reject) => {
    const buffer = new Uint8Array(2048);
    const decoder = new TextDecoder();
    let readData = '';
    const onRead = (ar: IAsyncResult): void => {
      try {
        const n = stream.endRead(ar);
        readData += decoder.decode(buffer.subarray(0, n), { stream: true });
        if (!readData.includes('<EOF>') && n !== 0) {
          stream.beginRead(buffer, 0, buffer.length, onRead);
          return;
        }
        const message = Buffer.from('Hello from the server.<EOF>', 'utf8');
        stream.beginWrite(message, 0, message.length, (w) => {
          try {
            stream.endWrite(w);
            resolve(readData);
          } catch (e) {
            reject(e);
          }
        });
      } catch (e) {
        reject(e);
      }
    };
    stream.beginRead(buffer, 0, buffer.length, onRead);
  });
}

/**
 * Runs a TLS server and a client on loopback with an ephemeral self-signed certificate, sends the
 * seed's message with beginWrite/endWrite, then `megabytes` MiB through stream.pipeline, and
 * checks the SHA-256 on the far side.
 */
export async function runDemo(megabytes = 8, onProgress?: (done: number, total: number) => void): Promise<DemoReport> {
  const identity = await selfSigned({ cn: 'localhost', names: ['localhost', '127.0.0.1'] });
  const serverDone: { digest?: string; bytes?: number } = {};
  let serverFinished!: Promise<void>;

  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const serverSide = new SslDuplex(await accepted);
  server.close();
  const client = new SslDuplex(socket);

  try {
    await Promise.all([
      client.authenticateAsClientAsync({
        targetHost: 'localhost',
        ca: identity.cert, // trust exactly the ephemeral certificate
        applicationProtocols: ['ssl-duplex-demo/1'],
      }),
      serverSide.authenticateAsServerAsync({
        serverCertificate: identity,
        applicationProtocols: ['ssl-duplex-demo/1'],
      }),
    ]);

    // 1. The seed's exchange: the client writes with beginWrite/endWrite, the server answers.
    const heard = answerLikeTheSeed(serverSide);
    const hello = Buffer.from('Hello from the client.<EOF>', 'utf8');
    const ar = client.beginWrite(hello, 0, hello.length);
    await ar.asyncWaitHandle;
    client.endWrite(ar);
    await heard;
    const reply = Buffer.alloc(27);
    for (let got = 0; got < reply.length;) got += await client.readAsync(reply, got, reply.length - got);

    // 2. Bulk data through stream.pipeline, hashed on both sides.
    const total = megabytes * 1024 * 1024;
    const sent = createHash('sha256');
    const received = createHash('sha256');
    const block = randomBytes(64 * 1024);
    let left = total;
    let receivedBytes = 0;
    const source = new Readable({
      read() {
        if (left === 0) {
          this.push(null);
          return;
        }
        const n = Math.min(left, block.length);
        const chunk = block.subarray(0, n);
        sent.update(chunk);
        left -= n;
        this.push(chunk);
      },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        received.update(chunk);
        receivedBytes += chunk.length;
        onProgress?.(receivedBytes, total);
        cb();
      },
    });
    const started = process.hrtime.bigint();
    serverFinished = pipeline(serverSide, sink).then(() => {
      serverDone.digest = received.digest('hex');
      serverDone.bytes = receivedBytes;
    });
    await pipeline(source, client);
    await serverFinished;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const checksum = sent.digest('hex');
    const cert = client.remoteCertificate!;
    return {
      protocol: protocolNames[client.sslProtocol] ?? String(client.sslProtocol),
      cipherSuite: client.negotiatedCipherSuite,
      alpn: client.negotiatedApplicationProtocol,
      subject: cert.subject.replace(/\n/g, ', '),
      fingerprint256: cert.fingerprint256,
      message: reply.toString('utf8'),
      bytes: serverDone.bytes ?? 0,
      seconds,
      mibPerSecond: (serverDone.bytes ?? 0) / 1048576 / seconds,
      checksum,
      checksumMatch: checksum === serverDone.digest && serverDone.bytes === total,
    };
  } finally {
    client.dispose();
    serverSide.dispose();
  }
}

export function formatDemo(r: DemoReport): string {
  return [
    'ssl-duplex demo: a TLS server and client on 127.0.0.1, an ephemeral self-signed certificate',
    `  protocol      ${r.protocol}`,
    `  cipher suite  ${r.cipherSuite}`,
    `  ALPN          ${r.alpn || '(none)'}`,
    `  certificate   ${r.subject}`,
    `  SHA-256       ${r.fingerprint256}`,
    `  beginWrite    server answered: ${r.message}`,
    `  pipeline      ${(r.bytes / 1048576).toFixed(1)} MiB in ${r.seconds.toFixed(3)} s (${r.mibPerSecond.toFixed(0)} MiB/s)`,
    `  checksum      ${r.checksum.slice(0, 16)}… ${r.checksumMatch ? 'match' : 'MISMATCH'}`,
  ].join('\n');
}
