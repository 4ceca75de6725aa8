import { expect } from 'chai';
import { AuthenticationError, IOError, SslDuplex } from '../lib';
import { fixtures } from './helpers/fixtures';
import { acceptOne, dialTcp, readExactly } from './helpers/pairs';
import { have, opensslClient, opensslServer, pkiFiles, type Peer } from './helpers/processes';

describe('secure by default, proven against misbehaving peers', function () {
  this.timeout(30000);
  let files: Awaited<ReturnType<typeof pkiFiles>>;
  let peer: Peer | undefined;
  before(async function () {
    if (!have('openssl')) this.skip();
    files = await pkiFiles();
  });
  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
  });
  after(() => files?.cleanup());

  it('TLS 1.2 is the floor: a TLS 1.0-only openssl s_client is refused by our server', async () => {
    const pki = await fixtures();
    const listener = await acceptOne();
    peer = opensslClient(listener.port, ['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    const server = new SslDuplex(await listener.next);
    listener.close();
    const e = await server.authenticateAsServerAsync(pki.server).catch((x) => x);
    expect(e).to.be.instanceOf(AuthenticationError);
    server.dispose();
  });

  it('TLS 1.2 is the floor: our client refuses a TLS 1.0-only openssl s_server', async () => {
    const pki = await fixtures();
    const started = await opensslServer(files, ['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    peer = started.peer;
    const client = new SslDuplex(await dialTcp(started.port));
    const e = await client.authenticateAsClientAsync({ targetHost: 'localhost', ca: pki.ca.cert }).catch((x) => x);
    expect(e).to.be.instanceOf(AuthenticationError);
    client.dispose();
  });

  for (const allow of [false, true]) {
    it(`client-initiated renegotiation is ${allow ? 'followed with allowRenegotiation' : 'refused by a server by default'}`, async () => {
      const pki = await fixtures();
      const listener = await acceptOne();
      peer = opensslClient(listener.port, ['-tls1_2'], files);
      const server = new SslDuplex(await listener.next);
      listener.close();
      await server.authenticateAsServerAsync({ serverCertificate: pki.server, allowRenegotiation: allow });
      peer.child.stdin!.write('before\n');
      expect((await readExactly(server, 7)).toString()).to.equal('before\n');
      peer.child.stdin!.write('R\n'); // s_client's command: renegotiate
      await peer.waitFor('RENEGOTIATING');
      peer.child.stdin!.write('after\n');
      if (allow) {
        expect((await readExactly(server, 6)).toString()).to.equal('after\n');
      } else {
        const e = await server.readAsync(new Uint8Array(16)).catch((x) => x);
        expect(e).to.be.instanceOf(IOError);
        expect((e as IOError).cause).to.have.property('code', 'ERR_TLS_RENEGOTIATION_DISABLED');
      }
      server.dispose();
    });
  }

  it('the certificate chain and host name are verified unless the caller says otherwise', async () => {
    // Each case is pinned in authentication.spec.ts ("SslPolicyErrors…", "without a callback, any
    // flag fails the client"); here the defaults meet a real openssl s_server with the wrong name.
    const pki = await fixtures();
    const started = await opensslServer(files, []);
    peer = started.peer;
    const client = new SslDuplex(await dialTcp(started.port));
    const e = await client
      .authenticateAsClientAsync({ targetHost: 'not-localhost.example', ca: pki.ca.cert })
      .catch((x) => x);
    expect(e).to.be.instanceOf(AuthenticationError);
    expect((e as { sslPolicyErrors?: number }).sslPolicyErrors).to.equal(2);
    client.dispose();
  });
});
