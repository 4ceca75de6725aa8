import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

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
