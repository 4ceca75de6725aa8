/**
 * Node's own http client speaking HTTPS through SslDuplex: `createConnection` hands it a
 * connection from `connect()`, shaped like `tls.connect`.
 *
 *   node dist/examples/https-request.js https://HOST:PORT/path [CA.pem]
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import { connect } from '../lib';

export function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string; protocol: string }> {
  const u = new URL(url);
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    let protocol = '';
    const req = http.request(
      {
        host: u.hostname,
        port,
        path: u.pathname + u.search,
        createConnection: () => {
          const tls = connect({ host: u.hostname, port, servername: u.hostname, ...(ca ? { ca } : {}) });
          tls.once('secureConnect', () => (protocol = `${tls.getProtocol()} ${tls.negotiatedCipherSuite}`));
          return tls as unknown as net.Socket;
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

if (require.main === module) {
  const [url, caPath] = process.argv.slice(2);
  if (!url) {
    console.error('usage: https-request URL [CA.pem]');
    process.exit(2);
  }
  httpsGet(url, caPath ? readFileSync(caPath, 'utf8') : undefined).then(
    (r) => console.log(`${r.status} over ${r.protocol}\n${r.body}`),
    (err: Error) => {
      console.error(`${err.name}: ${err.message}`);
      process.exit(1);
    },
  );
}
