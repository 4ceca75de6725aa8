import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { createServer } from '../lib';
import { fixtures } from './helpers/fixtures';
import { tick } from './helpers/pairs';
import { freePort, have, opensslClient, opensslServer, pkiFiles, startPeer, type Peer } from './helpers/processes';

const bin = path.resolve(__dirname, '..', 'bin', 'ssl-duplex.js');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the ssl-duplex command', () => {
  it('demo exits 0 and reports a checksum match', () => {
    const r = run('demo', '--megabytes', '4', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as { checksumMatch: boolean; protocol: string; message: string; bytes: number };
    expect(report.checksumMatch).to.equal(true);
    expect(report.bytes).to.equal(4 << 20);
    expect(report.protocol).to.equal('TLS 1.3');
    expect(report.message).to.equal('Hello from the server.<EOF>');
  });

  it('demo prints a readable report', () => {
    const r = run('demo', '--megabytes', '1');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/checksum\s+\S+… match/);
    expect(r.stdout).to.match(/cipher suite\s+TLS_/);
  });

  it('bad arguments: one line on stderr and exit code 2', () => {
    const r = run('demo', '--megabytes', 'lots');
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    const unknown = run('frobnicate');
    expect(unknown.code).to.equal(2);
  });
});

describe('the ssl-duplex command: connect, serve, tunnel, cert', function () {
  this.timeout(30000);
  let files: Awaited<ReturnType<typeof pkiFiles>>;
  const peers: Peer[] = [];
  before(async () => {
    files = await pkiFiles();
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.stop();
  });
  after(() => files.cleanup());

  async function serve(...args: string[]): Promise<number> {
    const p = startPeer(process.execPath, [bin, 'serve', '--port', '0', '--json', ...args]);
    peers.push(p);
    await p.waitFor('"listening"');
    return (JSON.parse(p.output().split('\n')[0]!) as { port: number }).port;
  }

  function runWithInput(
    input: string,
    ...args: string[]
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  it('serve --echo answers openssl s_client', async function () {
    if (!have('openssl')) this.skip();
    const port = await serve('--echo', '--cert', files.file('server.pem'), '--key', files.file('server.key'));
    const client = opensslClient(port, ['-verify_return_error', '-quiet'], files);
    peers.push(client);
    client.child.stdin!.write('ping through serve\n');
    await client.waitFor('ping through serve');
  });

  it('serve --echo (ephemeral certificate) answers curl', async function () {
    if (!have('curl')) this.skip();
    const port = await serve('--echo');
    const curl = spawnSync(
      'curl',
      ['-sS', '--http0.9', '--insecure', '--max-time', '3', `https://127.0.0.1:${port}/echoed`],
      { encoding: 'utf8' },
    );
    // The echo server never ends the response; curl stops at --max-time with what it got.
    expect(curl.stdout).to.contain('GET /echoed HTTP/1.1');
  });

  it('serve --workers 2 runs on node:cluster: one listening line, both workers serve, one certificate, sessions resume across workers', async () => {
    const p = startPeer(process.execPath, [bin, 'serve', '--port', '0', '--json', '--echo', '--workers', '2']);
    peers.push(p);
    await p.waitFor('"listening"');
    const listening = JSON.parse(p.output().split('\n')[0]!) as { port: number; workers: number };
    expect(listening.workers).to.equal(2);
    let session: Buffer | undefined;
    const fingerprints = new Set<string>();
    const reused: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      // Two full handshakes (round-robin: one per worker), then four that offer the first session.
      const offer = i >= 2 ? session : undefined;
      const client = tls.connect({
        port: listening.port,
        host: '127.0.0.1',
        rejectUnauthorized: false,
        session: offer,
      });
      client.on('session', (s: Buffer) => (session ??= s));
      await once(client, 'secureConnect');
      if (offer === undefined) fingerprints.add(client.getPeerX509Certificate()!.fingerprint256);
      else reused.push(client.isSessionReused());
      client.end('x');
      client.resume();
      await once(client, 'close');
    }
    await tick(200);
    const workers = p
      .output()
      .split('\n')
      .filter((l) => l.includes('"connection"'))
      .map((l) => (JSON.parse(l) as { worker: number }).worker);
    expect(new Set(workers)).to.deep.equal(new Set([1, 2]));
    expect(fingerprints.size, 'every worker presents the certificate the primary made').to.equal(1);
    expect(reused, 'ticket keys shared between workers').to.deep.equal([true, true, true, true]);
    expect(
      p
        .output()
        .split('\n')
        .filter((l) => l.includes('"listening"')),
    ).to.have.length(1);
  });

  it('serve --workers 2 on a port that is taken exits with the error instead of forking for ever', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as net.AddressInfo).port);
    const r = spawnSync(process.execPath, [bin, 'serve', '--echo', '--port', port, '--workers', '2'], {
      encoding: 'utf8',
      timeout: 15000,
    });
    taken.close();
    expect(r.status, 'exited by itself, not by the timeout').to.equal(1);
    expect(r.stderr).to.contain('EADDRINUSE');
  });

  it('connect talks to openssl s_server, the session summary on stderr', async function () {
    if (!have('openssl')) this.skip();
    const { peer: server, port } = await opensslServer(files);
    peers.push(server);
    const child = spawn(process.execPath, [
      bin,
      'connect',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--ca',
      files.file('ca.pem'),
      '--tls1.2',
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.write('from ssl-duplex connect\n');
    await server.waitFor('from ssl-duplex connect');
    server.child.stdin!.write('from s_server\n');
    while (!stdout.includes('from s_server')) await new Promise((r) => setTimeout(r, 20));
    server.child.stdin!.write('q\n'); // close_notify: connect exits
    child.stdin.end();
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).to.equal(0);
    expect(stderr).to.match(/TLSv1\.2/);
    expect(stderr).to.contain('CN=localhost');
  });

  it('tunnel carries an HTTP request from curl to an HTTPS server', async function () {
    if (!have('curl')) this.skip();
    const pki = await fixtures();
    const web = http.createServer((req, res) =>
      res.end(`tunneled ${req.url} encrypted=${String((req.socket as { encrypted?: boolean }).encrypted)}`),
    );
    const https = createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => web.emit('connection', s));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const target = (https.address() as net.AddressInfo).port;
    const accept = await freePort();
    const tunnel = startPeer(process.execPath, [
      bin,
      'tunnel',
      '--accept',
      `127.0.0.1:${accept}`,
      '--connect',
      `127.0.0.1:${target}`,
      '--servername',
      'localhost',
      '--ca',
      files.file('ca.pem'),
    ]);
    peers.push(tunnel);
    await tunnel.waitFor('tunnel listening');
    try {
      for (const path of ['/a', '/b']) {
        // curl runs asynchronously: the HTTPS server lives in this process.
        const curl = spawn('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${accept}${path}`]);
        let out = '';
        curl.stdout.on('data', (c: Buffer) => (out += c.toString()));
        curl.stderr.on('data', (c: Buffer) => (out += c.toString()));
        const [status] = (await once(curl, 'exit')) as [number];
        expect(status, out).to.equal(0);
        expect(out).to.equal(`tunneled ${path} encrypted=true`);
      }
    } finally {
      https.close();
      web.close();
    }
  });

  it('cert writes a certificate and key that serve accepts', async () => {
    const out = path.join(files.dir, 'made');
    const r = run('cert', '--out', out, '--name', 'localhost', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const info = JSON.parse(r.stdout) as { cert: string; key: string; fingerprint256: string };
    const port = await serve('--echo', '--cert', info.cert, '--key', info.key);
    const echoed = await runWithInput(
      'pinned\n',
      'connect',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--ca',
      info.cert,
    );
    expect(echoed.code, echoed.stderr).to.equal(0);
    expect(echoed.stdout).to.equal('pinned\n');
  });

  describe('errors: one line and a non-zero exit', () => {
    const oneLine = (stderr: string): void => {
      expect(stderr.trim().split('\n'), stderr).to.have.length(1);
    };

    it('a refused port', async () => {
      const port = await freePort();
      const r = await runWithInput('', 'connect', `127.0.0.1:${port}`);
      expect(r.code).to.equal(1);
      oneLine(r.stderr);
      expect(r.stderr).to.contain('ECONNREFUSED');
    });

    it('a wrong host name', async () => {
      const port = await serve('--echo', '--cert', files.file('server.pem'), '--key', files.file('server.key'));
      const r = await runWithInput(
        '',
        'connect',
        `127.0.0.1:${port}`,
        '--servername',
        'wrong.example',
        '--ca',
        files.file('ca.pem'),
      );
      expect(r.code).to.equal(1);
      oneLine(r.stderr);
      expect(r.stderr).to.contain('RemoteCertificateNameMismatch');
    });

    it('an untrusted certificate', async () => {
      const port = await serve('--echo');
      const r = await runWithInput('', 'connect', `127.0.0.1:${port}`, '--servername', 'localhost');
      expect(r.code).to.equal(1);
      oneLine(r.stderr);
      expect(r.stderr).to.contain('RemoteCertificateChainErrors');
    });

    it('bad arguments exit 2', () => {
      for (const args of [
        ['connect', 'no-port'],
        ['serve', '--port', '70000', '--echo'],
        ['serve'],
        ['tunnel', '--accept', 'x:1'],
      ]) {
        const r = run(...args);
        expect(r.code, args.join(' ')).to.equal(2);
        oneLine(r.stderr);
      }
    });
  });
});
