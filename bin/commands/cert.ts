import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { selfSigned, type Identity } from '../pki';

/** Writes a self-signed certificate and its key: what `serve` makes in memory when given none. */
export async function writeCertificate(
  outDir: string,
  names: string[],
): Promise<{ cert: string; key: string; identity: Identity }> {
  const identity = await selfSigned({
    cn: names[0] ?? 'localhost',
    names: names.length ? names : ['localhost', '127.0.0.1'],
  });
  mkdirSync(outDir, { recursive: true });
  const cert = path.join(outDir, 'cert.pem');
  const key = path.join(outDir, 'key.pem');
  writeFileSync(cert, identity.cert);
  writeFileSync(key, identity.key, { mode: 0o600 });
  return { cert, key, identity };
}
