import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fixtures } from './fixtures';

/** True when `cmd` is on the PATH (CI installs the peers; a developer may not have them). */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** The test PKI written to a temporary folder, for peers that read files. */
export async function pkiFiles(): Promise<{ dir: string; file: (name: string) => string; cleanup: () => void }> {
  const pki = await fixtures();
  const dir = mkdtempSync(path.join(tmpdir(), 'ssl-duplex-pki-'));
  const files: Record<string, string> = {
    'ca.pem': pki.ca.cert,
    'server.pem': pki.server.cert,
    'server.key': pki.server.key,
    'client.pem': pki.client.cert,
    'client.key': pki.client.key,
  };
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, name), body);
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until something accepts TCP connections on the port. */
export async function waitForPort(port: number, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A child process with its output collected, killed by `stop()`. */
export interface Peer {
  child: ChildProcess;
  output: () => string;
  waitFor: (text: string | RegExp, ms?: number) => Promise<void>;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

export function startPeer(cmd: string, args: string[], options: { stdin?: 'pipe' | 'ignore' } = {}): Peer {
  const child = spawn(cmd, args, { stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'] });
  // A peer may exit while the spec still writes to it (s_client quits when the server refuses a
  // renegotiation): the spec checks what the peer did, not that its stdin stayed open.
  child.stdin?.on('error', () => undefined);
  let out = '';
  const listeners: Array<() => void> = [];
  const onData = (c: Buffer): void => {
    out += c.toString('latin1');
    for (const l of listeners.slice()) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (text, ms = 10000) =>
      new Promise<void>((resolve, reject) => {
        const test = (): boolean => (typeof text === 'string' ? out.includes(text) : text.test(out));
        if (test()) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(text)}; got:\n${out}`)), ms);
        const check = (): void => {
          if (test()) {
            clearTimeout(timer);
            listeners.splice(listeners.indexOf(check), 1);
            resolve();
          }
        };
        listeners.push(check);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/**
 * `openssl s_server` on a free loopback port with the test server certificate, for one connection
 * (`-naccept 1`); resolves once it accepts. `extra` adds arguments (versions, client certificates).
 */
export async function opensslServer(
  files: { file: (name: string) => string },
  extra: string[] = [],
): Promise<{ peer: Peer; port: number }> {
  const port = await freePort();
  const peer = startPeer('openssl', [
    's_server',
    '-accept',
    String(port),
    '-cert',
    files.file('server.pem'),
    '-key',
    files.file('server.key'),
    '-naccept',
    '1',
    ...extra,
  ]);
  try {
    await peer.waitFor('ACCEPT'); // (a probe connection would use up -naccept 1)
  } catch (err) {
    await peer.stop();
    throw err;
  }
  return { peer, port };
}

/**
 * `openssl s_client` to a loopback port. With `files`, it sends SNI `localhost` and trusts the
 * test CA; `extra` adds arguments.
 */
export function opensslClient(port: number, extra: string[], files?: { file: (name: string) => string }): Peer {
  const verify = files ? ['-servername', 'localhost', '-CAfile', files.file('ca.pem')] : [];
  return startPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...verify, ...extra]);
}
