import * as net from 'node:net';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { SslDuplex, type CertificateWithKey, type SslClientAuthenticationOptions } from '../../lib';
import { alpnList, formatSummary, hostPort, protocolsOf, readFile, sessionSummary, UsageError } from './common';

export interface ConnectOptions {
  servername?: string;
  ca?: string;
  insecure?: boolean;
  cert?: string;
  key?: string;
  alpn?: string;
  'tls1.2'?: boolean;
  'tls1.3'?: boolean;
  tls12?: boolean;
  tls13?: boolean;
  starttls?: string;
  json?: boolean;
}

/** Reads CRLF lines from a plaintext socket until `done(line)`; what follows stays in the socket. */
async function readReply(socket: net.Socket, done: (line: string) => boolean): Promise<string[]> {
  const lines: string[] = [];
  let buf = '';
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    buf += chunk.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      lines.push(line);
      if (done(line)) {
        socket.pause();
        if (buf) socket.unshift(Buffer.from(buf, 'latin1'));
        return lines;
      }
    }
  }
}

/** RFC 3207: greeting, EHLO, STARTTLS, 220. */
async function smtpStartTls(socket: net.Socket): Promise<void> {
  const last = (l: string): boolean => /^\d{3} /.test(l);
  const greeting = await readReply(socket, last);
  if (!greeting.at(-1)!.startsWith('220')) throw new Error(`SMTP greeting was '${greeting.at(-1)}'`);
  socket.write('EHLO ssl-duplex\r\n');
  const ehlo = await readReply(socket, last);
  if (!ehlo.some((l) => /STARTTLS/i.test(l))) throw new Error('the SMTP server does not offer STARTTLS');
  socket.write('STARTTLS\r\n');
  const ready = await readReply(socket, last);
  if (!ready.at(-1)!.startsWith('220')) throw new Error(`STARTTLS was refused: '${ready.at(-1)}'`);
}

export async function runConnect(target: string, opts: ConnectOptions): Promise<void> {
  const { host, port } = hostPort(target, 'the target');
  if ((opts.cert === undefined) !== (opts.key === undefined)) throw new UsageError('--cert and --key go together');
  if (opts.starttls !== undefined && opts.starttls !== 'smtp') throw new UsageError('--starttls knows only smtp');
  const auth: SslClientAuthenticationOptions = {
    targetHost: opts.servername ?? host,
    enabledSslProtocols: protocolsOf(opts),
  };
  if (opts.ca) auth.ca = readFile(opts.ca, '--ca');
  if (opts.cert && opts.key) {
    const c: CertificateWithKey = { cert: readFile(opts.cert, '--cert'), key: readFile(opts.key, '--key') };
    auth.clientCertificates = [c];
  }
  const alpn = alpnList(opts.alpn);
  if (alpn) auth.applicationProtocols = alpn;
  if (opts.insecure) auth.remoteCertificateValidationCallback = () => true;

  const socket = net.connect(port, host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  if (opts.starttls === 'smtp') await smtpStartTls(socket);
  const tls = new SslDuplex(socket, { allowHalfOpen: true });
  await tls.authenticateAsClientAsync(auth);
  const summary = sessionSummary(tls);
  process.stderr.write(`${opts.json ? JSON.stringify(summary) : formatSummary(summary)}\n`);
  // stdin → TLS (its end sends close_notify), TLS → stdout until the peer's close_notify.
  const up = pipeline(process.stdin, tls).catch((err: Error) => {
    throw err;
  });
  await pipeline(tls, process.stdout, { end: false });
  process.stdin.destroy();
  void up.catch(() => undefined);
  tls.dispose();
}
