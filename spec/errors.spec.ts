import { expect } from 'chai';
import {
  AbortError,
  ArgumentError,
  ArgumentNullError,
  ArgumentOutOfRangeError,
  AuthenticationError,
  InvalidOperationError,
  IOError,
  isSslDuplexError,
  NotSupportedError,
  ObjectDisposedError,
  SslDuplexError,
  TimeoutError,
  SslDuplex,
} from '../lib';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { duplexPair } from 'node:stream';
import { Messages } from '../lib/errors';
import { authenticatedPair, refuseWrites } from './helpers/pairs';

describe('errors (contract §1)', () => {
  const table: Array<[string, () => Error, Function, string | undefined]> = [
    ['SslDuplexError', () => new SslDuplexError('x'), Error, undefined],
    ['ArgumentError', () => new ArgumentError('p'), TypeError, 'SSLD_ERR_ARGUMENT'],
    ['ArgumentNullError', () => new ArgumentNullError('p'), ArgumentError, 'SSLD_ERR_ARGUMENT_NULL'],
    ['ArgumentOutOfRangeError', () => new ArgumentOutOfRangeError('p'), RangeError, 'SSLD_ERR_ARGUMENT_OUT_OF_RANGE'],
    ['NotSupportedError', () => new NotSupportedError('x'), SslDuplexError, 'SSLD_ERR_NOT_SUPPORTED'],
    ['InvalidOperationError', () => new InvalidOperationError('x'), SslDuplexError, 'SSLD_ERR_INVALID_OPERATION'],
    ['ObjectDisposedError', () => new ObjectDisposedError(), InvalidOperationError, 'SSLD_ERR_OBJECT_DISPOSED'],
    ['IOError', () => new IOError('x'), SslDuplexError, 'SSLD_ERR_IO'],
    ['TimeoutError', () => new TimeoutError('x'), IOError, 'SSLD_ERR_TIMEOUT'],
    ['AuthenticationError', () => new AuthenticationError('x'), SslDuplexError, 'SSLD_ERR_AUTHENTICATION'],
  ];
  for (const [name, make, base, code] of table) {
    it(`${name} extends ${base.name}, is named ${name}${code ? ` and has code ${code}` : ''}`, () => {
      const e = make();
      expect(e).to.be.instanceOf(base);
      expect(e.name).to.equal(name);
      if (code) expect((e as { code?: string }).code).to.equal(code);
      expect(isSslDuplexError(e)).to.equal(true);
    });
  }

  it("every class constructs with no arguments and .NET's default message (as .NET's exceptions do)", () => {
    const defaults: Array<[new () => Error, string]> = [
      [SslDuplexError, "Exception of type 'SslDuplexError' was thrown."],
      [ArgumentError, 'Value does not fall within the expected range.'],
      [ArgumentNullError, 'Value cannot be null.'],
      [ArgumentOutOfRangeError, 'Specified argument was out of the range of valid values.'],
      [NotSupportedError, 'Specified method is not supported.'],
      [InvalidOperationError, 'Operation is not valid due to the current state of the object.'],
      [ObjectDisposedError, "Cannot access a disposed object. Object name: 'SslDuplex'."],
      [IOError, 'I/O error occurred.'],
      [TimeoutError, 'The operation has timed out.'],
      [AuthenticationError, 'System error.'],
    ];
    for (const [Class, message] of defaults) {
      const e = new Class();
      expect([e.name, e.message]).to.deep.equal([Class.name, message]);
      expect((e as { paramName?: string }).paramName).to.equal(undefined);
    }
  });

  it('argument errors carry paramName', () => {
    expect(new ArgumentNullError('buffer').paramName).to.equal('buffer');
    expect(new ArgumentOutOfRangeError('count').paramName).to.equal('count');
    expect(new ArgumentError('asyncResult').paramName).to.equal('asyncResult');
  });

  it('wrapped errors keep the ES2022 cause', () => {
    const cause = new Error('inner');
    expect(new IOError('x', { cause }).cause).to.equal(cause);
    expect(new AuthenticationError('x', { cause }).cause).to.equal(cause);
  });

  it('isSslDuplexError is false for foreign errors', () => {
    expect(isSslDuplexError(new Error('x'))).to.equal(false);
    expect(isSslDuplexError(new TypeError('x'))).to.equal(false);
    expect(isSslDuplexError(null)).to.equal(false);
    expect(isSslDuplexError('SSLD_ERR_IO')).to.equal(false);
  });

  it('AbortError looks like Node’s', () => {
    const e = new AbortError(undefined, { cause: 'why' });
    expect(e.name).to.equal('AbortError');
    expect(e.code).to.equal('ABORT_ERR');
    expect(e.cause).to.equal('why');
  });
});

describe('error messages say what failed (errors.ts)', function () {
  this.timeout(20000);

  it("isSslDuplexError's type guard covers AbortError, which it returns true for", () => {
    type Guarded = typeof isSslDuplexError extends (e: unknown) => e is infer T ? T : never;
    // Compile-time half: this line does not type-check if the guard leaves AbortError out.
    const covered: AbortError extends Guarded ? true : false = true;
    expect(covered).to.equal(true);
    expect(isSslDuplexError(new AbortError())).to.equal(true);
  });

  it('a transport whose write throws during the handshake → IOError with that cause, not "unexpected EOF"', async () => {
    const [a] = duplexPair();
    const boom = new Error('the transport refused the write');
    (a as unknown as { write: () => never }).write = () => {
      throw boom;
    };
    const client = new SslDuplex(a);
    const e = await client.authenticateAsClientAsync('localhost').catch((err: unknown) => err);
    expect(e).to.be.instanceOf(IOError);
    expect((e as IOError).cause).to.equal(boom);
    expect((e as IOError).message).to.not.equal(Messages.eof);
    client.dispose();
  });

  it('a write that fails after the handshake names the write, never the read', async () => {
    const [client, server, inner] = await authenticatedPair();
    refuseWrites(inner);
    const e = await client.writeAsync(Buffer.from('x')).catch((err: unknown) => err);
    expect(e).to.be.instanceOf(IOError);
    expect((e as IOError).message).to.equal(Messages.writeFailed);
    expect((e as IOError).message).to.not.match(/read/i);
    client.dispose();
    server.dispose();
  });

  it('a write the transport fails (its callback error, no syscall) names the write too, and faults the stream', async () => {
    const [client, server, inner] = await authenticatedPair();
    (inner as unknown as { _write: (c: unknown, e: unknown, cb: (err: Error) => void) => void })._write = (
      _c,
      _e,
      cb,
    ) => cb(new Error('boom'));
    const e = await client.writeAsync(Buffer.alloc(64 * 1024)).catch((err: unknown) => err);
    expect(e).to.be.instanceOf(IOError);
    expect((e as IOError).message).to.equal(Messages.writeFailed);
    expect(await client.writeAsync(Buffer.from('x')).catch((err: unknown) => err), 'the stored fault').to.equal(e);
    client.dispose();
    server.dispose();
  });

  it('no sentence is written outside errors.ts: every error in lib/ takes its message from Messages', () => {
    const dir = path.join(__dirname, '..', '..', 'lib');
    const offenders: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'errors.ts')) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      // A string literal of three words or more among an error constructor's arguments.
      const inline = /new \w*Error\([^\n]*?(['"`])[^'"`\n]*? [^'"`\n]*? [^'"`\n]*?\1/g;
      for (const m of source.matchAll(inline)) offenders.push(`${file}: ${m[0].slice(0, 80)}`);
    }
    expect(offenders).to.deep.equal([]);
  });
});
