import { expect } from 'chai';
import { RecordBoundary } from '../lib/record-boundary';

/** A TLS record: 5-byte header (type, version, length) and `length` body bytes. */
function record(length: number, type = 23): Buffer {
  return Buffer.concat([Buffer.from([type, 3, 3, length >> 8, length & 0xff]), Buffer.alloc(length, 0xee)]);
}

/** insideRecord after feeding `bytes` in the given chunk sizes. */
function fedIn(bytes: Buffer, sizes: number[]): boolean[] {
  const r = new RecordBoundary();
  const seen: boolean[] = [];
  let at = 0;
  for (const size of sizes) {
    r.feed(bytes.subarray(at, at + size));
    at += size;
    seen.push(r.insideRecord);
  }
  return seen;
}

describe('the record boundary (record-boundary.ts)', () => {
  it('nothing fed is a boundary', () => {
    expect(new RecordBoundary().insideRecord).to.equal(false);
  });

  it('a whole record in one chunk ends at a boundary', () => {
    expect(fedIn(record(100), [105])).to.deep.equal([false]);
  });

  it('fed byte by byte, it is inside the record until the last body byte', () => {
    const bytes = record(3);
    const seen = fedIn(bytes, new Array<number>(bytes.length).fill(1));
    expect(seen).to.deep.equal([true, true, true, true, true, true, true, false]);
  });

  it('a header split between chunks (inside the length field) is inside a record', () => {
    expect(fedIn(record(300), [4, 1, 300])).to.deep.equal([true, true, false]);
  });

  it('several records in one chunk, and one split across the next, are followed exactly', () => {
    const bytes = Buffer.concat([record(10), record(0), record(16384), record(7)]);
    const cut = 15 + 5 + 5 + 100;
    expect(fedIn(bytes, [cut, bytes.length - cut - 3, 3])).to.deep.equal([true, true, false]);
  });

  it('a zero-length record is complete with its header', () => {
    expect(fedIn(record(0), [5])).to.deep.equal([false]);
  });

  it('the largest length the header can say (65535) is followed', () => {
    expect(fedIn(record(65535), [5, 65534, 1])).to.deep.equal([true, true, false]);
  });

  it('only the two length bytes matter: type and version bytes are not read', () => {
    const odd = Buffer.from([0xff, 0xff, 0xff, 0, 2, 0xaa, 0xbb]);
    expect(fedIn(odd, [7])).to.deep.equal([false]);
    expect(fedIn(odd, [6])).to.deep.equal([true]);
  });
});
