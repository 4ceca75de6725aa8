import { inspect } from 'node:util';
/**
 * One class per failure that SslStream's documentation names. Callers match on the class or on the
 * stable `code`, never on the message text.
 */

/**
 * Every message this library writes (from .NET's resource strings where .NET has one). Tests
 * match classes and codes, never these texts; they live here so that each is written once.
 */
export const Messages = {
  notAuthenticated: 'This operation is only allowed using a successfully authenticated context.',
  nestedRead: 'This method may not be called when another read operation is pending.',
  nestedWrite: 'This method may not be called when another write operation is pending.',
  nestedAuth: 'This method may not be called when another authenticate operation is pending.',
  alreadyShutdown: 'Write operations are not allowed after the channel was shutdown.',
  reauth: 'This operation is not allowed on a security context that has already been authenticated.',
  roleSwitch:
    'Once authentication is attempted as the client or server, additional authentication attempts must use the same client or server role.',
  validationCallbackSet:
    "The 'RemoteCertificateValidationCallback' option was already set in the SslStream constructor.",
  selectionCallbackSet: "The 'LocalCertificateSelectionCallback' option was already set in the SslStream constructor.",
  noSeek: 'This stream does not support seek operations.',
  illegalTransition: (from: string, to: string): string =>
    `ssl-duplex internal error: illegal transition ${from} → ${to}`,
  sslV2V3: 'SSL 2.0 and SSL 3.0 are not supported.',
  eof: 'Received an unexpected EOF or 0 bytes from the transport stream.',
  eofMidRecord: 'The transport stream ended in the middle of a TLS record.',
  transportFailedDuringAuth: 'Authentication failed because the transport stream failed, see inner exception.',
  readFailed: 'The read operation failed, see inner exception.',
  writeFailed: 'The write operation failed, see inner exception.',
  connectionFailed: 'The TLS connection failed, see inner exception.',
  authFailed: 'Authentication failed, see inner exception.',
  rejectedByCallback: 'The remote certificate was rejected by RemoteCertificateValidationCallback.',
  invalidCertificate: (flags: string, reasons: string): string =>
    `The remote certificate is invalid according to the validation procedure: ${flags} (${reasons})`,
  readTimedOut: (ms: number): string => `The read operation timed out after ${ms} ms.`,
  writeTimedOut: (ms: number): string => `The write operation timed out after ${ms} ms.`,
  handshakeTimedOut: (ms: number): string => `The TLS handshake did not complete within ${ms} ms.`,
  transportClosed: 'The transport is closed.',
  endedBeforeCloseNotify: "The transport ended before the peer's close_notify: the connection cannot be unwrapped.",
  unwrapNeedsLeaveOpen: 'Unwrapping needs an SslDuplex constructed with leaveInnerStreamOpen.',
  disconnectedBeforeSecure: 'Client network socket disconnected before secure TLS connection was established',
  socketHangUp: 'socket hang up',
  ipServername:
    'Setting the TLS ServerName to an IP address is not permitted by RFC 6066. This will be ignored in a future version.',
  dhParamSize: (size: number): string => `DH parameter size ${size} is less than 2048`,
  minDHSizeNotNumber: (v: unknown): string => `options.minDHSize is not a number: ${String(v)}`,
  minDHSizeNotPositive: (v: unknown): string => `options.minDHSize is not a positive number: ${String(v)}`,
  argumentNotString: (name: string, value: unknown): string =>
    `The "${name}" argument must be of type string. Received ${receivedOf(value)}`,
  handshakeTimeoutNode: 'TLS handshake timeout',
  transportClosedBeforeWrite: 'The transport closed before it took every write.',
  notBytes: 'The inner stream delivered a chunk that is not bytes (objectMode).',
  notReadWrite: 'The stream has to be read/write.',
  keylogSink: 'keylog must be a writable stream or a function.',
  bufferType: 'The buffer must be a Uint8Array.',
  timeoutRange: 'Timeout must be -1 (infinite) or a positive number of milliseconds.',
  applicationProtocols: 'applicationProtocols must be an array of non-empty strings.',
  optionRefused: (name: string, why: string): string => `The ${name} option was refused: ${why}`,
  invalidArgument: (name: string): string => `The argument '${name}' is not valid.`,
  nullArgument: (name: string): string => `Value cannot be null. (Parameter '${name}')`,
  outOfRange: (name: string): string =>
    `Specified argument was out of the range of valid values. (Parameter '${name}')`,
  disposed: "Cannot access a disposed object. Object name: 'SslDuplex'.",
  // .NET's messages for an exception made with no arguments.
  defaultError: (name: string): string => `Exception of type '${name}' was thrown.`,
  defaultArgument: 'Value does not fall within the expected range.',
  defaultArgumentNull: 'Value cannot be null.',
  defaultOutOfRange: 'Specified argument was out of the range of valid values.',
  defaultNotSupported: 'Specified method is not supported.',
  defaultInvalidOperation: 'Operation is not valid due to the current state of the object.',
  defaultIO: 'I/O error occurred.',
  defaultTimeout: 'The operation has timed out.',
  defaultAuthentication: 'System error.',
  aborted: 'The operation was aborted',
  foreignAsyncResult:
    'The parameter: asyncResult is not valid. Use the object returned from corresponding Begin async call.',
  endedTwice: (end: string): string => `${end} can only be called once for each asynchronous operation.`,
  endedEarly: (end: string): string =>
    `${end} was called before the operation completed; call it from the AsyncCallback or after awaiting asyncWaitHandle.`,
} as const;

/** Base of every ssl-duplex error except the argument errors, which extend Node's TypeError/RangeError. */
export class SslDuplexError extends Error {
  /** Stable across versions: match on it, not on the message. */
  readonly code: string = 'SSLD_ERR';
  /** The message of an error made with no arguments (.NET's default for the exception it stands for). */
  static defaultMessage(): string {
    return Messages.defaultError(this.name);
  }
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message ?? (new.target as typeof SslDuplexError).defaultMessage(), options);
    this.name = new.target.name;
  }
}

/** .NET `ArgumentException`. */
export class ArgumentError extends TypeError {
  /** Stable across versions: match on it, not on the message. */
  readonly code: string = 'SSLD_ERR_ARGUMENT';
  /** The name of the offending parameter, as .NET's `ParamName`. */
  readonly paramName: string | undefined;
  constructor(paramName?: string, message?: string, options?: { cause?: unknown }) {
    super(
      message ?? (paramName === undefined ? Messages.defaultArgument : Messages.invalidArgument(paramName)),
      options,
    );
    this.name = new.target.name;
    this.paramName = paramName;
  }
}

/** .NET `ArgumentNullException`. */
export class ArgumentNullError extends ArgumentError {
  /** Stable across versions: match on it, not on the message. */
  override readonly code: string = 'SSLD_ERR_ARGUMENT_NULL';
  constructor(paramName?: string, message?: string) {
    super(
      paramName,
      message ?? (paramName === undefined ? Messages.defaultArgumentNull : Messages.nullArgument(paramName)),
    );
  }
}

/** .NET `ArgumentOutOfRangeException`. */
export class ArgumentOutOfRangeError extends RangeError {
  /** Stable across versions: match on it, not on the message. */
  readonly code: string = 'SSLD_ERR_ARGUMENT_OUT_OF_RANGE';
  /** The name of the offending parameter, as .NET's `ParamName`. */
  readonly paramName: string | undefined;
  constructor(paramName?: string, message?: string) {
    super(message ?? (paramName === undefined ? Messages.defaultOutOfRange : Messages.outOfRange(paramName)));
    this.name = new.target.name;
    this.paramName = paramName;
  }
}

/** .NET `NotSupportedException`: a second read or write while one is pending, seeking. */
export class NotSupportedError extends SslDuplexError {
  /** Stable across versions: match on it, not on the message. */
  override readonly code: string = 'SSLD_ERR_NOT_SUPPORTED';
  /** .NET's message for this exception made with no arguments. */
  static override defaultMessage(): string {
    return Messages.defaultNotSupported;
  }
}

/** .NET `InvalidOperationException`: the call is not allowed in the stream's current state. */
export class InvalidOperationError extends SslDuplexError {
  /** Stable across versions: match on it, not on the message. */
  override readonly code: string = 'SSLD_ERR_INVALID_OPERATION';
  /** .NET's message for this exception made with no arguments. */
  static override defaultMessage(): string {
    return Messages.defaultInvalidOperation;
  }
}

/** .NET `ObjectDisposedException`. */
export class ObjectDisposedError extends InvalidOperationError {
  /** Stable across versions: match on it, not on the message. */
  override readonly code: string = 'SSLD_ERR_OBJECT_DISPOSED';
  /** As .NET's `ObjectName`. */
  readonly objectName = 'SslDuplex';
  constructor(message: string = Messages.disposed, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** .NET `IOException`: the transport or the TLS record layer failed after (or outside) the handshake. */
export class IOError extends SslDuplexError {
  /** Stable across versions: match on it, not on the message. */
  override readonly code: string = 'SSLD_ERR_IO';
  /** .NET's message for this exception made with no arguments. */
  static override defaultMessage(): string {
    return Messages.defaultIO;
  }
}

/** .NET `IOException` raised by a read or write timeout. */
export class TimeoutError extends IOError {
  /** Stable across versions: match on it, not on the message. */
  override readonly code: string = 'SSLD_ERR_TIMEOUT';
  /** .NET's message for this exception made with no arguments. */
  static override defaultMessage(): string {
    return Messages.defaultTimeout;
  }
}

/** .NET `AuthenticationException`: the handshake or the certificate validation failed. */
export class AuthenticationError extends SslDuplexError {
  /** Stable across versions: match on it, not on the message. */
  override readonly code: string = 'SSLD_ERR_AUTHENTICATION';
  /** .NET's message for this exception made with no arguments. */
  static override defaultMessage(): string {
    return Messages.defaultAuthentication;
  }
}

/**
 * Node's stand-in for .NET's `OperationCanceledException`: an `AbortSignal` ended the operation.
 * Shaped like the AbortError of Node's own APIs (`name === 'AbortError'`, `code === 'ABORT_ERR'`).
 */
export class AbortError extends Error {
  /** Node's code for an aborted operation. */
  readonly code = 'ABORT_ERR';
  constructor(message: string = Messages.aborted, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** True for every error class above, false for anything else. */
export function isSslDuplexError(
  e: unknown,
): e is SslDuplexError | ArgumentError | ArgumentOutOfRangeError | AbortError {
  return (
    e instanceof SslDuplexError ||
    e instanceof ArgumentError ||
    e instanceof ArgumentOutOfRangeError ||
    e instanceof AbortError
  );
}

/** How Node's ERR_INVALID_ARG_TYPE names the value it got (internal/errors.js determineSpecificType). */
function receivedOf(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `an instance of ${name}` : inspect(value, { depth: -1 });
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

/** Node's own `ERR_INVALID_ARG_TYPE`, for the Node personality's members that Node checks the same way. */
export function nodeArgTypeError(name: string, value: unknown): TypeError & { code: string } {
  return Object.assign(new TypeError(Messages.argumentNotString(name, value)), { code: 'ERR_INVALID_ARG_TYPE' });
}
