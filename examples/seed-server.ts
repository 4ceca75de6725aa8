/**
 * The SslStream.BeginWrite sample from .NET's documentation, ported: a TLS server that reads with
 * beginRead/endRead until it sees "<EOF>", then answers "Hello from the server.<EOF>" with
 * beginWrite/endWrite.
 *
 *   node dist/examples/seed-server.js CERT.pem KEY.pem [port]
 */
import { readFileSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import * as net from 'node:net';
import { SslDuplex, SslProtocols, type IAsyncResult } from '../lib';

interface ClientState {
  stream: SslDuplex;
  buffer: Uint8Array;
  readData: string;
  // TextDecoder with { stream: true } plays the role of .NET's Decoder: a character split across
  // two reads is decoded once both halves arrived.
  decoder: TextDecoder;
}

function readCallback(ar: IAsyncResult): void {
  const state = ar.asyncState as ClientState;
  const stream = state.stream;
  try {
    console.log('Reading data from the client.');
    const byteCount = stream.endRead(ar);
    state.readData += state.decoder.decode(state.buffer.subarray(0, byteCount), { stream: true });
    // Check for EOF or an empty message.
    if (!state.readData.includes('<EOF>') && byteCount !== 0) {
      // We are not finished reading: read more message data from the client.
      stream.beginRead(state.buffer, 0, state.buffer.length, readCallback, state);
    } else {
      console.log(`Message from the client: ${state.readData}`);
      // Signal the end of the message using "<EOF>".
      const message = Buffer.from('Hello from the server.<EOF>', 'utf8');
      stream.beginWrite(message, 0, message.length, writeCallback, state);
    }
  } catch (readException) {
    console.log(`Read error: ${(readException as Error).message}`);
    stream.dispose();
  }
}

function writeCallback(ar: IAsyncResult): void {
  const state = ar.asyncState as ClientState;
  try {
    state.stream.endWrite(ar);
    console.log('Write complete.');
    state.stream.shutdownAsync().finally(() => state.stream.dispose());
  } catch (writeException) {
    console.log(`Write error: ${(writeException as Error).message}`);
    state.stream.dispose();
  }
}

function authenticateCallback(ar: IAsyncResult): void {
  const state = ar.asyncState as ClientState;
  try {
    state.stream.endAuthenticateAsServer(ar);
    console.log(`Authenticated: ${state.stream.negotiatedCipherSuite}`);
    state.stream.beginRead(state.buffer, 0, state.buffer.length, readCallback, state);
  } catch (authException) {
    console.log(`Authentication failed: ${(authException as Error).message}`);
    state.stream.dispose();
  }
}

export function startSeedServer(certificate: { cert: string; key: string }, port = 0): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const stream = new SslDuplex(socket, false);
    const state: ClientState = { stream, buffer: new Uint8Array(2048), readData: '', decoder: new TextDecoder() };
    stream.beginAuthenticateAsServer(certificate, false, SslProtocols.None, false, authenticateCallback, state);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (require.main === module) {
  const [certPath, keyPath, port] = process.argv.slice(2);
  if (!certPath || !keyPath) {
    console.error('usage: seed-server CERT.pem KEY.pem [port]');
    process.exit(2);
  }
  const certificate = { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  void startSeedServer(certificate, Number(port ?? 0)).then((server) => {
    console.log(`Listening on ${(server.address() as net.AddressInfo).port}`);
  });
}
