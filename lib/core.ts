import * as net from 'node:net';
import type { Duplex } from 'readable-stream';
import type * as tls from 'node:tls';
import { AuthenticationError, IOError, Messages, ObjectDisposedError, SslDuplexError } from './errors';
import type { GuardView, Role } from './guards';
import type {
  CertificateWithKey,
  LocalCertificateSelectionCallback,
  RemoteCertificateValidationCallback,
} from './options';
import type { Pending } from './pending';
import { NO_VERDICT, type Verdict } from './policy';
import { ReadHalf, type ReadHost } from './read-half';
import type { Session } from './session';
import { debug } from './debug';
import { nextPhase, Phase } from './state';
import { closeInner, Transport, type InnerStream } from './transport';
import { WriteHalf, type WriteHost } from './write-half';

/** How long a refused handshake's last flight and close_notify may take to leave before we cut. */
const kGracefulCloseMs = 2000;

/** True while a Duplex's readable side is in use: flowing, piped, `'data'`/`'readable'` listeners. */
export function streamReading(face: Duplex): boolean {
  return face.readableFlowing === true || face.listenerCount('data') > 0 || face.listenerCount('readable') > 0;
}

/** The authentication in progress: who waits for it and what it needs once TLS is done. */
export interface AuthRequest {
  pending: Pending<void>;
  validate: RemoteCertificateValidationCallback | undefined;
  clientCertificateRequired: boolean;
  /** Client: the certificate offered; server: the one served (SNI may change it). */
  localCertificate: CertificateWithKey | null;
  /** The peer certificate Node's client looked at during the handshake (see judgePeer). */
  seenPeer: tls.PeerCertificate | undefined;
}

/** Where an SslDuplex keeps its core: a symbol, so that it never meets a user's or a stream's name. */
export const kCore = Symbol('ssl-duplex core');

/** TLS events an SslDuplex re-emits once somebody listens (TLS turns them on only for listeners). */
export const forwardedEvents: readonly string[] = ['session', 'keylog', 'OCSPResponse'];

const kOwner = Symbol('ssl-duplex core');
type OwnedSocket = tls.TLSSocket & { [kOwner]?: Core };

/**
 * The TLS socket's listeners, shared by every connection: EventEmitter calls them with the socket
 * as `this`, and the socket points back at its core. Six closures per connection were a tenth of
 * an idle connection's heap.
 */
const tlsListeners = {
  error(this: OwnedSocket, err: unknown): void {
    this[kOwner]!.tlsError(err);
  },
  end(this: OwnedSocket): void {
    this[kOwner]!.tlsEnded();
  },
  close(this: OwnedSocket): void {
    this[kOwner]!.tlsClosed();
  },
  data(this: OwnedSocket, chunk: Buffer): void {
    this[kOwner]!.tlsData(chunk);
  },
};

function isTlsLibraryError(err: unknown): boolean {
  const e = err as { code?: unknown; library?: unknown };
  return (
    typeof e?.library === 'string' ||
    (typeof e?.code === 'string' && (e.code.startsWith('ERR_SSL_') || e.code.startsWith('ERR_TLS_')))
  );
}

/** Which operation a TLS error after the handshake belongs to, for a message that does not lie. */
function messageFor(err: unknown, writing: boolean): string {
  const syscall = (err as { syscall?: unknown })?.syscall;
  if (syscall === 'write') return Messages.writeFailed;
  if (syscall === 'read' || isTlsLibraryError(err)) return Messages.readFailed;
  // The transport's own error, with no syscall to tell: a write in flight is what it broke.
  return writing ? Messages.writeFailed : Messages.connectionFailed;
}

/**
 * The engine behind every face of an SslDuplex: its phase, its stored fault, the TLS socket and
 * the two halves. It routes TLS's events, and it alone tears down, one way: fault() and dispose()
 * settle what is pending, release TLS and the inner stream, then tell the face; the face never
 * calls back into a teardown that is already running.
 */
export class Core implements GuardView, ReadHost, WriteHost {
  readonly inner: InnerStream;
  readonly leaveInnerStreamOpen: boolean;
  /** The SslDuplex: plaintext is pushed to it, events emitted on it, and it is the callbacks' sender. */
  readonly face: Duplex;
  readonly ctorValidation: RemoteCertificateValidationCallback | undefined;
  readonly ctorSelection: LocalCertificateSelectionCallback | undefined;
  readonly read: ReadHalf;
  readonly write: WriteHalf;
  readTimeout = -1;
  writeTimeout = -1;

  #phase: Phase = Phase.Created;
  fault: unknown = undefined;
  role: Role | null = null;
  auth: AuthRequest | null = null;
  session: Session | null = null;
  verdict: Verdict = NO_VERDICT;
  targetHost = '';
  checkRevocation = false;
  tls: tls.TLSSocket | null = null;
  transport: Transport | null = null;
  bytesRead = 0;
  bytesWritten = 0;
  idleTimer: NodeJS.Timeout | null = null;
  /** Calls made on the TLS socket before it exists (disableRenegotiation() right after connect()…). */
  beforeTls: Array<(socket: tls.TLSSocket) => void> | null = null;
  /** Where plaintext goes instead of the stream face's buffer (`onread`, see node-onread.ts). */
  sink: ((chunk: Buffer | null) => boolean) | null = null;
  /** Set for a socket made by connect() or createServer(): its faults and errors are Node's. */
  personality: Role | null = null;
  /**
   * createServer()'s 'tlsClientError' while the connection authenticates: the face's 'error' events
   * go there instead of to listeners (a listener added and removed per connection would turn the
   * face's `_events` into a dictionary).
   */
  clientErrors: ((err: Error) => void) | null = null;

  constructor(
    face: Duplex,
    inner: InnerStream,
    leaveInnerStreamOpen: boolean,
    validation: RemoteCertificateValidationCallback | undefined,
    selection: LocalCertificateSelectionCallback | undefined,
  ) {
    this.face = face;
    this.inner = inner;
    this.leaveInnerStreamOpen = leaveInnerStreamOpen;
    this.ctorValidation = validation;
    this.ctorSelection = selection;
    this.read = new ReadHalf(this);
    this.write = new WriteHalf(this);
  }

  get phase(): Phase {
    return this.#phase;
  }

  get shutdown(): boolean {
    return this.write.shutdown;
  }

  readBusy(): boolean {
    return this.read.op !== null || streamReading(this.face);
  }

  writeBusy(): boolean {
    // Stream writes still buffered in the face (behind one in flight, or corked for the tick) hold the slot too.
    return this.write.busy || this.face.writableLength > 0;
  }

  /** The only writer of the phase: the table in state.ts decides what is legal. */
  transition(to: Phase, cause?: unknown): void {
    const from = this.#phase;
    this.#phase = nextPhase(from, to);
    if (debug.enabled) {
      const s = this.session;
      const detail =
        to === Phase.Authenticated && s
          ? ` (${this.role}, ${this.tls?.getProtocol() ?? '?'}, ${s.cipher.suite}${s.alpn ? `, ALPN ${s.alpn}` : ''})`
          : cause !== undefined
            ? ` (${(cause as Error).name}: ${(cause as Error).message})`
            : '';
      debug('%s → %s%s', from, to, detail);
    }
  }

  /**
   * What Node's TLS reads and writes. A connected `net.Socket` goes in as it is, keeping Node's
   * native path (OpenSSL on the socket's handle); everything else, and any stream that must
   * survive TLS, goes through the Transport shim.
   */
  transportForTls(): net.Socket {
    const inner = this.inner;
    const native =
      inner instanceof net.Socket &&
      !this.leaveInnerStreamOpen &&
      !inner.connecting &&
      (inner as unknown as { _handle?: unknown })._handle != null &&
      !inner.readableEncoding &&
      inner.readableObjectMode !== true;
    if (native) {
      // The half-open policy is SslDuplex's (allowHalfOpen option); the TLS layer below must not
      // close its writable side because the peer ended.
      inner.allowHalfOpen = true;
      return inner;
    }
    this.transport = new Transport(inner, this.leaveInnerStreamOpen);
    return this.transport as unknown as net.Socket;
  }

  /** Starts listening to the TLS socket the handshake made. */
  attach(socket: tls.TLSSocket): void {
    this.tls = socket;
    (socket as OwnedSocket)[kOwner] = this;
    socket.on('error', tlsListeners.error);
    // A standalone server-side TLSSocket reports inner-stream errors only on this private event.
    socket.on('_tlsError', tlsListeners.error);
    socket.on('end', tlsListeners.end);
    socket.on('close', tlsListeners.close);
    for (let i = 0; i < forwardedEvents.length; i++) {
      if (this.face.listenerCount(forwardedEvents[i]!) > 0) this.forwardTlsEvent(forwardedEvents[i]!);
    }
    // The record-feeding transport stops at the peer's close_notify: TLS has pushed its end.
    if (this.transport !== null && this.leaveInnerStreamOpen) {
      this.transport.tlsEnded = () =>
        (socket as unknown as { _readableState: { ended: boolean } })._readableState.ended;
    }
    const calls = this.beforeTls;
    if (calls !== null) {
      this.beforeTls = null;
      for (let i = 0; i < calls.length; i++) calls[i]!(socket);
    }
  }

  /** Runs `call` on the TLS socket now, or as soon as the handshake makes it (tls.TLSSocket exists from the start). */
  withTls(call: (socket: tls.TLSSocket) => void): void {
    if (this.tls !== null) call(this.tls);
    else (this.beforeTls ??= []).push(call);
  }

  forwardTlsEvent(event: string): void {
    const socket = this.tls;
    if (socket === null || socket.listenerCount(event) > 0) return;
    socket.on(event, (...args: unknown[]) => this.face.emit(event, ...args));
  }

  /** The handshake and the certificate judgement succeeded: plaintext flows both ways. */
  authenticated(): void {
    this.transition(Phase.Authenticated);
    this.auth = null;
    this.tls!.on('data', tlsListeners.data);
    this.read.open();
    this.write.open();
  }

  /** A handshake failure becomes the stored fault; the authentication's waiter gets it. */
  authFailed(error: unknown, graceful = false): void {
    if (this.#phase !== Phase.Authenticating) return;
    this.session = null;
    this.fail(error, graceful);
  }

  /**
   * Stores the first fatal error; every later operation reports it (rule 1). `graceful`: TLS
   * finished its handshake and only our judgement refused it, so its last flight and a
   * close_notify still go out (see #release).
   */
  fail(error: unknown, graceful = false): void {
    if (this.#phase === Phase.Faulted || this.#phase === Phase.Disposed) return;
    // Whether the stream face is in use must be read before its writes are settled below.
    const report = this.#streamFaceInUse() || this.#nodeReports();
    this.fault = error;
    this.transition(Phase.Faulted, error);
    this.#settleAll(error);
    this.#release(graceful);
    // The stream face hears of it only if somebody uses it (contract §2), or if it is Node's socket.
    if (report && !this.face.destroyed) this.face.destroy(error as Error);
  }

  /** The stream face was destroyed: by its user (which disposes), or by a fault reported above. */
  faceDestroyed(error: Error | null): void {
    // A faulted stream's face destroyed with an error is the fault's report (Node's error for a
    // socket made by connect()/createServer()): the fault stays what later calls report.
    if (error !== null && this.#phase === Phase.Faulted) return;
    this.dispose();
  }

  /**
   * A socket made by connect()/createServer() reports an authenticated connection's fault as
   * tls.TLSSocket does, read or not, unless the program uses the .NET methods (§2 then holds).
   * Handshake failures are the factories' to report (with Node's decorations).
   */
  #nodeReports(): boolean {
    return this.#phase === Phase.Authenticated && !this.read.apmUsed && this.personality !== null;
  }

  #streamFaceInUse(): boolean {
    return streamReading(this.face) || this.read.streamWants || this.write.streamBusy || this.face.writableLength > 0;
  }

  /** Releases everything; idempotent. Pending operations complete with ObjectDisposedError. */
  dispose(): void {
    const from = this.#phase;
    if (from === Phase.Disposed) return;
    this.transition(Phase.Disposed);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    // Most connections end with nothing pending: no error object (and its stack) for nobody.
    if (this.auth !== null || this.read.op !== null || this.write.busy || this.write.closing) {
      this.#settleAll(new ObjectDisposedError());
    } else {
      this.read.fail(undefined);
      this.write.fail(undefined);
    }
    // A fault already released everything.
    if (from !== Phase.Faulted) this.#release();
  }

  #settleAll(error: unknown): void {
    const auth = this.auth;
    this.auth = null;
    auth?.pending.settle(error);
    this.read.fail(error);
    this.write.fail(error);
  }

  /** Runs once: at the first fault, or at dispose() when nothing faulted. */
  #release(graceful = false): void {
    const socket = this.tls;
    if (socket !== null && graceful && !socket.destroyed) {
      // A client that refuses the server's certificate after a TLS 1.3 handshake still owes the
      // server its Finished (sent just after 'secure'): ending, not destroying, lets it go out with
      // a close_notify, and the server's authentication succeeds, as against .NET (contract §5).
      socket.removeListener('data', tlsListeners.data);
      const transport = this.transport;
      const timer = setTimeout(() => socket.destroy(), kGracefulCloseMs);
      timer.unref();
      socket.once('close', () => {
        clearTimeout(timer);
        transport?.destroy();
      });
      socket.destroySoon();
      return;
    }
    if (socket !== null) {
      socket.removeListener('data', tlsListeners.data);
      socket.destroy();
    } else if (!this.leaveInnerStreamOpen) {
      closeInner(this.inner);
    }
    // With leaveInnerStreamOpen the Transport hands the inner stream back when it is destroyed.
    this.transport?.destroy();
  }

  // ─────────────────────────────── TLS socket events ───────────────────────────────

  tlsError(err: unknown): void {
    if (this.#phase === Phase.Authenticating) {
      this.authFailed(
        err instanceof SslDuplexError
          ? err
          : isTlsLibraryError(err)
            ? new AuthenticationError(Messages.authFailed, { cause: err })
            : new IOError(Messages.transportFailedDuringAuth, { cause: err }),
      );
    } else if (this.#phase === Phase.Authenticated) {
      this.fail(err instanceof IOError ? err : new IOError(messageFor(err, this.write.inFlight), { cause: err }));
    }
  }

  tlsEnded(): void {
    if (this.#phase === Phase.Authenticating) this.authFailed(new IOError(Messages.eof));
    else this.read.end();
  }

  tlsClosed(): void {
    if (this.#phase === Phase.Authenticating) {
      this.authFailed(new IOError(Messages.eof));
    } else if (this.#phase === Phase.Authenticated) {
      this.read.end();
      this.write.transportClosed();
    }
  }

  tlsData(chunk: Buffer): void {
    this.bytesRead += chunk.length;
    this.idleTimer?.refresh();
    this.read.data(chunk);
  }

  // ─────────────────────────────── the halves' host ───────────────────────────────

  push(chunk: Buffer | null): boolean {
    return this.sink === null ? this.face.push(chunk) : this.sink(chunk);
  }

  endStream(): void {
    this.face.push(null);
    this.face.read(0);
  }

  flow(on: boolean): void {
    const socket = this.tls;
    if (socket === null) return;
    if (on) socket.resume();
    else socket.pause();
  }

  wrote(bytes: number): void {
    this.bytesWritten += bytes;
    this.idleTimer?.refresh();
  }

  failed(error: unknown): void {
    this.fail(error);
  }
}
