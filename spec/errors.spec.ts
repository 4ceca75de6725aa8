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
} from '../lib';

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
