import type * as net from 'node:net';
import { Duplex } from 'node:stream';

/**
 * A plain `stream.Duplex` that forwards to a socket, as application code writes one (a proxy, a
 * multiplexer, a wrapper that counts bytes): the JS path of SslDuplex, whose inner stream errors
 * whenever the socket does and is destroyed with that error.
 */
export function forwarding(socket: net.Socket): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (err) => d.destroy(err));
  socket.on('close', () => d.destroy());
  return d;
}

/** Wraps one side of a pair so that everything it receives is re-chunked by `split`. */
export function rechunked(inner: Duplex, split: (chunk: Buffer) => Buffer[]): Duplex {
  const out = new Duplex({
    read() {
      inner.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      inner.write(chunk, cb);
    },
    final(cb) {
      inner.end();
      cb();
    },
  });
  inner.on('data', (chunk: Buffer) => {
    for (const piece of split(chunk)) if (!out.push(piece)) inner.pause();
  });
  inner.on('end', () => out.push(null));
  return out;
}
