import { expect } from 'chai';
import { SslDuplex, SslProtocols } from '../lib';
import { fixtures } from './helpers/fixtures';
import { acceptOne, dialTcp, readAll, readExactly } from './helpers/pairs';
import {
  freePort,
  have,
  opensslClient,
  opensslServer,
  pkiFiles,
  startPeer,
  waitForPort,
  type Peer,
} from './helpers/processes';

type Version = '1.2' | '1.3';
const flags: Record<Version, number> = { '1.2': SslProtocols.Tls12, '1.3': SslProtocols.Tls13 };

describe('real TLS peers: openssl and gnutls', function () {
  this.timeout(30000);
  let files: Awaited<ReturnType<typeof pkiFiles>>;
  let peer: Peer | undefined;
  before(async () => {
    files = await pkiFiles();
  });
  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
  });
  after(() => files.cleanup());

  for (const version of ['1.2', '1.3'] as Version[]) {
    for (const mutual of [false, true]) {
      const label = `TLS ${version}${mutual ? ', client certificate' : ''}`;

      it(`SslDuplex client ↔ openssl s_server (${label}), close_notify both ways`, async function () {
        if (!have('openssl')) this.skip();
        const pki = await fixtures();
        const started = await opensslServer(files, [
          `-tls${version.replace('.', '_')}`,
          ...(mutual ? ['-Verify', '1', '-CAfile', files.file('ca.pem'), '-verify_return_error'] : []),
        ]);
        peer = started.peer;
        const port = started.port;
        const client = new SslDuplex(await dialTcp(port));
        await client.authenticateAsClientAsync({
          targetHost: 'localhost',
          ca: pki.ca.cert,
          enabledSslProtocols: flags[version],
          clientCertificates: mutual ? [pki.client] : [],
        });
        expect(client.sslProtocol).to.equal(flags[version]);
        expect(client.isMutuallyAuthenticated).to.equal(mutual);
        await client.writeAsync(Buffer.from('hello openssl\n'));
        await peer.waitFor('hello openssl');
        peer.child.stdin!.write('hello node\n');
        expect((await readExactly(client, 11)).toString()).to.equal('hello node\n');
        // s_server's "q" command sends close_notify: our read returns 0.
        peer.child.stdin!.write('q\n');
        expect(await readAll(client)).to.have.length(0);
        client.dispose();
      });

      it(`SslDuplex server ↔ openssl s_client (${label}), close_notify both ways`, async function () {
        if (!have('openssl')) this.skip();
        const pki = await fixtures();
        const listener = await acceptOne();
        peer = opensslClient(
          listener.port,
          [
            '-verify_return_error',
            `-tls${version.replace('.', '_')}`,
            ...(mutual ? ['-cert', files.file('client.pem'), '-key', files.file('client.key')] : []),
          ],
          files,
        );
        const server = new SslDuplex(await listener.next);
        listener.close();
        await server.authenticateAsServerAsync({
          serverCertificate: pki.server,
          clientCertificateRequired: mutual,
          ca: pki.ca.cert,
        });
        expect(server.isMutuallyAuthenticated).to.equal(mutual);
        await server.writeAsync(Buffer.from('hello s_client\n'));
        await peer.waitFor('hello s_client');
        peer.child.stdin!.write('hello server\n');
        expect((await readExactly(server, 13)).toString()).to.equal('hello server\n');
        // Our close_notify ends s_client.
        await server.shutdownAsync();
        expect(await peer.exited).to.equal(0);
        server.dispose();
      });

      it(`SslDuplex client ↔ gnutls-serv --echo (${label})`, async function () {
        if (!have('gnutls-serv')) this.skip();
        const pki = await fixtures();
        const port = await freePort();
        peer = startPeer('gnutls-serv', [
          '--echo',
          '-p',
          String(port),
          '--x509certfile',
          files.file('server.pem'),
          '--x509keyfile',
          files.file('server.key'),
          '--priority',
          `NORMAL:-VERS-ALL:+VERS-TLS${version}`,
          ...(mutual ? ['--require-client-cert', '--verify-client-cert', '--x509cafile', files.file('ca.pem')] : []),
        ]);
        await waitForPort(port);
        const client = new SslDuplex(await dialTcp(port));
        await client.authenticateAsClientAsync({
          targetHost: 'localhost',
          ca: pki.ca.cert,
          clientCertificates: mutual ? [pki.client] : [],
        });
        expect(client.sslProtocol).to.equal(flags[version]);
        expect(client.isMutuallyAuthenticated).to.equal(mutual);
        const payload = Buffer.from('echo through gnutls\n');
        await client.writeAsync(payload);
        expect((await readExactly(client, payload.length)).toString()).to.equal('echo through gnutls\n');
        await client.shutdownAsync();
        expect(await readAll(client)).to.have.length(0);
        client.dispose();
      });

      it(`SslDuplex server ↔ gnutls-cli (${label}), half-close: we answer after the client's close_notify`, async function () {
        if (!have('gnutls-cli')) this.skip();
        const pki = await fixtures();
        const listener = await acceptOne();
        peer = startPeer('gnutls-cli', [
          '-p',
          String(listener.port),
          '--x509cafile',
          files.file('ca.pem'),
          '--verify-hostname',
          'localhost',
          '--sni-hostname',
          'localhost',
          '--priority',
          `NORMAL:-VERS-ALL:+VERS-TLS${version}`,
          ...(mutual ? ['--x509certfile', files.file('client.pem'), '--x509keyfile', files.file('client.key')] : []),
          '127.0.0.1',
        ]);
        const server = new SslDuplex(await listener.next);
        listener.close();
        await server.authenticateAsServerAsync({
          serverCertificate: pki.server,
          clientCertificateRequired: mutual,
          ca: pki.ca.cert,
        });
        expect(server.sslProtocol).to.equal(flags[version]);
        peer.child.stdin!.end('question from gnutls-cli\n'); // EOF on stdin: gnutls-cli sends close_notify
        expect((await readAll(server)).toString()).to.equal('question from gnutls-cli\n');
        await server.writeAsync(Buffer.from('answer after your close_notify\n'));
        await server.shutdownAsync();
        await peer.waitFor('answer after your close_notify');
        server.dispose();
      });
    }
  }
});
