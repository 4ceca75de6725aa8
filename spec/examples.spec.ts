import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fixtures } from './helpers/fixtures';

function lines(child: ChildProcess): { all: string[]; waitFor: (re: RegExp) => Promise<RegExpMatchArray> } {
  const all: string[] = [];
  const waiters: Array<[RegExp, (m: RegExpMatchArray) => void]> = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      all.push(line);
      for (const [re, resolve] of waiters) {
        const m = line.match(re);
        if (m) resolve(m);
      }
    }
  });
  return {
    all,
    waitFor: (re) =>
      new Promise((resolve) => {
        const hit = all.map((l) => l.match(re)).find(Boolean);
        if (hit) resolve(hit);
        else waiters.push([re, resolve]);
      }),
  };
}

describe('examples: the SslStream.BeginWrite sample, ported', () => {
  const dir = path.resolve(__dirname, '..', 'examples');
  let tmp: string;
  before(async () => {
    const pki = await fixtures();
    tmp = mkdtempSync(path.join(tmpdir(), 'ssl-duplex-'));
    writeFileSync(path.join(tmp, 'cert.pem'), pki.server.cert);
    writeFileSync(path.join(tmp, 'key.pem'), pki.server.key);
    writeFileSync(path.join(tmp, 'ca.pem'), pki.ca.cert);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the server reads until <EOF> with beginRead/endRead and answers with beginWrite/endWrite', async () => {
    const server = spawn(process.execPath, [
      path.join(dir, 'seed-server.js'),
      path.join(tmp, 'cert.pem'),
      path.join(tmp, 'key.pem'),
    ]);
    try {
      const out = lines(server);
      const [, port] = await out.waitFor(/^Listening on (\d+)/);
      const client = spawn(process.execPath, [path.join(dir, 'seed-client.js'), port!, path.join(tmp, 'ca.pem')]);
      const clientOut = lines(client);
      const code = await new Promise<number | null>((resolve) => client.on('exit', resolve));
      expect(code).to.equal(0);
      expect(clientOut.all).to.include('Server says: Hello from the server.<EOF>');
      await out.waitFor(/^Write complete\./);
      expect(out.all).to.include('Message from the client: Hello from the client.<EOF>');
    } finally {
      server.kill();
    }
  });
});
