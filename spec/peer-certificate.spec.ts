import { expect } from 'chai';
import * as sinon from 'sinon';
import { once } from 'node:events';
import * as tls from 'node:tls';
import { connect, SslDuplex, type RemoteCertificateValidationCallback } from '../lib';
import { fixtures } from './helpers/fixtures';
import { listen } from './helpers/pairs';
import * as net from 'node:net';

// A client handshake builds Node's detailed certificate chain (objects for every certificate: a
// fifth of its CPU) only when something reads it (lib/peer-certificate.ts). Observed where Node
// builds it: the native handle's getPeerCertificate(detailed).

/** Node's own server for localhost; the spy sees the native calls of every TLS socket in the process. */
async function setUp(): Promise<{
  pki: Awaited<ReturnType<typeof fixtures>>;
  port: number;
  detailedCalls: () => number;
  done: () => void;
}> {
  const pki = await fixtures();
  const server = tls.createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => {
    s.on('error', () => undefined);
    s.end('hello');
  });
  const port = await listen(server);
  // The TLSWrap prototype, from a socket that has a handle.
  const probe = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert });
  await once(probe, 'secureConnect');
  const wrap = Object.getPrototypeOf((probe as unknown as { _handle: object })._handle) as {
    getPeerCertificate(detailed: boolean): unknown;
  };
  probe.destroy();
  const spy = sinon.spy(wrap, 'getPeerCertificate');
  return {
    pki,
    port,
    detailedCalls: () => spy.getCalls().filter((c) => c.args[0] === true).length,
    done: () => {
      spy.restore();
      server.close();
    },
  };
}

/** Runs `body` against a fresh server and spy, released whatever happens. */
async function served(body: (t: Awaited<ReturnType<typeof setUp>>) => Promise<void>): Promise<void> {
  const t = await setUp();
  try {
    await body(t);
  } finally {
    t.done();
  }
}

describe('the peer certificate chain is built only when read (peer-certificate.ts)', function () {
  this.timeout(20000);

  it("connect() with Node's checkServerIdentity verifies without building the chain; getPeerCertificate(true) afterwards has it", () =>
    served(async (t) => {
      const client = connect({ port: t.port, host: '127.0.0.1', servername: 'localhost', ca: t.pki.ca.cert });
      await once(client, 'secureConnect');
      expect(client.authorized).to.equal(true);
      expect(t.detailedCalls()).to.equal(0);
      const detailed = client.getPeerCertificate(true) as tls.DetailedPeerCertificate;
      expect(detailed.subject.CN).to.equal('localhost');
      expect(detailed.issuerCertificate.subject.CN).to.contain('ssl-duplex test CA');
      expect(client.remoteCertificate!.subject).to.contain('localhost');
      client.destroy();
    }));

  it("a wrong name is still refused, with Node's ERR_TLS_CERT_ALTNAME_INVALID", () =>
    served(async (t) => {
      const client = connect({ port: t.port, host: '127.0.0.1', servername: 'elsewhere.example', ca: t.pki.ca.cert });
      const [err] = (await once(client, 'error')) as [Error & { code?: string }];
      expect(err.code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    }));

  it('a custom checkServerIdentity gets the detailed chain, as from tls.connect', () =>
    served(async (t) => {
      let issuer: string | undefined;
      const client = connect({
        port: t.port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: t.pki.ca.cert,
        checkServerIdentity: (host, cert) => {
          issuer = String((cert as tls.DetailedPeerCertificate).issuerCertificate?.subject.CN);
          return tls.checkServerIdentity(host, cert);
        },
      });
      await once(client, 'secureConnect');
      expect(issuer).to.contain('ssl-duplex test CA');
      client.destroy();
    }));

  it('a .NET validation callback gets the whole chain; without one, none is built', () =>
    served(async (t) => {
      const dial = async (validate?: RemoteCertificateValidationCallback): Promise<SslDuplex> => {
        const socket = net.connect(t.port, '127.0.0.1');
        await once(socket, 'connect');
        const stream = new SslDuplex(socket);
        await stream.authenticateAsClientAsync({
          targetHost: 'localhost',
          ca: t.pki.ca.cert,
          ...(validate ? { remoteCertificateValidationCallback: validate } : {}),
        });
        return stream;
      };
      const plain = await dial();
      expect(t.detailedCalls()).to.equal(0);
      expect(plain.remoteCertificate!.subject).to.contain('localhost');
      plain.dispose();
      let chain: string[] = [];
      const judged = await dial((_s, _c, c) => ((chain = c.map((x) => x.subject)), true));
      expect(chain).to.have.length(2);
      expect(chain[1]).to.contain('ssl-duplex test CA');
      judged.dispose();
    }));
});
