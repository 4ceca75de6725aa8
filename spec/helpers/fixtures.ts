import { CertificateAuthority, selfSigned, type Identity } from '../../bin/pki';

export interface Fixtures {
  ca: CertificateAuthority;
  /** localhost + 127.0.0.1 + ::1, P-256, issued by `ca`. */
  server: Identity;
  /** The same names, RSA-2048. */
  rsaServer: Identity;
  /** A client certificate issued by `ca`. */
  client: Identity;
  /** `other.example`, issued by `ca`: a name mismatch for `localhost`. */
  otherHost: Identity;
  /** Expired yesterday. */
  expired: Identity;
  /** Revoked by `crl`. */
  revoked: Identity;
  crl: string;
  selfSigned: Identity;
  /** Server certificates for SNI selection. */
  alpha: Identity;
  beta: Identity;
}

let cached: Promise<Fixtures> | undefined;

/** Made once per test run, at run time: no committed keys, nothing that expires in the repo. */
export function fixtures(): Promise<Fixtures> {
  cached ??= (async () => {
    const ca = await CertificateAuthority.create();
    const names = ['localhost', '127.0.0.1', '::1'];
    const day = 86_400_000;
    const [server, rsaServer, client, otherHost, expired, revoked, self, alpha, beta] = await Promise.all([
      ca.issue({ cn: 'localhost', names }),
      ca.issue({ cn: 'localhost', names, kind: 'RSA-2048' }),
      ca.issue({ cn: 'test client', names: ['client.test'], client: true }),
      ca.issue({ cn: 'other.example' }),
      ca.issue({
        cn: 'localhost',
        names,
        notBefore: new Date(Date.now() - 10 * day),
        notAfter: new Date(Date.now() - day),
      }),
      ca.issue({ cn: 'localhost', names }),
      selfSigned({ cn: 'localhost', names }),
      ca.issue({ cn: 'alpha.test' }),
      ca.issue({ cn: 'beta.test' }),
    ]);
    const crl = await ca.crl([revoked.serial]);
    return { ca, server, rsaServer, client, otherHost, expired, revoked, crl, selfSigned: self, alpha, beta };
  })();
  return cached;
}
