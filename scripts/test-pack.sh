#!/usr/bin/env bash
# The package as a user meets it: pack it, install the tarball into a fresh project, and use it
# from CommonJS, ESM and TypeScript. Also checks what the tarball holds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$root"
npm run build >/dev/null
tarball="$tmp/$(npm pack --silent --pack-destination "$tmp" | tail -1)"

listing="$(tar -tzf "$tarball")"
echo "tarball: $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB, $(echo "$listing" | wc -l) files)"
if echo "$listing" | grep -E '^package/(spec|lib|examples|scratch|bench/|dist/spec|dist/examples|\.ci|coverage)|\.ts$' | grep -v '\.d\.ts$' | grep -v '\.d\.mts$'; then
  echo "FAIL: the tarball holds files it does not need (above)"
  exit 1
fi
for must in package/dist/lib/index.js package/dist/lib/index.d.ts package/dist/esm/index.mjs package/dist/bin/ssl-duplex.js package/README.md package/LICENSE; do
  echo "$listing" | grep -qx "$must" || { echo "FAIL: $must is missing"; exit 1; }
done

cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$tarball" >/dev/null

cat > use.cjs <<'JS'
const assert = require('node:assert');
const { duplexPair } = require('node:stream');
const lib = require('ssl-duplex');
const [a] = duplexPair();
const s = new lib.SslDuplex(a);
assert.throws(() => s.beginRead(new Uint8Array(1), 0, 1), lib.InvalidOperationError);
s.dispose();
assert.throws(() => s.beginRead(new Uint8Array(1), 0, 1), (e) => e.code === 'SSLD_ERR_OBJECT_DISPOSED');
assert.strictEqual(lib.SslProtocols.Tls13, 12288);
// The library needs readable-stream and nothing else: certificate generation is the CLI's.
const loaded = Object.keys(require.cache).filter((k) => /node_modules.(@peculiar|reflect-metadata|commander)/.test(k));
assert.deepStrictEqual(loaded, [], 'the library loaded the CLI\'s dependencies');
console.log('CommonJS: ok');
JS
node use.cjs

cat > use.mjs <<'JS'
import assert from 'node:assert';
import { createRequire } from 'node:module';
import { duplexPair } from 'node:stream';
import { SslDuplex, ObjectDisposedError, isSslDuplexError, connect, createServer } from 'ssl-duplex';
const cjs = createRequire(import.meta.url)('ssl-duplex');
assert.strictEqual(SslDuplex, cjs.SslDuplex, 'ESM and CommonJS share one class');
const [a] = duplexPair();
const s = new SslDuplex(a);
s.dispose();
try { s.beginWrite(new Uint8Array(1), 0, 1); assert.fail('no throw'); } catch (e) { assert.ok(e instanceof ObjectDisposedError && isSslDuplexError(e)); }
assert.strictEqual(typeof connect, 'function');
assert.strictEqual(typeof createServer, 'function');
console.log('ESM: ok');
JS
node use.mjs

cat > use.ts <<'TS'
import { SslDuplex, SslProtocols, type IAsyncResult, type SslClientAuthenticationOptions } from 'ssl-duplex';
import { duplexPair } from 'node:stream';

const [a] = duplexPair();
const stream: SslDuplex = new SslDuplex(a, { leaveInnerStreamOpen: true, readTimeout: 1000 });
const options: SslClientAuthenticationOptions = { targetHost: 'localhost', enabledSslProtocols: SslProtocols.Tls13 };
const ar: IAsyncResult = stream.beginAuthenticateAsClient(options.targetHost, () => undefined, null);
void ar.asyncWaitHandle;
const n: Promise<number> = stream.readAsync(new Uint8Array(16));
void n;
TS
cat > use-esm.mts <<'TS'
import { SslDuplex, AuthenticationError, type SslServerAuthenticationOptions } from 'ssl-duplex';
const options: SslServerAuthenticationOptions = { clientCertificateRequired: false };
const isAuthError = (e: unknown): e is AuthenticationError => e instanceof AuthenticationError;
export { SslDuplex, options, isAuthError };
TS
cat > tsconfig.json <<JSON
{ "compilerOptions": { "strict": true, "module": "node16", "moduleResolution": "node16", "target": "es2022", "noEmit": true, "skipLibCheck": false, "types": ["node"], "typeRoots": ["$root/node_modules/@types"] }, "files": ["use.ts", "use-esm.mts"] }
JSON
node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json
echo "TypeScript: ok"

# The command-line tool from the installed package, on real TLS.
npx --no-install ssl-duplex demo --megabytes 1 --json | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const r=JSON.parse(s);if(!r.checksumMatch)process.exit(1);console.log("bin: ok ("+r.protocol+", "+r.cipherSuite+")")})'
echo "test:pack passed"
