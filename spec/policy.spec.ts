import { expect } from 'chai';
import * as sinon from 'sinon';
import { X509Certificate } from 'node:crypto';
import { AuthenticationError, SslPolicyErrors } from '../lib';
import { authorizationErrorOf, decide, describePolicyErrors, NO_VERDICT, PeerVerdict, verdictOf } from '../lib/policy';
import { fixtures } from './helpers/fixtures';

const { None, RemoteCertificateNotAvailable, RemoteCertificateNameMismatch, RemoteCertificateChainErrors } =
  SslPolicyErrors;

/** A verdict on the test server's real certificate (and its CA), with the given flags. */
async function verdict(flags: number, reasons: string[] = []): Promise<PeerVerdict> {
  const pki = await fixtures();
  return new PeerVerdict(flags, reasons, [
    new X509Certificate(pki.server.cert).raw,
    new X509Certificate(pki.ca.cert).raw,
  ]);
}

describe('the certificate judgement (policy.ts, contract §5)', () => {
  const sender = {};

  it('without a callback, no flag accepts', async () => {
    const d = decide(sender, await verdict(None), false, false, undefined);
    expect(d).to.deep.equal({ errors: None, rejection: null });
  });

  for (const flag of [RemoteCertificateNameMismatch, RemoteCertificateChainErrors, RemoteCertificateNotAvailable]) {
    it(`without a callback, ${describePolicyErrors(flag)} fails with AuthenticationError carrying the flags`, async () => {
      const d = decide(sender, await verdict(flag, ['WHY']), false, false, undefined);
      expect(d.rejection).to.be.instanceOf(AuthenticationError);
      expect(d.rejection).to.have.property('sslPolicyErrors', flag);
    });
  }

  it('a server that did not ask for a client certificate ignores its absence', () => {
    const none = new PeerVerdict(RemoteCertificateNotAvailable, ['NO_PEER_CERTIFICATE'], []);
    expect(decide(sender, none, true, false, undefined)).to.deep.equal({ errors: None, rejection: null });
    expect(decide(sender, none, true, true, undefined).rejection).to.be.instanceOf(AuthenticationError);
  });

  it('the callback decides, seeing the sender, the parsed certificate, the chain and the flags', async () => {
    const v = await verdict(RemoteCertificateNameMismatch, ['mismatch']);
    const callback = sinon.stub().returns(true);
    expect(decide(sender, v, false, false, callback)).to.deep.equal({
      errors: RemoteCertificateNameMismatch,
      rejection: null,
    });
    const [s, certificate, chain, errors] = callback.firstCall.args as [
      object,
      X509Certificate,
      X509Certificate[],
      number,
    ];
    expect(s).to.equal(sender);
    expect(certificate.subject).to.match(/CN=localhost/);
    expect(chain).to.have.length(2);
    expect(errors).to.equal(RemoteCertificateNameMismatch);
  });

  it('the callback sees flags even for a server that did not ask, and may reject a clean chain', async () => {
    const none = new PeerVerdict(RemoteCertificateNotAvailable, [], []);
    const seen: number[] = [];
    decide(sender, none, true, false, (_s, _c, _chain, errors) => (seen.push(errors), true));
    expect(seen).to.deep.equal([RemoteCertificateNotAvailable]);
    expect(decide(sender, await verdict(None), false, false, () => false).rejection).to.be.instanceOf(
      AuthenticationError,
    );
  });

  it('a callback that returns something other than true, or throws, fails closed (the throw is the cause)', async () => {
    const v = await verdict(None);
    const truthy = (() => 1) as unknown as () => boolean;
    expect(decide(sender, v, false, false, truthy).rejection).to.be.instanceOf(AuthenticationError);
    const boom = new Error('callback bug');
    const d = decide(sender, v, false, false, () => {
      throw boom;
    });
    expect(d.rejection).to.be.instanceOf(AuthenticationError);
    expect(d.rejection!.cause).to.equal(boom);
  });

  it('flags print as .NET prints them', () => {
    expect(describePolicyErrors(None)).to.equal('None');
    expect(describePolicyErrors(RemoteCertificateNameMismatch | RemoteCertificateChainErrors)).to.equal(
      'RemoteCertificateNameMismatch, RemoteCertificateChainErrors',
    );
  });

  it("Node's authorizationError: OpenSSL's reason for chain errors, Node's code for a name mismatch", () => {
    expect(authorizationErrorOf(RemoteCertificateChainErrors, ['DEPTH_ZERO_SELF_SIGNED_CERT'])).to.equal(
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    expect(authorizationErrorOf(RemoteCertificateNameMismatch, ['Hostname/IP does not match'])).to.equal(
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
    expect(authorizationErrorOf(RemoteCertificateNotAvailable, [])).to.equal('NO_PEER_CERTIFICATE');
    expect(verdictOf(None, [])).to.deep.equal({ errors: 0, reason: null });
    expect(verdictOf(RemoteCertificateChainErrors, ['CERT_HAS_EXPIRED'])).to.deep.equal({
      errors: RemoteCertificateChainErrors,
      reason: 'CERT_HAS_EXPIRED',
    });
    expect(NO_VERDICT).to.deep.equal({ errors: 0, reason: null });
  });

  it('certificates are parsed only when somebody looks', async () => {
    const v = await verdict(None);
    expect(v.hasCertificate).to.equal(true);
    expect(v.chain).to.equal(v.chain); // parsed once, then the same array
    expect(new PeerVerdict(RemoteCertificateNotAvailable, [], []).certificate).to.equal(null);
  });
});
